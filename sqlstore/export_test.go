package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// ExplainSearchUsers returns the plans of the queries SearchUsers runs
// for q, one line per step, as the database explains them. With
// analyze, PostgreSQL runs each query and says how many rows each step
// read.
func (s *Store) ExplainSearchUsers(ctx context.Context, q string, limit int, analyze ...bool) ([]string, error) {
	p := &plans{analyze: len(analyze) > 0 && analyze[0]}
	err := s.read(ctx, func(tx *tx) error {
		_, err := (&peopleSearch{s: s, tx: tx, limit: limit, explain: p}).run(ctx, strings.TrimSpace(q))
		return err
	})
	return p.lines, err
}

// ExplainList returns the plans of the queries that FindContacts,
// FindCustomers or FindCompanies (list names the table) runs for f, as
// ExplainSearchUsers does.
func (s *Store) ExplainList(ctx context.Context, list string, f lt.DirectoryFilter, analyze ...bool) ([]string, error) {
	l, selectSQL := listNamed(list)
	p := &plans{analyze: len(analyze) > 0 && analyze[0]}
	err := s.read(ctx, func(tx *tx) error {
		_, err := (&listRead{s: s, tx: tx, l: l, explain: p}).run(ctx, f, selectSQL, "", nil, func(*sql.Rows) error { return nil })
		return err
	})
	return p.lines, err
}

func listNamed(list string) (directoryList, string) {
	switch list {
	case "contacts":
		return contactsList, contactsTable.selectSQL()
	case "customers":
		return customersList, customersTable.selectSQL()
	}
	return companiesList, companySelect
}

// ReadsListInOrder reports whether, on SQLite, the list reads its table in
// its own order for q rather than the rows of its trigram candidates one
// by one: when they are more than half of its rows.
func (s *Store) ReadsListInOrder(ctx context.Context, list, q string) (bool, error) {
	l, _ := listNamed(list)
	cond, _, cands, candArgs := l.match(s.d, strings.TrimSpace(q))
	if cond == "" || cands == "" {
		return false, nil
	}
	var n, size int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+cands+`)`, candArgs...).Scan(&n); err != nil {
		return false, err
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+l.table).Scan(&size); err != nil {
		return false, err
	}
	return 2*n > size, nil
}

// SetLimits changes the store's call bounds, for tests that open a store
// at ease and then bound it tightly: the bounds also bound opening
// connections, which a busy test machine may take longer for.
func (s *Store) SetLimits(lim Limits) { s.lim = lim }

// CountAttemptDaysInTrail counts token id's attempts per UTC day of the
// last days days straight from the audit trail, as TokenAttemptDays did
// before the rollup of 00022: what the rollup must always equal.
func (s *Store) CountAttemptDaysInTrail(ctx context.Context, tokenID string, days int) ([]lt.AttemptDay, error) {
	from := lt.AttemptWindow(s.now(), days)
	var counted []lt.AttemptDay
	err := s.read(ctx, func(tx *tx) error {
		day := s.d.utcDay("at")
		rows, err := tx.query(ctx, `SELECT `+day+`, SUM(CASE WHEN type = ? THEN 1 ELSE 0 END), COUNT(*) FROM audit_events
			WHERE token_id = ? AND at >= ? AND type IN (?, ?) GROUP BY `+day+` ORDER BY 1`,
			lt.EventTokenRedeemed, tokenID, from, lt.EventTokenRedeemed, lt.EventTokenRejected)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d lt.AttemptDay
			var all int64
			if err := rows.Scan(&d.Day, &d.Successful, &all); err != nil {
				return err
			}
			d.Failed = all - d.Successful
			counted = append(counted, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return lt.FillAttemptDays(from, days, counted), nil
}

// MigrateTo applies the embedded migrations up to version and no further.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// SetWalkBudget makes d the budget of every walk of the token list's order
// that the list decides to try (0: the budget its rule gives).
func (s *Store) SetWalkBudget(d time.Duration) { s.fixedWalkBudget = d }

// SetCountBudget makes d the budget of the token list's every count on
// SQLite that is not a scan of the table already (0: the budget its rule
// gives).
func (s *Store) SetCountBudget(d time.Duration) { s.fixedCountBudget = d }

// SetFewByFilter makes n the most tokens of a list's other filter through
// whose index a search with a q of more than qFew candidates is found
// rather than the text index's.
func (s *Store) SetFewByFilter(n int) { s.fewByFilterInstead = n }

// SetListFew makes n the most tokens of one filter through whose index a
// list of several filters without q is found on SQLite, whatever the
// table's size (filterFindsFew).
func (s *Store) SetListFew(n int) { s.listFewInstead = n }

// SetOnePassRows makes n the most candidates of q that a search reads in
// one query (0: the rule's).
func (s *Store) SetOnePassRows(n int) { s.onePassRowsInstead = n }

// SetFilterCountBudget makes d the budget of each count of a filter's
// tokens that decides how a search beside it is found (0: the budget of
// the rule).
func (s *Store) SetFilterCountBudget(d time.Duration) { s.fixedFilterCountBudget = d }

// MigrateDownTo undoes the embedded migrations after version.
func (s *Store) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// TokenWhere is the WHERE clause, with its arguments (for Rebind and Args),
// that the list puts on login_tokens t for f, found without walking
// another column's index.
func (s *Store) TokenWhere(f lt.TokenFilter) (string, []any, error) {
	return tokenWhere(s.d, f, s.now(), listPlan{})
}

// RefreshStatistics runs the refresh of the planner's statistics that a
// store does every statisticsEvery.
func (s *Store) RefreshStatistics(ctx context.Context) error { return s.refreshStatistics(ctx) }

// ReaderStats are the statistics of SQLite's reader pool.
func (s *Store) ReaderStats() sql.DBStats { return s.rdb.Stats() }

// CountTokensTwice counts the tokens twice in one read of the store,
// running between after the first count.
func (s *Store) CountTokensTwice(ctx context.Context, between func()) (first, second int, err error) {
	err = s.read(ctx, func(tx *tx) error {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens`).Scan(&first); err != nil {
			return err
		}
		between()
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens`).Scan(&second)
	})
	return first, second, err
}
