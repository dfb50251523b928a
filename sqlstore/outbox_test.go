package sqlstore_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func outboxCount(t testing.TB, s *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestChangesWriteNoOutboxMessageWithoutASubscribedWebhook(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if _, _, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookDirectoryDeleted}}); err != nil {
			t.Fatal(err)
		}
		tok := mustToken(t, s, lt.NewToken{})
		redeem(t, s, tok.Value)
		mustCustomer(t, s, "Bo", "Berg", "bo@example.com")
		if n := outboxCount(t, s); n != 0 {
			t.Fatalf("%d outbox messages for events no webhook wants", n)
		}
	})
}

func TestASubscriptionTakesEffectAtOnce(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{})
		redeem(t, s, tok.Value) // reads (and caches) that no webhook subscribes
		w, _, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookTokenRedeemed}})
		if err != nil {
			t.Fatal(err)
		}
		redeem(t, s, tok.Value)
		if n := outboxCount(t, s); n != 1 {
			t.Fatalf("%d outbox messages after a webhook subscribed, want 1", n)
		}
		off := false
		if _, err := s.UpdateWebhook(ctx, staff, w.ID, lt.WebhookUpdate{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		redeem(t, s, tok.Value)
		if n := outboxCount(t, s); n != 1 {
			t.Fatalf("a disabled webhook got a message: %d", n)
		}
		dl, _, err := s.FindWebhookDeliveries(ctx, w.ID, 1, 10)
		if err != nil || len(dl) != 1 || dl[0].Status != lt.OutboxCancelled {
			t.Fatalf("disabling left its pending delivery: %+v %v", dl, err)
		}
	})
}

// Another instance deletes a webhook while this one's cached
// subscriptions still name it: the change that would emit still commits.
func TestAWebhookDeletedElsewhereFailsNoChange(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		w, _, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookTokenRedeemed, lt.WebhookTokenCreated}})
		if err != nil {
			t.Fatal(err)
		}
		tok := mustToken(t, s, lt.NewToken{}) // caches the subscription
		// As another instance's DeleteWebhook would: this store's cache
		// does not hear of it.
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM outbox"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("DELETE FROM webhooks WHERE id = %d", w.ID)); err != nil {
			t.Fatal(err)
		}
		redeem(t, s, tok.Value)
		mustToken(t, s, lt.NewToken{})
		if n := outboxCount(t, s); n != 0 {
			t.Fatalf("%d messages for a deleted webhook", n)
		}
	})
}

func TestEnqueueWritesAllOrNothing(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		tok := mustToken(t, s, lt.NewToken{})
		_, err := s.Enqueue(ctx, staff, lt.OutboxWrite{
			Messages:     []lt.NewOutboxMessage{{Kind: lt.OutboxMail, Queue: "mail:" + tok.ID, Payload: json.RawMessage(`{"to":"a@example.com"}`)}, {Kind: ""}},
			AuditEvent:   "token.mail_queued",
			AuditTokenID: tok.ID,
		})
		wantCode(t, err, lt.EINVALID)
		if n := outboxCount(t, s); n != 0 {
			t.Fatalf("a failed enqueue left %d messages", n)
		}
		ids, err := s.Enqueue(ctx, staff, lt.OutboxWrite{
			Messages: []lt.NewOutboxMessage{{Kind: lt.OutboxMail, Queue: "mail:" + tok.ID, Payload: json.RawMessage(`{"to":"a@example.com"}`),
				Then: &lt.WebhookEvent{Type: lt.WebhookTokenSent, Key: "token:" + tok.ID, Data: map[string]any{"loginTokenId": tok.ID}}}},
			AuditEvent: "token.mail_queued", AuditTokenID: tok.ID,
		})
		if err != nil || len(ids) != 1 {
			t.Fatalf("enqueue: %v %v", ids, err)
		}
		select {
		case <-s.OutboxSignal():
		default:
			t.Fatal("the commit woke no worker")
		}
		events, _, err := s.FindTokenEvents(ctx, tok.ID, 1, 10)
		if err != nil || events[0].Type != "token.mail_queued" {
			t.Fatalf("audit: %v", err)
		}
		// A mail's Then event goes to the webhooks when it is delivered.
		w, _, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookTokenSent}})
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.ClaimOutbox(ctx, "w1", 10, time.Minute)
		if err != nil || len(msgs) != 1 || msgs[0].Kind != lt.OutboxMail || msgs[0].Attempts != 1 {
			t.Fatalf("claim: %+v %v", msgs, err)
		}
		if err := s.CompleteOutbox(ctx, msgs[0].ID, "w1", lt.DeliveryResult{Answer: "250 OK"}); err != nil {
			t.Fatal(err)
		}
		dl, _, err := s.FindWebhookDeliveries(ctx, w.ID, 1, 10)
		if err != nil || len(dl) != 1 || dl[0].Type != lt.WebhookTokenSent {
			t.Fatalf("token.sent after the mail: %+v %v", dl, err)
		}
	})
}

