package backoffice_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// pastedShapes are the ways staff paste a token value: alone, in words, a
// whole login link, with its separators percent-encoded once or twice.
func pastedShapes(tok *lt.IssuedToken) map[string]string {
	_, secret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
	return map[string]string{
		"alone":         tok.Value,
		"in words":      "who has " + tok.Value + " please",
		"a login link":  "https://login.example.test/login?token=" + tok.Value,
		"encoded":       "lt%5F" + tok.ID + "%5F" + secret,
		"encoded twice": "lt%255F" + tok.ID + "%255F" + secret,
	}
}

// noSecret fails when s (or s percent-decoded) holds the token's secret.
func noSecret(t *testing.T, what, s string, tok *lt.IssuedToken) {
	t.Helper()
	_, secret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
	dec, _ := url.QueryUnescape(s)
	if strings.Contains(s, secret) || strings.Contains(dec, secret) {
		t.Fatalf("%s holds the secret of token %s: %s", what, tok.ID, s)
	}
}

// tokenListParams are the token list's parameters (lt.ParseTokenFilter's).
var tokenListParams = []string{"ids", "contactIds", "customerIds", "type", "expiresAtFrom", "expiresAtTo",
	"createdAtFrom", "createdAtTo", "updatedAtFrom", "updatedAtTo", "successfulAttempts", "failedAttempts",
	"oneTimeUse", "status", "q", "sort", "page", "pageSize"}

// A token value pasted into the search box becomes the Ids filter of its
// token (the list then shows that token), whether the box posts (without
// JavaScript), the filter panel posts, or the value comes in the address
// bar: it never reaches a Location. An API key in the search is left out,
// with a message. An ordinary search stays a search.
func TestAPastedValueInTheSearchBecomesTheIdsFilter(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.viewer()
		page := b.mustGet("/admin/login-tokens?status=active", 200)
		if !strings.Contains(page, `<form method="post" action="/admin/login-tokens/search"`) {
			t.Fatal("the search box does not post")
		}
		want := "/admin/login-tokens?ids=" + w.customerT.ID + "&status=active"
		for shape, v := range pastedShapes(w.customerT) {
			status, _, h := b.post("/admin/login-tokens/search", url.Values{"status": {"active"}, "q": {v}, "page": {"3"}})
			loc := h.Get("Location")
			noSecret(t, shape+": the Location", loc, w.customerT)
			if status != http.StatusSeeOther || loc != want {
				t.Fatalf("%s: search posts to %d %s, want %s", shape, status, loc, want)
			}
			if got := rowIDs(b.mustGet(loc, 200)); !slices.Equal(got, []string{w.customerT.ID}) {
				t.Fatalf("%s: rows %v", shape, got)
			}
			// The address bar, and the filter panel's own page.
			status, _, h = b.get("/admin/login-tokens?" + url.Values{"status": {"active"}, "q": {v}}.Encode())
			if loc := h.Get("Location"); status != http.StatusSeeOther || loc != want {
				t.Fatalf("%s in the URL: %d %s, want %s", shape, status, loc, want)
			}
			status, _, h = b.get("/admin/login-tokens/filters?" + url.Values{"q": {v}}.Encode())
			if loc := h.Get("Location"); status != http.StatusSeeOther || loc != "/admin/login-tokens/filters?ids="+w.customerT.ID {
				t.Fatalf("%s in the filters page's URL: %d %s", shape, status, loc)
			}
			// The filter panel's form.
			_, _, h = b.post("/admin/login-tokens/filter", url.Values{"q": {v}, "ids": {w.anonT.ID}})
			if loc := h.Get("Location"); loc != "/admin/login-tokens?ids="+w.anonT.ID+"%2C"+w.customerT.ID {
				t.Fatalf("%s in the filter panel: %s", shape, loc)
			}
		}
		// An API key holds no token id: the search is left out, and the
		// list says why.
		_, key, err := w.Store.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop})
		if err != nil {
			t.Fatal(err)
		}
		_, h := b.postLocation("/admin/login-tokens/search", url.Values{"status": {"active"}, "q": {"key " + key}})
		if h != "/admin/login-tokens?status=active" {
			t.Fatalf("an API key in the search: %s", h)
		}
		if body := b.mustGet(h, 200); !strings.Contains(body, "held an API key") || strings.Contains(body, key[len(key)-20:]) {
			t.Fatal("no message for the search left out, or it shows the key")
		}
		// An ordinary search.
		if _, loc := b.postLocation("/admin/login-tokens/search", url.Values{"status": {"active"}, "q": {" acme "}, "page": {"2"}}); loc != "/admin/login-tokens?q=acme&status=active" {
			t.Fatalf("a search: %s", loc)
		}
	})
}

