// Package outage reports requests refused because the database is
// unavailable (lt.EUNAVAILABLE), for the API, the sign-in pages and the
// backoffice alike: at most one log line per interval, with the number of
// requests refused since the last line, instead of one line per request.
// During an outage every request fails the same way; a line each would
// bury the log (thousands a second) and say nothing more.
package outage

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// RetryAfter is how long the answers ask a client to wait before it tries
// again, in seconds, for the Retry-After header.
const RetryAfter = 5

// RetryAfterHeader is RetryAfter as the header's value.
var RetryAfterHeader = strconv.Itoa(RetryAfter)

// DefaultEvery is the interval between two lines.
const DefaultEvery = 10 * time.Second

// Reporter logs refusals at most once per interval. The first refusal is
// logged at once; those that follow within the interval are counted, and
// the count is logged when the interval ends (then the next interval
// begins). An interval with no refusal ends the outage's reporting: the
// next refusal is logged at once again. The zero value is not usable;
// make one with New. It is safe for concurrent use.
type Reporter struct {
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	pending int         // refusals since the last line
	err     error       // the latest of them
	timer   *time.Timer // runs while an interval does
}

// New returns a reporter that logs to log at most once per every
// (DefaultEvery when 0 or less).
func New(log *slog.Logger, every time.Duration) *Reporter {
	if log == nil {
		log = slog.Default()
	}
	if every <= 0 {
		every = DefaultEvery
	}
	return &Reporter{log: log, every: every}
}

// Refused records that a request was refused because of err, an
// unavailable database.
func (r *Reporter) Refused(ctx context.Context, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer == nil {
		r.log.ErrorContext(ctx, "database unavailable: answering 503", "refused", 1, "err", err)
		r.timer = time.AfterFunc(r.every, r.tick)
		return
	}
	r.pending++
	r.err = err
}

// tick ends an interval: it logs what the interval refused, or, when it
// refused nothing, stops until the next refusal.
func (r *Reporter) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == 0 {
		r.timer = nil
		return
	}
	r.log.Error("database unavailable: answering 503", "refused", r.pending, "interval", r.every, "err", r.err)
	r.pending, r.err = 0, nil
	r.timer.Reset(r.every)
}
