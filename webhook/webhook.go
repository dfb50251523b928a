// Package webhook delivers the outbox's webhook messages: an HTTP POST of
// the event's JSON to the webhook's URL, signed per the Standard Webhooks
// specification (docs/webhooks.md).
package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// Targets finds what a delivery needs of its webhook.
type Targets interface {
	WebhookTarget(ctx context.Context, id int64) (*lt.WebhookTarget, error)
}

// Sender delivers webhook messages.
type Sender struct {
	Targets Targets
	// Client sends the requests; NewClient's by default.
	Client *http.Client
	// Now stamps webhook-timestamp; time.Now by default.
	Now       func() time.Time
	UserAgent string
}

// Timeout bounds one delivery, the receiver's answer included.
const Timeout = 15 * time.Second

// NewClient is the default client: it follows no redirect (a 3xx is a
// failed delivery: the URL is what staff entered) and gives up after
// Timeout.
func NewClient() *http.Client {
	return &http.Client{
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Sign answers the webhook-signature of a delivery: "v1," and the base64
// of the HMAC-SHA256 of "id.timestamp.body" keyed with key.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// maxAnswer is how much of a receiver's answer is kept for the log.
const maxAnswer = 200

// Deliver is the outbox handler of webhook messages.
func (s *Sender) Deliver(ctx context.Context, m *lt.OutboxMessage) (string, error) {
	id, err := strconv.ParseInt(m.Target, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: bad webhook id %q", lt.ErrOutboxCancel, m.Target)
	}
	t, err := s.Targets.WebhookTarget(ctx, id)
	if lt.ErrorCode(err) == lt.ENOTFOUND {
		return "", fmt.Errorf("%w: the webhook was deleted", lt.ErrOutboxCancel)
	}
	if err != nil {
		return "", err
	}
	if !t.Enabled {
		return "", fmt.Errorf("%w: the webhook is disabled", lt.ErrOutboxCancel)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	client := s.Client
	if client == nil {
		client = NewClient()
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(m.Payload))
	if err != nil {
		return "", fmt.Errorf("%w: bad URL", lt.ErrOutboxCancel)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", cmp.Or(s.UserAgent, "logintokens-webhooks"))
	req.Header.Set("webhook-id", m.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(t.Key, m.EventID, ts, m.Payload))
	resp, err := client.Do(req)
	if err != nil {
		return "", errors.New(reachError(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	answer := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return answer, nil
	}
	if text := strings.TrimSpace(lt.RecordedText(string(b), maxAnswer)); text != "" {
		answer += ": " + text
	}
	return answer, errors.New(answer)
}

// reachError says why a receiver could not be reached, without its URL
// (which may carry a secret of the receiver's in its query).
func reachError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + Timeout.String()
	}
	return lt.RecordedText(err.Error(), maxAnswer)
}
