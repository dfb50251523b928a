package logintokens

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"
)

// The outbox holds what the service must send to other systems (webhook
// deliveries, mail): a message is written in the transaction of the change
// that causes it, so nothing is sent for a change that rolled back and
// nothing is lost when the process stops; a worker sends it afterwards, at
// least once (docs/webhooks.md).

// Outbox message kinds. Each kind has its own handler in the worker.
const (
	OutboxWebhook = "webhook"
	OutboxMail    = "mail"
)

// Outbox message statuses.
const (
	// OutboxPending: waiting for its next attempt (or being attempted,
	// while a worker holds its lease).
	OutboxPending = "pending"
	// OutboxDelivered: the receiver took it.
	OutboxDelivered = "delivered"
	// OutboxFailed: the last attempt failed; it is not tried again unless
	// redelivered.
	OutboxFailed = "failed"
	// OutboxCancelled: its receiver went away or was disabled before it
	// was delivered.
	OutboxCancelled = "cancelled"
)

// NewOutboxMessage is a message to send.
type NewOutboxMessage struct {
	// Kind picks the handler (OutboxWebhook, OutboxMail, ...).
	Kind string
	// Queue orders messages: of two messages with the same queue the later
	// one is not attempted while the earlier one is pending. "" puts the
	// message in a queue of its own.
	Queue string
	// Target names the receiver for the handler (a webhook's id).
	Target string
	// Type is what happened ("token.redeemed"), for the log.
	Type string
	// Payload is the handler's input, JSON.
	Payload json.RawMessage
	// Then is emitted to the webhooks in the transaction that marks this
	// message delivered (a sent mail emits token.sent).
	Then *WebhookEvent
}

// OutboxMessage is a message of the outbox with its delivery state.
type OutboxMessage struct {
	ID      int64           `json:"id"`
	Kind    string          `json:"kind"`
	Queue   string          `json:"-"`
	Target  string          `json:"-"`
	EventID string          `json:"eventId"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"-"`
	Status  string          `json:"status"`
	// Attempts counts the attempts begun, the current one included.
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt"`
	LastAttemptAt *time.Time `json:"lastAttemptAt"`
	// LastAnswer is what the receiver answered to the last attempt
	// ("HTTP 200", "HTTP 503") or, in a few fixed words, why it could not
	// be reached ("connection refused", "timeout", "TLS error"): never the
	// receiver's body or a network error's text.
	LastAnswer string `json:"lastAnswer"`
	// LastDurationMillis is how long the receiver took to answer.
	LastDurationMillis *int64     `json:"lastDurationMs"`
	CreatedAt          time.Time  `json:"createdAt"`
	DeliveredAt        *time.Time `json:"deliveredAt"`
	// RedeliveryOf is the message this one sends again, by hand.
	RedeliveryOf *int64 `json:"redeliveryOf"`
}

// DeliveryResult is the outcome of one attempt.
type DeliveryResult struct {
	Answer string
	Took   time.Duration
}

// OutboxService is the durable outbox. Messages of the domain's own
// changes are written by the store in the changes' transactions; Enqueue
// is for messages that other code decides to send.
type OutboxService interface {
	// Enqueue writes messages and webhook events, with an audit event of
	// token tokenID when event is not "", in one transaction.
	Enqueue(ctx context.Context, actor Actor, w OutboxWrite) ([]int64, error)
	// ClaimOutbox leases up to limit messages that are due, oldest first,
	// for owner until now+lease, and counts an attempt of each. A message
	// whose lease ran out (its worker stopped) is due again. A message
	// waits while an earlier one of its queue is pending.
	ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]*OutboxMessage, error)
	// CompleteOutbox marks a message owner holds delivered.
	CompleteOutbox(ctx context.Context, id int64, owner string, r DeliveryResult) error
	// FailOutbox records a failed attempt of a message owner holds: it is
	// tried again at retryAt, or, when retryAt is nil, it has failed for
	// good (a webhook that fails for good is disabled).
	FailOutbox(ctx context.Context, id int64, owner string, r DeliveryResult, retryAt *time.Time) error
	// CancelOutbox gives up a message owner holds without counting it
	// failed: its receiver is gone or disabled.
	CancelOutbox(ctx context.Context, id int64, owner string, why string) error
	// PruneOutbox deletes the settled messages (delivered, failed,
	// cancelled) last attempted before before, and answers how many.
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
}

// OutboxWrite is what Enqueue writes in one transaction.
type OutboxWrite struct {
	Messages []NewOutboxMessage
	Events   []WebhookEvent
	// AuditEvent, when not "", records an audit event of AuditTokenID.
	AuditEvent   string
	AuditTokenID string
	AuditDetails map[string]any
}

// Retry schedule of outbox messages: exponential from RetryBase, capped
// at RetryCap, each delay jittered by ±RetryJitter; MaxAttempts attempts in
// all span more than a day (about 32 hours).
const (
	MaxAttempts = 15
	RetryBase   = 30 * time.Second
	RetryCap    = 6 * time.Hour
	RetryJitter = 0.15
)

// RetryDelay is the wait after the attempt-th failed attempt (1-based),
// before jitter.
func RetryDelay(attempt int) time.Duration {
	d := RetryBase
	for i := 1; i < attempt && d < RetryCap; i++ {
		d *= 2
	}
	return min(d, RetryCap)
}

// NextAttempt is when to try again after the attempt-th failed attempt,
// with jitter so that receivers that come back are not met by every
// message at once; nil after the last attempt.
func NextAttempt(now time.Time, attempt int) *time.Time {
	if attempt >= MaxAttempts {
		return nil
	}
	f := 1 + RetryJitter*(2*rand.Float64()-1)
	t := now.Add(time.Duration(float64(RetryDelay(attempt)) * f))
	return &t
}

// OutboxHandler sends one message of a kind and answers what the receiver
// said ("HTTP 204"). An error is a failed attempt, tried again later; an
// error that wraps ErrOutboxCancel gives the message up (its receiver is
// gone or disabled).
type OutboxHandler func(ctx context.Context, m *OutboxMessage) (answer string, err error)

// ErrOutboxCancel marks a message that must not be attempted again.
var ErrOutboxCancel = errors.New("delivery cancelled")
