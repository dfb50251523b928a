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
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
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
		return "", errors.New(ReachError(err))
	}
	defer resp.Body.Close()
	// The receiver's body is read (so the connection is reused) but not
	// kept: the log shows its status only, as it shows a classified reason
	// for a receiver not reached, so that a webhook's URL cannot be used
	// to read what a host inside the network answers.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	answer := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return answer, nil
	}
	return answer, errors.New(answer)
}

// ReachError says in a few fixed words why a receiver could not be
// reached: "timeout", "connection refused", "TLS error", ... Never the
// error's own text, which names addresses, ports and the URL (a secret of
// the receiver's may be in its query) and would let whoever edits webhooks
// map the network the service sees.
func ReachError(err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		opErr   *net.OpError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return "timeout"
		}
		return "host not found"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return "TLS error"
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		return "TLS error"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	// Some TLS failures come as bare text from crypto/tls and net/http.
	if msg := err.Error(); strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") ||
		strings.Contains(msg, "HTTP response to HTTPS client") {
		return "TLS error"
	}
	// net/http reports a connection the receiver dropped in text at times.
	if msg := err.Error(); strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe") {
		return "connection reset"
	} else if strings.HasSuffix(msg, "EOF") || strings.Contains(msg, "transport connection broken") {
		return "connection closed without an answer"
	}
	return "connection failed"
}
