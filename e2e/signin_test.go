package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestFirstAdminSignsInAndMustChangeThePassword(t *testing.T) {
	svc := startService(t, "LOGINTOKENS_ADMIN_PASSWORD=") // empty: generated and printed once
	m := regexp.MustCompile(`admin@localhost with password (\S+)`).FindStringSubmatch(svc.Log())
	if m == nil {
		t.Fatalf("no generated password printed:\n%s", svc.Log())
	}
	generated := m[1]
	b := newBrowser(t)
	b.run(chromedp.Navigate(svc.URL + "/admin/"))
	if loc := b.location(); !strings.Contains(loc, "/admin/login?next=") {
		t.Fatalf("without a session: %s", loc)
	}
	b.shot("sign-in")
	// A wrong password first.
	b.run(
		chromedp.SendKeys(`#email`, "admin@localhost", chromedp.ByID),
		chromedp.SendKeys(`#password`, "not the password", chromedp.ByID),
		chromedp.Submit(`#password`, chromedp.ByID),
		chromedp.WaitVisible(`.alert`, chromedp.ByQuery),
	)
	if msg := b.text(".alert"); !strings.Contains(msg, "Wrong email or password") {
		t.Fatalf("message %q", msg)
	}
	b.signIn(svc.URL, "admin@localhost", generated)
	if loc := b.location(); !strings.HasSuffix(loc, "/admin/password") {
		t.Fatalf("first sign-in lands on %s, want the password change", loc)
	}
	b.shot("change-password")
	b.run(
		chromedp.SendKeys(`#current`, generated, chromedp.ByID),
		chromedp.SendKeys(`#password`, "my very own password", chromedp.ByID),
		chromedp.SendKeys(`#confirm`, "my very own password", chromedp.ByID),
		chromedp.Submit(`#confirm`, chromedp.ByID),
		chromedp.WaitNotPresent(`#confirm`, chromedp.ByID),
	)
	if loc := b.location(); onSignInOrPassword(loc) {
		t.Fatalf("after the change: %s", loc)
	}
	// Sign out, then the new password works.
	b.run(chromedp.Click(`form[action="/admin/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#email`, chromedp.ByID))
	b.signIn(svc.URL, "admin@localhost", "my very own password")
	if loc := b.location(); onSignInOrPassword(loc) {
		t.Fatalf("sign-in with the new password: %s", loc)
	}
}

var signInOrPassword = regexp.MustCompile(`/admin/(login|password)(\?|$)`)

func onSignInOrPassword(u string) bool { return signInOrPassword.MatchString(u) }
