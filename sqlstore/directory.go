package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// Companies, contacts and customers are never removed: DELETE sets
// deleted_at, so tokens and their history keep their user.

func notFound(what string, id int64) error {
	return &lt.Error{Code: lt.ENOTFOUND, Message: fmt.Sprintf("%s %d not found", what, id)}
}

// likePattern makes a case-insensitive substring pattern for LIKE ... ESCAPE '\'.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

func pageArgs(page, size int) (limit, offset int) {
	if size < 1 {
		size = lt.DefaultPageSize
	}
	if page < 1 {
		page = 1
	}
	return size, (page - 1) * size
}

// --- the lists of companies, contacts and customers

// directoryList is what a list of the directory reads: a table, the
// lowercased text its q looks in, and its order, each served by an index
// (migrations 00006 and 00008).
type directoryList struct {
	table string
	// text are the expressions q looks in, each with an index of its
	// values' starts: prefixes names them on SQLite (on PostgreSQL they
	// are in COLLATE "C"); fts are SQLite's FTS5 trigram tables over text.
	text, prefixes, fts []string
	// order is the list's order, and orderIndex its index.
	order, orderIndex string
}

var (
	contactsList = directoryList{table: "contacts",
		text:     []string{`lower(first_name || ' ' || last_name)`, `email`, `lower(external_id)`},
		prefixes: []string{"contacts_search_name", "contacts_email", "contacts_external_id_lower"},
		fts:      []string{"contacts_fts", "contacts_xid_fts"},
		order:    `lower(last_name), lower(first_name), id`, orderIndex: "contacts_list_order"}
	customersList = directoryList{table: "customers",
		text:     []string{`lower(first_name || ' ' || last_name)`, `email`, `lower(external_id)`},
		prefixes: []string{"customers_search_name", "customers_email", "customers_external_id_lower"},
		fts:      []string{"customers_fts", "customers_xid_fts"},
		order:    `lower(last_name), lower(first_name), id`, orderIndex: "customers_list_order"}
	companiesList = directoryList{table: "companies",
		text:     []string{`lower(name)`, `lower(external_id)`},
		prefixes: []string{"companies_search_name", "companies_external_id_lower"},
		fts:      []string{"companies_fts", "companies_xid_fts"},
		order:    `lower(name), id`, orderIndex: "companies_search_name"}
)

// match is what q finds in a list (bounds.Indexed decides, as for the
// user search): text of three letters or digits in a row anywhere in the
// list's text, in any case, as LIKE '%q%' finds it, which pg_trgm answers
// itself; any other text where it starts the list's text, a range of
// each prefix index (text compared by its bytes, as prefixRange
// explains). cond is what a row must meet. On SQLite, whose planner knows
// nothing of how many rows a MATCH or a range keeps and may read the
// whole table instead, cands also selects the candidates' ids (as cid),
// each index in a subquery of its own: the FTS5 tables' rows, which the
// LIKE then checks, or each prefix index's range.
func (l directoryList) match(d dialect, q string) (cond string, args []any, cands string, candArgs []any) {
	var ors, in []string
	if bounds.Indexed(q) {
		pat := likePattern(q)
		for _, col := range l.text {
			ors = append(ors, col+` LIKE ? ESCAPE '\'`)
			args = append(args, pat)
		}
		if d.name() == "sqlite" {
			trigrams, _ := ftsTrigrams(q)
			for _, t := range l.fts {
				in = append(in, `SELECT rowid AS cid FROM `+t+` WHERE `+t+` MATCH ?`)
				candArgs = append(candArgs, trigrams)
			}
		}
		return `(` + strings.Join(ors, ` OR `) + `)`, args, strings.Join(in, ` UNION `), candArgs
	}
	lo, hi := prefixRange(strings.ToLower(q))
	if d.name() == "sqlite" {
		for i, col := range l.text {
			in = append(in, `SELECT id AS cid FROM `+l.table+` INDEXED BY `+l.prefixes[i]+` WHERE `+col+` >= ? AND `+col+` < ? AND deleted_at IS NULL`)
			candArgs = append(candArgs, lo, hi)
		}
		return ``, nil, strings.Join(in, ` UNION `), candArgs
	}
	for _, col := range l.text {
		ors = append(ors, `(`+col+` COLLATE "C" >= ? AND `+col+` COLLATE "C" < ?)`)
		args = append(args, lo, hi)
	}
	return `(` + strings.Join(ors, ` OR `) + `)`, args, ``, nil
}

