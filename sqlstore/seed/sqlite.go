package seed

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// loadSQLite loads the sample on the store's one writer connection.
func (sd *seeder) loadSQLite(ctx context.Context) error {
	// The store's other connections, idle, would keep the database in its
	// write-ahead log (rollbackJournal).
	sd.s.CloseIdleConns()
	conn, err := sd.s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The connection is the store's one writer: each setting is set back
	// as it was when the seed ends, whatever happened, or the connection
	// is closed rather than handed back to the store with it.
	restore, journal, err := rollbackJournal(ctx, conn)
	if err != nil {
		return err
	}
	defer restore()
	sd.res.Journal = journal
	for _, p := range []struct{ name, value string }{
		// A big page cache keeps the random id index in memory while the
		// tokens go in (makeIndexes shrinks it for the index sorts).
		{"cache_size", loadCacheSize},
		// A sort that outgrows its memory (cache_size) is written out in
		// parts that helper threads sort at once on the other cores.
		{"threads", strconv.Itoa(runtime.NumCPU())},
		// The foreign keys of the new rows are checked once, after the load
		// (checkForeignKeys): checked row by row, they make each multi-row
		// INSERT keep a statement journal, a copy of every page it changes
		// (one page of the random id index per row), to undo itself alone.
		{"foreign_keys", "OFF"},
	} {
		restore, err := setPragma(ctx, conn, p.name, p.value)
		if err != nil {
			return err
		}
		defer restore()
	}

	// The transaction ends here, by Commit or the deferred Rollback, before
	// the settings are set back: one begun with ctx would be rolled back by
	// database/sql on another goroutine when ctx ends, perhaps after a
	// setting was set back inside it, where foreign_keys is a no-op.
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := sd.fill(ctx, sqliteTx{sqlQuerier{sd.s, tx}}); err != nil {
		return err
	}
	t0 := time.Now()
	// Full statistics: a sample (analysis_limit) misjudges the columns of
	// few values, such as type, by a factor of 300, and the planner then
	// counts "type=contact&status=active" row by row.
	if _, err := tx.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Fold the write-ahead log, if the load stayed in it, into the
	// database now rather than on the first requests.
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	sd.step("analyze", &sd.res.Analyze, t0)
	return nil
}

// The page cache of the load, and of the index builds. A sort keeps as
// much in memory as cache_size allows before it writes a sorted part out:
// in parts of two megabytes, which fit the CPU's caches and which the
// helper threads sort while this thread reads on, a million tokens'
// b-tree indexes build in about three quarters of the time they take
// sorted whole in memory. Their table does not fit the big cache either,
// so a small one costs the table scans nothing.
const (
	loadCacheSize  = "-262144" // KiB
	indexCacheSize = "-2048"
)

// rollbackJournal takes the database out of its write-ahead log for the
// load when no other connection has it open, and answers what puts it
// back, and the journal the load writes ("truncate" or "wal"). A load of
// a million tokens writes a gigabyte of pages: in the log, each index
// build reads the table back from the log's frames and the commit is
// followed by copying the whole log into the database, about a fifth of
// the seed's time; with a rollback journal the pages go to the database
// file at once, and a new database's journal holds next to nothing. The
// change needs the database alone; when another connection (a running
// server, a shell) has it open, the load stays in the log, at once rather
// than after the busy timeout (leaving the log does not wait). Rolled
// back, the load leaves the database as it was in either journal, and as
// safely: synchronous is FULL, as a rollback journal needs, while the load
// runs. A database not in its log to begin with is loaded in its own
// journal.
//
// While the load runs, a connection that opens on the database (the
// store's readers and checkpointer set the log when they open) waits for
// the busy timeout and fails: a seed is not for a database in use.
func rollbackJournal(ctx context.Context, conn *sql.Conn) (restore func(), journal string, err error) {
	var mode string
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return nil, "", err
	}
	if mode != "wal" {
		return func() {}, mode, nil
	}
	err = conn.QueryRowContext(ctx, `PRAGMA journal_mode = TRUNCATE`).Scan(&mode)
	if busy(err) || (err == nil && mode != "truncate") {
		// Another connection has the database open.
		return func() {}, "wal", nil
	}
	if err != nil {
		return nil, "", err
	}
	sync, err := setPragma(ctx, conn, "synchronous", "FULL")
	if err != nil {
		backToWAL(ctx, conn)
		return nil, "", err
	}
	return func() {
		sync()
		backToWAL(ctx, conn)
	}, mode, nil
}

