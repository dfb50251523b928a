package sqlstore_test

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// A token of N uses gives exactly N successes to 64 clients at once: the
// others are TOKEN_USED, counted as failures, and it is then used.
func TestRedeemNUseTokenConcurrentlySucceedsExactlyNTimes(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		const n, uses = 64, 5
		tok := mustToken(t, s, lt.NewToken{MaxUses: ptr(int64(uses))})
		if tok.MaxUses == nil || *tok.MaxUses != uses || tok.OneTimeUse {
			t.Fatalf("created maxUses %v oneTimeUse %v", tok.MaxUses, tok.OneTimeUse)
		}
		codes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				res, err := s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, Actor: "apikey:test"})
				if err != nil {
					t.Errorf("redeem %d: %v", i, err)
				}
				codes[i] = res.Code
			})
		}
		close(start)
		wg.Wait()
		count := map[string]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[""] != uses || count[lt.ETOKENUSED] != n-uses {
			t.Fatalf("outcomes %v, want %d successes and %d %s", count, uses, n-uses, lt.ETOKENUSED)
		}
		got, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SuccessfulAttempts != uses || got.FailedAttempts != n-uses || got.Status != lt.StatusUsed {
			t.Fatalf("counters %d/%d status %s, want %d/%d used", got.SuccessfulAttempts, got.FailedAttempts, got.Status, uses, n-uses)
		}
	})
}

// Lowering the uses allowed below the successes made leaves the token
// used; raising them makes it active again; null lifts the limit.
func TestMaxUsesChangesDecideTheStatus(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{MaxUses: ptr(int64(3))})
		for range 2 {
			if r := redeem(t, s, tok.Value); r.Code != "" {
				t.Fatalf("redeem: %q", r.Code)
			}
		}
		set := func(n *int64) *lt.LoginToken {
			t.Helper()
			got, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{MaxUsesSet: true, MaxUses: n})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := set(ptr(int64(2))); got.Status != lt.StatusUsed || got.OneTimeUse {
			t.Fatalf("maxUses 2 after 2 successes: status %s", got.Status)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENUSED {
			t.Fatalf("redeem of a used token: %q", r.Code)
		}
		if got := set(ptr(int64(1))); !got.OneTimeUse || got.Status != lt.StatusUsed {
			t.Fatalf("maxUses 1: oneTimeUse %v status %s", got.OneTimeUse, got.Status)
		}
		if got := set(nil); got.MaxUses != nil || got.Status != lt.StatusActive {
			t.Fatalf("no limit: maxUses %v status %s", got.MaxUses, got.Status)
		}
		if r := redeem(t, s, tok.Value); r.Code != "" {
			t.Fatalf("redeem without a limit: %q", r.Code)
		}
		// The older field: true is maxUses 1, false lifts only a limit of 1.
		got, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{OneTimeUse: ptr(true)})
		if err != nil || got.MaxUses == nil || *got.MaxUses != 1 {
			t.Fatalf("oneTimeUse true: %v %v", got.MaxUses, err)
		}
		got, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{OneTimeUse: ptr(false)})
		if err != nil || got.MaxUses != nil {
			t.Fatalf("oneTimeUse false: %v %v", got.MaxUses, err)
		}
		set(ptr(int64(7)))
		got, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{OneTimeUse: ptr(false)})
		if err != nil || got.MaxUses == nil || *got.MaxUses != 7 {
			t.Fatalf("oneTimeUse false on maxUses 7: %v %v", got.MaxUses, err)
		}
		_, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{MaxUsesSet: true, MaxUses: ptr(int64(0))})
		wantField(t, err, lt.EINVALID, "maxUses")
		_, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{MaxUsesSet: true, MaxUses: ptr(int64(2)), OneTimeUse: ptr(true)})
		wantField(t, err, lt.EINVALID, "oneTimeUse")
		_, err = s.CreateToken(ctx, staff, lt.NewToken{MaxUses: ptr(int64(2)), OneTimeUse: true})
		wantField(t, err, lt.EINVALID, "oneTimeUse")
	})
}

