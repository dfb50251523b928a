package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/outbox"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
	"github.com/logintokens/logintokens/webhook"
)

var (
	ctx   = context.Background()
	staff = lt.Actor{Name: "staff:1", ClientIP: "192.0.2.1"}
	t0    = time.Now().UTC().Truncate(time.Second)
)

// delivery is one request a receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a webhook receiver that records what it gets and answers
// status (200 unless set).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	status atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		st := int(r.status.Load())
		if st == 0 {
			st = http.StatusOK
		}
		if st < 300 {
			r.mu.Lock()
			r.got = append(r.got, delivery{header: req.Header.Clone(), body: b})
			r.mu.Unlock()
		}
		w.WriteHeader(st)
		io.WriteString(w, "answer of the receiver")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// payload decodes a delivery's body.
type payload struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

func (d delivery) payload(t *testing.T) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(d.body, &p); err != nil {
		t.Fatalf("payload %s: %v", d.body, err)
	}
	return p
}

func newWorker(s *sqlstore.Store, clock *sqlstoretest.Clock, client *http.Client) *outbox.Worker {
	sender := &webhook.Sender{Targets: s, Client: client}
	w := &outbox.Worker{Store: s, Handlers: map[string]lt.OutboxHandler{lt.OutboxWebhook: sender.Deliver}, Batch: 8}
	if clock != nil {
		w.Now = clock.Now
	}
	return w
}

// drain runs the worker until a claim finds nothing due.
func drain(t *testing.T, w *outbox.Worker) int {
	t.Helper()
	total := 0
	for range 100 {
		n, err := w.RunOnce(ctx)
		if err != nil {
			t.Fatalf("worker: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("the worker never ran out of due messages")
	return total
}

func createWebhook(t *testing.T, s *sqlstore.Store, url string, events ...string) (*lt.Webhook, string) {
	t.Helper()
	w, secret, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: url, Events: events})
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	return w, secret
}

func mustContact(t *testing.T, s *sqlstore.Store) *lt.Contact {
	t.Helper()
	co := &lt.Company{Name: "Acme"}
	if err := s.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}}
	if err := s.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeliversSignedEventsInOrderWithoutSecrets(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		rcv := newReceiver(t)
		_, secret := createWebhook(t, s, rcv.srv.URL+"/hook?x=1", lt.WebhookTokenCreated, lt.WebhookTokenUpdated,
			lt.WebhookTokenRedeemed, lt.WebhookTokenRejected, lt.WebhookTokenDeleted)
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret %q does not start with whsec_", secret)
		}
		c := mustContact(t, s)
		tok, err := s.CreateToken(ctx, staff, lt.NewToken{ContactID: &c.ID})
		if err != nil {
			t.Fatal(err)
		}
		extra := []string{"note"}
		if _, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{Extra: &extra}); err != nil {
			t.Fatal(err)
		}
		if res, err := s.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, ClientIP: "198.51.100.7"}); err != nil || res.Code != "" {
			t.Fatalf("redeem: %v %q", err, res.Code)
		}
		wrong := tok.Value[:len(tok.Value)-4] + "AAAA"
		if res, err := s.Redeem(ctx, lt.RedeemRequest{Value: wrong, ClientIP: "198.51.100.7"}); err != nil || res.Code != lt.ETOKENINVALID {
			t.Fatalf("wrong redeem: %v %q", err, res.Code)
		}
		if err := s.DeleteToken(ctx, staff, tok.ID); err != nil {
			t.Fatal(err)
		}
		w := newWorker(s, nil, nil)
		drain(t, w)

		got := rcv.deliveries()
		want := []string{"token.created", "token.updated", "token.redeemed", "token.rejected", "token.deleted"}
		if len(got) != len(want) {
			t.Fatalf("receiver got %d deliveries, want %d", len(got), len(want))
		}
		verifier, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for i, d := range got {
			if err := verifier.Verify(d.body, d.header); err != nil {
				t.Errorf("delivery %d: the reference library refuses the signature: %v", i, err)
			}
			p := d.payload(t)
			if p.Type != want[i] {
				t.Errorf("delivery %d is %s, want %s (in order)", i, p.Type, want[i])
			}
			if ids[d.header.Get("webhook-id")] {
				t.Errorf("webhook-id %s seen twice", d.header.Get("webhook-id"))
			}
			ids[d.header.Get("webhook-id")] = true
			var data struct {
				LoginToken struct {
					ID   string `json:"id"`
					User struct {
						Email string `json:"email"`
					} `json:"user"`
				} `json:"loginToken"`
				Outcome string `json:"outcome"`
			}
			json.Unmarshal(p.Data, &data)
			if data.LoginToken.ID != tok.ID || data.LoginToken.User.Email != "ada@example.com" {
				t.Errorf("delivery %d names token %q of %q, want %s of ada@example.com", i, data.LoginToken.ID, data.LoginToken.User.Email, tok.ID)
			}
			if p.Type == "token.rejected" && data.Outcome != lt.ETOKENINVALID {
				t.Errorf("rejected outcome = %q", data.Outcome)
			}
			body := string(d.body)
			_, tokSecret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
			for _, leak := range []string{tokSecret, secret, strings.TrimPrefix(secret, "whsec_"), "ltk_"} {
				if strings.Contains(body, leak) {
					t.Errorf("delivery %d carries a secret: %s", i, body)
				}
			}
		}
	})
}

