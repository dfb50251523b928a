package signin_test

import (
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestEverySignInPageSendsItsSecurityHeaders(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"), withLimit(3))
	off := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI())
	tok := e.token(lt.NewToken{})
	oci := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}}
	evil := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://evil.example/"}}
	pages := []struct {
		name   string
		a      answer
		framed bool // the OCI entry may be framed by a procurement system
	}{
		{"link", e.get("/login?token=" + tok.Value), false},
		{"link HEAD", e.do("HEAD", "/login?token="+tok.Value, nil), false},
		{"no link", e.get("/login"), false},
		{"hand-off", e.post("/login", url.Values{"token": {tok.Value}}), false},
		{"OCI hand-off", e.get("/oci/login?" + oci.Encode()), true},
		{"OCI refused hook", e.post("/oci/login", evil), true},
		{"OCI off", off.get("/oci/login?" + oci.Encode()), true},
		{"failure", e.post("/login", url.Values{"token": {"garbage"}}), false},
		{"OCI failure", e.post("/oci/login", url.Values{"token": {"garbage"}, "HOOK_URL": {"https://srm.acme.test/"}}), true},
		{"no token", e.post("/login", url.Values{}), false},
		{"rate limited", func() answer {
			e.post("/login", url.Values{"token": {"garbage"}})
			return e.post("/login", url.Values{"token": {"garbage"}})
		}(), false},
	}
	for _, p := range pages {
		h := p.a.Header
		for name, want := range map[string]string{
			"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
			"X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", p.name, name, got, want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q, want scripts from the service's own files only", p.name, csp)
		}
		framable := !strings.Contains(csp, "frame-ancestors") && h.Get("X-Frame-Options") == ""
		if p.framed != framable {
			t.Errorf("%s: CSP %q, X-Frame-Options %q; want framable %v", p.name, csp, h.Get("X-Frame-Options"), p.framed)
		}
		if !p.framed && (!strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY") {
			t.Errorf("%s: CSP %q, want frame-ancestors 'none'", p.name, csp)
		}
		if strings.Contains(p.a.Body, "<script>") || strings.Contains(p.a.Body, "onload=") || strings.Contains(p.a.Body, "onclick=") {
			t.Errorf("%s: inline script:\n%s", p.name, p.a.Body)
		}
		// No URL the page builds carries a token: the only value is in
		// the hidden field of a form that posts it.
		for _, m := range []string{"?token=", "&token=", "mtoken=", "PASSWORD="} {
			if strings.Contains(p.a.Body, m) {
				t.Errorf("%s: the page builds a URL with %q:\n%s", p.name, m, p.a.Body)
			}
		}
	}
	if pages[len(pages)-1].a.Status != 429 {
		t.Fatalf("the rate-limited page is %d", pages[len(pages)-1].a.Status)
	}
}

func TestStaticFilesAreServedUnderChecksummedURLs(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"))
	page := e.get("/login?token=x").Body
	for _, name := range []string{"submit", "signin"} {
		i := strings.Index(page, "/login/static/"+name+".")
		if i < 0 {
			t.Fatalf("no %s asset in the page:\n%s", name, page)
		}
		u := page[i:]
		u = u[:strings.IndexByte(u, '"')]
		a := e.get(u)
		if a.Status != 200 || !strings.Contains(a.Header.Get("Cache-Control"), "immutable") || len(a.Body) == 0 {
			t.Errorf("%s: %d %q", u, a.Status, a.Header.Get("Cache-Control"))
		}
	}
	if a := e.get("/login/static/submit.js"); a.Status != 404 {
		t.Errorf("an unversioned name: %d", a.Status)
	}
}
