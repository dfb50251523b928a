package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// The user picker's search (migration 00006). What q finds:
//
//   - three letters or digits in a row (bounds.Indexed): the people whose
//     name ("first last"), email or (contacts) company holds q, in any
//     case, exactly as a LIKE '%q%' over everyone did; trigram indexes
//     find the candidates (FTS5 on SQLite, pg_trgm on PostgreSQL) and the
//     LIKE checks them;
//   - any other text (one or two characters, "...", "a_b", "jo d"), in
//     which pg_trgm finds no trigram of its own: the people whose name,
//     email or company starts with q, from indexes of those columns;
//   - nothing: everyone.
//
// The answer is in the order of the lowercased name, then contacts before
// customers, then id, and holds the first limit people. The search has
// parts (contacts by name or email, contacts by company, customers by name
// or email); each finds its own first limit in that order, and a last
// query reads the people found and keeps the first limit of all.
//
// A part that matches few people reads its candidates from their index
// and sorts them. One that matches many would sort many: it walks the
// index of the order instead, checking each person, and stops once it has
// limit, after about limit * rows / matches people if the matches are
// spread over the order (the rule of the token list, walkBudget:
// the walk is tried when 2 * limit * rows < matches², the matches counted
// up to a bound). Matches can also lie together in the order (a first
// name), where a walk reads all before them: so a walk reads at most as
// many people as there are candidates, and a part whose walk ends without
// limit matches is read from its candidates after all. A part that
// matches the start of names or emails is never walked: those lie
// together by their nature. Neither planner can make this choice itself:
// SQLite knows nothing of how many rows a LIKE or a MATCH keeps, and
// PostgreSQL, which takes a LIKE '%q%' to keep a few percent, walks the
// whole order for a q that nobody matches.

// searchTable is a table of people as the search reads it: a part reads
// the relation p (id, k: the order's key, email and, for contacts,
// company_id) from it.
type searchTable struct {
	name, alias string
	cols        string // the columns of p
	orderIndex  string // the index of the order (k, id) of those not deleted
	user        lt.UserType
}

var (
	contactsSearch = searchTable{name: "contacts", alias: "c", orderIndex: "contacts_search_name", user: lt.UserContact,
		cols: `c.id, lower(c.first_name || ' ' || c.last_name) AS k, c.email, c.company_id`}
	customersSearch = searchTable{name: "customers", alias: "cu", orderIndex: "customers_search_name", user: lt.UserCustomer,
		cols: `cu.id, lower(cu.first_name || ' ' || cu.last_name) AS k, cu.email`}
)

// searchPart is one part of a search: the people of table that match.
type searchPart struct {
	table searchTable
	// match is what a person of p must match ("" for everyone).
	match     string
	matchArgs []any
	// candidates, on SQLite, selects the ids an index finds, a superset
	// of the matches (on PostgreSQL the planner finds them from match);
	// hint is how SQLite then reaches their rows.
	candidates     string
	candidatesArgs []any
	hint           string
	// counted selects what is counted to choose between the candidates
	// and a walk (not for parts read one way only: ordered, noWalk).
	counted     string
	countedArgs []any
	// ordered parts are a range of the order's index: read in its order,
	// they stop after limit.
	ordered bool
	// noWalk parts match people who lie together in the order (a name
	// or an email that starts with q): a walk would read all before them.
	noWalk bool
}

// peopleSearch is one search: its transaction, and when explain is set,
// where the plans of its queries go.
type peopleSearch struct {
	s       *Store
	tx      *tx
	limit   int
	explain *plans
}

// SearchUsers finds contacts and customers for the user picker by name,
// email or company: see above.
func (s *Store) SearchUsers(ctx context.Context, q string, limit int) ([]*lt.UserRef, error) {
	if limit < 1 || limit > 100 {
		limit = 20
	}
	// Names and emails are one-line text: nobody's holds a control
	// character, and neither index can be asked for one.
	if p := lt.TextProblem(q); p != "" {
		return nil, lt.Invalid("q", "%s", p)
	}
	var out []*lt.UserRef
	err := s.read(ctx, func(tx *tx) error {
		var err error
		out, err = (&peopleSearch{s: s, tx: tx, limit: limit}).run(ctx, strings.TrimSpace(q))
		return err
	})
	return out, err
}

