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

// Redeem checks a presented value and records the attempt, in one
// transaction: the token row is locked (PostgreSQL) or the single writer
// holds the database (SQLite), and the success is counted by an update
// that requires a use left (countSuccess), so a token of N uses succeeds
// exactly N times however many clients present it at once. The outcome's order lives in
// lt.RedeemCheck.Outcome. A result with a Code is a refusal, not an error.
func (s *Store) Redeem(ctx context.Context, req lt.RedeemRequest) (lt.RedeemResult, error) {
	id, secret, err := lt.ParseValue(lt.TokenPrefix, req.Value)
	if err != nil {
		return lt.RedeemResult{Code: lt.ETOKENINVALID}, nil
	}
	selectToken := redeemByID + s.d.lockRow()
	if err := s.prepareHot(ctx, selectToken, countSuccess, countAttempt("failed_attempts"), auditInsert, outboxInsert); err != nil {
		return lt.RedeemResult{}, err
	}
	if s.d.countsInOneStatement() {
		if res, ok, err := s.redeemAtOnce(ctx, req, id, secret); err != nil || ok {
			return res, err
		}
	}
	return s.redeemLocked(ctx, req, selectToken, id, secret)
}

// redeemByID reads a token to redeem, with its secret's hash. The id is
// bound through (SELECT ?): with a plain "t.id = ?" SQLite's planner
// consults the index statistics ANALYZE keeps (sqlite_stat4) for the
// bound value, which marks the prepared statement stale at every bind
// and parses and plans it again on every redeem, on the single writer.
// The plan is the same primary-key probe.
var redeemByID = tokenSelectWithHash + ` WHERE t.id = (SELECT ?)`