// backToWAL puts the database back in its write-ahead log, or else closes
// the connection: the store's writer opens in the log (sqliteDSN).
func backToWAL(ctx context.Context, conn *sql.Conn) {
	var mode string
	err := conn.QueryRowContext(context.WithoutCancel(ctx), `PRAGMA journal_mode = WAL`).Scan(&mode)
	if err != nil || mode != "wal" {
		badConn(conn)
	}
}

// busy reports whether err is SQLite's SQLITE_BUSY (or one of its
// extended codes): another connection holds a lock.
func busy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// badConn has the pool close conn rather than take it back.
func badConn(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
}

// setPragma sets a setting of the connection, outside a transaction, and
// answers what sets it back as it was, or else closes the connection.
func setPragma(ctx context.Context, conn *sql.Conn, name, value string) (restore func(), err error) {
	var was string
	if err := conn.QueryRowContext(ctx, `PRAGMA `+name).Scan(&was); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA `+name+` = `+value); err != nil {
		return nil, err
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA `+name+` = `+was); err != nil {
			badConn(conn)
		}
	}, nil
}

// sqliteTx is the seed's transaction on SQLite.
type sqliteTx struct{ sqlQuerier }

// dropIndexes drops the indexes and the triggers of login_tokens.
func (t sqliteTx) dropIndexes(ctx context.Context) (ddl []string, err error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_master
		WHERE tbl_name = 'login_tokens' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name`)
	if err != nil {
		return nil, err
	}
	var drops []string
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		drops = append(drops, `DROP `+strings.ToUpper(typ)+` "`+name+`"`)
		ddl = append(ddl, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, q := range drops {
		if _, err := t.tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", q, err)
		}
	}
	return ddl, nil
}

// insertTokens inserts the tokens by multi-row INSERTs. OR FAIL: a row
// that breaks a constraint ends its statement without undoing the rows
// before it, so that the statement, too, keeps no journal to undo itself
// alone; the error then rolls back the seed's whole transaction.
func (t sqliteTx) insertTokens(ctx context.Context, sd *seeder) error {
	const perStmt = 500 // 19 columns: 9,500 parameters, under SQLite's 32,766
	stmts := map[int]*sql.Stmt{}
	stmt := func(n int) (*sql.Stmt, error) {
		if st, ok := stmts[n]; ok {
			return st, nil
		}
		row := `(` + strings.TrimSuffix(strings.Repeat(`?, `, len(tokenColumns)), `, `) + `)`
		st, err := t.tx.PrepareContext(ctx, `INSERT OR FAIL INTO login_tokens (`+strings.Join(tokenColumns, `, `)+`) VALUES `+
			strings.TrimSuffix(strings.Repeat(row+`, `, n), `, `))
		if err != nil {
			return nil, err
		}
		stmts[n] = st
		return st, nil
	}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	err := sd.tokens(ctx, func(b *tokenBatch) error {
		for lo := 0; lo < len(b.tokens); lo += perStmt {
			n := min(perStmt, len(b.tokens)-lo)
			st, err := stmt(n)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, b.rows[lo*len(tokenColumns):(lo+n)*len(tokenColumns)]...); err != nil {
				return fmt.Errorf("insert tokens: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return t.checkForeignKeys(ctx)
}

// checkForeignKeys checks the foreign keys of the tables the seed fills,
// which it loads with foreign_keys off.
func (t sqliteTx) checkForeignKeys(ctx context.Context) error {
	for _, table := range []string{"companies", "contacts", "customers", "login_tokens"} {
		var parent string
		var rowid sql.NullInt64
		err := t.tx.QueryRowContext(ctx, `SELECT parent, rowid FROM pragma_foreign_key_check(?) LIMIT 1`, table).Scan(&parent, &rowid)
		switch {
		case err == nil:
			return fmt.Errorf("seed: row %d of %s refers to no row of %s", rowid.Int64, table, parent)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	return nil
}

// makeIndexes makes the indexes and triggers again, then the text index,
// which reads every row once; its triggers are back, so new tokens keep it
// current from here on.
func (t sqliteTx) makeIndexes(ctx context.Context, ddl []string) error {
	if _, err := t.tx.ExecContext(ctx, `PRAGMA cache_size = `+indexCacheSize); err != nil {
		return err
	}
	for _, q := range ddl {
		if _, err := t.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: rebuild %q: %w", firstLine(q), err)
		}
	}
	// The text index's rebuild (which merges its segments) and ANALYZE
	// are no faster with the small cache: the big one again.
	if _, err := t.tx.ExecContext(ctx, `PRAGMA cache_size = `+loadCacheSize); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO login_tokens_fts (login_tokens_fts) VALUES ('rebuild')`); err != nil {
		return fmt.Errorf("seed: rebuild the text index: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
