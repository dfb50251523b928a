// Package e2e drives the real binary with a real browser: it builds
// cmd/logintokens, runs `serve` as a subprocess on a fresh SQLite database
// and steers headless Chromium through chromedp. Without Chromium the
// tests skip, except with CI=true, where they fail.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/logintokens/logintokens/internal/servicetest"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// binary is the logintokens every test runs, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	var cleanup func()
	binary, cleanup = servicetest.Build()
	defer cleanup()
	m.Run() // TestMain returning exits with m.Run's code
}

// adminPassword is the first admin's password in every run.
const adminPassword = "e2e admin password"

// service is one running `logintokens serve` with the e2e helpers; its URL
// is the public one (localhost), which the browser must use too, since
// the login links and the cookies are on it.
type service struct {
	*servicetest.Service
	t *testing.T
}

// startService runs serve on a new SQLite database and waits until it
// listens (reading its log, no sleeps). It stops with SIGTERM at cleanup
// and must exit 0.
func startService(t *testing.T, env ...string) *service {
	t.Helper()
	return startServiceArgs(t, nil, env...)
}

// startServiceArgs is startService with arguments after serve, such as
// --demo.
func startServiceArgs(t *testing.T, args []string, env ...string) *service {
	t.Helper()
	env = append([]string{
		"LOGINTOKENS_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "lt.db"),
		"LOGINTOKENS_ADMIN_PASSWORD=" + adminPassword,
	}, env...)
	return &service{Service: servicetest.Start(t, binary, args, env), t: t}
}

// startServiceOn is startServiceArgs on a new database of the kind
// ("sqlite" or "postgres"; see sqlstoretest.URL).
func startServiceOn(t *testing.T, kind string, args []string, env ...string) *service {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return startServiceArgs(t, args, append([]string{"LOGINTOKENS_DATABASE_URL=" + sqlstoretest.URL(t, kind),
		"LOGINTOKENS_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}, env...)...)
}

// staff creates a staff member with a known password.
func (s *service) staff(email string, grants ...string) {
	s.t.Helper()
	args := []string{"staff", "create", "--email", email}
	for _, g := range grants {
		args = append(args, "--grant", g)
	}
	s.CLI(adminPassword+"\n", args...)
}

// apiKey creates an admin API key with every grant.
func (s *service) apiKey() string {
	s.t.Helper()
	return strings.TrimSpace(strings.SplitN(s.CLI("", "apikey", "create", "--name", "e2e", "--grant", "configuration:owner", "--grant", "users:owner"), "\n", 2)[0])
}

// api calls the admin API, fails the test on any status from 300 up and
// decodes the answer into out (unless nil).
func (s *service) api(key, method, path string, body, out any) {
	s.t.Helper()
	status, b := servicetest.Call(s.t, s.URL, key, method, path, body)
	if status >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, status, b)
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

// newBrowser starts Chromium, or skips (fails in CI) without it; extra
// options (flags) come after the usual ones.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
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
	opts = append(opts, extra...)
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
