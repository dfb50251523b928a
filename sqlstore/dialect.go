package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	lt "github.com/logintokens/logintokens"
)

// dialect holds every difference between the two databases.
type dialect interface {
	name() string
	// rebind turns ? placeholders into the database's own.
	rebind(q string) string
	// args converts Go values into what the database stores.
	args(args []any) []any
	// translate turns a driver error into a domain error, by error code.
	translate(err error) error
	// lockRow is appended to a SELECT of one login token row that the
	// transaction will update.
	lockRow() string
	// skipLocked is appended to the SELECT of outbox rows a worker claims,
	// so that workers claim disjoint rows without waiting for each other.
	skipLocked() string
	// shareLock is appended to a SELECT of a row that a write of the same
	// transaction refers to, so that no other transaction deletes it
	// before this one commits (SQLite writes one transaction at a time).
	shareLock() string
	// txOptions are the options of a read-write or a read-only transaction.
	txOptions(readOnly bool) *sql.TxOptions
	// writeEnded runs after each write transaction of the writer pool.
	writeEnded()
	// cachesStatements reports whether the driver keeps prepared
	// statements per connection by itself (see Store.prepareHot).
	cachesStatements() bool
	// goose is the migration tool's dialect and options.
	goose() (goose.Dialect, []goose.ProviderOption, error)
	// countsInOneStatement reports whether a redeem's success is counted
	// and audited by one statement outside a transaction when it can be
	// (Store.redeemAtOnce): worth it where each statement is a round trip.
	countsInOneStatement() bool
	// choosesListPlan reports whether the token list tells the planner
	// its way to a filtered page: a search in one pass
	// (sqliteSearchInOnePass) or through the index of the filter that
	// finds fewest (filterFindsFewerThanQ), and a walk of the order with every other column
	// kept off its index (listPlan's walkCol).
	choosesListPlan() bool
	// tableRows is a query for about the rows of table, read cheaply (see
	// walkBudget).
	tableRows(table string) string
	// withinBudget runs fn, the statements of a read, in tx with at most
	// budget for them: over reports that they ran out of it, and tx is
	// then as before fn, ready for the next statement.
	withinBudget(tx *tx, budget time.Duration, fn func(*tx) error) (over bool, err error)
	// unindexed is the sort key expr written so that the planner finds no
	// index for it: it then sorts the rows the filters find.
	unindexed(expr string) string
	// sortsAll reports whether line, of the plan that EXPLAIN (SQLite:
	// EXPLAIN QUERY PLAN) gives a page's query, sorts the rows found in the
	// page's order: the planner sorts them rather than read an index in
	// that order. A sort within groups of an index's order (SQLite's "LAST
	// TERM OF ORDER BY", PostgreSQL's Incremental Sort) is a walk.
	sortsAll(line string) bool
	// expiresKey is expires_at, as col names it, with "never" as the
	// latest time: the key of the unused tokens' expiry index.
	expiresKey(col string) string
	// boundToNetworks is the condition that a token is bound to client
	// networks, which the partial index of migration 00023 holds.
	boundToNetworks(col func(string) string) string
	// notEqual is the condition col differs from the next argument (two
	// arguments where it is written as two ranges).
	notEqual(col string) (cond string, args int)
	// matchText is the condition that the list's q matches a token, and
	// its arguments; col names a column as the query must. byLike asks
	// for the LIKE alone, without a text index (SQLite, see
	// filterFindsFewerThanQ).
	matchText(col func(string) string, q string, byLike bool) (string, []any)
	// utcDay is the UTC day of the time column col, as YYYY-MM-DD text.
	utcDay(col string) string
}

// sqliteTimeFormat is fixed-width so that text order is time order.
const sqliteTimeFormat = "2006-01-02T15:04:05.000000Z"

type sqliteDialect struct{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) rebind(q string) string { return q }

// lockRow is empty: SQLite write transactions start IMMEDIATE on the one
// writer connection, so they are serialized already.
func (sqliteDialect) lockRow() string { return "" }

// skipLocked is empty: the one writer serializes claims.
func (sqliteDialect) skipLocked() string { return "" }
func (sqliteDialect) shareLock() string  { return "" }

// txOptions are none: the readers' pool is read-only itself (query_only).
func (sqliteDialect) txOptions(bool) *sql.TxOptions { return nil }

