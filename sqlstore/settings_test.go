package sqlstore_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestSettingsKeepOneValuePerName(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if v, ok, err := s.Setting(ctx, "public_url"); err != nil || ok || v != "" {
			t.Fatalf("unset setting = %q, %v, %v; want nothing", v, ok, err)
		}
		for _, v := range []string{"https://a.example.test", "https://b.example.test", ""} {
			if err := s.SetSetting(ctx, "public_url", v); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Setting(ctx, "public_url"); err != nil || !ok || got != v {
				t.Fatalf("after setting %q: %q, %v, %v", v, got, ok, err)
			}
		}
		wantCode(t, s.SetSetting(ctx, " ", "x"), lt.EINVALID)
		// The key check is the store's own: no caller overwrites it.
		wantCode(t, s.SetSetting(ctx, "server_key_check", "x"), lt.EINVALID)
	})
}

// newKey returns a random server key and its keyring.
func newKey(t *testing.T) ([]byte, *lt.Keyring) {
	t.Helper()
	key := make([]byte, lt.KeySize)
	rand.Read(key)
	k, err := lt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, k
}

// openWith opens and migrates the database at url with keys, without the
// key check, as the service did before it had one.
func openWith(t *testing.T, url string, keys *lt.Keyring) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(ctx, url, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// wantMismatch checks that err refuses the keyring for a database set up
// with the key of id dbKeyID, naming both by id and neither key.
func wantMismatch(t *testing.T, err error, dbKeyID string, keys *lt.Keyring, secrets ...[]byte) {
	t.Helper()
	var mismatch *sqlstore.KeyMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("check = %v, want a key mismatch", err)
	}
	if !slices.Contains(mismatch.DatabaseKeyIDs, dbKeyID) || !slices.Equal(mismatch.KeyIDs, keys.KeyIDs()) {
		t.Errorf("mismatch names %v and %v, want %s and %v", mismatch.DatabaseKeyIDs, mismatch.KeyIDs, dbKeyID, keys.KeyIDs())
	}
	msg := err.Error()
	for _, want := range append([]string{"does not match this database", dbKeyID}, keys.KeyIDs()...) {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	for _, key := range secrets {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			if strings.Contains(msg, enc.EncodeToString(key)) {
				t.Errorf("message %q holds a key", msg)
			}
		}
	}
}

func keyCheck(t *testing.T, s *sqlstore.Store) (string, bool) {
	t.Helper()
	v, ok, err := s.Setting(ctx, "server_key_check")
	if err != nil {
		t.Fatal(err)
	}
	return v, ok
}

func TestTheServerKeyCheckAdmitsOnlyTheDatabasesKey(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, kind)
			keyA, a := newKey(t)
			keyB, b := newKey(t)
			sa := openWith(t, url, a)
			if err := sa.CheckKeyring(ctx); err != nil {
				t.Fatalf("a new database refused its first key: %v", err)
			}
			check, ok := keyCheck(t, sa)
			if !ok || !strings.HasPrefix(check, a.CurrentKeyID()+":") {
				t.Fatalf("key check = %q, %v; want one sealed with key %s", check, ok, a.CurrentKeyID())
			}
			tok := mustToken(t, sa, lt.NewToken{})

			sb := openWith(t, url, b)
			wantMismatch(t, sb.CheckKeyring(ctx), a.CurrentKeyID(), b, keyA, keyB)
			if again, _ := keyCheck(t, sb); again != check {
				t.Error("a refused key changed the key check")
			}

			// A keyring whose older key is the database's opens it: new
			// values are sealed with the current key, old ones still open.
			both, err := lt.NewKeyring(keyB, keyA)
			if err != nil {
				t.Fatal(err)
			}
			sab := openWith(t, url, both)
			if err := sab.CheckKeyring(ctx); err != nil {
				t.Fatalf("a keyring holding the database's key as an older one: %v", err)
			}
			if v, err := sab.RevealToken(ctx, staff, tok.ID, ""); err != nil || v != tok.Value {
				t.Fatalf("reveal with the older key = %q, %v", v, err)
			}
			// The database's key again: accepted, nothing changed.
			if err := openWith(t, url, a).CheckKeyring(ctx); err != nil {
				t.Fatalf("the database's own key: %v", err)
			}
			if again, _ := keyCheck(t, sa); again != check {
				t.Error("the key check changed")
			}
			// Without a keyring nothing is checked: commands that need no
			// key keep working.
			if err := openWith(t, url, nil).CheckKeyring(ctx); err != nil {
				t.Fatalf("no keyring: %v", err)
			}
		})
	}
}

