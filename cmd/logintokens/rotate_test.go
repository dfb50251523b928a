package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// openWithKey opens db with key alone.
func openWithKey(t *testing.T, db *testDB, key []byte) *sqlstore.Store {
	t.Helper()
	keys, err := lt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(context.Background(), db.url, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A new server key with the old one as previous opens everything; secret-key
// rotate seals it all anew in batches, after which the new key alone
// opens the database, every token value and the signing keys.
func TestSecretKeyRotateSealsEveryValueWithTheNewKeyInBatches(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		var values []string
		for range 7 {
			values = append(values, stdoutLines(mustRun(t, db.env, "", "token", "create"))[0])
		}
		// serve makes the signing keys, sealed with the old key.
		startServe(t, db.env).stop(t)
		oldKey, newKey := db.serverKey(t), randomKey()
		oldText, newText := base64.StdEncoding.EncodeToString(oldKey), base64.StdEncoding.EncodeToString(newKey)
		rotated := db.withEnv("LOGINTOKENS_SECRET_KEY", newText, "LOGINTOKENS_SECRET_KEY_PREVIOUS", "  "+oldText+" ")

		// The new key alone is refused; with the old one as previous it
		// serves, and seals new values with the new key.
		wantKeyRefused(t, refusedServe(t, db.withEnv("LOGINTOKENS_SECRET_KEY", newText)), oldKey, newKey)
		values = append(values, stdoutLines(mustRun(t, rotated, "", "token", "create"))[0])
		// A webhook's signing secret, sealed with the old key.
		hook, _, err := openWithKey(t, db, oldKey).CreateWebhook(context.Background(), cliActor, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookTokenCreated}})
		if err != nil {
			t.Fatal(err)
		}
		check := runCLI(t, rotated, "", "secret-key", "rotate", "--check")
		// 7 values, the signing keys (2), the webhook secret, the key
		// check, the root of the derived keys.
		if check.code != 1 || strings.TrimSpace(check.stdout) != "12" || !strings.Contains(check.stderr, "still sealed with a previous key") {
			t.Fatalf("--check exited %d and printed %q, want 1 and 12 sealed with the previous key:\n%s", check.code, check.stdout, check.stderr)
		}

		rootBefore, err := openWithKey(t, db, oldKey).DerivationRoot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, rotated, "", "secret-key", "rotate", "--batch", "3")
		if strings.TrimSpace(r.stdout) != "0" || !strings.Contains(r.stderr, "sealed 7 token values anew") {
			t.Fatalf("rotate printed %q:\n%s", r.stdout, r.stderr)
		}
		for _, k := range [][]byte{oldKey, newKey} {
			if strings.Contains(r.stderr, base64.StdEncoding.EncodeToString(k)) {
				t.Fatal("rotate printed a key")
			}
		}
		// Again: nothing left, and --check agrees.
		if r := mustRun(t, rotated, "", "secret-key", "rotate"); strings.TrimSpace(r.stdout) != "0" || !strings.Contains(r.stderr, "sealed 0 token values") {
			t.Fatalf("a second rotate printed %q:\n%s", r.stdout, r.stderr)
		}
		mustRun(t, rotated, "", "secret-key", "rotate", "--check")

		// The new key alone now opens the database and every value.
		newOnly := db.withEnv("LOGINTOKENS_SECRET_KEY", newText)
		startServe(t, newOnly).stop(t)
		s := openWithKey(t, db, newKey)
		ctx := context.Background()
		for _, v := range values {
			id, _, _ := lt.ParseValue(lt.TokenPrefix, v)
			if got, err := s.RevealToken(ctx, cliActor, id, ""); err != nil || got != v {
				t.Fatalf("reveal %s with the new key = %q, %v", id, got, err)
			}
		}
		if target, err := s.WebhookTarget(ctx, hook.ID); err != nil || len(target.Key) == 0 {
			t.Fatalf("the webhook's secret with the new key: %v", err)
		}
		if keys, err := s.SigningKeys(ctx, time.Now().Add(-time.Hour)); err != nil || len(keys) != 2 {
			t.Fatalf("signing keys with the new key: %d, %v", len(keys), err)
		}
		// The derived keys (the provider's sealed codes, device cookies)
		// are the same as before the rotation.
		if root, err := s.DerivationRoot(ctx); err != nil || !bytes.Equal(root, rootBefore) {
			t.Fatalf("the root of the derived keys changed with the rotation (%v)", err)
		}
		// The old key alone no longer opens it.
		wantKeyRefused(t, refusedServe(t, db.withEnv("LOGINTOKENS_SECRET_KEY", oldText)), newKey, oldKey)
	})
}

func TestRotateCommandsRefuseBadInputWithExit2(t *testing.T) {
	db := newSQLiteDB(t)
	key := base64.StdEncoding.EncodeToString(randomKey())
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{db.withEnv("LOGINTOKENS_SECRET_KEY", key), []string{"secret-key", "rotate"}, "LOGINTOKENS_SECRET_KEY_PREVIOUS"},
		{db.env, []string{"secret-key", "rotate"}, "LOGINTOKENS_SECRET_KEY"},
		{db.withEnv("LOGINTOKENS_SECRET_KEY", key, "LOGINTOKENS_SECRET_KEY_PREVIOUS", key+",not-a-key"), []string{"secret-key", "rotate"}, "key 2 of the list"},
		{db.withEnv("LOGINTOKENS_SECRET_KEY", key, "LOGINTOKENS_SECRET_KEY_PREVIOUS", key), []string{"secret-key", "rotate", "--batch", "0"}, "--batch"},
		{db.env, []string{"secret-key", "rotate", "extra"}, "extra"},
		{db.env, []string{"signing-key", "rotate", "--nope"}, "--nope"},
		{db.env, []string{"secret-key"}, "rotate"},
		{db.env, []string{"serve", "--shutdown-delay", "-1s"}, "--shutdown-delay"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, tc.env, "", tc.args...)
			wantExit(t, r, 2, tc.want)
			if strings.Contains(r.stderr, key) {
				t.Fatal("the message holds the key")
			}
		})
	}
}

func TestSigningKeyRotatePublishesTheNextKeysBeforeTheySign(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		startServe(t, db.env).stop(t)
		r := mustRun(t, db.env, "", "signing-key", "rotate")
		ids := stdoutLines(r)
		if len(ids) != 2 || !strings.Contains(r.stderr, "sign from") {
			t.Fatalf("signing-key rotate printed %q:\n%s", r.stdout, r.stderr)
		}
		srv := startServe(t, db.env)
		_, body := get(t, "http://"+srv.addr+"/.well-known/jwks.json")
		for _, id := range ids {
			if !strings.Contains(body, `"kid":"`+id+`"`) {
				t.Fatalf("the JWKS does not publish the new key %s: %s", id, body)
			}
		}
		if n := strings.Count(body, `"kid"`); n != 4 {
			t.Fatalf("the JWKS publishes %d keys, want the 2 current and the 2 next: %s", n, body)
		}
	})
}
