package sqlstore

import (
	"context"
	"strings"
)

// ExplainSearchUsers returns the plans of the queries SearchUsers runs
// for q, one line per step, as the database explains them.
func (s *Store) ExplainSearchUsers(ctx context.Context, q string, limit int) ([]string, error) {
	var plan []string
	err := s.read(ctx, func(tx *tx) error {
		_, err := (&peopleSearch{s: s, tx: tx, limit: limit, explain: &plan}).run(ctx, strings.TrimSpace(q))
		return err
	})
	return plan, err
}

// SetLimits changes the store's call bounds, for tests that open a store
// at ease and then bound it tightly: the bounds also bound opening
// connections, which a busy test machine may take longer for.
func (s *Store) SetLimits(lim Limits) { s.lim = lim }
