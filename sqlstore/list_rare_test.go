package sqlstore_test

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// countPlan is the plan of the count query among ExplainTokens' lines;
// of each count query, one after the other, where the list counted twice
// (a count over its budget on SQLite, then its scan). PostgreSQL's query
// that counts and sorts at once (onePassHead) counts as a count.
func countPlan(lines []string) string {
	var plan string
	in := false
	for _, l := range lines {
		if strings.HasPrefix(l, "-- ") {
			in = strings.HasPrefix(l, "-- SELECT COUNT(*) FROM login_tokens t") || strings.HasPrefix(l, onePassHead)
			continue
		}
		if in {
			plan += l + "\n"
		}
	}
	return plan
}

// onePassHead heads PostgreSQL's query that counts the tokens found and
// sorts them at once, among ExplainTokens' lines.
const onePassHead = "-- SELECT s.id, s.n FROM (SELECT t.id, "

// execAll runs statements on the store's database, then has the planner
// learn the table anew.
func execAll(t *testing.T, s *sqlstore.Store, stmts ...string) {
	t.Helper()
	// SQLite's other connections, the readers among them, load the
	// statistics again only when the schema changes, which ANALYZE alone
	// does not do: a table made and dropped makes them.
	analyze := []string{`ANALYZE`, `CREATE TABLE analyzed (x)`, `DROP TABLE analyzed`}
	if s.Dialect() == "postgres" {
		// VACUUM too: the updates' dead index entries would count as
		// entries read.
		analyze = []string{`VACUUM (ANALYZE) login_tokens`}
	}
	for _, q := range append(stmts, analyze...) {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// Each filter value that keeps a few tokens of many is found through an
// index on both databases, for its count and its page, and not by reading
// every token; and the list finds exactly the tokens the filter gives. The
// few are made rare among 20,000 seeded tokens in turn: tokens bound to
// networks, tokens with a limit on their uses (or one above 1), tokens
// without one, tokens with failed attempts, and the few bound to networks
// among many one-time tokens.
func TestFewTokensOfAFilterAreFoundByAnIndex(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 20000)
		first := func(n int, desc bool) string {
			order := "id"
			if desc {
				order += " DESC"
			}
			return `(SELECT id FROM (SELECT id FROM login_tokens ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(n) + `) f)`
		}
		// limited is the index of the tokens with a limit: on SQLite the
		// partial one of migration 00023 (see there why).
		limited := "login_tokens_max_uses"
		if s.Dialect() == "sqlite" {
			limited = "login_tokens_limited"
		}
		steps := []struct {
			name    string
			stmts   []string
			queries map[string]string // query: the index that must serve it
			// countOnly: on SQLite only the count must use the index. These
			// values are as a rule most tokens, and no partial index holds
			// them: SQLite, not knowing they are few, reads every token for
			// the page.
			countOnly bool
		}{{
			name: "few limits",
			stmts: []string{
				`UPDATE login_tokens SET networks = '["192.0.2.0/24"]' WHERE id IN ` + first(20, false),
				`UPDATE login_tokens SET max_uses = NULL WHERE id NOT IN ` + first(40, true),
				`UPDATE login_tokens SET max_uses = 3 WHERE id IN ` + first(20, true),
				`UPDATE login_tokens SET max_uses = 1 WHERE id IN ` + first(40, true) + ` AND id NOT IN ` + first(20, true),
			},
			queries: map[string]string{
				"hasNetworks=true":                             "login_tokens_networks",
				"hasNetworks=true&oneTimeUse=false":            "login_tokens_networks",
				"hasNetworks=true&sort=name&page=2&pageSize=5": "login_tokens_networks",
				"maxUses=gt:1":                                 limited,
				"oneTimeUse=true":                              limited,
				"unlimitedUses=false":                          limited,
				"unlimitedUses=false&type=contact":             limited,
			},
		}, {
			name: "few without a limit of 1",
			stmts: []string{
				`UPDATE login_tokens SET max_uses = 1 WHERE id NOT IN ` + first(40, true),
				`UPDATE login_tokens SET max_uses = NULL WHERE id IN ` + first(20, true),
				`UPDATE login_tokens SET max_uses = 3 WHERE id IN ` + first(40, true) + ` AND id NOT IN ` + first(20, true),
			},
			queries: map[string]string{
				"oneTimeUse=false":                 "login_tokens_max_uses",
				"oneTimeUse=false&sort=-updatedAt": "login_tokens_max_uses",
				"unlimitedUses=true":               "login_tokens_max_uses",
			},
			countOnly: s.Dialect() == "sqlite",
		}, {
			name: "few failed",
			stmts: []string{
				`UPDATE login_tokens SET failed_attempts = 0 WHERE id NOT IN ` + first(20, false),
				`UPDATE login_tokens SET failed_attempts = 2 WHERE id IN ` + first(20, false),
			},
			queries: map[string]string{
				"failedAttempts=ne:0&hasNetworks=true": "login_tokens_networks",
			},
		}, {
			// Few expired long ago, most never expiring, most limited:
			// the few are found by the expiry's index, not the many
			// limited through theirs (SQLite took the never-expiring,
			// which its index holds first, for part of "up to").
			name: "few expired, most never expiring",
			stmts: []string{
				`UPDATE login_tokens SET max_uses = 1 WHERE max_uses IS NULL`,
				`UPDATE login_tokens SET expires_at = NULL WHERE id NOT IN ` + first(60, false),
				`UPDATE login_tokens SET expires_at = '2020-01-01T00:00:00Z' WHERE id IN ` + first(20, false),
			},
			queries: map[string]string{
				"expiresAtTo=2020-06-01&unlimitedUses=false":                "login_tokens_expires_at",
				"expiresAtTo=2020-06-01&oneTimeUse=true&sort=createdAt":     "login_tokens_expires_at",
				"expiresAtTo=2020-06-01&unlimitedUses=false&sort=expiresAt": "login_tokens_expires_at",
			},
		}, {
			// Still nearly every token one-time: the few bound to
			// networks are found through their index, not the many
			// through theirs.
			name: "few bound among many one-time",
			queries: map[string]string{
				"hasNetworks=true&oneTimeUse=true":     "login_tokens_networks",
				"hasNetworks=true&unlimitedUses=false": "login_tokens_networks",
				"hasNetworks=true&maxUses=le:3":        "login_tokens_networks",
			},
		}, {
			// Nearly every token one-time and used, a few used with a
			// larger limit: "used" keeps only limited tokens, so "not
			// one-time" among them is a range of the limits, not a read
			// of every used token.
			name: "few used with a larger limit",
			stmts: []string{
				`UPDATE login_tokens SET max_uses = 1, successful_attempts = 1 WHERE id NOT IN ` + first(40, false),
				`UPDATE login_tokens SET max_uses = NULL WHERE id IN ` + first(20, false),
				`UPDATE login_tokens SET max_uses = 3, successful_attempts = 4 WHERE id IN ` + first(40, false) + ` AND id NOT IN ` + first(20, false),
			},
			queries: map[string]string{
				"oneTimeUse=false&status=used":                   "login_tokens_max_uses",
				"maxUses=ne:1&status=used&sort=-lastAccessedAt":  "login_tokens_max_uses",
				"oneTimeUse=false&unlimitedUses=false&sort=name": "login_tokens_max_uses",
				"maxUses=ne:1&unlimitedUses=false&type=contact":  "login_tokens_max_uses",
			},
		}}
		if s.Dialect() == "postgres" {
			// "Not n" as two ranges of the column's index (see notEqual;
			// SQLite reads no index for it).
			steps[0].queries["maxUses=ne:3&sort=-expiresAt"] = limited
		}
		// "Not 1" among limits of 1 and more is the range from 2, and "not
		// 0" the range from 1 (counts are never below 0).
		steps[0].queries["maxUses=ne:1"] = limited
		steps[0].queries["maxUses=ne:1&sort=name"] = limited
		steps[2].queries["failedAttempts=ne:0"] = "login_tokens_failed"
		steps[2].queries["failedAttempts=ne:0&sort=name"] = "login_tokens_failed"
		steps[2].queries["failedAttempts=gt:0&successfulAttempts=ge:0"] = "login_tokens_failed"
		for _, step := range steps {
			execAll(t, s, step.stmts...)
			all := allTokens(t, s)
			for query, index := range step.queries {
				f := checkSeededPage(t, s, all, query)
				if want := filterInGo(all, f, t0); len(want) == 0 || len(want) > 40 {
					t.Fatalf("%s: %s keeps %d tokens, want a few", step.name, query, len(want))
				}
				lines, err := s.ExplainTokens(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if testing.Verbose() {
					t.Logf("%s:\n%s", query, strings.Join(lines, "\n"))
				}
				plans := []string{countPlan(lines)}
				if !step.countOnly {
					plans = append(plans, pagePlans(lines)...)
				}
				for _, plan := range plans {
					if !strings.Contains(plan, index) || readsEveryToken(s, plan) {
						t.Errorf("%s: %s: want every query through %s:\n%s", step.name, query, index, strings.Join(lines, "\n"))
						break
					}
				}
			}
		}
	})
}

// On SQLite a search among the tokens of a few ids (tokens, contacts,
// customers) reads those tokens through their indexes and checks q on
// each, rather than every token the text index finds for a common q; q
// alone still goes through the text index. Either way the list finds
// exactly the tokens the filter gives.
func TestASearchAmongAFewUsersTokensReadsTheirTokens(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 20000)
	// The counts that choose the way, not the machine's speed: under
	// the race detector, on a busy machine, a filter's count of a few
	// hundred tokens may take over its 10 ms.
	s.SetFilterCountBudget(time.Minute)
	all := allTokens(t, s)
	// The contact with the most tokens, two customers, three tokens.
	tokensOf := map[int64]int{}
	var customers []int64
	for _, tok := range all {
		if tok.User == nil {
			continue
		}
		if tok.User.Type == lt.UserContact {
			tokensOf[tok.User.ID]++
		} else if len(customers) < 2 && !slices.Contains(customers, tok.User.ID) {
			customers = append(customers, tok.User.ID)
		}
	}
	var contact int64
	for id, n := range tokensOf {
		if n > tokensOf[contact] {
			contact = id
		}
	}
	ids := all[0].ID + "," + all[1].ID + "," + all[len(all)-1].ID
	// Every e-mail address of the sample ends in .test.
	const common = "q=test"
	if n := len(filterInGo(all, checkSeededPage(t, s, all, common), t0)); n < 10*tokensOf[contact] {
		t.Fatalf("%s finds %d tokens, the contact has %d: want a q far more common", common, n, tokensOf[contact])
	}
	c := strconv.FormatInt(contact, 10)
	for _, query := range []string{
		"contactIds=" + c + "&" + common,
		"contactIds=" + c + "&" + common + "&sort=-name&page=2&pageSize=5",
		"contactIds=" + c + "&customerIds=" + strconv.FormatInt(customers[0], 10) + "," + strconv.FormatInt(customers[1], 10) + "&" + common + "&sort=createdAt",
		"ids=" + ids + "&" + common,
		"contactIds=" + c + "&q=" + url.QueryEscape(strings.ToLower(firstNameOf(t, all, contact))),
	} {
		if plans := listPlans(t, s, checkSeededPage(t, s, all, query)); strings.Contains(plans, "login_tokens_fts") || readsEveryToken(s, plans) {
			t.Errorf("%s: want the ids' indexes, not the text index nor every token:\n%s", query, plans)
		}
	}
	// q alone, and the ids of more tokens than checkSeededPage's few,
	// through the text index.
	s.SetFewByFilter(tokensOf[contact] - 1)
	for _, query := range []string{common, "contactIds=" + c + "&" + common} {
		if plans := listPlans(t, s, checkSeededPage(t, s, all, query)); !strings.Contains(plans, "login_tokens_fts") {
			t.Errorf("%s: want the text index:\n%s", query, plans)
		}
	}
}

// On SQLite a search whose other filters find no fewer tokens than q's
// candidates is one query that reads each candidate once, counts and
// sorts them (COUNT(*) OVER ()), up to the one-pass limit of candidates;
// above it, a count and then a page. The same tokens either way.
func TestASearchIsOneQueryUpToItsLimitOfCandidates(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 3000)
	all := allTokens(t, s)
	// Every e-mail address of the sample ends in .test; no token of the
	// sample is bound to networks, so that filter finds every token.
	candidates := testCandidates(t, s)
	if candidates < 1000 || candidates >= len(all) {
		t.Fatalf("q=test has %d candidates among %d tokens: want most, not all", candidates, len(all))
	}
	const onePass = "COUNT(*) OVER ()"
	for _, query := range []string{
		"q=test&hasNetworks=false",
		"q=test&hasNetworks=false&sort=name&page=3&pageSize=10",
	} {
		s.SetOnePassRows(candidates)
		if plans := listPlans(t, s, checkSeededPage(t, s, all, query)); !strings.Contains(plans, onePass) {
			t.Errorf("%s, %d candidates, one pass up to %d: want one query:\n%s", query, candidates, candidates, plans)
		}
		s.SetOnePassRows(candidates - 1)
		if plans := listPlans(t, s, checkSeededPage(t, s, all, query)); strings.Contains(plans, onePass) {
			t.Errorf("%s, %d candidates, one pass up to %d: want a count and a page:\n%s", query, candidates, candidates-1, plans)
		}
	}
}

// On SQLite a search beside another filter that finds fewer tokens than
// q's candidates reads that filter's tokens through its index, q checked
// on each by its LIKE, not the text index's candidates (a common q: tens
// of thousands), and so does a q of one or two characters, which the text
// index cannot serve, in one query that counts and sorts them; a filter
// that finds none ends the list at once; a q of few candidates beside a
// filter of many still goes through the text index. Either way the list
// finds exactly the tokens the filter gives.
func TestASearchBesideAFilterOfFewTokensReadsThem(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 20000)
	// The counts that choose the way, not the machine's speed: under
	// the race detector, on a busy machine, a filter's count of a few
	// hundred tokens may take over its 10 ms.
	s.SetFilterCountBudget(time.Minute)
	execAll(t, s, `UPDATE login_tokens SET updated_at = '2020-03-04T05:06:07.000000Z' WHERE id IN (SELECT id FROM (SELECT id FROM login_tokens ORDER BY id LIMIT 30) f)`)
	all := allTokens(t, s)
	// Every e-mail address of the sample ends in .test.
	const common = "q=test"
	for _, query := range []string{
		"updatedAtFrom=2020-03-04&updatedAtTo=2020-03-04&" + common,
		"updatedAtFrom=2020-03-04&updatedAtTo=2020-03-04&type=contact,customer&" + common + "&sort=-name",
		"updatedAtTo=2020-03-04&status=expired,active&" + common + "&sort=lastAccessedAt",
		"createdAtFrom=2031-01-01&type=contact&" + common,
		"failedAttempts=gt:1000&" + common,
	} {
		if plans := listPlans(t, s, checkSeededPage(t, s, all, query)); strings.Contains(plans, "login_tokens_fts") || readsEveryToken(s, plans) {
			t.Errorf("%s: want the filter's index, not the text index nor every token:\n%s", query, plans)
		}
	}
	// A q of one or two characters, which the text index cannot serve:
	// the filter's tokens, each checked by q's LIKE, in one query that
	// counts and sorts them.
	for _, query := range []string{
		"updatedAtFrom=2020-03-04&updatedAtTo=2020-03-04&q=te",
		"updatedAtFrom=2020-03-04&updatedAtTo=2020-03-04&q=e&sort=-name&page=2&pageSize=10",
		"updatedAtTo=2020-03-04&type=contact,customer&q=" + url.QueryEscape("ü") + "&sort=lastAccessedAt",
	} {
		lines, err := s.ExplainTokens(ctx, checkSeededPage(t, s, all, query))
		if err != nil {
			t.Fatal(err)
		}
		plans := strings.Join(lines, "\n")
		if !strings.Contains(plans, "login_tokens_updated_at") || readsEveryToken(s, plans) || len(onePassPlans(lines)) != 1 {
			t.Errorf("%s: want one query through the index of updated_at:\n%s", query, plans)
		}
	}
	var email string
	for _, tok := range all {
		if tok.User != nil {
			email = tok.User.Email
			break
		}
	}
	for _, query := range []string{
		"updatedAtFrom=2000-01-01&q=" + url.QueryEscape(email),
		"type=contact,customer&q=" + url.QueryEscape(email) + "&sort=name",
	} {
		f := checkSeededPage(t, s, all, query)
		if n := len(filterInGo(all, f, t0)); n == 0 || n > 1000 {
			t.Fatalf("%s finds %d tokens: want a few", query, n)
		}
		if plans := listPlans(t, s, f); !strings.Contains(plans, "login_tokens_fts") {
			t.Errorf("%s: want the text index:\n%s", query, plans)
		}
	}
}

// On SQLite a search with a common q beside a filter that finds more than
// a few tokens, but not more than ten times q's candidates, reads that
// filter's index and checks each entry against q's candidates before any
// row is read: only the rows of tokens both find are read, not every
// candidate's nor every token's of the filter. The same tokens as the
// filter gives, on every page and order.
func TestASearchBesideABroaderFilterChecksItsIndexAgainstQsCandidates(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 20000)
	// The counts that choose the way, not the machine's speed.
	s.SetFilterCountBudget(time.Minute)
	all := allTokens(t, s)
	const q = "q=test" // every e-mail address of the sample ends in .test
	candidates, anonymous := testCandidates(t, s), 0
	for _, tok := range all {
		if tok.User == nil {
			anonymous++
		}
	}
	if anonymous < 1000 || 10*anonymous < candidates || anonymous > 10*candidates {
		t.Fatalf("%d anonymous tokens, %d candidates of %s: want more than a few of each, neither ten times the other", anonymous, candidates, q)
	}
	// A filter of more than a few tokens but under a tenth of q's
	// candidates: its rows are read, q checked by its LIKE alone.
	tenth := candidates/10 - 1
	if tenth <= 1000 {
		t.Fatalf("%s has %d candidates: want over ten times a few (1,000)", q, candidates)
	}
	execAll(t, s, `UPDATE login_tokens SET updated_at = '2020-03-04T05:06:07.000000Z' WHERE id IN (SELECT id FROM (SELECT id FROM login_tokens ORDER BY id LIMIT `+strconv.Itoa(tenth)+`) f)`)
	all = allTokens(t, s)
	for _, query := range []string{
		"updatedAtFrom=2020-03-04&updatedAtTo=2020-03-04&" + q,
		"updatedAtFrom=2020-03-04&updatedAtTo=2020-03-04&" + q + "&sort=name&page=7",
	} {
		if plans := listPlans(t, s, checkSeededPage(t, s, all, query)); strings.Contains(plans, "login_tokens_fts") || !strings.Contains(plans, "login_tokens_updated_at") {
			t.Errorf("%s, %d tokens and %d candidates: want the index of updated_at, q by its LIKE:\n%s", query, tenth, candidates, plans)
		}
	}
	for _, query := range []string{
		"type=anonymous&" + q,
		"type=anonymous&" + q + "&sort=-name&page=3&pageSize=10",
		"type=anonymous&failedAttempts=le:3&" + q + "&sort=lastAccessedAt",
		"type=anonymous&" + q + "&page=400",
	} {
		plans := listPlans(t, s, checkSeededPage(t, s, all, query))
		if !strings.Contains(plans, "USING INDEX login_tokens_type") || !strings.Contains(plans, "LIST SUBQUERY") ||
			!strings.Contains(plans, "login_tokens_fts") || readsEveryToken(s, plans) {
			t.Errorf("%s: want the index of type, checked against the text index's candidates:\n%s", query, plans)
		}
		if strings.Contains(plans, "INTEGER PRIMARY KEY") {
			t.Errorf("%s: want no row read for each of q's candidates:\n%s", query, plans)
		}
	}
	// Over the limit of the filter's tokens, the text index's way.
	s.SetFewByFilter(anonymous - 1)
	if plans := listPlans(t, s, checkSeededPage(t, s, all, "type=anonymous&"+q)); strings.Contains(plans, "USING INDEX login_tokens_type") {
		t.Errorf("type=anonymous&%s, %d anonymous tokens over the limit of %d: want the text index's way:\n%s", q, anonymous, anonymous-1, plans)
	}
}

// On SQLite a filter whose count of a handful of tokens runs over its
// budget and that no index serves alone (hasNetworks=false: its count
// reads rows) is not counted again for more; one that an index serves is
// (its first count may have been slowed by the machine). With q and
// without; the list still finds exactly the tokens the filter gives.
func TestAFilterCountedOverItsBudgetIsNotCountedAgain(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	seedStore(t, s, 3000)
	all := allTokens(t, s)
	candidates := testCandidates(t, s)
	if candidates <= 1000 {
		t.Fatalf("q=test has %d candidates: want more than a few (1,000), whose filters are counted twice", candidates)
	}
	s.SetListFew(2000)                      // lists without q: as if the table were large
	s.SetFilterCountBudget(time.Nanosecond) // every count runs over
	const count = "-- SELECT COUNT(*) FROM (SELECT 1 FROM login_tokens t WHERE t."
	for _, query := range []string{
		"q=test&hasNetworks=false&failedAttempts=le:3",
		"hasNetworks=false&failedAttempts=le:3&sort=name",
	} {
		lines, err := s.ExplainTokens(ctx, checkSeededPage(t, s, all, query))
		if err != nil {
			t.Fatal(err)
		}
		counted := map[string]int{}
		for _, l := range lines {
			if col, ok := strings.CutPrefix(l, count); ok {
				counted[col]++
			}
		}
		if counted["n"] != 1 || counted["f"] != 2 {
			t.Errorf("%s: counted networks %d times, failed attempts %d times; want 1 and 2:\n%s", query, counted["n"], counted["f"], strings.Join(lines, "\n"))
		}
	}
}

// testCandidates is how many candidates the text index finds for q=test
// (its trigrams), which every e-mail address of the sample holds.
func testCandidates(t *testing.T, s *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM login_tokens_fts WHERE login_tokens_fts MATCH '"tes" "est"'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// firstNameOf is the first word of the contact's name.
func firstNameOf(t *testing.T, all []*lt.LoginToken, contact int64) string {
	t.Helper()
	for _, tok := range all {
		if tok.User != nil && tok.User.Type == lt.UserContact && tok.User.ID == contact {
			return strings.Fields(tok.User.Name)[0]
		}
	}
	t.Fatalf("contact %d has no token", contact)
	return ""
}

// listPlans is the plan of every query the list of f ran, whichever way
// it took (ExplainTokens).
func listPlans(t *testing.T, s *sqlstore.Store, f lt.TokenFilter) string {
	t.Helper()
	lines, err := s.ExplainTokens(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// readsEveryToken reports whether a plan reads every token: on SQLite a
// scan of the table; on PostgreSQL, which says how many rows each step
// read, a scan of the table or any step that reads or passes over more
// than the few.
func readsEveryToken(s *sqlstore.Store, plan string) bool {
	if s.Dialect() == "postgres" {
		for _, l := range strings.Split(plan, "\n") {
			if strings.Contains(l, "Bitmap Index Scan") {
				// Its rows are index entries, which count the updates'
				// dead ones until VACUUM can remove them (not while
				// another session's snapshot may still see them).
				continue
			}
			for _, m := range pgRowsRead.FindAllStringSubmatch(l, -1) {
				if n, _ := strconv.Atoi(m[2]); n > 100 {
					return true
				}
			}
		}
		return strings.Contains(plan, "Seq Scan on login_tokens")
	}
	for _, l := range strings.Split(plan, "\n") {
		if strings.Contains(l, "SCAN t") && !strings.Contains(l, "USING") {
			return true
		}
	}
	return false
}

var pgRowsRead = regexp.MustCompile(`(actual rows=|Rows Removed by Filter: |Rows Removed by Index Recheck: )(\d+)`)

// tokenIndexes are the names of login_tokens' indexes.
func tokenIndexes(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'login_tokens' ORDER BY name`
	if s.Dialect() == "postgres" {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'login_tokens' ORDER BY indexname`
	}
	rows, err := s.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// Migration 00023 adds its partial indexes and its Down part removes
// them, leaving the indexes of before.
func TestMigration00023AddsAndRemovesItsIndexes(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if err := s.MigrateDownTo(ctx, 22); err != nil {
			t.Fatalf("down to 00022: %v", err)
		}
		before := tokenIndexes(t, s)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		after := tokenIndexes(t, s)
		added := slices.DeleteFunc(slices.Clone(after), func(n string) bool { return slices.Contains(before, n) })
		want := []string{"login_tokens_networks"}
		if s.Dialect() == "sqlite" {
			want = []string{"login_tokens_limited", "login_tokens_networks"}
		}
		if !slices.Equal(added, want) || len(after) != len(before)+len(want) {
			t.Fatalf("00023 added %v (before %v, after %v), want %v", added, before, after, want)
		}
		if err := s.MigrateDownTo(ctx, 22); err != nil {
			t.Fatal(err)
		}
		if again := tokenIndexes(t, s); !slices.Equal(again, before) {
			t.Fatalf("after Down: %v, want %v", again, before)
		}
	})
}
