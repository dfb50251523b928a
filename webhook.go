package logintokens

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook is a receiver of events: the service POSTs each event it
// subscribes to, signed per the Standard Webhooks specification with its
// secret (docs/webhooks.md).
type Webhook struct {
	ID      int64    `json:"id"`
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Enabled bool     `json:"enabled"`
	// DisabledReason says why the service disabled the webhook itself (its
	// deliveries kept failing); null when staff disabled it or it is
	// enabled.
	DisabledReason *string    `json:"disabledReason"`
	DisabledAt     *time.Time `json:"disabledAt"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

// Webhook event types. The directory's events carry the kind of record
// (contact, customer, company) in their data.
const (
	WebhookTokenCreated     = "token.created"
	WebhookTokenUpdated     = "token.updated"
	WebhookTokenDeleted     = "token.deleted"
	WebhookTokenRedeemed    = "token.redeemed"
	WebhookTokenRejected    = "token.rejected"
	WebhookTokenSent        = "token.sent"
	WebhookDirectoryCreated = "directory.created"
	WebhookDirectoryUpdated = "directory.updated"
	WebhookDirectoryDeleted = "directory.deleted"
)

// WebhookEvents lists every event a webhook may subscribe to.
var WebhookEvents = []string{
	WebhookTokenCreated, WebhookTokenUpdated, WebhookTokenDeleted, WebhookTokenRedeemed,
	WebhookTokenRejected, WebhookTokenSent, WebhookDirectoryCreated, WebhookDirectoryUpdated,
	WebhookDirectoryDeleted,
}

// WebhookSecretPrefix starts a webhook's signing secret: whsec_ and the
// base64 of 32 random bytes, the shape every Standard Webhooks library
// takes.
const WebhookSecretPrefix = "whsec_"

// WebhookSecretBytes is the length of a signing secret's key.
const WebhookSecretBytes = 32

// NewWebhookSecret returns a new signing secret and its key.
func NewWebhookSecret() (secret string, key []byte) {
	key = make([]byte, WebhookSecretBytes)
	rand.Read(key)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key), key
}

// Limits on a webhook.
const (
	MaxWebhookURLLen = 2000
	MaxWebhooks      = 50
)

// NewWebhook is what a webhook is created from.
type NewWebhook struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Validate normalizes and checks a new webhook.
func (n *NewWebhook) Validate() error {
	var v Validation
	n.URL = strings.TrimSpace(n.URL)
	if prob := WebhookURLProblem(n.URL); prob != "" {
		v.Add("url", "%s", prob)
	}
	n.Events = normalizeEvents(&v, n.Events)
	return v.Err()
}

// WebhookUpdate is a patch of a webhook: nil fields stay as they are.
// Enabling a webhook clears the notice of its disabling.
type WebhookUpdate struct {
	URL     *string   `json:"url"`
	Events  *[]string `json:"events"`
	Enabled *bool     `json:"enabled"`
}

// Apply changes w by the update and checks the result.
func (u *WebhookUpdate) Apply(w *Webhook) error {
	var v Validation
	if u.URL != nil {
		w.URL = strings.TrimSpace(*u.URL)
		if prob := WebhookURLProblem(w.URL); prob != "" {
			v.Add("url", "%s", prob)
		}
	}
	if u.Events != nil {
		w.Events = normalizeEvents(&v, *u.Events)
	}
	if u.Enabled != nil && *u.Enabled != w.Enabled {
		w.Enabled = *u.Enabled
		w.DisabledReason, w.DisabledAt = nil, nil
	}
	return v.Err()
}

func normalizeEvents(v *Validation, events []string) []string {
	if len(events) == 0 {
		v.Add("events", "give at least one event (%s)", strings.Join(WebhookEvents, ", "))
		return events
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		e = strings.TrimSpace(e)
		if !slices.Contains(WebhookEvents, e) {
			v.Add("events", "%s is not an event (%s)", QuoteInput(e), strings.Join(WebhookEvents, ", "))
			continue
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	// The catalogue's order, so that equal sets compare equal.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(WebhookEvents, a) - slices.Index(WebhookEvents, b) })
	return out
}

// WebhookURLProblem says what is wrong with a webhook's URL, or "": it
// must be an absolute https URL without user info or fragment; plain http
// only to a loopback host (development), where nothing on the way can
// read or change the events.
func WebhookURLProblem(s string) string {
	if s == "" {
		return "is required"
	}
	if prob := TextProblem(s); prob != "" {
		return prob
	}
	if len(s) > MaxWebhookURLLen {
		return "is longer than " + strconv.Itoa(MaxWebhookURLLen) + " characters"
	}
	if strings.ContainsAny(s, " \t") {
		return "holds a space"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "must be an absolute https URL"
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return "must not have a fragment (#)"
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return "must not hold a user name or password"
	}
	if prob := urlAuthorityProblem(u); prob != "" {
		return prob
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return "must use https (plain http only to localhost)"
	}
	return ""
}

// WebhookEvent is one event for the webhooks that subscribe to its type.
type WebhookEvent struct {
	Type string
	// Key orders the event among others of the same key (a token's id):
	// each webhook receives them in the order they happened.
	Key  string
	Data any
}

// WebhookPayload is the body of a delivery.
type WebhookPayload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Audit events about webhooks (token_id empty; details name the webhook).
const (
	EventWebhookCreated       = "webhook.created"
	EventWebhookUpdated       = "webhook.updated"
	EventWebhookSecretRotated = "webhook.secret_rotated"
	EventWebhookDeleted       = "webhook.deleted"
	EventWebhookDisabled      = "webhook.disabled"
	EventWebhookRedelivered   = "webhook.redelivered"
)

// WebhookTarget is what a delivery needs of its webhook.
type WebhookTarget struct {
	URL     string
	Enabled bool
	// Key is the signing key: the bytes of the secret after whsec_.
	Key []byte
}

// WebhookService keeps the webhooks and their delivery logs.
type WebhookService interface {
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	FindWebhookByID(ctx context.Context, id int64) (*Webhook, error)
	// CreateWebhook answers the webhook and its secret, this once.
	CreateWebhook(ctx context.Context, actor Actor, n NewWebhook) (*Webhook, string, error)
	UpdateWebhook(ctx context.Context, actor Actor, id int64, upd WebhookUpdate) (*Webhook, error)
	// RotateWebhookSecret answers a new secret; the old one signs nothing
	// from now on.
	RotateWebhookSecret(ctx context.Context, actor Actor, id int64) (*Webhook, string, error)
	// DeleteWebhook removes a webhook with its deliveries.
	DeleteWebhook(ctx context.Context, actor Actor, id int64) error
	// FindWebhookDeliveries lists a webhook's deliveries, newest first,
	// with the total.
	FindWebhookDeliveries(ctx context.Context, webhookID int64, page, size int) ([]*OutboxMessage, int, error)
	// Redeliver sends a delivery of a webhook again, as a new delivery
	// with the same webhook-id.
	Redeliver(ctx context.Context, actor Actor, webhookID, deliveryID int64) (*OutboxMessage, error)
	// WebhookTarget returns the URL, state and signing key of a webhook.
	WebhookTarget(ctx context.Context, id int64) (*WebhookTarget, error)
}
