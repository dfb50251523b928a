package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// serverKey returns the key the program used on db: the environment's,
// else the one in secret.key.
func (db *testDB) serverKey(t *testing.T) []byte {
	t.Helper()
	if db.key != nil {
		return db.key
	}
	data, err := os.ReadFile(filepath.Join(db.dir, keyFileName))
	if err != nil {
		t.Fatalf("no server key beside the database: %v", err)
	}
	key, err := lt.ParseKey(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func randomKey() []byte {
	key := make([]byte, lt.KeySize)
	rand.Read(key)
	return key
}

// refusedServe runs "serve" and returns its result once it exits; a serve
// that listens instead fails the test (and is stopped).
func refusedServe(t *testing.T, env map[string]string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := newLogWatch()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, stderr, mapEnv(env))
	}()
	select {
	case code := <-done:
		return result{code: code, stderr: stderr.String()}
	case addr := <-stderr.addr:
		cancel()
		<-done
		t.Fatalf("serve started on %s:\n%s", addr, stderr)
	}
	return result{}
}

// wantKeyRefused checks a refusal of key b on a database set up with key
// a: exit 2, one line that names both keys by id and neither key.
func wantKeyRefused(t *testing.T, r result, a, b []byte) {
	t.Helper()
	wantExit(t, r, 2, "does not match this database", lt.KeyID(a), lt.KeyID(b), "LOGINTOKENS_SECRET_KEY")
	for _, key := range [][]byte{a, b} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
			if strings.Contains(r.stderr, enc.EncodeToString(key)) {
				t.Errorf("the message holds a key: %s", r.stderr)
			}
		}
	}
}

func keyCheckRow(t *testing.T, db *testDB) bool {
	t.Helper()
	_, ok, err := db.open(t).Setting(context.Background(), "server_key_check")
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// Every command given a server key refuses one that is not the database's,
// before it changes anything: "token create" with another key used to
// seal a value that no reveal could open.
func TestAServerKeyThatIsNotTheDatabasesIsRefusedByEveryCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		first := mustRun(t, db.env, "", "token", "create")
		a, b := db.serverKey(t), randomKey()
		bText := base64.StdEncoding.EncodeToString(b)
		withB := db.withEnv("LOGINTOKENS_SECRET_KEY", bText)

		for _, args := range [][]string{
			{"token", "create"},
			{"token", "create", "--secret-key", bText},
			{"migrate"},
			{"staff", "create", "--email", "ops@example.test", "--grant", "users:viewer"},
			{"apikey", "create", "--name", "shop", "--webshop"},
			{"apikey", "revoke", "aaaaaaaaaaaaaaaa"},
			{"dev", "seed", "--tokens", "3"},
		} {
			env := withB
			if slices.Contains(args, "--secret-key") {
				env = db.env
			}
			t.Run(strings.Join(args[:min(2, len(args))], " "), func(t *testing.T) {
				wantKeyRefused(t, runCLI(t, env, "", args...), a, b)
			})
		}
		wantKeyRefused(t, refusedServe(t, withB), a, b)

		// Nothing was made with the wrong key.
		s := db.open(t)
		ctx := context.Background()
		if _, n, err := s.FindTokens(ctx, lt.TokenFilter{PageSize: 10}); err != nil || n != 1 {
			t.Errorf("%d tokens after the refusals (%v), want the first one only", n, err)
		}
		if n, _ := s.CountStaff(ctx); n != 0 {
			t.Errorf("%d staff after the refusals, want 0", n)
		}

		// The database's key works, and every value it sealed reveals.
		second := mustRun(t, db.env, "", "token", "create")
		for _, r := range []result{first, second} {
			value := stdoutLines(r)[0]
			id, _, _ := lt.ParseValue(lt.TokenPrefix, value)
			if got, err := s.RevealToken(ctx, cliActor, id, ""); err != nil || got != value {
				t.Errorf("reveal %s = %q, %v", id, got, err)
			}
		}
		startServe(t, db.env).stop(t)
		// Commands that take no key need none, on PostgreSQL too.
		noKey := db.withEnv()
		delete(noKey, "LOGINTOKENS_SECRET_KEY")
		mustRun(t, noKey, "", "staff", "create", "--email", "ops@example.test", "--grant", "users:viewer")
	})
}

// A database made before the key check has none: the first command with
// its own key writes it; another key is refused before and after.
func TestADatabaseMadeBeforeTheKeyCheckTakesOnlyItsOwnKey(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		startServe(t, db.env).stop(t) // a signing key, sealed with the server key
		mustRun(t, db.env, "", "token", "create")
		// As the service left the database before it had the check.
		if _, err := db.open(t).DB().Exec(`DELETE FROM settings WHERE name = 'server_key_check'`); err != nil {
			t.Fatal(err)
		}
		a, b := db.serverKey(t), randomKey()
		withB := db.withEnv("LOGINTOKENS_SECRET_KEY", base64.StdEncoding.EncodeToString(b))

		wantKeyRefused(t, runCLI(t, withB, "", "token", "create"), a, b)
		wantKeyRefused(t, refusedServe(t, withB), a, b)
		if keyCheckRow(t, db) {
			t.Fatal("a refused key wrote the key check")
		}
		mustRun(t, db.env, "", "token", "create")
		if !keyCheckRow(t, db) {
			t.Fatal("the database's own key did not write the key check")
		}
		wantKeyRefused(t, runCLI(t, withB, "", "token", "create"), a, b)
		startServe(t, db.env).stop(t)
	})
}

// After the server key leaked, "migrate --adopt-key" binds the database to
// a new key (SQLite: a new secret.key, made when the old file is removed):
// the service then starts with it, and the old key is refused.
func TestMigrateAdoptKeyBindsTheDatabaseToANewKey(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		startServe(t, db.env).stop(t)
		mustRun(t, db.env, "", "token", "create")
		a := db.serverKey(t)
		env := db.env
		if db.key == nil {
			if err := os.Remove(filepath.Join(db.dir, keyFileName)); err != nil {
				t.Fatal(err)
			}
		} else {
			db.key = randomKey()
			env = db.withEnv("LOGINTOKENS_SECRET_KEY", base64.StdEncoding.EncodeToString(db.key))
			wantKeyRefused(t, runCLI(t, env, "", "token", "create"), a, db.key)
		}
		r := mustRun(t, env, "", "migrate", "--adopt-key")
		b := db.serverKey(t)
		for _, want := range []string{lt.KeyID(b), "(serve makes a new one): 2;", "(regenerate them): 1"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
			}
		}
		if r.stdout != "" || strings.Contains(r.stderr, base64.StdEncoding.EncodeToString(b)) {
			t.Errorf("migrate --adopt-key printed a key:\n%s%s", r.stdout, r.stderr)
		}
		mustRun(t, env, "", "token", "create")
		startServe(t, env).stop(t) // with a new signing key
		withA := db.withEnv("LOGINTOKENS_SECRET_KEY", base64.StdEncoding.EncodeToString(a))
		wantKeyRefused(t, runCLI(t, withA, "", "token", "create"), b, a)
		// Adopting needs a key: PostgreSQL has no file to make one in.
		if db.key != nil {
			noKey := db.withEnv()
			delete(noKey, "LOGINTOKENS_SECRET_KEY")
			wantExit(t, runCLI(t, noKey, "", "migrate", "--adopt-key"), 2, "LOGINTOKENS_SECRET_KEY")
		}
	})
}
