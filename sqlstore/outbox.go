package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
)

// The outbox (see lt.OutboxService). Messages are written by enqueue in
// the transaction of the change that causes them; workers lease due
// messages with ClaimOutbox and settle them with CompleteOutbox,
// FailOutbox or CancelOutbox, each checking that it still holds the lease.

const outboxSelect = `SELECT id, kind, queue, target, event_id, type, payload, status, attempts, next_attempt_at,
  last_attempt_at, last_answer, last_duration_ms, created_at, delivered_at, redelivery_of FROM outbox`

func scanOutbox(r rowScanner) (*lt.OutboxMessage, error) {
	m := &lt.OutboxMessage{}
	var payload string
	var dur, redelivery sql.NullInt64
	if err := r.Scan(&m.ID, &m.Kind, &m.Queue, &m.Target, &m.EventID, &m.Type, &payload, &m.Status, &m.Attempts,
		nullTime{&m.NextAttemptAt}, nullTime{&m.LastAttemptAt}, &m.LastAnswer, &dur, dbTime{&m.CreatedAt},
		nullTime{&m.DeliveredAt}, &redelivery); err != nil {
		return nil, err
	}
	m.Payload = json.RawMessage(payload)
	if dur.Valid {
		m.LastDurationMillis = &dur.Int64
	}
	if redelivery.Valid {
		m.RedeliveryOf = &redelivery.Int64
	}
	return m, nil
}

// outboxRow is one row to insert.
type outboxRow struct {
	lt.NewOutboxMessage
	EventID      string
	WebhookID    *int64
	RedeliveryOf *int64
}

const outboxInsert = `INSERT INTO outbox (kind, queue, target, webhook_id, event_id, type, payload, then_event, status,
  next_attempt_at, created_at, redelivery_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id`

// enqueue writes a message in tx; the worker is woken once tx commits.
func (s *Store) enqueue(ctx context.Context, tx *tx, r outboxRow) (int64, error) {
	if r.Kind == "" {
		return 0, lt.Invalid("kind", "is required")
	}
	if r.EventID == "" {
		r.EventID = newEventID()
	}
	if r.Queue == "" {
		r.Queue = r.Kind + ":" + r.EventID
	}
	if len(r.Payload) == 0 {
		r.Payload = json.RawMessage("{}")
	}
	var then any
	if r.Then != nil {
		data, err := json.Marshal(r.Then.Data)
		if err != nil {
			return 0, fmt.Errorf("outbox: then event: %w", err)
		}
		b, err := json.Marshal(storedEvent{Type: r.Then.Type, Key: r.Then.Key, Data: data})
		if err != nil {
			return 0, fmt.Errorf("outbox: then event: %w", err)
		}
		then = string(b)
	}
	now := s.now()
	var id int64
	if err := tx.queryRow(ctx, outboxInsert, r.Kind, r.Queue, r.Target, r.WebhookID, r.EventID, r.Type, string(r.Payload),
		then, now, now, r.RedeliveryOf).Scan(&id); err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", r.Kind, err)
	}
	tx.enqueued = true
	return id, nil
}

// storedEvent is a webhook event kept for later (a message's Then).
type storedEvent struct {
	Type string          `json:"type"`
	Key  string          `json:"key"`
	Data json.RawMessage `json:"data"`
}

// newEventID is a delivery's webhook-id: unique per event, the same for
// every attempt and redelivery of it.
func newEventID() string { return "msg_" + lt.NewID() + lt.NewID()[:10] }

