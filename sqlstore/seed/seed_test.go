package seed_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/seed"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The same seed makes the same rows on both databases, but for what
// crypto/rand draws (token ids, secrets and their ciphertext): a fresh
// database, then one that held people already (addresses numbered after
// them). The hashes are of the sample as it was first written; change
// them only to change the sample on purpose.
func TestTheSameSeedMakesTheSameRows(t *testing.T) {
	ctx := context.Background()
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		for _, run := range []struct {
			opts seed.Options
			want string
		}{
			{seed.Options{Tokens: 3000, Seed: 7}, "665dbec864b68adb0131fe967c4cf693da6b6bda9574c7e09e19c21868888ece"},
			{seed.Options{Tokens: 200, Contacts: 30, Seed: 8}, "3021adf2934252acfb75dff03b60488f92e2a07bce54265e19c514667aa18422"},
		} {
			if _, err := seed.Run(ctx, s, run.opts); err != nil {
				t.Fatalf("seed %+v: %v", run.opts, err)
			}
			if got := rowsHash(t, s.DB()); got != run.want {
				t.Errorf("after seed %+v the rows hash to %s, want %s", run.opts, got, run.want)
			}
		}
	})
}

// rowsHash hashes the seeded tables' rows, sorted, each value written the
// same way from either database: times in UTC to the microsecond, truth
// values as 1 or 0.
func rowsHash(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT id, name, external_id, created_at, updated_at, deleted_at FROM companies`,
		`SELECT id, company_id, first_name, last_name, email, external_id, disabled, created_at, updated_at, deleted_at FROM contacts`,
		`SELECT id, first_name, last_name, email, external_id, disabled, created_at, updated_at, deleted_at FROM customers`,
		`SELECT type, contact_id, customer_id, expires_at, CASE WHEN max_uses = 1 THEN 1 ELSE 0 END, extra, successful_attempts, failed_attempts,
			last_accessed_at, created_at, updated_at, created_by, sort_name, user_search, extra_search, act FROM login_tokens`,
	} {
		lines := rowLines(t, db, q)
		slices.Sort(lines)
		for _, l := range lines {
			h.Write([]byte(l + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func rowLines(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range vals {
			switch v := v.(type) {
			case nil:
				b.WriteString("NULL")
			case bool:
				b.WriteString(map[bool]string{true: "1", false: "0"}[v])
			case time.Time:
				b.WriteString(v.UTC().Format("2006-01-02T15:04:05.000000Z"))
			case []byte:
				b.Write(v)
			default:
				fmt.Fprint(&b, v)
			}
			b.WriteByte('|')
		}
		lines = append(lines, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// After a seed the database has the indexes, triggers and text index
// settings the migrations made, and the store's writer connection its own
// settings again: the seed drops and remakes indexes and tunes the
// connection only while it loads.
func TestSeedLeavesTheSchemaAsTheMigrationsMadeIt(t *testing.T) {
	ctx := context.Background()
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		before := schema(t, s)
		if _, err := seed.Run(ctx, s, seed.Options{Tokens: 500, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		if after := schema(t, s); !slices.Equal(after, before) {
			t.Errorf("after the seed the schema is\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
		checkTextIndex(t, s)
	})
}

// A seed that fails leaves the database as it was, whichever step it
// fails in: the rows, the indexes and the text index.
func TestAFailedSeedLeavesTheDatabaseAsItWas(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		if _, err := seed.Run(context.Background(), s, seed.Options{Tokens: 300, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		rows, before := rowsHash(t, s.DB()), schema(t, s)
		for _, failAfter := range []string{"companies, contacts and customers", "tokens", "indexes"} {
			ctx, cancel := context.WithCancel(context.Background())
			_, err := seed.Run(ctx, s, seed.Options{Tokens: 2000, Seed: 6, Progress: func(step string, _ time.Duration) {
				if step == failAfter {
					cancel()
				}
			}})
			cancel()
			if err == nil {
				t.Fatalf("a seed cancelled after %q succeeded", failAfter)
			}
			if got := rowsHash(t, s.DB()); got != rows {
				t.Errorf("a seed that failed after %q changed the rows", failAfter)
			}
			if after := schema(t, s); !slices.Equal(after, before) {
				t.Errorf("a seed that failed after %q left the schema\n%s\nwant\n%s", failAfter, strings.Join(after, "\n"), strings.Join(before, "\n"))
			}
		}
		checkTextIndex(t, s)
	})
}

// checkTextIndex checks that SQLite's text index of the tokens holds
// exactly their text.
func checkTextIndex(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	if s.Dialect() != "sqlite" {
		return
	}
	if _, err := s.DB().Exec(`INSERT INTO login_tokens_fts (login_tokens_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("the text index does not match the tokens: %v", err)
	}
}

