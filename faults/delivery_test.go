package faults

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// receiver is a webhook receiver on a fixed loopback port that can be
// stopped and started again: it records each delivery's webhook-id and
// the token its event is about.
type receiver struct {
	t    *testing.T
	addr string
	srv  *http.Server

	mu         sync.Mutex
	deliveries int
	tokenOf    map[string]string // webhook-id -> token id
}

func newReceiver(t *testing.T) *receiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, addr: ln.Addr().String(), tokenOf: map[string]string{}}
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) serve(ln net.Listener) {
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var ev struct {
			Type string
			Data struct{ LoginToken struct{ ID string } }
		}
		if json.Unmarshal(b, &ev) != nil || ev.Type != "token.redeemed" {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.deliveries++
		r.tokenOf[req.Header.Get("webhook-id")] = ev.Data.LoginToken.ID
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go r.srv.Serve(ln)
}

func (r *receiver) stop() { r.srv.Close() }

// start listens again on the same port.
func (r *receiver) start() {
	r.t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("listen again on %s: %v", r.addr, err)
	}
	r.serve(ln)
}

// events is how many distinct events arrived, and for how many tokens.
func (r *receiver) events() (ids int, tokens map[string]int, deliveries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tokens = map[string]int{}
	for _, tok := range r.tokenOf {
		tokens[tok]++
	}
	return len(r.tokenOf), tokens, r.deliveries
}

// A webhook receiver stopped and started again, and the service killed
// with SIGKILL and started again, while tokens are redeemed: afterwards
// every redeem's event has arrived, once or as duplicates with one
// webhook-id, none lost; on both databases.
func TestWebhookEventsOutliveAReceiverOutageAndSIGKILL(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			key := make([]byte, 32)
			rand.Read(key)
			env := []string{"LOGINTOKENS_DATABASE_URL=" + sqlstoretest.URL(t, kind),
				"LOGINTOKENS_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
			srv := startService(t, env)
			webshop, admin := keys(t, env)
			rcv := newReceiver(t)
			want(t, 201, nil, srv.LocalURL, admin, "POST", "/api/v1/webhooks",
				map[string]any{"url": "http://" + rcv.addr + "/hook", "events": []string{"token.redeemed"}})

			const rounds, perRound = 4, 8
			var tokens []issued
			for range rounds * perRound {
				var tok issued
				want(t, 201, &tok, srv.LocalURL, admin, "POST", "/api/v1/login-tokens", map[string]any{})
				tokens = append(tokens, tok)
			}
			redeemRound := func(round int) {
				t.Helper()
				for _, tok := range tokens[round*perRound : (round+1)*perRound] {
					want(t, 200, nil, srv.LocalURL, webshop, "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": tok.Value})
				}
			}
			redeemRound(0) // the receiver up
			rcv.stop()
			redeemRound(1) // the receiver down: the deliveries fail and wait
			srv.Kill()
			srv = startService(t, env)
			redeemRound(2) // a new process, the receiver still down
			rcv.start()
			redeemRound(3)

			// Retries back off from 30 s; a message a killed worker had
			// claimed waits for its lease to run out.
			waitFor(t, 5*time.Minute, "every redeem's event at the receiver", func() bool {
				ids, _, _ := rcv.events()
				return ids >= len(tokens)
			})
			ids, byToken, deliveries := rcv.events()
			if ids != len(tokens) {
				t.Fatalf("%d distinct events for %d redeems", ids, len(tokens))
			}
			for _, tok := range tokens {
				if byToken[tok.ID] != 1 {
					t.Fatalf("token %s: %d distinct events, want 1 (%v)", tok.ID, byToken[tok.ID], byToken)
				}
			}
			t.Logf("%s: %d redeems, %d events, %d deliveries (duplicates carry the same webhook-id)", kind, len(tokens), ids, deliveries)
		})
	}
}