func (u *peopleSearch) run(ctx context.Context, q string) ([]*lt.UserRef, error) {
	ids := map[lt.UserType][]int64{}
	for _, p := range u.s.userSearchParts(q) {
		found, err := u.part(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			if list := ids[p.table.user]; !slices.Contains(list, id) {
				ids[p.table.user] = append(list, id)
			}
		}
	}
	// The people found, at most limit of each part: the first limit of
	// them all, in the database's order of the names.
	var sub []string
	var args []any
	if list := ids[lt.UserContact]; len(list) > 0 {
		in, a := inList(list)
		sub = append(sub, `SELECT 'contact' AS type, c.id, c.first_name, c.last_name, c.email, co.id AS company_id, co.name AS company_name,
			lower(c.first_name || ' ' || c.last_name) AS sort_key
			FROM contacts c JOIN companies co ON co.id = c.company_id WHERE c.id IN (`+in+`)`)
		args = append(args, a...)
	}
	if list := ids[lt.UserCustomer]; len(list) > 0 {
		in, a := inList(list)
		sub = append(sub, `SELECT 'customer' AS type, cu.id, cu.first_name, cu.last_name, cu.email, CAST(NULL AS BIGINT) AS company_id,
			CAST(NULL AS TEXT) AS company_name, lower(cu.first_name || ' ' || cu.last_name) AS sort_key
			FROM customers cu WHERE cu.id IN (`+in+`)`)
		args = append(args, a...)
	}
	if len(sub) == 0 {
		return nil, nil
	}
	rows, err := u.query(ctx, `SELECT type, id, first_name, last_name, email, company_id, company_name FROM (`+
		strings.Join(sub, ` UNION ALL `)+`) u ORDER BY sort_key, type, id LIMIT ?`, append(args, u.limit)...)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	defer rows.Close()
	var out []*lt.UserRef
	for rows.Next() {
		ref := &lt.UserRef{}
		var first, last string
		var coID sql.NullInt64
		var coName sql.NullString
		if err := rows.Scan(&ref.Type, &ref.ID, &first, &last, &ref.Email, &coID, &coName); err != nil {
			return nil, err
		}
		ref.Name = lt.FullName(first, last)
		if coID.Valid {
			ref.Company = &lt.CompanyRef{ID: coID.Int64, Name: coName.String}
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}

// part returns the ids of the first limit people of a part, in order.
func (u *peopleSearch) part(ctx context.Context, p searchPart) ([]int64, error) {
	t := p.table
	where := ``
	if p.match != "" {
		where = ` WHERE ` + p.match
	}
	if p.ordered {
		return u.ids(ctx, `SELECT id FROM (SELECT `+t.cols+` FROM `+t.name+` `+t.alias+u.s.sqliteHint(` INDEXED BY `+t.orderIndex)+
			` WHERE `+t.alias+`.deleted_at IS NULL) p`+where+` ORDER BY k, id LIMIT ?`, append(p.matchArgs, u.limit)...)
	}
	if !p.noWalk {
		ids, done, err := u.walk(ctx, p, where)
		if err != nil || done {
			return ids, err
		}
	}
	// From the candidates, sorted. On PostgreSQL the order's key is
	// written so that it is not the index's: the planner then starts from
	// the trigram indexes.
	from, args, order := t.name+` `+t.alias+u.s.sqliteHint(p.hint), p.matchArgs, `k`
	if u.s.d.name() == "postgres" {
		order = `k || ''`
	}
	cond := t.alias + `.deleted_at IS NULL`
	if p.candidates != "" {
		cond += ` AND ` + t.alias + `.id IN (` + p.candidates + `)`
		args = append(append([]any{}, p.candidatesArgs...), args...)
	}
	return u.ids(ctx, `SELECT id FROM (SELECT `+t.cols+` FROM `+from+` WHERE `+cond+`) p`+where+` ORDER BY `+order+`, id LIMIT ?`,
		append(args, u.limit)...)
}

// walk reads a part by a walk of the order when its candidates, counted
// up to eight times the bound, are so many that it should pay: a walk of
// at most as many people as it has candidates. done is false when the
// walk was not tried, or ended without limit matches and without reaching
// the end of the table: the matches lie elsewhere in the order.
func (u *peopleSearch) walk(ctx context.Context, p searchPart, where string) (ids []int64, done bool, err error) {
	t := p.table
	var rows int64 // about the table's rows, cheaply: ids only grow
	if err := u.tx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+t.name).Scan(&rows); err != nil {
		return nil, false, err
	}
	bound := int64(math.Sqrt(2*float64(u.limit)*float64(rows))) + 1
	counts, err := u.ids(ctx, `SELECT COUNT(*) FROM (`+p.counted+` LIMIT ?) found`, append(p.countedArgs, 8*bound)...)
	if err != nil || counts[0] < bound {
		return nil, false, err
	}
	found := counts[0]
	ids, err = u.ids(ctx, `SELECT id FROM (SELECT `+t.cols+` FROM `+t.name+` `+t.alias+u.s.sqliteHint(` INDEXED BY `+t.orderIndex)+
		` WHERE `+t.alias+`.deleted_at IS NULL ORDER BY k, `+t.alias+`.id LIMIT ?) p`+where+` ORDER BY k, id LIMIT ?`,
		append(append([]any{found}, p.matchArgs...), u.limit)...)
	return ids, err == nil && (len(ids) == u.limit || found >= rows), err
}

// ids runs a query of one integer column.
func (u *peopleSearch) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := u.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (u *peopleSearch) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := u.explainQuery(ctx, query, args); err != nil {
		return nil, err
	}
	return u.tx.query(ctx, query, args...)
}