func TestSignatureVerifiesWithTheReferenceLibrary(t *testing.T) {
	secret, key := lt.NewWebhookSecret()
	body := []byte(`{"type":"token.redeemed"}`)
	now := time.Now()
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", webhook.Sign(key, "msg_1", now.Unix(), body))
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(body, h); err != nil {
		t.Fatalf("reference library: %v", err)
	}
	ref, _ := v.Sign("msg_1", time.Unix(now.Unix(), 0), body)
	if got := webhook.Sign(key, "msg_1", now.Unix(), body); got != ref {
		t.Fatalf("Sign = %s, the reference library signs %s", got, ref)
	}
	if err := v.Verify([]byte(`{"type":"token.rejected"}`), h); err == nil {
		t.Fatal("a changed body verifies")
	}
}

func TestReceiverDownThenUpIsDeliveredInOrderAfterRetry(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		rcv := newReceiver(t)
		hook, _ := createWebhook(t, s, rcv.srv.URL, lt.WebhookTokenCreated, lt.WebhookTokenUpdated)
		rcv.status.Store(http.StatusServiceUnavailable)
		tok, err := s.CreateToken(ctx, staff, lt.NewToken{})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorker(s, clock, nil)
		if n := drain(t, w); n != 1 {
			t.Fatalf("first run attempted %d messages, want 1", n)
		}
		one := true
		if _, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{OneTimeUse: &one}); err != nil {
			t.Fatal(err)
		}
		// The update waits behind the created event, which waits for
		// its retry.
		if n := drain(t, w); n != 0 {
			t.Fatalf("claimed %d messages before the retry was due (or out of order)", n)
		}
		dl, _, err := s.FindWebhookDeliveries(ctx, hook.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		first := dl[len(dl)-1]
		if first.Status != lt.OutboxPending || first.Attempts != 1 || !strings.HasPrefix(first.LastAnswer, "HTTP 503") || first.NextAttemptAt == nil {
			t.Fatalf("after a failed attempt: %+v", first)
		}
		rcv.status.Store(0)
		clock.Add(first.NextAttemptAt.Sub(clock.T) + time.Second)
		if n := drain(t, w); n != 2 {
			t.Fatalf("after the retry was due %d messages went, want 2", n)
		}
		got := rcv.deliveries()
		if len(got) != 2 || got[0].payload(t).Type != "token.created" || got[1].payload(t).Type != "token.updated" {
			t.Fatalf("deliveries after the receiver came back: %d", len(got))
		}
		dl, _, _ = s.FindWebhookDeliveries(ctx, hook.ID, 1, 10)
		if dl[1].Status != lt.OutboxDelivered || dl[1].Attempts != 2 || dl[1].LastAnswer != "HTTP 200" || dl[1].DeliveredAt == nil {
			t.Fatalf("the retried delivery: %+v", dl[1])
		}
	})
}

func TestWorkerKilledAfterClaimingIsRedeliveredAfterTheLease(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		rcv := newReceiver(t)
		createWebhook(t, s, rcv.srv.URL, lt.WebhookTokenCreated)
		if _, err := s.CreateToken(ctx, staff, lt.NewToken{}); err != nil {
			t.Fatal(err)
		}
		// A worker claims and dies before sending.
		dead, err := s.ClaimOutbox(ctx, "dead-worker", 10, time.Minute)
		if err != nil || len(dead) != 1 {
			t.Fatalf("claim: %v, %d", err, len(dead))
		}
		w := newWorker(s, clock, nil)
		if n := drain(t, w); n != 0 {
			t.Fatalf("a leased message was claimed again (%d) before its lease ran out", n)
		}
		clock.Add(time.Minute + time.Second)
		if n := drain(t, w); n != 1 {
			t.Fatalf("after the lease ran out %d messages went, want 1", n)
		}
		got := rcv.deliveries()
		if len(got) != 1 || got[0].header.Get("webhook-id") != dead[0].EventID {
			t.Fatalf("redelivery: %d deliveries", len(got))
		}
		// The dead worker, were it to wake, can no longer settle it.
		err = s.CompleteOutbox(ctx, dead[0].ID, "dead-worker", lt.DeliveryResult{Answer: "HTTP 200"})
		if lt.ErrorCode(err) != lt.ECONFLICT {
			t.Fatalf("the lost lease settled: %v", err)
		}
	})
}