// postLocation posts a form and returns the status and the Location.
func (b *browser) postLocation(path string, form url.Values) (int, string) {
	b.t.Helper()
	status, _, h := b.post(path, form)
	return status, h.Get("Location")
}

// Every parameter of the token list and its export, holding a pasted value
// in every shape, answers a page or redirect that holds no secret; the
// redirects built from what a request gives (sign-in's next, a delete's
// way back, a directory form's next) drop a value; the directory's search
// and the user picker never show one back.
func TestNoPageOrRedirectRepeatsAPastedValue(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.signedIn("all@shop.test", "configuration:owner", "users:owner")
		for _, param := range tokenListParams {
			for shape, v := range pastedShapes(w.contactT) {
				for _, path := range []string{"/admin/login-tokens", "/admin/login-tokens.csv", "/admin/login-tokens/filters"} {
					status, body, h := b.get(path + "?" + url.Values{param: {v}}.Encode())
					what := path + "?" + param + "= " + shape
					noSecret(t, what, body, w.contactT)
					noSecret(t, what+": the Location", h.Get("Location"), w.contactT)
					if status >= 500 {
						t.Fatalf("%s: %d", what, status)
					}
				}
			}
		}
		for shape, v := range pastedShapes(w.contactT) {
			// Without a session: the sign-in's next.
			anon := w.browser()
			_, _, h := anon.get("/admin/login-tokens?" + url.Values{"q": {v}}.Encode())
			noSecret(t, shape+": the sign-in redirect", h.Get("Location"), w.contactT)
			if !strings.HasPrefix(h.Get("Location"), "/admin/login?next=") {
				t.Fatalf("%s: no session: %s", shape, h.Get("Location"))
			}
			// A delete's way back.
			_, loc := b.postLocation("/admin/login-tokens/delete", url.Values{"ids": {"zzzzzzzzzzzzzzzz"}, "confirm": {"yes"},
				"back": {"/admin/login-tokens?" + url.Values{"q": {v}}.Encode()}})
			noSecret(t, shape+": the delete's Location", loc, w.contactT)
			// A directory form's next.
			_, loc = b.postLocation("/admin/contacts/"+itoa64(w.contact.ID)+"/disable", url.Values{"next": {"/admin/contacts?" + url.Values{"q": {v}}.Encode()}})
			noSecret(t, shape+": the directory's Location", loc, w.contactT)
			if !strings.HasPrefix(loc, "/admin/contacts") {
				t.Fatalf("%s: the directory's Location %s", shape, loc)
			}
			// The directory's search and the picker.
			for _, path := range []string{"/admin/contacts?q=", "/admin/customers?page=2&q=", "/admin/companies?q=", "/admin/users/search?q=",
				"/admin/contacts/new?companyId="} {
				status, body, h := b.get(path + url.QueryEscape(v))
				noSecret(t, path+" "+shape+": the Location", h.Get("Location"), w.contactT)
				noSecret(t, path+" "+shape, body, w.contactT)
				if status >= 500 {
					t.Fatalf("%s %s: %d", path, shape, status)
				}
			}
		}
	})
}