// explainQuery adds the plan of a query to u.explain, when set.
func (u *peopleSearch) explainQuery(ctx context.Context, query string, args []any) error {
	if u.explain == nil {
		return nil
	}
	return u.explain.add(ctx, u.tx, u.s.d, query, args)
}

// plans are the plans of a read's queries, one line per step, as the
// database explains them; with analyze, PostgreSQL runs each query and
// says how many rows each step read.
type plans struct {
	lines   []string
	analyze bool
}

// add adds the plan of a query.
func (p *plans) add(ctx context.Context, tx *tx, d dialect, query string, args []any) error {
	explain := `EXPLAIN QUERY PLAN `
	switch {
	case d.name() == "postgres" && p.analyze:
		explain = `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) `
	case d.name() == "postgres":
		explain = `EXPLAIN `
	}
	rows, err := tx.query(ctx, explain+query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		p.lines = append(p.lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return rows.Err()
}

// userSearchParts are the parts of a search for q.
func (s *Store) userSearchParts(q string) []searchPart {
	switch {
	case q == "":
		return []searchPart{{table: contactsSearch, ordered: true}, {table: customersSearch, ordered: true}}
	case !bounds.Indexed(q):
		return s.prefixSearchParts(q)
	case s.d.name() == "postgres":
		return s.postgresSearchParts(q)
	}
	trigrams, _ := ftsTrigrams(q)
	pat := likePattern(q)
	var parts []searchPart
	for _, t := range []searchTable{contactsSearch, customersSearch} {
		fts := `SELECT rowid FROM ` + t.name + `_fts WHERE ` + t.name + `_fts MATCH ?`
		parts = append(parts, searchPart{table: t,
			match: `(k LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`, matchArgs: []any{pat, pat},
			candidates: fts, candidatesArgs: []any{trigrams}, hint: ` NOT INDEXED`,
			counted: fts, countedArgs: []any{trigrams}})
	}
	// The companies from their own index (companies are few), then their
	// contacts by the company's index.
	companies := `SELECT co.id FROM companies_fts CROSS JOIN companies co ON co.id = companies_fts.rowid
		WHERE companies_fts MATCH ? AND lower(co.name) LIKE ? ESCAPE '\'`
	return []searchPart{parts[0], s.byCompanyPart(companies, []any{trigrams, pat}), parts[1]}
}

// postgresSearchParts: pg_trgm answers the LIKE itself.
func (s *Store) postgresSearchParts(q string) []searchPart {
	pat := likePattern(q)
	var parts []searchPart
	for _, t := range []searchTable{contactsSearch, customersSearch} {
		parts = append(parts, searchPart{table: t,
			match: `(k LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`, matchArgs: []any{pat, pat},
			counted:     `SELECT 1 FROM ` + t.name + ` WHERE deleted_at IS NULL AND (lower(first_name || ' ' || last_name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`,
			countedArgs: []any{pat, pat}})
	}
	companies := `SELECT id FROM companies WHERE lower(name) LIKE ? ESCAPE '\'`
	return []searchPart{parts[0], s.byCompanyPart(companies, []any{pat}), parts[1]}
}

// prefixSearchParts are the parts of a search that is not Indexed: the
// names, emails and company names that start with q, each a range of an
// index. Text is compared by its bytes (SQLite's only way,
// PostgreSQL's with COLLATE "C"), where the strings that start with q lie
// from q up to q with its last character one higher. On SQLite the names'
// range is one of the order's index itself.
func (s *Store) prefixSearchParts(q string) []searchPart {
	lo, hi := prefixRange(strings.ToLower(q))
	r := []any{lo, hi}
	collate := ``
	if s.d.name() == "postgres" {
		collate = ` COLLATE "C"`
	}
	between := func(col string) string { return col + collate + ` >= ? AND ` + col + collate + ` < ?` }
	var parts []searchPart
	for _, t := range []searchTable{contactsSearch, customersSearch} {
		name := searchPart{table: t, match: between(`k`), matchArgs: r, ordered: true}
		if s.d.name() == "postgres" {
			name = searchPart{table: t, match: between(`k`), matchArgs: r, noWalk: true}
		}
		emails := `SELECT id FROM ` + t.name + ` WHERE deleted_at IS NULL AND ` + between(`email`)
		email := searchPart{table: t, match: between(`email`), matchArgs: r, noWalk: true}
		if s.d.name() == "sqlite" {
			email.candidates, email.candidatesArgs, email.hint = emails, r, ` NOT INDEXED`
		}
		parts = append(parts, name, email)
	}
	companies := `SELECT id FROM companies WHERE ` + between(`lower(name)`)
	return append(parts, s.byCompanyPart(companies, r))
}

// byCompanyPart is the part of the contacts of the companies that
// companies selects: their contacts found by the company's index, or by a
// walk of the order that checks each contact's company. The count reads
// each company's contacts from the company's index too. On PostgreSQL the
// companies are an array, read once before the contacts (ARRAY(...)): a
// join, which the planner makes of IN or of a LATERAL subquery, may hash
// the companies and read every contact (20,000 for 40 companies).
func (s *Store) byCompanyPart(companies string, args []any) searchPart {
	in := `company_id IN (` + companies + `)`
	if s.d.name() == "postgres" {
		in = `company_id = ANY (ARRAY(` + companies + `))`
	}
	return searchPart{table: contactsSearch, match: in, matchArgs: args, hint: ` INDEXED BY contacts_company`,
		counted:     `SELECT id FROM contacts` + s.sqliteHint(` INDEXED BY contacts_company`) + ` WHERE deleted_at IS NULL AND ` + in,
		countedArgs: args}
}

// sqliteHint is an SQLite index hint, nothing on PostgreSQL.
func (s *Store) sqliteHint(h string) string {
	if s.d.name() == "sqlite" {
		return h
	}
	return ""
}

// prefixRange is the range of the strings that start with lo: from lo up
// to (not including) lo with its last character one higher, in the order
// of code points, which is UTF-8's order of bytes.
func prefixRange(lo string) (string, string) {
	prefix := []rune(lo)
	for len(prefix) > 0 {
		last := prefix[len(prefix)-1] + 1
		if last == 0xD800 {
			last = 0xE000 // past the surrogates, which no text holds
		}
		if last <= utf8.MaxRune {
			return lo, string(append(prefix[:len(prefix)-1], last))
		}
		// The highest character has no next: the range ends where the
		// prefix without it does.
		prefix = prefix[:len(prefix)-1]
	}
	return lo, string(utf8.MaxRune) + string(utf8.MaxRune) + string(utf8.MaxRune)
}
