package signin_test

import (
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestEverySignInPageSendsItsSecurityHeaders(t *testing.T) {
	const srm = "https://srm.acme.test"
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"), withLimit(3), withFrameAncestors(srm, "https://portal.acme.test:8443"))
	off := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI())
	tok := e.token(lt.NewToken{})
	oci := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}}
	evil := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://evil.example/"}}
	pages := []struct {
		name   string
		a      answer
		framed bool // the OCI entry may be framed by the allowed procurement systems
	}{
		{"link", e.get("/login?token=" + tok.Value), false},
		{"link HEAD", e.do("HEAD", "/login?token="+tok.Value, nil), false},
		{"no link", e.get("/login"), false},
		{"hand-off", e.post("/login", url.Values{"token": {tok.Value}}), false},
		{"OCI hand-off", e.get("/oci/login?" + oci.Encode()), true},
		{"OCI refused hook", e.post("/oci/login", evil), true},
		{"OCI off", off.get("/oci/login?" + oci.Encode()), false},
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
		// Framed by the allowed origins and no other: no X-Frame-Options,
		// which cannot name them.
		if p.framed && (!strings.HasSuffix(csp, "; frame-ancestors "+srm+" https://portal.acme.test:8443") || h.Get("X-Frame-Options") != "") {
			t.Errorf("%s: CSP %q, X-Frame-Options %q; want frame-ancestors %s https://portal.acme.test:8443 alone", p.name, csp, h.Get("X-Frame-Options"), srm)
		}
		if !p.framed && (!strings.HasSuffix(csp, "; frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY") {
			t.Errorf("%s: CSP %q, X-Frame-Options %q; want frame-ancestors 'none' and DENY", p.name, csp, h.Get("X-Frame-Options"))
		}
		if n := strings.Count(csp, "frame-ancestors"); n != 1 {
			t.Errorf("%s: CSP %q has %d frame-ancestors", p.name, csp, n)
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

// Without frame ancestors configured, the OCI entry is framed by no one,
// like every other sign-in page: a procurement system then opens the
// catalogue in a window of its own.
func TestTheOCIEntryIsFramedByNoOneWithoutFrameAncestors(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"))
	tok := e.token(lt.NewToken{})
	for name, a := range map[string]answer{
		"hand-off": e.get("/oci/login?" + url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/hook"}}.Encode()),
		"refused":  e.post("/oci/login", url.Values{"token": {"garbage"}, "HOOK_URL": {"https://srm.acme.test/hook"}}),
	} {
		if csp := a.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors 'none'") || a.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q; want no framing", name, csp, a.Header.Get("X-Frame-Options"))
		}
	}
}

// A frame ancestor is an origin written as the policy needs it; anything
// else (a path, a second directive, a wildcard) stops the server being
// built rather than loosening the policy.
func TestFrameAncestorsMustBeOrigins(t *testing.T) {
	for s, want := range map[string]bool{
		"https://srm.acme.test": true, "http://127.0.0.1:8080": true, "https://[::1]:8443": true,
		"https://srm.acme.test/": false, "https://srm.acme.test/sap": false, "https://srm.acme.test:443": false,
		"https://SRM.acme.test": false, "*": false, "'self'": false, "https://*.acme.test": false,
		"https://a.test; script-src *": false, "https://a.test https://b.test": false, "ftp://a.test": false,
		"https://user@a.test": false, "": false,
	} {
		if got := signin.IsOrigin(s); got != want {
			t.Errorf("IsOrigin(%q) = %v, want %v", s, got, want)
		}
	}
	if _, err := signin.New(signin.Config{Redeem: &redeem.Service{}, OCIFrameAncestors: []string{"https://a.test; script-src *"}}); err == nil {
		t.Error("a frame ancestor with a second directive was taken")
	}
	for in, want := range map[string]string{
		"https://SRM.Acme.test:443/sap/bc/hook": "https://srm.acme.test", "http://127.0.0.1:8080/hook": "http://127.0.0.1:8080",
		"https://srm.acme.test:0443/": "https://srm.acme.test", "http://[::1]:80/": "http://[::1]",
	} {
		if got := signin.Origin(mustURL(in)); got != want {
			t.Errorf("Origin(%q) = %q, want %q", in, got, want)
		}
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
