package sqlstore_test

import (
	"context"
	"crypto/rand"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/seed"
)

// The token list on a big database, for BENCHMARKS.md. The database is
// seeded once and kept between runs; without these variables the
// benchmarks skip, so the normal test run stays fast:
//
//	LOGINTOKENS_BENCH_SQLITE=/tmp/bench/sqlite.db
//	LOGINTOKENS_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=bench'
//	LOGINTOKENS_BENCH_TOKENS=1000000 (the default; only read when seeding)
//
// An empty database is seeded on first use (better: seed it beforehand
// with "logintokens dev seed", which keeps the server key so that the
// tokens can also be revealed). Each case reports its latency percentiles
// over the iterations and how many tokens it found, e.g.
//
//	go test ./sqlstore -run '^$' -bench FindTokens -benchtime 50x
const (
	benchSQLiteEnv   = "LOGINTOKENS_BENCH_SQLITE"
	benchPostgresEnv = "LOGINTOKENS_BENCH_POSTGRES_URL"
	benchTokensEnv   = "LOGINTOKENS_BENCH_TOKENS"
)

func BenchmarkFindTokens(b *testing.B) {
	for _, db := range []struct{ kind, env, prefix string }{
		{"sqlite", benchSQLiteEnv, "sqlite:"},
		{"postgres", benchPostgresEnv, ""},
	} {
		b.Run(db.kind, func(b *testing.B) {
			target := os.Getenv(db.env)
			if target == "" {
				b.Skipf("set %s to benchmark %s on a seeded database", db.env, db.kind)
			}
			s := openBenchStore(b, db.prefix+target)
			for _, c := range benchCases(b, s) {
				b.Run(c.name, func(b *testing.B) { benchList(b, s, c.query) })
			}
		})
	}
}

// openBenchStore opens and migrates the benchmark database and seeds it
// when it holds no tokens.
func openBenchStore(b *testing.B, databaseURL string) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	key := make([]byte, lt.KeySize)
	rand.Read(key) // listing needs no key; a seed here makes tokens only for listing
	keys, err := lt.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	s, err := sqlstore.Open(ctx, databaseURL, keys)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	_, total, err := s.FindTokens(ctx, lt.TokenFilter{PageSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	if total == 0 {
		n := 1_000_000
		if v := os.Getenv(benchTokensEnv); v != "" {
			if n, err = strconv.Atoi(v); err != nil {
				b.Fatalf("%s: %v", benchTokensEnv, err)
			}
		}
		b.Logf("seeding %d tokens into %s", n, s.Dialect())
		res, err := seed.Run(ctx, s, seed.Options{Tokens: n, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded in %s", res.Total)
	}
	return s
}

type benchCase struct{ name, query string }

// benchCases are the list queries of issue 6: no filter, each filter
// alone, filters together, each sort key both ways, a deep page. Values
// are picked from the data so that they find what a user would.
func benchCases(b *testing.B, s *sqlstore.Store) []benchCase {
	b.Helper()
	now := time.Now().UTC()
	day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
	contact, customer, ids := benchSample(b, s)
	cases := []benchCase{
		{"no_filter", ""},
		{"ids_25", "ids=" + strings.Join(ids, ",")},
		{"contactIds_busiest", "contactIds=" + contact},
		{"customerIds_busiest", "customerIds=" + customer},
		{"type_contact", "type=contact"},
		{"type_anonymous", "type=anonymous"},
		{"expiresAt_next_7_days", "expiresAtFrom=" + day(0) + "&expiresAtTo=" + day(7)},
		{"createdAt_yesterday", "createdAtFrom=" + day(-1) + "&createdAtTo=" + day(-1)},
		{"createdAt_one_month", "createdAtFrom=" + day(-60) + "&createdAtTo=" + day(-30)},
		{"updatedAt_yesterday", "updatedAtFrom=" + day(-1) + "&updatedAtTo=" + day(-1)},
		{"successfulAttempts_gt_50", "successfulAttempts=gt:50"},
		{"successfulAttempts_eq_0", "successfulAttempts=eq:0"},
		{"failedAttempts_ge_5", "failedAttempts=ge:5"},
		{"oneTimeUse_true", "oneTimeUse=true"},
		{"status_active", "status=active"},
		{"status_expired", "status=expired"},
		{"status_used", "status=used"},
		{"q_last_name", "q=hoffmann"},
		{"q_company", "q=" + url.QueryEscape("nordwind logistics")},
		{"q_email", "q=" + url.QueryEscape("mia.kim")},
		{"q_extra", "q=" + url.QueryEscape("ticket #4711")},
		{"q_two_chars", "q=zo"},
		{"three_filters_broad", "type=contact&status=active&oneTimeUse=false"},
		{"three_filters_narrow", "contactIds=" + contact + "&status=active&failedAttempts=eq:0"},
		{"three_filters_q", "q=hoffmann&type=customer&status=expired"},
		{"page_400", "page=400"}, // the deepest page at 25 a page (bounds.MaxListRows)
		{"page_400_sort_name", "page=400&sort=name"},
		{"q_last_name_sort_name", "q=hoffmann&sort=name"},
		{"type_contact_sort_name", "type=contact&sort=name"},
		{"status_active_sort_-expiresAt", "status=active&sort=-expiresAt"},
		// Filters that go against the order: a walk of the order's index
		// finds nothing for long (see walkBudget).
		{"expiresAt_next_30_days_sort_createdAt", "expiresAtFrom=" + day(0) + "&expiresAtTo=" + day(30) + "&sort=createdAt"},
		{"status_expired_sort_-expiresAt", "status=expired&sort=-expiresAt"},
	}
	for _, key := range lt.SortKeys {
		cases = append(cases, benchCase{"sort_" + key, "sort=" + key}, benchCase{"sort_-" + key, "sort=-" + key})
	}
	return cases
}

// benchSample picks the contact and the customer with the most tokens and
// 25 token ids spread over the table.
func benchSample(b *testing.B, s *sqlstore.Store) (contact, customer string, ids []string) {
	b.Helper()
	db := s.DB()
	for _, q := range []struct {
		dst *string
		sql string
	}{
		{&contact, `SELECT contact_id FROM login_tokens WHERE contact_id IS NOT NULL GROUP BY contact_id ORDER BY COUNT(*) DESC, contact_id LIMIT 1`},
		{&customer, `SELECT customer_id FROM login_tokens WHERE customer_id IS NOT NULL GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1`},
	} {
		if err := db.QueryRow(q.sql).Scan(q.dst); err != nil {
			b.Fatal(err)
		}
	}
	rows, err := db.Query(`SELECT id FROM login_tokens ORDER BY id LIMIT 25000`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			ids = append(ids, id)
		}
	}
	return contact, customer, ids
}

// benchList runs one list query per iteration, as the API does (parse,
// then FindTokens: the count and the page), and reports p50 and p95 in
// milliseconds and the tokens found.
func benchList(b *testing.B, s *sqlstore.Store, query string) {
	ctx := context.Background()
	q, err := url.ParseQuery(query)
	if err != nil {
		b.Fatal(err)
	}
	f, err := lt.ParseTokenFilter(q)
	if err != nil {
		b.Fatal(err)
	}
	var found int
	for range 2 { // warm the caches, as a running server's are
		if _, found, err = s.FindTokens(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, _, err := s.FindTokens(ctx, f); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, took)
	b.ReportMetric(float64(found), "found")
}

// reportLatency reports p50 and p95 of took in milliseconds (nearest rank).
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	pct := func(p float64) float64 {
		i := max(0, int(math.Ceil(p*float64(len(took))))-1)
		return float64(took[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}
