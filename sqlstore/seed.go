package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	lt "github.com/logintokens/logintokens"
)

// Seeding fills a database with realistic sample data fast, for
// benchmarks and demos (logintokens dev seed): companies with contacts,
// customers, and tokens of every type. Every token is real: its secret is
// drawn from crypto/rand, hashed and encrypted with the server key as
// CreateToken does, so a seeded token can be revealed and redeemed.
//
// The load runs in one transaction, so a failure leaves the database as it
// was. The secondary indexes of login_tokens (and, on SQLite, the triggers
// that keep the text index in sync) are dropped first and made again after
// the load, from their own definitions in the database: building an index
// once over sorted data is much faster than updating it row by row. Tokens
// go in with multi-row INSERTs on SQLite and COPY on PostgreSQL, oldest
// first, and the planner statistics are refreshed at the end.

// SeedOptions says how much sample data Seed makes.
type SeedOptions struct {
	Tokens int
	// Contacts, Customers and Companies default (when 0) to one contact
	// and one customer per 20 tokens and one company per 10 contacts.
	Contacts  int
	Customers int
	Companies int
	// Seed makes the sample (names, times, counters) repeatable; token ids
	// and secrets always come from crypto/rand.
	Seed uint64
	// Values, when set, receives every token's value, one per line, oldest
	// first: for load tests that redeem seeded tokens.
	Values io.Writer
	// Progress, when set, is told each step as it ends.
	Progress func(step string, took time.Duration)
}

func (o *SeedOptions) defaults() error {
	if o.Tokens < 0 || o.Contacts < 0 || o.Customers < 0 || o.Companies < 0 {
		return lt.Invalid("tokens", "counts must not be negative")
	}
	if o.Contacts == 0 {
		o.Contacts = max(1, o.Tokens/20)
	}
	if o.Customers == 0 {
		o.Customers = max(1, o.Tokens/20)
	}
	if o.Companies == 0 {
		o.Companies = max(1, o.Contacts/10)
	}
	return nil
}

// SeedResult counts what Seed made and how long each step took.
type SeedResult struct {
	Companies, Contacts, Customers, Tokens int

	Directory  time.Duration // companies, contacts and customers
	LoadTokens time.Duration // making and inserting the tokens
	Indexes    time.Duration // building the indexes (and the text index)
	Analyze    time.Duration // planner statistics (and VACUUM on PostgreSQL)
	Total      time.Duration
}

// Seed adds sample data. It needs the server key, as creating a token does.
func (s *Store) Seed(ctx context.Context, o SeedOptions) (*SeedResult, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	sd := &seeder{s: s, o: o, now: s.now(), rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), res: &SeedResult{}}
	if o.Values != nil {
		sd.values = bufio.NewWriterSize(o.Values, 1<<20)
	}
	var err error
	if s.d.name() == "postgres" {
		err = sd.runPostgres(ctx)
	} else {
		err = sd.runSQLite(ctx)
	}
	if err != nil {
		return nil, err
	}
	if sd.values != nil {
		if err := sd.values.Flush(); err != nil {
			return nil, fmt.Errorf("write token values: %w", err)
		}
	}
	sd.res.Total = time.Since(start)
	return sd.res, nil
}

type seeder struct {
	s      *Store
	o      SeedOptions
	now    time.Time
	rng    *rand.Rand
	res    *SeedResult
	values *bufio.Writer

	companies []seedCompany
	contacts  []seedUser
	customers []seedUser
}

type seedCompany struct {
	id     int64
	name   string
	domain string
}

// seedUser is a contact or customer with the denormalised text its
// tokens carry.
type seedUser struct {
	id         int64
	search     string
	sortName   string
	companyIdx int
}

func (sd *seeder) step(name string, d *time.Duration, since time.Time) {
	*d = time.Since(since)
	if sd.o.Progress != nil {
		sd.o.Progress(name, *d)
	}
}

// --- SQLite