// Enqueue writes messages and webhook events with an optional audit
// event, in one transaction.
func (s *Store) Enqueue(ctx context.Context, actor lt.Actor, w lt.OutboxWrite) ([]int64, error) {
	var ids []int64
	err := s.write(ctx, func(tx *tx) error {
		for _, m := range w.Messages {
			id, err := s.enqueue(ctx, tx, outboxRow{NewOutboxMessage: m})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		for _, ev := range w.Events {
			if err := s.emit(ctx, tx, ev); err != nil {
				return err
			}
		}
		if w.AuditEvent != "" {
			return s.audit(ctx, tx, actor, w.AuditEvent, w.AuditTokenID, w.AuditDetails)
		}
		return nil
	})
	return ids, err
}

// OutboxSignal is readable after a transaction that enqueued something
// commits, so that a worker sends at once instead of at its next poll.
func (s *Store) OutboxSignal() <-chan struct{} { return s.outboxWake }

func (s *Store) wakeOutbox() {
	select {
	case s.outboxWake <- struct{}{}:
	default:
	}
}

// ClaimOutbox leases due messages (see lt.OutboxService). On PostgreSQL
// the rows are taken FOR UPDATE SKIP LOCKED, so that workers of several
// instances claim disjoint messages without waiting for each other; on
// SQLite the one writer serializes claims.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]*lt.OutboxMessage, error) {
	if owner == "" || limit <= 0 || lease <= 0 {
		return nil, lt.Errorf(lt.EINVALID, "claim needs an owner, a limit and a lease")
	}
	now := s.now()
	var out []*lt.OutboxMessage
	err := s.write(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, `UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, last_attempt_at = ?
			WHERE id IN (SELECT o.id FROM outbox o
				WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until <= ?)
				AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.queue = o.queue AND p.status = 'pending' AND p.id < o.id)
				ORDER BY o.id LIMIT ?`+s.d.skipLocked()+`)
			RETURNING id`, owner, now.Add(lease), now, now, now, limit)
		if err != nil {
			return fmt.Errorf("claim outbox: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		in, args := inList(ids)
		rs, err := tx.query(ctx, outboxSelect+` WHERE id IN (`+in+`) ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			m, err := scanOutbox(rs)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rs.Err()
	})
	return out, err
}

var errLeaseLost = &lt.Error{Code: lt.ECONFLICT, Message: "the outbox message is no longer leased to this worker"}

// settle updates a message owner holds, in tx; it fails with CONFLICT when
// another worker took the message over (the lease ran out).
func (s *Store) settle(ctx context.Context, tx *tx, id int64, owner, set string, args ...any) error {
	res, err := tx.exec(ctx, `UPDATE outbox SET `+set+`, lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`, append(args, id, owner)...)
	if err != nil {
		return fmt.Errorf("settle outbox message %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost
	}
	return nil
}

func durationMillis(d time.Duration) int64 { return d.Milliseconds() }

// CompleteOutbox marks a message delivered and emits its Then event.
func (s *Store) CompleteOutbox(ctx context.Context, id int64, owner string, r lt.DeliveryResult) error {
	return s.write(ctx, func(tx *tx) error {
		now := s.now()
		if err := s.settle(ctx, tx, id, owner, `status = 'delivered', delivered_at = ?, next_attempt_at = NULL, last_answer = ?, last_duration_ms = ?`,
			now, lt.RecordedText(r.Answer, 500), durationMillis(r.Took)); err != nil {
			return err
		}
		var then sql.NullString
		if err := tx.queryRow(ctx, `SELECT then_event FROM outbox WHERE id = ?`, id).Scan(&then); err != nil {
			return err
		}
		if !then.Valid {
			return nil
		}
		var ev storedEvent
		if err := json.Unmarshal([]byte(then.String), &ev); err != nil {
			return fmt.Errorf("outbox message %d: bad then event: %w", id, err)
		}
		return s.emit(ctx, tx, lt.WebhookEvent{Type: ev.Type, Key: ev.Key, Data: ev.Data})
	})
}

// FailOutbox records a failed attempt; after the last one the message has
// failed for good, and a webhook whose message failed for good is
// disabled with a notice, its other pending messages cancelled.
func (s *Store) FailOutbox(ctx context.Context, id int64, owner string, r lt.DeliveryResult, retryAt *time.Time) error {
	return s.write(ctx, func(tx *tx) error {
		answer := lt.RecordedText(r.Answer, 500)
		if retryAt != nil {
			return s.settle(ctx, tx, id, owner, `next_attempt_at = ?, last_answer = ?, last_duration_ms = ?`,
				retryAt.UTC(), answer, durationMillis(r.Took))
		}
		if err := s.settle(ctx, tx, id, owner, `status = 'failed', next_attempt_at = NULL, last_answer = ?, last_duration_ms = ?`,
			answer, durationMillis(r.Took)); err != nil {
			return err
		}
		var webhookID sql.NullInt64
		var attempts int
		if err := tx.queryRow(ctx, `SELECT webhook_id, attempts FROM outbox WHERE id = ?`, id).Scan(&webhookID, &attempts); err != nil {
			return err
		}
		if !webhookID.Valid {
			return nil
		}
		reason := fmt.Sprintf("delivery %d failed %d times in a row (last answer: %s)", id, attempts, answer)
		return s.disableWebhook(ctx, tx, webhookID.Int64, reason)
	})
}

// CancelOutbox gives up a message owner holds.
func (s *Store) CancelOutbox(ctx context.Context, id int64, owner string, why string) error {
	return s.write(ctx, func(tx *tx) error {
		return s.settle(ctx, tx, id, owner, `status = 'cancelled', next_attempt_at = NULL, last_answer = ?`, lt.RecordedText(why, 500))
	})
}

// PruneOutbox deletes settled messages last attempted (or, never
// attempted, created) before before: the delivery log keeps what is newer.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, `DELETE FROM outbox WHERE status <> 'pending' AND COALESCE(last_attempt_at, created_at) < ?`, before.UTC())
		if err != nil {
			return fmt.Errorf("prune outbox: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// findOutbox returns one message, or NOT_FOUND.
func (s *Store) findOutbox(ctx context.Context, tx *tx, q string, args ...any) (*lt.OutboxMessage, error) {
	m, err := scanOutbox(tx.queryRow(ctx, outboxSelect+` WHERE `+q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &lt.Error{Code: lt.ENOTFOUND, Message: "delivery not found"}
	}
	return m, err
}

// FindOutboxMessage returns one message of the outbox, or NOT_FOUND.
func (s *Store) FindOutboxMessage(ctx context.Context, id int64) (*lt.OutboxMessage, error) {
	var m *lt.OutboxMessage
	err := s.read(ctx, func(tx *tx) error {
		var err error
		m, err = s.findOutbox(ctx, tx, `id = ?`, id)
		return err
	})
	return m, err
}

func webhookQueue(webhookID int64, key string) string {
	return "webhook:" + strconv.FormatInt(webhookID, 10) + ":" + key
}
