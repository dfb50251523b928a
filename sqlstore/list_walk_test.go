package sqlstore_test

import (
	"database/sql"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// checkSeededPage lists query on a seeded store and asserts the page and
// the count that the filter applied in Go gives.
func checkSeededPage(t *testing.T, s *sqlstore.Store, all []*lt.LoginToken, query string) lt.TokenFilter {
	t.Helper()
	f, got, total := listTokens(t, s, query)
	want := filterInGo(all, f, t0)
	page, size := f.Paging()
	wantPage := want[min(len(want), (page-1)*size):min(len(want), page*size)]
	if total != len(want) || !slices.Equal(listIDs(got), listIDs(wantPage)) {
		t.Fatalf("%s: found %d, want %d\ngot  %v\nwant %v", query, total, len(want), listIDs(got), listIDs(wantPage))
	}
	return f
}

// onePassPlans are SQLite's queries that count the tokens found and find
// the page at once (COUNT(*) OVER ()) among ExplainTokens' lines, each
// its head line and plan in one string, in the order they ran.
func onePassPlans(lines []string) []string {
	var plans []string
	in := false
	for _, l := range lines {
		if strings.HasPrefix(l, "-- ") {
			in = strings.HasPrefix(l, "-- SELECT t.id, COUNT(*) OVER () FROM") || strings.HasPrefix(l, "-- SELECT id, n, r FROM")
			if in {
				plans = append(plans, "")
			}
		}
		if in {
			plans[len(plans)-1] += l + "\n"
		}
	}
	return plans
}

// pagePlans are the plans of the page queries among ExplainTokens' lines,
// one string each, in the order they ran.
func pagePlans(lines []string) []string {
	var plans []string
	in := false
	for _, l := range lines {
		if strings.HasPrefix(l, "-- ") {
			in = strings.HasPrefix(l, "-- SELECT t.id FROM login_tokens t")
			if in {
				plans = append(plans, "")
			}
			continue
		}
		if in {
			plans[len(plans)-1] += l + "\n"
		}
	}
	return plans
}

// Few old tokens under the default order, newest first, are found by
// their filter's index and sorted, on both databases: a walk of
// created_at backwards would pass nearly every token before the first of
// them. PostgreSQL's planner, which expects them spread over the order,
// takes that walk when the query leaves it an index for the order.
func TestFewTokensAgainstTheOrderAreSortedNotWalked(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 20000)
		all := allTokens(t, s)
		day := func(d int) string { return t0.AddDate(0, 0, d).Format("2006-01-02") }
		for _, query := range []string{"expiresAtTo=" + day(-800) + "&type=contact", "updatedAtTo=" + day(-900), "updatedAtTo=" + day(-900) + "&page=2&pageSize=10"} {
			f := checkSeededPage(t, s, all, query)
			lines, err := s.ExplainTokens(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			plans := pagePlans(lines)
			if len(plans) != 1 || strings.Contains(plans[0], "login_tokens_created_at") {
				t.Errorf("%s: want one page query, not walking created_at:\n%s", query, strings.Join(lines, "\n"))
			}
		}
	})
}

// A walk of the order that runs over its budget is stopped, and the page
// found by the filters' indexes and sorted, in the same read: the plans
// show both page queries, and the page is the one the filter gives.
func TestAWalkOverItsBudgetEndsInASortedPage(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 3000)
		all := allTokens(t, s)
		for _, query := range []string{"type=contact", "oneTimeUse=false&sort=-lastAccessedAt&page=3"} {
			checkSeededPage(t, s, all, query)
		}
		if s.Dialect() == "postgres" {
			return // a statement_timeout has no shorter budget than 1 ms: see the test with a lock
		}
		s.SetWalkBudget(time.Nanosecond)
		for _, query := range []string{"type=contact", "oneTimeUse=false&sort=-lastAccessedAt&page=3"} {
			f := checkSeededPage(t, s, all, query)
			lines, err := s.ExplainTokens(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if plans := pagePlans(lines); len(plans) != 2 || !strings.Contains(plans[1], "USE TEMP B-TREE FOR ORDER BY") {
				t.Errorf("%s: want a walk, then a sort:\n%s", query, strings.Join(lines, "\n"))
			}
		}
	})
}

