package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
)

// totpAAD binds a sealed authenticator secret to its staff member: a
// secret copied to another row opens nothing.
func totpAAD(staffID int64) []byte { return []byte("staff totp\x00" + strconv.FormatInt(staffID, 10)) }

var errWrongCode = &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "wrong, used or expired code"}

// totpState reads a staff member's sealed secret, whether it is active and
// the step of the last code accepted.
func (s *Store) totpState(ctx context.Context, tx *tx, staffID int64) (secret []byte, active bool, lastStep int64, err error) {
	var sealed []byte
	var keyID sql.NullString
	err = tx.queryRow(ctx, `SELECT totp_secret_enc, totp_key_id, totp_enabled_at IS NOT NULL, totp_last_step FROM staff WHERE id = ?`, staffID).
		Scan(&sealed, &keyID, &active, &lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, 0, notFound("staff member", staffID)
	}
	if err != nil || len(sealed) == 0 {
		return nil, false, lastStep, err
	}
	secret, err = s.keys.Open(keyID.String, sealed, totpAAD(staffID))
	if err != nil {
		return nil, false, 0, &KeyMismatchError{DatabaseKeyIDs: []string{keyID.String}, KeyIDs: s.keys.KeyIDs()}
	}
	return secret, active, lastStep, nil
}

// StartTOTP returns the secret being set up, making one when there is
// none; CONFLICT when an authenticator is active.
func (s *Store) StartTOTP(ctx context.Context, staffID int64) ([]byte, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	var secret []byte
	err := s.write(ctx, func(tx *tx) error {
		cur, active, _, err := s.totpState(ctx, tx, staffID)
		switch {
		case err != nil:
			return err
		case active:
			return lt.Errorf(lt.ECONFLICT, "two-factor sign-in is set up already; an owner can reset it")
		case cur != nil:
			secret = cur
			return nil
		}
		secret = make([]byte, lt.TOTPSecretSize)
		rand.Read(secret)
		keyID, sealed := s.keys.Seal(secret, totpAAD(staffID))
		return tx.run(ctx, `UPDATE staff SET totp_secret_enc = ?, totp_key_id = ?, totp_enabled_at = NULL, totp_last_step = 0 WHERE id = ?`, sealed, keyID, staffID)
	})
	return secret, err
}

// useStep accepts step as the last code's: only when it is after the last
// one accepted, in one conditional update, so that a code is accepted once
// even by two instances at the same moment.
func useStep(ctx context.Context, tx *tx, staffID, step int64, activate any) error {
	q := `UPDATE staff SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`
	args := []any{step, staffID, step}
	if activate != nil {
		q = `UPDATE staff SET totp_last_step = ?, totp_enabled_at = ? WHERE id = ? AND totp_last_step < ? AND totp_enabled_at IS NULL`
		args = []any{step, activate, staffID, step}
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errWrongCode
	}
	return nil
}

// ConfirmTOTP activates the secret being set up with its current code and
// returns new recovery codes.
func (s *Store) ConfirmTOTP(ctx context.Context, staffID int64, code string) ([]string, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	var codes []string
	err := s.write(ctx, func(tx *tx) error {
		secret, active, _, err := s.totpState(ctx, tx, staffID)
		switch {
		case err != nil:
			return err
		case active:
			return lt.Errorf(lt.ECONFLICT, "two-factor sign-in is set up already")
		case secret == nil:
			return lt.Errorf(lt.EINVALID, "start setting up two-factor sign-in first")
		}
		step, ok := lt.MatchTOTP(secret, code, s.now())
		if !ok {
			return errWrongCode
		}
		if err := useStep(ctx, tx, staffID, step, s.now()); err != nil {
			return err
		}
		codes, err = s.newRecoveryCodes(ctx, tx, staffID)
		return err
	})
	return codes, err
}

