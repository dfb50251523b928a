package sqlstore

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// tokenSortColumns maps the list's sort keys to columns. Only expires_at,
// last_accessed_at, max_uses (no limit) and sort_name (anonymous tokens)
// can be empty.
var tokenSortColumns = map[string]struct {
	col      string
	nullable bool
}{
	lt.SortName:               {"t.sort_name", true},
	lt.SortType:               {"t.type", false},
	lt.SortExpiresAt:          {"t.expires_at", true},
	lt.SortLastAccessedAt:     {"t.last_accessed_at", true},
	lt.SortSuccessfulAttempts: {"t.successful_attempts", false},
	lt.SortFailedAttempts:     {"t.failed_attempts", false},
	lt.SortMaxUses:            {"t.max_uses", true},
	lt.SortOneTimeUse:         {"(CASE WHEN t.max_uses = 1 THEN 1 ELSE 0 END)", false},
	lt.SortCreatedAt:          {"t.created_at", false},
	lt.SortUpdatedAt:          {"t.updated_at", false},
}

// listPlansKey carries the plans recorder of ExplainTokens.
type listPlansKey struct{}

// ExplainTokens runs FindTokens(f) and returns the plan of each query it
// ran, in order, each headed by "-- " and its SQL's first words; on
// PostgreSQL with EXPLAIN ANALYZE (rows read per step). For benchmarks.
func (s *Store) ExplainTokens(ctx context.Context, f lt.TokenFilter) ([]string, error) {
	p := &plans{analyze: true}
	_, _, err := s.FindTokens(context.WithValue(ctx, listPlansKey{}, p), f)
	return p.lines, err
}

// explainList records the plan of a list query when ExplainTokens asked.
func (s *Store) explainList(ctx context.Context, tx *tx, query string, args []any) {
	p, _ := ctx.Value(listPlansKey{}).(*plans)
	if p == nil {
		return
	}
	head := query
	if len(head) > 60 {
		head = head[:60]
	}
	p.lines = append(p.lines, "-- "+strings.Join(strings.Fields(head), " "))
	if err := p.add(ctx, tx, s.d, query, args); err != nil {
		p.lines = append(p.lines, "explain: "+err.Error())
	}
}

