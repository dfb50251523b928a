package mail

import (
	"context"
	"encoding/json"
	"fmt"

	lt "github.com/logintokens/logintokens"
)

// OutboxQueue keeps mail in the store's durable outbox: a job is written
// in the transaction that records mail.queued, and the outbox's worker
// sends it (Handler), retrying a mail server that does not answer.
type OutboxQueue struct {
	Outbox lt.OutboxService
}

// Enqueue writes job to the outbox with its mail.queued event. A sent
// mail emits token.sent to the webhooks.
func (q *OutboxQueue) Enqueue(ctx context.Context, actor lt.Actor, job lt.MailJob, details map[string]any) error {
	payload, err := json.Marshal(job)
	if err != nil {
		return err
	}
	_, err = q.Outbox.Enqueue(ctx, actor, lt.OutboxWrite{
		Messages: []lt.NewOutboxMessage{{
			Kind: lt.OutboxMail, Queue: "mail:" + job.TokenID, Target: job.To, Type: lt.EventMailQueued, Payload: payload,
			Then: &lt.WebhookEvent{Type: lt.WebhookTokenSent, Key: "token:" + job.TokenID,
				Data: map[string]any{"id": job.TokenID, "to": job.To, "language": job.Language, "queuedAt": job.QueuedAt}},
		}},
		AuditEvent: lt.EventMailQueued, AuditTokenID: job.TokenID, AuditDetails: details,
	})
	return err
}

// Handler is the outbox's sender of mail: it sends one queued mail. A
// refusal that retrying cannot change gives the message up.
func (s *Service) Handler(ctx context.Context, m *lt.OutboxMessage) (string, error) {
	var job lt.MailJob
	if err := json.Unmarshal(m.Payload, &job); err != nil {
		return "", fmt.Errorf("%w: the queued mail is damaged: %v", lt.ErrOutboxCancel, err)
	}
	answer, err := s.Deliver(ctx, job, m.Attempts, m.Attempts >= lt.MaxAttempts)
	if IsPermanent(err) {
		return "", fmt.Errorf("%w: %v", lt.ErrOutboxCancel, err)
	}
	return answer, err
}
