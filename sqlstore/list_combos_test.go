package sqlstore_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/logintokens/logintokens/bench/combos"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// Random combinations of 1 to 4 of the list's filters, drawn as the
// benchmark of random combinations draws them (every filter of the
// table, random operators, ranges, sorts and pages), find exactly their
// tokens, counted and paged, on both databases. On SQLite a few is made
// 2,000 tokens (SetListFew), so that the ways a list is found there all
// come into play at this size: through the index of the one filter that
// finds fewest, through the ids two filters' indexes both hold, by the
// planner's plan, by the text index or by LIKE.
func TestRandomFilterCombinationsFindExactlyTheirTokens(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 3000)
		all := allTokens(t, s)
		pool, err := combos.Samples(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		s.SetListFew(2000)
		// The counts that choose the way, not the machine's speed: under
		// the race detector, on a busy machine, a filter's count from its
		// index may run over its budget.
		s.SetFilterCountBudget(time.Minute)
		rng := rand.New(rand.NewPCG(20261207, 15))
		found, driven, paired := 0, 0, 0
		for range 400 {
			f := checkSeededPage(t, s, all, combos.Draw(rng, pool, t0).Encode())
			if len(filterInGo(all, f, t0)) > 0 {
				found++
			}
			if s.Dialect() != "sqlite" {
				continue
			}
			lines, err := s.ExplainTokens(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, plan := range onePassPlans(lines) {
				if strings.Contains(plan, "NOT INDEXED") || strings.Contains(plan, "VIRTUAL TABLE") {
					continue // a scan, or the text index's candidates
				}
				driven++
				if strings.Contains(plan, "INTEGER PRIMARY KEY") {
					paired++
				}
			}
		}
		if found < 100 {
			t.Errorf("%d of 400 combinations find a token, want at least 100", found)
		}
		if s.Dialect() == "sqlite" && (driven < 60 || paired < 5) {
			t.Errorf("%d of 400 combinations found through one filter's index, %d of them through two, want at least 60 and 5", driven, paired)
		}
		t.Logf("%d of 400 combinations find a token; %d found through one filter's index, %d of them through two", found, driven, paired)
	})
}