// findListed reads one page of a list, and its total: the rows of l that
// are not deleted, hold f.Q and meet the condition narrow (if any, with
// its arguments), in l's order. A page past bounds.MaxListRows is
// refused: the rows it skips would each be read.
func findListed[T any](ctx context.Context, s *Store, l directoryList, f lt.DirectoryFilter,
	selectSQL string, scan func(rowScanner) (*T, error), narrow string, narrowArgs ...any) ([]*T, int, error) {
	if err := bounds.CheckPage(f.Page, f.PageSize); err != nil {
		return nil, 0, err
	}
	var out []*T
	var total int
	err := s.read(ctx, func(tx *tx) error {
		var err error
		total, err = (&listRead{s: s, tx: tx, l: l}).run(ctx, f, selectSQL, narrow, narrowArgs, func(rows *sql.Rows) error {
			r, err := scan(rows)
			out = append(out, r)
			return err
		})
		return err
	})
	return out, total, err
}

// listRead is one read of a list in the transaction tx; when explain is
// set, the plans of its queries go there.
type listRead struct {
	s       *Store
	tx      *tx
	l       directoryList
	explain *plans
}

// run counts the rows of the list and reads its page with selectSQL,
// calling each for each row. With q, the count tells how the page is
// best found: when the matches are so many that a walk of the order's
// index reaches the page's end after reading under half of them (the rule
// of the token list, walkBudget: 2 * end * rows < matches², as if
// the matches were spread over the order), it walks the index; else the
// page is sorted from the matches, which the search's indexes find. A
// walk reads at most the table, and only for a q that matches at least
// the root of 2 * end * rows of it (1,100 of 60,000 people for page 1);
// a few matches are never found by reading every row, as PostgreSQL's
// planner does when it takes LIKE '%q%' to keep a few percent. SQLite's
// planner knows nothing of how many rows LIKE or MATCH keep and is told,
// PostgreSQL's is left its choice for the walk.
func (lr *listRead) run(ctx context.Context, f lt.DirectoryFilter, selectSQL, narrow string, narrowArgs []any, each func(*sql.Rows) error) (int, error) {
	l := lr.l
	head, ok := strings.CutSuffix(selectSQL, ` FROM `+l.table)
	if !ok {
		return 0, fmt.Errorf("list %s: the select does not end with FROM %s", l.table, l.table)
	}
	conds, args := []string{`deleted_at IS NULL`}, narrowArgs
	if narrow != "" {
		conds = append(conds, narrow)
	}
	var cands string
	var candArgs []any
	var size int64 // about the table's rows, cheaply: ids only grow
	q := strings.TrimSpace(f.Q)
	if q != "" {
		var cond string
		var a []any
		cond, a, cands, candArgs = l.match(lr.s.d, q)
		if cond != "" {
			conds, args = append(conds, cond), append(slices.Clip(args), a...)
		}
		var err error
		if size, err = lr.number(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+l.table); err != nil {
			return 0, err
		}
		if cands != "" && cond != "" {
			// Trigram candidates, which the LIKE checks: when they are
			// most of the table ("test", in every email), reading it in
			// its own order costs half as much as reading them one by one.
			n, err := lr.number(ctx, `SELECT COUNT(*) FROM (`+cands+`)`, candArgs...)
			if err != nil {
				return 0, err
			}
			if 2*n > size {
				cands, candArgs = ``, nil
			}
		}
	}
	where := ` WHERE ` + strings.Join(conds, ` AND `)
	// From the candidates, when there are: SQLite reads each one's row by
	// its id (CROSS JOIN keeps the candidates first).
	from, fromArgs := ` FROM `+l.table, []any(nil)
	if cands != "" {
		from, fromArgs = ` FROM (`+cands+`) cand CROSS JOIN `+l.table+` ON `+l.table+`.id = cand.cid`, candArgs
	}
	total, err := lr.number(ctx, `SELECT COUNT(*)`+from+where, append(slices.Clip(fromArgs), args...)...)
	if err != nil {
		return 0, err
	}
	limit, offset := pageArgs(f.Page, f.PageSize)
	if int64(offset) >= total {
		return int(total), nil // a page past the end is empty, not an error
	}
	order := l.order
	if q != "" {
		if walk := 2*int64(offset+limit)*size < total*total; walk {
			from, fromArgs = ` FROM `+l.table+lr.s.sqliteHint(` INDEXED BY `+l.orderIndex), nil
			if cands != "" {
				where += ` AND id IN (SELECT cid FROM (` + cands + `))`
				args = append(slices.Clip(args), candArgs...)
			}
		} else {
			// The order's first key written so that no index has it.
			first, rest, _ := strings.Cut(l.order, `, `)
			order = first + ` || '', ` + rest
		}
	}
	rows, err := lr.query(ctx, head+from+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(append(slices.Clip(fromArgs), args...), limit, offset)...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return 0, err
		}
	}
	return int(total), rows.Err()
}

