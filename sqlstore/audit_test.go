package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// insertEvents adds n events of typ on token id, spread evenly (by
// step) from start on, straight into the table: many more than redeems
// could make in a test.
func insertEvents(tb testing.TB, s *sqlstore.Store, tokenID, typ string, start time.Time, step time.Duration, n int) {
	tb.Helper()
	var q string
	if s.Dialect() == "postgres" {
		q = `INSERT INTO audit_events (at, type, token_id, actor)
			SELECT $1::timestamptz + (g * $2::bigint) * interval '1 microsecond', $3, $4, 'apikey:test' FROM generate_series(0, $5 - 1) g`
	} else {
		q = `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i + 1 < ?5)
			INSERT INTO audit_events (at, type, token_id, actor)
			SELECT strftime('%Y-%m-%dT%H:%M:%f', ?1, '+' || (i * ?2 / 1000000.0) || ' seconds') || '000Z', ?3, ?4, 'apikey:test' FROM g`
	}
	var at any = start.UTC()
	if s.Dialect() != "postgres" {
		at = start.UTC().Format("2006-01-02 15:04:05")
	}
	if _, err := s.DB().ExecContext(context.Background(), q, at, step.Microseconds(), typ, tokenID, n); err != nil {
		tb.Fatalf("insert %d events: %v", n, err)
	}
}

func TestTokenAttemptDaysCountsSuccessesAndFailuresPerUTCDay(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, time.Date(2026, 12, 5, 23, 30, 0, 0, time.UTC))
		tok := mustToken(t, s, lt.NewToken{})
		other := mustToken(t, s, lt.NewToken{})
		redeem(t, s, tok.Value)
		redeem(t, s, tok.Value)
		redeem(t, s, tok.ID+"x") // malformed: no attempt on the token
		wrong := "lt_" + tok.ID + "_" + strings.Repeat("A", 43)
		redeem(t, s, wrong)
		redeem(t, s, other.Value)
		clock.Add(time.Hour) // 00:30 the next UTC day
		redeem(t, s, wrong)
		clock.Add(-91 * 24 * time.Hour) // before the window
		redeem(t, s, tok.Value)
		clock.Add(91 * 24 * time.Hour)

		days, err := s.TokenAttemptDays(ctx, tok.ID, lt.AttemptDays)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != lt.AttemptDays || days[0].Day != "2026-09-08" || days[89].Day != "2026-12-06" {
			t.Fatalf("days %d, %v … %v; want 90 from 2026-09-08 to 2026-12-06", len(days), days[0], days[len(days)-1])
		}
		want := map[string]lt.AttemptDay{
			"2026-12-05": {Day: "2026-12-05", Successful: 2, Failed: 1},
			"2026-12-06": {Day: "2026-12-06", Failed: 1},
		}
		for _, d := range days {
			if w := want[d.Day]; d != (lt.AttemptDay{Day: d.Day, Successful: w.Successful, Failed: w.Failed}) {
				t.Errorf("%s: %+v, want %+v", d.Day, d, w)
			}
		}
	})
}

func TestTokenAttemptDaysOfATokenWithManyEvents(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
		sqlstoretest.SetClock(s, now)
		tok := mustToken(t, s, lt.NewToken{})
		start := lt.AttemptWindow(now, lt.AttemptDays)
		// 9,000 successes, 100 a day, and 900 failures, 10 a day.
		insertEvents(t, s, tok.ID, lt.EventTokenRedeemed, start, 864*time.Second, 9000)
		insertEvents(t, s, tok.ID, lt.EventTokenRejected, start.Add(time.Second), 8640*time.Second, 900)
		days, err := s.TokenAttemptDays(ctx, tok.ID, lt.AttemptDays)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			if d.Successful != 100 || d.Failed != 10 {
				t.Fatalf("%+v, want 100 successful and 10 failed on every day", d)
			}
		}
	})
}

