package webhook_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/webhook"
)

// oneTarget answers the same webhook for every id.
type oneTarget struct{ url string }

func (o oneTarget) WebhookTarget(context.Context, int64) (*lt.WebhookTarget, error) {
	return &lt.WebhookTarget{URL: o.url, Enabled: true, Key: []byte("0123456789abcdef0123456789abcdef")}, nil
}

func TestDeliveryLogShowsAClassifiedReasonNotTheReceiversText(t *testing.T) {
	// refused: a port that was listened on and is closed now.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/hook"
	l.Close()

	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("internal admin console: db password hunter2 at 10.1.2.3"))
	}))
	t.Cleanup(failing.Close)

	// A TLS server whose certificate the default client does not trust.
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(untrusted.Close)

	// A plain TCP service that is not HTTP: it closes at once.
	closer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	go func() {
		for {
			c, err := closer.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	for _, c := range []struct {
		name, url, want string
	}{
		{"refused", refused, "connection refused"},
		{"hanging", hanging.URL + "/hook", "timeout"},
		{"http 500", failing.URL + "/hook", "HTTP 500"},
		{"untrusted certificate", untrusted.URL + "/hook", "TLS error"},
		{"https to a plain HTTP server", strings.Replace(failing.URL, "http://", "https://", 1) + "/hook", "TLS error"},
		{"not HTTP", "http://" + closer.Addr().String() + "/hook", "connection closed without an answer"},
		{"unknown host", "https://no-such-host.invalid/hook", "host not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := webhook.NewClient()
			if c.name == "hanging" {
				client.Timeout = 200 * time.Millisecond // it never answers; any bound will do
			}
			s := &webhook.Sender{Targets: oneTarget{c.url}, Client: client}
			answer, err := s.Deliver(ctx, &lt.OutboxMessage{Target: "1", EventID: "msg_1", Payload: []byte(`{}`)})
			got := answer
			if err != nil && got == "" {
				got = err.Error()
			}
			if err == nil {
				t.Fatalf("delivery to %s succeeded: %q", c.name, answer)
			}
			if err.Error() != got {
				t.Errorf("the recorded error %q differs from the answer %q", err, got)
			}
			if c.name == "not HTTP" && (got == "connection reset" || got == "connection failed") {
				got = c.want // the receiver's close may reach the sender as a reset or a failed write
			}
			if got != c.want {
				t.Errorf("the log shows %q, want %q", got, c.want)
			}
		})
	}
}
