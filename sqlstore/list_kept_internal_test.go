package sqlstore

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

// The uses and the attempt counts are each one condition on their
// column, written as the narrowest range that keeps the same tokens: a
// value left out at an end of the range narrows it (but not where no limit
// is kept too: SQLite would read the OR of two index ranges into memory),
// status=used alone keeps limited tokens only, a count below 0 is nothing
// and from 0 is everything. The tokens kept are checked against the
// filter in Go by TestEveryCombinationOfTheUsesFiltersFindsExactlyItsTokens
// and TestEveryCountConditionFindsExactlyItsTokens; this pins the SQL,
// which those cannot see.
func TestFiltersOnOneColumnAreWrittenAsTheirNarrowestRange(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	const used = "(t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses)"
	cases := []struct {
		query string
		// want is the WHERE on SQLite, with each argument after a "|";
		// "" for no condition.
		want string
		pg   string // the WHERE on PostgreSQL, where it differs
	}{
		{query: "maxUses=ne:1", want: "t.max_uses >= ?|2"},
		{query: "oneTimeUse=false&unlimitedUses=false", want: "t.max_uses >= ?|2"},
		{query: "oneTimeUse=false", want: "(t.max_uses IS NULL OR t.max_uses <> ?)|1",
			pg: "(t.max_uses IS NULL OR (t.max_uses < ? OR t.max_uses > ?))|1|1"},
		{query: "maxUses=ne:9223372036854775807", want: "t.max_uses <= ?|9223372036854775806"},
		{query: "maxUses=ne:3", want: "t.max_uses <> ?|3", pg: "(t.max_uses < ? OR t.max_uses > ?)|3|3"},
		{query: "maxUses=le:1&oneTimeUse=false", want: "0 = 1"},
		{query: "maxUses=lt:3&oneTimeUse=false", want: "t.max_uses = ?|2"},
		{query: "unlimitedUses=true&status=used", want: "0 = 1 AND (" + used + ")"},
		{query: "oneTimeUse=false&status=used", want: "t.max_uses >= ? AND (" + used + ")|2"},
		{query: "oneTimeUse=false&status=used,used", want: "t.max_uses >= ? AND (" + used + " OR " + used + ")|2"},
		{query: "unlimitedUses=true&status=expired", want: "t.max_uses IS NULL AND ((NOT (t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses) AND COALESCE(t.expires_at, '9999-12-31T23:59:59.999999Z') <= ?))|2026-12-06 12:00:00 +0000 UTC",
			pg: "t.max_uses IS NULL AND ((NOT (t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses) AND t.expires_key <= ?))|2026-12-06 12:00:00 +0000 UTC"},
		{query: "oneTimeUse=false&status=used,active", want: "(t.max_uses IS NULL OR t.max_uses <> ?) AND ((t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses) OR (NOT (t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses) AND COALESCE(t.expires_at, '9999-12-31T23:59:59.999999Z') > ?))|1|2026-12-06 12:00:00 +0000 UTC",
			pg: "(t.max_uses IS NULL OR (t.max_uses < ? OR t.max_uses > ?)) AND ((t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses) OR (NOT (t.max_uses IS NOT NULL AND t.successful_attempts >= t.max_uses) AND t.expires_key > ?))|1|1|2026-12-06 12:00:00 +0000 UTC"},
		{query: "failedAttempts=ne:0", want: "t.failed_attempts >= ?|1"},
		{query: "successfulAttempts=ne:0", want: "t.successful_attempts >= ?|1"},
		{query: "successfulAttempts=ne:2", want: "t.successful_attempts <> ?|2", pg: "(t.successful_attempts < ? OR t.successful_attempts > ?)|2|2"},
		{query: "failedAttempts=gt:0", want: "t.failed_attempts >= ?|1"},
		{query: "failedAttempts=lt:0", want: "0 = 1"},
		{query: "failedAttempts=le:0", want: "t.failed_attempts = ?|0"},
		{query: "failedAttempts=ge:0", want: ""},
		{query: "successfulAttempts=lt:3", want: "t.successful_attempts <= ?|2"},
		{query: "successfulAttempts=ne:9223372036854775807", want: "t.successful_attempts <= ?|9223372036854775806"},
		{query: "successfulAttempts=gt:9223372036854775807", want: "0 = 1"},
		// One value is written col = ?, which SQLite weighs against its
		// statistics, and col IN (?) it does not.
		{query: "type=contact", want: "t.type = ?|contact"},
		{query: "type=contact,anonymous", want: "t.type IN (?, ?)|contact|anonymous"},
		{query: "contactIds=7&customerIds=8,9", want: "(t.contact_id = ? OR t.customer_id IN (?, ?))|7|8|9"},
		{query: "ids=00c6shn47j3wyhvi", want: "t.id = ?|00c6shn47j3wyhvi"},
	}
	for _, c := range cases {
		vals, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		f, err := lt.ParseTokenFilter(vals)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		for _, d := range []dialect{sqliteDialect{}, postgresDialect{}} {
			want := c.want
			if c.pg != "" && d.name() == "postgres" {
				want = c.pg
			}
			where, args, err := tokenWhere(d, f, now, listPlan{})
			if err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			got := strings.TrimPrefix(where, " WHERE ")
			for _, a := range args {
				got += fmt.Sprintf("|%v", a)
			}
			if got != want {
				t.Errorf("%s on %s:\n got %s\nwant %s", c.query, d.name(), got, want)
			}
		}
	}
	// Below 0, where the store is called without the parser (which
	// refuses it): nothing, or everything.
	for _, c := range []struct {
		cond lt.CountCondition
		want string
	}{
		{lt.CountCondition{Op: lt.OpEq, N: -1}, "0 = 1"},
		{lt.CountCondition{Op: lt.OpLe, N: -1}, "0 = 1"},
		{lt.CountCondition{Op: lt.OpLt, N: -9223372036854775808}, "0 = 1"},
		{lt.CountCondition{Op: lt.OpGe, N: -1}, ""},
		{lt.CountCondition{Op: lt.OpGt, N: -1}, ""},
		{lt.CountCondition{Op: lt.OpNe, N: -1}, ""},
	} {
		where, _, err := tokenWhere(sqliteDialect{}, lt.TokenFilter{FailedAttempts: &c.cond}, now, listPlan{})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimPrefix(where, " WHERE "); got != c.want {
			t.Errorf("failedAttempts %s:%d: got %q, want %q", c.cond.Op, c.cond.N, got, c.want)
		}
	}
	// An operator the store does not know is refused, naming the filter.
	_, _, err := tokenWhere(sqliteDialect{}, lt.TokenFilter{SuccessfulAttempts: &lt.CountCondition{Op: "about", N: 1}}, now, listPlan{})
	if lt.ErrorCode(err) != lt.EINVALID || !strings.Contains(err.Error(), "successfulAttempts") || !strings.Contains(err.Error(), `"about" is not one of`) {
		t.Errorf("an unknown operator: %v", err)
	}
}

