// Package outbox sends the messages of the store's outbox: a worker
// leases due messages, hands each to the handler of its kind (webhook,
// mail, ...) and records the outcome, retrying failures on the domain's
// schedule. Several workers, in one process or in several instances on
// one PostgreSQL database, share the work: the store leases each message
// to one of them at a time, and a lease that runs out (its worker died)
// makes the message due again.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	lt "github.com/logintokens/logintokens"
)

// Defaults of a Worker's settings.
const (
	DefaultLease          = 2 * time.Minute
	DefaultPoll           = 2 * time.Second
	DefaultBatch          = 16
	DefaultConcurrency    = 32
	DefaultHandlerTimeout = 30 * time.Second
)

// Worker sends the outbox's messages.
type Worker struct {
	Store lt.OutboxService
	// Handlers send the messages of each kind. A message of a kind
	// without a handler waits (another instance may have one).
	Handlers map[string]lt.OutboxHandler
	// Owner names this worker in the leases; unique by default.
	Owner string
	// Now is the clock of retries; time.Now by default.
	Now func() time.Time
	// Retry says when to try again after the attempt-th failure, nil for
	// never; lt.NextAttempt by default.
	Retry func(now time.Time, attempt int) *time.Time
	// Lease is how long a claimed message is this worker's; it must
	// exceed HandlerTimeout.
	Lease time.Duration
	// HandlerTimeout bounds one attempt.
	HandlerTimeout time.Duration
	// Poll is how often Run looks for due messages without a Wake.
	Poll time.Duration
	// Batch is how many messages one claim takes at most.
	Batch int
	// Concurrency bounds the attempts under way in Run. Run claims again
	// as soon as an attempt ends, so a receiver that hangs holds up only
	// its own messages: the store leases one message of a queue at a time,
	// so the events of one token to one receiver still go in order.
	Concurrency int
	// Wake, when readable, makes Run look at once.
	Wake <-chan struct{}
	// Retain is how long settled messages stay in the delivery log
	// (DefaultRetain when 0); Run deletes older ones once an hour.
	Retain time.Duration
	Log    *slog.Logger

	lastPrune time.Time
}

// DefaultRetain keeps a month of delivery log.
const DefaultRetain = 30 * 24 * time.Hour

func (w *Worker) defaults() {
	if w.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 6)
		rand.Read(b)
		w.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Retry == nil {
		w.Retry = lt.NextAttempt
	}
	if w.HandlerTimeout <= 0 {
		w.HandlerTimeout = DefaultHandlerTimeout
	}
	if w.Lease <= 0 {
		w.Lease = max(DefaultLease, 2*w.HandlerTimeout)
	}
	if w.Poll <= 0 {
		w.Poll = DefaultPoll
	}
	if w.Batch <= 0 {
		w.Batch = DefaultBatch
	}
	if w.Concurrency <= 0 {
		w.Concurrency = DefaultConcurrency
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Retain <= 0 {
		w.Retain = DefaultRetain
	}
}

// prune deletes the settled messages older than Retain, at most once an
// hour.
func (w *Worker) prune(ctx context.Context) {
	now := w.Now()
	if now.Sub(w.lastPrune) < time.Hour {
		return
	}
	w.lastPrune = now
	n, err := w.Store.PruneOutbox(ctx, now.Add(-w.Retain))
	if err != nil {
		level := slog.LevelWarn
		if lt.ErrorCode(err) == lt.EUNAVAILABLE {
			level = slog.LevelDebug // reported by the requests and /readyz
		}
		w.Log.Log(ctx, level, "outbox: prune failed", "err", err)
	} else if n > 0 {
		w.Log.Info("outbox: pruned settled messages", "count", n, "olderThan", w.Retain.String())
	}
}

// Run sends due messages until ctx ends, then returns once the attempts
// under way are recorded (each within HandlerTimeout). Up to Concurrency
// attempts run at once; each that ends frees its place for the next due
// message, whatever the others are waiting for.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	var wg sync.WaitGroup
	defer wg.Wait()
	// done has room for every attempt under way, so an attempt never
	// waits to report its end.
	done := make(chan struct{}, w.Concurrency)
	busy := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.Wake:
		case <-done:
			// A settled message may make the next of its queue due.
			busy--
		}
	settled:
		for {
			select {
			case <-done:
				busy--
			default:
				break settled
			}
		}
		if busy >= w.Concurrency {
			continue // every place is taken: wait for an attempt to end
		}
		w.prune(ctx)
		limit := min(w.Batch, w.Concurrency-busy)
		msgs, err := w.Store.ClaimOutbox(ctx, w.Owner, limit, w.Lease)
		switch {
		case err == nil || ctx.Err() != nil:
		case lt.ErrorCode(err) == lt.EUNAVAILABLE:
			// The outage is reported once for the whole service, by the
			// requests it refuses and /readyz; the worker tries again.
			w.Log.Debug("outbox: claim failed", "err", err)
		default:
			w.Log.Warn("outbox: claim failed", "err", err)
		}
		for _, m := range msgs {
			busy++
			wg.Go(func() {
				w.send(ctx, m)
				done <- struct{}{}
			})
		}
		next := w.Poll
		if len(msgs) == limit && busy < w.Concurrency {
			next = 0 // there may be more due
		}
		timer.Reset(next)
	}
}

// RunOnce claims one batch of due messages and sends them, and answers how
// many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.defaults()
	msgs, err := w.Store.ClaimOutbox(ctx, w.Owner, w.Batch, w.Lease)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { w.send(ctx, m) })
	}
	wg.Wait()
	return len(msgs), nil
}

// send makes one attempt and records it. The attempt and its record run
// to their end when ctx ends (a shutdown): a cut attempt would be sent
// again.
func (w *Worker) send(ctx context.Context, m *lt.OutboxMessage) {
	ctx = context.WithoutCancel(ctx)
	h := w.Handlers[m.Kind]
	if h == nil {
		// Not ours to send: give the lease back as a retry soon.
		retry := w.Now().Add(w.Poll)
		w.record(w.Store.FailOutbox(ctx, m.ID, w.Owner, lt.DeliveryResult{Answer: "no handler for kind " + m.Kind}, &retry), m)
		return
	}
	hctx, cancel := context.WithTimeout(ctx, w.HandlerTimeout)
	start := time.Now()
	answer, err := h(hctx, m)
	took := time.Since(start)
	cancel()
	res := lt.DeliveryResult{Answer: answer, Took: took}
	switch {
	case err == nil:
		w.record(w.Store.CompleteOutbox(ctx, m.ID, w.Owner, res), m)
	case errors.Is(err, lt.ErrOutboxCancel):
		w.record(w.Store.CancelOutbox(ctx, m.ID, w.Owner, err.Error()), m)
	default:
		if res.Answer == "" {
			res.Answer = err.Error()
		}
		retry := w.Retry(w.Now(), m.Attempts)
		w.Log.Info("outbox: attempt failed", "kind", m.Kind, "id", m.ID, "type", m.Type, "attempt", m.Attempts,
			"final", retry == nil, "answer", res.Answer)
		w.record(w.Store.FailOutbox(ctx, m.ID, w.Owner, res, retry), m)
	}
}

func (w *Worker) record(err error, m *lt.OutboxMessage) {
	switch {
	case err == nil:
	case lt.ErrorCode(err) == lt.EUNAVAILABLE:
		// The lease runs out and the message is tried again.
		w.Log.Debug("outbox: could not record an attempt", "kind", m.Kind, "id", m.ID, "err", err)
	default:
		w.Log.Warn("outbox: could not record an attempt", "kind", m.Kind, "id", m.ID, "err", err)
	}
}
