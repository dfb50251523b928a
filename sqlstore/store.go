// Package sqlstore is the one store of the service, over database/sql, for
// SQLite (modernc.org/sqlite, no cgo) and PostgreSQL (pgx). Queries are
// written once with ? placeholders; the dialect rebinds them, converts
// times and translates driver errors into domain errors, each in one place.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	lt "github.com/logintokens/logintokens"
)

//go:embed migrations
var migrations embed.FS

// Store keeps everything the service knows.
type Store struct {
	db   *sql.DB // writes (and reads inside write transactions)
	rdb  *sql.DB // reads; the same pool as db on PostgreSQL
	d    dialect
	keys *lt.Keyring
	lim  Limits

	// Now is the store's clock; tests replace it. Times are written from Go
	// in UTC so that both databases agree.
	Now func() time.Time

	// hot holds the statements of the redeem path prepared on SQLite's
	// writer, query → *sql.Stmt (see prepareHot).
	hot sync.Map
	// hotRead holds statements prepared on SQLite's reader pool
	// (readRow).
	hotRead sync.Map

	// ck copies SQLite's log into the database file (see checkpointer).
	ck *checkpointer
	// readers is the size of SQLite's reader pool.
	readers int

	// subs caches the webhooks' subscriptions (see subscribers).
	subs atomic.Pointer[webhookSubs]
	// outboxWake is signalled when a transaction that enqueued commits.
	outboxWake chan struct{}

	// group batches the write transactions of SQLite's one writer; nil on
	// PostgreSQL, whose writers commit side by side.
	group *groupCommit

	// fixedWalkBudget, when set, is the budget of every walk of the token
	// list's order that walkBudget decides to try (tests).
	fixedWalkBudget time.Duration
	// fewByFilterInstead, when set, stands for probeRows in
	// filterFindsFewerThanQ, for a q of more than qFew candidates (tests).
	fewByFilterInstead int
	// fixedCountBudget, when set, is countBudget's budget for every
	// count that is not a scan already, whatever the table's size (tests).
	fixedCountBudget time.Duration
	// fixedFilterCountBudget, when set, stands for filterCountBudget
	// (tests).
	fixedFilterCountBudget time.Duration
	// onePassRowsInstead, when set, stands for onePassRows in
	// sqliteSearchInOnePass (tests).
	onePassRowsInstead int
	// listFewInstead, when set, stands for listFew in filterFindsFew,
	// whatever the table's size (tests).
	listFewInstead int
}

// prepareHot prepares queries on the SQLite writer, once; write
// transactions then run them prepared (tx.exec, tx.queryRow). SQLite would
// otherwise parse and plan every statement of every redeem again, about a
// third of its work for one. PostgreSQL's driver keeps prepared statements
// per connection by itself. Call it outside a write transaction, which
// holds the writer's one connection that preparing needs.
func (s *Store) prepareHot(ctx context.Context, queries ...string) error {
	if s.d.cachesStatements() {
		return nil
	}
	for _, q := range queries {
		if _, ok := s.hot.Load(q); ok {
			continue
		}
		var st *sql.Stmt
		err := s.within(ctx, s.lim.Call, func(ctx context.Context) (err error) {
			st, err = s.db.PrepareContext(ctx, q)
			return s.d.translate(err)
		})
		if err != nil {
			return err
		}
		if _, raced := s.hot.LoadOrStore(q, st); raced {
			st.Close()
		}
	}
	return nil
}

// readRow runs q, one statement without a transaction, on the reader
// pool: on SQLite prepared once and then on each connection as it first
// runs it, where it would otherwise be parsed and planned at every call
// (the API key's lookup, on every API request). PostgreSQL's driver keeps
// prepared statements per connection by itself.
func (s *Store) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s.d.cachesStatements() {
		return s.rdb.QueryRowContext(ctx, s.d.rebind(q), s.d.args(args)...)
	}
	st, ok := s.hotRead.Load(q)
	if !ok {
		prepared, err := s.rdb.PrepareContext(ctx, s.d.rebind(q))
		if err != nil {
			// The unprepared query meets the same error, or succeeds
			// where preparing met a passing one.
			return s.rdb.QueryRowContext(ctx, s.d.rebind(q), s.d.args(args)...)
		}
		if st, ok = s.hotRead.LoadOrStore(q, prepared); ok {
			prepared.Close()
		}
	}
	return st.(*sql.Stmt).QueryRowContext(ctx, s.d.args(args)...)
}