// writeEnded yields. Ending the transaction hands SQLite's one writer
// connection to the next goroutine waiting for it, which the runtime
// queues to run on this P only once this goroutine blocks: after a redeem
// has signed its assertion and written its response, a tenth of a
// millisecond in which the writer would sit idle. Yielding lets it work on
// at once (a quarter more redeems per second on two cores; BENCHMARKS.md).
func (sqliteDialect) writeEnded() { runtime.Gosched() }

// cachesStatements is false: SQLite would parse and plan every statement
// of every redeem again, about a third of its work for one.
func (sqliteDialect) cachesStatements() bool { return false }

func (sqliteDialect) goose() (goose.Dialect, []goose.ProviderOption, error) {
	return goose.DialectSQLite3, nil, nil
}

// choosesListPlan is true: SQLite's planner knows neither how values
// spread nor that a LIMIT ends a walk of an index early.
func (sqliteDialect) choosesListPlan() bool { return true }

func (sqliteDialect) countsInOneStatement() bool { return false }

// tableRows on SQLite is the highest rowid: rowids only grow.
func (sqliteDialect) tableRows(table string) string {
	return `SELECT COALESCE(MAX(rowid), 0) FROM ` + table
}

// withinBudget on SQLite runs fn under a context with the budget's
// deadline, which interrupts its statement; the transaction goes on.
func (sqliteDialect) withinBudget(t *tx, budget time.Duration, fn func(*tx) error) (bool, error) {
	ctx, cancel := context.WithTimeout(t.ctx, budget)
	defer cancel()
	bounded := *t
	bounded.ctx = ctx
	err := fn(&bounded)
	if err == nil || t.ctx.Err() != nil || ctx.Err() == nil {
		return false, err
	}
	return true, nil
}

// unindexed on SQLite is +expr, which SQLite reads as "no index".
func (sqliteDialect) unindexed(expr string) string { return "+" + expr }

func (sqliteDialect) sortsAll(line string) bool { return line == "USE TEMP B-TREE FOR ORDER BY" }

func (sqliteDialect) args(in []any) []any {
	args := slices.Clone(in)
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC().Format(sqliteTimeFormat)
		}
	}
	return args
}

// unavailable is a driver error that means the database cannot be
// reached now: lt.EUNAVAILABLE for callers, with the cause for the log.
type unavailable struct{ cause error }

// errUnavailable is what callers learn of an outage: nothing of its cause.
var errUnavailable = &lt.Error{Code: lt.EUNAVAILABLE, Message: "the service is briefly unavailable"}

func (e *unavailable) Error() string   { return "database unavailable: " + e.cause.Error() }
func (e *unavailable) Unwrap() []error { return []error{errUnavailable, e.cause} }

// connectionLost reports whether err says the connection to the database
// failed or is gone, rather than that a statement failed: a connection
// refused, reset or cut (any network error), a connection database/sql
// found bad or done, or a pool that is closed. Either driver. A request
// cancelled or out of time is not an outage, even where the driver cut
// its connection to stop it.
func connectionLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "sql: database is closed")
}

// translated reports whether err needs no translation: nil, or a domain
// error already (translate may see an error twice on its way out).
func translated(err error) bool {
	var e *lt.Error
	return err == nil || errors.As(err, &e)
}

// translate turns SQLite's errors into domain errors. SQLITE_BUSY after the
// busy timeout is not an outage but contention, and stays an internal error.
func (sqliteDialect) translate(err error) error {
	if translated(err) {
		return err
	}
	if connectionLost(err) {
		return &unavailable{err}
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &lt.Error{Code: lt.ECONFLICT, Message: "already exists"}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &lt.Error{Code: lt.ECONFLICT, Message: "it refers to a record that does not exist, or is referred to"}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return &lt.Error{Code: lt.EINVALID, Message: "a value breaks a rule of the database"}
	}
	return err
}

type postgresDialect struct{}

func (postgresDialect) name() string    { return "postgres" }
func (postgresDialect) lockRow() string { return " FOR UPDATE OF t" }

func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }
func (postgresDialect) shareLock() string  { return " FOR SHARE" }