// A walk of the order is tried where it reads under half what the
// filters' indexes do; its budget is a tenth of reading the found tokens
// the other way, and where they are a tenth of the table or more, at
// least a scan's time: a walk against the order then costs at most twice
// the sort, and no walk runs unbounded.
func TestAWalkHasABudgetWhateverTheTokensFound(t *testing.T) {
	const rows = 1_000_000
	cases := []struct {
		total, end int
		rows       int64 // 0: rows
		walk       bool
		budget     time.Duration
	}{
		// A small table: never less than the budget of fewer tokens.
		{total: 1000, end: 20, rows: 3000, walk: true, budget: 10*time.Millisecond + 250*time.Microsecond},
		{total: 20_000, end: 20, rows: 100_000, walk: true, budget: 40 * time.Millisecond},
		{total: 1000, end: 20, walk: false},
		{total: 10_000, end: 20, walk: true, budget: 10*time.Millisecond + 2500*time.Microsecond},
		{total: 99_999, end: 20, walk: true, budget: 10*time.Millisecond + 99_999*time.Microsecond/4},
		{total: 100_000, end: 20, walk: true, budget: rows * scanPerRow},
		{total: rows, end: 4680, walk: true, budget: rows * scanPerRow},
		{total: 300_000, end: 60_000, walk: false},
	}
	for _, c := range cases {
		if c.rows == 0 {
			c.rows = rows
		}
		walk, budget := walkRule(c.total, c.end, c.rows)
		if walk != c.walk || budget != c.budget {
			t.Errorf("%d found, page ending at %d: walk %v within %v, want %v within %v", c.total, c.end, walk, budget, c.walk, c.budget)
		}
		if walk && budget <= 0 {
			t.Errorf("%d found: a walk without a budget", c.total)
		}
	}
}