// A token bound to networks signs in only from inside them, whatever the
// entry (they all pass the client address in the request): IPv4, IPv6,
// and IPv4-mapped IPv6 as its IPv4 address. A refusal is
// NETWORK_NOT_ALLOWED, counted as a failure with its audit reason, and
// comes before used and expired: outside, nothing more is learned.
func TestRedeemFromOutsideTheTokensNetworksIsRefused(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		tok := mustToken(t, s, lt.NewToken{Networks: []string{" 203.0.113.77/24", "2001:db8:1::/48", "", "198.51.100.9"}})
		if want := []string{"203.0.113.0/24", "2001:db8:1::/48", "198.51.100.9/32"}; !equalStrings(tok.Networks, want) {
			t.Fatalf("networks stored as %q, want %q", tok.Networks, want)
		}
		for _, tc := range []struct {
			ip   string
			code string
		}{
			{"203.0.113.5", ""},
			{"203.0.114.5", lt.ENETWORKREFUSED},
			{"::ffff:203.0.113.200", ""},
			{"::ffff:203.0.114.1", lt.ENETWORKREFUSED},
			{"198.51.100.9", ""},
			{"198.51.100.10", lt.ENETWORKREFUSED},
			{"2001:db8:1:ffff::1", ""},
			{"2001:db8:2::1", lt.ENETWORKREFUSED},
			{"", lt.ENETWORKREFUSED},
			{"not-an-address", lt.ENETWORKREFUSED},
		} {
			before, _ := s.FindTokenByID(ctx, tok.ID)
			res, err := s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, ClientIP: tc.ip, Actor: "apikey:test"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Code != tc.code {
				t.Errorf("from %q: %q, want %q", tc.ip, res.Code, tc.code)
				continue
			}
			after, _ := s.FindTokenByID(ctx, tok.ID)
			if tc.code != "" && after.FailedAttempts != before.FailedAttempts+1 {
				t.Errorf("from %q: refusal not counted as a failure", tc.ip)
			}
			if tc.code == "" && after.SuccessfulAttempts != before.SuccessfulAttempts+1 {
				t.Errorf("from %q: success not counted", tc.ip)
			}
			events, _, _ := s.FindTokenEvents(ctx, tok.ID, 1, 1)
			var details map[string]any
			json.Unmarshal(events[0].Details, &details)
			if tc.code != "" && (events[0].Type != lt.EventTokenRejected || details["reason"] != lt.ENETWORKREFUSED || events[0].ClientIP != tc.ip) {
				t.Errorf("from %q: audit %+v %s", tc.ip, events[0], events[0].Details)
			}
		}

		// Outside the networks, a used and expired token says only that.
		hour := t0.Add(time.Hour)
		one := mustToken(t, s, lt.NewToken{MaxUses: ptr(int64(1)), ExpiresAt: &hour, Networks: []string{"2001:db8::/32"}})
		if r, _ := s.Redeem(ctx, lt.RedeemRequest{Value: one.Value, ClientIP: "2001:db8::1"}); r.Code != "" {
			t.Fatalf("first use: %q", r.Code)
		}
		clock.Add(2 * time.Hour)
		if r, _ := s.Redeem(ctx, lt.RedeemRequest{Value: one.Value, ClientIP: "192.0.2.1"}); r.Code != lt.ENETWORKREFUSED {
			t.Fatalf("used and expired, from outside: %q, want %s", r.Code, lt.ENETWORKREFUSED)
		}
		if r, _ := s.Redeem(ctx, lt.RedeemRequest{Value: wrongSecret(one.Value), ClientIP: "192.0.2.1"}); r.Code != lt.ETOKENINVALID {
			t.Fatalf("wrong secret from outside: %q, want %s", r.Code, lt.ETOKENINVALID)
		}
		if r, _ := s.Redeem(ctx, lt.RedeemRequest{Value: one.Value, ClientIP: "2001:db8::2"}); r.Code != lt.ETOKENUSED {
			t.Fatalf("used, from inside: %q, want %s", r.Code, lt.ETOKENUSED)
		}

		// Clearing the networks frees the token; bad ones name the field.
		got, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{Networks: &[]string{}})
		if err != nil || len(got.Networks) != 0 {
			t.Fatalf("clear networks: %q %v", got.Networks, err)
		}
		if r, _ := s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, ClientIP: "192.0.2.1"}); r.Code != "" {
			t.Fatalf("after clearing: %q", r.Code)
		}
		_, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{Networks: &[]string{"10.0.0.0/33"}})
		wantField(t, err, lt.EINVALID, "networks")
		many := make([]string, lt.MaxNetworks+1)
		for i := range many {
			many[i] = "10.0." + itoa(i) + ".0/24"
		}
		_, err = s.CreateToken(ctx, staff, lt.NewToken{Networks: many})
		wantField(t, err, lt.EINVALID, "networks")
	})
}

