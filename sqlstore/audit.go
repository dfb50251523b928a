package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	lt "github.com/logintokens/logintokens"
)

const auditInsert = `INSERT INTO audit_events (at, type, token_id, actor, client_ip, details) VALUES (?, ?, ?, ?, ?, ?)`

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
