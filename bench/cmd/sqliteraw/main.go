// Command sqliteraw measures the database's own limit for redeeming: the
// statements of one redeem transaction (sqlstore.Redeem: the token row with
// its user and the secret hash, the counter update, the audit insert), run
// straight on the database from C goroutines for D, with no HTTP, no API
// key check, no JSON and no signing around them. It prints transactions per
// second and latency percentiles, the SQLite counterpart of pgbench with
// bench/redeem.sql. With -bare it runs only the counter update, one
// statement in a transaction of its own (pgbench with bench/update.sql):
// the bare limit a redeem over HTTP is compared with.
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
const selectToken = `SELECT t.id, t.type, t.expires_at, t.max_uses, t.networks, t.extra,
  t.successful_attempts, t.failed_attempts, t.last_accessed_at, t.created_at, t.updated_at, t.created_by,
  COALESCE(c.id, cu.id), COALESCE(c.first_name, cu.first_name), COALESCE(c.last_name, cu.last_name),
  COALESCE(c.email, cu.email), co.id, co.name,
  CASE WHEN COALESCE(c.disabled, cu.disabled) OR COALESCE(c.deleted_at, cu.deleted_at) IS NOT NULL THEN 0 ELSE 1 END,
  t.act, t.shop_id, t.secret_hash
FROM login_tokens t
LEFT JOIN contacts c ON c.id = t.contact_id
LEFT JOIN companies co ON co.id = c.company_id
LEFT JOIN customers cu ON cu.id = t.customer_id WHERE t.id = ?`

const (
	updateToken = `UPDATE login_tokens SET successful_attempts = successful_attempts + 1, last_accessed_at = ?
  WHERE id = ? AND (max_uses IS NULL OR successful_attempts < max_uses)`
	insertAudit = `INSERT INTO audit_events (at, type, token_id, actor, client_ip, details) VALUES (?, ?, ?, ?, ?, ?)`
)

func main() {
	dbURL := flag.String("database-url", "", "sqlite:PATH (or postgres://..., to compare pgx with pgbench)")
	values := flag.String("values", "", "token values to redeem, one per line (bench/cmd/pickvalues)")
	conc := flag.Int("c", 16, "concurrent goroutines")
	dur := flag.Duration("d", 15*time.Second, "how long to run")
	hot := flag.Bool("hot", false, "redeem only the first value (one hot row)")
	prepare := flag.Bool("prepare", true, "prepare the statements once, as the server does on SQLite; false parses them on every call")
	bare := flag.Bool("bare", false, "run only the counter update, one statement in its own transaction (the bare limit a redeem is compared with)")
	flag.Parse()
	if *dbURL == "" || *values == "" || *conc < 1 || *dur <= 0 || *dur > 10*time.Minute {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dbURL, *values, *conc, *dur, *hot, *prepare, *bare); err != nil {
		fmt.Fprintln(os.Stderr, "sqliteraw:", err)
		os.Exit(1)
	}
}

func run(dbURL, valuesFile string, conc int, dur time.Duration, hot, prepare, bare bool) error {
	ctx := context.Background()
	ids, err := readIDs(valuesFile, hot)
	if err != nil {
		return err
	}
	store, err := sqlstore.Open(ctx, dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := newRedeemer(ctx, store, prepare)
	if err != nil {
		return err
	}
	defer r.Close()
	r.bare = bare
	res := load(ctx, r, ids, conc, dur)
	if !prepare {
		fmt.Println("statements parsed on every call (-prepare=false)")
	}
	if bare {
		fmt.Println("bare: one single-statement update per transaction (-bare)")
	}
	res.print(store.Dialect(), conc, len(ids))
	return nil
}

// readIDs returns the ids of the token values in the file; with hot only
// the first.
func readIDs(valuesFile string, hot bool) ([]string, error) {
	b, err := os.ReadFile(valuesFile)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range strings.Fields(string(b)) {
		id, _, err := lt.ParseValue(lt.TokenPrefix, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", valuesFile, err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: no values", valuesFile)
	}
	if hot {
		ids = ids[:1]
	}
	return ids, nil
}

// The statements of one redeem transaction, in their order.
const (
	stSelect = iota
	stUpdate
	stAudit
)

// redeemer runs the statements of one redeem transaction, prepared once or
// parsed on every call.
type redeemer struct {
	db      *sql.DB
	pg      bool
	queries [3]string
	stmts   [3]*sql.Stmt // nil when parsed on every call
	bare    bool         // only the update, autocommitted
}

// newRedeemer writes the statements for the store's database; on SQLite it
// prints the pragmas in force.
func newRedeemer(ctx context.Context, store *sqlstore.Store, prepare bool) (*redeemer, error) {
	r := &redeemer{db: store.DB(), pg: store.Dialect() == "postgres", queries: [3]string{selectToken, updateToken, insertAudit}}
	if r.pg {
		r.queries = [3]string{rebind(selectToken) + " FOR UPDATE OF t", rebind(updateToken), rebind(insertAudit)}
	} else if err := printPragmas(ctx, r.db); err != nil {
		return nil, err
	}
	if prepare {
		for i, q := range r.queries {
			s, err := r.db.PrepareContext(ctx, q)
			if err != nil {
				r.Close()
				return nil, err
			}
			r.stmts[i] = s
		}
	}
	return r, nil
}

func printPragmas(ctx context.Context, db *sql.DB) error {
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
	return nil
}

func (r *redeemer) Close() {
	for _, s := range r.stmts {
		if s != nil {
			s.Close()
		}
	}
}

// now is the current time as sqlstore writes it.
func (r *redeemer) now() any {
	t := time.Now().UTC().Truncate(time.Microsecond)
	if r.pg {
		return t
	}
	return t.Format("2006-01-02T15:04:05.000000Z") // sqlstore's text times
}

func (r *redeemer) queryRow(ctx context.Context, tx *sql.Tx, st int, args ...any) *sql.Row {
	if r.stmts[st] != nil {
		return tx.StmtContext(ctx, r.stmts[st]).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, r.queries[st], args...)
}

func (r *redeemer) exec(ctx context.Context, tx *sql.Tx, st int, args ...any) error {
	var err error
	if r.stmts[st] != nil {
		_, err = tx.StmtContext(ctx, r.stmts[st]).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, r.queries[st], args...)
	}
	return err
}

