package redeem

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fakeStore struct {
	res   lt.RedeemResult
	calls int
}

func (f *fakeStore) Redeem(context.Context, lt.RedeemRequest) (lt.RedeemResult, error) {
	f.calls++
	return f.res, nil
}

type fakeIssuer struct{ got lt.Assertion }

func (f *fakeIssuer) Issue(_ context.Context, a lt.Assertion) (string, error) {
	f.got = a
	if a.Token == nil {
		return "", errors.New("no token")
	}
	return "jwt", nil
}

func TestServiceCountsFailuresAndRateLimitsBeforeTheStore(t *testing.T) {
	c := &clock{t: time.Now()}
	store := &fakeStore{res: lt.RedeemResult{Code: lt.ETOKENINVALID}}
	svc := &Service{Store: store, Issuer: &fakeIssuer{}, Limiter: NewLimiter(2, c.now)}
	req := Request{RedeemRequest: lt.RedeemRequest{Value: "x", ClientIP: "203.0.113.9"}}
	for range 2 {
		if r, _ := svc.Redeem(context.Background(), req); r.Code != lt.ETOKENINVALID {
			t.Fatalf("code %q", r.Code)
		}
	}
	r, _ := svc.Redeem(context.Background(), req)
	if r.Code != lt.ERATELIMITED || r.RetryAfter != 30*time.Second || store.calls != 2 {
		t.Fatalf("third try: %+v, store called %d times (a limited try must count nothing; one try comes back every 30s)", r, store.calls)
	}
	// A success signs an assertion with the impersonator.
	iss := &fakeIssuer{}
	store.res = lt.RedeemResult{Token: &lt.LoginToken{ID: "abcdefghijklmnop"}}
	svc = &Service{Store: store, Issuer: iss, Limiter: NewLimiter(2, c.now)}
	r, err := svc.Redeem(context.Background(), Request{RedeemRequest: req.RedeemRequest, Act: &lt.Impersonator{Sub: "staff:1"}})
	if err != nil || r.Code != "" || r.Assertion != "jwt" || iss.got.Act.Sub != "staff:1" {
		t.Fatalf("success: %+v %v", r, err)
	}
}

// gateStore refuses every value, but only once the test opens its gate:
// until then the requests that reached it wait inside, as on a slow
// database.
type gateStore struct {
	arrived chan struct{}
	open    chan struct{}
	calls   atomic.Int64
}

func (g *gateStore) Redeem(context.Context, lt.RedeemRequest) (lt.RedeemResult, error) {
	g.calls.Add(1)
	g.arrived <- struct{}{}
	<-g.open
	return lt.RedeemResult{Code: lt.ETOKENINVALID}, nil
}

// Requests in flight count at once: of 200 wrong values sent together from
// one address, exactly the limit reach the store, however slow it is.
func TestConcurrentFailuresFromOneAddressReachTheStoreExactlyTheLimit(t *testing.T) {
	const limit, n = 20, 200
	c := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	store := &gateStore{arrived: make(chan struct{}, n), open: make(chan struct{})}
	svc := &Service{Store: store, Issuer: &fakeIssuer{}, Limiter: NewLimiter(limit, c.now)}
	req := Request{RedeemRequest: lt.RedeemRequest{Value: "x", ClientIP: "203.0.113.9"}}
	results := make(chan Result, n)
	for range n {
		go func() {
			r, err := svc.Redeem(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			results <- r
		}()
	}
	// Every request either reaches the store or is answered without it;
	// only then does the store answer the ones inside.
	codes := map[string]int{}
	var reached, answered int
	for reached+answered < n {
		select {
		case <-store.arrived:
			reached++
		case r := <-results:
			answered++
			codes[r.Code]++
		}
	}
	close(store.open)
	for answered < n {
		r := <-results
		answered++
		codes[r.Code]++
	}
	if reached != limit || store.calls.Load() != limit || codes[lt.ETOKENINVALID] != limit || codes[lt.ERATELIMITED] != n-limit {
		t.Fatalf("%d reached the store; answers %v; want exactly %d and %d RATE_LIMITED", reached, codes, limit, n-limit)
	}
	// Every failure counted: the next request is refused too.
	if r, _ := svc.Redeem(context.Background(), req); r.Code != lt.ERATELIMITED {
		t.Fatalf("after the flood: %q", r.Code)
	}
}

// A success gives its attempt back: an address that signs in keeps its
// whole budget of failures.
func TestASuccessDoesNotCountTowardTheLimit(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	store := &fakeStore{res: lt.RedeemResult{Token: &lt.LoginToken{ID: "abcdefghijklmnop"}}}
	svc := &Service{Store: store, Issuer: &fakeIssuer{}, Limiter: NewLimiter(2, c.now)}
	req := Request{RedeemRequest: lt.RedeemRequest{Value: "x", ClientIP: "203.0.113.9"}}
	for i := range 10 {
		if r, err := svc.Redeem(context.Background(), req); err != nil || r.Code != "" {
			t.Fatalf("success %d: %+v %v", i+1, r, err)
		}
	}
	store.res = lt.RedeemResult{Code: lt.ETOKENINVALID}
	for i := range 2 {
		if r, _ := svc.Redeem(context.Background(), req); r.Code != lt.ETOKENINVALID {
			t.Fatalf("failure %d after the successes: %q", i+1, r.Code)
		}
	}
	if r, _ := svc.Redeem(context.Background(), req); r.Code != lt.ERATELIMITED {
		t.Fatalf("third failure: %q", r.Code)
	}
}