// txOptions makes a read one snapshot, REPEATABLE READ, as a read on
// SQLite is: a list's count and its page are two statements, and at READ
// COMMITTED a token created between them would be on a page whose total
// leaves it out. A transaction that only reads never fails to serialize
// there, and takes its snapshot at its first statement, as READ
// COMMITTED takes each statement's.
func (postgresDialect) txOptions(readOnly bool) *sql.TxOptions {
	if readOnly {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return nil
}

func (postgresDialect) writeEnded()                {}
func (postgresDialect) cachesStatements() bool     { return true }
func (postgresDialect) choosesListPlan() bool      { return false }
func (postgresDialect) countsInOneStatement() bool { return true }

// tableRows on PostgreSQL is the planner's own estimate, which VACUUM,
// ANALYZE and CREATE INDEX keep (-1, taken as 0, before the first).
func (postgresDialect) tableRows(table string) string {
	return `SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = '` + table + `'::regclass`
}

// withinBudget on PostgreSQL bounds fn's statements with a
// statement_timeout in a savepoint. Cancelling a statement by its context
// would close the connection (pgx), and a statement that fails aborts the
// transaction: rolling back to the savepoint undoes both the failure and
// the timeout, and a read loses nothing by it.
func (postgresDialect) withinBudget(t *tx, budget time.Duration, fn func(*tx) error) (bool, error) {
	ms := max(1, (budget+time.Millisecond-1)/time.Millisecond)
	if err := t.run(t.ctx, `SAVEPOINT budget; SET LOCAL statement_timeout = `+strconv.FormatInt(int64(ms), 10)); err != nil {
		return false, err
	}
	err := fn(t)
	if t.ctx.Err() != nil {
		return false, err
	}
	if rbErr := t.run(t.ctx, `ROLLBACK TO SAVEPOINT budget; RELEASE SAVEPOINT budget`); rbErr != nil {
		return false, errors.Join(err, rbErr)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "57014" { // query_canceled: the timeout
		return true, nil
	}
	return false, err
}

// unindexed on PostgreSQL is an expression equal to expr, NULL where it
// is, which no index has.
func (postgresDialect) unindexed(expr string) string { return "COALESCE(" + expr + ", " + expr + ")" }

// sortsAll on PostgreSQL: a Sort node, shown as "Sort  (cost=...", below
// another as "->  Sort  (cost=...", and as "Sort" alone without costs.
func (postgresDialect) sortsAll(line string) bool {
	node := strings.TrimLeft(line, " ->")
	return node == "Sort" || strings.HasPrefix(node, "Sort  (")
}

// goose takes a session lock: several instances may start at once, one
// migrates and the others wait.
func (postgresDialect) goose() (goose.Dialect, []goose.ProviderOption, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return "", nil, err
	}
	return goose.DialectPostgres, []goose.ProviderOption{goose.WithSessionLocker(locker)}, nil
}

func (postgresDialect) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inString := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inString = !inString
			b.WriteByte(c)
		case c == '?' && !inString:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (postgresDialect) args(in []any) []any {
	args := slices.Clone(in)
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC()
		}
	}
	return args
}

// translate turns PostgreSQL's errors into domain errors: an outage
// (connectionLost, a failed connect, a connection exception of class 08,
// a server shutting down, crashed or starting up: 57P01, 57P02, 57P03) is
// UNAVAILABLE; text the database cannot store (NUL, invalid UTF-8:
// 22021, 22P05) is INVALID_INPUT, should a request's text get this far.
func (postgresDialect) translate(err error) error {
	if translated(err) {
		return err
	}
	var ce *pgconn.ConnectError
	if connectionLost(err) || errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) {
		return &unavailable{err}
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	if strings.HasPrefix(pe.Code, "08") {
		return &unavailable{err}
	}
	switch pe.Code {
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return &unavailable{err}
	case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
		return &lt.Error{Code: lt.EINVALID, Message: "a value holds a character the database cannot store, such as NUL"}
	case "23505": // unique_violation
		return &lt.Error{Code: lt.ECONFLICT, Message: "already exists"}
	case "23503": // foreign_key_violation
		return &lt.Error{Code: lt.ECONFLICT, Message: "it refers to a record that does not exist, or is referred to"}
	case "23514", "23502": // check_violation, not_null_violation
		return &lt.Error{Code: lt.EINVALID, Message: "a value breaks a rule of the database"}
	}
	return err
}
