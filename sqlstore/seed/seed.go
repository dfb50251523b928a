// Package seed fills a database with realistic sample data fast, for
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
// first, and the planner statistics are refreshed at the end. On SQLite the
// foreign keys of the new rows are checked once, after the load, rather
// than row by row (see loadSQLite), and the load, when it has the
// database alone, writes a rollback journal rather than the write-ahead
// log (see rollbackJournal).
package seed

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// Options says how much sample data Run makes.
type Options struct {
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

func (o *Options) defaults() error {
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

// Result counts what Run made and how long each step took.
type Result struct {
	Companies, Contacts, Customers, Tokens int

	Directory  time.Duration // companies, contacts and customers
	LoadTokens time.Duration // making and inserting the tokens
	Indexes    time.Duration // building the indexes (and the text index)
	Analyze    time.Duration // planner statistics (and VACUUM on PostgreSQL)
	Total      time.Duration
	// Journal is the journal SQLite's load wrote: "truncate" when the
	// database was the seed's alone, "wal" (slower) when another
	// connection had it open, the database's own when it was not in its
	// write-ahead log; "" on PostgreSQL.
	Journal string
}

// loaders load the sample into each database, by the name the store
// gives it (Store.Dialect).
var loaders = map[string]func(*seeder, context.Context) error{
	"sqlite":   (*seeder).loadSQLite,
	"postgres": (*seeder).loadPostgres,
}

// Run adds sample data to the store's database. It needs the server key,
// as creating a token does.
func Run(ctx context.Context, s *sqlstore.Store, o Options) (*Result, error) {
	secrets, err := s.TokenSecrets()
	if err != nil {
		return nil, err
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	load, ok := loaders[s.Dialect()]
	if !ok {
		return nil, fmt.Errorf("seed: no loader for %s", s.Dialect())
	}
	start := time.Now()
	sd := &seeder{s: s, o: o, secrets: secrets, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), res: &Result{},
		// As the store writes times: UTC, to the microsecond.
		now: s.Now().UTC().Truncate(time.Microsecond)}
	if o.Values != nil {
		sd.values = bufio.NewWriterSize(o.Values, 1<<20)
	}
	if err := load(sd, ctx); err != nil {
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
	s       *sqlstore.Store
	o       Options
	secrets func(id string) (value string, hash []byte, keyID string, sealed []byte)
	now     time.Time
	rng     *rand.Rand
	res     *Result
	values  *bufio.Writer

	companies []company
	contacts  []user
	customers []user
}

func (sd *seeder) step(name string, d *time.Duration, since time.Time) {
	*d = time.Since(since)
	if sd.o.Progress != nil {
		sd.o.Progress(name, *d)
	}
}

// loadTx is the seed's transaction on one database.
type loadTx interface {
	querier
	// dropIndexes drops the secondary indexes of login_tokens (and what
	// keeps its text index in sync; on PostgreSQL its keys too), and of
	// the directory's tables where that pays, and answers the SQL that
	// makes them.
	dropIndexes(ctx context.Context) (ddl []string, err error)
	// insertTokens makes the tokens and inserts them.
	insertTokens(ctx context.Context, sd *seeder) error
	// makeIndexes runs ddl and builds whatever else the indexes need.
	makeIndexes(ctx context.Context, ddl []string) error
}

// fill adds the directory and the tokens in tx, without the indexes that
// dropIndexes drops while the rows go in.
func (sd *seeder) fill(ctx context.Context, tx loadTx) error {
	ddl, err := tx.dropIndexes(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := sd.directory(ctx, tx); err != nil {
		return err
	}
	sd.step("companies, contacts and customers", &sd.res.Directory, t0)
	t0 = time.Now()
	if err := tx.insertTokens(ctx, sd); err != nil {
		return err
	}
	sd.step("tokens", &sd.res.LoadTokens, t0)
	t0 = time.Now()
	if err := tx.makeIndexes(ctx, ddl); err != nil {
		return err
	}
	sd.step("indexes", &sd.res.Indexes, t0)
	return nil
}
