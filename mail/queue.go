package mail

import (
	"context"
	"sync"

	lt "github.com/logintokens/logintokens"
)

// LocalQueue sends each job once, at once, in the background of this
// process: nothing is kept when the process stops. The service queues in
// the durable outbox (OutboxQueue); LocalQueue serves tests of the layers
// above the queue, which wait for it (Wait).
type LocalQueue struct {
	Events lt.TokenEventRecorder
	// Deliver sends a job (Service.Deliver); set before the first job.
	Deliver func(ctx context.Context, job lt.MailJob, attempt int, final bool) (string, error)
	wg      sync.WaitGroup
}

// Enqueue records mail.queued and starts sending.
func (q *LocalQueue) Enqueue(ctx context.Context, actor lt.Actor, job lt.MailJob, details map[string]any) error {
	if err := q.Events.AuditTokenEvent(ctx, actor, lt.EventMailQueued, job.TokenID, details); err != nil {
		return err
	}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		_, _ = q.Deliver(context.WithoutCancel(ctx), job, 1, true)
	}()
	return nil
}

// Wait returns when every job started has been sent or has failed.
func (q *LocalQueue) Wait() { q.wg.Wait() }
