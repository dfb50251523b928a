package sqlstore_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// betweenReadAndCount makes change run once, at the next redeem's first
// look at the clock: on PostgreSQL a success is counted by one statement
// after the token was read without a lock, and that look comes between
// the two. change gets a few seconds: a redeem that held the token's row
// there (a transaction) would keep a change of the row waiting for ever.
func betweenReadAndCount(t *testing.T, s *sqlstore.Store, change func(ctx context.Context) error) {
	t.Helper()
	onNthNow(t, s, 1, change)
}

// onNthNow makes change run once, at s's n-th look at the clock (from 1),
// with a few seconds to finish.
func onNthNow(t *testing.T, s *sqlstore.Store, n int32, change func(ctx context.Context) error) {
	t.Helper()
	var calls atomic.Int32
	clock := s.Now
	s.Now = func() time.Time {
		if calls.Add(1) == n {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := change(ctx); err != nil {
				t.Errorf("the change at the clock's look %d: %v (a redeem that locks the token's row before counting makes it wait)", n, err)
			}
		}
		return clock()
	}
	t.Cleanup(func() { s.Now = clock })
}

// warmRedeem redeems a token of its own, so that the store has read the
// webhook subscriptions and a redeem may count at once.
func warmRedeem(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	if r := redeem(t, s, mustToken(t, s, lt.NewToken{}).Value); r.Code != "" {
		t.Fatalf("warm-up redeem: %+v", r)
	}
}

func eventTypes(t *testing.T, s *sqlstore.Store, id string) []string {
	t.Helper()
	events, _, err := s.FindTokenEvents(ctx, id, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i := len(events) - 1; i >= 0; i-- {
		types = append(types, events[i].Type)
	}
	return types
}

func TestATokenChangedWhileARedeemReadsItIsDecidedAsChanged(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	tok := mustToken(t, s, lt.NewToken{})
	past := time.Now().Add(-time.Hour)
	betweenReadAndCount(t, s, func(ctx context.Context) error {
		_, _, err := s.UpdateToken(ctx, lt.Actor{Name: "staff:1"}, tok.ID, lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: &past})
		return err
	})
	if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENEXPIRED {
		t.Fatalf("redeem of a token that expired while it was read: %+v, want %s", r, lt.ETOKENEXPIRED)
	}
	got, err := s.FindTokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SuccessfulAttempts != 0 || got.FailedAttempts != 1 {
		t.Fatalf("counters %d/%d, want 0/1", got.SuccessfulAttempts, got.FailedAttempts)
	}
	want := []string{lt.EventTokenCreated, lt.EventTokenUpdated, lt.EventTokenRejected}
	if types := eventTypes(t, s, tok.ID); !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

func TestATokenDeletedWhileARedeemReadsItIsInvalid(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	tok := mustToken(t, s, lt.NewToken{})
	betweenReadAndCount(t, s, func(ctx context.Context) error {
		return s.DeleteToken(ctx, lt.Actor{Name: "staff:1"}, tok.ID)
	})
	if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENINVALID {
		t.Fatalf("redeem of a token deleted while it was read: %+v, want %s", r, lt.ETOKENINVALID)
	}
	want := []string{lt.EventTokenCreated, lt.EventTokenDeleted}
	if types := eventTypes(t, s, tok.ID); !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

func TestAOneTimeTokenUsedWhileARedeemReadsItIsUsed(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	tok := mustToken(t, s, lt.NewToken{OneTimeUse: true})
	var other lt.RedeemResult
	betweenReadAndCount(t, s, func(ctx context.Context) error {
		var err error
		other, err = s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, Actor: "apikey:other"})
		return err
	})
	r := redeem(t, s, tok.Value)
	if other.Code != "" || r.Code != lt.ETOKENUSED {
		t.Fatalf("the redeem in between: %+v, the one around it: %+v; want a success, then %s", other, r, lt.ETOKENUSED)
	}
	got, err := s.FindTokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SuccessfulAttempts != 1 || got.FailedAttempts != 1 || got.Status != lt.StatusUsed {
		t.Fatalf("counters %d/%d status %s, want 1/1 used", got.SuccessfulAttempts, got.FailedAttempts, got.Status)
	}
	want := []string{lt.EventTokenCreated, lt.EventTokenRedeemed, lt.EventTokenRejected}
	if types := eventTypes(t, s, tok.ID); !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

// A success counted at once is audited as the locked transaction audits
// it, and answers the token's counters as they are after it.
func TestASuccessCountedAtOnceIsAuditedInFull(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		warmRedeem(t, s)
		tok := mustToken(t, s, lt.NewToken{})
		for i := 1; i <= 3; i++ {
			res, err := s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, Actor: "apikey:shop", ClientIP: "203.0.113.9",
				UserAgent: "Procurement/1.0", ShopID: 0})
			if err != nil || res.Code != "" {
				t.Fatalf("redeem %d: %+v %v", i, res, err)
			}
			if res.Token.SuccessfulAttempts != int64(i) || res.Token.LastAccessedAt == nil || res.Token.Status != lt.StatusActive {
				t.Fatalf("redeem %d answered %d successes, last access %v, status %s", i, res.Token.SuccessfulAttempts, res.Token.LastAccessedAt, res.Token.Status)
			}
		}
		events, total, err := s.FindTokenEvents(ctx, tok.ID, 1, 1)
		if err != nil || total != 4 {
			t.Fatalf("events %d (%v), want 4", total, err)
		}
		e := events[0]
		var details map[string]any
		if err := json.Unmarshal(e.Details, &details); err != nil {
			t.Fatal(err)
		}
		if e.Type != lt.EventTokenRedeemed || e.Actor != "apikey:shop" || e.ClientIP != "203.0.113.9" ||
			details["userAgent"] != "Procurement/1.0" || len(details) != 1 || e.At.IsZero() {
			t.Fatalf("the last redeem's event: %+v %v", e, details)
		}
		got, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SuccessfulAttempts != 3 || got.FailedAttempts != 0 || got.LastAccessedAt == nil {
			t.Fatalf("stored counters %d/%d, last access %v", got.SuccessfulAttempts, got.FailedAttempts, got.LastAccessedAt)
		}
	})
}
