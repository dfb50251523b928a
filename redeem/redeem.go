// Package redeem is the one sign-in path shared by the API's redeem route,
// the browser's /login and the OCI entry: the failure limit per client
// network, the store's atomic redeem, and the signed assertion.
package redeem

import (
	"context"
	"fmt"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/ratelimit"
)

// Service redeems token values.
type Service struct {
	Store  lt.Redeemer
	Issuer lt.AssertionIssuer
	// Limiter counts failures per client network (nil: no limit).
	Limiter ratelimit.Limiter
	// Prefixes group client addresses into those networks (zero:
	// ratelimit.DefaultPrefixes).
	Prefixes ratelimit.Prefixes
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

// Redeem reserves an attempt of the client's network before it asks the
// store: with none left it answers RATE_LIMITED and the store is not
// asked, so nothing is counted or audited on the token. The reservation
// counts at once, so a client with many requests in flight gets exactly
// its limit; a success or an error of ours gives it back, and every
// refusal by the store (malformed, unknown, wrong secret, used, expired,
// disabled) keeps it as a failure.
func (s *Service) Redeem(ctx context.Context, req Request) (Result, error) {
	if req.Act != nil {
		req.Impersonator = req.Act.Sub
	}
	res, wait, err := s.redeem(ctx, req.RedeemRequest)
	if err != nil {
		return Result{}, err
	}
	if wait > 0 {
		return Result{Code: lt.ERATELIMITED, RetryAfter: wait}, nil
	}
	if res.Code != "" {
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

// NewLimiter returns the redeem failure limit of one instance: perMinute
// failures per client network at once, then one more every minute /
// perMinute. 0 or less turns the limit off.
func NewLimiter(perMinute int, now func() time.Time) *ratelimit.Memory {
	return ratelimit.NewMemory(ratelimit.Policy{Limit: perMinute, Per: time.Minute}, now)
}

// A limitedRedeemer takes the limit's attempt in the statements of the
// store's own redeem, with the rule of redeem below, in fewer round trips.
// handled is false when it did nothing for this store or request.
type limitedRedeemer interface {
	RedeemLimited(ctx context.Context, st lt.Redeemer, req lt.RedeemRequest, key string) (res lt.RedeemResult, wait time.Duration, handled bool, err error)
}

// redeem asks the store with an attempt of the client's network reserved:
// wait > 0 when it has none left (the store was not asked); a success or
// an error of ours gives the attempt back.
func (s *Service) redeem(ctx context.Context, req lt.RedeemRequest) (lt.RedeemResult, time.Duration, error) {
	if s.Limiter == nil {
		res, err := s.Store.Redeem(ctx, req)
		return res, 0, err
	}
	key := s.Prefixes.Key(req.ClientIP)
	if l, ok := s.Limiter.(limitedRedeemer); ok {
		if res, wait, handled, err := l.RedeemLimited(ctx, s.Store, req, key); handled {
			return res, wait, err
		}
	}
	wait, err := s.Limiter.Reserve(ctx, key)
	if err != nil {
		return lt.RedeemResult{}, 0, fmt.Errorf("rate limit: %w", err)
	}
	if wait > 0 {
		return lt.RedeemResult{}, wait, nil
	}
	res, err := s.Store.Redeem(ctx, req)
	if err != nil || res.Code == "" {
		// It must happen even when the client has gone; a release that
		// fails only leaves the attempt counted.
		_ = s.Limiter.Release(context.WithoutCancel(ctx), key)
	}
	return res, 0, err
}
