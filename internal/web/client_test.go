package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

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
