package sqlstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/seed"
)

// The user picker's search on a directory of 120,000 people (60,000
// contacts of 6,000 companies and 60,000 customers). The database is
// seeded once and kept between runs; without these variables the
// benchmark skips:
//
//	LOGINTOKENS_BENCH_PEOPLE_SQLITE=/tmp/bench/people.db
//	LOGINTOKENS_BENCH_PEOPLE_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=bench_people'
//
//	go test ./sqlstore -run '^$' -bench SearchUsers -benchtime 20x
const (
	benchPeopleSQLiteEnv   = "LOGINTOKENS_BENCH_PEOPLE_SQLITE"
	benchPeoplePostgresEnv = "LOGINTOKENS_BENCH_PEOPLE_POSTGRES_URL"
	benchPeople            = 60_000 // contacts, and as many customers
)

// searchBenchCases are what people type into the picker: nothing yet, one
// or two letters, a first or last name, an email, a company, text every
// email holds (the seed's domains end in .test), text nobody has, and
// text of three characters or more without three letters or digits in a
// row, which no trigram index serves.
var searchBenchCases = []struct{ name, q string }{
	{"empty", ""},
	{"one_char", "m"},
	{"two_chars", "ma"},
	{"first_name", "anna"},
	{"last_name", "hoffmann"},
	{"last_name_non_ascii", "müller"},
	{"full_name", "jane doe"},
	{"email", "mia.kim"},
	{"company", "nordwind logistics"},
	{"everyone", "test"},
	{"nobody", "qqxj"},
	{"punctuation", "..."},
	{"underscores", "___"},
	{"letter_underscore_letter", "a_b"},
	{"name_and_initial", "jo d"},
}

func BenchmarkSearchUsers(b *testing.B) {
	onPeopleBench(b, func(b *testing.B, s *sqlstore.Store) {
		for _, c := range searchBenchCases {
			b.Run(c.name, func(b *testing.B) { benchSearch(b, s, c.q, 10) })
		}
	})
}

// onPeopleBench runs fn on the seeded directory of each database whose
// variable is set.
func onPeopleBench(b *testing.B, fn func(*testing.B, *sqlstore.Store)) {
	for _, db := range []struct{ kind, env, prefix string }{
		{"sqlite", benchPeopleSQLiteEnv, "sqlite:"},
		{"postgres", benchPeoplePostgresEnv, ""},
	} {
		b.Run(db.kind, func(b *testing.B) {
			target := os.Getenv(db.env)
			if target == "" {
				b.Skipf("set %s to benchmark %s on a seeded directory", db.env, db.kind)
			}
			fn(b, openPeopleBenchStore(b, db.prefix+target))
		})
	}
}

// openPeopleBenchStore opens and migrates the benchmark database and
// seeds its directory when it has nobody.
func openPeopleBenchStore(b *testing.B, databaseURL string) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	key := make([]byte, lt.KeySize)
	rand.Read(key)
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
	_, n, err := s.FindCustomers(ctx, lt.DirectoryFilter{PageSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		b.Logf("seeding %d contacts and %d customers into %s", benchPeople, benchPeople, s.Dialect())
		res, err := seed.Run(ctx, s, seed.Options{Tokens: 1000, Contacts: benchPeople, Customers: benchPeople, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded in %s", res.Total)
	}
	return s
}

// benchSearch runs one search per iteration and reports p50 and p95 in
// milliseconds and the hits.
func benchSearch(b *testing.B, s *sqlstore.Store, q string, limit int) {
	ctx := context.Background()
	var hits []*lt.UserRef
	var err error
	for range 2 { // warm the caches, as a running server's are
		if hits, err = s.SearchUsers(ctx, q, limit); err != nil {
			b.Fatal(err)
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := s.SearchUsers(ctx, q, limit); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, took)
	b.ReportMetric(float64(len(hits)), "hits")
}
