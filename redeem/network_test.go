package redeem

import (
	"context"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/ratelimit"
)

// A client that moves to another address of its network keeps its
// budget: IPv6 counts per /64, IPv4 per address, unless configured
// otherwise; IPv4-mapped IPv6 is IPv4.
func TestFailuresFromOneNetworkShareOneBudget(t *testing.T) {
	cases := []struct {
		name     string
		prefixes ratelimit.Prefixes
		fails    []string // one failure from each, the limit being 3
		probe    string
		limited  bool
	}{
		{"IPv6 rotation within a /64", ratelimit.Prefixes{}, []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:abcd::3"}, "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"another /64", ratelimit.Prefixes{}, []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"}, "2001:db8:1:3::1", false},
		{"one IPv4 address", ratelimit.Prefixes{}, []string{"203.0.113.1", "203.0.113.1", "203.0.113.1"}, "203.0.113.1", true},
		{"IPv4-mapped IPv6 is IPv4", ratelimit.Prefixes{}, []string{"203.0.113.1", "::ffff:203.0.113.1", "203.0.113.1"}, "::ffff:203.0.113.1", true},
		{"IPv4 counts per address", ratelimit.Prefixes{}, []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, "203.0.113.4", false},
		{"a configured IPv4 /24", ratelimit.Prefixes{IPv4: 24}, []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, "203.0.113.4", true},
		{"outside the configured /24", ratelimit.Prefixes{IPv4: 24}, []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, "203.0.114.1", false},
		{"a configured IPv6 /128", ratelimit.Prefixes{IPv6: 128}, []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"}, "2001:db8:1:2::4", false},
		{"a configured IPv6 /48", ratelimit.Prefixes{IPv6: 48}, []string{"2001:db8:1:2::1", "2001:db8:1:3::2", "2001:db8:1:4::3"}, "2001:db8:1:5::4", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
			store := &fakeStore{res: lt.RedeemResult{Code: lt.ETOKENINVALID}}
			svc := &Service{Store: store, Issuer: &fakeIssuer{}, Limiter: NewLimiter(3, c.now), Prefixes: tc.prefixes}
			try := func(ip string) string {
				r, err := svc.Redeem(context.Background(), Request{RedeemRequest: lt.RedeemRequest{Value: "x", ClientIP: ip}})
				if err != nil {
					t.Fatal(err)
				}
				return r.Code
			}
			for _, ip := range tc.fails {
				if code := try(ip); code != lt.ETOKENINVALID {
					t.Fatalf("failure from %s: %q", ip, code)
				}
			}
			if code := try(tc.probe); (code == lt.ERATELIMITED) != tc.limited {
				t.Fatalf("then %s: %q, limited want %v", tc.probe, code, tc.limited)
			}
		})
	}
}
