package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// SealedCount is how many stored values are sealed with which server keys.
type SealedCount struct {
	// Old are sealed with a previous key of the keyring: the next Reseal
	// seals them with the current one.
	OldTokenValues, OldSigningKeys, OldWebhookSecrets, OldTOTPSecrets int
	// OldKeyCheck is true when the server key check is sealed with a
	// previous key; OldDerivationRoot, when the root of the derived keys
	// is.
	OldKeyCheck, OldDerivationRoot bool
	// Foreign are sealed with a key outside the keyring: no key given
	// opens them (see AdoptKeyring).
	ForeignTokenValues, ForeignSigningKeys, ForeignWebhookSecrets, ForeignTOTPSecrets int
}

// Old is how many values the rotation still has to seal anew.
func (c SealedCount) Old() int {
	n := c.OldTokenValues + c.OldSigningKeys + c.OldWebhookSecrets + c.OldTOTPSecrets
	if c.OldKeyCheck {
		n++
	}
	if c.OldDerivationRoot {
		n++
	}
	return n
}

// CountSealed counts the stored values sealed with a key other than the
// keyring's current one.
func (s *Store) CountSealed(ctx context.Context) (SealedCount, error) {
	var c SealedCount
	if s.keys == nil {
		return c, errNoKey
	}
	previous := s.keys.KeyIDs()[1:]
	err := s.read(ctx, func(tx *tx) error {
		all, allArgs := inList(s.keys.KeyIDs())
		if len(previous) > 0 {
			old, args := inList(previous)
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens WHERE value_key_id IN (`+old+`)`, args...).Scan(&c.OldTokenValues); err != nil {
				return err
			}
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM signing_keys WHERE server_key IN (`+old+`)`, args...).Scan(&c.OldSigningKeys); err != nil {
				return err
			}
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE secret_key_id IN (`+old+`)`, args...).Scan(&c.OldWebhookSecrets); err != nil {
				return err
			}
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM staff WHERE totp_key_id IN (`+old+`)`, args...).Scan(&c.OldTOTPSecrets); err != nil {
				return err
			}
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens WHERE value_key_id NOT IN (`+all+`)`, allArgs...).Scan(&c.ForeignTokenValues); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM signing_keys WHERE server_key NOT IN (`+all+`)`, allArgs...).Scan(&c.ForeignSigningKeys); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE secret_key_id NOT IN (`+all+`)`, allArgs...).Scan(&c.ForeignWebhookSecrets); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM staff WHERE totp_key_id NOT IN (`+all+`)`, allArgs...).Scan(&c.ForeignTOTPSecrets); err != nil {
			return err
		}
		stored, ok, err := getSetting(ctx, tx, keyCheckSetting)
		if err != nil {
			return err
		}
		keyID, _, _ := strings.Cut(stored, ":")
		c.OldKeyCheck = ok && keyID != s.keys.CurrentKeyID()
		if stored, ok, err = getSetting(ctx, tx, derivationRootSetting); err != nil {
			return err
		}
		keyID, _, _ = strings.Cut(stored, ":")
		c.OldDerivationRoot = ok && keyID != s.keys.CurrentKeyID()
		return nil
	})
	return c, err
}