func TestTwoWorkersOnOneDatabaseDeliverEachMessageOnce(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			url := sqlstoretest.URL(t, kind)
			keys := sqlstoretest.NewKeyring(t)
			open := func() *sqlstore.Store {
				s, err := sqlstore.Open(ctx, url, keys)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return s
			}
			a, b := open(), open()
			rcv := newReceiver(t)
			createWebhook(t, a, rcv.srv.URL, lt.WebhookTokenCreated, lt.WebhookTokenRedeemed)
			const tokens = 40
			for range tokens {
				tok, err := a.CreateToken(ctx, staff, lt.NewToken{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := a.Redeem(ctx, lt.RedeemRequest{Value: tok.Value}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			var claimed atomic.Int64
			for _, s := range []*sqlstore.Store{a, b} {
				for range 2 {
					w := newWorker(s, nil, nil)
					w.Batch = 3
					wg.Go(func() {
						for range 200 {
							n, err := w.RunOnce(ctx)
							if err != nil {
								t.Error(err)
								return
							}
							claimed.Add(int64(n))
							if claimed.Load() >= 2*tokens {
								return
							}
						}
					})
				}
			}
			wg.Wait()
			got := rcv.deliveries()
			seen := map[string]int{}
			for _, d := range got {
				seen[d.header.Get("webhook-id")]++
			}
			if len(got) != 2*tokens || len(seen) != 2*tokens {
				t.Fatalf("%d deliveries of %d events, want each of %d once", len(got), len(seen), 2*tokens)
			}
			if claimed.Load() != 2*tokens {
				t.Fatalf("%d claims for %d messages", claimed.Load(), 2*tokens)
			}
		})
	}
}

func TestWebhookIsDisabledAfterTheLastAttempt(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		rcv := newReceiver(t)
		rcv.status.Store(http.StatusInternalServerError)
		hook, _ := createWebhook(t, s, rcv.srv.URL, lt.WebhookTokenCreated)
		if _, err := s.CreateToken(ctx, staff, lt.NewToken{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateToken(ctx, staff, lt.NewToken{}); err != nil {
			t.Fatal(err)
		}
		w := newWorker(s, clock, nil)
		w.Batch = 1 // the second token's event waits while the first fails
		for attempt := 1; attempt <= lt.MaxAttempts; attempt++ {
			if n, err := w.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("attempt %d: claimed %d: %v", attempt, n, err)
			}
			clock.Add(2 * lt.RetryCap)
		}
		got, err := s.FindWebhookByID(ctx, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled || got.DisabledReason == nil || !strings.Contains(*got.DisabledReason, "HTTP 500") {
			t.Fatalf("after the last attempt the webhook is %+v", got)
		}
		dl, _, _ := s.FindWebhookDeliveries(ctx, hook.ID, 1, 10)
		statuses := []string{}
		for _, d := range dl {
			statuses = append(statuses, d.Status)
		}
		if len(dl) != 2 || dl[1].Status != lt.OutboxFailed || dl[1].Attempts != lt.MaxAttempts || dl[0].Status != lt.OutboxCancelled {
			t.Fatalf("deliveries: %v", statuses)
		}
		if n := drain(t, w); n != 0 {
			t.Fatalf("a disabled webhook's messages were claimed: %d", n)
		}
		// Creating a token now sends nothing to the disabled webhook.
		if _, err := s.CreateToken(ctx, staff, lt.NewToken{}); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := s.FindWebhookDeliveries(ctx, hook.ID, 1, 10); total != 2 {
			t.Fatalf("a disabled webhook got a new delivery: %d", total)
		}
		// Enabled again, the notice goes.
		on := true
		got, err = s.UpdateWebhook(ctx, staff, hook.ID, lt.WebhookUpdate{Enabled: &on})
		if err != nil || !got.Enabled || got.DisabledReason != nil {
			t.Fatalf("enable: %+v %v", got, err)
		}
	})
}

func TestRedeliverSendsTheSameWebhookIDAgain(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		rcv := newReceiver(t)
		hook, _ := createWebhook(t, s, rcv.srv.URL, lt.WebhookDirectoryCreated)
		mustContact(t, s)
		w := newWorker(s, nil, nil)
		drain(t, w)
		dl, _, _ := s.FindWebhookDeliveries(ctx, hook.ID, 1, 10)
		if len(dl) != 2 { // the company and the contact
			t.Fatalf("%d deliveries", len(dl))
		}
		m, err := s.Redeliver(ctx, staff, hook.ID, dl[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.EventID != dl[0].EventID || m.RedeliveryOf == nil || *m.RedeliveryOf != dl[0].ID {
			t.Fatalf("redelivery %+v of %+v", m, dl[0])
		}
		drain(t, w)
		got := rcv.deliveries()
		// The two first went at once, in either order; the redelivery
		// came last, the same as the contact's first.
		if len(got) != 3 || got[2].header.Get("webhook-id") != dl[0].EventID {
			t.Fatalf("redelivered: %d deliveries", len(got))
		}
		for _, d := range got[:2] {
			if d.header.Get("webhook-id") == dl[0].EventID && string(d.body) != string(got[2].body) {
				t.Fatalf("the redelivery's body differs: %s and %s", d.body, got[2].body)
			}
		}
		var data struct {
			Kind    string `json:"kind"`
			Contact struct {
				Email string `json:"email"`
			} `json:"contact"`
		}
		json.Unmarshal(got[2].payload(t).Data, &data)
		if data.Kind != "contact" || data.Contact.Email != "ada@example.com" {
			t.Fatalf("directory event data: %s", got[2].body)
		}
	})
}