// Kind names the database behind a URL: "sqlite" or "postgres".
func Kind(databaseURL string) (string, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return "sqlite", nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return "postgres", nil
	}
	return "", fmt.Errorf("database URL must start with sqlite: or postgres://")
}

// SQLitePath returns the file path of a sqlite: URL: sqlite:relative/path.db,
// sqlite:/abs/path.db or sqlite:///abs/path.db; query parameters are ignored.
func SQLitePath(databaseURL string) (string, error) {
	rest, ok := strings.CutPrefix(databaseURL, "sqlite:")
	if !ok {
		return "", fmt.Errorf("not a sqlite: URL")
	}
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
	}
	rest, _, _ = strings.Cut(rest, "?")
	if rest == "" || rest == ":memory:" {
		return "", fmt.Errorf("sqlite URL needs a file path, such as sqlite:logintokens-data/logintokens.db")
	}
	return rest, nil
}

// Limits bound how long the store waits for its database, so that a
// database that stops answering without refusing (a network that drops
// its packets, a proxy that accepts and never forwards) fails calls
// quickly instead of holding them, their connections and their callers
// until the operating system gives up on the connection. A call cut off
// by its bound fails UNAVAILABLE, like one the database refuses. A zero
// bound is none.
type Limits struct {
	// Call bounds one call of the store: a transaction from the wait for
	// a pooled connection to its commit, or a statement outside one. On
	// PostgreSQL it also bounds opening a connection, which the pool may
	// do with no call waiting (DefaultConnectTimeout when 0).
	Call time.Duration
	// Export bounds a call that streams every row a filter matches (an
	// export), which may legitimately run longer than Call.
	Export time.Duration
}

// DefaultConnectTimeout bounds opening a PostgreSQL connection when
// neither the URL (connect_timeout) nor Limits.Call does.
const DefaultConnectTimeout = 10 * time.Second

// keepAlive probes an idle PostgreSQL connection after 15 s of silence and
// drops it when 3 probes 5 s apart go unanswered: a pooled connection to a
// database whose host vanished fails within about 30 s (Go's defaults, 9
// probes 15 s apart, take about 2.5 minutes).
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// Open connects to the database named by databaseURL, without Limits.
// keys encrypts token values for reveal and signing keys; it may be nil
// for work that needs neither (migrate, staff, API keys), and what needs
// it then fails. It does not migrate: call Migrate, then CheckKeyring
// before sealing anything.
func Open(ctx context.Context, databaseURL string, keys *lt.Keyring) (*Store, error) {
	return OpenWithLimits(ctx, databaseURL, keys, Limits{})
}

