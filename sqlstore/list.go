package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// tokenSortColumns maps the list's sort keys to columns. Only expires_at,
// last_accessed_at and sort_name (anonymous tokens) can be empty.
var tokenSortColumns = map[string]struct {
	col      string
	nullable bool
}{
	lt.SortName:               {"t.sort_name", true},
	lt.SortType:               {"t.type", false},
	lt.SortExpiresAt:          {"t.expires_at", true},
	lt.SortLastAccessedAt:     {"t.last_accessed_at", true},
	lt.SortSuccessfulAttempts: {"t.successful_attempts", false},
	lt.SortFailedAttempts:     {"t.failed_attempts", false},
	lt.SortOneTimeUse:         {"t.one_time_use", false},
	lt.SortCreatedAt:          {"t.created_at", false},
	lt.SortUpdatedAt:          {"t.updated_at", false},
}

// compareOps maps attempt-count operators to SQL.
var compareOps = map[lt.CompareOp]string{
	lt.OpEq: "=", lt.OpNe: "<>", lt.OpLt: "<", lt.OpLe: "<=", lt.OpGt: ">", lt.OpGe: ">=",
}

// FindTokens lists tokens matching f with the total number found (itemsFound).
func (s *Store) FindTokens(ctx context.Context, f lt.TokenFilter) ([]*lt.LoginToken, int, error) {
	now := s.now()
	where, args, err := tokenWhere(f, now)
	if err != nil {
		return nil, 0, err
	}
	order, err := tokenOrder(f.Sort)
	if err != nil {
		return nil, 0, err
	}
	page, size := f.Paging()
	offset := (page - 1) * size
	var out []*lt.LoginToken
	var total int
	err = s.read(ctx, func(tx *tx) error {
		// The count needs no join: every filter is on login_tokens itself.
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens t`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count tokens: %w", err)
		}
		if offset >= total {
			return nil // a page past the end is empty, not an error
		}
		rows, err := tx.query(ctx, tokenSelect+where+order+` LIMIT ? OFFSET ?`, append(args, size, offset)...)
		if err != nil {
			return fmt.Errorf("list tokens: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			tok, _, err := s.scanToken(rows)
			if err != nil {
				return err
			}
			tok.Status = tok.StatusAt(now) // the same now as the status filter
			out = append(out, tok)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// tokenWhere builds " WHERE ..." (or "") from f: filters AND together, the
// values of one filter OR together. now decides which tokens have expired.
func tokenWhere(f lt.TokenFilter, now time.Time) (string, []any, error) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if len(f.IDs) > 0 {
		in, a := inList(f.IDs)
		add(`t.id IN (`+in+`)`, a...)
	}
	// The backoffice's "Contact or Customer" picker: either kind of user.
	var users []string
	var userArgs []any
	if len(f.ContactIDs) > 0 {
		in, a := inList(f.ContactIDs)
		users = append(users, `t.contact_id IN (`+in+`)`)
		userArgs = append(userArgs, a...)
	}
	if len(f.CustomerIDs) > 0 {
		in, a := inList(f.CustomerIDs)
		users = append(users, `t.customer_id IN (`+in+`)`)
		userArgs = append(userArgs, a...)
	}
	if len(users) > 0 {
		add(`(`+strings.Join(users, ` OR `)+`)`, userArgs...)
	}
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, typ := range f.Types {
			types[i] = string(typ) // drivers take plain strings, not named types
		}
		in, a := inList(types)
		add(`t.type IN (`+in+`)`, a...)
	}
	for _, r := range []struct {
		col string
		tr  lt.TimeRange
	}{{"t.expires_at", f.ExpiresAt}, {"t.created_at", f.CreatedAt}, {"t.updated_at", f.UpdatedAt}} {
		// A NULL expires_at fails both comparisons, so it lies in no range.
		if r.tr.From != nil {
			add(r.col+` >= ?`, *r.tr.From)
		}
		if r.tr.To != nil {
			add(r.col+` <= ?`, *r.tr.To)
		}
	}
	for _, c := range []struct {
		field, col string
		cond       *lt.CountCondition
	}{{"successfulAttempts", "t.successful_attempts", f.SuccessfulAttempts}, {"failedAttempts", "t.failed_attempts", f.FailedAttempts}} {
		if c.cond == nil {
			continue
		}
		op, ok := compareOps[c.cond.Op]
		if !ok {
			return "", nil, lt.Invalid(c.field, "%q is not one of eq, ne, lt, le, gt, ge", c.cond.Op)
		}
		add(c.col+` `+op+` ?`, c.cond.N)
	}
	if f.OneTimeUse != nil {
		add(`t.one_time_use = ?`, *f.OneTimeUse)
	}
	if len(f.Statuses) > 0 {
		// The same order as lt.LoginToken.StatusAt: used wins over expired,
		// expired over active. Booleans go in as arguments so that one text
		// works on SQLite's integers and PostgreSQL's booleans.
		const used = `(t.one_time_use = ? AND t.successful_attempts > 0)`
		var ors []string
		var orArgs []any
		for _, st := range f.Statuses {
			switch st {
			case lt.StatusUsed:
				ors = append(ors, used)
				orArgs = append(orArgs, true)
			case lt.StatusExpired:
				ors = append(ors, `(NOT `+used+` AND t.expires_at IS NOT NULL AND t.expires_at <= ?)`)
				orArgs = append(orArgs, true, now)
			case lt.StatusActive:
				ors = append(ors, `(NOT `+used+` AND (t.expires_at IS NULL OR t.expires_at > ?))`)
				orArgs = append(orArgs, true, now)
			default:
				return "", nil, lt.Invalid("status", "%q is not one of active, expired, used", st)
			}
		}
		add(`(`+strings.Join(ors, ` OR `)+`)`, orArgs...)
	}
	if f.Q != "" {
		// user_search and extra_search are stored lowercased; likePattern
		// lowercases q and makes % and _ literal.
		p := likePattern(f.Q)
		add(`(t.user_search LIKE ? ESCAPE '\' OR t.extra_search LIKE ? ESCAPE '\')`, p, p)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args, nil
}

// tokenOrder builds " ORDER BY ..." for a sort: empty values last in both
// directions, ties broken by id in the same direction so that paging is
// stable.
func tokenOrder(sort lt.Sort) (string, error) {
	if sort.Key == "" {
		sort = lt.DefaultSort
	}
	c, ok := tokenSortColumns[sort.Key]
	if !ok {
		return "", lt.Invalid("sort", "%q is not a sort key", sort.Key)
	}
	dir := ` ASC`
	if sort.Desc {
		dir = ` DESC`
	}
	nulls := ""
	if c.nullable {
		// Only where a column can be NULL: PostgreSQL reads a plain index
		// backwards as DESC NULLS FIRST and will not use it for DESC NULLS
		// LAST even on a NOT NULL column, so the default -createdAt would
		// sort the whole table. Migration 00002 adds the DESC NULLS LAST
		// indexes of the nullable columns.
		nulls = ` NULLS LAST`
	}
	return ` ORDER BY ` + c.col + dir + nulls + `, t.id` + dir, nil
}

// StreamTokens calls fn for every token matching f, in f's order, without
// paging (for exports).
func (s *Store) StreamTokens(ctx context.Context, f lt.TokenFilter, fn func(*lt.LoginToken) error) error {
	now := s.now()
	where, args, err := tokenWhere(f, now)
	if err != nil {
		return err
	}
	order, err := tokenOrder(f.Sort)
	if err != nil {
		return err
	}
	return s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, tokenSelect+where+order, args...)
		if err != nil {
			return fmt.Errorf("export tokens: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			tok, _, err := s.scanToken(rows)
			if err != nil {
				return err
			}
			tok.Status = tok.StatusAt(now)
			if err := fn(tok); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
