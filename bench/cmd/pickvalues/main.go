// Command pickvalues picks the token values a redeem benchmark presents:
// reusable tokens whose user is active and that stay valid for at least a
// day, out of the file that "logintokens dev seed --values FILE" writes.
// Every one of them redeems successfully, as often as it is presented.
//
// On PostgreSQL it also fills the table bench_ids (n 1..N, id) with the
// same tokens' ids, for pgbench to pick from (bench/redeem.sql).
//
//	go run ./bench/cmd/pickvalues -database-url URL -values seeded.txt -n 1000 -out picked.txt
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

func main() {
	dbURL := flag.String("database-url", "", "sqlite:PATH or postgres://... of the seeded database")
	values := flag.String("values", "", "the values file of dev seed --values")
	n := flag.Int("n", 1000, "how many values to pick")
	out := flag.String("out", "", "file to write the picked values to, one per line")
	seed := flag.Uint64("seed", 1, "the same seed picks the same tokens")
	flag.Parse()
	if *dbURL == "" || *values == "" || *out == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), *dbURL, *values, *out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "pickvalues:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dbURL, valuesFile, out string, n int, seed uint64) error {
	store, err := sqlstore.Open(ctx, dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	db := store.DB()
	pg := store.Dialect() == "postgres"

	valid, err := redeemableIDs(ctx, db, pg)
	if err != nil {
		return err
	}
	picked, err := pick(valuesFile, valid, n, seed)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(strings.Join(picked, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "picked %d of %d redeemable tokens into %s\n", n, len(valid), out)
	if pg {
		return fillBenchIDs(ctx, db, picked)
	}
	return nil
}

// redeemableIDs returns the ids of the tokens that redeem again and again:
// reusable, not expiring within a day, of an active user (or anonymous).
func redeemableIDs(ctx context.Context, db *sql.DB, pg bool) (map[string]bool, error) {
	validUntil := time.Now().UTC().Add(24 * time.Hour)
	q := `SELECT t.id FROM login_tokens t
		LEFT JOIN contacts c ON c.id = t.contact_id
		LEFT JOIN customers cu ON cu.id = t.customer_id
		WHERE t.max_uses IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1)
		AND NOT COALESCE(c.disabled, cu.disabled, false)
		AND COALESCE(c.deleted_at, cu.deleted_at) IS NULL`
	var arg any = validUntil
	if !pg {
		q = strings.NewReplacer("$1", "?", "false", "0").Replace(q)
		arg = validUntil.Format("2006-01-02T15:04:05.000000Z") // sqlstore's text times
	}
	rows, err := db.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	valid := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		valid[id] = true
	}
	return valid, rows.Err()
}

// pick returns n of the values in the file whose ids are valid, the same
// ones for the same seed.
func pick(valuesFile string, valid map[string]bool, n int, seed uint64) ([]string, error) {
	f, err := os.Open(valuesFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var picked []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v := sc.Text()
		id, _, err := lt.ParseValue(lt.TokenPrefix, v)
		if err == nil && valid[id] {
			picked = append(picked, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(picked) < n {
		return nil, fmt.Errorf("only %d of the values in %s are redeemable tokens of this database, want %d", len(picked), valuesFile, n)
	}
	slices.Sort(picked)
	rand.New(rand.NewPCG(seed, 0xbe7c4)).Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	return picked[:n], nil
}

// fillBenchIDs fills the table bench_ids (n 1..N, id) with the ids of the
// picked values, for pgbench (bench/redeem.sql).
func fillBenchIDs(ctx context.Context, db *sql.DB, picked []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range []string{`DROP TABLE IF EXISTS bench_ids`,
		`CREATE TABLE bench_ids (n INT PRIMARY KEY, id TEXT COLLATE "C" NOT NULL)`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	for i, v := range picked {
		id, _, _ := lt.ParseValue(lt.TokenPrefix, v)
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_ids (n, id) VALUES ($1, $2)`, i+1, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE bench_ids`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "filled bench_ids with %d ids\n", len(picked))
	return nil
}