// redeemLocked decides and records a redeem in a write transaction that
// holds the token's row (selectToken locks it).
func (s *Store) redeemLocked(ctx context.Context, req lt.RedeemRequest, selectToken, id, secret string) (lt.RedeemResult, error) {
	var res lt.RedeemResult
	err := s.write(ctx, func(tx *tx) error {
		var hash []byte
		tok, userActive, err := s.scanToken(tx.queryRow(ctx, selectToken, id), &hash)
		if errors.Is(err, sql.ErrNoRows) {
			res = lt.RedeemResult{Code: lt.ETOKENINVALID}
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		check := redeemCheck(req, tok, userActive, hash, id, secret)
		if !check.WrongShop && req.AnyShop && tok.ShopID != nil && check.SecretOK {
			// Where the sign-in goes on to the token's own shop, a disabled
			// shop signs nobody in: its tokens must not go elsewhere.
			var disabled bool
			if err := tx.queryRow(ctx, `SELECT disabled FROM shops WHERE id = ?`, *tok.ShopID).Scan(&disabled); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			check.WrongShop = disabled
		}
		code := check.Outcome(now)
		if code == "" {
			// A success counts only below the uses allowed, in the one
			// statement that counts it: N uses give N successes, never
			// N+1, whatever the row read above said.
			r, err := tx.exec(ctx, countSuccess, now, id)
			if err != nil {
				return fmt.Errorf("count attempt: %w", err)
			}
			if n, err := r.RowsAffected(); err != nil {
				return fmt.Errorf("count attempt: %w", err)
			} else if n == 0 {
				code = lt.ETOKENUSED
			}
		}
		if code != "" {
			if _, err := tx.exec(ctx, countAttempt("failed_attempts"), now, id); err != nil {
				return fmt.Errorf("count attempt: %w", err)
			}
		}
		event, details := redeemEvent(req, tok, check, code)
		if err := s.audit(ctx, tx, lt.Actor{Name: req.Actor, ClientIP: req.ClientIP}, event, id, details); err != nil {
			return err
		}
		if code == "" {
			tok.SuccessfulAttempts++
		} else {
			tok.FailedAttempts++
		}
		tok.LastAccessedAt = &now
		tok.Status = tok.StatusAt(now)
		if err := s.emitRedeem(ctx, tx, tok, code, req, now); err != nil {
			return err
		}
		res = lt.RedeemResult{Code: code, Token: tok}
		if code == lt.ETOKENINVALID {
			// A wrong secret learns nothing about the token.
			res.Token = nil
		}
		return nil
	})
	return res, err
}

// redeemCheck is what decides a redeem's outcome, from the token's row as
// read.
func redeemCheck(req lt.RedeemRequest, tok *lt.LoginToken, userActive bool, hash []byte, id, secret string) lt.RedeemCheck {
	return lt.RedeemCheck{SecretOK: lt.SecretMatches(hash, id, secret), Token: tok, UserActive: userActive,
		WrongShop: !req.ShopAllows(tok), ClientIP: req.ClientIP}
}

// redeemEvent is the audit event of a redeem whose outcome is code ("" a
// success) and its details.
func redeemEvent(req lt.RedeemRequest, tok *lt.LoginToken, check lt.RedeemCheck, code string) (string, map[string]any) {
	details := map[string]any{}
	if req.UserAgent != "" {
		details["userAgent"] = lt.RecordedText(req.UserAgent, 300)
	}
	if req.ShopID != 0 {
		details["shopId"] = req.ShopID
	}
	switch {
	case req.Impersonator != "":
		details["impersonator"] = req.Impersonator
	case tok.Act != nil && check.SecretOK:
		// A token staff made to open the shop as its user; a wrong
		// secret is someone else's guess, not their visit.
		details["impersonator"] = tok.Act.Sub
	}
	if code == "" {
		return lt.EventTokenRedeemed, details
	}
	details["reason"] = code
	if code == lt.ENETWORKREFUSED {
		// The audit's clientIp is the address refused; the trail says
		// what it was checked against.
		details["networks"] = tok.Networks
	}
	return lt.EventTokenRejected, details
}

// redeemAtOnce answers the common redeem, a success that nothing else
// hangs on, in two statements outside a transaction where the locked
// transaction takes five round trips (PostgreSQL): the token is read
// without a lock, and one statement counts the success and writes its
// audit event, on condition that the row is as it was read (updated_at,
// which every change of what decides an outcome sets) and has a use left.
// ok is false, with nothing written, whenever that does not hold, the
// outcome is a refusal, a webhook wants the redeem, or its shop must be
// looked up: the locked transaction then decides, as it always did.
// A value whose token does not exist is answered here, as it is there.
func (s *Store) redeemAtOnce(ctx context.Context, req lt.RedeemRequest, id, secret string) (res lt.RedeemResult, ok bool, err error) {
	if !s.unsubscribed(lt.WebhookTokenRedeemed) {
		return res, false, nil
	}
	err = s.within(ctx, s.lim.Call, func(ctx context.Context) error {
		tok, check, err := s.readToRedeem(ctx, req, id, secret, redeemByID, []any{id})
		if errors.Is(err, sql.ErrNoRows) {
			res, ok = lt.RedeemResult{Code: lt.ETOKENINVALID}, true
			return nil
		}
		if err != nil {
			return err
		}
		if ok, err = s.countAtOnce(ctx, req, tok, check, nil); ok {
			res = lt.RedeemResult{Token: tok}
		}
		return err
	})
	return res, ok, s.d.translate(err)
}

// readToRedeem reads the token of id by q (redeemByID, or a statement of
// the same columns and then those of more) and checks the presented
// secret against it; sql.ErrNoRows when there is no such token.
func (s *Store) readToRedeem(ctx context.Context, req lt.RedeemRequest, id, secret, q string, args []any, more ...any) (*lt.LoginToken, lt.RedeemCheck, error) {
	var hash []byte
	tok, userActive, err := s.scanToken(s.db.QueryRowContext(ctx, s.d.rebind(q), s.d.args(args)...), append([]any{&hash}, more...)...)
	if err != nil {
		return nil, lt.RedeemCheck{}, err
	}
	return tok, redeemCheck(req, tok, userActive, hash, id, secret), nil
}

// countAtOnce counts a success of tok, as read, in one statement with its
// audit event and, with r, the release of r's attempt (countSuccessAudited,
// countSuccessReleased). ok is false, with nothing written, when the read
// decides no success, the shop must be looked up, or the row has changed
// since or has no use left.
func (s *Store) countAtOnce(ctx context.Context, req lt.RedeemRequest, tok *lt.LoginToken, check lt.RedeemCheck, r *reservation) (ok bool, err error) {
	now := s.now()
	if check.Outcome(now) != "" || (req.AnyShop && tok.ShopID != nil) {
		return false, nil
	}
	event, details := redeemEvent(req, tok, check, "")
	b, err := json.Marshal(details)
	if err != nil {
		return false, err
	}
	q, args := countSuccessAudited, []any{now, tok.ID, tok.UpdatedAt, now, event, tok.ID, req.Actor, req.ClientIP, string(b)}
	if r != nil {
		q, args = countSuccessReleased, append(args, r.l.interval, r.l.scope, r.key)
	}
	err = s.db.QueryRowContext(ctx, s.d.rebind(q), s.d.args(args)...).Scan(&tok.SuccessfulAttempts, &tok.FailedAttempts)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // changed since it was read, or used up meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("count attempt: %w", err)
	}
	tok.LastAccessedAt = &now
	tok.Status = tok.StatusAt(now)
	return true, nil
}