// A page in an order that no index gives (oneTimeUse's; maxUses
// descending on PostgreSQL, whose index read backwards gives the tokens
// without a limit first) is sorted at once: a walk would read and sort the
// same rows, and over its budget be done again. On SQLite, with a walk's
// budget that no walk keeps, the plans show one page query, not a walk and
// then a sort, and a search for q alone is the one query that counts and
// sorts its candidates; on PostgreSQL one query counts the tokens and
// sorts them at once (postgresSortInOnePass), without a count or a page
// query of its own. An order that an index gives is still walked: two
// page queries on SQLite (the walk over its budget, then the sort), on
// PostgreSQL one without COALESCE. The page and count are the filter's.
func TestAPageInAnOrderNoIndexGivesIsSortedNotWalked(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 3000)
		all := allTokens(t, s)
		pg := s.Dialect() == "postgres"
		sorted := []string{"createdAtFrom=2000-01-01&sort=-oneTimeUse", "oneTimeUse=false&sort=oneTimeUse&page=3", "type=contact&sort=-oneTimeUse"}
		walked := []string{"type=contact", "createdAtFrom=2000-01-01&sort=-successfulAttempts"}
		if pg {
			// A list of none is counted by the same query: no row from
			// the start is none at all.
			sorted = append(sorted, "createdAtFrom=2000-01-01&sort=-maxUses", "type=customer&sort=-maxUses&page=2", "failedAttempts=ge:1000&sort=-oneTimeUse")
		} else {
			s.SetWalkBudget(time.Nanosecond)
		}
		explain := func(query string) []string {
			t.Helper()
			f := checkSeededPage(t, s, all, query)
			lines, err := s.ExplainTokens(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return lines
		}
		for _, query := range sorted {
			lines := explain(query)
			onePass := slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, onePassHead) })
			counted := slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "-- SELECT COUNT(*)") })
			switch plans := pagePlans(lines); {
			case pg && (len(plans) != 0 || !onePass || counted):
				t.Errorf("%s: want one query that counts and sorts:\n%s", query, strings.Join(lines, "\n"))
			case !pg && len(plans) != 1:
				t.Errorf("%s: want one page query, sorted:\n%s", query, strings.Join(lines, "\n"))
			}
		}
		for _, query := range walked {
			lines := explain(query)
			plans := pagePlans(lines)
			if pg && (len(plans) != 1 || strings.Contains(plans[0], "COALESCE(")) || !pg && len(plans) != 2 {
				t.Errorf("%s: want a walk of the order:\n%s", query, strings.Join(lines, "\n"))
			}
		}
		if pg {
			return
		}
		const query = "q=gmbh&sort=-oneTimeUse"
		lines := explain(query)
		if plans := pagePlans(lines); len(plans) != 0 || !slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "-- SELECT t.id, COUNT(*) OVER ()")
		}) {
			t.Errorf("%s: want the one query that counts and sorts:\n%s", query, strings.Join(lines, "\n"))
		}
	})
}