// A database made before the key check has none: the first open with a
// keyring that opens what it holds writes it, and a keyring that does not
// is refused and writes nothing.
func TestADatabaseWithoutAKeyCheckGetsOneFromItsOwnKeyOnly(t *testing.T) {
	cases := []struct {
		name string
		// fill puts sealed values into a database set up with key a
		// (through sa), and some with another key b (through sb), as the
		// service could before the check.
		fill func(t *testing.T, sa, sb *sqlstore.Store)
	}{
		{"token values", func(t *testing.T, sa, sb *sqlstore.Store) {
			for range 3 {
				mustToken(t, sa, lt.NewToken{})
			}
		}},
		{"a signing key", func(t *testing.T, sa, sb *sqlstore.Store) {
			if _, err := sa.AddSigningKey(ctx, lt.SigningKey{ID: "k1", Private: []byte("private"), CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a signing key and a few newer values sealed with another key", func(t *testing.T, sa, sb *sqlstore.Store) {
			if _, err := sa.AddSigningKey(ctx, lt.SigningKey{ID: "k1", Private: []byte("private"), CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			for range 5 {
				mustToken(t, sb, lt.NewToken{})
			}
		}},
		{"tokens only: mostly its own values and a few sealed with another key", func(t *testing.T, sa, sb *sqlstore.Store) {
			for range 4 {
				mustToken(t, sa, lt.NewToken{})
			}
			mustToken(t, sb, lt.NewToken{})
		}},
	}
	for _, kind := range sqlstoretest.Kinds {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				url := sqlstoretest.URL(t, kind)
				keyA, a := newKey(t)
				keyB, b := newKey(t)
				sa, sb := openWith(t, url, a), openWith(t, url, b)
				tc.fill(t, sa, sb)
				if _, ok := keyCheck(t, sa); ok {
					t.Fatal("the database has a key check before any was made")
				}
				wantMismatch(t, sb.CheckKeyring(ctx), a.CurrentKeyID(), b, keyA, keyB)
				if _, ok := keyCheck(t, sb); ok {
					t.Fatal("a refused key wrote a key check")
				}
				if err := sa.CheckKeyring(ctx); err != nil {
					t.Fatalf("the database's own key: %v", err)
				}
				if check, ok := keyCheck(t, sa); !ok || !strings.HasPrefix(check, a.CurrentKeyID()+":") {
					t.Fatalf("key check = %q, %v; want one sealed with key %s", check, ok, a.CurrentKeyID())
				}
				// From now on the key check refuses b by itself.
				wantMismatch(t, sb.CheckKeyring(ctx), a.CurrentKeyID(), b, keyA, keyB)
			})
		}
	}
}

// Two instances with different keys starting on one new database at the
// same time: one key wins, the other is refused, whichever it is.
func TestConcurrentFirstChecksAgreeOnOneKey(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, kind)
			openWith(t, url, nil) // migrated once, before the race
			const n = 6
			errs := make(chan error, n)
			for range n {
				_, k := newKey(t)
				s := openWith(t, url, k)
				go func() { errs <- s.CheckKeyring(ctx) }()
			}
			accepted := 0
			for range n {
				err := <-errs
				var mismatch *sqlstore.KeyMismatchError
				switch {
				case err == nil:
					accepted++
				case !errors.As(err, &mismatch):
					t.Errorf("check: %v", err)
				}
			}
			if accepted != 1 {
				t.Errorf("%d of %d different keys were accepted, want exactly 1", accepted, n)
			}
		})
	}
}

// After a key leak the operator binds the database to a new key: the key
// check follows, signing keys only the old key opens go, and the values
// sealed with it are counted for regeneration.
func TestAdoptKeyringBindsTheDatabaseToANewKey(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, kind)
			keyA, a := newKey(t)
			keyB, b := newKey(t)
			sa := openWith(t, url, a)
			if err := sa.CheckKeyring(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := sa.AddSigningKey(ctx, lt.SigningKey{ID: "k1", Private: []byte("private"), CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			old := mustToken(t, sa, lt.NewToken{})
			mustToken(t, sa, lt.NewToken{})

			// A keyring that still holds the old key loses nothing, and
			// binds the database to its current key: the old one alone no
			// longer opens it.
			both, _ := lt.NewKeyring(keyB, keyA)
			if deleted, foreign, err := openWith(t, url, both).AdoptKeyring(ctx, lt.Actor{Name: "cli"}); err != nil || deleted != 0 || foreign != 0 {
				t.Fatalf("adopt with the old key kept = %d, %d, %v; want nothing lost", deleted, foreign, err)
			}
			wantMismatch(t, sa.CheckKeyring(ctx), b.CurrentKeyID(), a, keyA, keyB)

			sb := openWith(t, url, b)
			deleted, foreign, err := sb.AdoptKeyring(ctx, lt.Actor{Name: "cli"})
			if err != nil || deleted != 1 || foreign != 2 {
				t.Fatalf("adopt = %d signing keys deleted, %d foreign values, %v; want 1 and 2", deleted, foreign, err)
			}
			if err := sb.CheckKeyring(ctx); err != nil {
				t.Fatalf("the adopted key: %v", err)
			}
			wantMismatch(t, sa.CheckKeyring(ctx), b.CurrentKeyID(), a, keyA, keyB)
			if keys, err := sb.SigningKeys(ctx, t0); err != nil || len(keys) != 0 {
				t.Fatalf("signing keys after adopting = %v, %v; want none", keys, err)
			}
			// Values are still checked by hash; only reveal needs the old key.
			if r := redeem(t, sb, old.Value); r.Code != "" {
				t.Errorf("redeem after adopting: %s", r.Code)
			}
			// Both adoptions are in the audit trail, by key id.
			rows, err := sb.DB().Query(`SELECT details FROM audit_events WHERE type = 'server_key.adopted' AND actor = 'cli' ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			var details string
			for rows.Next() {
				var d string
				rows.Scan(&d)
				details += d
			}
			rows.Close()
			for _, want := range []string{`"previousKeyId":"` + a.CurrentKeyID(), `"keyId":"` + b.CurrentKeyID(), `"deletedSigningKeys":1`, `"foreignValues":2`} {
				if !strings.Contains(details, want) {
					t.Errorf("audit details %s lack %s", details, want)
				}
			}
		})
	}
}
