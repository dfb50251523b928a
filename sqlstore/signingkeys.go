package sqlstore

import (
	"context"
	"fmt"

	"time"

	lt "github.com/logintokens/logintokens"
)

func signingAAD(id string) []byte { return []byte("signing key\x00" + id) }

// signingSlot is the slot of the current key of alg: "current" for the
// assertions' ES256 key, as it always was, "current-RS256" for the
// provider's.
func signingSlot(alg string) string {
	if alg == "" || alg == "ES256" {
		return "current"
	}
	return "current-" + alg
}

// SigningKeys returns the current signing key and the keys retired after
// since, newest first, decrypted.
func (s *Store) SigningKeys(ctx context.Context, since time.Time) ([]lt.SigningKey, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	var out []lt.SigningKey
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT id, private_enc, server_key, created_at, active_at, retired_at FROM signing_keys
			WHERE retired_at IS NULL OR retired_at > ? ORDER BY retired_at IS NOT NULL, created_at DESC, id`, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k lt.SigningKey
			var sealed []byte
			var serverKey string
			if err := rows.Scan(&k.ID, &sealed, &serverKey, dbTime{&k.CreatedAt}, nullTime{&k.ActiveAt}, nullTime{&k.RetiredAt}); err != nil {
				return err
			}
			if k.Private, err = s.keys.Open(serverKey, sealed, signingAAD(k.ID)); err != nil {
				return fmt.Errorf("signing key %s: %w (is LOGINTOKENS_SECRET_KEY the key this database was made with?)", k.ID, err)
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

// AddSigningKey stores k as the current key unless there is one already.
func (s *Store) AddSigningKey(ctx context.Context, k lt.SigningKey) (bool, error) {
	if s.keys == nil {
		return false, errNoKey
	}
	serverKey, sealed := s.keys.Seal(k.Private, signingAAD(k.ID))
	err := s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO signing_keys (id, private_enc, server_key, slot, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, sealed, serverKey, signingSlot(k.Alg), k.CreatedAt)
		return err
	})
	if lt.ErrorCode(err) == lt.ECONFLICT {
		return false, nil
	}
	return err == nil, err
}

// RotateSigningKey retires the current key of k's Alg and makes k the
// current one at once.
// The retired key stays published until its last assertion has expired.
func (s *Store) RotateSigningKey(ctx context.Context, k lt.SigningKey) error {
	return s.RotateSigningKeyAt(ctx, k, s.now())
}

// RotateSigningKeyAt makes k the current key of its Alg from activeAt,
// when the key it replaces retires: until then k is published and does
// not sign. A key of an earlier rotation that would sign only after
// activeAt never signs.
func (s *Store) RotateSigningKeyAt(ctx context.Context, k lt.SigningKey, activeAt time.Time) error {
	if s.keys == nil {
		return errNoKey
	}
	serverKey, sealed := s.keys.Seal(k.Private, signingAAD(k.ID))
	activeAt = activeAt.UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *tx) error {
		if _, err := tx.exec(ctx, `UPDATE signing_keys SET slot = NULL,
			retired_at = CASE WHEN active_at IS NOT NULL AND active_at > ? THEN active_at ELSE ? END WHERE slot = ?`,
			activeAt, activeAt, signingSlot(k.Alg)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO signing_keys (id, private_enc, server_key, slot, created_at, active_at) VALUES (?, ?, ?, ?, ?, ?)`,
			k.ID, sealed, serverKey, signingSlot(k.Alg), k.CreatedAt, activeAt)
		return err
	})
}