// countedAudited counts a success of a token as it was read (countSuccess
// on condition of its updated_at) and writes the audit event of the
// success, in one statement (PostgreSQL).
const countedAudited = `WITH counted AS (` + countSuccess + ` AND updated_at = ?
  RETURNING successful_attempts, failed_attempts),
audited AS (INSERT INTO audit_events (` + auditColumns + `)
  SELECT ?::TIMESTAMPTZ, ?::TEXT, ?::TEXT, ?::TEXT, ?::TEXT, ?::TEXT FROM counted)`

// countSuccessAudited is countedAudited; it returns the counters after
// it, or no row when it counted nothing.
const countSuccessAudited = countedAudited + `
SELECT successful_attempts, failed_attempts FROM counted`

// countSuccessReleased is countSuccessAudited that also gives back the
// failure limit's attempt (releaseSQL) when it counted.
const countSuccessReleased = countedAudited + `,
released AS (` + releaseSQL + ` AND EXISTS (SELECT 1 FROM counted))
SELECT successful_attempts, failed_attempts FROM counted`

// reservation is an attempt of the shared failure limit l for key, taken
// in the statement that reads the token to redeem (reserveAndRead).
type reservation struct {
	l       *Limiter
	key     []byte
	now     int64
	counted bool  // whether the attempt counted
	free    int64 // when the key's attempts were all back, before
}

// reserveAndRead is redeemByID with the reservation of an attempt
// (reserveCTE), which counts only where the token exists, and then
// reservedColumns (PostgreSQL).
var reserveAndRead = `WITH ` + reserveCTE(`EXISTS (SELECT 1 FROM login_tokens WHERE id = ?)`) + "\n" +
	strings.Replace(redeemByID, "\nFROM login_tokens t", ", "+reservedColumns+"\nFROM login_tokens t", 1)