// Reseal seals with the current key at most batch token values sealed
// with a previous key of the keyring, those of the tokens after the id
// after ("" from the first), in one transaction. It returns the last id
// it sealed (the next call's after) and how many it read to seal anew:
// fewer than batch when it reached the end. Each row is written only if it still
// holds what was read: a token regenerated meanwhile by an instance keeps
// its new value. Every batch stands on its own, so a rotation that stops
// halfway (a crash, a cancelled command) is resumed by calling Reseal
// again; instances go on serving meanwhile, since they open values
// sealed with either key. The signing keys, the webhooks' and the
// authenticators' secrets and the server key check go with the first batch.
func (s *Store) Reseal(ctx context.Context, after string, batch int) (last string, n int, err error) {
	if s.keys == nil {
		return "", 0, errNoKey
	}
	previous := s.keys.KeyIDs()[1:]
	if len(previous) == 0 || batch <= 0 {
		return after, 0, nil
	}
	old, oldArgs := inList(previous)
	err = s.write(ctx, func(tx *tx) error {
		n, last = 0, after
		type sealedRow struct {
			id, keyID string
			sealed    []byte
		}
		read := func(q string, args ...any) ([]sealedRow, error) {
			rows, err := tx.query(ctx, q, args...)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out []sealedRow
			for rows.Next() {
				var r sealedRow
				if err := rows.Scan(&r.id, &r.sealed, &r.keyID); err != nil {
					return nil, err
				}
				out = append(out, r)
			}
			return out, rows.Err()
		}
		signing, err := read(`SELECT id, private_enc, server_key FROM signing_keys WHERE server_key IN (`+old+`)`, oldArgs...)
		if err != nil {
			return err
		}
		for _, r := range signing {
			plain, err := s.keys.Open(r.keyID, r.sealed, signingAAD(r.id))
			if err != nil {
				return fmt.Errorf("signing key %s does not open with server key %s: %w", r.id, r.keyID, err)
			}
			keyID, sealed := s.keys.Seal(plain, signingAAD(r.id))
			if _, err := tx.exec(ctx, `UPDATE signing_keys SET private_enc = ?, server_key = ? WHERE id = ? AND server_key = ?`, sealed, keyID, r.id, r.keyID); err != nil {
				return err
			}
		}
		// The webhooks' signing secrets, which are read back to sign.
		hooks, err := read(`SELECT id, secret_enc, secret_key_id FROM webhooks WHERE secret_key_id IN (`+old+`)`, oldArgs...)
		if err != nil {
			return err
		}
		for _, r := range hooks {
			id, err := strconv.ParseInt(r.id, 10, 64)
			if err != nil {
				return fmt.Errorf("webhook id %q: %w", r.id, err)
			}
			plain, err := s.keys.Open(r.keyID, r.sealed, webhookAAD(id))
			if err != nil {
				return fmt.Errorf("the secret of webhook %d does not open with server key %s: %w", id, r.keyID, err)
			}
			keyID, sealed := s.keys.Seal(plain, webhookAAD(id))
			if _, err := tx.exec(ctx, `UPDATE webhooks SET secret_enc = ?, secret_key_id = ? WHERE id = ? AND secret_key_id = ? AND secret_enc = ?`,
				sealed, keyID, id, r.keyID, r.sealed); err != nil {
				return err
			}
		}
		// The staff's authenticator secrets, which are read back to check
		// every second-factor code.
		authenticators, err := read(`SELECT id, totp_secret_enc, totp_key_id FROM staff WHERE totp_key_id IN (`+old+`)`, oldArgs...)
		if err != nil {
			return err
		}
		for _, r := range authenticators {
			id, err := strconv.ParseInt(r.id, 10, 64)
			if err != nil {
				return fmt.Errorf("staff id %q: %w", r.id, err)
			}
			plain, err := s.keys.Open(r.keyID, r.sealed, totpAAD(id))
			if err != nil {
				return fmt.Errorf("the authenticator secret of staff member %d does not open with server key %s: %w", id, r.keyID, err)
			}
			keyID, sealed := s.keys.Seal(plain, totpAAD(id))
			if _, err := tx.exec(ctx, `UPDATE staff SET totp_secret_enc = ?, totp_key_id = ? WHERE id = ? AND totp_key_id = ? AND totp_secret_enc = ?`,
				sealed, keyID, id, r.keyID, r.sealed); err != nil {
				return err
			}
		}
		if err := s.resealKeyCheck(ctx, tx); err != nil {
			return err
		}
		if err := s.resealDerivationRoot(ctx, tx); err != nil {
			return err
		}
		// In the order of the primary key from after: each batch reads
		// on from where the last one ended, never what is done again.
		tokens, err := read(fmt.Sprintf(`SELECT id, value_enc, value_key_id FROM login_tokens WHERE id > ? AND value_key_id IN (%s) ORDER BY id LIMIT %d`, old, batch),
			append([]any{after}, oldArgs...)...)
		if err != nil {
			return err
		}
		for _, r := range tokens {
			plain, err := s.keys.Open(r.keyID, r.sealed, []byte(r.id))
			if err != nil {
				return fmt.Errorf("the value of login token %s does not open with server key %s: %w", r.id, r.keyID, err)
			}
			keyID, sealed := s.keys.Seal(plain, []byte(r.id))
			if _, err := tx.exec(ctx, `UPDATE login_tokens SET value_enc = ?, value_key_id = ? WHERE id = ? AND value_key_id = ? AND value_enc = ?`,
				sealed, keyID, r.id, r.keyID, r.sealed); err != nil {
				return err
			}
			n++
			last = r.id
		}
		return nil
	})
	return last, n, err
}

