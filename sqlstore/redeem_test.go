package sqlstore_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// wrongSecret keeps the id of value and swaps its secret.
func wrongSecret(value string) string {
	i := strings.LastIndex(value, "_")
	return value[:i+1] + strings.Repeat("A", 32)
}

func TestRedeemOutcomesInContractOrder(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		co := mustCompany(t, s, "Acme")
		c := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		cu := mustCustomer(t, s, "Carl", "Cash", "carl@example.test")
		hour := t0.Add(time.Hour)

		usedAndExpired := mustToken(t, s, lt.NewToken{ContactID: &c.ID, ExpiresAt: &hour, OneTimeUse: true})
		expired := mustToken(t, s, lt.NewToken{CustomerID: &cu.ID, ExpiresAt: &hour})
		disabledAndExpired := mustToken(t, s, lt.NewToken{CustomerID: &cu.ID, ExpiresAt: &hour})
		anon := mustToken(t, s, lt.NewToken{})
		if r := redeem(t, s, usedAndExpired.Value); r.Code != "" {
			t.Fatalf("first use of one-time token: %+v", r)
		}
		clock.Add(2 * time.Hour) // now all expiring tokens are expired
		if _, err := s.UpdateCustomer(ctx, cu.ID, lt.PersonUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		disabledOnly := mustToken(t, s, lt.NewToken{CustomerID: ptr(mustCustomer(t, s, "Del", "Eted", "del@example.test").ID)})
		if err := s.DeleteCustomer(ctx, disabledOnly.User.ID); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name, value, code string
			counted           bool
		}{
			{"malformed", "not-a-token", lt.ETOKENINVALID, false},
			{"unknown id", "lt_zzzzzzzzzzzzzzzz_" + strings.Repeat("A", 32), lt.ETOKENINVALID, false},
			{"wrong secret beats used and expired", wrongSecret(usedAndExpired.Value), lt.ETOKENINVALID, true},
			{"used beats expired", usedAndExpired.Value, lt.ETOKENUSED, true},
			{"expired beats disabled", disabledAndExpired.Value, lt.ETOKENEXPIRED, true},
			{"expired", expired.Value, lt.ETOKENEXPIRED, true},
			{"deleted user", disabledOnly.Value, lt.EUSERDISABLED, true},
			{"anonymous succeeds", anon.Value, "", true},
		}
		for _, tc := range cases {
			id, _, _ := lt.ParseValue(lt.TokenPrefix, tc.value)
			var before *lt.LoginToken
			if tc.counted {
				before, _ = s.FindTokenByID(ctx, id)
			}
			clock.Add(time.Minute)
			res := redeem(t, s, tc.value)
			if res.Code != tc.code {
				t.Errorf("%s: code %q, want %q", tc.name, res.Code, tc.code)
				continue
			}
			if tc.code == lt.ETOKENINVALID && res.Token != nil {
				t.Errorf("%s: an invalid value learned about token %s", tc.name, res.Token.ID)
			}
			if !tc.counted {
				continue
			}
			after, err := s.FindTokenByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if after.LastAccessedAt == nil || !after.LastAccessedAt.Equal(clock.T) {
				t.Errorf("%s: lastAccessedAt = %v, want %v", tc.name, after.LastAccessedAt, clock.T)
			}
			ds, df := after.SuccessfulAttempts-before.SuccessfulAttempts, after.FailedAttempts-before.FailedAttempts
			if (tc.code == "" && (ds != 1 || df != 0)) || (tc.code != "" && (ds != 0 || df != 1)) {
				t.Errorf("%s: counters moved by +%d/+%d", tc.name, ds, df)
			}
			events, _, err := s.FindTokenEvents(ctx, id, 1, 1)
			if err != nil || len(events) != 1 {
				t.Fatalf("%s: events %v, %v", tc.name, events, err)
			}
			var details map[string]any
			json.Unmarshal(events[0].Details, &details)
			wantType := lt.EventTokenRejected
			if tc.code == "" {
				wantType = lt.EventTokenRedeemed
			}
			if events[0].Type != wantType || events[0].ClientIP != "198.51.100.7" || events[0].Actor != "apikey:test" ||
				(tc.code != "" && details["reason"] != tc.code) {
				t.Errorf("%s: audit event %+v %s", tc.name, events[0], events[0].Details)
			}
		}
	})
}

func TestRedeemOneTimeTokenConcurrentlySucceedsExactlyOnce(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{OneTimeUse: true})
		const n = 64
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
		if count[""] != 1 || count[lt.ETOKENUSED] != n-1 {
			t.Fatalf("outcomes %v, want 1 success and %d %s", count, n-1, lt.ETOKENUSED)
		}
		got, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SuccessfulAttempts != 1 || got.FailedAttempts != n-1 || got.Status != lt.StatusUsed {
			t.Fatalf("counters %d/%d status %s, want 1/%d used", got.SuccessfulAttempts, got.FailedAttempts, got.Status, n-1)
		}
		_, total, err := s.FindTokenEvents(ctx, tok.ID, 1, 1)
		if err != nil || total != n+1 { // created + n attempts
			t.Fatalf("audit events %d (%v), want %d", total, err, n+1)
		}
	})
}

func TestRedeemReusableTokenCountsEverySuccess(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{})
		const workers, each = 20, 500
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					res, err := s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, Actor: "apikey:test"})
					if err != nil || res.Code != "" {
						t.Errorf("redeem: %+v %v", res, err)
						return
					}
				}
			})
		}
		wg.Wait()
		got, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SuccessfulAttempts != workers*each || got.FailedAttempts != 0 {
			t.Fatalf("successfulAttempts = %d, failedAttempts = %d, want %d and 0", got.SuccessfulAttempts, got.FailedAttempts, workers*each)
		}
	})
}

func TestRegenerateStopsOldValueAtOnce(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{})
		re, err := s.RegenerateToken(ctx, staff, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if re.Value == tok.Value || re.ID != tok.ID {
			t.Fatalf("regenerate kept the value or changed the id: %s -> %s", tok.Value, re.Value)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENINVALID {
			t.Fatalf("old value: %q, want %s", r.Code, lt.ETOKENINVALID)
		}
		if r := redeem(t, s, re.Value); r.Code != "" {
			t.Fatalf("new value: %q", r.Code)
		}
		if v, err := s.RevealToken(ctx, staff, tok.ID, ""); err != nil || v != re.Value {
			t.Fatalf("reveal after regenerate = %q, %v; want the new value", v, err)
		}
		_, err = s.RegenerateToken(ctx, staff, "zzzzzzzzzzzzzzzz")
		wantCode(t, err, lt.ENOTFOUND)
	})
}