func TestWebhookSecretIsSealedAndRotates(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		w, secret, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookTokenCreated}})
		if err != nil {
			t.Fatal(err)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, lt.WebhookSecretPrefix))
		if err != nil || len(key) != lt.WebhookSecretBytes {
			t.Fatalf("secret %q: %v", secret, err)
		}
		var sealed []byte
		if err := s.DB().QueryRow(`SELECT secret_enc FROM webhooks`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), string(key)) || strings.Contains(string(sealed), secret) {
			t.Fatal("the secret is stored in the clear")
		}
		tgt, err := s.WebhookTarget(ctx, w.ID)
		if err != nil || string(tgt.Key) != string(key) || !tgt.Enabled {
			t.Fatalf("target: %v", err)
		}
		_, secret2, err := s.RotateWebhookSecret(ctx, staff, w.ID)
		if err != nil || secret2 == secret || !strings.HasPrefix(secret2, "whsec_") {
			t.Fatalf("rotate: %v", err)
		}
		tgt, _ = s.WebhookTarget(ctx, w.ID)
		if string(tgt.Key) == string(key) {
			t.Fatal("the old key still signs")
		}
		if err := s.DeleteWebhook(ctx, staff, w.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.WebhookTarget(ctx, w.ID)
		wantCode(t, err, lt.ENOTFOUND)
	})
}

// BenchmarkRedeemWebhook measures redeem throughput (b.RunParallel over
// 1,000 reusable tokens) with no webhook, with one subscribed to
// token.redeemed (each redeem writes an outbox message in its
// transaction), and with one subscribed and a worker draining the outbox
// at once, as serve runs it. Figures in BENCHMARKS.md:
//
//	go test -run '^$' -bench RedeemWebhook -benchtime 20000x -count 3 ./sqlstore
//
// (PostgreSQL too with LOGINTOKENS_TEST_POSTGRES_URL set.)
func BenchmarkRedeemWebhook(b *testing.B) {
	for _, kind := range sqlstoretest.Kinds {
		b.Run(kind, func(b *testing.B) {
			for _, c := range []struct {
				name   string
				events []string
				worker bool
			}{
				{"none", nil, false},
				{"other-event", []string{lt.WebhookTokenDeleted}, false},
				{"token.redeemed", []string{lt.WebhookTokenRedeemed}, false},
				{"token.redeemed+worker", []string{lt.WebhookTokenRedeemed}, true},
			} {
				b.Run(c.name, func(b *testing.B) {
					s := sqlstoretest.Open(b, kind)
					if c.events != nil {
						if _, _, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: c.events}); err != nil {
							b.Fatal(err)
						}
					}
					values := make([]string, 1000)
					for i := range values {
						tok, err := s.CreateToken(ctx, staff, lt.NewToken{})
						if err != nil {
							b.Fatal(err)
						}
						values[i] = tok.Value
					}
					stop := make(chan struct{})
					done := make(chan struct{})
					if c.worker {
						go func() {
							defer close(done)
							for {
								select {
								case <-stop:
									return
								case <-s.OutboxSignal():
								}
								msgs, err := s.ClaimOutbox(ctx, "bench", 64, time.Minute)
								if err != nil {
									b.Error(err)
									return
								}
								for _, m := range msgs {
									if err := s.CompleteOutbox(ctx, m.ID, "bench", lt.DeliveryResult{Answer: "HTTP 200"}); err != nil {
										b.Error(err)
										return
									}
								}
							}
						}()
					} else {
						close(done)
					}
					var next atomic.Int64
					cpu0 := processCPU(b)
					start := time.Now()
					b.ResetTimer()
					// 16 callers at once on two cores, as a server under load
					// has requests in flight.
					b.SetParallelism(8)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							v := values[next.Add(1)%int64(len(values))]
							res, err := s.Redeem(ctx, lt.RedeemRequest{Value: v, ClientIP: "203.0.113.9", Actor: "bench"})
							if err != nil || res.Code != "" {
								b.Errorf("redeem: %v %q", err, res.Code)
								return
							}
						}
					})
					b.StopTimer()
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "redeems/s")
					// The process's CPU per redeem (SQLite: all of it; PostgreSQL:
					// the client's side), steadier than the rate on a busy machine.
					b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/redeem")
					close(stop)
					<-done
				})
			}
		})
	}
}

func TestPruneOutboxDeletesOnlyOldSettledMessages(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		enqueue := func(queue string) {
			t.Helper()
			if _, err := s.Enqueue(ctx, staff, lt.OutboxWrite{Messages: []lt.NewOutboxMessage{{Kind: lt.OutboxMail, Queue: queue}}}); err != nil {
				t.Fatal(err)
			}
		}
		settle := func() {
			t.Helper()
			msgs, err := s.ClaimOutbox(ctx, "w", 1, time.Minute)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("claim: %v %v", msgs, err)
			}
			if err := s.CompleteOutbox(ctx, msgs[0].ID, "w", lt.DeliveryResult{}); err != nil {
				t.Fatal(err)
			}
		}
		enqueue("a")
		enqueue("a") // waits behind the first: stays pending
		settle()
		clock.Add(31 * 24 * time.Hour)
		enqueue("b")
		settle() // the older message of queue a, now delivered but recent
		n, err := s.PruneOutbox(ctx, clock.T.Add(-30*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d: %v", n, err)
		}
		if left := outboxCount(t, s); left != 2 {
			t.Fatalf("%d messages left, want the recent and the pending one", left)
		}
	})
}

// processCPU is the user and system CPU time the process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
