// Package faults injects the faults a login service meets in production
// from outside the process: it builds cmd/logintokens, runs `serve` as a
// subprocess, drives redeem load over the loopback, and then kills the
// server with SIGKILL (SQLite) or restarts the database under it
// (PostgreSQL, on a cluster of the test's own). See README.md.
package faults

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string // the built logintokens

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "logintokens-faults")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "logintokens")
	build := exec.Command("go", "build", "-o", binary, "../cmd/logintokens")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startTimeout bounds how long serve may take to log that it listens.
const startTimeout = 60 * time.Second

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// service is one `logintokens serve` process; the same env starts it again
// on the same database after a crash.
type service struct {
	t    *testing.T
	env  []string
	cmd  *exec.Cmd
	URL  string        // http://127.0.0.1:port, as bound
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
	mu   sync.Mutex
	log  bytes.Buffer
}

// startService runs serve with env and waits until it logs that it
// listens. The process is stopped at cleanup if it still runs.
func startService(t *testing.T, env []string) *service {
	t.Helper()
	s := &service{t: t, env: append([]string{
		"LOGINTOKENS_ADDR=127.0.0.1:0",
		"LOGINTOKENS_LOG_FORMAT=text",
		"LOGINTOKENS_ADMIN_PASSWORD=faults admin password",
	}, env...), done: make(chan struct{})}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Env = append(os.Environ(), s.env...)
	s.cmd.Stdout = io.Discard
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		<-scanned // Wait closes the pipe: read it to the end first
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.stop()
		}
	})
	select {
	case addr := <-found:
		s.URL = "http://" + addr
	case <-s.done:
		t.Fatalf("serve exited before listening (%v):\n%s", s.err, s.Log())
	case <-time.After(startTimeout):
		s.cmd.Process.Kill()
		t.Fatalf("serve did not listen within %s:\n%s", startTimeout, s.Log())
	}
	return s
}

// Log is everything the service logged so far.
func (s *service) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// running reports whether the process has not exited.
func (s *service) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL, as the kernel's OOM killer or a
// power cut would, and waits until it is gone.
func (s *service) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Fatal("serve did not die within 30 s of SIGKILL")
	}
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		s.t.Fatalf("serve ended with %v, not by SIGKILL", s.err)
	}
}

// stop ends the process with SIGTERM and fails the test unless it drains
// and exits 0.
func (s *service) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("serve did not stop within 40 s of SIGTERM:\n%s", s.Log())
		return
	}
	if s.err != nil {
		s.t.Errorf("serve did not exit cleanly on SIGTERM: %v\n%s", s.err, s.Log())
	}
}

// cli runs a logintokens command with the service's configuration and
// returns the first line of its output (the secret, for scripts).
func cli(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("logintokens %v: %v\n%s", args, err, errb.String())
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	return strings.TrimSpace(line)
}

// keys creates a webshop key and an admin key with every grant.
func keys(t *testing.T, env []string) (webshop, admin string) {
	t.Helper()
	webshop = cli(t, env, "apikey", "create", "--name", "faults shop", "--webshop")
	admin = cli(t, env, "apikey", "create", "--name", "faults admin", "--grant", "configuration:owner", "--grant", "users:owner")
	return webshop, admin
}

// apiClient is for the setup and the checks, not the load: one request at
// a time, failing the test on anything unexpected.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// call sends a JSON request and returns the status and body.
func call(t *testing.T, base, key, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// want sends a request that must answer status and decodes its body into
// out (unless nil).
func want(t *testing.T, status int, out any, base, key, method, path string, body any) {
	t.Helper()
	got, b := call(t, base, key, method, path, body)
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
