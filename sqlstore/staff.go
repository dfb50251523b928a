package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

func grantsColumn(g lt.Grants) string { return strings.Join(g.Strings(), ",") }

func parseGrantsColumn(s string) (lt.Grants, error) {
	if s == "" {
		return lt.Grants{}, nil
	}
	return lt.ParseGrants(strings.Split(s, ","))
}

const staffSelect = `SELECT id, email, name, grants, must_change_password, disabled, totp_enabled_at IS NOT NULL, created_at, updated_at, last_sign_in_at FROM staff`

func scanStaff(r rowScanner, more ...any) (*lt.Staff, error) {
	st := &lt.Staff{}
	var grants string
	dest := []any{&st.ID, &st.Email, &st.Name, &grants, &st.MustChangePassword, &st.Disabled, &st.TwoFactor,
		dbTime{&st.CreatedAt}, dbTime{&st.UpdatedAt}, nullTime{&st.LastSignInAt}}
	if err := r.Scan(append(dest, more...)...); err != nil {
		return nil, err
	}
	var err error
	st.Grants, err = parseGrantsColumn(grants)
	return st, err
}

// CreateStaff creates a staff member; the password is stored as argon2id.
func (s *Store) CreateStaff(ctx context.Context, n lt.NewStaff) (*lt.Staff, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash := lt.HashPassword(n.Password)
	now := s.now()
	st := &lt.Staff{Email: n.Email, Name: n.Name, Grants: n.Grants, MustChangePassword: n.MustChangePassword, CreatedAt: now, UpdatedAt: now}
	if st.Grants == nil {
		st.Grants = lt.Grants{}
	}
	err := s.write(ctx, func(tx *tx) error {
		err := tx.queryRow(ctx, `INSERT INTO staff (email, name, password_hash, grants, must_change_password, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, st.Email, st.Name, hash, grantsColumn(st.Grants), st.MustChangePassword, now, now).Scan(&st.ID)
		return conflictField(err, tx.d, "email", "a staff member with this email exists")
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// CountStaff counts staff members, disabled ones included.
func (s *Store) CountStaff(ctx context.Context) (int, error) {
	var n int
	err := s.read(ctx, func(tx *tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n)
	})
	return n, err
}

// FindStaffByID returns a staff member.
func (s *Store) FindStaffByID(ctx context.Context, id int64) (*lt.Staff, error) {
	var st *lt.Staff
	err := s.read(ctx, func(tx *tx) error {
		var err error
		st, err = scanStaff(tx.queryRow(ctx, staffSelect+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("staff member", id)
		}
		return err
	})
	return st, err
}

// AuthenticateStaff checks an email and password. Unknown email, wrong
// password and disabled staff are one UNAUTHENTICATED answer; an unknown
// email still costs one password hash so timing tells nothing.
func (s *Store) AuthenticateStaff(ctx context.Context, email, password string) (*lt.Staff, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var st *lt.Staff
	var hash string
	err := s.read(ctx, func(tx *tx) error {
		var err error
		st, err = scanStaff(tx.queryRow(ctx, strings.Replace(staffSelect, " FROM staff", ", password_hash FROM staff", 1)+` WHERE email = ?`, email), &hash)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		lt.CheckPasswordOfNoOne(password)
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !lt.CheckPassword(hash, password) || st.Disabled {
		return nil, errBadCredentials
	}
	return st, nil
}

var errBadCredentials = &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "wrong email or password"}

// SetStaffPassword replaces a staff member's password and clears or sets
// the must-change flag.
func (s *Store) SetStaffPassword(ctx context.Context, id int64, password string, mustChange bool) error {
	if len(password) < lt.MinPasswordLen {
		return lt.Invalid("password", "must be at least %d characters", lt.MinPasswordLen)
	}
	hash := lt.HashPassword(password)
	return s.write(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, `UPDATE staff SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE id = ?`, hash, mustChange, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("staff member", id)
		}
		return nil
	})
}

// --- API keys

const apiKeySelect = `SELECT id, name, kind, grants, created_at, created_by, last_used_at, revoked_at FROM api_keys`

func scanAPIKey(r rowScanner, more ...any) (*lt.APIKey, error) {
	k := &lt.APIKey{}
	var grants string
	dest := []any{&k.ID, &k.Name, &k.Kind, &grants, dbTime{&k.CreatedAt}, &k.CreatedBy, nullTime{&k.LastUsedAt}, nullTime{&k.RevokedAt}}
	if err := r.Scan(append(dest, more...)...); err != nil {
		return nil, err
	}
	var err error
	k.Grants, err = parseGrantsColumn(grants)
	return k, err
}

// CreateAPIKey creates a key and returns it with its secret value, which is
// shown this once: only its SHA-256 is kept.
func (s *Store) CreateAPIKey(ctx context.Context, n lt.NewAPIKey) (*lt.APIKey, string, error) {
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	now := s.now()
	k := &lt.APIKey{ID: lt.NewID(), Name: n.Name, Kind: n.Kind, Grants: n.Grants, CreatedAt: now, CreatedBy: n.CreatedBy}
	if k.Grants == nil {
		k.Grants = lt.Grants{}
	}
	value := lt.FormatValue(lt.APIKeyPrefix, k.ID, lt.NewSecret())
	err := s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO api_keys (id, name, kind, grants, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, string(k.Kind), grantsColumn(k.Grants), lt.SHA256(value), now, k.CreatedBy)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return k, value, nil
}

// FindAPIKeys lists every key, revoked ones included, newest first.
func (s *Store) FindAPIKeys(ctx context.Context) ([]*lt.APIKey, error) {
	var out []*lt.APIKey
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, apiKeySelect+` ORDER BY created_at DESC, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := scanAPIKey(rows)
			if err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeAPIKey revokes a key at once; revoking twice is NOT_FOUND.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &lt.Error{Code: lt.ENOTFOUND, Message: fmt.Sprintf("no active API key with id %s", id)}
		}
		return nil
	})
}

