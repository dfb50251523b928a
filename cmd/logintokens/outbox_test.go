package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	lt "github.com/logintokens/logintokens"
)

// serve runs the outbox's worker: an event of a change made by another
// process on the same database reaches the webhook, signed, and serve
// still stops cleanly.
func TestServeDeliversWebhooksAndStopsCleanly(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		type got struct {
			header http.Header
			body   []byte
		}
		received := make(chan got, 10)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			received <- got{r.Header.Clone(), b}
		}))
		defer rcv.Close()
		srv := startServe(t, db.env)
		store := db.open(t)
		ctx := context.Background()
		_, secret, err := store.CreateWebhook(ctx, lt.Actor{Name: "cli"}, lt.NewWebhook{URL: rcv.URL, Events: []string{lt.WebhookTokenCreated}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := store.CreateToken(ctx, lt.Actor{Name: "cli"}, lt.NewToken{})
		if err != nil {
			t.Fatal(err)
		}
		var g got
		select {
		case g = <-received:
		case <-time.After(60 * time.Second):
			t.Fatalf("no delivery within a minute:\n%s", srv.stderr)
		}
		v, _ := standardwebhooks.NewWebhook(secret)
		if err := v.Verify(g.body, g.header); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if !strings.Contains(string(g.body), tok.ID) {
			t.Fatalf("the delivery does not name the token: %s", g.body)
		}
		if code := srv.stop(t); code != 0 {
			t.Fatalf("serve exited %d, want 0:\n%s", code, srv.stderr)
		}
	})
}
