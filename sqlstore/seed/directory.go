package seed

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// querier runs a query, written with ? placeholders, whose rows are one
// integer each, inside the seed's transaction: a database/sql one on
// SQLite, the raw pgx one that COPY needs on PostgreSQL.
type querier interface {
	int64s(ctx context.Context, q string, args ...any) ([]int64, error)
}

type sqlQuerier struct {
	s  *sqlstore.Store
	tx *sql.Tx
}

func (q sqlQuerier) int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := q.tx.QueryContext(ctx, q.s.Rebind(query), q.s.Args(args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanInt64s(rows)
}

type pgxQuerier struct {
	s  *sqlstore.Store
	tx pgx.Tx
}

func (q pgxQuerier) int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := q.tx.Query(ctx, q.s.Rebind(query), q.s.Args(args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanInt64s(rows)
}

func scanInt64s(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]int64, error) {
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

type company struct {
	id     int64
	name   string
	domain string
}

// user is a contact or customer with the denormalised text its tokens
// carry.
type user struct {
	id         int64
	search     string
	sortName   string
	companyIdx int
}

// directory inserts companies, contacts and customers and keeps their ids.
func (sd *seeder) directory(ctx context.Context, q querier) error {
	base, err := maxIDs(ctx, q)
	if err != nil {
		return err
	}
	dirNow := sd.now.Add(-3 * 365 * 24 * time.Hour)
	created := func() time.Time {
		return dirNow.Add(-time.Duration(sd.rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Microsecond)
	}
	if err := sd.insertCompanies(ctx, q, base[0], created); err != nil {
		return fmt.Errorf("seed companies: %w", err)
	}
	p := &people{sd: sd, emails: map[string]bool{}, numbered: base[1] > 0 || base[2] > 0, after: max(base[1], base[2])}
	if err := sd.insertContacts(ctx, q, base[1], created, p); err != nil {
		return fmt.Errorf("seed contacts: %w", err)
	}
	if err := sd.insertCustomers(ctx, q, base[2], created, p); err != nil {
		return fmt.Errorf("seed customers: %w", err)
	}
	sd.res.Companies, sd.res.Contacts, sd.res.Customers = len(sd.companies), len(sd.contacts), len(sd.customers)
	return nil
}

func (sd *seeder) insertCompanies(ctx context.Context, q querier, base int64, created func() time.Time) error {
	sd.companies = make([]company, sd.o.Companies)
	names := map[string]bool{}
	for i := range sd.companies {
		name := ""
		for try := 0; ; try++ {
			name = pick(sd.rng, companyPrefixes) + " " + pick(sd.rng, companyNouns)
			if try > 3 {
				name += " " + strconv.Itoa(i+1)
			}
			if !names[name] {
				break
			}
		}
		names[name] = true
		domain := strings.ToLower(strings.NewReplacer(" ", "-", "&", "and").Replace(name)) + ".test"
		sd.companies[i] = company{name: name + " " + pick(sd.rng, companySuffixes), domain: domain}
	}
	return insertReturning(ctx, q, len(sd.companies), 1000,
		`INSERT INTO companies (name, external_id, created_at, updated_at) VALUES `, 4,
		func(i int, args []any) []any {
			t := created()
			return append(args, sd.companies[i].name, fmt.Sprintf("C%07d", base+int64(i)+1), t, t)
		},
		func(i int, id int64) { sd.companies[i].id = id })
}

func (sd *seeder) insertContacts(ctx context.Context, q querier, base int64, created func() time.Time, p *people) error {
	sd.contacts = make([]user, sd.o.Contacts)
	return insertReturning(ctx, q, len(sd.contacts), 1000,
		`INSERT INTO contacts (company_id, first_name, last_name, email, external_id, disabled, created_at, updated_at) VALUES `, 8,
		func(i int, args []any) []any {
			// Big companies have many contacts: a skewed pick.
			ci := int(float64(len(sd.companies)) * math.Pow(sd.rng.Float64(), 2))
			co := &sd.companies[ci]
			first, last, mail := p.person(co)
			sd.contacts[i] = newUser(first, last, mail, co)
			sd.contacts[i].companyIdx = ci
			t := created()
			return append(args, co.id, first, last, mail, fmt.Sprintf("P%07d", base+int64(i)+1), sd.rng.IntN(100) == 0, t, t)
		},
		func(i int, id int64) { sd.contacts[i].id = id })
}

func (sd *seeder) insertCustomers(ctx context.Context, q querier, base int64, created func() time.Time, p *people) error {
	sd.customers = make([]user, sd.o.Customers)
	return insertReturning(ctx, q, len(sd.customers), 1000,
		`INSERT INTO customers (first_name, last_name, email, external_id, disabled, created_at, updated_at) VALUES `, 7,
		func(i int, args []any) []any {
			first, last, mail := p.person(nil)
			sd.customers[i] = newUser(first, last, mail, nil)
			t := created()
			return append(args, first, last, mail, fmt.Sprintf("K%07d", base+int64(i)+1), sd.rng.IntN(100) == 0, t, t)
		},
		func(i int, id int64) { sd.customers[i].id = id })
}

// people draws names and unique e-mail addresses for contacts and
// customers alike.
type people struct {
	sd     *seeder
	emails map[string]bool
	// numbered addresses always, after the highest id before the seed:
	// the database held people whose addresses this run does not know.
	numbered bool
	after    int64
}

// email is local@domain, numbered when taken.
func (p *people) email(first, last, domain string) string {
	local := strings.ToLower(first + "." + last)
	for n := 1; ; n++ {
		e := local + "@" + domain
		if n > 1 || p.numbered {
			e = local + strconv.Itoa(n+int(p.after)) + "@" + domain
		}
		if !p.emails[e] {
			p.emails[e] = true
			return e
		}
	}
}

// person is a new person, of the company when there is one.
func (p *people) person(co *company) (first, last, mail string) {
	first, last = pick(p.sd.rng, firstNames), pick(p.sd.rng, lastNames)
	domain := pick(p.sd.rng, mailDomains)
	if co != nil {
		domain = co.domain
	}
	return first, last, p.email(first, last, domain)
}

// newUser is a person with the text their tokens carry.
func newUser(first, last, mail string, co *company) user {
	u := &lt.UserRef{Name: lt.FullName(first, last), Email: mail}
	if co != nil {
		u.Company = &lt.CompanyRef{Name: co.name}
	}
	search, sortName := sqlstore.TokenUserText(u)
	return user{search: search, sortName: sortName.(string)}
}

// maxIDs are the highest ids of companies, contacts and customers before
// the seed: external ids and addresses are numbered after them.
func maxIDs(ctx context.Context, q querier) ([3]int64, error) {
	var out [3]int64
	for i, table := range []string{"companies", "contacts", "customers"} {
		ids, err := q.int64s(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table)
		if err != nil {
			return out, err
		}
		if len(ids) > 0 {
			out[i] = ids[len(ids)-1]
		}
	}
	return out, nil
}

// insertReturning inserts n rows in statements of per rows each and hands
// each new id back by position. RETURNING gives the ids in the order of
// the VALUES on both databases; the row count is checked.
func insertReturning(ctx context.Context, q querier, n, per int, head string, cols int,
	row func(i int, args []any) []any, setID func(i int, id int64)) error {
	tuple := `(` + strings.TrimSuffix(strings.Repeat(`?, `, cols), `, `) + `)`
	args := make([]any, 0, per*cols)
	for lo := 0; lo < n; lo += per {
		hi := min(n, lo+per)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = row(i, args)
		}
		ids, err := q.int64s(ctx, head+strings.TrimSuffix(strings.Repeat(tuple+`, `, hi-lo), `, `)+` RETURNING id`, args...)
		if err != nil {
			return err
		}
		if len(ids) != hi-lo {
			return fmt.Errorf("insert returned %d ids for %d rows", len(ids), hi-lo)
		}
		for i, id := range ids {
			setID(lo+i, id)
		}
	}
	return nil
}
