package sqlstore_test

import (
	"context"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// The directory's lists (contacts, customers, companies: the API's
// /api/v1/contacts and the backoffice's screens) on the user search's
// directory of 120,000 people, with and without q and on deep pages. The
// same database and variables as BenchmarkSearchUsers:
//
//	go test ./sqlstore -run '^$' -bench FindDirectory -benchtime 10x -count 3
//
// Each case reports p50-ms, p95-ms and found (the list's total).
var directoryBenchCases = []struct {
	name string
	f    lt.DirectoryFilter
}{
	{"first_page", lt.DirectoryFilter{}},
	{"q_last_name", lt.DirectoryFilter{Q: "hoffmann"}},
	{"q_email", lt.DirectoryFilter{Q: "mia.kim"}},
	{"q_everyone", lt.DirectoryFilter{Q: "test"}},
	{"q_nobody", lt.DirectoryFilter{Q: "qqxj"}},
	{"q_two_chars", lt.DirectoryFilter{Q: "ma"}},
	{"q_punctuation", lt.DirectoryFilter{Q: "..."}},
	{"q_underscores", lt.DirectoryFilter{Q: "___"}},
	// The deepest page a list shows at 25 a page (rows 9,976 to 10,000).
	{"page_400", lt.DirectoryFilter{Page: 400}},
	{"q_everyone_page_400", lt.DirectoryFilter{Q: "test", Page: 400}},
}

func BenchmarkFindDirectory(b *testing.B) {
	onPeopleBench(b, func(b *testing.B, s *sqlstore.Store) {
		for _, list := range []struct {
			name string
			find func(context.Context, lt.DirectoryFilter) (int, error)
		}{
			{"contacts", func(ctx context.Context, f lt.DirectoryFilter) (int, error) {
				_, n, err := s.FindContacts(ctx, f)
				return n, err
			}},
			{"customers", func(ctx context.Context, f lt.DirectoryFilter) (int, error) {
				_, n, err := s.FindCustomers(ctx, f)
				return n, err
			}},
			{"companies", func(ctx context.Context, f lt.DirectoryFilter) (int, error) {
				_, n, err := s.FindCompanies(ctx, f)
				return n, err
			}},
		} {
			for _, c := range directoryBenchCases {
				b.Run(list.name+"/"+c.name, func(b *testing.B) { benchDirectory(b, s, list.find, c.f) })
			}
		}
	})
}

// benchDirectory runs one list per iteration (the count and the page).
func benchDirectory(b *testing.B, s *sqlstore.Store, find func(context.Context, lt.DirectoryFilter) (int, error), f lt.DirectoryFilter) {
	ctx := context.Background()
	var found int
	var err error
	for range 2 { // warm the caches, as a running server's are
		if found, err = find(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := find(ctx, f); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, took)
	b.ReportMetric(float64(found), "found")
}