// number runs a query of one number.
func (lr *listRead) number(ctx context.Context, query string, args ...any) (int64, error) {
	if lr.explain != nil {
		if err := lr.explain.add(ctx, lr.tx, lr.s.d, query, args); err != nil {
			return 0, err
		}
	}
	var n int64
	err := lr.tx.queryRow(ctx, query, args...).Scan(&n)
	return n, err
}

func (lr *listRead) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if lr.explain != nil {
		if err := lr.explain.add(ctx, lr.tx, lr.s.d, query, args); err != nil {
			return nil, err
		}
	}
	return lr.tx.query(ctx, query, args...)
}

// --- companies

const companySelect = `SELECT id, name, external_id, created_at, updated_at FROM companies`

func scanCompany(r rowScanner) (*lt.Company, error) {
	c := &lt.Company{}
	var ext sql.NullString
	if err := r.Scan(&c.ID, &c.Name, &ext, dbTime{&c.CreatedAt}, dbTime{&c.UpdatedAt}); err != nil {
		return nil, err
	}
	if ext.Valid {
		c.ExternalID = &ext.String
	}
	return c, nil
}

// CreateCompany creates c and sets its id and times.
func (s *Store) CreateCompany(ctx context.Context, c *lt.Company) error {
	if err := lt.ValidateCompany(&c.Name, &c.ExternalID); err != nil {
		return err
	}
	now := s.now()
	return s.write(ctx, func(tx *tx) error {
		c.CreatedAt, c.UpdatedAt = now, now
		if err := conflictField(tx.queryRow(ctx, `INSERT INTO companies (name, external_id, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
			c.Name, c.ExternalID, now, now).Scan(&c.ID), tx.d, "externalId", "a company with this externalId exists"); err != nil {
			return err
		}
		return s.emitDirectory(ctx, tx, lt.WebhookDirectoryCreated, "company", c.ID, c)
	})
}

// conflictField names the field of a unique violation.
func conflictField(err error, d dialect, field, msg string) error {
	err = d.translate(err)
	if lt.ErrorCode(err) == lt.ECONFLICT {
		return &lt.Error{Code: lt.ECONFLICT, Message: field + ": " + msg, Fields: []lt.FieldError{{Field: field, Message: msg}}}
	}
	return err
}

// FindCompanyByID returns a company that is not deleted.
func (s *Store) FindCompanyByID(ctx context.Context, id int64) (*lt.Company, error) {
	var c *lt.Company
	err := s.read(ctx, func(tx *tx) error {
		var err error
		c, err = scanCompany(tx.queryRow(ctx, companySelect+` WHERE id = ? AND deleted_at IS NULL`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("company", id)
		}
		return err
	})
	return c, err
}

// FindCompanies lists companies by name, with the total.
func (s *Store) FindCompanies(ctx context.Context, f lt.DirectoryFilter) ([]*lt.Company, int, error) {
	return findListed(ctx, s, companiesList, f, companySelect, scanCompany, "")
}

// UpdateCompany patches a company; its contacts' tokens follow a new name.
func (s *Store) UpdateCompany(ctx context.Context, id int64, upd lt.CompanyUpdate) (*lt.Company, error) {
	var c *lt.Company
	err := s.write(ctx, func(tx *tx) error {
		var err error
		c, err = scanCompany(tx.queryRow(ctx, companySelect+` WHERE id = ? AND deleted_at IS NULL`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("company", id)
		} else if err != nil {
			return err
		}
		if upd.Name != nil {
			c.Name = *upd.Name
		}
		if upd.ExternalID != nil {
			c.ExternalID = *upd.ExternalID
		}
		if err := lt.ValidateCompany(&c.Name, &c.ExternalID); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		if _, err := tx.exec(ctx, `UPDATE companies SET name = ?, external_id = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.ExternalID, c.UpdatedAt, id); err != nil {
			return conflictField(err, tx.d, "externalId", "a company with this externalId exists")
		}
		ids, err := queryIDs(ctx, tx, `SELECT id FROM contacts WHERE company_id = ?`, id)
		if err != nil {
			return err
		}
		if err := s.refreshTokenUsers(ctx, tx, lt.UserContact, ids...); err != nil {
			return err
		}
		return s.emitDirectory(ctx, tx, lt.WebhookDirectoryUpdated, "company", id, c)
	})
	return c, err
}

// DeleteCompany soft-deletes a company without contacts (else CONFLICT).
func (s *Store) DeleteCompany(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM contacts WHERE company_id = ? AND deleted_at IS NULL`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return lt.Errorf(lt.ECONFLICT, "company %d still has %d contacts: delete or move them first", id, n)
		}
		res, err := tx.exec(ctx, `UPDATE companies SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, s.now(), s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("company", id)
		}
		return s.emitDirectory(ctx, tx, lt.WebhookDirectoryDeleted, "company", id, nil)
	})
}