func TestStreamTokenEventsExportsTheRangeOldestFirstWithoutOtherEvents(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
		tok := mustToken(t, s, lt.NewToken{}) // token.created on 11-30
		clock.Add(24 * time.Hour)
		redeem(t, s, tok.Value) // 12-01
		if err := s.AuditEvent(ctx, lt.Actor{Name: "staff:1"}, lt.EventStaffSignedIn, nil); err != nil {
			t.Fatal(err)
		}
		clock.Add(24 * time.Hour)
		redeem(t, s, tok.Value) // 12-02
		clock.Add(24 * time.Hour)
		redeem(t, s, tok.Value) // 12-03: after the range

		x, err := lt.ParseAuditExport(map[string][]string{"from": {"2026-12-01"}, "to": {"2026-12-02"}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := s.StreamTokenEvents(ctx, x, func(e *lt.Event) error {
			got = append(got, fmt.Sprintf("%s %s %s", e.At.Format(time.DateOnly), e.Type, e.TokenID))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{"2026-12-01 token.redeemed " + tok.ID, "2026-12-02 token.redeemed " + tok.ID}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("exported %q, want %q", got, want)
		}
	})
}

func TestPruneAuditByRetentionDeletesOnlyOlderEventsInBatches(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
		sqlstoretest.SetClock(s, now)
		tok := mustToken(t, s, lt.NewToken{})
		// 2,500 events 40 to 31 days old, 10 from the last days.
		insertEvents(t, s, tok.ID, lt.EventTokenRedeemed, now.AddDate(0, 0, -40), 5*time.Minute, 2500)
		insertEvents(t, s, tok.ID, lt.EventTokenRejected, now.AddDate(0, 0, -10), time.Hour, 10)
		if n, err := s.PruneAuditByRetention(ctx); err != nil || n != 0 {
			t.Fatalf("forever pruned %d, %v; want none", n, err)
		}
		if err := s.SetAuditRetention(ctx, staff, lt.MaxAuditRetentionDays+1); lt.ErrorCode(err) != lt.EINVALID {
			t.Fatalf("a retention too long: %v, want INVALID_INPUT", err)
		}
		if err := s.SetAuditRetention(ctx, staff, 30); err != nil {
			t.Fatal(err)
		}
		if days, err := s.AuditRetention(ctx); err != nil || days != 30 {
			t.Fatalf("retention %d, %v; want 30", days, err)
		}
		n, err := s.PruneAuditByRetention(ctx)
		if err != nil || n != 2500 {
			t.Fatalf("pruned %d, %v; want the 2500 older than 30 days", n, err)
		}
		_, left, err := s.FindTokenEvents(ctx, tok.ID, 1, 1)
		if err != nil || left != 11 { // the 10 and token.created
			t.Fatalf("left %d, %v; want 11", left, err)
		}
	})
}

// BenchmarkTokenAttemptDays counts the attempts per day of a token with
// 100,000 events in the chart's 90 days, among 20,000 of other tokens
// (BENCHMARKS.md):
//
//	go test ./sqlstore -run '^$' -bench TokenAttemptDays -benchtime 20x
func BenchmarkTokenAttemptDays(b *testing.B) {
	for _, kind := range sqlstoretest.Kinds {
		b.Run(kind, func(b *testing.B) {
			s := sqlstoretest.Open(b, kind)
			now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
			s.Now = func() time.Time { return now }
			tok, err := s.CreateToken(context.Background(), staff, lt.NewToken{})
			if err != nil {
				b.Fatal(err)
			}
			start := lt.AttemptWindow(now, lt.AttemptDays)
			insertEvents(b, s, tok.ID, lt.EventTokenRedeemed, start, 90*time.Second, 80000)
			insertEvents(b, s, tok.ID, lt.EventTokenRejected, start, 360*time.Second, 20000)
			insertEvents(b, s, "othertoken0001", lt.EventTokenRedeemed, start, 360*time.Second, 20000)
			b.ResetTimer()
			for b.Loop() {
				days, err := s.TokenAttemptDays(context.Background(), tok.ID, lt.AttemptDays)
				if err != nil || len(days) != lt.AttemptDays {
					b.Fatal(len(days), err)
				}
			}
		})
	}
}
