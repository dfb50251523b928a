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
