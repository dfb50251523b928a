package redeem

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimiterBlocksAnAddressAfterItsFailuresForAMinute(t *testing.T) {
	c := &clock{time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	l := NewLimiter(3, c.now)
	for i := range 3 {
		if w := l.Blocked("a"); w != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("a")
		c.t = c.t.Add(10 * time.Second)
	}
	// Failures at 0s, 10s, 20s; now 30s: blocked until 60s.
	if w := l.Blocked("a"); w != 30*time.Second {
		t.Fatalf("wait %v, want 30s", w)
	}
	if w := l.Blocked("b"); w != 0 {
		t.Fatal("another address is blocked")
	}
	c.t = c.t.Add(30 * time.Second) // the first failure is a minute old
	if w := l.Blocked("a"); w != 0 {
		t.Fatalf("still blocked: %v", w)
	}
	l.Fail("a")
	if w := l.Blocked("a"); w != 10*time.Second {
		t.Fatalf("wait %v, want 10s (the failure at 10s expires at 70s)", w)
	}
	c.t = c.t.Add(2 * time.Minute)
	l.Fail("z") // sweeps
	if _, ok := l.failures["a"]; ok {
		t.Fatal("an address with only old failures was kept")
	}
	if w := NewLimiter(0, c.now); w.Blocked("a") != 0 {
		t.Fatal("a zero limit blocks")
	}
}

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
	c := &clock{time.Now()}
	store := &fakeStore{res: lt.RedeemResult{Code: lt.ETOKENINVALID}}
	svc := &Service{Store: store, Issuer: &fakeIssuer{}, Limiter: NewLimiter(2, c.now)}
	req := Request{RedeemRequest: lt.RedeemRequest{Value: "x", ClientIP: "203.0.113.9"}}
	for range 2 {
		if r, _ := svc.Redeem(context.Background(), req); r.Code != lt.ETOKENINVALID {
			t.Fatalf("code %q", r.Code)
		}
	}
	r, _ := svc.Redeem(context.Background(), req)
	if r.Code != lt.ERATELIMITED || r.RetryAfter <= 0 || store.calls != 2 {
		t.Fatalf("third try: %+v, store called %d times (a limited try must count nothing)", r, store.calls)
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

func TestClientAddressTrustsForwardedForOnlyFromTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		peer, xff string
		trusted   []netip.Prefix
		want      string
	}{
		{"203.0.113.5:4000", "198.51.100.1", nil, "203.0.113.5"},
		{"203.0.113.5:4000", "198.51.100.1", trusted, "203.0.113.5"},
		{"10.0.0.2:4000", "198.51.100.1", trusted, "198.51.100.1"},
		{"10.0.0.2:4000", "6.6.6.6, 198.51.100.1, 10.0.0.9", trusted, "198.51.100.1"},
		{"10.0.0.2:4000", "", trusted, "10.0.0.2"},
		{"10.0.0.2:4000", "garbage", trusted, "10.0.0.2"},
		{"[::ffff:192.0.2.1]:80", "", nil, "192.0.2.1"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := ClientAddress(r, tc.trusted); got != tc.want {
			t.Errorf("peer %s xff %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}