// OpenWithLimits is Open with bounds on every wait for the database.
func OpenWithLimits(ctx context.Context, databaseURL string, keys *lt.Keyring, lim Limits) (*Store, error) {
	kind, err := Kind(databaseURL)
	if err != nil {
		return nil, err
	}
	s := &Store{keys: keys, Now: time.Now, lim: lim, outboxWake: make(chan struct{}, 1)}
	switch kind {
	case "sqlite":
		s.d = sqliteDialect{}
		path, err := SQLitePath(databaseURL)
		if err != nil {
			return nil, err
		}
		if err := createSQLiteFile(path); err != nil {
			return nil, err
		}
		// One writer connection: SQLite allows one writer at a time, and a
		// queue in Go is fairer and faster than busy-waiting in SQLite.
		// Readers run in parallel under WAL.
		s.db, err = sql.Open("sqlite", sqliteDSN(path, sqliteWriter))
		if err != nil {
			return nil, err
		}
		s.db.SetMaxOpenConns(1)
		s.startGroup()
		s.db.SetConnMaxIdleTime(0)
		s.rdb, err = sql.Open("sqlite", sqliteDSN(path, sqliteReader))
		if err != nil {
			s.db.Close()
			return nil, err
		}
		s.readers = max(4, runtime.NumCPU())
		s.rdb.SetMaxOpenConns(s.readers)
		s.rdb.SetMaxIdleConns(s.readers)
		// A reader loads the planner's statistics when it opens (see
		// refreshStatistics).
		s.rdb.SetConnMaxLifetime(statisticsEvery)
		if err := s.startCheckpointer(path); err != nil {
			s.Close()
			return nil, err
		}
	case "postgres":
		s.d = postgresDialect{}
		cfg, err := pgx.ParseConfig(databaseURL)
		if err != nil {
			return nil, err
		}
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = cmp.Or(lim.Call, DefaultConnectTimeout)
		}
		cfg.DialFunc = (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAliveConfig: keepAlive}).DialContext
		s.db = stdlib.OpenDB(*cfg)
		s.db.SetMaxOpenConns(32)
		s.db.SetMaxIdleConns(32)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
		s.rdb = s.db
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s: %w", kind, err)
	}
	return s, nil
}

// createSQLiteFile makes a new database's folder (0700) and its empty file
// (0600) before the driver opens it: the driver would create the file
// readable by everyone (0644 less the umask). SQLite gives the -wal and
// -shm files it makes later the database file's mode, so they are private
// too. An existing file is left as it is; an empty file is a new database
// to SQLite.
func createSQLiteFile(path string) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create database folder: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// The connections SQLite's store opens: the one writer, the readers, and
// the checkpointer.
type sqliteRole int

const (
	sqliteWriter sqliteRole = iota
	sqliteReader
	sqliteCheckpointer
)

func sqliteDSN(path string, role sqliteRole) string {
	v := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		v.Add("_pragma", p)
	}
	switch role {
	case sqliteReader:
		v.Add("_pragma", "query_only(1)")
	case sqliteWriter:
		v.Set("_txlock", "immediate")
		v.Add("_pragma", "wal_autocheckpoint("+writerCheckpointPages+")")
		// The list's plans need statistics (sqlite_stat1); a database that
		// grew by use has none until analyzed. optimize with 0x10002 on
		// open analyzes what needs it, cheaply (SQLite's advice).
		v.Add("_pragma", "optimize(0x10002)")
	}
	return "file:" + path + "?" + v.Encode()
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// DB is the underlying writer pool, for tests and tools that read raw rows.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks that the database answers, within the call bound.
func (s *Store) Ping(ctx context.Context) error {
	return s.within(ctx, s.lim.Call, func(ctx context.Context) error {
		if err := s.db.PingContext(ctx); err != nil {
			return err
		}
		if s.rdb != s.db {
			return s.rdb.PingContext(ctx)
		}
		return nil
	})
}

// errNoAnswer is the cause of a call cut off by its bound.
var errNoAnswer = errors.New("the database did not answer in time")

// within runs call with ctx bounded by d (unbounded when d is 0). A call
// the bound cut off fails UNAVAILABLE, with the cause for the log: to the
// caller a database that does not answer is one that is out of reach. A
// call cancelled by its caller, or out of the caller's own time, and an
// error the database gave in time stay what they are.
func (s *Store) within(ctx context.Context, d time.Duration, call func(context.Context) error) error {
	if d <= 0 {
		return call(ctx)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d, errNoAnswer)
	defer cancel()
	err := call(ctx)
	if err != nil && lt.ErrorCode(err) == lt.EINTERNAL && errors.Is(context.Cause(ctx), errNoAnswer) {
		return &unavailable{fmt.Errorf("%w within %s: %w", errNoAnswer, d, err)}
	}
	return err
}