// The sign-in's own redirect: a next that holds a value is cut before it
// becomes the Location.
func TestSignInDropsAValueFromNext(t *testing.T) {
	w := newTokWorld(t, "sqlite")
	w.staff("staff@shop.test", "configuration:viewer")
	for shape, v := range pastedShapes(w.contactT) {
		b := w.browser()
		b.get("/admin/login")
		_, _, h := b.post("/admin/login", url.Values{"email": {"staff@shop.test"}, "password": {testPassword},
			"next": {"/admin/login-tokens?" + url.Values{"q": {v}, "status": {"active"}}.Encode()}})
		noSecret(t, shape+": the sign-in's Location", h.Get("Location"), w.contactT)
		if loc := h.Get("Location"); loc != "/admin/login-tokens" {
			t.Fatalf("%s: signed in to %s", shape, loc)
		}
	}
}

// Control characters (NUL, which PostgreSQL refuses) and invalid UTF-8 in
// any query of any page, and in the text of a form, are a 400 that names
// the field: never a 500.
func TestControlCharactersInTheBackofficeAre400(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.signedIn("all@shop.test", "configuration:owner", "users:owner")
		for _, path := range []string{"/admin/login-tokens?q=abc%00def", "/admin/login-tokens?status=%FF", "/admin/login-tokens.csv?q=%00",
			"/admin/contacts?q=abc%00def", "/admin/companies?q=%01", "/admin/customers?q=%FF", "/admin/users/search?q=abc%00def",
			"/admin/login-tokens/filters?q=%00", "/admin/settings/staff?x=%00"} {
			status, body, _ := b.get(path)
			if status != 400 {
				t.Errorf("GET %s: %d, want 400\n%.300s", path, status, body)
			}
		}
		// Forms: the domain's checks name the field.
		status, body, _ := b.post("/admin/companies", url.Values{"name": {"Ac\x00me"}})
		if status != 400 || !strings.Contains(body, "control character") {
			t.Errorf("a company named with NUL: %d\n%.500s", status, body)
		}
		status, body, _ = b.post("/admin/customers", url.Values{"firstName": {"Jo"}, "lastName": {"R\x00oe"}, "email": {"jo@example.test"}})
		if status != 400 || !strings.Contains(body, "control character") {
			t.Errorf("a customer named with NUL: %d\n%.500s", status, body)
		}
		status, body, _ = b.post("/admin/login-tokens/search", url.Values{"q": {"abc\x00def"}})
		if status >= 500 {
			t.Errorf("a search with NUL: %d\n%.300s", status, body)
		}
	})
}

// syncBuffer collects log lines written by concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With the database gone (the store's pool closed), every page answers
// 503 with Retry-After and a page that says the backoffice is briefly
// unavailable, naming nothing internal; the log says so once.
func TestAnUnavailableDatabaseAnswers503WithRetryAfterAndLogsOnce(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			st := sqlstoretest.Open(t, kind)
			logs := &syncBuffer{}
			bo, err := backoffice.New(backoffice.Config{Store: st, PublicURL: "http://127.0.0.1", Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			bo.Register(mux)
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			o := &testOffice{t: t, URL: srv.URL, Store: st}
			o.staff("staff@shop.test", "configuration:owner", "users:owner")
			b := o.browser()
			b.signIn("staff@shop.test")
			st.Close()
			for range 5 {
				for _, path := range []string{"/admin/login-tokens", "/admin/contacts", "/admin/users/search?q=jo"} {
					resp, err := b.c.Get(srv.URL + path)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "5" || !strings.Contains(string(body), "briefly unavailable") {
						t.Fatalf("GET %s: %d Retry-After %q\n%.500s", path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
					}
					if lower := strings.ToLower(string(body)); strings.Contains(lower, "sql") || strings.Contains(lower, "closed") {
						t.Fatalf("GET %s names the cause:\n%s", path, body)
					}
				}
			}
			// Signing in needs the database too.
			a := o.browser()
			a.get("/admin/login")
			if status, body, h := a.post("/admin/login", url.Values{"email": {"staff@shop.test"}, "password": {testPassword}}); status != 503 || h.Get("Retry-After") != "5" {
				t.Fatalf("sign-in: %d\n%.500s", status, body)
			}
			if n := strings.Count(logs.String(), `msg="database unavailable`); n != 1 || strings.Contains(logs.String(), "backoffice error") {
				t.Errorf("16 refused requests: %d outage lines, want 1:\n%s", n, logs)
			}
		})
	}
}
