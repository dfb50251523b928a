package sqlstore

import (
	"context"
	"database/sql"
	"strings"

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
	l, selectSQL := companiesList, companySelect
	switch list {
	case "contacts":
		l, selectSQL = contactsList, contactsTable.selectSQL()
	case "customers":
		l, selectSQL = customersList, customersTable.selectSQL()
	}
	p := &plans{analyze: len(analyze) > 0 && analyze[0]}
	err := s.read(ctx, func(tx *tx) error {
		_, err := (&listRead{s: s, tx: tx, l: l, explain: p}).run(ctx, f, selectSQL, "", nil, func(*sql.Rows) error { return nil })
		return err
	})
	return p.lines, err
}