// FindTokens lists tokens matching f with the total number found (itemsFound).
func (s *Store) FindTokens(ctx context.Context, f lt.TokenFilter) ([]*lt.LoginToken, int, error) {
	now := s.now()
	where, args, err := tokenWhere(s.d, f, now, listPlan{})
	if err != nil {
		return nil, 0, err
	}
	order, orderCol, err := tokenOrder(s.d, f)
	if err != nil {
		return nil, 0, err
	}
	page, size := f.Paging()
	if err := bounds.CheckPage(page, size); err != nil {
		return nil, 0, err
	}
	offset := (page - 1) * size
	pageArgs := append(slices.Clip(args), size, offset)
	var out []*lt.LoginToken
	var total int
	plan := listPlan{}
	var walksOrder *bool // whether the planner walks the order, when asked already (walkOf)
	err = s.read(ctx, func(tx *tx) error {
		if s.d.choosesListPlan() {
			counts := filterCounts{} // of the filters alone, for pairFilter
			var driver, n int
			var err error
			if f.Q == "" {
				driver, n, err = s.filterFindsFew(ctx, tx, f, now, counts)
			} else {
				driver, n, plan.qByLike, err = s.filterFindsFewerThanQ(ctx, tx, f, now)
			}
			if err != nil {
				return err
			}
			if n == 0 {
				return nil // q or a filter finds none: so does the list
			}
			if driver >= 0 {
				plan.driver = driver + 1
				if where, args, err = tokenWhere(s.d, f, now, plan); err != nil {
					return err
				}
				pageArgs = append(slices.Clip(args), size, offset)
				if f.Q == "" {
					if plan.pair = s.pairFilter(driver, n, counts); plan.pair != 0 {
						if where, args, err = tokenWhere(s.d, f, now, plan); err != nil {
							return err
						}
						pageArgs = append(slices.Clip(args), size, offset)
					}
				}
				found, m, done, err := s.driverInOnePass(ctx, tx, f, now, plan, where, order, orderCol, args, n, offset, size)
				if err != nil || done {
					out, total = found, m
					return err
				}
			} else {
				found, n, done, err := s.sqliteSearchInOnePass(ctx, tx, f, where, order, orderCol, pageArgs, now)
				if err != nil || done {
					out, total = found, n
					return err
				}
			}
		} else if where != "" {
			found, n, walks, done, err := s.postgresSortInOnePass(ctx, tx, f, now, where, order, orderCol, pageArgs)
			if err != nil || done {
				out, total = found, n
				return err
			}
			walksOrder = &walks
		}
		var err error
		var sp *scanPage
		if s.mayScanList(f, plan) && where != "" {
			sp = &scanPage{f: f, now: now, plan: plan, where: where, order: order, orderCol: orderCol, args: pageArgs, end: offset + size}
		}
		if total, plan.scan, err = s.countTokens(ctx, tx, f, plan, where, args, sp); err != nil {
			return err
		}
		if sp != nil && sp.paged {
			out = sp.out
			return nil
		}
		table := plan.table()
		if offset >= total {
			return nil // a page past the end is empty, not an error
		}
		if where == "" {
			out, err = s.tokenPage(ctx, tx, table, where, order, pageArgs, now)
			return err
		}
		walk, budget, rows, err := s.walkBudget(ctx, tx, total, offset+size)
		if err != nil {
			return err
		}
		var walkWhere string
		switch {
		case walk && walksOrder != nil:
			walkWhere, walk = where, *walksOrder
		case walk:
			if walkWhere, walk, err = s.walkOf(ctx, tx, f, now, plan, where, order, orderCol, pageArgs); err != nil {
				return err
			}
		}
		if walk {
			var over bool
			out, over, err = s.walkPage(ctx, tx, budget, walkWhere, order, pageArgs, now)
			if !over {
				return err
			}
			// Over budget: the filter went against the order.
			out = nil
		}
		// The filters' indexes find the page, and its rows are sorted: the
		// order is written so that no index serves it, or either planner
		// may walk it after all (SQLite did, unbounded, for
		// "expiresAtTo=2025-10-05&type=contact" once its walk was stopped).
		// On SQLite, a sixteenth of a large table or more is read by a
		// scan: through an index whose order is not the table's, each of
		// so many rows read one by one costs more than ten times what a
		// scan reads a row in (see countTokens).
		sorted := strings.Replace(order, orderCol, s.d.unindexed(orderCol), 1)
		if s.mayScanList(f, plan) && 16*int64(total) >= rows && s.largeTable(rows) {
			table = listPlan{scan: true}.table()
		}
		out, err = s.tokenPage(ctx, tx, table, where, sorted, pageArgs, now)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// countTokens counts the tokens that where selects, through the
// planner's plan (plan's, on SQLite). On SQLite, a list without a search
// the text index serves is counted by the planner's plan only within
// about half what a scan of the table takes (see countBudget), then by
// the scan, which scan reports. SQLite's planner takes rows read through
// an index one by one to cost a little more than a scan's; where the
// index's order is not the table's, each costs more than ten times a
// scan's (1,000,000 tokens: "maxUses=eq:1&type=customer", 90,384 found,
// 1.6 s through the index of type, 0.4 s by the scan); where it is, as
// for created_at, about the same. The time taken tells them apart.
// With sp, the page is found before that scan, which is left out where
// the page's query has counted the tokens (see pageWhileScanning).
func (s *Store) countTokens(ctx context.Context, t *tx, f lt.TokenFilter, plan listPlan, where string, args []any, sp *scanPage) (total int, scan bool, err error) {
	// The count needs no join: every filter is on login_tokens itself.
	count := func(t *tx, plan listPlan) (n int, err error) {
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM `+plan.table()+where, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count tokens: %w", err)
		}
		return n, nil
	}
	s.explainList(ctx, t, `SELECT COUNT(*) FROM `+plan.table()+where, args)
	if !s.mayScanList(f, plan) || where == "" {
		total, err = count(t, plan)
		return total, false, err
	}
	budget, err := s.countBudget(ctx, t, where, args)
	if err != nil {
		return 0, false, err
	}
	if budget == 0 {
		total, err = count(t, plan)
		return total, false, err
	}
	over, err := s.d.withinBudget(t, budget, func(bounded *tx) error {
		total, err = count(bounded, plan)
		return err
	})
	if err != nil || !over {
		return total, false, err
	}
	plan.scan = true
	if sp != nil {
		n, counted, err := s.pageWhileScanning(ctx, t, sp)
		if err != nil || counted {
			return n, true, err
		}
	}
	s.explainList(ctx, t, `SELECT COUNT(*) FROM `+plan.table()+where, args)
	total, err = count(t, plan)
	return total, true, err
}

// pageWhileScanning finds the page of a SQLite list whose count is about
// to read the whole table (see countTokens): a list of many tokens that
// no index narrows much. Its page then costs a second pass where the
// filters go against the order or no index gives it: a scan that sorts
// every token found, after the count's scan. So, for a page near the
// start of the list (ending within the first 1/200 of the table's
// rows): where an index gives the order, a short walk of it (10 ms plus
// a sixteenth of a scan's time) finds the page of so many tokens as a
// rule (paged, not counted: the count's scan follows); otherwise, or
// when the walk runs out of that budget, one scan counts the tokens and
// sorts them at once (COUNT(*) OVER ()): 1,000,000 tokens, 51,539 found
// ("type=anonymous" and a year of updates): 0.50 s instead of 0.36 s for
// the count and 0.42 s for the page. The more tokens found, the less it saves (400,108:
// 0.70 s instead of 0.78 s). A deeper page is left to the count and then
// walkBudget, whose walk may take a scan's time when the list holds many
// tokens (a page 361 of 400,531 found along the order of failed attempts:
// 0.72 s, against 1.05 s for the one scan). The page goes to sp.out,
// sp.paged saying so.
func (s *Store) pageWhileScanning(ctx context.Context, t *tx, sp *scanPage) (total int, counted bool, err error) {
	var rows int64
	if err := t.queryRow(ctx, s.d.tableRows("login_tokens")).Scan(&rows); err != nil {
		return 0, false, fmt.Errorf("estimate tokens: %w", err)
	}
	if int64(sp.end)*200 >= rows {
		return 0, false, nil // a deep page: counted first, for walkBudget
	}
	walkWhere, walks, err := s.walkOf(ctx, t, sp.f, sp.now, sp.plan, sp.where, sp.order, sp.orderCol, sp.args)
	if err != nil {
		return 0, false, err
	}
	if walks {
		budget := 10*time.Millisecond + time.Duration(rows)*scanPerRow/16
		if s.fixedWalkBudget > 0 {
			budget = s.fixedWalkBudget
		}
		out, over, err := s.walkPage(ctx, t, budget, walkWhere, sp.order, sp.args, sp.now)
		if err != nil || !over {
			sp.out, sp.paged = out, err == nil
			return 0, false, err
		}
	}
	plan := sp.plan
	plan.scan = true
	sp.out, total, counted, err = s.onePassPage(ctx, t, onePassQuery(plan.table(), sp.where, sp.order), sp.order, sp.args, sp.now)
	sp.paged = counted
	return total, counted, err
}

// scanPage is what pageWhileScanning needs of a list (FindTokens' own),
// and the page it found: args are the page's, end is where the page ends
// in the list.
type scanPage struct {
	f                      lt.TokenFilter
	now                    time.Time
	plan                   listPlan
	where, order, orderCol string
	args                   []any
	end                    int
	out                    []*lt.LoginToken
	paged                  bool
}

// mayScanList reports whether SQLite's list of f, found by plan, may read
// its tokens by a scan of the table (see countTokens): not on PostgreSQL,
// not where plan has a filter's index find them, nor where the text index
// serves q.
func (s *Store) mayScanList(f lt.TokenFilter, plan listPlan) bool {
	_, searched := ftsTrigrams(f.Q)
	return s.d.choosesListPlan() && plan.driver == 0 && !plan.qByLike && !searched
}

// countBudget is how long countTokens lets SQLite's planner count the
// tokens that where selects: about half what a scan of the table takes,
// at scanPerRow a token. None (0) when its plan is the scan, or the table
// has fewer than scanFrom tokens: any count of those is quick.
func (s *Store) countBudget(ctx context.Context, t *tx, where string, args []any) (time.Duration, error) {
	var rows int64
	if err := t.queryRow(ctx, s.d.tableRows("login_tokens")).Scan(&rows); err != nil {
		return 0, fmt.Errorf("estimate tokens: %w", err)
	}
	if !s.largeTable(rows) {
		return 0, nil
	}
	p := &plans{}
	if err := p.add(ctx, t, s.d, `SELECT COUNT(*) FROM login_tokens t`+where, args); err != nil {
		return 0, fmt.Errorf("plan the count of tokens: %w", err)
	}
	switch {
	case slices.Contains(p.lines, "SCAN t"):
		return 0, nil
	case s.fixedCountBudget > 0:
		return s.fixedCountBudget, nil
	}
	return time.Duration(rows) * scanPerRow / 2, nil
}

// scanPerRow is about what a scan of login_tokens takes a token, on
// SQLite (0.35-0.42 s for 1,000,000 tokens on 2 cores of 2.6 GHz) and on
// PostgreSQL (0.36 s, two workers). Below scanFrom tokens SQLite's list
// leaves the plan to its planner: any count or sort of those is quick (a
// scan of 100,000 in 40 ms).
const (
	scanPerRow = 400 * time.Nanosecond
	scanFrom   = 100_000
)

// tokenPage reads one page of the tokens that where selects. The page's
// ids come first, from the indexes alone where they cover the filter and
// the order; only those rows are read and joined. A deep page then skips
// index entries, not joined rows.
func (s *Store) tokenPage(ctx context.Context, tx *tx, table, where, order string, args []any, now time.Time) ([]*lt.LoginToken, error) {
	ids := tokenPageIDs(table, where, order)
	s.explainList(ctx, tx, ids, args)
	return s.tokenList(ctx, tx, tokenPageSelect(ids)+order, args, now)
}

// walkPage is tokenPage within budget; over reports that it ran out of
// it. The plan is explained outside the budget, which would stop EXPLAIN
// ANALYZE as it stops the walk.
func (s *Store) walkPage(ctx context.Context, t *tx, budget time.Duration, where, order string, args []any, now time.Time) (out []*lt.LoginToken, over bool, err error) {
	ids := tokenPageIDs(listPlan{}.table(), where, order)
	s.explainList(ctx, t, ids, args)
	over, err = s.d.withinBudget(t, budget, func(bounded *tx) error {
		out, err = s.tokenList(ctx, bounded, tokenPageSelect(ids)+order, args, now)
		return err
	})
	return out, over, err
}

// walkOf is the where of a walk of the order orderCol (on SQLite plan's
// where with every other column kept off its index: listPlan's walkCol)
// and whether the planner walks an index in the order to find the page
// of walkPage(walkWhere, order). Where no index gives the rows in the
// order (oneTimeUse's expression; on PostgreSQL maxUses descending, whose
// index read backwards gives the tokens without a limit first, and the
// order wants them last), or the planner prefers to sort, the "walk"
// reads and sorts every row the filters keep, as the sorted page does,
// and over its budget it would be thrown away and the same done again
// (1,000,000 tokens on SQLite,
// "failedAttempts=le:10&sort=-oneTimeUse&status=used,active", 428,450
// found: a scan to count, then two scans and sorts, 1.4 s; 0.9 s
// without the walk). The plan costs one EXPLAIN, well under a
// millisecond.
func (s *Store) walkOf(ctx context.Context, t *tx, f lt.TokenFilter, now time.Time, plan listPlan, where, order, orderCol string, args []any) (walkWhere string, walks bool, err error) {
	walkWhere = where
	if s.d.choosesListPlan() {
		plan.walkCol = orderCol
		if walkWhere, _, err = tokenWhere(s.d, f, now, plan); err != nil {
			return "", false, err
		}
	}
	p := &plans{}
	if err := p.add(ctx, t, s.d, tokenPageIDs(listPlan{}.table(), walkWhere, order), args); err != nil {
		return "", false, fmt.Errorf("plan the walk of the order: %w", err)
	}
	return walkWhere, !slices.ContainsFunc(p.lines, s.d.sortsAll), nil
}

// tokenPageIDs is the query of a page's ids (see tokenPage) in table
// (see listPlan.table).
func tokenPageIDs(table, where, order string) string {
	return `SELECT t.id FROM ` + table + where + order + ` LIMIT ? OFFSET ?`
}

// filterFindsFewerThanQ decides, on SQLite, how a list with q and other
// filters is found: through the text index's candidates of q, or through
// the index of the one other filter that finds fewest tokens. The planner
// cannot tell: it takes the text index's candidates to be few, and a
// common q (a company's name, "oci", "sales") has tens of thousands, each
// a row read (about 4 µs), against the few hundred tokens of a contact or
// of a day's updates, or none of a shop or of a time to come. q's
// candidates are counted first, up to qFew; then each other filter's
// tokens alone, from its index, up to q's candidates where they are few,
// else up to probeRows (a handful first), and up to the fewest so far,
// each within a small budget (a condition no index serves, most tokens as
// a rule, is not counted when it would read on). The filter that finds
// fewest then finds the rows in one of two ways:
//
//   - its rows are read and q checked on each by its LIKE alone (byLike)
//     where it finds fewer than a few (qFew), fewer than q's few
//     candidates, or under a tenth of q's many;
//   - otherwise its index entries are checked against q's candidates
//     before any row is read (q keeps the text index's condition, which
//     an entry's rowid answers), and only the rows of the tokens both
//     find are read. An entry and a candidate cost a tenth of a row or
//     less, so where neither finds more than ten times the other, that
//     reads less than q's candidates' rows (1,000,000 tokens, "q=ticket"
//     with 36,157 candidates beside the 54,864 tokens expiring in a
//     quarter, 690 found: 146 ms through the candidates' rows, 62 ms so).
//
// Where the filter finds over ten times q's candidates, the text index's
// way. q's candidates are counted up to ten times the filter's tokens,
// within a budget (past it, they are taken to be more). A
// filter that no index serves alone (countedFromIndex) has its rows read
// only where they are fewer than q's candidates. driver is the
// place in tokenFilters of the filter whose index is to find the rows
// (-1: the text index's way), n the tokens it finds, or q's candidates; 0
// when either finds none, and so the list; -1 when not counted. A q the
// text index cannot serve (one or two characters) is checked by its LIKE
// on every row read: the filter that finds fewest tokens, up to a few
// (listFew), reads them (1,000,000 tokens, "q=zo" beside the 35,430
// tokens of five sign-ins: 0.40 s counted and then paged by SQLite's
// plan, 0.2 s in one pass).
func (s *Store) filterFindsFewerThanQ(ctx context.Context, t *tx, f lt.TokenFilter, now time.Time) (driver, n int, byLike bool, err error) {
	trigrams, indexed := ftsTrigrams(f.Q)
	if onlyQ(f) {
		return -1, -1, false, nil
	}
	if !indexed {
		// Every row read is checked by q's LIKE, whichever index reads
		// it: the filter of fewest tokens, up to a few, reads fewest.
		most, budget := s.fewRule()
		if driver, n, err = s.fewestOf(ctx, t, f, now, most, budget, nil); err != nil || driver < 0 {
			return -1, -1, false, err
		}
		return driver, n, true, nil
	}
	most, budget := probeRows, filterCountBudget
	if s.fewByFilterInstead > 0 {
		most = s.fewByFilterInstead
	}
	if s.fixedFilterCountBudget > 0 {
		budget = s.fixedFilterCountBudget
	}
	// q's candidates, up to a few: a rare q bounds what the filters'
	// counts read; a common one is counted on below only if a filter finds
	// more than a few.
	candidates, err := s.searchCandidates(ctx, t, trigrams, qFew)
	if err != nil {
		return -1, -1, false, err
	}
	if candidates <= qFew {
		driver, n, err = s.fewestFilter(ctx, t, f, now, candidates, budget, nil, nil)
	} else {
		driver, n, err = s.fewestOf(ctx, t, f, now, most, budget, nil)
	}
	if err != nil || driver < 0 || n == 0 {
		if err == nil && n == 0 {
			return -1, 0, false, nil // q finds none
		}
		return -1, -1, false, err
	}
	if candidates <= qFew || n < qFew {
		return driver, n, true, nil // fewer rows than q's candidates
	}
	fromIndex, err := s.countedFromIndex(ctx, t, f, now, driver)
	if err != nil {
		return -1, -1, false, err
	}
	if !fromIndex {
		// No index finds the filter's tokens alone: their rows are read
		// whichever way, so the way of fewer rows, its tokens' or q's
		// candidates'.
		if candidates, err = s.searchCandidates(ctx, t, trigrams, n); err != nil || candidates <= n {
			return -1, -1, false, err
		}
		return driver, n, true, nil
	}
	// Both more than a few: is either more than ten times the other? q's
	// candidates are counted at 0.1 to 0.3 µs each, within 1 µs per token
	// of the filter, a quarter of what reading its rows costs: a count
	// past that has so many that the filter's rows, q checked by its
	// LIKE, cost about what checking its entries against them would.
	countBudget := time.Duration(n) * time.Microsecond
	if s.fixedFilterCountBudget > 0 {
		countBudget = s.fixedFilterCountBudget
	}
	var over bool
	if over, err = s.d.withinBudget(t, countBudget, func(bounded *tx) error {
		candidates, err = s.searchCandidates(ctx, bounded, trigrams, probeFactor*n)
		return err
	}); err != nil {
		return -1, -1, false, err
	}
	switch {
	case over || candidates > probeFactor*n:
		return driver, n, true, nil
	case probeFactor*candidates < n:
		return -1, -1, false, nil
	}
	return driver, n, false, nil
}

// probeRows is the most tokens of a list's other filter that
// filterFindsFewerThanQ has a list with a common q found through, each
// index entry checked against q's candidates: a count of 60,000 from an
// index alone takes 4 to 6 ms, and each filter that finds more is counted
// up to it before q's way is taken (150 random lists with q and other
// filters, 1,000,000 tokens: the few found in 10% less time in all, some
// in a third, those q finds through the text index 4% slower). probeFactor
// is how much cheaper an index entry or a candidate checked so is than a
// row read (see filterFindsFewerThanQ), rounded down.
const (
	probeRows   = 60_000
	probeFactor = 10
)

// fewestFilter counts the tokens of each filter of f but q alone, from
// its index, up to n and up to the fewest so far, each within budget (a
// condition no index serves, most tokens as a rule, is not counted when
// it would read on). driver is the place in tokenFilters of the filter
// that finds fewest, fewer than n (-1: none does), and found its tokens
// (n when none does). counts, when not nil, keeps each count that found
// fewer than it was counted up to, and so is exact (see pairFilter), and
// each that ran over its budget; a filter whose count ran over its budget
// in overran is not counted again.
func (s *Store) fewestFilter(ctx context.Context, t *tx, f lt.TokenFilter, now time.Time, n int, budget time.Duration, counts, overran filterCounts) (driver, found int, err error) {
	driver = -1
	for _, i := range fewestFirst {
		if n == 0 {
			break
		}
		if c, ok := overran[i]; ok && c < 0 {
			continue
		}
		q, args, err := filterCount(s.d, f, now, i)
		if err != nil {
			return -1, 0, err
		}
		if q == "" {
			continue
		}
		// A filter must find fewer than n to be read instead.
		args = append(args, n)
		s.explainList(ctx, t, q, args)
		var c int
		over, err := s.d.withinBudget(t, budget, func(bounded *tx) error {
			return bounded.queryRow(ctx, q, args...).Scan(&c)
		})
		if err != nil {
			return -1, 0, fmt.Errorf("count the tokens of a filter: %w", err)
		}
		switch {
		case counts == nil:
		case over:
			counts[i] = -1
		case c < n:
			counts[i] = c
		}
		if !over && c < n {
			driver, n = i, c
		}
	}
	return driver, n, nil
}

// filterCount is the query that counts the tokens of the filter at i of
// tokenFilters alone, up to its last argument (to be added); "" where f
// does not set that filter.
func filterCount(d dialect, f lt.TokenFilter, now time.Time, i int) (string, []any, error) {
	w := &tokenConds{d: d, now: now}
	if err := tokenFilters[i](w, f); err != nil || len(w.conds) == 0 {
		return "", nil, err
	}
	return `SELECT COUNT(*) FROM (SELECT 1 FROM login_tokens t WHERE ` + strings.Join(w.conds, ` AND `) + ` LIMIT ?)`, w.args, nil
}

// countedFromIndex reports whether SQLite counts the tokens of the filter
// at i of tokenFilters by searching an index alone: it reads no row, nor
// every entry of an index (its plan).
func (s *Store) countedFromIndex(ctx context.Context, t *tx, f lt.TokenFilter, now time.Time, i int) (bool, error) {
	q, args, err := filterCount(s.d, f, now, i)
	if err != nil || q == "" {
		return false, err
	}
	p := &plans{}
	if err := p.add(ctx, t, s.d, q, append(args, 1)); err != nil {
		return false, fmt.Errorf("plan the count of a filter: %w", err)
	}
	return !slices.ContainsFunc(p.lines, func(l string) bool { return strings.HasPrefix(l, "SCAN t") }) &&
		slices.ContainsFunc(p.lines, func(l string) bool { return strings.HasPrefix(l, "SEARCH t USING COVERING INDEX ") }), nil
}

// filterCounts are the counts of fewestFilter by the filter's place in
// tokenFilters: the tokens it finds up to the count's end, or -1 where
// the count ran over its budget (not served by its index alone, as a
// rule).
type filterCounts map[int]int

// fewestFirst is the order in which fewestFilter counts the filters of
// tokenFilters, all but q: those that name tokens, people or a shop first,
// which find few as a rule, then the time ranges, then the rest, which
// find many as a rule. Each count reads up to the fewest found so far, so
// a filter that finds few early makes the counts after it short.
var fewestFirst = []int{0, 1, 11, 3, 4, 5, 2, 6, 7, 8, 9, 10}

func init() {
	want := []any{whereIDs, whereUsers, whereShop, whereExpires, whereCreated, whereUpdated, whereTypes, whereSuccessful, whereFailed,
		whereUses, whereNetworks, whereStatuses}
	for k, i := range fewestFirst {
		if reflect.ValueOf(tokenFilters[i]).Pointer() != reflect.ValueOf(want[k]).Pointer() {
			panic("sqlstore: tokenFilters changed; update fewestFirst")
		}
	}
	if len(fewestFirst) != len(tokenFilters)-1 {
		panic("sqlstore: fewestFirst must hold every filter of tokenFilters but q")
	}
}

// filterFindsFew decides, on SQLite, whether a list of several filters
// without q is found through the index of the one filter that alone finds
// fewest tokens, when it finds at most listFew: SQLite's planner misjudges
// ranges and may read a broad filter's index instead (1,000,000 tokens,
// "createdAtFrom=2027-08-05&failedAttempts=gt:2", created in the future,
// none found: it read the index of failed_attempts and the rows of its
// 100,000 entries until the count's budget ran out, then the table,
// 0.55 s). So few tokens read through their filter's index cost a few
// milliseconds at most, whatever the planner would have done. driver and
// n as for filterFindsFewerThanQ; n is 0 when a filter finds none, and
// so the list. Not for a small table, whose every count is quick. counts
// keeps the filters' counts (see fewestFilter).
func (s *Store) filterFindsFew(ctx context.Context, t *tx, f lt.TokenFilter, now time.Time, counts filterCounts) (driver, n int, err error) {
	set := 0
	for i := range tokenFilters {
		q, _, err := filterCount(s.d, f, now, i)
		if err != nil {
			return -1, -1, err
		}
		if q != "" {
			set++
		}
	}
	if f.Q != "" || set < 2 {
		return -1, -1, nil
	}
	most, budget := s.fewRule()
	if s.listFewInstead == 0 {
		var rows int64
		if err := t.queryRow(ctx, s.d.tableRows("login_tokens")).Scan(&rows); err != nil {
			return -1, -1, fmt.Errorf("estimate tokens: %w", err)
		}
		if rows < scanFrom {
			return -1, -1, nil
		}
	}
	if driver, n, err = s.fewestOf(ctx, t, f, now, most, budget, counts); err != nil || driver < 0 {
		return -1, -1, err
	}
	return driver, n, nil
}

// fewestOf is fewestFilter up to most tokens (fewer than most+1), a
// handful first, each count short: most lists that have a filter of few
// tokens have one of a handful, and the counts before it then read a
// handful of index entries each, not a few. A filter whose count of a
// handful ran over its budget (a third of budget) and that no index
// serves alone (countedFromIndex) is not counted again: its count reads
// rows, and would spend the whole budget to end the same way. One that
// an index serves is counted again, its first count perhaps slowed by
// the machine. counts keeps the counts of the second round.
func (s *Store) fewestOf(ctx context.Context, t *tx, f lt.TokenFilter, now time.Time, most int, budget time.Duration, counts filterCounts) (driver, n int, err error) {
	first := filterCounts{}
	if driver, n, err = s.fewestFilter(ctx, t, f, now, handful(most)+1, budget/3, first, nil); err != nil || driver >= 0 {
		return driver, n, err
	}
	for i, c := range first {
		if c >= 0 {
			continue
		}
		indexed, err := s.countedFromIndex(ctx, t, f, now, i)
		if err != nil {
			return -1, 0, err
		}
		if indexed {
			delete(first, i)
		}
	}
	return s.fewestFilter(ctx, t, f, now, most+1, budget, counts, first)
}

// fewRule is the most tokens of one filter that filterFindsFew has a
// list found through, and the budget of each count of a filter there
// (listFew and listFewBudget, or what a test set).
func (s *Store) fewRule() (int, time.Duration) {
	most, budget := listFew, listFewBudget
	if s.listFewInstead > 0 {
		most = s.listFewInstead
	}
	if s.fixedFilterCountBudget > 0 {
		budget = s.fixedFilterCountBudget
	}
	return most, budget
}

// handful is an eighth of most tokens, a few (see fewRule).
func handful(most int) int { return most / 8 }

// pairFilter is, for a SQLite list found through the index of its filter
// at driver that finds n tokens (filterFindsFew, whose counts are
// counts), 1 + the place in tokenFilters of the filter that finds fewest
// of the others, where reading the rows of those n is worth leaving out:
// n is more than a handful (5,000 tokens, about 20 ms of rows read) and
// the other filter finds at most a few (listFew), counted from its index
// alone, exactly (filterFindsFew counts each filter after the fewest so
// far only up to that: one counted after the driver is not offered). The list's tokens are then those whose ids both filters'
// indexes hold (listPlan.pair): the ids of one are read from its index
// alone and looked up among the other's, about 0.5 µs each where a row
// costs 3 to 4 µs (1,000,000 tokens,
// "expiresAtFrom=2024-11-11&expiresAtTo=2025-02-09&failedAttempts=ge:5&type=anonymous":
// 20,512 tokens with five failed attempts, 34,406 expiring then, 78
// found). 0 where none does.
func (s *Store) pairFilter(driver, n int, counts filterCounts) int {
	most, _ := s.fewRule()
	if n <= handful(most) {
		return 0
	}
	second, fewest := -1, most+1
	for _, i := range fewestFirst {
		if c, ok := counts[i]; ok && i != driver && c >= 0 && c < fewest {
			second, fewest = i, c
		}
	}
	return second + 1
}

// driverInOnePass lists, in one query, the tokens of a SQLite list found
// through the index of its filter that finds fewest, n tokens
// (filterFindsFew, filterFindsFewerThanQ), or of two (pairFilter): the
// query reads each of those tokens once, checks the other filters on it, counts those found
// and sorts them (COUNT(*) OVER ()). A count and then a sorted page would
// each read them all, 0.5 to 4 µs a row; sorting costs about 1 µs a
// token found. So not where a walk of the order finds the page: the order
// is that filter's column and walkBudget says walk (not for a pair, which
// finds few as a rule): tokens created last month, newest first, 34,200
// found, take 24 ms counted and walked, 66-70 ms in one pass. Nor for a page past the end of n, which the
// count alone tells. The order is kept off its index, so that the
// filter's index finds the tokens. A page after the first of n up to
// numberedFew is numbered (see numberedPage). done as for onePassPage;
// false also where it does not apply.
func (s *Store) driverInOnePass(ctx context.Context, tx *tx, f lt.TokenFilter, now time.Time, plan listPlan, where, order, orderCol string, args []any, n, offset, size int) (out []*lt.LoginToken, total int, done bool, err error) {
	if offset >= n {
		return nil, 0, false, nil
	}
	pageArgs := append(slices.Clip(args), size, offset)
	if plan.pair == 0 && conditions(s.d, f, now, plan.driver-1, orderCol) {
		walk, _, _, err := s.walkBudget(ctx, tx, n, offset+size)
		if err == nil && walk {
			_, walk, err = s.walkOf(ctx, tx, f, now, plan, where, order, orderCol, pageArgs)
		}
		if err != nil || walk {
			return nil, 0, false, err
		}
	}
	sorted := strings.Replace(order, orderCol, s.d.unindexed(orderCol), 1)
	if offset > 0 && n <= numberedFew {
		out, total, err = s.numberedPage(ctx, tx, plan.table(), where, sorted, args, offset, size, now)
		return out, total, err == nil, err
	}
	return s.onePassPage(ctx, tx, onePassQuery(plan.table(), where, sorted), sorted, pageArgs, now)
}

// numberedFew is the most tokens a list may find for a page after its
// first to be numbered (numberedPage): numbering sorts them all, about 1
// µs each, where LIMIT keeps only those up to the page's end.
const numberedFew = listFew

// conditions reports whether the filter at i of tokenFilters conditions
// col in f: its index then gives the order of col, and a walk of it reads
// only that filter's tokens.
func conditions(d dialect, f lt.TokenFilter, now time.Time, i int, col string) bool {
	w := &tokenConds{d: d, now: now}
	if tokenFilters[i](w, f) != nil {
		return false
	}
	return slices.ContainsFunc(w.conds, func(c string) bool { return strings.HasPrefix(c, col+" ") })
}

// numberedPage is onePassPage for a page after the first of a list of
// at most numberedFew tokens: every token found is numbered in order
// (ROW_NUMBER), the first always comes back with the count, and so a
// page past the end is counted by the same query, not by a second pass
// that reads every token found again.
func (s *Store) numberedPage(ctx context.Context, tx *tx, table, where, order string, args []any, offset, size int, now time.Time) (out []*lt.LoginToken, total int, err error) {
	q := `SELECT id, n, r FROM (SELECT t.id, COUNT(*) OVER () AS n, ROW_NUMBER() OVER (` + strings.TrimSpace(order) + `) AS r FROM ` +
		table + where + `) WHERE r = 1 OR r > ? AND r <= ?`
	args = append(slices.Clip(args), offset, offset+size)
	s.explainList(ctx, tx, q, args)
	ids, total, err := idsAndCount(ctx, tx, q, args, offset)
	if err != nil {
		return nil, 0, err
	}
	out, err = s.tokensOf(ctx, tx, ids, order, now)
	return out, total, err
}

// idsAndCount reads the rows of a one-pass query (onePassPage,
// numberedPage): a token's id and the count of all the tokens found, and
// where numbered (offset >= 0) the token's number in order, of which
// only those past offset are on the page.
func idsAndCount(ctx context.Context, tx *tx, q string, args []any, offset int) (ids []string, total int, err error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var id string
	var r int
	dest := []any{&id, &total, &r}
	if offset < 0 {
		dest = dest[:2] // not numbered: every row is on the page
	}
	for rows.Next() {
		r = offset + 1
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, err
		}
		if r > offset {
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return ids, total, nil
}

// listFew is the most tokens of one filter that filterFindsFew has a list
// found through: each row read through an index, 0.5 to 4 µs (in the
// table's order, as created_at's, or not), at most about 160 ms, under
// half what the scan of 1,000,000 takes; a handful is an eighth of it (a
// day's tokens are about a thousand). listFewBudget bounds each count of
// a filter alone there: from an index alone, listFew entries take 1 to 3
// ms; a filter whose count reads rows (hasNetworks=false, which no index
// serves) is not counted on, and costs the list at most that.
const (
	listFew       = 40000
	listFewBudget = 6 * time.Millisecond
)

// qFew is how many of q's candidates filterFindsFewerThanQ counts at
// first (well under a millisecond).
const qFew = 1000

// searchCandidates counts the text index's candidates for trigrams (an
// FTS5 query), up to most+1.
func (s *Store) searchCandidates(ctx context.Context, t *tx, trigrams string, most int) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM login_tokens_fts WHERE login_tokens_fts MATCH ? LIMIT ?)`,
		trigrams, most+1).Scan(&n); err != nil {
		return 0, fmt.Errorf("count search candidates: %w", err)
	}
	return n, nil
}

// filterCountBudget bounds each count of a filter in
// filterFindsFewerThanQ: up to probeRows index entries take a few
// milliseconds.
const filterCountBudget = 10 * time.Millisecond

// onePassRows is the most candidates of q that sqliteSearchInOnePass
// reads in one pass. Each candidate's row, read through the text index,
// costs about 5 µs; sorting a found token costs far less. So one query
// that reads them once and sorts all it finds beats a count and a page
// that each read them all (1,000,000 tokens, "q=gmbh&type=contact",
// 62,470 candidates, all found: 600 ms in two passes, 357 ms in one, the
// sort of all of them included). Above it, the list of so many is left
// to the count and a page, which a walk of the order may find without
// sorting them all.
const onePassRows = 100_000

// sqliteSearchInOnePass answers a list with q on SQLite in one query when
// the text index finds at most onePassRows candidates: the query checks
// each candidate, counts them all and sorts them (COUNT(*) OVER ()), where
// a count and then a page would each read every candidate's row, which is
// most of the work. Not for q alone when its candidates are enough for a
// walk of the order (see walkBudget) and an index gives the order (see
// walkOf): the walk finds the page reading far fewer rows than sorting
// them all. orderCol is the column order sorts by. done is false when it did not
// apply, or the page lies past the end (the count then says so).
func (s *Store) sqliteSearchInOnePass(ctx context.Context, tx *tx, f lt.TokenFilter, where, order, orderCol string, args []any, now time.Time) (out []*lt.LoginToken, total int, done bool, err error) {
	trigrams, ok := ftsTrigrams(f.Q)
	if !ok {
		return nil, 0, false, nil
	}
	most := onePassRows
	if s.onePassRowsInstead > 0 {
		most = s.onePassRowsInstead
	}
	candidates, err := s.searchCandidates(ctx, tx, trigrams, most)
	if err != nil {
		return nil, 0, false, err
	}
	if candidates > most {
		return nil, 0, false, nil
	}
	if onlyQ(f) {
		page, size := f.Paging()
		walk, _, _, err := s.walkBudget(ctx, tx, candidates, page*size)
		if err == nil && walk {
			_, walk, err = s.walkOf(ctx, tx, f, now, listPlan{}, where, order, orderCol, args)
		}
		if err != nil || walk {
			return nil, 0, false, err
		}
	}
	// args end with the page's LIMIT and OFFSET.
	size, _ := args[len(args)-2].(int)
	switch offset, _ := args[len(args)-1].(int); {
	case offset >= candidates:
		return nil, 0, false, nil // past the end: the count alone tells
	case offset > 0 && candidates <= numberedFew:
		out, total, err = s.numberedPage(ctx, tx, listPlan{}.table(), where, order, args[:len(args)-2], offset, size, now)
		return out, total, err == nil, err
	}
	return s.onePassPage(ctx, tx, onePassQuery(listPlan{}.table(), where, order), order, args, now)
}

// postgresSortInOnePass lists f on PostgreSQL in one query where the
// planner sorts every token found for the page (no index gives the order,
// as for one-time use or maxUses descending, or it prefers to sort: see
// walkOf): the count and then the sorted page read them twice, each by a
// parallel pass over the table. One query counts them (COUNT(*) OVER ()
// over the ids and the sort key alone) and sorts them (top-N) in one pass:
// 1,000,000 tokens, 44,187 found
// ("failedAttempts=ne:0&oneTimeUse=true&sort=-oneTimeUse&updatedAtFrom=2024-05-06"):
// 0.33-0.36 s instead of 0.96-0.98 s. With many more found it costs
// about what the two passes do (571,111: 0.45-0.46 s instead of
// 0.54-0.56 s; 489,410: 0.43-0.48 s instead of 0.36-0.38 s: one
// process instead of two workers, and the window's rows go to a temporary
// file past work_mem). walks
// reports what walkOf said, for the page (a walk of the order where the
// planner walks it); done is false where it does not apply, or the page
// lies past the end (no row then carries the count).
func (s *Store) postgresSortInOnePass(ctx context.Context, tx *tx, f lt.TokenFilter, now time.Time, where, order, orderCol string, args []any) (out []*lt.LoginToken, total int, walks, done bool, err error) {
	if _, walks, err = s.walkOf(ctx, tx, f, now, listPlan{}, where, order, orderCol, args); err != nil || walks {
		return nil, 0, walks, false, err
	}
	// Its plan costs more than the two queries' each, and may pass
	// jit_above_cost where they did not: compiling it took longer than
	// running it for a list of hundreds.
	if _, err := tx.exec(ctx, `SET LOCAL jit = off`); err != nil {
		return nil, 0, false, false, fmt.Errorf("list tokens: %w", err)
	}
	outer := strings.Replace(strings.Replace(order, orderCol, "s.k", 1), ", t.id", ", s.id", 1)
	out, total, done, err = s.onePassPage(ctx, tx, `SELECT s.id, s.n FROM (SELECT t.id, `+orderCol+` AS k, COUNT(*) OVER () AS n FROM login_tokens t`+
		where+`) s`+outer+` LIMIT ? OFFSET ?`, order, args, now)
	return out, total, false, done, err
}

// onePassQuery is the query of onePassPage for SQLite: the page of the
// tokens that where selects in table (see listPlan.table), each with the
// count of them all.
func onePassQuery(table, where, order string) string {
	return `SELECT t.id, COUNT(*) OVER () FROM ` + table + where + order + ` LIMIT ? OFFSET ?`
}

// onePassPage reads the page of tokens whose ids onePass selects, each
// with the count of all the tokens found (COUNT(*) OVER ()), and reads
// those tokens in order: one query reads and sorts every token found
// once. done is false when the page lies past the end of a list that is
// not empty: no row then carries the count.
func (s *Store) onePassPage(ctx context.Context, tx *tx, onePass, order string, args []any, now time.Time) (out []*lt.LoginToken, total int, done bool, err error) {
	s.explainList(ctx, tx, onePass, args)
	ids, total, err := idsAndCount(ctx, tx, onePass, args, -1)
	if err != nil {
		return nil, 0, false, err
	}
	if len(ids) == 0 {
		// args end with the page's LIMIT and OFFSET: none from the start
		// is none at all.
		offset, _ := args[len(args)-1].(int)
		return nil, 0, offset == 0, nil
	}
	out, err = s.tokensOf(ctx, tx, ids, order, now)
	return out, total, err == nil, err
}

// tokensOf reads the tokens of ids, in order (none: none).
func (s *Store) tokensOf(ctx context.Context, tx *tx, ids []string, order string, now time.Time) ([]*lt.LoginToken, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, idArgs := inList(ids)
	return s.tokenList(ctx, tx, tokenSelect+` WHERE t.id IN (`+in+`)`+order, idArgs, now)
}

// onlyQ reports whether q is f's only filter.
func onlyQ(f lt.TokenFilter) bool {
	g := lt.TokenFilter{Q: f.Q, Sort: f.Sort, Page: f.Page, PageSize: f.PageSize}
	return reflect.DeepEqual(f, g)
}

// tokenList reads the tokens of a query of tokenSelect.
func (s *Store) tokenList(ctx context.Context, tx *tx, q string, args []any, now time.Time) ([]*lt.LoginToken, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []*lt.LoginToken
	for rows.Next() {
		tok, _, err := s.scanToken(rows)
		if err != nil {
			return nil, err
		}
		tok.Status = tok.StatusAt(now) // the same now as the status filter
		out = append(out, tok)
	}
	return out, rows.Err()
}

// walkBudget decides how a filtered page is found: from the filters'
// indexes, sorting all they find, or by walking the index of the sort
// order and checking each row against the filters until the page is full.
// Neither planner can tell which is better: SQLite's knows neither how
// values spread nor that the LIMIT ends a walk early, and takes the
// filters' indexes even when they find most of the table ("type=contact"
// then sorted 600,000 rows for 25: 1.7 s); PostgreSQL's expects the rows
// found to be spread evenly over the order, and walks it backwards for a
// filter that keeps few old tokens (15,000 that expired about two years ago, of
// 1,000,000: 0.38 s, where sorting them takes 0.07 s).
//
// The count just made tells: for a page ending at row end, a walk reads
// about end*rows/total rows if the filter is spread evenly over the order,
// the filters' indexes read total rows. Where the walk reads under half,
// it is tried. A filter that goes against the order (tokens that expired
// a year ago, newest first) can make a walk read most of the table. Where
// the filter keeps under a tenth of the table, that is many times what
// sorting takes, and the walk has a time budget of 10 ms plus 0.25 µs per
// token found, about a tenth of what reading them the other way takes (2
// to 3 µs a row): over it, it is stopped and the page found the other
// way, for at most that tenth more. Where the filter keeps a tenth or
// more, no index narrows it much, and sorting costs about a scan of the
// table and the sort (scanPerRow a token), on both databases: the walk's
// budget is at least that scan's time, so that a walk against the order
// costs at most about twice the sort (1,000,000 tokens, "oneTimeUse=true&page=234&
// sort=-successfulAttempts": the one-time tokens, 30%, all come last; the
// walk took 2.0 s on SQLite and 1.5 s on PostgreSQL, the sort by a scan
// 0.49 s and 0.46 s), and one along it (expired tokens, oldest first)
// finds its page within it. walk reports whether to walk, and budget its
// budget. rows is the table's rows, the dialect's cheap estimate
// (tableRows), and at least the rows found.
func (s *Store) walkBudget(ctx context.Context, tx *tx, total, end int) (walk bool, budget time.Duration, rows int64, err error) {
	if err := tx.queryRow(ctx, s.d.tableRows("login_tokens")).Scan(&rows); err != nil {
		return false, 0, 0, fmt.Errorf("estimate tokens: %w", err)
	}
	rows = max(rows, int64(total))
	walk, budget = walkRule(total, end, rows)
	if walk && s.fixedWalkBudget > 0 {
		budget = s.fixedWalkBudget
	}
	return walk, budget, rows, nil
}

// walkRule is walkBudget's rule, for total tokens found of rows, the
// page ending at end.
func walkRule(total, end int, rows int64) (walk bool, budget time.Duration) {
	switch {
	case 2*int64(end)*rows >= int64(total)*int64(total):
		return false, 0
	}
	budget = 10*time.Millisecond + time.Duration(total)*time.Microsecond/4
	if 10*int64(total) >= rows {
		budget = max(budget, time.Duration(rows)*scanPerRow)
	}
	return true, budget
}

// largeTable reports whether rows tokens are enough for SQLite's list to
// scan them rather than read many through an index (see scanFrom); tests
// that fix the count's budget make every table large.
func (s *Store) largeTable(rows int64) bool {
	return rows >= scanFrom || s.fixedCountBudget > 0
}

func sortOrDefault(sort lt.Sort) lt.Sort {
	if sort.Key == "" {
		return lt.DefaultSort
	}
	return sort
}

// tokenPageSelect is tokenSelect over the ids that the query page selects
// (as id), in no particular order.
func tokenPageSelect(page string) string {
	return strings.Replace(tokenSelect, tokenFrom, "\nFROM ("+page+") p\nJOIN login_tokens t ON t.id = p.id\n", 1)
}

const tokenFrom = "\nFROM login_tokens t\n"

func init() {
	if !strings.Contains(tokenSelect, tokenFrom) {
		panic("sqlstore: tokenSelect no longer reads FROM login_tokens t; update tokenPageSelect")
	}
}

// tokenWhere builds " WHERE ..." (or "") from f: filters AND together, the
// values of one filter OR together. now decides which tokens have expired.
// plan, on SQLite only, changes how the conditions are written, not what
// they keep.
func tokenWhere(d dialect, f lt.TokenFilter, now time.Time, plan listPlan) (string, []any, error) {
	w := &tokenConds{d: d, now: now, listPlan: plan}
	for i, filter := range tokenFilters {
		w.current = i
		if err := filter(w, f); err != nil {
			return "", nil, err
		}
	}
	if plan.pair != 0 {
		// The ids of the pair's second filter, which finds more, are read
		// from its index and looked up among those of the driver's,
		// which SQLite gathers first.
		inner := func(i int) (string, error) {
			c := &tokenConds{d: d, now: now}
			if err := tokenFilters[i](c, f); err != nil {
				return "", err
			}
			w.args = append(w.args, c.args...)
			return `SELECT t.rid FROM login_tokens t WHERE ` + strings.Join(c.conds, ` AND `), nil
		}
		second, err := inner(plan.pair - 1)
		if err != nil {
			return "", nil, err
		}
		first, err := inner(plan.driver - 1)
		if err != nil {
			return "", nil, err
		}
		w.conds = append(w.conds, `t.rid IN (`+second+` AND +t.rid IN (`+first+`))`)
	}
	if len(w.conds) == 0 {
		return "", nil, nil
	}
	return ` WHERE ` + strings.Join(w.conds, ` AND `), w.args, nil
}

// keepsNone is the condition of a filter that keeps no token.
const keepsNone = `0 = 1`

// tokenFilters add the condition of each filter of the list that f sets,
// in this order; q last (filterFindsFewerThanQ counts the others).
var tokenFilters = []func(w *tokenConds, f lt.TokenFilter) error{
	whereIDs, whereUsers, whereTypes, whereExpires, whereCreated, whereUpdated, whereSuccessful, whereFailed,
	whereUses, whereNetworks, whereStatuses, whereShop, whereQ,
}

func init() {
	if reflect.ValueOf(tokenFilters[len(tokenFilters)-1]).Pointer() != reflect.ValueOf(whereQ).Pointer() {
		panic("sqlstore: whereQ is no longer the last of tokenFilters; update filterFindsFewerThanQ")
	}
}

// listPlan is how SQLite is to find a list's tokens (see tokenWhere).
type listPlan struct {
	// walkCol is the column of the sort order when the page is to be
	// found by walking its index (see walkBudget): every other column is
	// then written +t.col, which SQLite reads as "use no index for this
	// term"; the arguments are the same.
	walkCol string
	// qByLike writes q as its LIKE alone, without the text index (see
	// filterFindsFewerThanQ).
	qByLike bool
	// driver, when not 0, is 1 + the place in tokenFilters of the one
	// filter whose index is to find the rows: the columns of every other
	// filter are written +t.col (see walkCol), with the same arguments.
	driver int
	// scan reads the rows by a scan of the table, no index (see
	// countTokens); a walk still walks its order's index.
	scan bool
	// pair, when not 0 (with driver), is 1 + the place in tokenFilters of
	// a second filter: the rows are those whose ids the indexes of both
	// hold (see pairFilter), and every filter's columns are written +t.col.
	pair int
}

// table is the list's table as its queries name it, after FROM.
func (p listPlan) table() string {
	if p.scan {
		return "login_tokens t NOT INDEXED"
	}
	return "login_tokens t"
}

// tokenConds collects the conditions of tokenWhere and their arguments.
type tokenConds struct {
	listPlan
	d       dialect
	now     time.Time
	conds   []string
	args    []any
	current int // the place in tokenFilters of the filter being added
}

func (w *tokenConds) add(cond string, a ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, a...)
}

// col names column name of t, written +t.name when the page is found by
// walking the index of another column, or the rows by another filter's
// index (see listPlan).
func (w *tokenConds) col(name string) string {
	c := "t." + name
	if w.walkCol != "" {
		if c == w.walkCol {
			return c
		}
		return "+" + c
	}
	if w.notDriver() {
		return "+" + c
	}
	return c
}

// notDriver reports whether the filter being added is not the one whose
// index finds the rows (listPlan.driver).
func (w *tokenConds) notDriver() bool {
	return w.pair != 0 || w.driver != 0 && w.current != w.driver-1
}

// isIn is the condition that col is one of vals: col = ? for one value.
// SQLite's planner weighs a bound value against its statistics
// (sqlite_stat4) in col = ?, but not in col IN (?): there it took the
// index of type for "type=contact", which keeps 60% of the tokens, and
// read them row by row (3.2 s at 1,000,000 tokens, where a scan of the
// table counts them in 0.35 s).
func isIn[T any](col string, vals []T) (string, []any) {
	in, a := inList(vals)
	if len(vals) == 1 {
		return col + ` = ?`, a
	}
	return col + ` IN (` + in + `)`, a
}

func whereIDs(w *tokenConds, f lt.TokenFilter) error {
	if len(f.IDs) > 0 {
		cond, a := isIn(w.col("id"), f.IDs)
		w.add(cond, a...)
	}
	return nil
}

// whereUsers is the backoffice's "Contact or Customer" picker: either
// kind of user.
func whereUsers(w *tokenConds, f lt.TokenFilter) error {
	// A contact's tokens are all of type contact and a customer's of type
	// customer (the table's CHECKs): the ids of people whose type the list
	// leaves out find none, and their tokens are not read to tell (a
	// procurement system's contact has thousands, each a row).
	contacts, customers := f.ContactIDs, f.CustomerIDs
	if len(f.Types) > 0 {
		if !slices.Contains(f.Types, lt.UserContact) {
			contacts = nil
		}
		if !slices.Contains(f.Types, lt.UserCustomer) {
			customers = nil
		}
		if len(f.ContactIDs)+len(f.CustomerIDs) > 0 && len(contacts)+len(customers) == 0 {
			w.add(keepsNone)
			return nil
		}
	}
	var users []string
	var args []any
	if len(contacts) > 0 {
		cond, a := isIn(w.col("contact_id"), contacts)
		users = append(users, cond)
		args = append(args, a...)
	}
	if len(customers) > 0 {
		cond, a := isIn(w.col("customer_id"), customers)
		users = append(users, cond)
		args = append(args, a...)
	}
	if len(users) > 0 {
		w.add(`(`+strings.Join(users, ` OR `)+`)`, args...)
	}
	return nil
}

func whereTypes(w *tokenConds, f lt.TokenFilter) error {
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, typ := range f.Types {
			types[i] = string(typ) // drivers take plain strings, not named types
		}
		cond, a := isIn(w.col("type"), types)
		w.add(cond, a...)
	}
	return nil
}

// whereTime filters on the time range tr of col.
func whereTime(w *tokenConds, col string, tr lt.TimeRange) error {
	// A NULL expires_at fails both comparisons, so it lies in no range.
	if tr.From != nil {
		w.add(w.col(col)+` >= ?`, *tr.From)
	}
	if tr.To != nil {
		if tr.From == nil && col == "expires_at" && w.d.choosesListPlan() {
			// The same tokens, with a bound below: SQLite's estimate
			// of "up to" counts the tokens that never expire (NULL,
			// first in the index) in, and then prefers any other
			// filter's index, however many that finds. PostgreSQL's
			// leaves them out already, and would leave them out
			// twice: it would expect a tenth of the tokens where nine
			// in ten never expire.
			w.add(w.col(col) + ` IS NOT NULL`)
		}
		w.add(w.col(col)+` <= ?`, *tr.To)
	}
	return nil
}

// whereExpires, whereCreated and whereUpdated are the time ranges, each a
// filter of its own (see tokenFilters).
func whereExpires(w *tokenConds, f lt.TokenFilter) error {
	return whereTime(w, "expires_at", f.ExpiresAt)
}
func whereCreated(w *tokenConds, f lt.TokenFilter) error {
	return whereTime(w, "created_at", f.CreatedAt)
}
func whereUpdated(w *tokenConds, f lt.TokenFilter) error {
	return whereTime(w, "updated_at", f.UpdatedAt)
}

// whereCount filters on an attempt count, one condition on its column
// (valuesKept): a count is never below 0, so "lt:0" keeps nothing
// and "ge:0" everything, which neither planner knows, and "ne:0" is the
// range from 1, which an index serves where few tokens have such counts.
// The count is at least least where the other filters say so.
func whereCount(w *tokenConds, field, col string, cond *lt.CountCondition, least int64) error {
	if cond == nil {
		return nil
	}
	k := keptOf(col, 0, false)
	if err := k.compare(field, cond); err != nil {
		return err
	}
	k.atLeast(least)
	k.where(w)
	return nil
}

// whereSuccessful and whereFailed are the attempt counts, each a filter
// of its own (see tokenFilters).
func whereSuccessful(w *tokenConds, f lt.TokenFilter) error {
	// A used token has had at least one success (its limit, at least 1,
	// is spent): "used, never signed in with" keeps none, which the range
	// tells at once, where the used tokens' index would read them all.
	var least int64
	if onlyUsed(f) {
		least = 1
	}
	return whereCount(w, "successfulAttempts", "successful_attempts", f.SuccessfulAttempts, least)
}

// onlyUsed reports whether f keeps used tokens alone of the statuses.
func onlyUsed(f lt.TokenFilter) bool {
	return len(f.Statuses) > 0 && !slices.ContainsFunc(f.Statuses, func(st lt.TokenStatus) bool { return st != lt.StatusUsed })
}
func whereFailed(w *tokenConds, f lt.TokenFilter) error {
	return whereCount(w, "failedAttempts", "failed_attempts", f.FailedAttempts, 0)
}

// whereUses filters on the uses allowed: a NULL max_uses (no limit)
// fails every comparison, so it matches no condition; oneTimeUse is
// max_uses = 1. maxUses, unlimitedUses and oneTimeUse are merged into one
// condition (valuesKept): several conditions on one column are multiplied
// as if independent by PostgreSQL's estimate, which then takes "le:50,
// limited, one-time" (a third of the tokens) for 3% of them and reads
// each row through the index (0.9 s where a bitmap of them takes 0.2 s).
// The values are written so that the index of max_uses serves them where
// they are the few tokens: the column's CHECK (max_uses >= 1) makes "a
// limit" the range from 1 (SQLite reads no index for IS NOT NULL), a
// value left out at an end of the range narrows it ("not one-time" among
// limits: from 2), and any other "not n" is written as the dialect writes
// it (notEqual: ranges on PostgreSQL; on SQLite a condition no index
// serves, as the two ranges with IS NULL would gather the ids of all the
// tokens found in memory, most tokens as a rule). status=used alone keeps
// limited tokens only (below).
func whereUses(w *tokenConds, f lt.TokenFilter) error {
	u := keptOf("max_uses", 1, true)
	if c := f.MaxUses; c != nil {
		if err := u.compare("maxUses", c); err != nil {
			return err
		}
	}
	if f.UnlimitedUses != nil {
		if *f.UnlimitedUses {
			u.limits = false
		} else {
			u.none = false
		}
	}
	if f.OneTimeUse != nil {
		if *f.OneTimeUse {
			u.none = false
			u.atLeast(1)
			u.atMost(1)
		} else {
			u.not = append(u.not, 1)
		}
	}
	// A used token has a limit (its uses are all spent): "used" alone
	// keeps no token without one. Said here, the uses' condition is a
	// range of the index of max_uses: "used, not one-time" is max_uses >=
	// 2, which finds at once that no token has such a limit, where the
	// used tokens' own index read every one-time token used.
	if onlyUsed(f) {
		u.none = false
	}
	u.where(w)
	return nil
}

// valuesKept is the values of an integer column that the filters on it
// keep: NULL when none (in a nullable column: max_uses, "no limit");
// when limits, lo to hi but those in not. lo starts at least, the least
// value the column can hold: a limit's 1 (CHECK (max_uses >= 1)), a
// count's 0 (the store only ever adds 1 to a count, from 0).
type valuesKept struct {
	col          string
	nullable     bool
	none, limits bool
	least        int64 // the least value the column holds
	lo, hi       int64
	not          []int64
}

// keptOf is every value of column col, whose least value is least and
// which holds NULL where nullable: what no filter has narrowed yet.
func keptOf(col string, least int64, nullable bool) valuesKept {
	return valuesKept{col: col, nullable: nullable, none: nullable, limits: true, least: least, lo: least, hi: math.MaxInt64}
}

func (u *valuesKept) atLeast(n int64) { u.lo = max(u.lo, n) }
func (u *valuesKept) atMost(n int64)  { u.hi = min(u.hi, n) }

// compare keeps the values c keeps (a NULL fails every comparison);
// field names the filter for the error.
func (u *valuesKept) compare(field string, c *lt.CountCondition) error {
	u.none = false
	switch c.Op {
	case lt.OpEq:
		u.atLeast(c.N)
		u.atMost(c.N)
	case lt.OpLt:
		if c.N == math.MinInt64 {
			u.limits = false
		} else {
			u.atMost(c.N - 1)
		}
	case lt.OpLe:
		u.atMost(c.N)
	case lt.OpGt:
		if c.N == math.MaxInt64 {
			u.limits = false
		} else {
			u.atLeast(c.N + 1)
		}
	case lt.OpGe:
		u.atLeast(c.N)
	case lt.OpNe:
		u.not = append(u.not, c.N)
	default:
		return lt.Invalid(field, "%q is not one of eq, ne, lt, le, gt, ge", c.Op)
	}
	return nil
}

// where adds the condition that keeps these values.
func (u valuesKept) where(w *tokenConds) {
	col := w.col(u.col)
	// A value left out at either end of the range narrows the range:
	// "a limit, but not 1" is max_uses >= 2 and "not 0 failures"
	// failed_attempts >= 1, which an index serves, rather than a "not n"
	// which none does on SQLite (notEqual). Not where NULL is kept too:
	// the range's OR with IS NULL would be two index reads whose ids
	// SQLite gathers in memory (see notEqual).
	for !u.none && u.lo < u.hi && slices.Contains(u.not, u.lo) {
		u.lo++
	}
	for !u.none && u.lo < u.hi && slices.Contains(u.not, u.hi) {
		u.hi--
	}
	var not []int64
	for _, n := range u.not {
		if n >= u.lo && n <= u.hi && !slices.Contains(not, n) {
			not = append(not, n)
		}
	}
	if u.lo > u.hi || (u.lo == u.hi && len(not) == 1) {
		u.limits = false
	}
	switch {
	case u.none && !u.limits:
		w.add(col + ` IS NULL`)
		return
	case !u.none && !u.limits:
		w.add(keepsNone) // no value is kept
		return
	case u.lo == u.least && u.hi == math.MaxInt64 && len(not) == 0 && (u.none || !u.nullable):
		return // every value is kept
	}
	var conds []string
	var args []any
	switch {
	case u.lo == u.hi:
		conds, args = append(conds, col+` = ?`), append(args, u.lo)
	case u.lo == u.least && u.hi == math.MaxInt64 && (len(not) == 0 || u.none):
		if !u.none {
			conds = append(conds, col+` >= `+strconv.FormatInt(u.least, 10)) // any but NULL
		}
	default:
		if u.lo > u.least {
			conds, args = append(conds, col+` >= ?`), append(args, u.lo)
		}
		if u.hi < math.MaxInt64 {
			conds, args = append(conds, col+` <= ?`), append(args, u.hi)
		}
	}
	for _, n := range not {
		ne, k := w.d.notEqual(col)
		conds, args = append(conds, ne), append(args, slices.Repeat([]any{n}, k)...)
	}
	cond := strings.Join(conds, ` AND `)
	if u.none {
		cond = `(` + col + ` IS NULL OR ` + cond + `)`
	}
	w.add(cond, args...)
}

// whereNetworks keeps the tokens bound to client networks, or those that
// are not (networks is NULL for them). "Bound", as a rule few tokens, is
// found through the partial index of migration 00023, which holds just
// them (see boundToNetworks); "not bound", most tokens, has no index.
func whereNetworks(w *tokenConds, f lt.TokenFilter) error {
	if f.HasNetworks != nil {
		if *f.HasNetworks {
			w.add(w.d.boundToNetworks(w.col))
		} else {
			w.add(w.col("networks") + ` IS NULL`)
		}
	}
	return nil
}

// whereStatuses decides in the same order as lt.LoginToken.StatusAt: used
// (the uses allowed all spent) wins over expired, expired over active. The
// text matches the partial indexes of migration 00021, which the planners
// then use: the used tokens, and the expiry of the others. The
// expiry key is expires_at with never as the latest time, so expired and
// active are each one range of it.
func whereStatuses(w *tokenConds, f lt.TokenFilter) error {
	if len(f.Statuses) == 0 {
		return nil
	}
	used := `(` + w.col("max_uses") + ` IS NOT NULL AND ` + w.col("successful_attempts") + ` >= ` + w.col("max_uses") + `)`
	key := w.d.expiresKey("t.expires_at")
	if (w.walkCol != "" && w.walkCol != key) || (w.walkCol == "" && w.notDriver()) {
		key = w.d.expiresKey("+t.expires_at")
	}
	if w.walkCol == key {
		// The walk is down the unused tokens' expiry index itself, which
		// SQLite uses only where the query says its condition as the
		// index does.
		used = `(t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses)`
	}
	var ors []string
	var args []any
	for _, st := range f.Statuses {
		switch st {
		case lt.StatusUsed:
			ors = append(ors, used)
		case lt.StatusExpired:
			ors = append(ors, `(NOT `+used+` AND `+key+` <= ?)`)
			args = append(args, w.now)
		case lt.StatusActive:
			ors = append(ors, `(NOT `+used+` AND `+key+` > ?)`)
			args = append(args, w.now)
		default:
			return lt.Invalid("status", "%q is not one of active, expired, used", st)
		}
	}
	w.add(`(`+strings.Join(ors, ` OR `)+`)`, args...)
	return nil
}

// whereShop keeps the tokens bound to one shop (the index of migration
// 00009 finds them); unbound tokens, which sign in at any shop, are not
// among them.
func whereShop(w *tokenConds, f lt.TokenFilter) error {
	if f.ShopID != nil {
		w.add(w.col("shop_id")+` = ?`, *f.ShopID)
	}
	return nil
}

// whereQ finds q in the user's text or the extra lines: user_search and
// extra_search are stored lowercased; likePattern lowercases q and makes
// % and _ literal. Each database finds the candidates its own way
// (dialect.matchText).
func whereQ(w *tokenConds, f lt.TokenFilter) error {
	if f.Q != "" {
		cond, args := w.d.matchText(w.col, f.Q, w.qByLike)
		w.add(cond, args...)
	}
	return nil
}

// likeText is the condition that q's LIKE pattern p matches the user's
// text or the extra lines.
func likeText(col func(string) string) string {
	return `(` + col("user_search") + ` LIKE ? ESCAPE '\' OR ` + col("extra_search") + ` LIKE ? ESCAPE '\')`
}

// matchText on SQLite: the FTS5 trigram index finds the candidates, and
// the LIKE keeps the exact meaning (a row holding every trigram of q need
// not hold q, and the index folds case its own way). A q of one or two
// characters holds no trigram, and is found by reading every row; with
// byLike, the rows the other filters find are checked by the LIKE alone.
func (sqliteDialect) matchText(col func(string) string, q string, byLike bool) (string, []any) {
	p := likePattern(q)
	trigrams, indexed := ftsTrigrams(q)
	if !indexed || byLike {
		return likeText(col), []any{p, p}
	}
	return col("rid") + ` IN (SELECT rowid FROM login_tokens_fts WHERE login_tokens_fts MATCH ?) AND ` + likeText(col),
		[]any{trigrams, p, p}
}

// matchText on PostgreSQL: the pg_trgm GIN indexes answer the LIKE
// itself, but a q without three letters or digits in a row
// (bounds.Indexed) holds no trigram of its own, and they would read every
// entry (or most): slower than reading the table, so the LIKE is then
// written on expressions that keep them out. Such a search reads every
// token: the API and the backoffice let only a few run at once
// (bounds.Gates.EnterSearch).
func (postgresDialect) matchText(col func(string) string, q string, _ bool) (string, []any) {
	p := likePattern(q)
	if !bounds.Indexed(q) {
		return `((t.user_search || '') LIKE ? ESCAPE '\' OR (t.extra_search || '') LIKE ? ESCAPE '\')`, []any{p, p}
	}
	return likeText(col), []any{p, p}
}

// notEqual on PostgreSQL is the two ranges around the value, which the
// column's index serves where most tokens have it (maxUses ne:3 where
// most limits are 3; a value at an end of the range is a range itself,
// see valuesKept): the same rows (a NULL fails both, as it fails <>),
// and the planner, from its statistics, reads the index only for a few;
// a BitmapOr of many is bounded by work_mem.
func (postgresDialect) notEqual(col string) (string, int) {
	return `(` + col + ` < ? OR ` + col + ` > ?)`, 2
}

// notEqual on SQLite is <>, which no index serves. The two ranges would
// be read as a MULTI-INDEX OR, which gathers the ids of every token found
// in memory, whatever its count: 20 MB of the server's memory for
// failedAttempts ne:1, which finds nearly every token.
func (sqliteDialect) notEqual(col string) (string, int) {
	return col + ` <> ?`, 1
}

// boundToNetworks on PostgreSQL is the partial index's predicate, which
// the planner, knowing from its statistics how few tokens match, reads
// the index for.
func (postgresDialect) boundToNetworks(col func(string) string) string {
	return col("networks") + ` IS NOT NULL`
}

// boundToNetworks on SQLite asks for the rows the partial index holds.
// Its planner would use the index for the predicate itself only to walk
// the order (created_at), and never to find the few: it costs a scan of a
// whole partial index as one of the whole table, and prefers any other
// filter's index ("hasNetworks=true&oneTimeUse=true" read the 60,000
// one-time tokens of 200,000 for none bound). A subquery of the index's
// rows it takes to be a few (as for the text index of q). Where the page
// is found by walking the order, col keeps the subquery from steering it.
func (sqliteDialect) boundToNetworks(col func(string) string) string {
	return col("rid") + ` IN (SELECT rid FROM login_tokens WHERE networks IS NOT NULL)`
}

// expiresKey is expires_at with "never" as the latest time, as the partial
// index of the unused tokens' expiry has it: the expression on SQLite,
// which reads a generated column only from its row. col is how the query
// names expires_at.
func (sqliteDialect) expiresKey(col string) string {
	return `COALESCE(` + col + `, '9999-12-31T23:59:59.999999Z')`
}

// expiresKey on PostgreSQL is a stored generated column, whose index-only
// scans need the column itself.
func (postgresDialect) expiresKey(col string) string {
	return strings.Replace(col, "expires_at", "expires_key", 1)
}

// ftsTrigrams is an FTS5 query for the rows that hold every trigram of q
// (the index keeps no positions, so not for q itself); false when q is
// too short to hold one. A longer q is asked for by six trigrams spread
// over it: each costs a read of its rows in the index (2 ms for the common
// ones of a million tokens), six find few rows already, and the LIKE
// checks those. Nor for a q with NUL, which an FTS5 query cannot hold
// (SQLite reads its string as ending there): the LIKE alone takes it.
func ftsTrigrams(q string) (string, bool) {
	const most = 6
	r := []rune(strings.ToLower(q))
	n := len(r) - 2
	if n < 1 || strings.ContainsRune(q, 0) {
		return "", false
	}
	var terms []string
	for i := range min(n, most) {
		at := i
		if n > most {
			at = i * (n - 1) / (most - 1)
		}
		term := `"` + strings.ReplaceAll(string(r[at:at+3]), `"`, `""`) + `"`
		if !slices.Contains(terms, term) {
			terms = append(terms, term)
		}
	}
	return strings.Join(terms, " "), true
}

// tokenOrder builds " ORDER BY ..." for f's sort: empty values last in
// both directions, ties broken by id in the same direction so that paging
// is stable. col is the column sorted by.
func tokenOrder(d dialect, f lt.TokenFilter) (order, col string, err error) {
	sort := sortOrDefault(f.Sort)
	c, ok := tokenSortColumns[sort.Key]
	if !ok {
		return "", "", lt.Invalid("sort", "%q is not a sort key", sort.Key)
	}
	if sort.Key == lt.SortExpiresAt && expiresAtSet(f) {
		// No token that never expires is in the list, so the expiry key
		// orders it as expires_at does, and its index serves the status
		// filter and the order at once: "expired, latest first" reads
		// 25 entries instead of sorting 570,000 rows.
		c.col, c.nullable = d.expiresKey("t.expires_at"), false
	}
	dir := ` ASC`
	if sort.Desc {
		dir = ` DESC`
	}
	nulls := ""
	if c.nullable {
		// Only where a column can be NULL: PostgreSQL reads a plain index
		// backwards as DESC NULLS FIRST and will not use it for DESC NULLS
		// LAST even on a NOT NULL column, so the default -createdAt would
		// sort the whole table. Migration 00002 adds the DESC NULLS LAST
		// indexes of the nullable columns.
		nulls = ` NULLS LAST`
	}
	return ` ORDER BY ` + c.col + dir + nulls + `, t.id` + dir, c.col, nil
}

// expiresAtSet reports whether f keeps out every token that never
// expires: an expiry range, or only the expired status.
func expiresAtSet(f lt.TokenFilter) bool {
	if !f.ExpiresAt.IsZero() {
		return true
	}
	return len(f.Statuses) > 0 && !slices.ContainsFunc(f.Statuses, func(st lt.TokenStatus) bool { return st != lt.StatusExpired })
}

// StreamTokens calls fn for every token matching f, in f's order, without
// paging (for exports).
func (s *Store) StreamTokens(ctx context.Context, f lt.TokenFilter, fn func(*lt.LoginToken) error) error {
	now := s.now()
	where, args, err := tokenWhere(s.d, f, now, listPlan{})
	if err != nil {
		return err
	}
	order, _, err := tokenOrder(s.d, f)
	if err != nil {
		return err
	}
	return s.readExport(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, tokenSelect+where+order, args...)
		if err != nil {
			return fmt.Errorf("export tokens: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			tok, _, err := s.scanToken(rows)
			if err != nil {
				return err
			}
			tok.Status = tok.StatusAt(now)
			if err := fn(tok); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
