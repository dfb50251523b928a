// Package e2e drives the real binary with a real browser: it builds
// cmd/logintokens, runs `serve` as a subprocess on a fresh SQLite database
// and steers headless Chromium through chromedp. Without Chromium the
// tests skip, except with CI=true, where they fail.
package e2e

import (
	"bufio"
	"bytes"
	"context"
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

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var binary string // the built logintokens

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "logintokens-e2e")
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

// adminPassword is the first admin's password in every run.
const adminPassword = "e2e admin password"

// service is one running `logintokens serve`.
type service struct {
	t   *testing.T
	URL string
	env []string
	mu  sync.Mutex
	log bytes.Buffer
}

var listening = regexp.MustCompile(`msg=listening .*url=(\S+)`)

// startService runs serve on a new SQLite database and waits until it
// listens (reading its log, no sleeps). It stops with SIGTERM at cleanup.
func startService(t *testing.T, env ...string) *service {
	t.Helper()
	return startServiceArgs(t, nil, env...)
}

// startServiceArgs is startService with arguments after serve, such as
// --demo.
func startServiceArgs(t *testing.T, args []string, env ...string) *service {
	t.Helper()
	dir := t.TempDir()
	s := &service{t: t, env: append([]string{
		"LOGINTOKENS_DATABASE_URL=sqlite:" + filepath.Join(dir, "lt.db"),
		"LOGINTOKENS_ADDR=127.0.0.1:0",
		"LOGINTOKENS_ADMIN_PASSWORD=" + adminPassword,
		"LOGINTOKENS_LOG_FORMAT=text",
	}, env...)}
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), s.env...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
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
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve did not exit cleanly: %v\n%s", err, s.Log())
		}
	})
	select {
	case s.URL = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", s.Log())
	}
	// The public URL says localhost; the browser talks to 127.0.0.1 as bound.
	return s
}

// Log is everything the service logged so far.
func (s *service) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// cli runs a logintokens command against the service's database and
// returns its standard output.
func (s *service) cli(stdin string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("logintokens %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// staff creates a staff member with a known password.
func (s *service) staff(email string, grants ...string) {
	s.t.Helper()
	args := []string{"staff", "create", "--email", email}
	for _, g := range grants {
		args = append(args, "--grant", g)
	}
	s.cli(adminPassword+"\n", args...)
}

// apiKey creates an admin API key with every grant.
func (s *service) apiKey() string {
	s.t.Helper()
	return strings.TrimSpace(strings.SplitN(s.cli("", "apikey", "create", "--name", "e2e", "--grant", "configuration:owner", "--grant", "users:owner"), "\n", 2)[0])
}

// api calls the admin API and decodes the answer into out.
func (s *service) api(key, method, path string, body, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// browser is one headless Chromium with a fresh profile.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // where screenshots go
	n   int
}

// newBrowser starts Chromium, or skips (fails in CI) without it.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := os.Getenv("LOGINTOKENS_CHROMIUM")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is not installed: CI runs the browser tests (apt-get install chromium)")
		}
		t.Skip("browser tests need Chromium (apt-get install chromium, or set LOGINTOKENS_CHROMIUM)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp logs DOM events newer than its protocol tables; they are
	// noise, anything else is worth seeing.
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "unhandled node event") {
			t.Logf("chromedp: %s", msg)
		}
	}))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		// Close Chromium cleanly first: a killed one may still write its
		// cache while the test removes the profile folder.
		chromedp.Cancel(ctx)
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, dir: t.ArtifactDir()}
}

// run runs chromedp actions and fails the test on error, with a
// screenshot of the page as it was.
func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	// A step that waits for something that never comes fails in 20 s,
	// not at the end of the whole test's budget.
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

// shot saves a full-page screenshot under the test's artifact folder.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

// signIn signs in through the form.
func (b *browser) signIn(base, email, password string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(base+"/admin/login"),
		chromedp.WaitVisible(`#email`, chromedp.ByID),
		chromedp.SendKeys(`#email`, email, chromedp.ByID),
		chromedp.SendKeys(`#password`, password, chromedp.ByID),
		chromedp.Submit(`#password`, chromedp.ByID),
		chromedp.WaitNotPresent(`#password[autocomplete="current-password"]`, chromedp.ByQuery),
	)
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return s
}

// location is the current URL.
func (b *browser) location() string {
	var u string
	b.run(chromedp.Location(&u))
	return u
}

// rows lists the token ids of the table's rows.
func (b *browser) rows() []string {
	b.t.Helper()
	var ids []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#tokens-table tbody tr[data-token-id]")].map(tr => tr.dataset.tokenId)`, &ids))
	return ids
}

// exists reports whether an element matches sel now.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	var ok bool
	b.run(chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q) !== null`, sel), &ok))
	return ok
}

// awaitPromise makes Evaluate wait for the promise the script returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