// On PostgreSQL a walk stopped by its statement_timeout leaves the read
// transaction usable, without the timeout: the page query that follows
// waits for a lock far longer than the walk's budget, and answers once it
// is given. Another connection locks companies, which the page's query
// joins and the count does not: the walk waits until its budget runs out,
// then the sorted page's query waits (its ORDER BY an expression) until
// the lock is released.
func TestAWalkOverItsBudgetOnPostgreSQLLeavesTheTransactionUsable(t *testing.T) {
	u := sqlstoretest.PostgresURL(t)
	s, err := sqlstore.Open(ctx, u, sqlstoretest.NewKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seedStore(t, s, 3000)
	all := allTokens(t, s)
	s.SetWalkBudget(10 * time.Millisecond) // fixed, whatever the rule gives a third of the tokens
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `LOCK TABLE companies IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const query = "type=contact"
	q, _ := url.ParseQuery(query)
	f, err := lt.ParseTokenFilter(q)
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		toks  []*lt.LoginToken
		total int
		err   error
	}
	done := make(chan answer, 1)
	go func() {
		toks, total, err := s.FindTokens(ctx, f)
		done <- answer{toks, total, err}
	}()
	for deadline := time.Now().Add(time.Minute); ; {
		var sorting int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%COALESCE(t.created_at, t.created_at)%' AND pid <> pg_backend_pid()`).Scan(&sorting); err != nil {
			t.Fatal(err)
		}
		if sorting > 0 {
			break
		}
		select {
		case a := <-done:
			t.Fatalf("the list answered while companies were locked: %d tokens, %v", len(a.toks), a.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no sorted page query waits for the lock: the walk was not stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	want := filterInGo(all, f, t0)
	if a.total != len(want) || !slices.Equal(listIDs(a.toks), listIDs(want[:25])) {
		t.Fatalf("found %d, want %d\ngot  %v\nwant %v", a.total, len(want), listIDs(a.toks), listIDs(want[:25]))
	}
}

// On SQLite a count that runs over its budget is stopped and counted
// again by a scan of the table, in the same read, and the list is the one
// the filters give: the plans show the count stopped, then the scan that
// counts and finds the page at once (see TestAListThatIsScannedIsReadOnce).
// A count whose plan scans the table already has no budget, and a small
// table none at all. A sorted page of many tokens is read by a scan too.
func TestACountOverItsBudgetIsCountedByAScan(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 3000)
	all := allTokens(t, s)
	day := func(d int) string { return t0.AddDate(0, 0, d).Format("2006-01-02") }
	queries := []string{
		"type=contact&failedAttempts=ne:2",
		"maxUses=eq:1&type=customer&sort=type",
		"oneTimeUse=false&type=contact,anonymous&sort=-lastAccessedAt&page=3",
		"status=used,active&sort=name",
		"createdAtFrom=" + day(-400) + "&successfulAttempts=ne:1&sort=expiresAt&page=2&pageSize=7",
		"updatedAtTo=" + day(-300) + "&unlimitedUses=true&sort=-failedAttempts",
		"type=anonymous&status=expired&page=400",
	}
	counts := func(lines []string) []string {
		var heads []string
		for _, l := range lines {
			if strings.HasPrefix(l, "-- SELECT COUNT(*) FROM login_tokens t") {
				heads = append(heads, l)
			}
		}
		return heads
	}
	for _, query := range queries {
		f := checkSeededPage(t, s, all, query)
		lines, err := s.ExplainTokens(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if c := counts(lines); len(c) != 1 || strings.Contains(c[0], "NOT INDEXED") {
			t.Errorf("%s: 3,000 tokens, want one count without a budget:\n%s", query, strings.Join(lines, "\n"))
		}
	}
	// Every walk stopped too. A count that runs over its budget has its
	// page and its count found by one scan (the walk of the order, where
	// one is tried, stops at once); a count whose plan is the scan has its
	// sorted page read by a scan if it is of a sixteenth of the table or
	// more, by the planner's plan if of fewer.
	s.SetCountBudget(time.Nanosecond)
	s.SetWalkBudget(time.Nanosecond)
	scanned := 0
	for _, query := range append(queries, "hasNetworks=false&sort=createdAt", "type=contact&failedAttempts=ge:3", "maxUses=eq:2&type=contact&page=2", "type=contact&failedAttempts=ge:3&pageSize=10") {
		f := checkSeededPage(t, s, all, query)
		lines, err := s.ExplainTokens(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		page, size := f.Paging()
		found := len(filterInGo(all, f, t0))
		onePass := slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "-- SELECT t.id, COUNT(*) OVER () FROM login_tokens t NOT INDEX")
		})
		var heads []string
		for _, l := range lines {
			if strings.HasPrefix(l, "-- SELECT t.id FROM login_tokens t") {
				heads = append(heads, l)
			}
		}
		pageScanned := len(heads) > 0 && strings.Contains(heads[len(heads)-1], "NOT INDEXED")
		c := counts(lines)
		first := strings.Split(countPlan(lines), "\n")[0]
		switch {
		case len(c) == 1 && first == "SCAN t" && !strings.Contains(c[0], "NOT INDEXED") && !onePass:
			// The planner's plan is the scan: it runs once, without a
			// budget. No index holds the tokens without networks.
			if want := 16*found >= len(all); found > (page-1)*size && pageScanned != want {
				t.Errorf("%s: %d of %d found, want the sorted page NOT INDEXED: %v\n%s", query, found, len(all), want, strings.Join(lines, "\n"))
			}
		case strings.HasPrefix(query, "hasNetworks=false"):
			t.Errorf("%s: want one count, a scan:\n%s", query, strings.Join(lines, "\n"))
		case len(c) == 1 && !strings.Contains(c[0], "NOT INDEXED") && onePass && (found > (page-1)*size || found == 0 && page == 1):
			scanned++
		case len(c) == 2 && !strings.Contains(c[0], "NOT INDEXED") && strings.Contains(c[1], "NOT INDEXED"):
			// A deeper page, or one past the end, which has no row to
			// carry the count: the count is made by a scan, and the
			// page's sort of many tokens by a scan too.
			if found > (page-1)*size && !pageScanned {
				t.Errorf("%s: %d of %d found, want the sorted page NOT INDEXED\n%s", query, found, len(all), strings.Join(lines, "\n"))
			}
			scanned++
		default:
			t.Errorf("%s: want a count stopped, then one scan that counts and pages, or a scan that counts and one that pages:\n%s", query, strings.Join(lines, "\n"))
		}
	}
	if scanned < 3 {
		t.Errorf("%d counts were stopped and scanned, want at least 3 of %d", scanned, len(queries)+4)
	}
}