// schema is what the seed must leave as it found it, one line each: the
// definitions of every table, index and trigger (but the statistics), on
// PostgreSQL every constraint, and, on SQLite, the text index's
// settings and the writer connection's.
func schema(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	var qs []string
	switch s.Dialect() {
	case "sqlite":
		qs = []string{
			`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`,
			`SELECT 'fts config', k, v FROM login_tokens_fts_config ORDER BY k`,
			`SELECT 'cache_size', * FROM pragma_cache_size`,
			`SELECT 'threads', * FROM pragma_threads`,
			`SELECT 'temp_store', * FROM pragma_temp_store`,
			`SELECT 'journal_mode', * FROM pragma_journal_mode`,
			`SELECT 'synchronous', * FROM pragma_synchronous`,
			`SELECT 'foreign_keys', * FROM pragma_foreign_keys`,
		}
	default:
		qs = []string{
			`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname`,
			`SELECT event_object_table, trigger_name, action_statement FROM information_schema.triggers
				WHERE trigger_schema = current_schema() ORDER BY 1, 2`,
			`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
				WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`,
		}
	}
	var out []string
	for _, q := range qs {
		out = append(out, rowLines(t, s.DB(), q)...)
	}
	return out
}

// On SQLite a seed that has the database alone loads it without the
// write-ahead log and leaves it in the log again; one that shares it with
// another connection loads through the log, and the other connection
// reads on meanwhile.
func TestASQLiteSeedLeavesTheLogOnlyWhenAlone(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			t.Parallel()
			s := sqlstoretest.Open(t, "sqlite")
			var seq int
			var name, path string
			if err := s.DB().QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &path); err != nil {
				t.Fatal(err)
			}
			other, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if !shared {
				other.Close()
			} else if n := countTokens(t, other); n != 0 {
				t.Fatalf("a new database holds %d tokens", n)
			}

			// Which journal the load writes shows in the files beside
			// the database while it runs.
			var wal, journal bool
			res, err := seed.Run(context.Background(), s, seed.Options{Tokens: 400, Seed: 2, Progress: func(step string, _ time.Duration) {
				if step == "tokens" {
					wal, journal = nonEmpty(t, path+"-wal"), nonEmpty(t, path+"-journal")
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{false: "truncate", true: "wal"}[shared]
			if res.Journal != want {
				t.Errorf("the seed says it wrote journal %q, want %q", res.Journal, want)
			}
			if wal != shared || journal == shared {
				t.Errorf("during the load the log was written: %v, the rollback journal: %v; want %v and %v", wal, journal, shared, !shared)
			}
			if shared {
				if n := countTokens(t, other); n != 400 {
					t.Errorf("the other connection reads %d tokens after the seed, want 400", n)
				}
			}
			// The journal mode a new connection finds is the file's own.
			fresh, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			var mode string
			if err := fresh.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" {
				t.Errorf("after the seed the database is in journal mode %q, want wal", mode)
			}
			if n := countTokens(t, fresh); n != 400 {
				t.Errorf("a new connection reads %d tokens after the seed, want 400", n)
			}
		})
	}
}

// nonEmpty reports whether the file at path exists and holds something.
func nonEmpty(t *testing.T, path string) bool {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size() > 0
}

func countTokens(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM login_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
