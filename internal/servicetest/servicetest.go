// Package servicetest runs the real logintokens binary for the tests that
// drive it from outside (e2e/, faults/): it builds cmd/logintokens once per
// test binary, starts `serve` on a free loopback port, waits for its
// listening log line, keeps its log, stops or kills it, runs CLI commands
// against the same configuration and sends JSON API requests.
//
// It is test support only. It imports testing and exits the process when
// the build fails, so no production package may import it.
package servicetest

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

// mainPackage is built by import path, so Build works from any folder of
// the module (each test runs in its own package's folder).
const mainPackage = "github.com/logintokens/logintokens/cmd/logintokens"

// Bounds on waiting for the process, so that a hung serve fails its test
// instead of the whole run's -timeout.
const (
	startTimeout = 60 * time.Second // until it logs that it listens
	stopTimeout  = 40 * time.Second // from SIGTERM: it drains first
	killTimeout  = 30 * time.Second // from SIGKILL
)

// Build compiles cmd/logintokens into a new temporary folder and returns
// the binary's path and a cleanup that removes the folder. It is for
// TestMain, so every test of a package runs the same build. If the build
// fails, it exits the test binary with status 1 after the compiler's
// output: no test could run without it.
func Build() (bin string, cleanup func()) {
	dir, err := os.MkdirTemp("", "logintokens-servicetest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "logintokens")
	cmd := exec.Command("go", "build", "-o", bin, mainPackage)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	return bin, func() { os.RemoveAll(dir) }
}

// Service is one running `logintokens serve`.
type Service struct {
	// URL is the public URL serve logged (url=): the one its login links
	// and the issuer of its assertions start with, http://localhost:port
	// unless LOGINTOKENS_PUBLIC_URL says otherwise.
	URL string
	// LocalURL is http://127.0.0.1:port as bound (addr=). Clients that
	// count refused connections use it: localhost may try ::1 first.
	LocalURL string

	t    testing.TB
	bin  string
	env  []string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
	mu   sync.Mutex
	log  bytes.Buffer
}

// listening is the line serve logs once its port is bound; the text log
// format is set in Start, so the line is key=value.
var (
	listening   = regexp.MustCompile(`\bmsg=listening\b`)
	listenAddr  = regexp.MustCompile(`\baddr=(\S+)`)
	listenedURL = regexp.MustCompile(`\burl=(\S+)`)
)

// Start runs bin serve with args after serve and env on top of the
// process's environment, and returns once serve logs that it listens
// (read from its log, no sleeps) or fails the test after a minute. Start
// sets LOGINTOKENS_ADDR to 127.0.0.1:0 and LOGINTOKENS_LOG_FORMAT to text
// before env, since it reads the port from the text log line; env brings
// the database and anything else. At cleanup, a service that still runs
// is stopped as Stop does.
func Start(t testing.TB, bin string, args, env []string) *Service {
	t.Helper()
	s := &Service{t: t, bin: bin, env: append([]string{
		"LOGINTOKENS_ADDR=127.0.0.1:0",
		"LOGINTOKENS_LOG_FORMAT=text",
	}, env...), done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	s.cmd.Env = append(os.Environ(), s.env...)
	s.cmd.Stdout = io.Discard
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan [2]string, 1) // addr, url
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
			if !listening.MatchString(line) {
				continue
			}
			var got [2]string
			if m := listenAddr.FindStringSubmatch(line); m != nil {
				got[0] = m[1]
			}
			if m := listenedURL.FindStringSubmatch(line); m != nil {
				got[1] = m[1]
			}
			select {
			case found <- got:
			default:
			}
		}
	}()
	go func() {
		<-scanned // Wait closes the pipe: read it to the end first
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		if s.Running() {
			s.Stop()
		}
	})
	select {
	case got := <-found:
		s.LocalURL, s.URL = "http://"+got[0], got[1]
	case <-s.done:
		t.Fatalf("serve exited before listening (%v):\n%s", s.err, s.Log())
	case <-time.After(startTimeout):
		// Killed and waited for here, so the cleanup finds it gone and
		// does not report a second failure for the same hang.
		s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("serve did not listen within %s:\n%s", startTimeout, s.Log())
	}
	return s
}

// Log is everything the service logged so far.
func (s *Service) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Done is closed once the process has exited.
func (s *Service) Done() <-chan struct{} { return s.done }

// Err is how the process exited (nil for status 0); it is only meaningful
// once Done is closed.
func (s *Service) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Running reports whether the process has not exited.
func (s *Service) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Stop ends the process with SIGTERM and fails the test (without stopping
// it) unless serve drains and exits 0 within 40 s.
func (s *Service) Stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("serve did not stop within %s of SIGTERM:\n%s", stopTimeout, s.Log())
		return
	}
	if s.err != nil {
		s.t.Errorf("serve did not exit cleanly on SIGTERM: %v\n%s", s.err, s.Log())
	}
}

// Terminate sends the process SIGTERM and returns at once: the test
// watches the drain, then waits on Done and reads Err.
func (s *Service) Terminate() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
}

// Kill ends the process with SIGKILL, as the kernel's OOM killer or a
// power cut would, waits until it is gone and fails the test unless
// SIGKILL is what ended it.
func (s *Service) Kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(killTimeout):
		s.t.Fatalf("serve did not die within %s of SIGKILL", killTimeout)
	}
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		s.t.Fatalf("serve ended with %v, not by SIGKILL", s.err)
	}
}

// CLI runs a logintokens command with the service's environment (so on
// its database), stdin as its input, and returns its standard output.
func (s *Service) CLI(stdin string, args ...string) string {
	s.t.Helper()
	return Run(s.t, s.bin, s.env, stdin, args...)
}

// Run runs bin with args and env on top of the process's environment,
// stdin as its input, and returns its standard output; it fails the test,
// with the standard error, if the command fails.
func Run(t testing.TB, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("logintokens %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// apiClient is for setup and checks, one request at a time; its timeout
// fails a request to a hung server in the test that sent it.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// Call sends method base+path with body as JSON (none if nil) and key as
// the bearer token (none if empty), and returns the status and the body.
// Only a failure to get an answer fails the test: what the answer must be
// is the caller's to check.
func Call(t testing.TB, base, key, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return resp.StatusCode, b
}