// --- contacts and customers: people of one shape (lt.Person), each kind
// in a table of its own.

type personTable[T lt.PersonKind] struct {
	table string
	kind  lt.UserType
	what  string
}

var (
	contactsTable  = personTable[lt.Contact]{"contacts", lt.UserContact, "contact"}
	customersTable = personTable[lt.Customer]{"customers", lt.UserCustomer, "customer"}
)

func (p personTable[T]) selectSQL() string {
	company := "NULL"
	if p.kind == lt.UserContact {
		company = "company_id"
	}
	return `SELECT id, ` + company + `, first_name, last_name, email, external_id, disabled, language, created_at, updated_at FROM ` + p.table
}

// scan reads a row of selectSQL into a new record.
func (p personTable[T]) scan(r rowScanner) (*T, error) {
	c := new(T)
	id, companyID, pe := lt.PersonParts(c)
	var ext sql.NullString
	var company sql.NullInt64
	if err := r.Scan(id, &company, &pe.FirstName, &pe.LastName, &pe.Email, &ext, &pe.Disabled, &pe.Language, dbTime{&pe.CreatedAt}, dbTime{&pe.UpdatedAt}); err != nil {
		return nil, err
	}
	if companyID != nil {
		*companyID = company.Int64
	}
	if ext.Valid {
		pe.ExternalID = &ext.String
	}
	return c, nil
}

func (p personTable[T]) find(ctx context.Context, tx *tx, id int64) (*T, error) {
	c, err := p.scan(tx.queryRow(ctx, p.selectSQL()+` WHERE id = ? AND deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(p.what, id)
	}
	return c, err
}

// validate normalizes c and checks it, a contact's company included.
func (p personTable[T]) validate(ctx context.Context, tx *tx, c *T) error {
	_, companyID, pe := lt.PersonParts(c)
	pe.Normalize()
	var v lt.Validation
	pe.Validate(&v)
	if companyID != nil {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM companies WHERE id = ? AND deleted_at IS NULL`, *companyID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add("companyId", "no company with id %d", *companyID)
		}
	}
	return v.Err()
}

