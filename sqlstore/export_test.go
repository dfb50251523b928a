package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// ExplainSearchUsers returns the plans of the queries SearchUsers runs
// for q, one line per step, as the database explains them. With
// noSeqScan, PostgreSQL's planner reads a table in full only where no
// index can serve the query (enable_seqscan = off prices it out of every
// other choice).
func (s *Store) ExplainSearchUsers(ctx context.Context, q string, limit int, noSeqScan ...bool) ([]string, error) {
	var plan []string
	err := s.explainRead(ctx, noSeqScan, func(tx *tx) error {
		_, err := (&peopleSearch{s: s, tx: tx, limit: limit, explain: &plan}).run(ctx, strings.TrimSpace(q))
		return err
	})
	return plan, err
}

// ExplainList returns the plans of the queries that FindContacts,
// FindCustomers or FindCompanies (list names the table) runs for f, as
// ExplainSearchUsers does.
func (s *Store) ExplainList(ctx context.Context, list string, f lt.DirectoryFilter, noSeqScan ...bool) ([]string, error) {
	l, selectSQL := companiesList, companySelect
	switch list {
	case "contacts":
		l, selectSQL = contactsList, contactsTable.selectSQL()
	case "customers":
		l, selectSQL = customersList, customersTable.selectSQL()
	}
	var plan []string
	err := s.explainRead(ctx, noSeqScan, func(tx *tx) error {
		_, err := (&listRead{s: s, tx: tx, l: l, explain: &plan}).run(ctx, f, selectSQL, "", nil, func(*sql.Rows) error { return nil })
		return err
	})
	return plan, err
}

func (s *Store) explainRead(ctx context.Context, noSeqScan []bool, fn func(*tx) error) error {
	return s.read(ctx, func(tx *tx) error {
		if len(noSeqScan) > 0 && noSeqScan[0] && s.d.name() == "postgres" {
			if _, err := tx.exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}
