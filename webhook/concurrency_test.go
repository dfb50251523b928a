package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/outbox"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
	"github.com/logintokens/logintokens/webhook"
)

func TestAHangingReceiverDelaysOnlyItsOwnDeliveries(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		// The hanging receiver answers nothing until the test ends.
		hung := make(chan struct{}, 16)
		release := make(chan struct{})
		hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hung <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(hanging.Close)

		got := make(chan payload, 16)
		prompt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- delivery{body: b}.payload(t)
		}))
		t.Cleanup(prompt.Close)

		events := []string{lt.WebhookTokenCreated, lt.WebhookTokenUpdated}
		createWebhook(t, s, hanging.URL+"/hook", events...)
		createWebhook(t, s, prompt.URL+"/hook", events...)
		c := mustContact(t, s)

		// No client timeout: only the end of the test frees the hanging
		// receiver's delivery.
		client := webhook.NewClient()
		client.Timeout = 0
		w := &outbox.Worker{Store: s, Handlers: map[string]lt.OutboxHandler{
			lt.OutboxWebhook: (&webhook.Sender{Targets: s, Client: client}).Deliver,
		}, Batch: 1, Poll: 10 * time.Millisecond, HandlerTimeout: time.Hour}
		runCtx, stop := context.WithCancel(ctx)
		finished := make(chan struct{})
		go func() { w.Run(runCtx); close(finished) }()
		t.Cleanup(func() { close(release); stop(); <-finished })

		first, err := s.CreateToken(ctx, staff, lt.NewToken{ContactID: &c.ID})
		if err != nil {
			t.Fatal(err)
		}
		<-hung // the hanging receiver holds first's token.created
		// Events that happen while it hangs reach the other receiver, in
		// the order they happened.
		second, err := s.CreateToken(ctx, staff, lt.NewToken{ContactID: &c.ID})
		if err != nil {
			t.Fatal(err)
		}
		extra := []string{"later"}
		if _, _, err := s.UpdateToken(ctx, staff, second.ID, lt.TokenUpdate{Extra: &extra}); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{first.ID: {"token.created"}, second.ID: {"token.created", "token.updated"}}
		seen := map[string][]string{}
		guard := time.After(time.Minute) // fails a worker that waits for the hanging receiver
		for n := 0; n < 3; n++ {
			select {
			case p := <-got:
				id := tokenIDOf(t, p)
				seen[id] = append(seen[id], p.Type)
			case <-guard:
				t.Fatalf("the prompt receiver got %v while the other hung, want %v", seen, want)
			}
		}
		for id, types := range want {
			if len(seen[id]) != len(types) || (len(types) == 2 && seen[id][1] != types[1]) {
				t.Errorf("token %s: the prompt receiver got %v, want %v in order", id, seen[id], types)
			}
		}
	})
}

func tokenIDOf(t *testing.T, p payload) string {
	t.Helper()
	var data struct {
		LoginToken struct {
			ID string `json:"id"`
		} `json:"loginToken"`
	}
	if err := json.Unmarshal(p.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data.LoginToken.ID
}
