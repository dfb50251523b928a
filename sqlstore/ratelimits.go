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

// reserveCTE counts one attempt unless the key has none left, and only
// where cond holds (a condition of the statement's snapshot). The upsert
// returns a row only when it counted. GREATEST: a key whose attempts are
// all back starts from now. Arguments: scope, key, now, interval, then
// cond's, then now, interval, burst, now.
func reserveCTE(cond string) string {
	return `counted AS (
	INSERT INTO rate_limits AS r (scope, key, free_us)
	SELECT ?::TEXT, ?::BYTEA, ?::BIGINT + ?::BIGINT WHERE ` + cond + `
	ON CONFLICT (scope, key) DO UPDATE SET free_us = GREATEST(r.free_us, ?::BIGINT) + ?::BIGINT
	WHERE GREATEST(r.free_us, ?::BIGINT) + ?::BIGINT - ?::BIGINT <= ?::BIGINT
	RETURNING 1)`
}

// reservedColumns are whether the reservation of reserveCTE counted and,
// read as the key's row was before the statement, when its attempts are
// all back, which gives the wait of a refusal in the same round trip.
// Arguments: scope, key.
const reservedColumns = `EXISTS (SELECT 1 FROM counted), COALESCE((SELECT free_us FROM rate_limits WHERE scope = ? AND key = ?), 0)`

// reserveSQL is Reserve's one statement.
var reserveSQL = `WITH ` + reserveCTE("TRUE") + `
SELECT ` + reservedColumns

// reserveArgs are the arguments of reserveCTE, with those of its
// condition, and of reservedColumns.
func (l *Limiter) reserveArgs(key []byte, now int64, cond ...any) []any {
	args := append([]any{l.scope, key, now, l.interval}, cond...)
	return append(args, now, l.interval, now, l.interval, l.burst, now)
}

// releaseSQL gives back one attempt. Arguments: interval, scope, key.
const releaseSQL = `UPDATE rate_limits SET free_us = free_us - ?::BIGINT WHERE scope = ? AND key = ?`

// Reserve implements ratelimit.Limiter.
func (l *Limiter) Reserve(ctx context.Context, key string) (time.Duration, error) {
	if l.interval == 0 {
		return 0, nil
	}
	if l.s.d.name() != "postgres" {
		return 0, errLimiterDialect
	}
	now := l.s.now().UnixMicro()
	k := limiterKey(key)
	var counted bool
	var free int64
	err := l.s.within(ctx, l.s.lim.Call, func(ctx context.Context) error {
		args := append(l.reserveArgs(k, now), l.scope, k)
		return l.s.d.translate(l.s.db.QueryRowContext(ctx, l.s.d.rebind(reserveSQL), args...).Scan(&counted, &free))
	})
	if err != nil {
		return 0, err
	}
	return l.reserved(ctx, counted, free, now), nil
}

// reserved is the wait after a reservation at now: 0 when it counted,
// else until the key has an attempt again (free: when all its attempts
// are back, as read before the reservation). Every so many reservations
// it sweeps the rows whose attempts are all back.
func (l *Limiter) reserved(ctx context.Context, counted bool, free, now int64) time.Duration {
	if l.calls.Add(1)%sweepEvery == 0 {
		l.sweep(ctx, now)
	}
	if counted {
		return 0
	}
	wait := time.Duration(max(free, now)+l.interval-l.burst-now) * time.Microsecond
	if wait <= 0 {
		// The row changed between the statement's snapshot and its
		// upsert (another instance counted at the same moment).
		wait = time.Duration(l.interval) * time.Microsecond
	}
	return wait
}

// Release implements ratelimit.Limiter.
func (l *Limiter) Release(ctx context.Context, key string) error {
	if l.interval == 0 {
		return nil
	}
	return l.exec(ctx, l.s.d.rebind(releaseSQL), l.interval, l.scope, limiterKey(key))
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
