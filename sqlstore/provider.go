package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

var _ lt.ProviderStore = (*Store)(nil)

func ociJSON(oci map[string]string) any {
	if len(oci) == 0 {
		return nil
	}
	b, _ := json.Marshal(oci)
	return string(b)
}

func scanOCI(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, fmt.Errorf("bad oci in database: %w", err)
	}
	return m, nil
}

var errAuthRequestGone = &lt.Error{Code: lt.ENOTFOUND, Message: "the sign-in request has expired or is unknown"}

// CreateAuthRequest stores a new authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, r *lt.AuthRequest, binding []byte) error {
	now := s.now()
	r.CreatedAt, r.ExpiresAt = now, now.Add(lt.AuthRequestLifetime)
	return s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO oidc_auth_requests (id, shop_id, request, binding_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.ID, r.ShopID, string(r.Request), binding, r.CreatedAt, r.ExpiresAt)
		return err
	})
}

const authRequestSelect = `SELECT id, shop_id, request, created_at, expires_at, subject, token_id, auth_time, oci, code_used_at
FROM oidc_auth_requests`

func scanAuthRequest(row rowScanner, more ...any) (*lt.AuthRequest, error) {
	r := &lt.AuthRequest{}
	var request string
	var subject, tokenID, oci sql.NullString
	var authTime, codeAt *time.Time
	dest := append([]any{&r.ID, &r.ShopID, &request, dbTime{&r.CreatedAt}, dbTime{&r.ExpiresAt}, &subject, &tokenID,
		nullTime{&authTime}, &oci, nullTime{&codeAt}}, more...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	r.Request, r.Subject, r.TokenID = []byte(request), subject.String, tokenID.String
	if authTime != nil {
		r.AuthTime = *authTime
	}
	if codeAt != nil {
		r.CodeIssuedAt = *codeAt
	}
	var err error
	r.OCI, err = scanOCI(oci)
	return r, err
}

// FindAuthRequest returns a live request that has not reached its code's
// exchange, and its binding.
func (s *Store) FindAuthRequest(ctx context.Context, id string) (*lt.AuthRequest, []byte, error) {
	var r *lt.AuthRequest
	var binding []byte
	err := s.read(ctx, func(tx *tx) error {
		var err error
		r, err = scanAuthRequest(tx.queryRow(ctx, strings.Replace(authRequestSelect, "\nFROM", ", binding_hash\nFROM", 1)+
			` WHERE id = ? AND expires_at > ? AND code_hash IS NULL`, id, s.now()), &binding)
		if errors.Is(err, sql.ErrNoRows) {
			return errAuthRequestGone
		}
		return err
	})
	return r, binding, err
}

// CompleteAuthRequest records the sign-in that answers a request, and
// moves the session's punchout for this shop, if any, onto it.
func (s *Store) CompleteAuthRequest(ctx context.Context, id, subject, tokenID string, authTime time.Time, session []byte) (*lt.AuthRequest, error) {
	var r *lt.AuthRequest
	err := s.write(ctx, func(tx *tx) error {
		var shopID int64
		err := tx.queryRow(ctx, `SELECT shop_id FROM oidc_auth_requests WHERE id = ? AND expires_at > ? AND code_hash IS NULL`, id, s.now()).Scan(&shopID)
		if errors.Is(err, sql.ErrNoRows) {
			return errAuthRequestGone
		}
		if err != nil {
			return err
		}
		var oci sql.NullString
		if session != nil {
			err := tx.queryRow(ctx, `SELECT oci FROM oidc_sessions WHERE id_hash = ? AND oci_shop_id = ?`, session, shopID).Scan(&oci)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if oci.Valid {
				if _, err := tx.exec(ctx, `UPDATE oidc_sessions SET oci = NULL, oci_shop_id = NULL WHERE id_hash = ?`, session); err != nil {
					return err
				}
			}
		}
		if _, err := tx.exec(ctx, `UPDATE oidc_auth_requests SET subject = ?, token_id = ?, auth_time = ?, session_hash = ?, oci = ? WHERE id = ?`,
			subject, tokenID, authTime.UTC(), session, oci, id); err != nil {
			return err
		}
		r, err = scanAuthRequest(tx.queryRow(ctx, authRequestSelect+` WHERE id = ?`, id))
		return err
	})
	return r, err
}

// SaveAuthCode stores the code's hash; the request then waits only for
// its exchange, within lt.AuthCodeLifetime.
func (s *Store) SaveAuthCode(ctx context.Context, id string, code []byte) error {
	return s.write(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, `UPDATE oidc_auth_requests SET code_hash = ?, code_used_at = NULL, expires_at = ?
			WHERE id = ? AND subject IS NOT NULL AND code_hash IS NULL AND expires_at > ?`, code, s.now().Add(lt.AuthCodeLifetime), id, s.now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errAuthRequestGone
		}
		return nil
	})
}

