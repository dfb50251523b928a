package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

func TestDevSeedFillsTheDatabaseWithRealTokens(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		values := filepath.Join(t.TempDir(), "values.txt")
		r := mustRun(t, db.env, "", "dev", "seed", "--tokens", "300", "--contacts", "20", "--customers", "10",
			"--companies", "4", "--values", values)
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing: the summary goes to stderr", r.stdout)
		}
		for _, want := range []string{"seeded 300 tokens, 4 companies, 20 contacts and 10 customers in ", "tokens", "indexes"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
			}
		}
		fi, err := os.Stat(values)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("values file mode = %v, want 0600: it holds secrets", fi.Mode().Perm())
		}
		data, _ := os.ReadFile(values)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 300 {
			t.Fatalf("%d values, want 300", len(lines))
		}

		s := db.open(t)
		ctx := context.Background()
		toks, total, err := s.FindTokens(ctx, lt.TokenFilter{})
		if err != nil || total != 300 || len(toks) != lt.DefaultPageSize {
			t.Fatalf("list after seed: %d found, %d on the page, %v", total, len(toks), err)
		}
		// The values are real: they reveal with the key the program used.
		tok, err := s.LookupToken(ctx, lines[len(lines)-1])
		if err != nil {
			t.Fatalf("a seeded value is no token: %v", err)
		}
		if v, err := s.RevealToken(ctx, lt.Actor{Name: "staff:1"}, tok.ID, ""); err != nil || v != lines[len(lines)-1] {
			t.Fatalf("reveal = %q, %v; want the seeded value", v, err)
		}
		people, n, err := s.FindContacts(ctx, lt.DirectoryFilter{})
		if err != nil || n != 20 || len(people) == 0 {
			t.Fatalf("contacts after seed: %d, %v", n, err)
		}
	})
}

func TestDevSeedRefusesBadInput(t *testing.T) {
	db := newSQLiteDB(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no tokens", nil, []string{"--tokens"}},
		{"zero tokens", []string{"--tokens", "0"}, []string{"--tokens"}},
		{"tokens not a number", []string{"--tokens", "many"}, []string{"--tokens", `"many"`}},
		{"negative contacts", []string{"--tokens", "10", "--contacts", "-1"}, []string{"--contacts"}},
		{"stray argument", []string{"--tokens", "10", "now"}, []string{`"now"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantExit(t, runCLI(t, db.env, "", append([]string{"dev", "seed"}, tc.args...)...), 2, tc.want...)
		})
	}
	wantExit(t, runCLI(t, db.env, "", "dev"), 2, "seed")
	if _, err := os.Stat(filepath.Join(db.dir, "lt.db")); err == nil {
		t.Error("a refused seed created the database")
	}
}
