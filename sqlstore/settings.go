package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Setting returns the value stored under name; ok is false when there is
// none.
func (s *Store) Setting(ctx context.Context, name string) (value string, ok bool, err error) {
	err = s.read(ctx, func(tx *tx) error {
		var err error
		value, ok, err = getSetting(ctx, tx, name)
		return err
	})
	return value, ok, err
}

// SetSetting stores value under name, replacing what was there. The
// store's own settings (the server key check) cannot be set through it.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return lt.Errorf(lt.EINVALID, "a setting needs a name")
	case name == keyCheckSetting, name == derivationRootSetting:
		return lt.Errorf(lt.EINVALID, "the setting %s is kept by the store itself", name)
	}
	return s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, s.now())
		return err
	})
}

func getSetting(ctx context.Context, tx *tx, name string) (string, bool, error) {
	var value string
	err := tx.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return value, err == nil, err
}

// The server key check: a value sealed with the server key the database
// was set up with, stored as "<key id>:<base64 of the sealed value>".
const (
	keyCheckSetting = "server_key_check"
	keyCheckPlain   = "logintokens server key check"
)

func keyCheckAAD() []byte { return []byte("setting\x00" + keyCheckSetting) }

// sealKeyCheck returns the key check's value sealed with the current key.
func (s *Store) sealKeyCheck() string {
	keyID, sealed := s.keys.Seal([]byte(keyCheckPlain), keyCheckAAD())
	return keyID + ":" + base64.RawStdEncoding.EncodeToString(sealed)
}

// keyCheckSample is how many of the newest token values are tried on a
// database that has no key check yet.
const keyCheckSample = 32

// KeyMismatchError says that the store's keyring cannot open what the
// database was sealed with. It names keys by their ids, which are
// fingerprints (lt.KeyID), never by the keys.
type KeyMismatchError struct {
	// DatabaseKeyIDs are the ids of the keys the database's values were
	// sealed with.
	DatabaseKeyIDs []string
	// KeyIDs are the ids of the keyring's keys, the current one first.
	KeyIDs []string
}

func (e *KeyMismatchError) Error() string {
	given := "the given key is " + strings.Join(e.KeyIDs, "")
	if len(e.KeyIDs) > 1 {
		given = "the given keys are " + strings.Join(e.KeyIDs, ", ")
	}
	return fmt.Sprintf("the server key does not match this database: the database was set up with server key %s, %s (key ids, not keys)",
		strings.Join(e.DatabaseKeyIDs, " and "), given)
}

// CheckKeyring makes sure that the store's keyring belongs to this
// database before anything is sealed with a key that does not. The
// database keeps a value sealed with the server key it was set up with
// (the setting server_key_check): any key of the keyring that opens it
// will do, and new values are sealed with the keyring's current key. A
// database without one yet (new, or made before the check) gets one,
// sealed with the current key, once the keyring has opened its signing
// keys in use and at least half of a sample of its newest token values.
// Otherwise CheckKeyring answers a *KeyMismatchError and writes nothing.
// Without a keyring it checks nothing. Call it after Migrate.
func (s *Store) CheckKeyring(ctx context.Context) error {
	if s.keys == nil {
		return nil
	}
	return s.write(ctx, func(tx *tx) error {
		stored, ok, err := getSetting(ctx, tx, keyCheckSetting)
		if err != nil {
			return err
		}
		if !ok {
			if err := s.checkSealedValues(ctx, tx); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
				keyCheckSetting, s.sealKeyCheck(), s.now()); err != nil {
				return err
			}
			// An instance starting at the same time may have written its
			// own first: what is stored now decides.
			if stored, _, err = getSetting(ctx, tx, keyCheckSetting); err != nil {
				return err
			}
		}
		keyID, enc, _ := strings.Cut(stored, ":")
		sealed, err := base64.RawStdEncoding.DecodeString(enc)
		if err != nil || keyID == "" {
			return fmt.Errorf("the server key check in the settings table is damaged")
		}
		if plain, err := s.keys.Open(keyID, sealed, keyCheckAAD()); err != nil || string(plain) != keyCheckPlain {
			return &KeyMismatchError{DatabaseKeyIDs: []string{keyID}, KeyIDs: s.keys.KeyIDs()}
		}
		return nil
	})
}

// checkSealedValues tries the keyring on what a database without a key
// check holds. The signing keys in use decide when there are any: serve
// made them with its key and cannot sign without them, so every one must
// open. A database that was never served has none; then at least half of
// its newest token values must open, so that a few values sealed with a
// wrong key before the check existed do not lock out the right one (their
// reveal fails until they are regenerated).
func (s *Store) checkSealedValues(ctx context.Context, tx *tx) error {
	var failed []string
	fail := func(keyID string) {
		if !slices.Contains(failed, keyID) {
			failed = append(failed, keyID)
		}
	}
	signing := 0
	err := eachRow(ctx, tx, `SELECT id, private_enc, server_key FROM signing_keys WHERE retired_at IS NULL`, func(id string, sealed []byte, keyID string) {
		signing++
		if _, err := s.keys.Open(keyID, sealed, signingAAD(id)); err != nil {
			fail(keyID)
		}
	})
	switch {
	case err != nil:
		return err
	case len(failed) > 0:
		return &KeyMismatchError{DatabaseKeyIDs: failed, KeyIDs: s.keys.KeyIDs()}
	case signing > 0:
		return nil
	}
	tried, opened := 0, 0
	err = eachRow(ctx, tx, fmt.Sprintf(`SELECT id, value_enc, value_key_id FROM login_tokens ORDER BY created_at DESC, id DESC LIMIT %d`, keyCheckSample),
		func(id string, sealed []byte, keyID string) {
			tried++
			if _, err := s.keys.Open(keyID, sealed, []byte(id)); err != nil {
				fail(keyID)
			} else {
				opened++
			}
		})
	if err != nil {
		return err
	}
	if opened*2 < tried {
		return &KeyMismatchError{DatabaseKeyIDs: failed, KeyIDs: s.keys.KeyIDs()}
	}
	return nil
}