// On SQLite a list of several filters without q is found through the
// index of the one filter that alone finds fewest tokens, when it finds at
// most a few (SetListFew): the planner may read a broad filter's index
// instead (tokens created in the future, and tokens with a failed
// attempt). A filter that finds none answers the list without counting it;
// one that finds a few drives one query that counts the list and finds its
// page (its index in that query's plan, and no count of its own), also
// for a page past the end of the tokens found; a page past the end of the
// filter's tokens is counted alone, through its index. Where it finds
// more than an eighth of a few, and another filter finds a few, the
// query reads the rows of the ids both filters' indexes hold; where it
// finds so many that a walk of the order's index finds the page (a page
// of one, newest first, of the tokens created in the last 20 days), the
// count goes through the filter's index and the walk finds the page;
// where every filter finds more, the planner's plan counts. The page and
// count are the filter's.
func TestAFilterOfFewTokensDrivesTheList(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 3000)
	all := allTokens(t, s)
	s.SetListFew(200)
	s.SetFilterCountBudget(time.Minute) // the counts choose the way, not the machine's speed
	day := func(d int) string { return t0.AddDate(0, 0, d).Format("2006-01-02") }
	few := "createdAtFrom=" + day(-3) + "&createdAtTo=" + day(-1) + "&failedAttempts=gt:0&type=contact,customer"
	// The contact and the customer of most tokens.
	tokensOf := map[lt.UserType]map[int64]int{lt.UserContact: {}, lt.UserCustomer: {}}
	most := map[lt.UserType]int64{}
	for _, tok := range all {
		if tok.User != nil {
			n := tokensOf[tok.Type]
			if n[tok.User.ID]++; n[tok.User.ID] > n[most[tok.Type]] {
				most[tok.Type] = tok.User.ID
			}
		}
	}
	contact, customer := strconv.FormatInt(most[lt.UserContact], 10), strconv.FormatInt(most[lt.UserCustomer], 10)
	if n := tokensOf[lt.UserContact][most[lt.UserContact]]; n < 20 {
		t.Fatalf("the contact of most tokens has %d; want a contact of many", n)
	}
	pair := "createdAtFrom=" + day(-30) + "&failedAttempts=gt:4"
	// past: the page lies past the end of what the filter's index finds,
	// which the count alone tells.
	for _, c := range []struct {
		query, index, pair string
		past               bool
	}{
		{"createdAtFrom=" + day(400) + "&failedAttempts=gt:0", "", "", false},
		{"createdAtFrom=" + day(-20) + "&updatedAtFrom=" + day(400), "", "", false},
		// A contact's tokens are none of a customer's: none found, none read.
		{"contactIds=" + contact + "&type=customer,anonymous", "", "", false},
		{"contactIds=" + contact + "&customerIds=" + customer + "&type=anonymous&sort=name", "", "", false},
		// A used token has signed in at least once.
		{"status=used&successfulAttempts=lt:1&type=contact", "", "", false},
		{few, "login_tokens_created_at", "", false},
		{few + "&sort=-failedAttempts&page=2&pageSize=5", "login_tokens_created_at", "", false},
		{few + "&sort=oneTimeUse&page=40", "login_tokens_created_at", "", true},
		{pair, "login_tokens_failed", "login_tokens_created_at", false},
		{pair + "&sort=-lastAccessedAt&page=3&pageSize=7", "login_tokens_failed", "login_tokens_created_at", false},
		{pair + "&sort=name&page=12", "login_tokens_failed", "login_tokens_created_at", true},
		{"failedAttempts=gt:0&type=contact", "(planner)", "", false},
		{"createdAtFrom=" + day(-20) + "&hasNetworks=false&sort=-createdAt&pageSize=1", "(walk)", "", false},
	} {
		f := checkSeededPage(t, s, all, c.query)
		lines, err := s.ExplainTokens(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var count string
		counted := false
		for i, l := range lines {
			if strings.HasPrefix(l, "-- SELECT COUNT(*) FROM login_tokens t") {
				counted = true
				for _, p := range lines[i+1:] {
					if strings.HasPrefix(p, "-- ") {
						break
					}
					count += p + "\n"
				}
			}
		}
		onePass := strings.Join(onePassPlans(lines), "")
		paged := onePass != ""
		found := onePass
		if c.past {
			found = count
		}
		switch {
		case c.index == "" && (counted || paged):
			t.Errorf("%s: want no count, a filter finds none:\n%s", c.query, strings.Join(lines, "\n"))
		case c.index == "(planner)" && (!counted || paged):
			t.Errorf("%s: want the planner's count:\n%s", c.query, strings.Join(lines, "\n"))
		case c.index == "(walk)" && (!counted || paged || !strings.Contains(count, "login_tokens_created_at ") ||
			len(pagePlans(lines)) != 1 || strings.Contains(pagePlans(lines)[0], "TEMP B-TREE")):
			t.Errorf("%s: want a count through login_tokens_created_at, then a walk of it:\n%s", c.query, strings.Join(lines, "\n"))
		case c.index == "(walk)":
		case c.past && (!counted || paged):
			t.Errorf("%s: want the count alone, the page lies past the end:\n%s", c.query, strings.Join(lines, "\n"))
		case !c.past && c.index != "" && c.index != "(planner)" && (counted || !paged):
			t.Errorf("%s: want one query that counts and pages:\n%s", c.query, strings.Join(lines, "\n"))
		case c.index != "" && c.index != "(planner)" && c.pair == "" && !strings.Contains(found, c.index+" "):
			t.Errorf("%s: want the tokens through %s:\n%s", c.query, c.index, strings.Join(lines, "\n"))
		case c.pair != "" && !(strings.Contains(found, "INTEGER PRIMARY KEY") && strings.Contains(found, "COVERING INDEX "+c.pair+" ") &&
			strings.Contains(found, "COVERING INDEX "+c.index+" ")):
			t.Errorf("%s: want the ids of %s and %s, and only their rows:\n%s", c.query, c.index, c.pair, strings.Join(lines, "\n"))
		case c.pair == "" && strings.Contains(found, "INTEGER PRIMARY KEY"):
			t.Errorf("%s: want the rows of %s alone:\n%s", c.query, c.index, strings.Join(lines, "\n"))
		}
	}
}

