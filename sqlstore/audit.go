package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
)

// auditColumns are the columns an audit event is written with.
const auditColumns = `at, type, token_id, actor, client_ip, details`

const auditInsert = `INSERT INTO audit_events (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?)`

// audit records an event of token id in the transaction that does it.
func (s *Store) audit(ctx context.Context, tx *tx, actor lt.Actor, typ, tokenID string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	var tid any
	if tokenID != "" {
		tid = tokenID
	}
	if _, err := tx.exec(ctx, auditInsert, s.now(), typ, tid, actor.Name, actor.ClientIP, string(b)); err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	return nil
}

// FindTokenEvents lists a token's audit trail, newest first, with the total.
// The trail of a deleted token stays readable.
func (s *Store) FindTokenEvents(ctx context.Context, tokenID string, page, size int) ([]*lt.Event, int, error) {
	var events []*lt.Event
	var total int
	err := s.read(ctx, func(tx *tx) error {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE token_id = ?`, tokenID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.query(ctx, `SELECT id, at, type, token_id, actor, client_ip, details FROM audit_events
			WHERE token_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, tokenID, size, (page-1)*size)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := &lt.Event{}
			var details string
			if err := rows.Scan(&e.ID, dbTime{&e.At}, &e.Type, &e.TokenID, &e.Actor, &e.ClientIP, &details); err != nil {
				return err
			}
			e.Details = json.RawMessage(details)
			events = append(events, e)
		}
		return rows.Err()
	})
	return events, total, err
}

// AuditTokenEvent records an event on token id's trail on its own (a
// mail sent or failed), in a transaction of its own.
func (s *Store) AuditTokenEvent(ctx context.Context, actor lt.Actor, typ, tokenID string, details map[string]any) error {
	return s.write(ctx, func(tx *tx) error { return s.audit(ctx, tx, actor, typ, tokenID, details) })
}

// utcDay on SQLite cuts the day off the stored text, which is UTC. The
// triggers of token_attempt_days (00022) compute the day the same way.
func (sqliteDialect) utcDay(col string) string { return `substr(` + col + `, 1, 10)` }

func (postgresDialect) utcDay(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
}

// TokenAttemptDays counts token id's sign-in attempts, successful and
// failed, on each of the last days UTC days (today the last), oldest
// first: the token's rows of token_attempt_days, at most one a day, which
// triggers keep equal to a count of its token.redeemed and token.rejected
// events in the audit trail (migration 00022), as the retention thins it.
func (s *Store) TokenAttemptDays(ctx context.Context, tokenID string, days int) ([]lt.AttemptDay, error) {
	from := lt.AttemptWindow(s.now(), days)
	var counted []lt.AttemptDay
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT day, successful, failed FROM token_attempt_days
			WHERE token_id = ? AND day >= ? ORDER BY day`, tokenID, from.Format(time.DateOnly))
		if err != nil {
			return fmt.Errorf("attempts per day: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d lt.AttemptDay
			if err := rows.Scan(&d.Day, &d.Successful, &d.Failed); err != nil {
				return err
			}
			counted = append(counted, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return lt.FillAttemptDays(from, days, counted), nil
}

// StreamTokenEvents calls fn for every event of the login tokens' audit
// trails in x's range, oldest first, from one query (for exports: nothing
// is held but the row at hand). Events about no token (staff, keys,
// settings) are not among them.
func (s *Store) StreamTokenEvents(ctx context.Context, x lt.AuditExport, fn func(*lt.Event) error) error {
	return s.readExport(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT id, at, type, token_id, actor, client_ip, details FROM audit_events
			WHERE at >= ? AND at < ? AND token_id IS NOT NULL ORDER BY at, id`, x.From, x.To)
		if err != nil {
			return fmt.Errorf("export events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e := &lt.Event{}
			var details string
			if err := rows.Scan(&e.ID, dbTime{&e.At}, &e.Type, &e.TokenID, &e.Actor, &e.ClientIP, &details); err != nil {
				return err
			}
			e.Details = json.RawMessage(details)
			if err := fn(e); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// AuditRetention is how many days the audit trail keeps its events; 0 is
// forever (the default).
func (s *Store) AuditRetention(ctx context.Context) (int, error) {
	v, ok, err := s.Setting(ctx, lt.SettingAuditRetentionDays)
	if err != nil || !ok {
		return 0, err
	}
	days, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("the setting %s holds %q, not a number of days", lt.SettingAuditRetentionDays, v)
	}
	return days, nil
}

// SetAuditRetention keeps the audit trail's events days days from now on
// (0: forever), audited as actor with the days before and after.
func (s *Store) SetAuditRetention(ctx context.Context, actor lt.Actor, days int) error {
	if err := lt.CheckAuditRetention(days); err != nil {
		return err
	}
	return s.write(ctx, func(tx *tx) error {
		before := 0
		if v, ok, err := getSetting(ctx, tx, lt.SettingAuditRetentionDays); err != nil {
			return err
		} else if ok {
			before, _ = strconv.Atoi(v)
		}
		if _, err := tx.exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			lt.SettingAuditRetentionDays, strconv.Itoa(days), s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, lt.EventAuditRetentionChanged, "", map[string]any{"days": days, "previousDays": before})
	})
}