// The list filters by the uses allowed, the unlimited ones, the older
// oneTimeUse and the binding to networks; the used status follows maxUses.
func TestListFiltersOnUsesAndNetworks(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		unlimited := mustToken(t, s, lt.NewToken{})
		one := mustToken(t, s, lt.NewToken{OneTimeUse: true})
		three := mustToken(t, s, lt.NewToken{MaxUses: ptr(int64(3)), Networks: []string{"192.0.2.0/24"}})
		threeUsed := mustToken(t, s, lt.NewToken{MaxUses: ptr(int64(3))})
		for range 3 {
			if r := redeem(t, s, threeUsed.Value); r.Code != "" {
				t.Fatal(r.Code)
			}
		}
		ids := func(f lt.TokenFilter) []string {
			t.Helper()
			f.Sort = lt.Sort{Key: lt.SortMaxUses}
			toks, n, err := s.FindTokens(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, tok := range toks {
				out = append(out, tok.ID)
			}
			if n != len(out) {
				t.Fatalf("found %d, listed %d", n, len(out))
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    lt.TokenFilter
			want []string
		}{
			{"maxUses eq 3", lt.TokenFilter{MaxUses: &lt.CountCondition{Op: lt.OpEq, N: 3}}, []string{three.ID, threeUsed.ID}},
			{"maxUses lt 3", lt.TokenFilter{MaxUses: &lt.CountCondition{Op: lt.OpLt, N: 3}}, []string{one.ID}},
			{"maxUses gt 1", lt.TokenFilter{MaxUses: &lt.CountCondition{Op: lt.OpGt, N: 1}}, []string{three.ID, threeUsed.ID}},
			{"unlimited", lt.TokenFilter{UnlimitedUses: ptr(true)}, []string{unlimited.ID}},
			{"limited", lt.TokenFilter{UnlimitedUses: ptr(false)}, []string{one.ID, three.ID, threeUsed.ID}},
			{"oneTimeUse", lt.TokenFilter{OneTimeUse: ptr(true)}, []string{one.ID}},
			{"not oneTimeUse", lt.TokenFilter{OneTimeUse: ptr(false)}, []string{three.ID, threeUsed.ID, unlimited.ID}},
			{"has networks", lt.TokenFilter{HasNetworks: ptr(true)}, []string{three.ID}},
			{"no networks", lt.TokenFilter{HasNetworks: ptr(false)}, []string{one.ID, threeUsed.ID, unlimited.ID}},
			{"used", lt.TokenFilter{Statuses: []lt.TokenStatus{lt.StatusUsed}}, []string{threeUsed.ID}},
			{"active", lt.TokenFilter{Statuses: []lt.TokenStatus{lt.StatusActive}}, []string{one.ID, three.ID, unlimited.ID}},
		} {
			got := ids(tc.f)
			if !sameSet(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		// Sorting by maxUses puts the unlimited last in both directions.
		for _, desc := range []bool{false, true} {
			toks, _, err := s.FindTokens(ctx, lt.TokenFilter{Sort: lt.Sort{Key: lt.SortMaxUses, Desc: desc}})
			if err != nil {
				t.Fatal(err)
			}
			if last := toks[len(toks)-1]; last.ID != unlimited.ID {
				t.Errorf("sort maxUses desc=%v: last %s (maxUses %v), want the unlimited token", desc, last.ID, last.MaxUses)
			}
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }
