package backoffice_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// backofficeRequirements is what each backoffice route requires: "public"
// (no session), "staff" (any signed-in staff member), "home" (any staff
// member with some grant: the start page sends them to their first
// screen), "picker" (configuration:viewer or users:viewer, checked in the
// handler) or one grant. A route the server has and this table lacks
// fails TestEveryBackofficeRouteRefusesRolesWithoutItsGrant.
var backofficeRequirements = map[string]string{
	"GET /admin/static/{file}":              "public",
	"GET /admin/login":                      "public",
	"POST /admin/login":                     "public",
	"GET /admin/login/code":                 "public",
	"POST /admin/login/code":                "public",
	"GET /admin/two-factor":                 "staff",
	"POST /admin/two-factor":                "staff",
	"POST /admin/two-factor/recovery-codes": "staff",
	"GET /admin":                            "public",
	"POST /admin/logout":                    "staff",
	"GET /admin/password":                   "staff",
	"POST /admin/password":                  "staff",
	"GET /admin/{$}":                        "home",
	"GET /admin/users/search":               "picker",

	"GET /admin/login-tokens":                  "configuration:viewer",
	"GET /admin/login-tokens.csv":              "configuration:viewer",
	"POST /admin/login-tokens/filter":          "configuration:viewer",
	"POST /admin/login-tokens/search":          "configuration:viewer",
	"GET /admin/login-tokens/filters":          "configuration:viewer",
	"GET /admin/login-tokens/new":              "configuration:editor",
	"POST /admin/login-tokens":                 "configuration:editor",
	"POST /admin/login-tokens/delete":          "configuration:editor",
	"GET /admin/login-tokens/{id}":             "configuration:viewer",
	"POST /admin/login-tokens/{id}":            "configuration:editor",
	"POST /admin/login-tokens/{id}/reveal":     "configuration:editor",
	"POST /admin/login-tokens/{id}/regenerate": "configuration:editor",
	"GET /admin/login-tokens/{id}/send":        "configuration:editor",
	"POST /admin/login-tokens/{id}/send":       "configuration:editor",
	"POST /admin/login-tokens/send":            "configuration:editor",
	"GET /admin/settings/mail":                 "configuration:editor",
	"POST /admin/settings/mail":                "configuration:editor",
	"POST /admin/impersonate":                  "configuration:editor",

	"GET /admin/contacts":                "users:viewer",
	"GET /admin/contacts/new":            "users:editor",
	"POST /admin/contacts":               "users:editor",
	"GET /admin/contacts/{id}":           "users:viewer",
	"POST /admin/contacts/{id}":          "users:editor",
	"POST /admin/contacts/{id}/disable":  "users:editor",
	"POST /admin/contacts/{id}/enable":   "users:editor",
	"POST /admin/contacts/{id}/delete":   "users:editor",
	"GET /admin/contacts/import":         "users:editor",
	"POST /admin/contacts/import":        "users:editor",
	"GET /admin/customers":               "users:viewer",
	"GET /admin/customers/new":           "users:editor",
	"POST /admin/customers":              "users:editor",
	"GET /admin/customers/{id}":          "users:viewer",
	"POST /admin/customers/{id}":         "users:editor",
	"POST /admin/customers/{id}/disable": "users:editor",
	"POST /admin/customers/{id}/enable":  "users:editor",
	"POST /admin/customers/{id}/delete":  "users:editor",
	"GET /admin/customers/import":        "users:editor",
	"POST /admin/customers/import":       "users:editor",
	"GET /admin/companies":               "users:viewer",
	"GET /admin/companies/new":           "users:editor",
	"POST /admin/companies":              "users:editor",
	"GET /admin/companies/{id}":          "users:viewer",
	"POST /admin/companies/{id}":         "users:editor",
	"POST /admin/companies/{id}/delete":  "users:editor",

	"GET /admin/settings":                              "configuration:owner",
	"GET /admin/settings/api-keys":                     "configuration:owner",
	"GET /admin/settings/api-keys/new":                 "configuration:owner",
	"POST /admin/settings/api-keys":                    "configuration:owner",
	"POST /admin/settings/api-keys/{id}/revoke":        "configuration:owner",
	"GET /admin/settings/staff":                        "configuration:owner",
	"GET /admin/settings/audit":                        "configuration:viewer",
	"POST /admin/settings/audit":                       "configuration:owner",
	"GET /admin/settings/audit/export":                 "configuration:viewer",
	"GET /admin/settings/staff/new":                    "configuration:owner",
	"POST /admin/settings/staff":                       "configuration:owner",
	"GET /admin/settings/staff/{id}":                   "configuration:owner",
	"POST /admin/settings/staff/{id}":                  "configuration:owner",
	"POST /admin/settings/staff/{id}/disable":          "configuration:owner",
	"POST /admin/settings/staff/{id}/enable":           "configuration:owner",
	"POST /admin/settings/staff/{id}/password":         "configuration:owner",
	"POST /admin/settings/staff/two-factor":            "configuration:owner",
	"POST /admin/settings/staff/{id}/two-factor/reset": "configuration:owner",

	"GET /admin/settings/shops":                                            "configuration:viewer",
	"GET /admin/settings/shops/new":                                        "configuration:owner",
	"POST /admin/settings/shops":                                           "configuration:owner",
	"GET /admin/settings/shops/{id}":                                       "configuration:viewer",
	"POST /admin/settings/shops/{id}":                                      "configuration:owner",
	"POST /admin/settings/shops/{id}/rotate-secret":                        "configuration:owner",
	"POST /admin/settings/shops/{id}/disable":                              "configuration:owner",
	"POST /admin/settings/shops/{id}/enable":                               "configuration:owner",
	"GET /admin/settings/webhooks":                                         "configuration:owner",
	"GET /admin/settings/webhooks/new":                                     "configuration:owner",
	"POST /admin/settings/webhooks":                                        "configuration:owner",
	"GET /admin/settings/webhooks/{id}":                                    "configuration:owner",
	"POST /admin/settings/webhooks/{id}":                                   "configuration:owner",
	"POST /admin/settings/webhooks/{id}/rotate-secret":                     "configuration:owner",
	"POST /admin/settings/webhooks/{id}/delete":                            "configuration:owner",
	"POST /admin/settings/webhooks/{id}/deliveries/{deliveryId}/redeliver": "configuration:owner",
}

