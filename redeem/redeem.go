// Package redeem is the one sign-in path shared by the API's redeem route,
// the browser's /login and the OCI entry: the per-address failure limit,
// the store's atomic redeem, and the signed assertion.
package redeem

import (
	"context"
	"fmt"
	"sync"
	"time"

	lt "github.com/logintokens/logintokens"
)

// Service redeems token values.
type Service struct {
	Store   lt.Redeemer
	Issuer  lt.AssertionIssuer
	Limiter *Limiter
}

// Request is one presentation with what the assertion should carry beyond
// the token's user.
type Request struct {
	lt.RedeemRequest
	OCI map[string]string
	Act *lt.Impersonator
}

// Result is a redeem's answer. Code is "" on success, else the refusal's
// code; RetryAfter is set with RATE_LIMITED.
type Result struct {
	Code       string
	Token      *lt.LoginToken
	Assertion  string
	RetryAfter time.Duration
}

// Redeem applies CONTRACT §5 "Redeem outcomes": the limit first (counting
// nothing), then the store's checks; each failure counts toward the
// client address's limit.
func (s *Service) Redeem(ctx context.Context, req Request) (Result, error) {
	if wait := s.Limiter.Blocked(req.ClientIP); wait > 0 {
		return Result{Code: lt.ERATELIMITED, RetryAfter: wait}, nil
	}
	if req.Act != nil {
		req.Impersonator = req.Act.Sub
	}
	res, err := s.Store.Redeem(ctx, req.RedeemRequest)
	if err != nil {
		return Result{}, err
	}
	if res.Code != "" {
		s.Limiter.Fail(req.ClientIP)
		return Result{Code: res.Code, Token: res.Token}, nil
	}
	act := req.Act
	if act == nil {
		// A token staff made to open the shop as its user carries them.
		act = res.Token.Act
	}
	jwt, err := s.Issuer.Issue(ctx, lt.Assertion{Token: res.Token, OCI: req.OCI, Act: act})
	if err != nil {
		return Result{}, fmt.Errorf("sign assertion: %w", err)
	}
	return Result{Token: res.Token, Assertion: jwt}, nil
}

// Limiter counts redeem failures per client address over a sliding minute,
// in this instance's memory (CONTRACT §5: kept per instance).
type Limiter struct {
	perMinute int
	now       func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // the failures of the last minute, oldest first
	swept    time.Time
}

// maxAddresses caps the limiter's memory under a flood of addresses; past
// it, addresses whose failures are all over a minute old are dropped first.
const maxAddresses = 100_000

// NewLimiter allows perMinute failures per address per minute; 0 or less
// turns the limit off.
func NewLimiter(perMinute int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{perMinute: perMinute, now: now, failures: map[string][]time.Time{}}
}

// Blocked returns how long addr must wait, or 0 when it may try.
func (l *Limiter) Blocked(addr string) time.Duration {
	if l == nil || l.perMinute <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.recent(addr, now)
	if len(fs) < l.perMinute {
		return 0
	}
	wait := fs[len(fs)-l.perMinute].Add(time.Minute).Sub(now)
	return max(wait, time.Second)
}

// Fail records a failure of addr.
func (l *Limiter) Fail(addr string) {
	if l == nil || l.perMinute <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := append(l.recent(addr, now), now)
	if len(fs) > l.perMinute {
		fs = fs[len(fs)-l.perMinute:]
	}
	l.failures[addr] = fs
	if len(l.failures) > maxAddresses || now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
}

// recent drops addr's failures older than a minute and returns the rest.
func (l *Limiter) recent(addr string, now time.Time) []time.Time {
	fs := l.failures[addr]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= time.Minute {
		i++
	}
	if i == len(fs) {
		delete(l.failures, addr)
		return nil
	}
	return fs[i:]
}

func (l *Limiter) sweep(now time.Time) {
	l.swept = now
	for addr := range l.failures {
		l.recent(addr, now)
	}
}