// taken checks the unique fields before a write, so the conflict names
// the right field; the unique indexes stay the backstop under races.
func (p personTable[T]) taken(ctx context.Context, tx *tx, c *T) error {
	id, _, pe := lt.PersonParts(c)
	check := func(col, field string, val any) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+p.table+` WHERE `+col+` = ? AND deleted_at IS NULL AND id <> ?`, val, *id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			msg := "a " + p.what + " with this " + field + " exists"
			return &lt.Error{Code: lt.ECONFLICT, Message: field + ": " + msg, Fields: []lt.FieldError{{Field: field, Message: msg}}}
		}
		return nil
	}
	if pe.ExternalID != nil {
		if err := check("external_id", "externalId", *pe.ExternalID); err != nil {
			return err
		}
	}
	return check("email", "email", pe.Email)
}

// uniqueErr names a unique violation that slipped past taken (a race).
func (p personTable[T]) uniqueErr(tx *tx, err error) error {
	return conflictField(err, tx.d, "email", "a "+p.what+" with this email or externalId exists")
}

// create creates c and sets its id and times.
func (p personTable[T]) create(ctx context.Context, s *Store, c *T) error {
	now := s.now()
	return s.write(ctx, func(tx *tx) error {
		if err := p.validate(ctx, tx, c); err != nil {
			return err
		}
		if err := p.taken(ctx, tx, c); err != nil {
			return err
		}
		id, companyID, pe := lt.PersonParts(c)
		pe.CreatedAt, pe.UpdatedAt = now, now
		cols, vals := "", ""
		args := []any{pe.FirstName, pe.LastName, pe.Email, pe.ExternalID, pe.Disabled, pe.Language, now, now}
		if companyID != nil {
			cols, vals = "company_id, ", "?, "
			args = append([]any{*companyID}, args...)
		}
		err := tx.queryRow(ctx, `INSERT INTO `+p.table+` (`+cols+`first_name, last_name, email, external_id, disabled, language, created_at, updated_at)
			VALUES (`+vals+`?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(id)
		if err != nil {
			return p.uniqueErr(tx, err)
		}
		return s.emitDirectory(ctx, tx, lt.WebhookDirectoryCreated, p.what, *id, c)
	})
}

// update patches a person; its tokens follow.
func (p personTable[T]) update(ctx context.Context, s *Store, id int64, upd lt.PersonUpdate) (*T, error) {
	var c *T
	err := s.write(ctx, func(tx *tx) error {
		var err error
		if c, err = p.find(ctx, tx, id); err != nil {
			return err
		}
		lt.ApplyPerson(c, upd)
		if err := p.validate(ctx, tx, c); err != nil {
			return err
		}
		if err := p.taken(ctx, tx, c); err != nil {
			return err
		}
		_, companyID, pe := lt.PersonParts(c)
		pe.UpdatedAt = s.now()
		args := []any{pe.FirstName, pe.LastName, pe.Email, pe.ExternalID, pe.Disabled, pe.Language, pe.UpdatedAt}
		set := ""
		if companyID != nil {
			set = ", company_id = ?"
			args = append(args, *companyID)
		}
		if _, err := tx.exec(ctx, `UPDATE `+p.table+` SET first_name = ?, last_name = ?, email = ?, external_id = ?, disabled = ?, language = ?, updated_at = ?`+set+` WHERE id = ?`,
			append(args, id)...); err != nil {
			return p.uniqueErr(tx, err)
		}
		if err := s.refreshTokenUsers(ctx, tx, p.kind, id); err != nil {
			return err
		}
		return s.emitDirectory(ctx, tx, lt.WebhookDirectoryUpdated, p.what, id, c)
	})
	return c, err
}

// delete hides a person: their tokens then fail with USER_DISABLED.
func (p personTable[T]) delete(ctx context.Context, s *Store, id int64) error {
	return s.write(ctx, func(tx *tx) error {
		now := s.now()
		res, err := tx.exec(ctx, `UPDATE `+p.table+` SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, now, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(p.what, id)
		}
		return s.emitDirectory(ctx, tx, lt.WebhookDirectoryDeleted, p.what, id, nil)
	})
}