var errCodeRefused = &lt.Error{Code: lt.EINVALID, Message: "the code is unknown, expired or used"}

// ExchangeAuthCode consumes a code with one conditional update: of many
// exchanges at once exactly one wins. A code presented again marks its
// request replayed and revokes what it gave.
func (s *Store) ExchangeAuthCode(ctx context.Context, code []byte) (*lt.AuthRequest, error) {
	var r *lt.AuthRequest
	var replayed bool
	err := s.write(ctx, func(tx *tx) error {
		now := s.now()
		res, err := tx.exec(ctx, `UPDATE oidc_auth_requests SET code_used_at = ? WHERE code_hash = ? AND code_used_at IS NULL AND expires_at > ?`,
			now, code, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			r, err = scanAuthRequest(tx.queryRow(ctx, authRequestSelect+` WHERE code_hash = ?`, code))
			return err
		}
		var id string
		err = tx.queryRow(ctx, `SELECT id FROM oidc_auth_requests WHERE code_hash = ? AND code_used_at IS NOT NULL`, code).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // unknown or expired
		}
		if err != nil {
			return err
		}
		replayed = true
		if _, err := tx.exec(ctx, `UPDATE oidc_auth_requests SET replayed_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE oidc_access_tokens SET revoked_at = ? WHERE auth_request_id = ? AND revoked_at IS NULL`, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if r == nil {
		if replayed {
			return nil, &lt.Error{Code: lt.EINVALID, Message: "the code was used already: what it gave is revoked"}
		}
		return nil, errCodeRefused
	}
	return r, nil
}

// CreateAccessToken stores an access token unless its request's code was
// replayed: checked in the transaction that inserts it, so a replay that
// comes while the first exchange is still under way revokes it all the
// same.
func (s *Store) CreateAccessToken(ctx context.Context, t *lt.AccessToken) error {
	now := s.now()
	t.CreatedAt = now
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = now.Add(lt.AccessTokenLifetime)
	}
	return s.write(ctx, func(tx *tx) error {
		// A write to the request's row locks it (PostgreSQL) until the
		// token is stored, so a replay's revocation waits for it.
		res, err := tx.exec(ctx, `UPDATE oidc_auth_requests SET replayed_at = NULL WHERE id = ? AND replayed_at IS NULL`, t.AuthRequestID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errCodeRefused
		}
		scopes, _ := json.Marshal(t.Scopes)
		_, err = tx.exec(ctx, `INSERT INTO oidc_access_tokens (id, auth_request_id, shop_id, subject, token_id, scopes, oci, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.AuthRequestID, t.ShopID, t.Subject, t.TokenID, string(scopes), ociJSON(t.OCI), now, t.ExpiresAt)
		return err
	})
}

// FindAccessToken returns a live access token.
func (s *Store) FindAccessToken(ctx context.Context, id string) (*lt.AccessToken, error) {
	var t *lt.AccessToken
	err := s.read(ctx, func(tx *tx) error {
		t = &lt.AccessToken{}
		var scopes string
		var oci sql.NullString
		err := tx.queryRow(ctx, `SELECT id, auth_request_id, shop_id, subject, token_id, scopes, oci, created_at, expires_at
			FROM oidc_access_tokens WHERE id = ? AND revoked_at IS NULL AND expires_at > ?`, id, s.now()).
			Scan(&t.ID, &t.AuthRequestID, &t.ShopID, &t.Subject, &t.TokenID, &scopes, &oci, dbTime{&t.CreatedAt}, dbTime{&t.ExpiresAt})
		if errors.Is(err, sql.ErrNoRows) {
			return &lt.Error{Code: lt.ENOTFOUND, Message: "the access token is unknown, expired or revoked"}
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
			return fmt.Errorf("access token %s: bad scopes in database: %w", id, err)
		}
		t.OCI, err = scanOCI(oci)
		return err
	})
	return t, err
}

// RevokeAccessToken revokes a token of the shop.
func (s *Store) RevokeAccessToken(ctx context.Context, id string, shopID int64) error {
	return s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE oidc_access_tokens SET revoked_at = ? WHERE id = ? AND shop_id = ? AND revoked_at IS NULL`, s.now(), id, shopID)
		return err
	})
}

// CreateProviderSession stores a session under its cookie's hash.
func (s *Store) CreateProviderSession(ctx context.Context, id []byte, ps lt.ProviderSession) error {
	return s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO oidc_sessions (id_hash, token_id, subject, auth_time, expires_at) VALUES (?, ?, ?, ?, ?)`,
			id, ps.TokenID, ps.Subject, ps.AuthTime.UTC(), ps.ExpiresAt.UTC())
		return err
	})
}

// FindProviderSession returns a live session.
func (s *Store) FindProviderSession(ctx context.Context, id []byte) (*lt.ProviderSession, error) {
	var ps *lt.ProviderSession
	err := s.read(ctx, func(tx *tx) error {
		ps = &lt.ProviderSession{}
		err := tx.queryRow(ctx, `SELECT token_id, subject, auth_time, expires_at FROM oidc_sessions WHERE id_hash = ? AND expires_at > ?`, id, s.now()).
			Scan(&ps.TokenID, &ps.Subject, dbTime{&ps.AuthTime}, dbTime{&ps.ExpiresAt})
		if errors.Is(err, sql.ErrNoRows) {
			return &lt.Error{Code: lt.ENOTFOUND, Message: "no session"}
		}
		return err
	})
	return ps, err
}

// SetSessionOCI keeps a punchout for the shop's next authorization.
func (s *Store) SetSessionOCI(ctx context.Context, id []byte, shopID int64, oci map[string]string) error {
	return s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE oidc_sessions SET oci_shop_id = ?, oci = ? WHERE id_hash = ?`, shopID, ociJSON(oci), id)
		return err
	})
}

// DeleteProviderSession ends a session.
func (s *Store) DeleteProviderSession(ctx context.Context, id []byte) error {
	return s.write(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `DELETE FROM oidc_sessions WHERE id_hash = ?`, id)
		return err
	})
}

// DeleteExpiredProviderState removes expired requests, sessions and
// access tokens.
func (s *Store) DeleteExpiredProviderState(ctx context.Context, now time.Time) error {
	return s.write(ctx, func(tx *tx) error {
		for _, q := range []string{
			`DELETE FROM oidc_access_tokens WHERE expires_at <= ?`,
			`DELETE FROM oidc_auth_requests WHERE expires_at <= ? AND id NOT IN (SELECT auth_request_id FROM oidc_access_tokens)`,
			`DELETE FROM oidc_sessions WHERE expires_at <= ?`,
		} {
			if _, err := tx.exec(ctx, q, now.UTC()); err != nil {
				return err
			}
		}
		return nil
	})
}