// On SQLite a list whose count is to read the table (its count ran over
// its budget) reads the table once when its page is near the start: where
// an index gives the order, a walk of the order finds the page and the
// scan counts; otherwise (an order no index gives, a walk that runs over
// its budget) one scan counts the tokens and finds the page at once. A
// deeper page is counted first, then walked or sorted as before. Pages
// and counts are the filter's.
func TestAListThatIsScannedIsReadOnce(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 3000)
	all := allTokens(t, s)
	s.SetCountBudget(time.Nanosecond)
	has := func(lines []string, prefix string) int {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				n++
			}
		}
		return n
	}
	const (
		stopped = "-- SELECT COUNT(*) FROM login_tokens t WHERE"
		scanned = "-- SELECT COUNT(*) FROM login_tokens t NOT INDEX"
		walked  = "-- SELECT t.id FROM login_tokens t WHERE"
		onePass = "-- SELECT t.id, COUNT(*) OVER () FROM login_tokens t NOT INDEX"
	)
	for _, tc := range []struct {
		query string
		walk  time.Duration
		want  []int // stopped, scanned, walked, onePass
	}{
		{"type=contact&failedAttempts=ge:3&pageSize=10", time.Minute, []int{1, 1, 1, 0}},
		{"failedAttempts=ge:3&type=contact,anonymous&pageSize=10&sort=name", time.Minute, []int{1, 1, 1, 0}},
		{"type=contact&failedAttempts=ge:3&pageSize=10", time.Nanosecond, []int{1, 0, 1, 1}},
		{"type=contact&failedAttempts=ge:3&pageSize=10&sort=-oneTimeUse", time.Minute, []int{1, 0, 0, 1}},
		{"type=contact&failedAttempts=ge:3&pageSize=10&page=3", time.Minute, []int{1, 1, 0, 0}},
		{"type=contact&failedAttempts=ge:3&page=2", time.Minute, []int{1, 1, 0, 0}},
		{"type=contact&failedAttempts=ge:3&page=2&sort=oneTimeUse", time.Minute, []int{1, 1, 0, 0}},
	} {
		s.SetWalkBudget(tc.walk)
		f := checkSeededPage(t, s, all, tc.query)
		lines, err := s.ExplainTokens(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got := []int{has(lines, stopped), has(lines, scanned), has(lines, walked), has(lines, onePass)}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s, walk budget %v: queries (count stopped, count scanned, walk, one scan) %v, want %v:\n%s",
				tc.query, tc.walk, got, tc.want, strings.Join(lines, "\n"))
		}
	}
	// Whichever way: orders of columns that may be NULL, both ways, and
	// pages past the end near the start, which no row of the one scan
	// counts (the count's scan does).
	for _, walk := range []time.Duration{time.Nanosecond, time.Minute} {
		s.SetWalkBudget(walk)
		for _, query := range []string{
			"failedAttempts=ge:4&type=anonymous&pageSize=2&page=7&sort=-name",
			"failedAttempts=ge:3&type=contact&pageSize=3&page=2&sort=maxUses",
			"failedAttempts=ge:3&type=contact&pageSize=3&sort=-maxUses",
			"failedAttempts=ge:3&type=contact,customer&pageSize=5&sort=lastAccessedAt",
			"failedAttempts=ge:3&type=contact&pageSize=4&sort=-expiresAt",
			"failedAttempts=ge:3&type=contact&pageSize=10&page=14",
			"failedAttempts=ge:3&type=contact&pageSize=10&page=14&sort=-oneTimeUse",
			"failedAttempts=ge:50&type=contact&pageSize=10&sort=-oneTimeUse",
		} {
			checkSeededPage(t, s, all, query)
		}
	}
}
