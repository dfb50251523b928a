package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	lt "github.com/logintokens/logintokens"
)

// sessionTouchEvery bounds how often a session's last use is written.
const sessionTouchEvery = time.Minute

// CreateSession starts a backoffice session for a staff member and returns
// the cookie value; only its SHA-256 is stored.
func (s *Store) CreateSession(ctx context.Context, staffID int64, clientIP, userAgent string) (string, error) {
	value := lt.NewSecret() + lt.NewSecret()
	now := s.now()
	err := s.write(ctx, func(tx *tx) error {
		// Expired sessions are swept as new ones begin.
		if _, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE expires_at <= ? OR last_seen_at <= ?`, now, now.Add(-lt.SessionIdle)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO staff_sessions (id_hash, staff_id, created_at, expires_at, last_seen_at, client_ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, lt.SHA256(value), staffID, now, now.Add(lt.SessionMax), now, clientIP, lt.RecordedText(userAgent, 300)); err != nil {
			return err
		}
		return tx.run(ctx, `UPDATE staff SET last_sign_in_at = ? WHERE id = ?`, now, staffID)
	})
	if err != nil {
		return "", err
	}
	return value, nil
}

// run executes a statement whose result is not needed.
func (t *tx) run(ctx context.Context, q string, args ...any) error {
	_, err := t.exec(ctx, q, args...)
	return err
}

var errNoSession = &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "not signed in, or the session has ended"}

// FindSession returns the live session of a cookie value with its staff
// member; an unknown, ended or disabled one is UNAUTHENTICATED.
func (s *Store) FindSession(ctx context.Context, value string) (*lt.Session, error) {
	if value == "" || len(value) > 200 {
		return nil, errNoSession
	}
	now := s.now()
	sess := &lt.Session{}
	var err error
	err = s.read(ctx, func(tx *tx) error {
		var staffID int64
		if err := tx.queryRow(ctx, `SELECT staff_id, created_at, expires_at, last_seen_at FROM staff_sessions WHERE id_hash = ? AND pending = ?`,
			lt.SHA256(value), false).Scan(&staffID, dbTime{&sess.CreatedAt}, dbTime{&sess.ExpiresAt}, dbTime{&sess.LastSeenAt}); err != nil {
			return err
		}
		sess.Staff, err = scanStaff(tx.queryRow(ctx, staffSelect+` WHERE id = ?`, staffID))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(lt.SessionIdle)) || sess.Staff.Disabled {
		return nil, errNoSession
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		err := s.write(ctx, func(tx *tx) error {
			return tx.run(ctx, `UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?`, now, lt.SHA256(value))
		})
		if err != nil {
			return nil, err
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// DeleteSession ends a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, value string) error {
	return s.write(ctx, func(tx *tx) error {
		return tx.run(ctx, `DELETE FROM staff_sessions WHERE id_hash = ?`, lt.SHA256(value))
	})
}

// DeleteStaffSessions ends every session of a staff member, but keep
// (a cookie value, "" for none): after a password change the other
// sessions end.
func (s *Store) DeleteStaffSessions(ctx context.Context, staffID int64, keep string) error {
	return s.write(ctx, func(tx *tx) error {
		return tx.run(ctx, `DELETE FROM staff_sessions WHERE staff_id = ? AND id_hash <> ?`, staffID, lt.SHA256(keep))
	})
}

// AuditEvent records an event that is not about one token (staff sign-in,
// API keys).
func (s *Store) AuditEvent(ctx context.Context, actor lt.Actor, typ string, details map[string]any) error {
	return s.write(ctx, func(tx *tx) error {
		return s.audit(ctx, tx, actor, typ, "", details)
	})
}

// FindStaff lists every staff member by email.
func (s *Store) FindStaff(ctx context.Context) ([]*lt.Staff, error) {
	var out []*lt.Staff
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, staffSelect+` ORDER BY email`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			st, err := scanStaff(rows)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateStaff patches a staff member; disabling one ends its sessions.
func (s *Store) UpdateStaff(ctx context.Context, id int64, upd lt.StaffUpdate) (*lt.Staff, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	var st *lt.Staff
	err := s.write(ctx, func(tx *tx) error {
		var err error
		st, err = scanStaff(tx.queryRow(ctx, staffSelect+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("staff member", id)
		} else if err != nil {
			return err
		}
		if upd.Name != nil {
			st.Name = *upd.Name
		}
		if upd.Grants != nil {
			st.Grants = *upd.Grants
		}
		if upd.Disabled != nil {
			st.Disabled = *upd.Disabled
		}
		st.UpdatedAt = s.now()
		if err := tx.run(ctx, `UPDATE staff SET name = ?, grants = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			st.Name, grantsColumn(st.Grants), st.Disabled, st.UpdatedAt, id); err != nil {
			return err
		}
		if st.Disabled {
			return tx.run(ctx, `DELETE FROM staff_sessions WHERE staff_id = ?`, id)
		}
		return nil
	})
	return st, err
}
