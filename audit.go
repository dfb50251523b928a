package logintokens

import (
	"context"
	"encoding/json"
	"time"
)

// Audit event types of a login token's trail.
const (
	EventTokenCreated     = "token.created"
	EventTokenUpdated     = "token.updated"
	EventTokenRegenerated = "token.regenerated"
	EventTokenDeleted     = "token.deleted"
	EventTokenRevealed    = "token.revealed"
	EventTokenRedeemed    = "token.redeemed"
	EventTokenRejected    = "token.rejected"
)

// EventServerKeyAdopted records that the database was bound to another
// server key (its details name the key ids, never a key).
const EventServerKeyAdopted = "server_key.adopted"

// Event is one entry of the audit trail.
type Event struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Type     string          `json:"type"`
	TokenID  string          `json:"-"`
	Actor    string          `json:"actor"`
	ClientIP string          `json:"clientIp"`
	Details  json.RawMessage `json:"details"`
}

// Actor is who does something, for the audit trail.
type Actor struct {
	Name     string // "staff:1", "apikey:abc", "cli"
	ClientIP string
}

// AuditService records the events that are not about one token (staff
// sign-in, API keys); a token's events are recorded with its changes.
type AuditService interface {
	AuditEvent(ctx context.Context, actor Actor, typ string, details map[string]any) error
}
