// Package sqlstoretest opens isolated stores for tests on both databases:
// SQLite in a temporary folder always, PostgreSQL in a schema of its own
// when LOGINTOKENS_TEST_POSTGRES_URL is set. With CI=true a missing
// PostgreSQL fails the test instead of skipping it.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// PostgresEnv names the variable that points the tests at PostgreSQL.
const PostgresEnv = "LOGINTOKENS_TEST_POSTGRES_URL"

// Kinds are the databases every store test runs on.
var Kinds = []string{"sqlite", "postgres"}

// SQLiteURL returns the URL of a new SQLite file in a temporary folder.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// PostgresURL returns a URL whose connections use a new, empty schema of
// their own, dropped when the test ends, so tests and packages can run in
// parallel on one database. It skips without PostgreSQL, or fails in CI.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI runs every store test on PostgreSQL", PostgresEnv)
		}
		t.Skipf("PostgreSQL tests need %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "lt_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// URL returns a fresh database URL of the kind ("sqlite" or "postgres").
func URL(t testing.TB, kind string) string {
	t.Helper()
	if kind == "postgres" {
		return PostgresURL(t)
	}
	return SQLiteURL(t)
}

// NewKeyring returns a keyring with a random key.
func NewKeyring(t testing.TB) *lt.Keyring {
	t.Helper()
	key := make([]byte, lt.KeySize)
	rand.Read(key)
	k, err := lt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Open returns a migrated store of the kind on a fresh database, closed
// when the test ends.
func Open(t testing.TB, kind string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, URL(t, kind), NewKeyring(t))
	if err != nil {
		t.Fatalf("open %s store: %v", kind, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", kind, err)
	}
	return s
}

// Each runs fn as a parallel subtest on a fresh store of each database.
func Each(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, kind))
		})
	}
}

// Clock is a settable clock for Store.Now.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) { c.T = c.T.Add(d) }

// SetClock gives the store a clock starting at a fixed, whole-second time.
func SetClock(s *sqlstore.Store, start time.Time) *Clock {
	c := &Clock{T: start}
	s.Now = c.Now
	return c
}
