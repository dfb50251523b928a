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

func TestWebhookURLProblem(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://crm.example.com/hooks":    true,
		"http://127.0.0.1:8080/hook":       true,
		"http://localhost/hook":            true,
		"http://[::1]:9000/":               true,
		"http://crm.example.com/hooks":     false,
		"ftp://crm.example.com/":           false,
		"https://user:pw@crm.example.com/": false,
		"https://crm.example.com/#frag":    false,
		"/relative":                        false,
		"":                                 false,
		"https://crm.example.com/a b":      false,
	} {
		if got := WebhookURLProblem(url) == ""; got != ok {
			t.Errorf("WebhookURLProblem(%q) = %q", url, WebhookURLProblem(url))
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
