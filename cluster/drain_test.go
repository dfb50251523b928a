package cluster

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/logintokens/logintokens/internal/servicetest"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// On SIGTERM serve turns /readyz to 503 at once and goes on serving every
// request, on new connections too, for the drain delay; then it stops
// and exits 0. One instance on SQLite: no balancer needed to see it.
func TestSIGTERMTurnsReadyzTo503FirstAndServesOnUntilTheDrainDelayHasPassed(t *testing.T) {
	srv := servicetest.Start(t, binary, nil, []string{
		"LOGINTOKENS_DATABASE_URL=" + sqlstoretest.SQLiteURL(t),
		"LOGINTOKENS_ADMIN_PASSWORD=" + adminPassword,
		// Long enough to be seen on a busy machine; the test does not
		// wait for it to pass but for the process to exit.
		"LOGINTOKENS_SHUTDOWN_DELAY=3s",
	})
	get := func(path string) int {
		t.Helper()
		// A new connection each time: the drain must accept them too.
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := hc.Get(srv.LocalURL + path)
		if err != nil {
			t.Fatalf("GET %s while draining: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d", got)
	}
	signalled := time.Now()
	srv.Terminate()
	deadline := signalled.Add(10 * time.Second)
	for get("/readyz") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not turn 503 after SIGTERM:\n%s", srv.Log())
		}
	}
	notReady := time.Since(signalled)
	// Not ready, yet serving: the health of the process and the API.
	for _, path := range []string{"/healthz", "/.well-known/jwks.json", "/api/openapi.json"} {
		if got := get(path); got != http.StatusOK {
			t.Fatalf("GET %s while draining: %d, want 200", path, got)
		}
	}
	if !strings.Contains(srv.Log(), "draining") {
		t.Fatalf("no drain in the log:\n%s", srv.Log())
	}
	select {
	case <-srv.Done():
	case <-time.After(40 * time.Second):
		t.Fatalf("serve did not exit after the drain:\n%s", srv.Log())
	}
	if err := srv.Err(); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM, want 0:\n%s", err, logTail(srv.Log()))
	}
	if !strings.Contains(srv.Log(), "msg=stopped") {
		t.Fatalf("serve did not log that it stopped:\n%s", srv.Log())
	}
	t.Logf("/readyz answered 503 %s after SIGTERM; the process exited 0 %s after it", notReady.Round(time.Millisecond), time.Since(signalled).Round(time.Millisecond))
}
