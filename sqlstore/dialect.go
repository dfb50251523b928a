package sqlstore

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
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
}

// sqliteTimeFormat is fixed-width so that text order is time order.
const sqliteTimeFormat = "2006-01-02T15:04:05.000000Z"

type sqliteDialect struct{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) rebind(q string) string { return q }

// lockRow is empty: SQLite write transactions start IMMEDIATE on the one
// writer connection, so they are serialized already.
func (sqliteDialect) lockRow() string { return "" }

func (sqliteDialect) args(in []any) []any {
	args := slices.Clone(in)
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC().Format(sqliteTimeFormat)
		}
	}
	return args
}

func (sqliteDialect) translate(err error) error {
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

func (postgresDialect) translate(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return &lt.Error{Code: lt.ECONFLICT, Message: "already exists"}
	case "23503": // foreign_key_violation
		return &lt.Error{Code: lt.ECONFLICT, Message: "it refers to a record that does not exist, or is referred to"}
	case "23514", "23502": // check_violation, not_null_violation
		return &lt.Error{Code: lt.EINVALID, Message: "a value breaks a rule of the database"}
	}
	return err
}