// list lists people by name, with the total; f.CompanyID narrows contacts only.
func (p personTable[T]) list(ctx context.Context, s *Store, f lt.DirectoryFilter) ([]*T, int, error) {
	if p.kind == lt.UserCustomer {
		return findListed(ctx, s, customersList, f, p.selectSQL(), p.scan, "")
	}
	if f.CompanyID != nil {
		return findListed(ctx, s, contactsList, f, p.selectSQL(), p.scan, `company_id = ?`, *f.CompanyID)
	}
	return findListed(ctx, s, contactsList, f, p.selectSQL(), p.scan, "")
}

// byID is find in a read transaction of its own.
func (p personTable[T]) byID(ctx context.Context, s *Store, id int64) (*T, error) {
	var c *T
	err := s.read(ctx, func(tx *tx) error {
		var err error
		c, err = p.find(ctx, tx, id)
		return err
	})
	return c, err
}

// refreshTokenUsers rewrites the denormalised name and search text of the
// tokens of the given users.
func (s *Store) refreshTokenUsers(ctx context.Context, tx *tx, kind lt.UserType, ids ...int64) error {
	col := "contact_id"
	if kind == lt.UserCustomer {
		col = "customer_id"
	}
	for _, id := range ids {
		u, err := s.findUser(ctx, tx, kind, id, true)
		if err != nil {
			return err
		}
		search, sortName := userSearch(u)
		if _, err := tx.exec(ctx, `UPDATE login_tokens SET sort_name = ?, user_search = ? WHERE `+col+` = ?`, sortName, search, id); err != nil {
			return err
		}
	}
	return nil
}

func queryIDs(ctx context.Context, tx *tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
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

// CreateContact creates c and sets its id and times.
func (s *Store) CreateContact(ctx context.Context, c *lt.Contact) error {
	return contactsTable.create(ctx, s, c)
}

// FindContactByID returns a contact that is not deleted.
func (s *Store) FindContactByID(ctx context.Context, id int64) (*lt.Contact, error) {
	return contactsTable.byID(ctx, s, id)
}

// FindContacts lists contacts by name, with the total.
func (s *Store) FindContacts(ctx context.Context, f lt.DirectoryFilter) ([]*lt.Contact, int, error) {
	return contactsTable.list(ctx, s, f)
}

// UpdateContact patches a contact; its tokens follow.
func (s *Store) UpdateContact(ctx context.Context, id int64, upd lt.PersonUpdate) (*lt.Contact, error) {
	return contactsTable.update(ctx, s, id, upd)
}

// DeleteContact soft-deletes a contact: its tokens then fail with USER_DISABLED.
func (s *Store) DeleteContact(ctx context.Context, id int64) error {
	return contactsTable.delete(ctx, s, id)
}

// CreateCustomer creates c and sets its id and times.
func (s *Store) CreateCustomer(ctx context.Context, c *lt.Customer) error {
	return customersTable.create(ctx, s, c)
}

// FindCustomerByID returns a customer that is not deleted.
func (s *Store) FindCustomerByID(ctx context.Context, id int64) (*lt.Customer, error) {
	return customersTable.byID(ctx, s, id)
}

// FindCustomers lists customers by name, with the total.
func (s *Store) FindCustomers(ctx context.Context, f lt.DirectoryFilter) ([]*lt.Customer, int, error) {
	return customersTable.list(ctx, s, f)
}

// UpdateCustomer patches a customer; its tokens follow.
func (s *Store) UpdateCustomer(ctx context.Context, id int64, upd lt.PersonUpdate) (*lt.Customer, error) {
	return customersTable.update(ctx, s, id, upd)
}

// DeleteCustomer soft-deletes a customer: its tokens then fail with USER_DISABLED.
func (s *Store) DeleteCustomer(ctx context.Context, id int64) error {
	return customersTable.delete(ctx, s, id)
}