// AuditPruneBatch is how many events one statement of the pruning
// deletes: each batch is a transaction of its own, short enough that a
// redeem waiting for the writer waits a few milliseconds at most.
const AuditPruneBatch = 1000

// PruneAuditEvents deletes the audit events older than before, batch at a
// time, each batch in a transaction of its own, until none is left or ctx
// ends; it reports how many it deleted. On PostgreSQL a batch skips the
// rows another instance's pruning holds, so several instances prune side
// by side without waiting for each other or deleting a row twice.
//
// The attempts per day follow the trail: a trigger takes each deleted
// attempt off its day's count (so the cutoff's own day, pruned in part,
// still counts what is left of it), and once the events are pruned the
// days before the cutoff's day, counted down to nothing, are deleted.
func (s *Store) PruneAuditEvents(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = AuditPruneBatch
	}
	var total int64
	for ctx.Err() == nil {
		var n int64
		err := s.write(ctx, func(tx *tx) error {
			res, err := tx.exec(ctx, `DELETE FROM audit_events WHERE id IN (
				SELECT id FROM audit_events WHERE at < ? ORDER BY at, id LIMIT ?`+s.d.skipLocked()+`)`, before, batch)
			if err != nil {
				return fmt.Errorf("prune audit events: %w", err)
			}
			n, err = res.RowsAffected()
			return err
		})
		total += n
		if err != nil {
			return total, err
		}
		if n < int64(batch) {
			return total, s.pruneAttemptDays(ctx, before.UTC().Format(time.DateOnly), batch)
		}
	}
	return total, ctx.Err()
}

// pruneAttemptDays deletes the attempts per day before day (YYYY-MM-DD),
// batch at a time as PruneAuditEvents deletes events.
func (s *Store) pruneAttemptDays(ctx context.Context, day string, batch int) error {
	for ctx.Err() == nil {
		var n int64
		err := s.write(ctx, func(tx *tx) error {
			res, err := tx.exec(ctx, `DELETE FROM token_attempt_days WHERE (token_id, day) IN (
				SELECT token_id, day FROM token_attempt_days WHERE day < ? LIMIT ?`+s.d.skipLocked()+`)`, day, batch)
			if err != nil {
				return fmt.Errorf("prune attempts per day: %w", err)
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil || n < int64(batch) {
			return err
		}
	}
	return ctx.Err()
}

// PruneAuditByRetention deletes the events older than the audit
// retention allows (none when it is forever); see PruneAuditEvents.
func (s *Store) PruneAuditByRetention(ctx context.Context) (int64, error) {
	days, err := s.AuditRetention(ctx)
	if err != nil {
		return 0, err
	}
	cutoff, ok := lt.AuditCutoff(s.now(), days)
	if !ok {
		return 0, nil
	}
	return s.PruneAuditEvents(ctx, cutoff, AuditPruneBatch)
}