// backofficeRoles are the staff every route is tried as: "" is no
// session, "staff" a staff member without grants.
var backofficeRoles = []string{"", "staff", "configuration:viewer", "configuration:editor", "configuration:owner", "users:viewer", "users:editor"}

// signInRedirect starts where a request without a session is sent.
const signInRedirect = "/admin/login?next="

// Outcomes of a request in the table.
const (
	toSignIn = "sign-in" // GET: 303 to /admin/login?next=…; POST: 401
	refused  = "403"
	allowed  = "allowed"
)

// expect is the outcome of a role on a route with requirement req.
func expect(req, role string) string {
	switch {
	case req == "public":
		return allowed
	case role == "":
		return toSignIn
	case req == "staff":
		return allowed
	}
	have, _ := lt.ParseGrant(role) // "staff" has none
	switch req {
	case "home":
		if have.Level == lt.LevelNone {
			return refused
		}
		return allowed
	case "picker":
		if have.Level >= lt.LevelViewer {
			return allowed
		}
		return refused
	}
	need, _ := lt.ParseGrant(req)
	if have.Area == need.Area && have.Level >= need.Level {
		return allowed
	}
	return refused
}

// authzOffice is a backoffice whose route list the test can read, with a
// staff member of each role.
type authzOffice struct {
	*testOffice
	srv   *backoffice.Server
	staff map[string]*lt.Staff
}

