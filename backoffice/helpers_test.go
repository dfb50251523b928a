package backoffice_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var ctx = context.Background()

var _ backoffice.Store = (*sqlstore.Store)(nil)

// testOffice is a running backoffice on a real store.
type testOffice struct {
	t       *testing.T
	URL     string
	Store   *sqlstore.Store
	Handler http.Handler // what the server at URL serves
}

const testPassword = "a long enough password"

func newOffice(t *testing.T, kind string, opts ...func(*backoffice.Config)) *testOffice {
	t.Helper()
	st := sqlstoretest.Open(t, kind)
	cfg := backoffice.Config{Store: st, PublicURL: "http://127.0.0.1", OCIPunchout: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	bo, err := backoffice.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	bo.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testOffice{t: t, URL: srv.URL, Store: st, Handler: mux}
}

// staff creates a staff member with the grants ("" = none).
func (o *testOffice) staff(email string, grants ...string) *lt.Staff {
	o.t.Helper()
	gs, err := lt.ParseGrants(grants)
	if err != nil {
		o.t.Fatal(err)
	}
	st, err := o.Store.CreateStaff(ctx, lt.NewStaff{Email: email, Password: testPassword, Grants: gs})
	if err != nil {
		o.t.Fatal(err)
	}
	return st
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	o    *testOffice
	c    *http.Client
	csrf string
}

func (o *testOffice) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: o.t, o: o, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and remembers its CSRF token.
func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Get(b.o.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body), resp.Header
}

// post sends a form with the remembered CSRF token unless the form has one.
func (b *browser) post(path string, form url.Values, header ...string) (int, string, http.Header) {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.o.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body), resp.Header
}

// signIn signs in and fails the test unless it works.
func (b *browser) signIn(email string) {
	b.t.Helper()
	b.get("/admin/login")
	status, body, h := b.post("/admin/login", url.Values{"email": {email}, "password": {testPassword}})
	if status != http.StatusSeeOther {
		b.t.Fatalf("sign in %s: %d %s", email, status, body)
	}
	b.get(h.Get("Location"))
}
