package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// A copy of the database files alone must let no one sign in (docs/secrets.md): no token value, API key or password is stored in the clear.
func TestDatabaseFilesHoldNoSecret(t *testing.T) {
	db := newSQLiteDB(t)
	var secrets []string
	tokenJSON := decodeJSON(t, mustRun(t, db.env, "", "token", "create", "--json", "--extra", "x").stdout)
	secrets = append(secrets, tokenJSON["value"].(string))
	secrets = append(secrets, stdoutLines(mustRun(t, db.env, "", "token", "create", "--one-time"))[0])
	secrets = append(secrets, stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "Shop", "--webshop"))[0])
	secrets = append(secrets, stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "ERP", "--grant", "users:editor"))[0])
	secrets = append(secrets, stdoutLines(mustRun(t, db.env, "", "staff", "create", "--email", "gen@example.test", "--grant", "users:viewer"))[0])
	const supplied = "supplied staff password 42"
	mustRun(t, db.env, supplied+"\n", "staff", "create", "--email", "given@example.test", "--grant", "users:viewer")
	secrets = append(secrets, supplied)

	// Check the secret part of each value too: the public id may be stored.
	var needles []string
	for _, s := range secrets {
		needles = append(needles, s)
		for _, prefix := range []string{lt.TokenPrefix, lt.APIKeyPrefix} {
			if _, secret, err := lt.ParseValue(prefix, s); err == nil {
				needles = append(needles, secret)
			}
		}
	}

	var dump []byte
	files, _ := filepath.Glob(filepath.Join(db.dir, "lt.db*"))
	for _, f := range files {
		if !strings.HasSuffix(f, ".db") && !strings.HasSuffix(f, "-wal") && !strings.HasSuffix(f, "-shm") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	if len(dump) == 0 {
		t.Fatal("no database file to read")
	}
	if !bytes.Contains(dump, []byte("gen@example.test")) {
		t.Fatal("the dump does not even hold the staff email: the test reads the wrong files")
	}
	for _, n := range needles {
		if bytes.Contains(dump, []byte(n)) {
			t.Errorf("the database files hold the secret %q", n)
		}
	}
}