func newAuthzOffice(t *testing.T) *authzOffice {
	t.Helper()
	st := sqlstoretest.Open(t, "sqlite")
	bo, err := backoffice.New(backoffice.Config{Store: st, PublicURL: "http://127.0.0.1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	bo.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	o := &authzOffice{testOffice: &testOffice{t: t, URL: srv.URL, Store: st}, srv: bo, staff: map[string]*lt.Staff{}}
	for _, role := range backofficeRoles[1:] {
		var grants []string
		if role != "staff" {
			grants = []string{role}
		}
		o.staff[role] = o.testOffice.staff(strings.ReplaceAll(role, ":", ".")+"@shop.test", grants...)
	}
	o.staff["all"], err = st.CreateStaff(ctx, lt.NewStaff{Email: "all@shop.test", Password: testPassword, Grants: lt.AllGrants()})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// session is a fresh session of the role's staff member ("" = none) and
// its CSRF token, read from a page as a browser would.
func (o *authzOffice) session(role string) (cookie, csrf string) {
	o.t.Helper()
	if role == "" {
		return "", ""
	}
	value, err := o.Store.CreateSession(ctx, o.staff[role].ID, "127.0.0.1", "authz test")
	if err != nil {
		o.t.Fatal(err)
	}
	status, body, _ := o.send("GET", "/admin/password", value, nil)
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		o.t.Fatalf("no CSRF token for %s: %d", role, status)
	}
	return value, m[1]
}

// send makes one request with the session cookie (if any), a form body
// (POST) and headers (name, value, ...); redirects are not followed.
func (o *authzOffice) send(method, path, session string, form url.Values, header ...string) (int, string, http.Header) {
	o.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, o.URL+path, body)
	if err != nil {
		o.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "lt_session", Value: session})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// concrete is a path to request for a pattern: ids that name nothing, so
// an allowed request changes no record the table relies on.
func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.Replace(path, "{$}", "", 1)
	switch {
	case strings.Contains(path, "/login-tokens/{id}"), strings.Contains(path, "/api-keys/{id}"):
		path = strings.Replace(path, "{id}", "aaaaaaaaaaaaaaaa", 1)
	case strings.Contains(path, "{file}"):
		path = strings.Replace(path, "{file}", "nothing.css", 1)
	}
	return method, strings.Replace(path, "{id}", "999999", 1)
}

// stateChanging reports whether a route's method may change state, so
// that it needs the CSRF token and a same-origin request.
func stateChanging(pattern string) bool { return !strings.HasPrefix(pattern, "GET ") }

func TestEveryBackofficeRouteRefusesRolesWithoutItsGrant(t *testing.T) {
	o := newAuthzOffice(t)
	seen := map[string]bool{}
	for _, rt := range o.srv.Routes() {
		seen[rt.Pattern] = true
		req, ok := backofficeRequirements[rt.Pattern]
		if !ok {
			t.Errorf("route %s is missing from backofficeRequirements: add what it requires", rt.Pattern)
			continue
		}
		// The table agrees with what the route declares (uploads check
		// their grant themselves, after limiting the body).
		if !rt.Public && rt.Grant != "" && rt.Grant != req {
			t.Errorf("%s declares %s, the table says %s", rt.Pattern, rt.Grant, req)
		}
		if rt.Pattern == "POST /admin/login" || rt.Pattern == "POST /admin/login/code" {
			continue // needs its own form token; see TestStateChangingBackofficeRoutesRefuseCrossSiteRequests
		}
		method, path := concrete(rt.Pattern)
		refusedSignedIn := 0
		for _, role := range backofficeRoles {
			session, csrf := o.session(role)
			var form url.Values
			if method == "POST" {
				form = url.Values{"csrf": {csrf}}
			}
			status, body, h := o.send(method, path, session, form, "Sec-Fetch-Site", "same-origin")
			want := expect(req, role)
			loc := h.Get("Location")
			switch {
			case status >= 500:
				t.Errorf("%s as %q: %d %s", rt.Pattern, role, status, body)
			case want == toSignIn && method == "GET":
				if status != http.StatusSeeOther || !strings.HasPrefix(loc, signInRedirect) {
					t.Errorf("%s as %q: %d %s, want a redirect to sign in", rt.Pattern, role, status, loc)
				}
			case want == toSignIn:
				if status != http.StatusUnauthorized {
					t.Errorf("%s as %q: %d, want 401", rt.Pattern, role, status)
				}
			case want == refused:
				refusedSignedIn++
				if status != http.StatusForbidden {
					t.Errorf("%s as %q: %d %s, want 403", rt.Pattern, role, status, loc)
				}
			case status == http.StatusUnauthorized || status == http.StatusForbidden || strings.HasPrefix(loc, signInRedirect):
				t.Errorf("%s as %q: %d %s, want it allowed", rt.Pattern, role, status, loc)
			}
		}
		// Every state-changing route that needs a grant was refused to at
		// least one signed-in role without it: a weaker grant or none.
		if stateChanging(rt.Pattern) && req != "public" && req != "staff" && refusedSignedIn == 0 {
			t.Errorf("%s: no signed-in role was refused", rt.Pattern)
		}
	}
	for pattern := range backofficeRequirements {
		if !seen[pattern] {
			t.Errorf("backofficeRequirements names %s, which the backoffice does not have", pattern)
		}
	}
}

