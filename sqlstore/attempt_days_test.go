package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// wantChartIsTheTrail fails unless token id's chart equals a count of
// its attempts in the audit trail, with sum successes and failures in
// all (so that an empty chart and an empty trail do not pass).
func wantChartIsTheTrail(t *testing.T, s *sqlstore.Store, id, when string, successful, failed int64) {
	t.Helper()
	chart, err := s.TokenAttemptDays(ctx, id, lt.AttemptDays)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := s.CountAttemptDaysInTrail(ctx, id, lt.AttemptDays)
	if err != nil {
		t.Fatal(err)
	}
	var s1, f1 int64
	for i := range trail {
		s1 += trail[i].Successful
		f1 += trail[i].Failed
		if chart[i] != trail[i] {
			t.Errorf("%s: the chart has %+v, the trail %+v", when, chart[i], trail[i])
		}
	}
	if len(chart) != len(trail) {
		t.Errorf("%s: %d days in the chart, %d in the trail's count", when, len(chart), len(trail))
	}
	if s1 != successful || f1 != failed {
		t.Errorf("%s: the trail counts %d successful and %d failed, want %d and %d", when, s1, f1, successful, failed)
	}
}

func TestTokenAttemptDaysFollowTheTrailThroughRedeemsPruningAndDeletion(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		start := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
		clock := sqlstoretest.SetClock(s, start)
		tok := mustToken(t, s, lt.NewToken{MaxUses: ptr[int64](3)})
		other := mustToken(t, s, lt.NewToken{})
		wrong := "lt_" + tok.ID + "_" + strings.Repeat("A", 43)
		// Five days, two rounds a day (06:00 and 18:00): tok's value (3
		// successes, then TOKEN_USED), a wrong secret, other's value.
		for range 10 {
			redeem(t, s, tok.Value)
			redeem(t, s, wrong)
			redeem(t, s, other.Value)
			if err := s.AuditTokenEvent(ctx, staff, lt.EventTokenRevealed, tok.ID, nil); err != nil {
				t.Fatal(err)
			}
			clock.Add(12 * time.Hour)
		}
		// 30 failures hourly from 12-03 00:30, written in one statement.
		insertEvents(t, s, tok.ID, lt.EventTokenRejected, time.Date(2026, 12, 3, 0, 30, 0, 0, time.UTC), time.Hour, 30)
		wantChartIsTheTrail(t, s, tok.ID, "after the redeems", 3, 7+10+30)
		wantChartIsTheTrail(t, s, other.ID, "after the redeems", 10, 0)

		// Kept 3 days at 12-06 12:00: the cutoff is 12-03 12:00, in the
		// middle of a day with attempts on both sides of it.
		clock.T = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		if err := s.SetAuditRetention(ctx, staff, 3); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PruneAuditByRetention(ctx); err != nil || n == 0 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		// Left: the 5 rounds from 12-03 18:00 on (of tok, 5 wrong and 5
		// TOKEN_USED), and the 18 inserted from 12-03 12:30 on.
		wantChartIsTheTrail(t, s, tok.ID, "after pruning", 0, 10+18)
		wantChartIsTheTrail(t, s, other.ID, "after pruning", 5, 0)
		var older int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM token_attempt_days WHERE day < '2026-12-03'`).Scan(&older); err != nil {
			t.Fatal(err)
		}
		if older != 0 {
			t.Errorf("%d days before the cutoff's day are left", older)
		}

		// A deleted token's chart stays readable, as its trail does.
		if err := s.DeleteToken(ctx, staff, tok.ID); err != nil {
			t.Fatal(err)
		}
		wantChartIsTheTrail(t, s, tok.ID, "after the token's deletion", 0, 10+18)
	})
}

func TestMigration00022CountsTheAttemptsAlreadyInTheTrail(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s, err := sqlstore.Open(ctx, sqlstoretest.URL(t, kind), sqlstoretest.NewKeyring(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.MigrateTo(ctx, 21); err != nil {
				t.Fatalf("migrate to 00021: %v", err)
			}
			clock := sqlstoretest.SetClock(s, time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC))
			tok := mustToken(t, s, lt.NewToken{})
			for range 4 { // 12-04 23:00, 23:40; 12-05 00:20, 01:00
				redeem(t, s, tok.Value)
				redeem(t, s, "lt_"+tok.ID+"_"+strings.Repeat("A", 43))
				clock.Add(40 * time.Minute)
			}
			// And the events of a token gone long ago, 2 a day for 10 days.
			insertEvents(t, s, "gonetoken00001", lt.EventTokenRedeemed, time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC), 12*time.Hour, 20)
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			wantChartIsTheTrail(t, s, tok.ID, "after the migration", 4, 4)
			wantChartIsTheTrail(t, s, "gonetoken00001", "after the migration", 20, 0)
			days, err := s.TokenAttemptDays(ctx, tok.ID, lt.AttemptDays)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(days[len(days)-2:]); got != "[{2026-12-04 2 2} {2026-12-05 2 2}]" {
				t.Errorf("the last two days: %s", got)
			}
			// The rollup goes on from there.
			redeem(t, s, tok.Value)
			wantChartIsTheTrail(t, s, tok.ID, "after a redeem", 5, 4)
		})
	}
}