// resealKeyCheck seals the server key check with the current key when a
// previous one sealed it: once the previous key is dropped from the
// configuration, the current one alone must open the database.
func (s *Store) resealKeyCheck(ctx context.Context, tx *tx) error {
	stored, ok, err := getSetting(ctx, tx, keyCheckSetting)
	if err != nil || !ok {
		return err
	}
	keyID, enc, _ := strings.Cut(stored, ":")
	if keyID == s.keys.CurrentKeyID() {
		return nil
	}
	sealed, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return fmt.Errorf("the server key check in the settings table is damaged")
	}
	if plain, err := s.keys.Open(keyID, sealed, keyCheckAAD()); err != nil || string(plain) != keyCheckPlain {
		return &KeyMismatchError{DatabaseKeyIDs: []string{keyID}, KeyIDs: s.keys.KeyIDs()}
	}
	_, err = tx.exec(ctx, `UPDATE settings SET value = ?, updated_at = ? WHERE name = ? AND value = ?`,
		s.sealKeyCheck(), s.now(), keyCheckSetting, stored)
	return err
}

// The root of the keys the service derives for its own uses (the OpenID
// Provider's sealed codes, the backoffice's device cookies): random,
// shared by every instance, stored as "<key id>:<base64 of the root
// sealed with that server key>". A rotation of the server key seals it
// anew and leaves it as it is, so what was sealed or signed with a
// derived key stays valid across the rotation.
const derivationRootSetting = "derivation_root"

func derivationRootAAD() []byte { return []byte("setting\x00" + derivationRootSetting) }

// DerivationRoot returns the root of the derived keys, made by the first
// instance that asks (lt.DeriveKey derives from it).
func (s *Store) DerivationRoot(ctx context.Context) ([]byte, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	var root []byte
	err := s.write(ctx, func(tx *tx) error {
		stored, ok, err := getSetting(ctx, tx, derivationRootSetting)
		if err != nil {
			return err
		}
		if !ok {
			fresh := make([]byte, lt.KeySize)
			rand.Read(fresh)
			keyID, sealed := s.keys.Seal(fresh, derivationRootAAD())
			if _, err := tx.exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
				derivationRootSetting, keyID+":"+base64.RawStdEncoding.EncodeToString(sealed), s.now()); err != nil {
				return err
			}
			// Another instance may have stored its root first: what is
			// stored now counts.
			if stored, _, err = getSetting(ctx, tx, derivationRootSetting); err != nil {
				return err
			}
		}
		root, err = s.openSetting(stored, derivationRootAAD())
		return err
	})
	return root, err
}

// openSetting opens a setting's "<key id>:<base64>" sealed value.
func (s *Store) openSetting(stored string, aad []byte) ([]byte, error) {
	keyID, enc, _ := strings.Cut(stored, ":")
	sealed, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || keyID == "" {
		return nil, fmt.Errorf("a sealed setting is damaged")
	}
	plain, err := s.keys.Open(keyID, sealed, aad)
	if err != nil {
		return nil, &KeyMismatchError{DatabaseKeyIDs: []string{keyID}, KeyIDs: s.keys.KeyIDs()}
	}
	return plain, nil
}

// resealDerivationRoot seals the root of the derived keys with the
// current key when a previous one sealed it.
func (s *Store) resealDerivationRoot(ctx context.Context, tx *tx) error {
	stored, ok, err := getSetting(ctx, tx, derivationRootSetting)
	if err != nil || !ok {
		return err
	}
	if keyID, _, _ := strings.Cut(stored, ":"); keyID == s.keys.CurrentKeyID() {
		return nil
	}
	root, err := s.openSetting(stored, derivationRootAAD())
	if err != nil {
		return err
	}
	keyID, sealed := s.keys.Seal(root, derivationRootAAD())
	_, err = tx.exec(ctx, `UPDATE settings SET value = ?, updated_at = ? WHERE name = ? AND value = ?`,
		keyID+":"+base64.RawStdEncoding.EncodeToString(sealed), s.now(), derivationRootSetting, stored)
	return err
}