func TestStateChangingBackofficeRoutesNeedTheCSRFToken(t *testing.T) {
	o := newAuthzOffice(t)
	for _, rt := range o.srv.Routes() {
		if !stateChanging(rt.Pattern) || rt.Pattern == "POST /admin/login" || rt.Pattern == "POST /admin/login/code" {
			continue
		}
		method, path := concrete(rt.Pattern)
		for _, token := range []string{"", "forged"} {
			session, _ := o.session("all")
			form := url.Values{}
			if token != "" {
				form.Set("csrf", token)
			}
			if status, _, _ := o.send(method, path, session, form, "Sec-Fetch-Site", "same-origin"); status != http.StatusForbidden {
				t.Errorf("%s with CSRF token %q: %d, want 403", rt.Pattern, token, status)
			}
		}
	}
}

// crossSite are the headers of a request a browser sends from another
// site: by Fetch Metadata, or by Origin alone (browsers before 2023).
var crossSite = [][]string{
	{"Sec-Fetch-Site", "cross-site"},
	{"Sec-Fetch-Site", "same-site"}, // a sibling subdomain is another origin
	{"Origin", "https://evil.example"},
	{"Origin", "null"},
}

func TestStateChangingBackofficeRoutesRefuseCrossSiteRequests(t *testing.T) {
	o := newAuthzOffice(t)
	for _, rt := range o.srv.Routes() {
		if !stateChanging(rt.Pattern) || rt.Pattern == "POST /admin/login" || rt.Pattern == "POST /admin/login/code" {
			continue
		}
		method, path := concrete(rt.Pattern)
		for _, h := range crossSite {
			// A valid session of a staff member with every grant, and the
			// right CSRF token: only the origin is wrong.
			session, csrf := o.session("all")
			status, body, _ := o.send(method, path, session, url.Values{"csrf": {csrf}}, h...)
			if status != http.StatusForbidden {
				t.Errorf("%s with %s: %s: %d %.200s, want 403", rt.Pattern, h[0], h[1], status, body)
			}
		}
		// The same request from the backoffice's own pages goes through.
		session, csrf := o.session("all")
		status, _, hd := o.send(method, path, session, url.Values{"csrf": {csrf}}, "Sec-Fetch-Site", "same-origin", "Origin", o.URL)
		if status == http.StatusForbidden || status == http.StatusUnauthorized || strings.HasPrefix(hd.Get("Location"), signInRedirect) || status >= 500 {
			t.Errorf("%s from the same origin: %d, want it allowed", rt.Pattern, status)
		}
	}

	// The sign-in form too: a cross-site page cannot sign a browser in to
	// the backoffice, even with the form's own token and a right password.
	for _, h := range crossSite {
		b := o.browser()
		b.get("/admin/login")
		status, _, hd := b.post("/admin/login", url.Values{"email": {"all@shop.test"}, "password": {testPassword}}, h...)
		if status != http.StatusForbidden || strings.Contains(strings.Join(hd.Values("Set-Cookie"), ";"), "lt_session=") {
			t.Errorf("POST /admin/login with %s: %s: %d, want 403 and no session", h[0], h[1], status)
		}
		status, _, hd = b.post("/admin/login", url.Values{"email": {"all@shop.test"}, "password": {testPassword}}, "Sec-Fetch-Site", "same-origin")
		if status != http.StatusSeeOther || !strings.Contains(strings.Join(hd.Values("Set-Cookie"), ";"), "lt_session=") {
			t.Errorf("POST /admin/login from the same origin: %d, want 303 and a session", status)
		}
	}
}
