package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the program in-process with env as its whole environment.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, mapEnv(env))
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// mustRun runs the program and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	r := runCLI(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("logintokens %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// wantExit checks the exit code, one line on stderr holding every want, and
// nothing on stdout.
func wantExit(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit = %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); len(lines) != 1 {
		t.Errorf("stderr has %d lines, want one:\n%s", len(lines), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not mention %q", r.stderr, w)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

// stdoutLines splits stdout into lines, without the final newline.
func stdoutLines(r result) []string {
	return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", s)
	}
	return m
}

// testDB is a fresh database the program is pointed at.
type testDB struct {
	kind string
	url  string
	dir  string // SQLite: the database's folder
	key  []byte // PostgreSQL: the server key passed in the environment
	env  map[string]string
}

func newSQLiteDB(t *testing.T) *testDB {
	t.Helper()
	dir := t.TempDir()
	u := "sqlite:" + filepath.Join(dir, "lt.db")
	return &testDB{kind: "sqlite", url: u, dir: dir, env: map[string]string{"LOGINTOKENS_DATABASE_URL": u}}
}

func newPostgresDB(t *testing.T) *testDB {
	t.Helper()
	u := sqlstoretest.PostgresURL(t)
	key := make([]byte, lt.KeySize)
	rand.Read(key)
	return &testDB{kind: "postgres", url: u, key: key, env: map[string]string{
		"LOGINTOKENS_DATABASE_URL": u,
		"LOGINTOKENS_SECRET_KEY":   base64.StdEncoding.EncodeToString(key),
	}}
}

// eachDB runs fn as parallel subtests on a new SQLite database (server key
// in secret.key) and a new PostgreSQL schema (server key in the environment).
func eachDB(t *testing.T, fn func(t *testing.T, db *testDB)) {
	t.Helper()
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			if kind == "postgres" {
				fn(t, newPostgresDB(t))
			} else {
				fn(t, newSQLiteDB(t))
			}
		})
	}
}

// withEnv returns the database's environment plus more.
func (db *testDB) withEnv(more ...string) map[string]string {
	env := map[string]string{}
	for k, v := range db.env {
		env[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		env[more[i]] = more[i+1]
	}
	return env
}

// open opens the database as the program left it, with the server key the
// program used, closed when the test ends.
func (db *testDB) open(t *testing.T) *sqlstore.Store {
	t.Helper()
	key := db.key
	if key == nil {
		data, err := os.ReadFile(filepath.Join(db.dir, keyFileName))
		if err != nil {
			key = make([]byte, lt.KeySize) // the program made no key: nothing to decrypt
		} else if key, err = lt.ParseKey(string(data)); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := lt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(context.Background(), db.url, keys)
	if err != nil {
		t.Fatalf("open %s: %v", db.kind, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
