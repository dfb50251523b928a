// Command sqliteraw measures the database's own limit for redeeming: the
// statements of one redeem transaction (sqlstore.Redeem: the token row with
// its user and the secret hash, the counter update, the audit insert), run
// straight on the database from C goroutines for D, with no HTTP, no API
// key check, no JSON and no signing around them. It prints transactions per
// second and latency percentiles, the SQLite counterpart of pgbench with
// bench/redeem.sql.
//
// It opens the database through sqlstore.Open, so it runs on the very pool
// the server writes with: on SQLite modernc.org/sqlite with WAL,
// synchronous NORMAL, busy_timeout 10 s, BEGIN IMMEDIATE and one writer
// connection that the goroutines queue for (the pragmas in force are
// printed), the statements prepared once as the server prepares them; on
// PostgreSQL pgx through database/sql with 32 connections, which compares
// the Go driver with pgbench.
//
//	go run ./bench/cmd/sqliteraw -database-url sqlite:/tmp/lt.db -values picked.txt -c 16 -d 15s
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// selectToken is sqlstore's tokenSelectWithHash (sqlstore/tokens.go) for
// one id, as Redeem runs it.
const selectToken = `SELECT t.id, t.type, t.expires_at, t.one_time_use, t.extra,
  t.successful_attempts, t.failed_attempts, t.last_accessed_at, t.created_at, t.updated_at, t.created_by,
  COALESCE(c.id, cu.id), COALESCE(c.first_name, cu.first_name), COALESCE(c.last_name, cu.last_name),
  COALESCE(c.email, cu.email), co.id, co.name,
  CASE WHEN COALESCE(c.disabled, cu.disabled) OR COALESCE(c.deleted_at, cu.deleted_at) IS NOT NULL THEN 0 ELSE 1 END,
  t.act, t.secret_hash
FROM login_tokens t
LEFT JOIN contacts c ON c.id = t.contact_id
LEFT JOIN companies co ON co.id = c.company_id
LEFT JOIN customers cu ON cu.id = t.customer_id WHERE t.id = ?`

const (
	updateToken = `UPDATE login_tokens SET successful_attempts = successful_attempts + 1, last_accessed_at = ? WHERE id = ?`
	insertAudit = `INSERT INTO audit_events (at, type, token_id, actor, client_ip, details) VALUES (?, ?, ?, ?, ?, ?)`
)

func main() {
	dbURL := flag.String("database-url", "", "sqlite:PATH (or postgres://..., to compare pgx with pgbench)")
	values := flag.String("values", "", "token values to redeem, one per line (bench/cmd/pickvalues)")
	conc := flag.Int("c", 16, "concurrent goroutines")
	dur := flag.Duration("d", 15*time.Second, "how long to run")
	hot := flag.Bool("hot", false, "redeem only the first value (one hot row)")
	prepare := flag.Bool("prepare", true, "prepare the statements once, as the server does on SQLite; false parses them on every call")
	flag.Parse()
	if *dbURL == "" || *values == "" || *conc < 1 || *dur <= 0 || *dur > 10*time.Minute {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dbURL, *values, *conc, *dur, *hot, *prepare); err != nil {
		fmt.Fprintln(os.Stderr, "sqliteraw:", err)
		os.Exit(1)
	}
}

func run(dbURL, valuesFile string, conc int, dur time.Duration, hot, prepare bool) error {
	ctx := context.Background()
	b, err := os.ReadFile(valuesFile)
	if err != nil {
		return err
	}
	var ids []string
	for _, v := range strings.Fields(string(b)) {
		id, _, err := lt.ParseValue(lt.TokenPrefix, v)
		if err != nil {
			return fmt.Errorf("%s: %w", valuesFile, err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return fmt.Errorf("%s: no values", valuesFile)
	}
	if hot {
		ids = ids[:1]
	}

	store, err := sqlstore.Open(ctx, dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	db := store.DB()
	pg := store.Dialect() == "postgres"
	sel, upd, ins := selectToken, updateToken, insertAudit
	if pg {
		sel, upd, ins = rebind(sel)+" FOR UPDATE OF t", rebind(upd), rebind(ins)
	} else {
		var mode string
		var synchronous, busy int
		for _, p := range []struct {
			q string
			v any
		}{{"PRAGMA journal_mode", &mode}, {"PRAGMA synchronous", &synchronous}, {"PRAGMA busy_timeout", &busy}} {
			if err := db.QueryRowContext(ctx, p.q).Scan(p.v); err != nil {
				return err
			}
		}
		fmt.Printf("sqlite: journal_mode=%s synchronous=%d busy_timeout=%d writer connections=%d\n",
			mode, synchronous, busy, db.Stats().MaxOpenConnections)
	}
	now := func() any {
		t := time.Now().UTC().Truncate(time.Microsecond)
		if pg {
			return t
		}
		return t.Format("2006-01-02T15:04:05.000000Z") // sqlstore's text times
	}

	var stmts [3]*sql.Stmt
	if prepare {
		for i, q := range []string{sel, upd, ins} {
			if stmts[i], err = db.PrepareContext(ctx, q); err != nil {
				return err
			}
			defer stmts[i].Close()
		}
	}
	redeem := func(id string) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		dest := make([]any, 20)
		for i := range dest {
			dest[i] = new(any)
		}
		at := now()
		var row *sql.Row
		if prepare {
			row = tx.StmtContext(ctx, stmts[0]).QueryRowContext(ctx, id)
		} else {
			row = tx.QueryRowContext(ctx, sel, id)
		}
		if err := row.Scan(dest...); err != nil {
			return fmt.Errorf("select: %w", err)
		}
		if prepare {
			_, err = tx.StmtContext(ctx, stmts[1]).ExecContext(ctx, at, id)
		} else {
			_, err = tx.ExecContext(ctx, upd, at, id)
		}
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		auditArgs := []any{at, lt.EventTokenRedeemed, id, "apikey:bench", "127.0.0.1", "{}"}
		if prepare {
			_, err = tx.StmtContext(ctx, stmts[2]).ExecContext(ctx, auditArgs...)
		} else {
			_, err = tx.ExecContext(ctx, ins, auditArgs...)
		}
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return tx.Commit()
	}

	var (
		mu      sync.Mutex
		lats    []time.Duration
		errs    int
		lastErr error
		wg      sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(dur)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			myErrs := 0
			var myErr error
			i := w * 7919
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := redeem(ids[i%len(ids)]); err != nil {
					myErrs++
					myErr = err
				} else {
					mine = append(mine, time.Since(t0))
				}
				i += 104729 // a prime stride: every goroutine walks all ids
			}
			mu.Lock()
			lats = append(lats, mine...)
			errs += myErrs
			if myErr != nil {
				lastErr = myErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lats)
	pct := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return float64(lats[min(len(lats)-1, int(p*float64(len(lats))))].Microseconds()) / 1000
	}
	if !prepare {
		fmt.Println("statements parsed on every call (-prepare=false)")
	}
	fmt.Printf("raw %s c=%d ids=%d: %d tx in %.1fs, %.0f tx/s, p50 %.2f ms, p99 %.2f ms, errors %d\n",
		store.Dialect(), conc, len(ids), len(lats), elapsed.Seconds(), float64(len(lats))/elapsed.Seconds(), pct(0.50), pct(0.99), errs)
	if lastErr != nil {
		fmt.Fprintln(os.Stderr, "last error:", lastErr)
	}
	return nil
}

// rebind turns ? into $1, $2, ... for PostgreSQL.
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