// Close closes the pools.
func (s *Store) Close() error {
	s.closeGroup()
	ckErr := s.stopCheckpointer()
	for _, m := range []*sync.Map{&s.hot, &s.hotRead} {
		m.Range(func(q, st any) bool {
			m.Delete(q)
			st.(*sql.Stmt).Close()
			return true
		})
	}
	err := errors.Join(ckErr, s.db.Close())
	if s.rdb != nil && s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Migrate applies the embedded migrations that are not yet applied.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// migrations is the migration tool over the embedded migrations of the
// store's database.
func (s *Store) migrations() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+s.d.name())
	if err != nil {
		return nil, err
	}
	gd, opts, err := s.d.goose()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(gd, s.db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// tx wraps a transaction so that queries are written once with ?.
type tx struct {
	*sql.Tx
	d dialect
	// hot is the store's prepared statements, in write transactions.
	hot *sync.Map
	// ctx is the call's context, bounded by the store's Limits: every
	// statement of the transaction runs under it, whatever context its
	// caller hands over (the call's own, which the bound derives from).
	ctx context.Context
	// enqueued is set when the transaction wrote to the outbox.
	enqueued bool
}

func (t *tx) exec(_ context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.hotStmt(q); st != nil {
		return st.ExecContext(t.ctx, t.d.args(args)...)
	}
	return t.ExecContext(t.ctx, t.d.rebind(q), t.d.args(args)...)
}

// hotStmt returns q prepared for this transaction when prepareHot made it,
// else nil.
func (t *tx) hotStmt(q string) *sql.Stmt {
	if t.hot == nil {
		return nil
	}
	st, ok := t.hot.Load(q)
	if !ok {
		return nil
	}
	return t.StmtContext(t.ctx, st.(*sql.Stmt))
}

func (t *tx) query(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.QueryContext(t.ctx, t.d.rebind(q), t.d.args(args)...)
}

func (t *tx) queryRow(_ context.Context, q string, args ...any) *sql.Row {
	if st := t.hotStmt(q); st != nil {
		return st.QueryRowContext(t.ctx, t.d.args(args)...)
	}
	return t.QueryRowContext(t.ctx, t.d.rebind(q), t.d.args(args)...)
}

// write runs fn in a read-write transaction and commits it when fn returns
// nil. Driver errors leave it translated into domain errors.
func (s *Store) write(ctx context.Context, fn func(*tx) error) error {
	if s.group != nil {
		return s.writeGrouped(ctx, fn)
	}
	return s.inTx(ctx, s.db, false, s.lim.Call, fn)
}

// read runs fn in a read-only transaction on the reader pool.
func (s *Store) read(ctx context.Context, fn func(*tx) error) error {
	return s.inTx(ctx, s.rdb, true, s.lim.Call, fn)
}

// readExport is read for a call that streams every row a filter matches,
// under the export bound.
func (s *Store) readExport(ctx context.Context, fn func(*tx) error) error {
	return s.inTx(ctx, s.rdb, true, s.lim.Export, fn)
}

// writeEnded runs after each transaction of the writer: the dialect's
// step, and on SQLite word to the checkpointer that the log has grown.
func (s *Store) writeEnded() {
	if s.ck != nil {
		s.ck.wrote.Store(true)
	}
	s.d.writeEnded()
}

// inTx runs fn in a transaction on db, the whole of it (the wait for a
// connection included) within bound.
func (s *Store) inTx(ctx context.Context, db *sql.DB, readOnly bool, bound time.Duration, fn func(*tx) error) error {
	return s.within(ctx, bound, func(ctx context.Context) error {
		if db == s.db && !readOnly {
			defer s.writeEnded()
		}
		return s.txOn(ctx, db, readOnly, fn)
	})
}

// dbTime scans a time from either database: TIMESTAMPTZ arrives as
// time.Time, SQLite's TEXT as a string.
type dbTime struct{ t *time.Time }

func (d dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = v.UTC()
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

func (d dbTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("bad time %q in database: %w", s, err)
	}
	*d.t = t.UTC()
	return nil
}

// nullTime scans a nullable time into a *time.Time field.
type nullTime struct{ p **time.Time }

func (n nullTime) Scan(src any) error {
	if src == nil {
		*n.p = nil
		return nil
	}
	var t time.Time
	if err := (dbTime{&t}).Scan(src); err != nil {
		return err
	}
	*n.p = &t
	return nil
}

// optTime is a nullable time argument.
func optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}
