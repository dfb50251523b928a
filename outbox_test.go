package logintokens

import (
	"errors"
	"testing"
	"time"
)

func TestRetriesSpanMoreThanADay(t *testing.T) {
	// The earliest the last attempt can come: every delay at its lowest
	// jitter.
	var least, most time.Duration
	for a := 1; a < MaxAttempts; a++ {
		d := RetryDelay(a)
		least += time.Duration(float64(d) * (1 - RetryJitter))
		most += time.Duration(float64(d) * (1 + RetryJitter))
	}
	if least < 24*time.Hour {
		t.Fatalf("the retries may end after %s, want at least a day", least)
	}
	if most > 48*time.Hour {
		t.Fatalf("the retries may go on for %s", most)
	}
	if RetryDelay(1) != RetryBase || RetryDelay(2) != 2*RetryBase || RetryDelay(40) != RetryCap {
		t.Fatalf("delays: %s %s %s", RetryDelay(1), RetryDelay(2), RetryDelay(40))
	}
}

func TestNextAttemptIsJitteredAndEnds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[time.Time]bool{}
	for range 20 {
		next := NextAttempt(now, 3)
		d := next.Sub(now)
		lo, hi := time.Duration(float64(RetryDelay(3))*(1-RetryJitter)), time.Duration(float64(RetryDelay(3))*(1+RetryJitter))
		if d < lo || d > hi {
			t.Fatalf("delay %s outside [%s, %s]", d, lo, hi)
		}
		seen[*next] = true
	}
	if len(seen) < 2 {
		t.Fatal("no jitter")
	}
	if NextAttempt(now, MaxAttempts) != nil {
		t.Fatal("a retry after the last attempt")
	}
}

func TestWebhookURLTakesPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://crm.example.com/hooks", true},
		{"https://crm.example.com:8443/hooks?k=v", true},
		{"http://127.0.0.1:8080/hook", true},
		{"http://127.8.9.10/hook", true},
		{"http://localhost/hook", true},
		{"http://LOCALHOST/hook", true},
		{"http://LocalHost:9000/hook", true},
		{"HTTP://localhost/hook", true},
		{"http://[::1]:9000/", true},
		{"http://[0:0:0:0:0:0:0:1]/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://[::ffff:7f00:1]:8080/", true},
		{"http://crm.example.com/hooks", false},
		{"http://10.0.0.1/hook", false},
		{"http://[::ffff:10.0.0.1]/", false},
		{"http://[::ffff:0:127.0.0.1]/", false}, // IPv4-translated, not mapped
		{"http://[::127.0.0.1]/", false},        // IPv4-compatible: ::7f00:1
		{"http://0.0.0.0/", false},
		{"http://[::]/", false},
		{"http://localhost./", false},
		{"http://a.localhost/", false},
		{"http://localhost.example.com/", false},
		{"http://127.0.0.1.nip.io/", false},
		{"http://127.1/", false},
		{"http://0177.0.0.1/", false},
		{"http://2130706433/", false},
		{"http://[::1%25lo]/", false},
		{"https://[fe80::1%25eth0]/", false},
		{"http://localhost@crm.example.com/", false},
		{"http://user:pw@localhost/", false},
		{"http://@localhost/", false},
		{"https://user:pw@crm.example.com/", false},
		{"https://:pw@crm.example.com/", false},
		{"http://localhost\\@crm.example.com/", false},
		{"https://:8443/", false},
		{"https://crm.example.com:0/", false},
		{"https://crm.example.com:65536/", false},
		{"ftp://crm.example.com/", false},
		{"https://crm.example.com/#frag", false},
		{"https://crm.example.com/#", false},
		{"/relative", false},
		{"//crm.example.com/", false},
		{"https:crm.example.com", false},
		{"", false},
		{"https://crm.example.com/a b", false},
	} {
		if got := WebhookURLProblem(c.url); (got == "") != c.ok {
			t.Errorf("WebhookURLProblem(%q) = %q, want ok=%v", c.url, got, c.ok)
		}
	}
}

func TestPublicShopURIsTakePlainHTTPOnlyToLoopback(t *testing.T) {
	for _, c := range []struct {
		uri string
		ok  bool
	}{
		{"http://LOCALHOST:3000/cb", true},
		{"http://[::ffff:127.0.0.1]/cb", true},
		{"http://[::ffff:10.0.0.1]/cb", false},
		{"http://localhost./cb", false},
		{"http://[::1%25lo]/cb", false},
		{"http://@localhost/cb", false},
		{"https://:443/cb", false},
		{"https://shop.example:70000/cb", false},
	} {
		if got := ShopURIProblem(c.uri, true); (got == "") != c.ok {
			t.Errorf("ShopURIProblem(%q, public) = %q, want ok=%v", c.uri, got, c.ok)
		}
	}
}

func TestNewWebhookValidatesEvents(t *testing.T) {
	n := NewWebhook{URL: "https://x.example/", Events: []string{"token.redeemed", "token.created", "token.redeemed"}}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(n.Events) != 2 || n.Events[0] != "token.created" {
		t.Fatalf("events = %v, want deduplicated in catalogue order", n.Events)
	}
	bad := NewWebhook{URL: "https://x.example/", Events: []string{"token.nope"}}
	err := bad.Validate()
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != "events" {
		t.Fatalf("unknown event: %v", err)
	}
	if err := (&NewWebhook{URL: "https://x.example/"}).Validate(); err == nil {
		t.Fatal("no events accepted")
	}
}
