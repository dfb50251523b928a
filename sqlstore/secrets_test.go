package sqlstore_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// rawRows returns every column of every row of table as text and bytes.
func rawRows(t *testing.T, db *sql.DB, table string) [][]byte {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]byte
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				out = append(out, v)
			default:
				out = append(out, fmt.Appendf(nil, "%v", v))
			}
		}
	}
	return out
}

func TestSecretsAreNotStoredInTheClear(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{Extra: []string{"x"}})
		_, key, err := s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop})
		if err != nil {
			t.Fatal(err)
		}
		const password = "correct horse battery staple"
		if _, err := s.CreateStaff(ctx, lt.NewStaff{Email: "a@b.test", Password: password, Grants: lt.AllGrants()}); err != nil {
			t.Fatal(err)
		}
		_, secret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
		_, keySecret, _ := lt.ParseValue(lt.APIKeyPrefix, key)
		for _, table := range []string{"login_tokens", "api_keys", "staff", "audit_events"} {
			for _, cell := range rawRows(t, s.DB(), table) {
				for _, needle := range []string{tok.Value, secret, key, keySecret, password} {
					if bytes.Contains(cell, []byte(needle)) {
						t.Fatalf("table %s holds a secret in the clear: %q", table, cell)
					}
				}
			}
		}
		// The value can still be revealed, and only for its own id.
		if v, err := s.RevealToken(ctx, staff, tok.ID, ""); err != nil || v != tok.Value {
			t.Fatalf("reveal = %q, %v", v, err)
		}
	})
}

func TestRevealNeedsTheServerKeyAndTheRightRow(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			url := sqlstoretest.URL(t, kind)
			s1, err := sqlstore.Open(ctx, url, sqlstoretest.NewKeyring(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s1.Close()
			if err := s1.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			a := mustToken(t, s1, lt.NewToken{})
			b := mustToken(t, s1, lt.NewToken{})
			// A ciphertext moved to another row does not decrypt: the id is
			// the associated data.
			if _, err := s1.DB().Exec(`UPDATE login_tokens SET value_enc = (SELECT value_enc FROM login_tokens WHERE id = '` + a.ID + `') WHERE id = '` + b.ID + `'`); err != nil {
				t.Fatal(err)
			}
			if v, err := s1.RevealToken(ctx, staff, b.ID, ""); err == nil {
				t.Fatalf("a ciphertext copied from %s revealed %q for %s", a.ID, v, b.ID)
			}
			// Another server key reveals nothing, but checking values needs no key.
			s2, err := sqlstore.Open(ctx, url, sqlstoretest.NewKeyring(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if _, err := s2.RevealToken(ctx, staff, a.ID, ""); err == nil {
				t.Fatal("another server key revealed a value")
			}
			if r := redeem(t, s2, a.Value); r.Code != "" {
				t.Fatalf("redeem with another server key: %q", r.Code)
			}
		})
	}
}

func TestLookupFindsTheTokenOfAValueOnly(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{})
		got, err := s.LookupToken(ctx, tok.Value)
		if err != nil || got.ID != tok.ID {
			t.Fatalf("lookup = %+v, %v", got, err)
		}
		for _, v := range []string{wrongSecret(tok.Value), "lt_" + tok.ID, "garbage", ""} {
			_, err := s.LookupToken(ctx, v)
			wantCode(t, err, lt.ENOTFOUND)
		}
		// Lookups are no attempts.
		got, _ = s.FindTokenByID(ctx, tok.ID)
		if got.FailedAttempts != 0 || got.LastAccessedAt != nil {
			t.Fatalf("lookup counted an attempt: %+v", got)
		}
	})
}