// redeem runs one redeem transaction on the token id; bare, only its
// update, as a statement of its own.
func (r *redeemer) redeem(ctx context.Context, id string) error {
	if r.bare {
		var err error
		if r.stmts[stUpdate] != nil {
			_, err = r.stmts[stUpdate].ExecContext(ctx, r.now(), id)
		} else {
			_, err = r.db.ExecContext(ctx, r.queries[stUpdate], r.now(), id)
		}
		return err
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	dest := make([]any, 22)
	for i := range dest {
		dest[i] = new(any)
	}
	at := r.now()
	if err := r.queryRow(ctx, tx, stSelect, id).Scan(dest...); err != nil {
		return fmt.Errorf("select: %w", err)
	}
	if err := r.exec(ctx, tx, stUpdate, at, id); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := r.exec(ctx, tx, stAudit, at, lt.EventTokenRedeemed, id, "apikey:bench", "127.0.0.1", "{}"); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return tx.Commit()
}

// result is what the goroutines measured.
type result struct {
	lats    []time.Duration // of the transactions that committed
	errs    int
	lastErr error
	elapsed time.Duration
}

// load redeems from conc goroutines for dur.
func load(ctx context.Context, r *redeemer, ids []string, conc int, dur time.Duration) *result {
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(dur)
	for w := range conc {
		wg.Go(func() {
			mine := walk(ctx, r, ids, w*7919, deadline)
			mu.Lock()
			res.add(mine)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return &res
}

// walk redeems ids from the i-th on until the deadline.
func walk(ctx context.Context, r *redeemer, ids []string, i int, deadline time.Time) result {
	var mine result
	for time.Now().Before(deadline) {
		t0 := time.Now()
		if err := r.redeem(ctx, ids[i%len(ids)]); err != nil {
			mine.errs++
			mine.lastErr = err
		} else {
			mine.lats = append(mine.lats, time.Since(t0))
		}
		i += 104729 // a prime stride: every goroutine walks all ids
	}
	return mine
}

func (res *result) add(o result) {
	res.lats = append(res.lats, o.lats...)
	res.errs += o.errs
	if o.lastErr != nil {
		res.lastErr = o.lastErr
	}
}

// print prints transactions per second and latency percentiles, and the
// last error.
func (res *result) print(dialect string, conc, ids int) {
	slices.Sort(res.lats)
	fmt.Printf("raw %s c=%d ids=%d: %d tx in %.1fs, %.0f tx/s, p50 %.2f ms, p99 %.2f ms, errors %d\n",
		dialect, conc, ids, len(res.lats), res.elapsed.Seconds(), float64(len(res.lats))/res.elapsed.Seconds(),
		res.pct(0.50), res.pct(0.99), res.errs)
	if res.lastErr != nil {
		fmt.Fprintln(os.Stderr, "last error:", res.lastErr)
	}
}

// pct is the p-th latency percentile in milliseconds.
func (res *result) pct(p float64) float64 {
	if len(res.lats) == 0 {
		return 0
	}
	return float64(res.lats[min(len(res.lats)-1, int(p*float64(len(res.lats))))].Microseconds()) / 1000
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
