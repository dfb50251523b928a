// Package faults injects the faults a login service meets in production
// from outside the process: it builds cmd/logintokens, runs `serve` as a
// subprocess, drives redeem load over the loopback, and then kills the
// server with SIGKILL (SQLite) or restarts the database under it
// (PostgreSQL, on a cluster of the test's own). See README.md.
package faults

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/logintokens/logintokens/internal/servicetest"
)

// binary is the logintokens every test runs, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	var cleanup func()
	binary, cleanup = servicetest.Build()
	defer cleanup()
	m.Run() // TestMain returning exits with m.Run's code
}

// startService runs serve with env and waits until it logs that it
// listens; the same env starts it again on the same database after a
// crash. The process is stopped at cleanup if it still runs. The tests
// talk to its LocalURL, the address as bound, so that a connection the
// dead server refuses is refused once, not once per address of localhost.
func startService(t *testing.T, env []string) *servicetest.Service {
	t.Helper()
	return servicetest.Start(t, binary, nil, append([]string{"LOGINTOKENS_ADMIN_PASSWORD=" + faultsAdminPassword}, env...))
}

// faultsAdminPassword is the first staff member's (admin@localhost).
const faultsAdminPassword = "faults admin password"

// cli runs a logintokens command with the service's configuration and
// returns the first line of its output (the secret, for scripts).
func cli(t *testing.T, env []string, args ...string) string {
	t.Helper()
	line, _, _ := strings.Cut(servicetest.Run(t, binary, env, "", args...), "\n")
	return strings.TrimSpace(line)
}

// keys creates a webshop key and an admin key with every grant.
func keys(t *testing.T, env []string) (webshop, admin string) {
	t.Helper()
	webshop = cli(t, env, "apikey", "create", "--name", "faults shop", "--webshop")
	admin = cli(t, env, "apikey", "create", "--name", "faults admin", "--grant", "configuration:owner", "--grant", "users:owner")
	return webshop, admin
}

// want sends a request that must answer status and decodes its body into
// out (unless nil).
func want(t *testing.T, status int, out any, base, key, method, path string, body any) {
	t.Helper()
	got, b := servicetest.Call(t, base, key, method, path, body)
	if got != status {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, got, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// issued is a created token as the API answers it.
type issued struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// tokenState is the part of a token the checks read.
type tokenState struct {
	ID                 string `json:"id"`
	SuccessfulAttempts int64  `json:"successfulAttempts"`
	FailedAttempts     int64  `json:"failedAttempts"`
}

func getToken(t *testing.T, base, admin, id string) tokenState {
	t.Helper()
	var tok tokenState
	want(t, http.StatusOK, &tok, base, admin, "GET", "/api/v1/login-tokens/"+id, nil)
	return tok
}

// waitFor polls cond until it holds, failing the test at the deadline
// with what. It returns how long it took.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}
