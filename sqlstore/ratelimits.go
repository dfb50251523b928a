package sqlstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"time"
)

// Limiter counts attempts per key in the database, so that every instance
// on it shares one count: the ratelimit.Limiter of PostgreSQL, with the
// rule of ratelimit.Memory (Limit attempts at once, then one more every
// Per/Limit). Each call is one statement, one round trip: the check and
// the count happen together in the database, so attempts in flight on
// several instances never get past the limit. Keys are stored as a hash.
// Times come from the store's clock: instances whose clocks differ by a
// second give a key a second more or less.
type Limiter struct {
	s        *Store
	scope    string
	interval int64 // microseconds until one attempt comes back
	burst    int64 // interval * limit
	calls    atomic.Uint64
}

// sweepEvery is how many reservations pass between two deletions of
// rows whose attempts are all back; each deletes at most sweepRows.
const (
	sweepEvery = 64
	sweepRows  = 500
)

// errLimiterDialect is the answer of a Limiter on SQLite, whose one
// instance keeps its counts in memory (ratelimit.Memory).
var errLimiterDialect = errors.New("the shared failure limit needs PostgreSQL")

// Limiter returns the shared limiter of scope (which limit this is, such
// as "redeem"): limit attempts at once per key, then one more every
// per/limit. limit 0 or less turns it off.
func (s *Store) Limiter(scope string, limit int, per time.Duration) *Limiter {
	l := &Limiter{s: s, scope: scope}
	if limit > 0 && per > 0 {
		l.interval = max(per.Microseconds()/int64(limit), 1)
		l.burst = l.interval * int64(limit)
	}
	return l
}

func limiterKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:16]
}

// reserveSQL counts one attempt unless the key has none left. The upsert
// returns a row only when it counted; the outer SELECT reads the row as
// it was before the statement, which gives the wait of a refusal in the
// same round trip. GREATEST: a key whose attempts are all back starts
// from now.
const reserveSQL = `WITH counted AS (
	INSERT INTO rate_limits AS r (scope, key, free_us) VALUES ($1, $2, $3::BIGINT + $4::BIGINT)
	ON CONFLICT (scope, key) DO UPDATE SET free_us = GREATEST(r.free_us, $3::BIGINT) + $4::BIGINT
	WHERE GREATEST(r.free_us, $3::BIGINT) + $4::BIGINT - $5::BIGINT <= $3::BIGINT
	RETURNING 1)
SELECT EXISTS (SELECT 1 FROM counted), COALESCE((SELECT free_us FROM rate_limits WHERE scope = $1 AND key = $2), 0)`

// Reserve implements ratelimit.Limiter.
func (l *Limiter) Reserve(ctx context.Context, key string) (time.Duration, error) {
	if l.interval == 0 {
		return 0, nil
	}
	if l.s.d.name() != "postgres" {
		return 0, errLimiterDialect
	}
	now := l.s.now().UnixMicro()
	var counted bool
	var free int64
	err := l.s.within(ctx, l.s.lim.Call, func(ctx context.Context) error {
		return l.s.d.translate(l.s.db.QueryRowContext(ctx, reserveSQL, l.scope, limiterKey(key), now, l.interval, l.burst).Scan(&counted, &free))
	})
	if err != nil {
		return 0, err
	}
	if l.calls.Add(1)%sweepEvery == 0 {
		l.sweep(ctx, now)
	}
	if counted {
		return 0, nil
	}
	wait := time.Duration(max(free, now)+l.interval-l.burst-now) * time.Microsecond
	if wait <= 0 {
		// The row changed between the statement's snapshot and its
		// upsert (another instance counted at the same moment).
		wait = time.Duration(l.interval) * time.Microsecond
	}
	return wait, nil
}

// Release implements ratelimit.Limiter.
func (l *Limiter) Release(ctx context.Context, key string) error {
	if l.interval == 0 {
		return nil
	}
	return l.exec(ctx, `UPDATE rate_limits SET free_us = free_us - $3 WHERE scope = $1 AND key = $2`, l.scope, limiterKey(key), l.interval)
}

// Reset implements ratelimit.Limiter.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	return l.exec(ctx, `DELETE FROM rate_limits WHERE scope = $1 AND key = $2`, l.scope, limiterKey(key))
}

// sweep deletes up to sweepRows rows whose attempts are all back: the
// table holds about the keys that failed in the last Per. A failed sweep
// is left to the next one.
func (l *Limiter) sweep(ctx context.Context, now int64) {
	_ = l.exec(context.WithoutCancel(ctx), `DELETE FROM rate_limits WHERE ctid = ANY (ARRAY(
		SELECT ctid FROM rate_limits WHERE free_us <= $1 LIMIT $2))`, now, sweepRows)
}

func (l *Limiter) exec(ctx context.Context, q string, args ...any) error {
	if l.s.d.name() != "postgres" {
		return errLimiterDialect
	}
	return l.s.within(ctx, l.s.lim.Call, func(ctx context.Context) error {
		_, err := l.s.db.ExecContext(ctx, q, args...)
		return l.s.d.translate(err)
	})
}
