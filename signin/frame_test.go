package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// framed are the headers of a browser's navigation in a frame started by
// a page of origin (none when empty) with the Referer referer (none when
// empty).
func framed(dest, origin, referer string) http.Header {
	h := http.Header{}
	if dest != "" {
		h.Set("Sec-Fetch-Dest", dest)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if referer != "" {
		h.Set("Referer", referer)
	}
	return h
}

// A sign-in opened in a frame whose page may not show the answer is
// refused before anything is looked up: the browser would leave the frame
// blank, and a one-time token must not be spent on it. The OCI entry may
// be framed by its frame ancestors; /login by no one. A framing page that
// names itself nowhere (a strict Referrer-Policy) is refused at /login and
// served at the OCI entry, whose frame frame-ancestors guards. Requests
// that are no frame's (or that do not say) are served as before.
func TestASignInFramedByAPageThatMayNotShowItSpendsNothing(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"), withFrameAncestors("https://srm.acme.test"))
	oci := func(value string) url.Values {
		return url.Values{"token": {value}, "HOOK_URL": {"https://srm.acme.test/hook"}}
	}
	refused := []struct {
		name string
		hdr  http.Header
	}{
		{"another origin", framed("iframe", "https://evil.example", "")},
		{"another origin's referer", framed("iframe", "", "https://evil.example/cart")},
		{"an origin like an ancestor's", framed("iframe", "https://srm.acme.test.evil.example", "")},
		{"another port", framed("iframe", "https://srm.acme.test:8443", "")},
		{"an old frame", framed("frame", "https://evil.example", "")},
		{"an object", framed("object", "https://evil.example", "")},
		{"an embed", framed("embed", "https://evil.example", "")},
	}
	untold := []struct {
		name string
		hdr  http.Header
	}{
		{"no origin, no referer", framed("iframe", "", "")},
		{"a page without referrers", framed("iframe", "null", "")},
		{"an embed", framed("embed", "", "")},
	}
	tok := e.token(lt.NewToken{OneTimeUse: true})
	for _, c := range refused {
		for path, a := range map[string]answer{
			"POST /oci/login": e.doWith("POST", "/oci/login", oci(tok.Value), c.hdr),
			"GET /oci/login":  e.doWith("GET", "/oci/login?"+oci(tok.Value).Encode(), nil, c.hdr),
			"POST /login":     e.doWith("POST", "/login", url.Values{"token": {tok.Value}}, c.hdr),
		} {
			if _, hasForm := a.form(t); a.Status != http.StatusForbidden || hasForm || !strings.Contains(a.text(), "the token was not used") {
				t.Errorf("%s from %s: %d\n%s", path, c.name, a.Status, a.text())
			}
			if strings.Contains(a.Body, tok.Value) {
				t.Errorf("%s from %s: the page repeats the value", path, c.name)
			}
		}
	}
	for _, c := range untold {
		a := e.doWith("POST", "/login", url.Values{"token": {tok.Value}}, c.hdr)
		if a.Status != http.StatusForbidden || !strings.Contains(a.text(), "the token was not used") {
			t.Errorf("POST /login from %s: %d\n%s", c.name, a.Status, a.text())
		}
	}
	// A fenced frame shows only answers that opt in to it (the header
	// Supports-Loading-Mode: fenced-frame), which no sign-in does: from
	// the frame ancestor too, the browser would leave it blank.
	for path, a := range map[string]answer{
		"POST /oci/login": e.doWith("POST", "/oci/login", oci(tok.Value), framed("fencedframe", "https://srm.acme.test", "")),
		"GET /oci/login":  e.doWith("GET", "/oci/login?"+oci(tok.Value).Encode(), nil, framed("fencedframe", "", "https://srm.acme.test/")),
	} {
		if a.Status != http.StatusForbidden {
			t.Errorf("%s in a fenced frame of the frame ancestor: %d\n%s", path, a.Status, a.text())
		}
	}
	// From the frame ancestor, /login is still refused: no one may frame it.
	a := e.doWith("POST", "/login", url.Values{"token": {tok.Value}}, framed("iframe", "https://srm.acme.test", ""))
	if a.Status != http.StatusForbidden {
		t.Errorf("POST /login framed by the OCI frame ancestor: %d\n%s", a.Status, a.text())
	}
	e.untouched(tok.ID, "framed sign-ins")
	if got := e.Metrics.got(); len(got) != 0 {
		t.Errorf("metrics counted %v", got)
	}

	served := []struct {
		name string
		path string
		hdr  http.Header
	}{
		{"the ancestor's form", "/oci/login", framed("iframe", "https://srm.acme.test", "")},
		{"the ancestor's page after a redirect", "/oci/login", framed("iframe", "null", "https://srm.acme.test/sap/srm")},
		{"the ancestor's link", "/oci/login", framed("iframe", "", "https://srm.acme.test/")},
		{"a page without referrers", "/oci/login", framed("iframe", "null", "")},
		{"no origin, no referer", "/oci/login", framed("iframe", "", "")},
		{"a window", "/oci/login", framed("document", "https://evil.example", "")},
		{"a client that does not say", "/oci/login", framed("", "https://evil.example", "")},
		{"a window", "/login", framed("document", "https://evil.example", "")},
		{"a client that does not say", "/login", nil},
	}
	for _, c := range served {
		tok := e.token(lt.NewToken{OneTimeUse: true})
		form := url.Values{"token": {tok.Value}}
		if c.path == "/oci/login" {
			form = oci(tok.Value)
		}
		if a := e.doWith("POST", c.path, form, c.hdr); a.Status != http.StatusOK {
			t.Errorf("POST %s from %s: %d\n%s", c.path, c.name, a.Status, a.text())
		}
		if ok, _, _ := e.counters(tok.ID); ok != 1 {
			t.Errorf("POST %s from %s: %d successes, want 1", c.path, c.name, ok)
		}
	}
}

// A frame ancestor named by http may frame the entry from https too, as
// frame-ancestors lets it (a source's http matches https, and its default
// port the other scheme's): the sign-in is served, not refused for a
// frame the browser shows.
func TestAnHTTPFrameAncestorFramesTheEntryFromHTTPS(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("http://srm.acme.test/"), withFrameAncestors("http://srm.acme.test", "http://srm2.acme.test:8443"))
	for _, c := range []struct {
		origin string
		want   int
	}{
		{"https://srm.acme.test", http.StatusOK},
		{"https://srm2.acme.test:8443", http.StatusOK},
		{"https://srm2.acme.test", http.StatusForbidden},
		{"https://srm.acme.test:8443", http.StatusForbidden},
	} {
		tok := e.token(lt.NewToken{OneTimeUse: true})
		form := url.Values{"token": {tok.Value}, "HOOK_URL": {"http://srm.acme.test/hook"}}
		if a := e.doWith("POST", "/oci/login", form, framed("iframe", c.origin, "")); a.Status != c.want {
			t.Errorf("framed by %s: %d, want %d\n%s", c.origin, a.Status, c.want, a.text())
		}
	}
}