// lastUsedGranularity bounds how often a key's last-used time is written:
// a busy webshop key must not turn every redeem into two writes.
const lastUsedGranularity = time.Minute

// apiKeyAuthSelect binds the id through (SELECT ?), as redeemByID does,
// so that its prepared statement is not planned again at every bind.
var apiKeyAuthSelect = strings.Replace(apiKeySelect, " FROM api_keys", ", secret_hash FROM api_keys", 1) + ` WHERE id = (SELECT ?)`

// AuthenticateAPIKey returns the active key a value belongs to, or
// UNAUTHENTICATED. The hash is compared in constant time after the lookup
// by the public id.
func (s *Store) AuthenticateAPIKey(ctx context.Context, value string) (*lt.APIKey, error) {
	unauth := &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "missing, unknown or revoked API key"}
	id, _, err := lt.ParseValue(lt.APIKeyPrefix, value)
	if err != nil {
		return nil, unauth
	}
	// One statement, so no transaction: BEGIN and COMMIT around it would
	// be two more round trips (PostgreSQL) or statements (SQLite) on every
	// API request.
	var hash []byte
	var k *lt.APIKey
	err = s.within(ctx, s.lim.Call, func(ctx context.Context) (err error) {
		k, err = scanAPIKey(s.readRow(ctx, apiKeyAuthSelect, id), &hash)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauth
	}
	if err != nil {
		return nil, s.d.translate(err)
	}
	if !equalHash(hash, lt.SHA256(value)) || k.RevokedAt != nil {
		return nil, unauth
	}
	now := s.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedGranularity {
		err := s.write(ctx, func(tx *tx) error {
			_, err := tx.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, id)
			return err
		})
		if err != nil {
			return nil, err
		}
		k.LastUsedAt = &now
	}
	return k, nil
}

func equalHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
