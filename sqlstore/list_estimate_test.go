package sqlstore_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// pgEstimateRows is the rows a PostgreSQL plan's line expects.
var pgEstimateRows = regexp.MustCompile(`rows=(\d+) width=`)

// PostgreSQL estimates "expires up to" from the column's statistics,
// which leave the never-expiring tokens out already: the list's condition
// must not have it leave them out a second time, which makes it expect a
// tenth of the tokens where nine in ten never expire and plan for that.
func TestPostgreSQLEstimatesExpiresUpToFromItsStatistics(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if s.Dialect() != "postgres" {
			t.Skip("SQLite's plan is told its way (see whereTime)")
		}
		seedStore(t, s, 5000)
		few := `(SELECT id FROM (SELECT id FROM login_tokens ORDER BY id LIMIT 500) f)`
		execAll(t, s,
			`UPDATE login_tokens SET expires_at = NULL WHERE id NOT IN `+few,
			`UPDATE login_tokens SET expires_at = '2020-01-01T00:00:00Z' WHERE id IN `+few)
		f, _, total := listTokens(t, s, "expiresAtTo=2020-06-01")
		if total != 500 {
			t.Fatalf("expiresAtTo keeps %d tokens, want 500", total)
		}
		cond, args, err := s.TokenWhere(f)
		if err != nil {
			t.Fatal(err)
		}
		var plan string
		q := `EXPLAIN SELECT * FROM login_tokens t` + cond
		if err := s.DB().QueryRow(s.Rebind(q), s.Args(args...)...).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		m := pgEstimateRows.FindStringSubmatch(plan)
		if m == nil {
			t.Fatalf("no estimate in %q", plan)
		}
		if est, _ := strconv.Atoi(m[1]); est*3 < total {
			t.Errorf("PostgreSQL expects %d of the %d tokens of %s (%s): %s", est, total, "expiresAtTo", cond, plan)
		}
	})
}