// eachRow calls fn with each row of q, which selects an id, a sealed
// value and the id of the key that sealed it.
func eachRow(ctx context.Context, tx *tx, q string, fn func(id string, sealed []byte, keyID string)) error {
	rows, err := tx.query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, keyID string
		var sealed []byte
		if err := rows.Scan(&id, &sealed, &keyID); err != nil {
			return err
		}
		fn(id, sealed, keyID)
	}
	return rows.Err()
}

// AdoptKeyring binds the database to the keyring, whatever key it was set
// up with: for after a server key has leaked, when values sealed with it
// must no longer count. The key check is sealed anew with the current key;
// signing keys the keyring cannot open, and the root of the derived keys,
// are deleted (serve makes new ones at its next start). It reports how many signing keys it deleted and how
// many token values were sealed with a key outside the keyring: their
// reveal fails until they are regenerated. Audited, as actor.
func (s *Store) AdoptKeyring(ctx context.Context, actor lt.Actor) (deletedSigningKeys, foreignValues int, err error) {
	if s.keys == nil {
		return 0, 0, errNoKey
	}
	err = s.write(ctx, func(tx *tx) error {
		var unreadable []string
		err := eachRow(ctx, tx, `SELECT id, private_enc, server_key FROM signing_keys`, func(id string, sealed []byte, keyID string) {
			if _, err := s.keys.Open(keyID, sealed, signingAAD(id)); err != nil {
				unreadable = append(unreadable, id)
			}
		})
		if err != nil {
			return err
		}
		if len(unreadable) > 0 {
			in, args := inList(unreadable)
			if _, err := tx.exec(ctx, `DELETE FROM signing_keys WHERE id IN (`+in+`)`, args...); err != nil {
				return err
			}
		}
		deletedSigningKeys = len(unreadable)
		in, args := inList(s.keys.KeyIDs())
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens WHERE value_key_id NOT IN (`+in+`)`, args...).Scan(&foreignValues); err != nil {
			return err
		}
		// A webhook secret sealed with the leaked key is known to whoever
		// has the key and a dump: each such webhook gets a new secret
		// nobody has seen and is disabled, until an owner rotates it,
		// gives the receiver the new one and enables it again.
		var hooks []int64
		if err := eachRow(ctx, tx, `SELECT id, secret_enc, secret_key_id FROM webhooks`, func(id string, sealed []byte, keyID string) {
			n, _ := strconv.ParseInt(id, 10, 64)
			if _, err := s.keys.Open(keyID, sealed, webhookAAD(n)); err != nil {
				hooks = append(hooks, n)
			}
		}); err != nil {
			return err
		}
		for _, id := range hooks {
			_, keyID, sealed := s.sealWebhookSecret(id)
			if _, err := tx.exec(ctx, `UPDATE webhooks SET secret_enc = ?, secret_key_id = ?, enabled = ?, disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ?`,
				sealed, keyID, false, "the server key was replaced: rotate the secret, give the receiver the new one, then enable the webhook", s.now(), s.now(), id); err != nil {
				return err
			}
		}
		if len(hooks) > 0 {
			s.forgetSubscriptions()
		}
		// An authenticator secret sealed with the leaked key is known to
		// whoever has the key and a dump: its staff member's second factor
		// is reset (recovery codes and sessions with it), to be enrolled
		// anew.
		var authenticators []int64
		if err := eachRow(ctx, tx, `SELECT id, totp_secret_enc, totp_key_id FROM staff WHERE totp_key_id IS NOT NULL`, func(id string, sealed []byte, keyID string) {
			n, _ := strconv.ParseInt(id, 10, 64)
			if _, err := s.keys.Open(keyID, sealed, totpAAD(n)); err != nil {
				authenticators = append(authenticators, n)
			}
		}); err != nil {
			return err
		}
		for _, id := range authenticators {
			if err := s.resetTwoFactor(ctx, tx, id); err != nil {
				return err
			}
		}
		// The root of the derived keys was sealed with the leaked key:
		// the next start makes a new one (device cookies and provider
		// codes made before are no longer recognised).
		if _, err := tx.exec(ctx, `DELETE FROM settings WHERE name = ?`, derivationRootSetting); err != nil {
			return err
		}
		previous, _, err := getSetting(ctx, tx, keyCheckSetting)
		if err != nil {
			return err
		}
		previousKeyID, _, _ := strings.Cut(previous, ":")
		if _, err = tx.exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			keyCheckSetting, s.sealKeyCheck(), s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, lt.EventServerKeyAdopted, "", map[string]any{
			"keyId": s.keys.CurrentKeyID(), "previousKeyId": previousKeyID,
			"deletedSigningKeys": deletedSigningKeys, "foreignValues": foreignValues, "resetTwoFactor": len(authenticators)})
	})
	return deletedSigningKeys, foreignValues, err
}