// RedeemLimited is st's Redeem with the attempt of key reserved in the
// same statement that reads the token and, where the redeem succeeds
// (redeemAtOnce's common case), given back in the statement that counts
// it: a success takes two statements, not four. As with Reserve before
// Redeem, an attempt without one left is refused (wait > 0) with nothing
// counted on the token; a refusal by the store keeps the attempt; a
// success or an error gives it back. A value whose id no token has is
// reserved alone and answered as invalid. handled is false, with nothing
// done, where this does not apply: st is not l's store, the limit is off,
// the database is not PostgreSQL, a webhook wants the redeem or the value
// is malformed; the caller then reserves and redeems as usual.
func (l *Limiter) RedeemLimited(ctx context.Context, st lt.Redeemer, req lt.RedeemRequest, key string) (res lt.RedeemResult, wait time.Duration, handled bool, err error) {
	s, _ := st.(*Store)
	if s != l.s || l.interval == 0 || !s.d.countsInOneStatement() || !s.unsubscribed(lt.WebhookTokenRedeemed) {
		return res, 0, false, nil
	}
	id, secret, err := lt.ParseValue(lt.TokenPrefix, req.Value)
	if err != nil {
		return res, 0, false, nil
	}
	r := &reservation{l: l, key: limiterKey(key), now: s.now().UnixMicro()}
	// giveBack: an error from here on is ours, and the attempt is known
	// to be counted and not yet given back. An error of the statement that
	// gives it back may come after its commit: the attempt then stays
	// counted rather than come back twice.
	var found, done, giveBack bool
	err = s.within(ctx, s.lim.Call, func(ctx context.Context) error {
		args := append(append(l.reserveArgs(r.key, r.now, id), l.scope, r.key), id)
		tok, check, err := s.readToRedeem(ctx, req, id, secret, reserveAndRead, args, &r.counted, &r.free)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		giveBack = r.counted
		if err != nil {
			return err
		}
		found = true
		if !r.counted {
			return nil
		}
		giveBack = false
		if done, err = s.countAtOnce(ctx, req, tok, check, r); done {
			res = lt.RedeemResult{Token: tok}
		}
		return err
	})
	if err = s.d.translate(err); err != nil {
		if giveBack {
			_ = l.Release(context.WithoutCancel(ctx), key)
		}
		return res, 0, true, err
	}
	if !found {
		// No token has the id: a failure, if the network has an attempt
		// left for it, as the locked transaction would answer it.
		if wait, err = l.Reserve(ctx, key); err != nil {
			return res, 0, true, fmt.Errorf("rate limit: %w", err)
		}
		if wait > 0 {
			return res, wait, true, nil
		}
		return lt.RedeemResult{Code: lt.ETOKENINVALID}, 0, true, nil
	}
	if wait = l.reserved(ctx, r.counted, r.free, r.now); wait > 0 || done {
		return res, wait, true, nil
	}
	res, err = s.redeemLocked(ctx, req, redeemByID+s.d.lockRow(), id, secret)
	if err != nil || res.Code == "" {
		// A release that fails only leaves the attempt counted.
		_ = l.Release(context.WithoutCancel(ctx), key)
	}
	return res, 0, true, err
}

// countSuccess counts a success of a token that has uses left.
const countSuccess = `UPDATE login_tokens SET successful_attempts = successful_attempts + 1, last_accessed_at = ?
  WHERE id = ? AND (max_uses IS NULL OR successful_attempts < max_uses)`

// countAttempt is the update that counts an attempt in counter.
func countAttempt(counter string) string {
	return `UPDATE login_tokens SET ` + counter + ` = ` + counter + ` + 1, last_accessed_at = ? WHERE id = ?`
}

// emitRedeem tells the webhooks that subscribe of a redeem's outcome. With
// none subscribed it costs a look at the cached subscriptions.
func (s *Store) emitRedeem(ctx context.Context, tx *tx, tok *lt.LoginToken, code string, req lt.RedeemRequest, at time.Time) error {
	typ, outcome := lt.WebhookTokenRedeemed, "success"
	if code != "" {
		typ, outcome = lt.WebhookTokenRejected, code
	}
	return s.emitIf(ctx, tx, typ, "token:"+tok.ID, func() (any, error) {
		more := map[string]any{"outcome": outcome, "at": at}
		if req.ShopID != 0 {
			more["shopId"] = req.ShopID
		}
		return tokenEventData(tok, more), nil
	})
}