func (sd *seeder) runSQLite(ctx context.Context) error {
	conn, err := sd.s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A big page cache keeps the id index and the sorts of the index builds
	// in memory; the connection is the store's one writer, so set it back.
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)

	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	t := &tx{Tx: sqlTx, d: sd.s.d, ctx: ctx}

	t0 := time.Now()
	if err := sd.directory(ctx, t); err != nil {
		return err
	}
	sd.step("companies, contacts and customers", &sd.res.Directory, t0)

	// Indexes and triggers go, to be made again from their own SQL.
	var ddl []string
	rows, err := t.query(ctx, `SELECT type, name, sql FROM sqlite_master
		WHERE tbl_name = 'login_tokens' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, `DROP `+strings.ToUpper(typ)+` "`+name+`"`)
		ddl = append(ddl, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range drops {
		if _, err := t.exec(ctx, q); err != nil {
			return fmt.Errorf("seed: %s: %w", q, err)
		}
	}

	t0 = time.Now()
	const perStmt = 500 // 19 columns: 9,500 parameters, under SQLite's 32,766
	stmts := map[int]*sql.Stmt{}
	stmt := func(n int) (*sql.Stmt, error) {
		if st, ok := stmts[n]; ok {
			return st, nil
		}
		row := `(` + strings.TrimSuffix(strings.Repeat(`?, `, len(seedTokenColumns)), `, `) + `)`
		st, err := sqlTx.PrepareContext(ctx, `INSERT INTO login_tokens (`+strings.Join(seedTokenColumns, `, `)+`) VALUES `+
			strings.TrimSuffix(strings.Repeat(row+`, `, n), `, `))
		stmts[n] = st
		return st, err
	}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, perStmt*len(seedTokenColumns))
	err = sd.tokens(ctx, func(batch []seedToken) error {
		for len(batch) > 0 {
			n := min(perStmt, len(batch))
			args = args[:0]
			for i := range batch[:n] {
				args = batch[i].appendSQLite(args)
			}
			st, err := stmt(n)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("insert tokens: %w", err)
			}
			batch = batch[n:]
		}
		return nil
	})
	if err != nil {
		return err
	}
	sd.step("tokens", &sd.res.LoadTokens, t0)

	t0 = time.Now()
	for _, q := range ddl {
		if _, err := t.exec(ctx, q); err != nil {
			return fmt.Errorf("seed: rebuild %q: %w", firstLine(q), err)
		}
	}
	// The text index reads every row once; its triggers are back, so new
	// tokens keep it current from here on.
	if _, err := t.exec(ctx, `INSERT INTO login_tokens_fts (login_tokens_fts) VALUES ('rebuild')`); err != nil {
		return fmt.Errorf("seed: rebuild the text index: %w", err)
	}
	sd.step("indexes", &sd.res.Indexes, t0)

	t0 = time.Now()
	// Full statistics: a sample (analysis_limit) misjudges the columns of
	// few values, such as type, by a factor of 300, and the planner then
	// counts "type=contact&status=active" row by row.
	if _, err := t.exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return err
	}
	// Fold the write-ahead log into the database now rather than on the
	// first requests.
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	sd.step("analyze", &sd.res.Analyze, t0)
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// --- PostgreSQL

func (sd *seeder) runPostgres(ctx context.Context) error {
	conn, err := sd.s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		ptx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer ptx.Rollback(ctx)
		t0 := time.Now()
		if err := sd.directory(ctx, pgxQuerier{ptx}); err != nil {
			return err
		}
		sd.step("companies, contacts and customers", &sd.res.Directory, t0)

		// Every index but the primary key goes, to be made again from its
		// own definition (schema-qualified, so search_path is no matter).
		rows, err := ptx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
			FROM pg_index i WHERE i.indrelid = 'login_tokens'::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`)
		if err != nil {
			return err
		}
		var names, defs []string
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				return err
			}
			names, defs = append(names, name), append(defs, def)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, name := range names {
			if _, err := ptx.Exec(ctx, `DROP INDEX `+name); err != nil {
				return fmt.Errorf("seed: drop index %s: %w", name, err)
			}
		}

		t0 = time.Now()
		var batch []seedToken
		var next int
		var genErr error
		rowsIn := make(chan []seedToken)
		genCtx, stopGen := context.WithCancel(ctx)
		defer stopGen()
		go func() {
			genErr = sd.tokens(genCtx, func(b []seedToken) error {
				select {
				case rowsIn <- b:
					return nil
				case <-genCtx.Done():
					return genCtx.Err()
				}
			})
			close(rowsIn)
		}()
		src := pgx.CopyFromFunc(func() ([]any, error) {
			for next >= len(batch) {
				b, ok := <-rowsIn
				if !ok {
					return nil, nil
				}
				batch, next = b, 0
			}
			next++
			return batch[next-1].postgresRow(), nil
		})
		_, err = ptx.CopyFrom(ctx, pgx.Identifier{"login_tokens"}, seedTokenColumns, src)
		// Stop and wait for the generator whatever COPY did.
		stopGen()
		for range rowsIn {
		}
		if err != nil {
			return fmt.Errorf("copy tokens: %w", err)
		}
		if genErr != nil {
			return genErr
		}
		sd.step("tokens", &sd.res.LoadTokens, t0)

		t0 = time.Now()
		// Index builds sort in memory up to maintenance_work_mem.
		if _, err := ptx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
			return err
		}
		for _, def := range defs {
			if _, err := ptx.Exec(ctx, def); err != nil {
				return fmt.Errorf("seed: %s: %w", def, err)
			}
		}
		sd.step("indexes", &sd.res.Indexes, t0)
		return ptx.Commit(ctx)
	})
	if err != nil {
		return err
	}
	// VACUUM sets the visibility map, without which counts cannot use
	// index-only scans; it cannot run in a transaction.
	t0 := time.Now()
	for _, table := range []string{"login_tokens", "companies", "contacts", "customers"} {
		if _, err := conn.ExecContext(ctx, `VACUUM (ANALYZE) `+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	sd.step("vacuum and analyze", &sd.res.Analyze, t0)
	return nil
}

// pgxQuerier lets the directory step run on a raw pgx transaction.
type pgxQuerier struct{ tx pgx.Tx }

// --- the directory

// directory inserts companies, contacts and customers and keeps their ids.
func (sd *seeder) directory(ctx context.Context, q any) error {
	o := sd.o
	base, err := sd.maxIDs(ctx, q)
	if err != nil {
		return err
	}
	dirNow := sd.now.Add(-3 * 365 * 24 * time.Hour)
	created := func() time.Time {
		return dirNow.Add(-time.Duration(sd.rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Microsecond)
	}

	sd.companies = make([]seedCompany, o.Companies)
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
		sd.companies[i] = seedCompany{name: name + " " + pick(sd.rng, companySuffixes), domain: domain}
	}
	err = insertReturning(ctx, q, len(sd.companies), 1000,
		`INSERT INTO companies (name, external_id, created_at, updated_at) VALUES `, 4,
		func(i int, args []any) []any {
			t := created()
			return append(args, sd.companies[i].name, fmt.Sprintf("C%07d", base[0]+int64(i)+1), t, t)
		},
		func(i int, id int64) { sd.companies[i].id = id })
	if err != nil {
		return fmt.Errorf("seed companies: %w", err)
	}

	emails := map[string]bool{}
	email := func(first, last, domain string) string {
		local := strings.ToLower(first + "." + last)
		for n := 1; ; n++ {
			e := local + "@" + domain
			if n > 1 || base[1] > 0 || base[2] > 0 {
				// Numbered when taken, and always when the database held
				// people before, whose addresses this run does not know.
				e = local + strconv.Itoa(n+int(max(base[1], base[2]))) + "@" + domain
			}
			if !emails[e] {
				emails[e] = true
				return e
			}
		}
	}
	person := func(company *seedCompany) (first, last, mail string) {
		first, last = pick(sd.rng, firstNames), pick(sd.rng, lastNames)
		domain := pick(sd.rng, mailDomains)
		if company != nil {
			domain = company.domain
		}
		return first, last, email(first, last, domain)
	}
	user := func(first, last, mail string, company *seedCompany) seedUser {
		u := &lt.UserRef{Name: lt.FullName(first, last), Email: mail}
		if company != nil {
			u.Company = &lt.CompanyRef{Name: company.name}
		}
		search, sortName := userSearch(u)
		return seedUser{search: search, sortName: sortName.(string)}
	}

	sd.contacts = make([]seedUser, o.Contacts)
	err = insertReturning(ctx, q, len(sd.contacts), 1000,
		`INSERT INTO contacts (company_id, first_name, last_name, email, external_id, disabled, created_at, updated_at) VALUES `, 8,
		func(i int, args []any) []any {
			// Big companies have many contacts: a skewed pick.
			ci := int(float64(len(sd.companies)) * math.Pow(sd.rng.Float64(), 2))
			co := &sd.companies[ci]
			first, last, mail := person(co)
			sd.contacts[i] = user(first, last, mail, co)
			sd.contacts[i].companyIdx = ci
			t := created()
			return append(args, co.id, first, last, mail, fmt.Sprintf("P%07d", base[1]+int64(i)+1), sd.rng.IntN(100) == 0, t, t)
		},
		func(i int, id int64) { sd.contacts[i].id = id })
	if err != nil {
		return fmt.Errorf("seed contacts: %w", err)
	}

	sd.customers = make([]seedUser, o.Customers)
	err = insertReturning(ctx, q, len(sd.customers), 1000,
		`INSERT INTO customers (first_name, last_name, email, external_id, disabled, created_at, updated_at) VALUES `, 7,
		func(i int, args []any) []any {
			first, last, mail := person(nil)
			sd.customers[i] = user(first, last, mail, nil)
			t := created()
			return append(args, first, last, mail, fmt.Sprintf("K%07d", base[2]+int64(i)+1), sd.rng.IntN(100) == 0, t, t)
		},
		func(i int, id int64) { sd.customers[i].id = id })
	if err != nil {
		return fmt.Errorf("seed customers: %w", err)
	}
	sd.res.Companies, sd.res.Contacts, sd.res.Customers = len(sd.companies), len(sd.contacts), len(sd.customers)
	return nil
}

// maxIDs are the highest ids of companies, contacts and customers before
// the seed: external ids and addresses are numbered after them.
func (sd *seeder) maxIDs(ctx context.Context, q any) ([3]int64, error) {
	var out [3]int64
	for i, table := range []string{"companies", "contacts", "customers"} {
		rows, err := seedQuery(ctx, q, `SELECT COALESCE(MAX(id), 0) FROM `+table)
		if err != nil {
			return out, err
		}
		for rows.next() {
			if err := rows.scan(&out[i]); err != nil {
				rows.close()
				return out, err
			}
		}
		rows.close()
		if err := rows.err(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// insertReturning inserts n rows in statements of per rows each and hands
// each new id back by position. RETURNING gives the ids in the order of
// the VALUES on both databases; the row count is checked.
func insertReturning(ctx context.Context, q any, n, per int, head string, cols int,
	row func(i int, args []any) []any, setID func(i int, id int64)) error {
	tuple := `(` + strings.TrimSuffix(strings.Repeat(`?, `, cols), `, `) + `)`
	args := make([]any, 0, per*cols)
	for lo := 0; lo < n; lo += per {
		hi := min(n, lo+per)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = row(i, args)
		}
		rows, err := seedQuery(ctx, q, head+strings.TrimSuffix(strings.Repeat(tuple+`, `, hi-lo), `, `)+` RETURNING id`, args...)
		if err != nil {
			return err
		}
		i := lo
		for rows.next() {
			var id int64
			if err := rows.scan(&id); err != nil {
				rows.close()
				return err
			}
			if i < hi {
				setID(i, id)
			}
			i++
		}
		rows.close()
		if err := rows.err(); err != nil {
			return err
		}
		if i != hi {
			return fmt.Errorf("insert returned %d ids for %d rows", i-lo, hi-lo)
		}
	}
	return nil
}

// seedRows hides whether the rows came from database/sql or raw pgx.
type seedRows struct {
	next  func() bool
	scan  func(...any) error
	close func()
	err   func() error
}

func seedQuery(ctx context.Context, q any, query string, args ...any) (seedRows, error) {
	switch q := q.(type) {
	case *tx:
		rows, err := q.query(ctx, query, args...)
		if err != nil {
			return seedRows{}, err
		}
		return seedRows{rows.Next, rows.Scan, func() { rows.Close() }, rows.Err}, nil
	case pgxQuerier:
		rows, err := q.tx.Query(ctx, postgresDialect{}.rebind(query), postgresDialect{}.args(args)...)
		if err != nil {
			return seedRows{}, err
		}
		return seedRows{rows.Next, rows.Scan, rows.Close, rows.Err}, nil
	}
	return seedRows{}, errors.New("seed: unknown querier")
}

// --- the tokens

// seedTokenColumns are the columns a seeded token fills, in the order of
// appendSQLite and postgresRow.
var seedTokenColumns = []string{"id", "type", "contact_id", "customer_id", "expires_at", "one_time_use", "extra",
	"successful_attempts", "failed_attempts", "last_accessed_at", "created_at", "updated_at", "created_by",
	"secret_hash", "value_enc", "value_key_id", "sort_name", "user_search", "extra_search"}

type seedToken struct {
	id, typ                 string
	contactID, customerID   any // int64 or nil
	expiresAt, lastAccessed *time.Time
	oneTime                 bool
	extra                   string
	succ, fail              int64
	created, updated        time.Time
	createdBy               string
	hash, sealed            []byte
	keyID                   string
	sortName                any // string or nil
	userSearch, extraSearch string
	value                   string // only when SeedOptions.Values is set
}

func sqliteTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(sqliteTimeFormat)
}

func (t *seedToken) appendSQLite(args []any) []any {
	return append(args, t.id, t.typ, t.contactID, t.customerID, sqliteTime(t.expiresAt), t.oneTime, t.extra,
		t.succ, t.fail, sqliteTime(t.lastAccessed), t.created.Format(sqliteTimeFormat), t.updated.Format(sqliteTimeFormat),
		t.createdBy, t.hash, t.sealed, t.keyID, t.sortName, t.userSearch, t.extraSearch)
}

func (t *seedToken) postgresRow() []any {
	return []any{t.id, t.typ, t.contactID, t.customerID, optTime(t.expiresAt), t.oneTime, t.extra,
		t.succ, t.fail, optTime(t.lastAccessed), t.created, t.updated,
		t.createdBy, t.hash, t.sealed, t.keyID, t.sortName, t.userSearch, t.extraSearch}
}

// seedSpan is how far back the tokens go.
const seedSpan = 3 * 365 * 24 * time.Hour

// tokens makes the tokens, oldest first, in batches that it hands to
// write while it makes the next batch.
func (sd *seeder) tokens(ctx context.Context, write func([]seedToken) error) error {
	const batchSize = 5000
	n := sd.o.Tokens
	batches := make(chan []seedToken, 4)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		for lo := 0; lo < n; lo += batchSize {
			b := make([]seedToken, min(batchSize, n-lo))
			for i := range b {
				sd.token(&b[i], lo+i, n)
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	made := 0
	for b := range batches {
		if err := write(b); err != nil {
			return err
		}
		if sd.values != nil {
			for i := range b {
				sd.values.WriteString(b[i].value)
				sd.values.WriteByte('\n')
			}
		}
		made += len(b)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if made != n {
		return fmt.Errorf("seed: made %d of %d tokens", made, n)
	}
	sd.res.Tokens = n
	return nil
}

// token fills t as the i-th of n tokens, by creation time.
func (sd *seeder) token(t *seedToken, i, n int) {
	rng := sd.rng
	now := sd.now
	// Creation times grow denser towards now, as a growing shop's do, and
	// follow i, so that tokens go in oldest first.
	frac := math.Sqrt((float64(i) + rng.Float64()) / float64(n))
	t.created = now.Add(-seedSpan + time.Duration(frac*float64(seedSpan))).Truncate(time.Microsecond)
	t.updated = t.created
	if rng.IntN(10) < 3 {
		t.updated = randomBetween(rng, t.created, now)
	}

	var company string
	switch r := rng.IntN(100); {
	case r < 60:
		// Some contacts (procurement systems, sales reps) hold many tokens.
		u := &sd.contacts[int(float64(len(sd.contacts))*math.Pow(rng.Float64(), 2))]
		t.typ, t.contactID, t.sortName, t.userSearch = string(lt.UserContact), u.id, u.sortName, u.search
		company = sd.companies[u.companyIdx].name
	case r < 90:
		u := &sd.customers[int(float64(len(sd.customers))*math.Pow(rng.Float64(), 1.5))]
		t.typ, t.customerID, t.sortName, t.userSearch = string(lt.UserCustomer), u.id, u.sortName, u.search
	default:
		t.typ, t.contactID, t.customerID, t.sortName, t.userSearch = string(lt.UserAnonymous), nil, nil, nil, ""
	}
	if t.typ != string(lt.UserContact) {
		t.contactID = nil
	}
	if t.typ != string(lt.UserCustomer) {
		t.customerID = nil
	}

	t.expiresAt = nil
	if rng.IntN(100) >= 20 { // a fifth never expire
		days := []int{1, 7, 14, 30, 90, 180, 365}[rng.IntN(7)]
		e := t.created.Add(time.Duration(days)*24*time.Hour + time.Duration(rng.Int64N(int64(24*time.Hour)))).Truncate(time.Microsecond)
		t.expiresAt = &e
	}
	t.oneTime = rng.IntN(100) < 30
	t.succ, t.fail = 0, 0
	if t.oneTime {
		if rng.IntN(2) == 0 {
			t.succ = 1
		}
	} else if rng.IntN(100) >= 35 {
		t.succ = 1 + int64(rng.ExpFloat64()*6)
		if rng.IntN(100) == 0 {
			t.succ += rng.Int64N(500) // a procurement system signing in all day
		}
	}
	if rng.IntN(100) < 15 {
		t.fail = 1 + int64(rng.ExpFloat64()*2)
	}
	t.lastAccessed = nil
	if t.succ+t.fail > 0 {
		end := now
		if t.expiresAt != nil && t.expiresAt.Before(end) && rng.IntN(4) > 0 {
			end = *t.expiresAt
		}
		la := randomBetween(rng, t.created, end)
		t.lastAccessed = &la
	}

	var extra []string
	if rng.IntN(100) < 20 {
		extra = append(extra, sd.extraLine(t.typ, company, t.created))
		if rng.IntN(4) == 0 {
			extra = append(extra, sd.extraLine(t.typ, company, t.created))
		}
	}
	t.extra, t.extraSearch = extraJSON(extra), extraSearch(extra)
	switch r := rng.IntN(100); {
	case r < 75:
		t.createdBy = "staff:" + strconv.Itoa(1+rng.IntN(12))
	case r < 97:
		t.createdBy = "apikey:" + []string{"k3x9f0a2b7cq", "m8q2w4e6r1ty", "p0o9i8u7y6tr"}[rng.IntN(3)]
	default:
		t.createdBy = "cli"
	}

	t.id = lt.NewID()
	secret := lt.NewSecret()
	value := lt.FormatValue(lt.TokenPrefix, t.id, secret)
	t.hash = lt.HashSecret(t.id, secret)
	t.keyID, t.sealed = sd.s.keys.Seal([]byte(value), []byte(t.id))
	if sd.values != nil {
		t.value = value
	}
}

func (sd *seeder) extraLine(typ, company string, created time.Time) string {
	rng := sd.rng
	switch {
	case typ == string(lt.UserContact) && rng.IntN(3) == 0:
		return "OCI for " + company + " " + pick(rng, []string{"SAP SRM", "SAP Ariba", "Coupa", "Oracle iProcurement", "JAGGAER"})
	case typ == string(lt.UserAnonymous) && rng.IntN(2) == 0:
		return pick(rng, []string{"Guest kiosk", "Trade fair booth", "Showroom tablet", "Demo day"}) + " " + pick(rng, cities)
	}
	switch rng.IntN(5) {
	case 0:
		return "Cost centre " + strconv.Itoa(1000+rng.IntN(9000))
	case 1:
		return "Sales rep " + pick(rng, firstNames) + " " + pick(rng, lastNames)
	case 2:
		return "Ticket #" + strconv.Itoa(10000+rng.IntN(90000))
	case 3:
		return "Campaign " + pick(rng, []string{"spring", "summer", "autumn", "winter", "black friday", "newsletter"}) + " " + strconv.Itoa(created.Year())
	}
	return "Order reference PO-" + strconv.Itoa(100000+rng.IntN(900000))
}

func randomBetween(rng *rand.Rand, a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(rng.Int64N(int64(b.Sub(a))))).Truncate(time.Microsecond)
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

var (
	firstNames = []string{"Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ivan", "Jana",
		"Jane", "Jonas", "Karl", "Lara", "Leon", "Lina", "Lukas", "Maria", "Max", "Mia", "Noah", "Olivia",
		"Paul", "Sophie", "Tom", "Ute", "Victor", "Wanda", "Xaver", "Yara", "Zoe", "Ahmed", "Aylin", "Chen",
		"Daniel", "Elena", "Fatima", "George", "Hiro", "Ines", "James", "Kenji", "Laura", "Mateo", "Nadia",
		"Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tanja", "Uma", "Vera", "William", "Xenia", "Yusuf",
		"Zofia", "Bob", "Ann", "Carlos", "Diana", "Erik", "Frida", "Gustav", "Helga", "Isabel", "Jakob",
		"Katrin", "Lorenzo", "Marta", "Nils", "Oliver", "Petra", "Ruth", "Stefan", "Theo", "Ulrich",
		"Valentina", "Wolfgang", "Ida", "Moritz", "Nora", "Emil", "Frieda", "Henry", "Leni", "Matteo"}
	lastNames = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
		"Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
		"Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Smith",
		"Johnson", "Brown", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin",
		"Garcia", "Martinez", "Robinson", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
		"Lopez", "Hill", "Scott", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Rossi",
		"Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Dubois", "Moreau", "Laurent", "Lefebvre",
		"Nowak", "Kowalski", "Wiśniewski", "Jansen", "de Vries", "van Dijk", "Bakker", "Nielsen", "Hansen",
		"Johansson", "Larsson", "Yilmaz", "Kaya", "Demir", "Tanaka", "Suzuki", "Kim", "Lee", "Park",
		"Nguyen", "Tran", "Singh", "Patel", "Kumar", "Doe", "Ample", "Okafor", "Silva", "Santos", "Costa"}
	companyPrefixes = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
		"Nordwind", "Alpen", "Rhein", "Elbe", "Baltic", "Atlas", "Orion", "Vega", "Polar", "Sonnen", "Blau",
		"Grün", "Eichen", "Linden", "Falken", "Adler", "Berg", "Tal", "Stern", "Phoenix", "Titan", "Apex",
		"Summit", "Pioneer", "Keystone", "Meridian", "Horizon", "Cobalt", "Granite", "Silver", "Golden",
		"Crystal", "Harbor", "Riverside", "Lakeside", "Northfield", "Westend", "Eastgate", "Southbank",
		"Metro", "Urban", "Prime"}
	companyNouns = []string{"Logistics", "Industries", "Foods", "Engineering", "Motors", "Pharma", "Textiles",
		"Electronics", "Systems", "Solutions", "Tools", "Plastics", "Chemicals", "Construction", "Energy",
		"Retail", "Medical", "Office Supplies", "Hospitality", "Packaging", "Paper", "Steel", "Furniture",
		"Print", "Labs", "Trading", "Facility Services", "Automotive", "Aviation", "Marine"}
	companySuffixes = []string{"GmbH", "AG", "Ltd", "Inc.", "LLC", "SE", "KG", "& Co. KG", "B.V.", "S.A."}
	mailDomains     = []string{"mail.test", "post.test", "example.test", "inbox.test", "web.test", "online.test"}
	cities          = []string{"Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Vienna", "Zurich",
		"Paris", "Lyon", "Milan", "Madrid", "Amsterdam", "Copenhagen", "Stockholm", "Warsaw", "Prague", "London"}
)
