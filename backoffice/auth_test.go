package backoffice_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

func TestPagesWithoutASessionRedirectToSignIn(t *testing.T) {
	o := newOffice(t, "sqlite")
	b := o.browser()
	status, _, h := b.get("/admin/password")
	if status != http.StatusSeeOther || h.Get("Location") != "/admin/login?next=%2Fadmin%2Fpassword" {
		t.Fatalf("%d %s", status, h.Get("Location"))
	}
	status, body, h := b.get("/admin/login")
	if status != 200 || !strings.Contains(body, `autocomplete="current-password"`) {
		t.Fatalf("login page %d", status)
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", h)
	}
	if strings.Contains(body, "<script>") {
		t.Fatal("inline script on the login page")
	}
}

func TestSignInSignOutAndTheSessionCookie(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("ops@shop.test", "configuration:viewer")
	b := o.browser()
	b.get("/admin/login")
	status, _, h := b.post("/admin/login", url.Values{"email": {"OPS@shop.test"}, "password": {testPassword}, "next": {"/admin/password"}})
	if status != http.StatusSeeOther || h.Get("Location") != "/admin/password" {
		t.Fatalf("sign in: %d %s", status, h.Get("Location"))
	}
	ck := h.Values("Set-Cookie")
	var session string
	for _, c := range ck {
		if strings.HasPrefix(c, "lt_session=") {
			session = c
		}
	}
	if !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "SameSite=Lax") || !strings.Contains(session, "Path=/admin") {
		t.Fatalf("session cookie %q", session)
	}
	if status, _, _ := b.get("/admin/password"); status != 200 {
		t.Fatalf("signed in page: %d", status)
	}
	// An open redirect through next is refused.
	b2 := o.browser()
	b2.get("/admin/login")
	_, _, h = b2.post("/admin/login", url.Values{"email": {"ops@shop.test"}, "password": {testPassword}, "next": {"//evil.example/"}})
	if h.Get("Location") != "/admin/login-tokens" {
		t.Fatalf("next //evil: %s", h.Get("Location"))
	}
	// Sign out needs the CSRF token, then ends the session.
	if status, _, _ := b.post("/admin/logout", url.Values{"csrf": {"forged"}}); status != http.StatusForbidden {
		t.Fatalf("sign out without the CSRF token: %d", status)
	}
	if status, _, _ := b.post("/admin/logout", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", status)
	}
	if status, _, _ := b.get("/admin/password"); status != http.StatusSeeOther {
		t.Fatalf("after sign out: %d", status)
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("ops@shop.test", "configuration:owner")
	b := o.browser()
	b.signIn("ops@shop.test")
	status, _, _ := b.post("/admin/logout", url.Values{}, "Sec-Fetch-Site", "cross-site")
	if status != http.StatusForbidden {
		t.Fatalf("cross-site sign out: %d", status)
	}
	status, _, _ = b.post("/admin/logout", url.Values{}, "Origin", "https://evil.example")
	if status != http.StatusForbidden {
		t.Fatalf("foreign origin: %d", status)
	}
	// The sign-in form itself needs its token.
	b2 := o.browser()
	status, _, _ = b2.post("/admin/login", url.Values{"email": {"ops@shop.test"}, "password": {testPassword}, "csrf": {"x"}})
	if status != http.StatusForbidden {
		t.Fatalf("login without its token: %d", status)
	}
}

func TestRepeatedFailuresSlowDownAndAreAudited(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("ops@shop.test", "configuration:viewer")
	b := o.browser()
	b.get("/admin/login")
	for i := range 5 {
		status, body, _ := b.post("/admin/login", url.Values{"email": {"ops@shop.test"}, "password": {"wrong password " + string(rune('a'+i))}})
		if status != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password") {
			t.Fatalf("failure %d: %d", i, status)
		}
	}
	// Now even the right password must wait.
	status, body, h := b.post("/admin/login", url.Values{"email": {"ops@shop.test"}, "password": {testPassword}})
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("after 5 failures: %d %s", status, h.Get("Retry-After"))
	}
	var n int
	if err := o.Store.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = ?`, lt.EventStaffSignInFailed).Scan(&n); err != nil || n != 5 {
		t.Fatalf("audited failures %d %v", n, err)
	}
}

func TestGeneratedPasswordMustBeChangedFirst(t *testing.T) {
	o := newOffice(t, "sqlite")
	st, err := o.Store.CreateStaff(ctx, lt.NewStaff{Email: "admin@localhost", Password: testPassword, Grants: lt.AllGrants(), MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	b := o.browser()
	b.get("/admin/login")
	_, _, h := b.post("/admin/login", url.Values{"email": {"admin@localhost"}, "password": {testPassword}, "next": {"/admin/login-tokens"}})
	if h.Get("Location") != "/admin/password" {
		t.Fatalf("first sign-in goes to %s", h.Get("Location"))
	}
	if status, _, h := b.get("/admin/"); status != http.StatusSeeOther || h.Get("Location") != "/admin/password" {
		t.Fatalf("before the change: %d %s", status, h.Get("Location"))
	}
	status, body, _ := b.get("/admin/password")
	if status != 200 || !strings.Contains(body, "Choose your own") {
		t.Fatalf("password page %d", status)
	}
	status, body, _ = b.post("/admin/password", url.Values{"current": {testPassword}, "password": {"short"}, "confirm": {"short"}})
	if status != 400 || !strings.Contains(body, "at least 12") {
		t.Fatalf("short password: %d", status)
	}
	status, _, _ = b.post("/admin/password", url.Values{"current": {testPassword}, "password": {"my own long password"}, "confirm": {"my own long password"}})
	if status != http.StatusSeeOther {
		t.Fatalf("change: %d", status)
	}
	got, _ := o.Store.FindStaffByID(ctx, st.ID)
	if got.MustChangePassword {
		t.Fatal("still must change")
	}
	if _, err := o.Store.AuthenticateStaff(ctx, "admin@localhost", "my own long password"); err != nil {
		t.Fatal(err)
	}
}

func TestStaffWithoutAGrantGetAClear403(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("nobody@shop.test")
	b := o.browser()
	b.get("/admin/login")
	b.post("/admin/login", url.Values{"email": {"nobody@shop.test"}, "password": {testPassword}})
	status, body, _ := b.get("/admin/")
	if status != http.StatusForbidden || !strings.Contains(body, "no grant") {
		t.Fatalf("%d %s", status, body)
	}
}
