package sqlstore_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// openInstances opens n stores on one fresh PostgreSQL database, as n
// instances of the service would, each with its own pool and the clock
// now.
func openInstances(t *testing.T, n int, now func() time.Time) []*sqlstore.Store {
	t.Helper()
	url := sqlstoretest.PostgresURL(t)
	var out []*sqlstore.Store
	for i := range n {
		s, err := sqlstore.Open(ctx, url, sqlstoretest.NewKeyring(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if i == 0 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		s.Now = now
		out = append(out, s)
	}
	return out
}

func TestSharedLimiterCountsAcrossInstancesLikeTheMemoryOne(t *testing.T) {
	clock := t0
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	add := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = clock.Add(d) }
	inst := openInstances(t, 2, now)
	a := inst[0].Limiter("redeem", 3, 30*time.Second)
	b := inst[1].Limiter("redeem", 3, 30*time.Second)
	reserve := func(l *sqlstore.Limiter, key string) time.Duration {
		t.Helper()
		w, err := l.Reserve(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	// Three attempts in all, whichever instance counts them.
	for i, l := range []*sqlstore.Limiter{a, b, a} {
		if w := reserve(l, "203.0.113.7/32"); w != 0 {
			t.Fatalf("attempt %d refused: wait %v", i+1, w)
		}
	}
	if w := reserve(b, "203.0.113.7/32"); w != 10*time.Second {
		t.Fatalf("the fourth attempt, on the other instance: wait %v, want 10s", w)
	}
	if w := reserve(b, "203.0.113.8/32"); w != 0 {
		t.Fatal("another key is limited")
	}
	// Another scope counts on its own.
	if w := reserve(inst[1].Limiter("other", 3, 30*time.Second), "203.0.113.7/32"); w != 0 {
		t.Fatal("another scope shares the count")
	}
	add(4 * time.Second)
	if w := reserve(a, "203.0.113.7/32"); w != 6*time.Second {
		t.Fatalf("4s later: wait %v, want 6s", w)
	}
	add(6 * time.Second)
	if w := reserve(a, "203.0.113.7/32"); w != 0 {
		t.Fatalf("10s later: wait %v", w)
	}
	// A release on one instance gives the attempt back on the other.
	if err := a.Release(ctx, "203.0.113.7/32"); err != nil {
		t.Fatal(err)
	}
	if w := reserve(b, "203.0.113.7/32"); w != 0 {
		t.Fatalf("after a release: wait %v", w)
	}
	if err := b.Reset(ctx, "203.0.113.7/32"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if w := reserve(a, "203.0.113.7/32"); w != 0 {
			t.Fatalf("after a reset, attempt %d refused", i+1)
		}
	}
	// After Per the whole limit is back, and the sweep deletes the rows
	// whose attempts are all back: all but the one of the key in use.
	add(time.Minute)
	for range 200 {
		reserve(a, "198.51.100.1/32")
		a.Release(ctx, "198.51.100.1/32")
	}
	var rows int
	if err := inst[0].DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM rate_limits`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d rows stored, want 1: those whose attempts are all back are not deleted", rows)
	}
	if w := reserve(b, "203.0.113.7/32"); w != 0 {
		t.Fatalf("a minute later: wait %v", w)
	}
}

func TestSharedLimiterLetsExactlyTheLimitThroughAtOnceAcrossInstances(t *testing.T) {
	inst := openInstances(t, 3, time.Now)
	const limit = 20
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 90 {
		l := inst[i%3].Limiter("redeem", limit, time.Hour)
		wg.Go(func() {
			w, err := l.Reserve(ctx, "2001:db8:1:2::/64")
			switch {
			case err != nil:
				t.Error(err)
			case w == 0:
				ok.Add(1)
			default:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != limit || refused.Load() != 90-limit {
		t.Fatalf("%d attempts counted and %d refused of 90 at once on 3 instances, want %d and %d", ok.Load(), refused.Load(), limit, 90-limit)
	}
}

func TestSharedLimiterIsForPostgreSQLOnly(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	if _, err := s.Limiter("redeem", 3, time.Minute).Reserve(ctx, "k"); err == nil {
		t.Fatal("a shared limiter on SQLite counted")
	}
}
