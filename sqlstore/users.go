package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// FindUsers returns the contacts and customers of the ids that are not
// deleted, as the user picker shows them, in one query.
func (s *Store) FindUsers(ctx context.Context, contactIDs, customerIDs []int64) ([]*lt.UserRef, error) {
	if n := len(contactIDs) + len(customerIDs); n > lt.MaxFindUsers {
		return nil, lt.Errorf(lt.EINVALID, "look up at most %d contacts and customers at once, not %d", lt.MaxFindUsers, n)
	}
	var sub []string
	var args []any
	if len(contactIDs) > 0 {
		in, a := inList(contactIDs)
		sub = append(sub, `SELECT 'contact' AS type, c.id, c.first_name, c.last_name, c.email, co.id AS company_id, co.name AS company_name
			FROM contacts c JOIN companies co ON co.id = c.company_id WHERE c.deleted_at IS NULL AND c.id IN (`+in+`)`)
		args = append(args, a...)
	}
	if len(customerIDs) > 0 {
		in, a := inList(customerIDs)
		sub = append(sub, `SELECT 'customer' AS type, cu.id, cu.first_name, cu.last_name, cu.email, CAST(NULL AS BIGINT) AS company_id,
			CAST(NULL AS TEXT) AS company_name FROM customers cu WHERE cu.deleted_at IS NULL AND cu.id IN (`+in+`)`)
		args = append(args, a...)
	}
	if len(sub) == 0 {
		return nil, nil
	}
	var out []*lt.UserRef
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, strings.Join(sub, ` UNION ALL `), args...)
		if err != nil {
			return fmt.Errorf("find users: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			u := &lt.UserRef{}
			var first, last string
			var coID sql.NullInt64
			var coName sql.NullString
			if err := rows.Scan(&u.Type, &u.ID, &first, &last, &u.Email, &coID, &coName); err != nil {
				return err
			}
			u.Name = lt.FullName(first, last)
			if coID.Valid {
				u.Company = &lt.CompanyRef{ID: coID.Int64, Name: coName.String}
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}