func (s *Store) newRecoveryCodes(ctx context.Context, tx *tx, staffID int64) ([]string, error) {
	if err := tx.run(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = ?`, staffID); err != nil {
		return nil, err
	}
	codes := make([]string, lt.RecoveryCodeCount)
	now := s.now()
	for i := range codes {
		codes[i] = lt.NewRecoveryCode()
		if err := tx.run(ctx, `INSERT INTO staff_recovery_codes (code_hash, staff_id, created_at) VALUES (?, ?, ?)`,
			lt.HashRecoveryCode(staffID, codes[i]), staffID, now); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// CheckSecondFactor checks and uses up an authenticator's code or a
// recovery code.
func (s *Store) CheckSecondFactor(ctx context.Context, staffID int64, code string) (recoveryLeft int, err error) {
	if s.keys == nil {
		return 0, errNoKey
	}
	recoveryLeft = -1
	norm := lt.NormalizeCode(code)
	err = s.write(ctx, func(tx *tx) error {
		secret, active, _, err := s.totpState(ctx, tx, staffID)
		if err != nil {
			return err
		}
		if !active {
			return errWrongCode
		}
		if lt.IsRecoveryCodeShape(norm) {
			res, err := tx.exec(ctx, `UPDATE staff_recovery_codes SET used_at = ? WHERE code_hash = ? AND staff_id = ? AND used_at IS NULL`,
				s.now(), lt.HashRecoveryCode(staffID, norm), staffID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errWrongCode
			}
			return tx.queryRow(ctx, `SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL`, staffID).Scan(&recoveryLeft)
		}
		step, ok := lt.MatchTOTP(secret, norm, s.now())
		if !ok {
			return errWrongCode
		}
		return useStep(ctx, tx, staffID, step, nil)
	})
	if err != nil {
		return 0, err
	}
	return recoveryLeft, nil
}

// RegenerateRecoveryCodes replaces the recovery codes of a staff member
// with an active authenticator.
func (s *Store) RegenerateRecoveryCodes(ctx context.Context, staffID int64) ([]string, error) {
	var codes []string
	err := s.write(ctx, func(tx *tx) error {
		var active bool
		if err := tx.queryRow(ctx, `SELECT totp_enabled_at IS NOT NULL FROM staff WHERE id = ?`, staffID).Scan(&active); errors.Is(err, sql.ErrNoRows) {
			return notFound("staff member", staffID)
		} else if err != nil {
			return err
		}
		if !active {
			return lt.Errorf(lt.EINVALID, "set up two-factor sign-in first")
		}
		var err error
		codes, err = s.newRecoveryCodes(ctx, tx, staffID)
		return err
	})
	return codes, err
}

// RecoveryCodesLeft counts the unused recovery codes of a staff member.
func (s *Store) RecoveryCodesLeft(ctx context.Context, staffID int64) (int, error) {
	var n int
	err := s.read(ctx, func(tx *tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL`, staffID).Scan(&n)
	})
	return n, err
}

// ResetTwoFactor removes a staff member's authenticator and recovery
// codes, and ends their sessions.
func (s *Store) ResetTwoFactor(ctx context.Context, staffID int64) error {
	return s.write(ctx, func(tx *tx) error { return s.resetTwoFactor(ctx, tx, staffID) })
}

func (s *Store) resetTwoFactor(ctx context.Context, tx *tx, staffID int64) error {
	res, err := tx.exec(ctx, `UPDATE staff SET totp_secret_enc = NULL, totp_key_id = NULL, totp_enabled_at = NULL, totp_last_step = 0, updated_at = ? WHERE id = ?`, s.now(), staffID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("staff member", staffID)
	}
	if err := tx.run(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = ?`, staffID); err != nil {
		return err
	}
	return tx.run(ctx, `DELETE FROM staff_sessions WHERE staff_id = ?`, staffID)
}

// TwoFactorRequired reads whether every staff member must sign in with a
// second factor.
func (s *Store) TwoFactorRequired(ctx context.Context) (bool, error) {
	v, _, err := s.Setting(ctx, lt.SettingRequireTwoFactor)
	return v == "true", err
}

// SetTwoFactorRequired turns the requirement on or off.
func (s *Store) SetTwoFactorRequired(ctx context.Context, required bool) error {
	return s.SetSetting(ctx, lt.SettingRequireTwoFactor, strconv.FormatBool(required))
}

// CreatePendingSession starts a sign-in that waits for its second factor;
// FindSession never returns it.
func (s *Store) CreatePendingSession(ctx context.Context, staffID int64, clientIP, userAgent string) (string, error) {
	value := lt.NewSecret() + lt.NewSecret()
	now := s.now()
	err := s.write(ctx, func(tx *tx) error {
		return tx.run(ctx, `INSERT INTO staff_sessions (id_hash, staff_id, created_at, expires_at, last_seen_at, client_ip, user_agent, pending)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, lt.SHA256(value), staffID, now, now.Add(lt.SecondFactorWindow), now, clientIP, lt.RecordedText(userAgent, 300), true)
	})
	if err != nil {
		return "", err
	}
	return value, nil
}

// FindPendingSession returns the staff member of a live pending sign-in.
func (s *Store) FindPendingSession(ctx context.Context, value string) (*lt.Staff, error) {
	if value == "" || len(value) > 200 {
		return nil, errNoSession
	}
	var st *lt.Staff
	var expires time.Time
	err := s.read(ctx, func(tx *tx) error {
		var staffID int64
		if err := tx.queryRow(ctx, `SELECT staff_id, expires_at FROM staff_sessions WHERE id_hash = ? AND pending = ?`, lt.SHA256(value), true).
			Scan(&staffID, dbTime{&expires}); err != nil {
			return err
		}
		var err error
		st, err = scanStaff(tx.queryRow(ctx, staffSelect+` WHERE id = ?`, staffID))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(expires) || st.Disabled {
		return nil, errNoSession
	}
	return st, nil
}
