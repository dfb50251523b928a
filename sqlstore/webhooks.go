package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
)

// subsTTL bounds how long an instance acts on what it last read of the
// webhooks' subscriptions: a change made here takes effect at once, one
// made by another instance (PostgreSQL) within subsTTL.
const subsTTL = 2 * time.Second

// webhookSubs is which enabled webhooks subscribe to each event, as read
// at loaded.
type webhookSubs struct {
	byEvent map[string][]int64
	loaded  time.Time
}

// subscribers returns the enabled webhooks that subscribe to event. It
// reads them from the database at most once per subsTTL, so that a change
// that no webhook wants (every redeem, when none subscribes) costs no
// query.
func (s *Store) subscribers(ctx context.Context, tx *tx, event string) ([]int64, error) {
	if c := s.subs.Load(); c != nil && time.Since(c.loaded) < subsTTL {
		return c.byEvent[event], nil
	}
	c := &webhookSubs{byEvent: map[string][]int64{}, loaded: time.Now()}
	rows, err := tx.query(ctx, `SELECT id, events FROM webhooks WHERE enabled = ? ORDER BY id`, true)
	if err != nil {
		return nil, fmt.Errorf("read webhook subscriptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var events string
		if err := rows.Scan(&id, &events); err != nil {
			return nil, err
		}
		var list []string
		if err := json.Unmarshal([]byte(events), &list); err != nil {
			return nil, fmt.Errorf("webhook %d: bad events in database: %w", id, err)
		}
		for _, e := range list {
			c.byEvent[e] = append(c.byEvent[e], id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.subs.Store(c)
	return c.byEvent[event], nil
}

// subscribed reports whether some enabled webhook wants event: callers
// build an event's data only then.
func (s *Store) subscribed(ctx context.Context, tx *tx, event string) (bool, error) {
	ids, err := s.subscribers(ctx, tx, event)
	return len(ids) > 0, err
}

// unsubscribed reports whether the cached subscriptions, still fresh, say
// that no webhook wants event; false when they would have to be read.
func (s *Store) unsubscribed(event string) bool {
	c := s.subs.Load()
	return c != nil && time.Since(c.loaded) < subsTTL && len(c.byEvent[event]) == 0
}

// forgetSubscriptions makes the next change read the subscriptions again.
func (s *Store) forgetSubscriptions() { s.subs.Store(nil) }

// emit writes ev, in tx, for every enabled webhook that subscribes to its
// type: one message per webhook, in the webhook's queue of ev.Key.
func (s *Store) emit(ctx context.Context, tx *tx, ev lt.WebhookEvent) error {
	ids, err := s.subscribers(ctx, tx, ev.Type)
	if err != nil || len(ids) == 0 {
		return err
	}
	body, err := json.Marshal(lt.WebhookPayload{Type: ev.Type, Timestamp: s.now(), Data: ev.Data})
	if err != nil {
		return fmt.Errorf("webhook payload %s: %w", ev.Type, err)
	}
	eventID := newEventID()
	key := ev.Key
	if key == "" {
		key = eventID
	}
	for _, id := range ids {
		// The subscriptions are cached: a webhook another instance has
		// just deleted gets nothing, and the change that emits goes on.
		var one int
		err := tx.queryRow(ctx, "SELECT 1 FROM webhooks WHERE id = ?"+s.d.shareLock(), id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			s.forgetSubscriptions()
			continue
		}
		if err != nil {
			return fmt.Errorf("webhook %d: %w", id, err)
		}
		if _, err := s.enqueue(ctx, tx, outboxRow{
			NewOutboxMessage: lt.NewOutboxMessage{Kind: lt.OutboxWebhook, Queue: webhookQueue(id, key),
				Target: strconv.FormatInt(id, 10), Type: ev.Type, Payload: body},
			EventID: eventID, WebhookID: &id,
		}); err != nil {
			return err
		}
	}
	return nil
}

// emitIf is emit for an event whose data is built only when a webhook
// subscribes to it.
func (s *Store) emitIf(ctx context.Context, tx *tx, typ, key string, data func() (any, error)) error {
	if ok, err := s.subscribed(ctx, tx, typ); err != nil || !ok {
		return err
	}
	d, err := data()
	if err != nil {
		return err
	}
	return s.emit(ctx, tx, lt.WebhookEvent{Type: typ, Key: key, Data: d})
}

// tokenEventData is the data of a token's events: the token resource
// (ids, the person, times; never its value) and what else is said.
func tokenEventData(tok *lt.LoginToken, more map[string]any) map[string]any {
	d := map[string]any{"loginToken": tok}
	for k, v := range more {
		d[k] = v
	}
	return d
}

func (s *Store) emitToken(ctx context.Context, tx *tx, typ, id string, more map[string]any) error {
	return s.emitIf(ctx, tx, typ, "token:"+id, func() (any, error) {
		tok, err := s.findToken(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return tokenEventData(tok, more), nil
	})
}

// emitDirectory emits an event of a contact, customer or company.
func (s *Store) emitDirectory(ctx context.Context, tx *tx, typ, kind string, id int64, record any) error {
	return s.emitIf(ctx, tx, typ, kind+":"+strconv.FormatInt(id, 10), func() (any, error) {
		d := map[string]any{"kind": kind, "id": id}
		if record != nil {
			d[kind] = record
		}
		return d, nil
	})
}

// --- the webhooks

const webhookSelect = `SELECT id, url, events, enabled, disabled_reason, disabled_at, created_at, updated_at FROM webhooks`

func scanWebhook(r rowScanner) (*lt.Webhook, error) {
	w := &lt.Webhook{}
	var events string
	var reason sql.NullString
	if err := r.Scan(&w.ID, &w.URL, &events, &w.Enabled, &reason, nullTime{&w.DisabledAt}, dbTime{&w.CreatedAt}, dbTime{&w.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %d: bad events in database: %w", w.ID, err)
	}
	if reason.Valid {
		w.DisabledReason = &reason.String
	}
	return w, nil
}

func webhookNotFound(id int64) error {
	return &lt.Error{Code: lt.ENOTFOUND, Message: fmt.Sprintf("webhook %d not found", id)}
}

func webhookAAD(id int64) []byte { return []byte("webhook secret\x00" + strconv.FormatInt(id, 10)) }

// FindWebhooks lists every webhook by id.
func (s *Store) FindWebhooks(ctx context.Context) ([]*lt.Webhook, error) {
	out := []*lt.Webhook{}
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, webhookSelect+` ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			w, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// FindWebhookByID returns one webhook, or NOT_FOUND.
func (s *Store) FindWebhookByID(ctx context.Context, id int64) (*lt.Webhook, error) {
	var w *lt.Webhook
	err := s.read(ctx, func(tx *tx) error {
		var err error
		w, err = s.findWebhook(ctx, tx, id)
		return err
	})
	return w, err
}

func (s *Store) findWebhook(ctx context.Context, tx *tx, id int64) (*lt.Webhook, error) {
	w, err := scanWebhook(tx.queryRow(ctx, webhookSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, webhookNotFound(id)
	}
	return w, err
}

func eventsJSON(events []string) string {
	if events == nil {
		events = []string{}
	}
	b, _ := json.Marshal(events)
	return string(b)
}

// sealWebhookSecret makes a secret for webhook id, sealed with the server
// key: it must be read back to sign each delivery.
func (s *Store) sealWebhookSecret(id int64) (secret, keyID string, sealed []byte) {
	secret, key := lt.NewWebhookSecret()
	keyID, sealed = s.keys.Seal(key, webhookAAD(id))
	return secret, keyID, sealed
}

// CreateWebhook creates a webhook; its secret is answered this once.
func (s *Store) CreateWebhook(ctx context.Context, actor lt.Actor, n lt.NewWebhook) (*lt.Webhook, string, error) {
	if s.keys == nil {
		return nil, "", errNoKey
	}
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	now := s.now()
	var w *lt.Webhook
	var secret string
	err := s.write(ctx, func(tx *tx) error {
		var count int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM webhooks`).Scan(&count); err != nil {
			return err
		}
		if count >= lt.MaxWebhooks {
			return lt.Errorf(lt.ECONFLICT, "there are %d webhooks already, the most there may be", count)
		}
		var id int64
		// The secret is sealed bound to the row's id, which the insert
		// gives: a placeholder first, the sealed secret right after.
		if err := tx.queryRow(ctx, `INSERT INTO webhooks (url, events, enabled, secret_enc, secret_key_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, '', ?, ?) RETURNING id`, n.URL, eventsJSON(n.Events), true, []byte{}, now, now).Scan(&id); err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		var keyID string
		var sealed []byte
		secret, keyID, sealed = s.sealWebhookSecret(id)
		if _, err := tx.exec(ctx, `UPDATE webhooks SET secret_enc = ?, secret_key_id = ? WHERE id = ?`, sealed, keyID, id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, lt.EventWebhookCreated, "", map[string]any{"webhookId": id, "url": n.URL, "events": n.Events}); err != nil {
			return err
		}
		var err error
		w, err = s.findWebhook(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	s.forgetSubscriptions()
	return w, secret, nil
}

// UpdateWebhook applies a patch. Enabling a webhook clears the notice of
// its disabling; disabling it cancels its pending deliveries.
func (s *Store) UpdateWebhook(ctx context.Context, actor lt.Actor, id int64, upd lt.WebhookUpdate) (*lt.Webhook, error) {
	var w *lt.Webhook
	err := s.write(ctx, func(tx *tx) error {
		old, err := s.findWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		next := *old
		if err := upd.Apply(&next); err != nil {
			return err
		}
		var changed []string
		if next.URL != old.URL {
			changed = append(changed, "url")
		}
		if !slices.Equal(next.Events, old.Events) {
			changed = append(changed, "events")
		}
		if next.Enabled != old.Enabled {
			changed = append(changed, "enabled")
		}
		if len(changed) == 0 {
			w = old
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE webhooks SET url = ?, events = ?, enabled = ?, disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ?`,
			next.URL, eventsJSON(next.Events), next.Enabled, next.DisabledReason, optTime(next.DisabledAt), s.now(), id); err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		if !next.Enabled {
			if err := s.cancelWebhookDeliveries(ctx, tx, id, "the webhook was disabled"); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, actor, lt.EventWebhookUpdated, "", map[string]any{"webhookId": id, "changed": changed}); err != nil {
			return err
		}
		w, err = s.findWebhook(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.forgetSubscriptions()
	return w, nil
}

func (s *Store) cancelWebhookDeliveries(ctx context.Context, tx *tx, id int64, why string) error {
	_, err := tx.exec(ctx, `UPDATE outbox SET status = 'cancelled', next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL,
		last_answer = CASE WHEN last_answer = '' THEN ? ELSE last_answer END WHERE webhook_id = ? AND status = 'pending'`, why, id)
	return err
}

// disableWebhook disables a webhook whose deliveries keep failing, with
// the notice the backoffice shows, and cancels its pending deliveries.
func (s *Store) disableWebhook(ctx context.Context, tx *tx, id int64, reason string) error {
	now := s.now()
	res, err := tx.exec(ctx, `UPDATE webhooks SET enabled = ?, disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ? AND enabled = ?`,
		false, reason, now, now, id, true)
	if err != nil {
		return fmt.Errorf("disable webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := s.cancelWebhookDeliveries(ctx, tx, id, "the webhook was disabled after failed deliveries"); err != nil {
		return err
	}
	s.forgetSubscriptions()
	return s.audit(ctx, tx, lt.Actor{Name: "system"}, lt.EventWebhookDisabled, "", map[string]any{"webhookId": id, "reason": reason})
}

// RotateWebhookSecret gives a webhook a new secret.
func (s *Store) RotateWebhookSecret(ctx context.Context, actor lt.Actor, id int64) (*lt.Webhook, string, error) {
	if s.keys == nil {
		return nil, "", errNoKey
	}
	var w *lt.Webhook
	var secret string
	err := s.write(ctx, func(tx *tx) error {
		if _, err := s.findWebhook(ctx, tx, id); err != nil {
			return err
		}
		var keyID string
		var sealed []byte
		secret, keyID, sealed = s.sealWebhookSecret(id)
		if _, err := tx.exec(ctx, `UPDATE webhooks SET secret_enc = ?, secret_key_id = ?, updated_at = ? WHERE id = ?`, sealed, keyID, s.now(), id); err != nil {
			return fmt.Errorf("rotate webhook secret: %w", err)
		}
		if err := s.audit(ctx, tx, actor, lt.EventWebhookSecretRotated, "", map[string]any{"webhookId": id}); err != nil {
			return err
		}
		var err error
		w, err = s.findWebhook(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

// DeleteWebhook removes a webhook and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, actor lt.Actor, id int64) error {
	err := s.write(ctx, func(tx *tx) error {
		if _, err := s.findWebhook(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM outbox WHERE webhook_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		return s.audit(ctx, tx, actor, lt.EventWebhookDeleted, "", map[string]any{"webhookId": id})
	})
	if err == nil {
		s.forgetSubscriptions()
	}
	return err
}

// FindWebhookDeliveries lists a webhook's deliveries, newest first.
func (s *Store) FindWebhookDeliveries(ctx context.Context, webhookID int64, page, size int) ([]*lt.OutboxMessage, int, error) {
	limit, offset := pageArgs(page, size)
	out := []*lt.OutboxMessage{}
	var total int
	err := s.read(ctx, func(tx *tx) error {
		if _, err := s.findWebhook(ctx, tx, webhookID); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE webhook_id = ?`, webhookID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.query(ctx, outboxSelect+` WHERE webhook_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, webhookID, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanOutbox(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, total, err
}

// Redeliver sends a delivery again as a new message with the same
// webhook-id (receivers that keep the ids they saw drop it when they had
// it). It goes into a queue of its own: it is sent at once, not after the
// token's later events. A disabled webhook is refused (CONFLICT).
func (s *Store) Redeliver(ctx context.Context, actor lt.Actor, webhookID, deliveryID int64) (*lt.OutboxMessage, error) {
	var m *lt.OutboxMessage
	err := s.write(ctx, func(tx *tx) error {
		w, err := s.findWebhook(ctx, tx, webhookID)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return lt.Errorf(lt.ECONFLICT, "webhook %d is disabled: enable it first", webhookID)
		}
		old, err := s.findOutbox(ctx, tx, `id = ? AND webhook_id = ?`, deliveryID, webhookID)
		if err != nil {
			return err
		}
		if old.Status == lt.OutboxPending {
			return lt.Errorf(lt.ECONFLICT, "delivery %d is still pending", deliveryID)
		}
		id, err := s.enqueue(ctx, tx, outboxRow{
			NewOutboxMessage: lt.NewOutboxMessage{Kind: lt.OutboxWebhook, Queue: webhookQueue(webhookID, "redelivery:"+strconv.FormatInt(deliveryID, 10)+":"+lt.NewID()),
				Target: old.Target, Type: old.Type, Payload: old.Payload},
			EventID: old.EventID, WebhookID: &webhookID, RedeliveryOf: &old.ID,
		})
		if err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, lt.EventWebhookRedelivered, "", map[string]any{"webhookId": webhookID, "deliveryId": deliveryID}); err != nil {
			return err
		}
		m, err = s.findOutbox(ctx, tx, `id = ?`, id)
		return err
	})
	return m, err
}

// WebhookTarget returns a webhook's URL, state and signing key.
func (s *Store) WebhookTarget(ctx context.Context, id int64) (*lt.WebhookTarget, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	var t lt.WebhookTarget
	err := s.read(ctx, func(tx *tx) error {
		var sealed []byte
		var keyID string
		err := tx.queryRow(ctx, `SELECT url, enabled, secret_enc, secret_key_id FROM webhooks WHERE id = ?`, id).Scan(&t.URL, &t.Enabled, &sealed, &keyID)
		if errors.Is(err, sql.ErrNoRows) {
			return webhookNotFound(id)
		}
		if err != nil {
			return err
		}
		if t.Key, err = s.keys.Open(keyID, sealed, webhookAAD(id)); err != nil {
			return fmt.Errorf("webhook %d: open secret: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}
