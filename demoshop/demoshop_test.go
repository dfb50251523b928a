package demoshop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/demoshop"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

const (
	issuer   = "http://login.example.test"
	audience = "http://shop.example.test"
)

var ctx = context.Background()

// clock is the one time the signer and the shop share; handlers read it
// from the server's goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is a login service's signer and JWKS, and the demo shop trusting it
// over HTTP.
type env struct {
	t        *testing.T
	store    *sqlstore.Store
	key      *ecdsa.PrivateKey // the service's signing key, to forge claims it never issues
	kid      string
	signer   *jwtsign.Signer
	clock    *clock
	jwksHits atomic.Int32
	shop     *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, store: sqlstoretest.Open(t, "sqlite"), clock: &clock{t: time.Now().Truncate(time.Second)}}
	// The service's key is made here, so the test knows it.
	k, err := jwtsign.NewKey(e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddSigningKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	e.key, e.kid = priv.(*ecdsa.PrivateKey), k.ID
	e.signer = e.newSigner(e.store, issuer, audience)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		e.jwksHits.Add(1)
		set, err := e.signer.JWKS(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b, _ := json.Marshal(set)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(jwks.Close)
	h, err := demoshop.New(demoshop.Config{ServiceURL: jwks.URL, Issuer: issuer, Audience: audience,
		HTTPClient: jwks.Client(), Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
		OCIFrameAncestors: []string{"https://srm.example.test", "https://portal.example.test:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/shop/", h)
	e.shop = httptest.NewServer(mux)
	t.Cleanup(e.shop.Close)
	return e
}

// sign signs claims with the service's own key, as its signer never would.
func (e *env) sign(claims jwt.MapClaims) string {
	e.t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = e.kid
	s, err := tok.SignedString(e.key)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// claims are valid claims for the shop, to edit.
func (e *env) claims() jwt.MapClaims {
	now := e.clock.Now()
	return jwt.MapClaims{"iss": issuer, "aud": audience, "sub": "contact:12", "name": "Jane Doe", "userType": "contact",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": fmt.Sprintf("jti-%d", jtiSeq.Add(1))}
}

var jtiSeq atomic.Int64

// newSigner is a signer on st with the env's clock.
func (e *env) newSigner(st *sqlstore.Store, iss, aud string) *jwtsign.Signer {
	e.t.Helper()
	s := jwtsign.New(st, iss, aud)
	s.Now = e.clock.Now
	if err := s.Load(ctx); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func issue(t *testing.T, s *jwtsign.Signer, a lt.Assertion) string {
	t.Helper()
	jwt, err := s.Issue(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}

var jane = &lt.LoginToken{ID: "k3x9f0a2b7cq", Type: lt.UserContact, Extra: []string{},
	User: &lt.UserRef{Type: lt.UserContact, ID: 12, Name: "Jane Doe", Email: "jane@acme.test", Company: &lt.CompanyRef{ID: 3, Name: "Acme"}}}

// browser is one visitor with its own cookies; it does not follow redirects.
type browser struct {
	t      *testing.T
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.shop.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, nil) }
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.do("POST", path, form)
}

// callback posts an assertion as the login service's page does.
func (b *browser) callback(assertion, ret string) page {
	b.t.Helper()
	return b.post("/shop/callback", url.Values{"assertion": {assertion}, "return": {ret}})
}

// signIn signs the browser in and fails the test unless it worked.
func (b *browser) signIn(assertion string) {
	b.t.Helper()
	if p := b.callback(assertion, ""); p.status != http.StatusSeeOther {
		b.t.Fatalf("sign-in: %d %s", p.status, p.body)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the signed-in home page's forms.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get("/shop/").body)
	if m == nil {
		b.t.Fatal("no CSRF token on the home page")
	}
	return m[1]
}

func wantStatus(t *testing.T, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
}

func wantText(t *testing.T, p page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Errorf("page does not say %q:\n%s", s, p.body)
		}
	}
}

func TestAValidAssertionSignsInAndTheShopShowsWhoItIs(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name  string
		token *lt.LoginToken
		want  []string
	}{
		{"contact", jane, []string{"Jane Doe", "Contact of Acme", "jane@acme.test"}},
		{"customer", &lt.LoginToken{ID: "c5c5c5c5c5c5", Type: lt.UserCustomer,
			User: &lt.UserRef{Type: lt.UserCustomer, ID: 5, Name: "Carl Buyer", Email: "carl@mail.test"}}, []string{"Carl Buyer", "Customer", "carl@mail.test"}},
		{"anonymous", &lt.LoginToken{ID: "a1a1a1a1a1a1", Type: lt.UserAnonymous}, []string{"Anonymous guest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			p := b.callback(issue(t, e.signer, lt.Assertion{Token: tc.token}), "")
			wantStatus(t, p, http.StatusSeeOther)
			if loc := p.header.Get("Location"); loc != "/shop/" {
				t.Errorf("redirect to %q, want /shop/", loc)
			}
			cookie := p.header.Get("Set-Cookie")
			for _, attr := range []string{"demoshop_session=", "Path=/shop", "HttpOnly", "SameSite=Lax"} {
				if !strings.Contains(cookie, attr) {
					t.Errorf("session cookie %q lacks %s", cookie, attr)
				}
			}
			home := b.get("/shop/")
			wantStatus(t, home, http.StatusOK)
			wantText(t, home, tc.want...)
			wantText(t, home, "Catalogue", "Add to cart", "DS-1001")
			if strings.Contains(home.body, "Impersonated by") {
				t.Error("impersonation shown without an act claim")
			}
		})
	}
}

// An OCI session's cookie works in a cross-site frame (SameSite=None;
// Secure; Partitioned) and its pages may be framed by the procurement
// systems; an ordinary session keeps a SameSite=Lax cookie and no one may
// frame its pages or the signed-out ones. Signing in anew clears the other
// kind of cookie, which would name the older session.
func TestOnlyAnOCISessionMayBeFramedAndHasAFrameSafeCookie(t *testing.T) {
	e := newEnv(t)
	const framedBy = "; frame-ancestors https://srm.example.test https://portal.example.test:8443;"
	wantFrame := func(name string, p page, framed bool) {
		t.Helper()
		csp := p.header.Get("Content-Security-Policy")
		if got := strings.Contains(csp+";", framedBy); got != framed || (!framed && !strings.Contains(csp, "frame-ancestors 'none'")) {
			t.Errorf("%s: CSP %q; want framed by the procurement systems: %v, else by no one", name, csp, framed)
		}
		if p.header.Get("X-Frame-Options") != "" {
			t.Errorf("%s: X-Frame-Options %q", name, p.header.Get("X-Frame-Options"))
		}
	}
	b := e.browser()
	wantFrame("signed out", b.get("/shop/"), false)
	p := b.callback(issue(t, e.signer, lt.Assertion{Token: jane}), "")
	lax := p.header.Values("Set-Cookie")
	if len(lax) != 1 || !strings.Contains(lax[0], "SameSite=Lax") || strings.Contains(lax[0], "Partitioned") || strings.Contains(lax[0], "SameSite=None") {
		t.Errorf("an ordinary session's cookies: %q, want one SameSite=Lax", lax)
	}
	for _, path := range []string{"/shop/", "/shop/cart", "/shop/transfer"} {
		wantFrame("ordinary "+path, b.get(path), false)
	}

	p = b.callback(issue(t, e.signer, lt.Assertion{Token: jane, OCI: map[string]string{"hookUrl": "https://srm.example.test/hook"}}), "")
	cookies := p.header.Values("Set-Cookie")
	if len(cookies) != 2 || !strings.Contains(cookies[0], "Max-Age=0") || !strings.Contains(cookies[0], "SameSite=Lax") {
		t.Fatalf("an OCI sign-in after an ordinary one: Set-Cookie %q, want the Lax cookie cleared first", cookies)
	}
	for _, attr := range []string{"demoshop_session=", "Path=/shop", "HttpOnly", "Secure", "SameSite=None", "Partitioned"} {
		if !strings.Contains(cookies[1], attr) {
			t.Errorf("the OCI session's cookie %q lacks %s", cookies[1], attr)
		}
	}
	home := b.get("/shop/")
	wantText(t, home, "Punchout session")
	wantFrame("OCI /shop/", home, true)
	b.post("/shop/cart/add", url.Values{"csrf": {b.csrf()}, "sku": {"DS-1001"}})
	wantFrame("OCI cart", b.get("/shop/cart"), true)
	wantFrame("OCI transfer", b.get("/shop/transfer"), true)
	wantFrame("OCI error", b.post("/shop/cart/add", url.Values{"csrf": {b.csrf()}, "sku": {"nope"}}), true)

	out := b.post("/shop/logout", url.Values{"csrf": {b.csrf()}})
	if cleared := out.header.Values("Set-Cookie"); len(cleared) != 2 || !strings.Contains(cleared[1], "Partitioned") || !strings.Contains(cleared[1], "Max-Age=0") {
		t.Errorf("sign-out clears %q, want both kinds of cookie", cleared)
	}
	wantFrame("signed out again", b.get("/shop/"), false)
}

// A frame ancestor that is not an origin would change the pages' policy:
// the shop is not built.
func TestTheShopRefusesAFrameAncestorThatIsNotAnOrigin(t *testing.T) {
	for _, bad := range []string{"https://srm.example.test/", "https://a.test; script-src *", "*", "https://*.a.test", "'self'"} {
		if _, err := demoshop.New(demoshop.Config{ServiceURL: "http://127.0.0.1:1", Issuer: issuer, Audience: audience,
			OCIFrameAncestors: []string{bad}}); err == nil {
			t.Errorf("the frame ancestor %q was taken", bad)
		}
	}
}

func TestTheActClaimShowsImpersonatedBy(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane, Act: &lt.Impersonator{Sub: "staff:1", Name: "Sam Sales", Email: "sam@shop.test"}}))
	home := b.get("/shop/")
	wantText(t, home, "Jane Doe", "Contact of Acme", "Impersonated by <strong>Sam Sales</strong> (sam@shop.test)")
}

func TestWithoutASessionTheShopSaysHowToSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.get("/shop/")
	wantStatus(t, home, http.StatusOK)
	wantText(t, home, "You are not signed in", "login link")
	if strings.Contains(home.body, "Add to cart") {
		t.Error("the catalogue is shown without a session")
	}
	for _, path := range []string{"/shop/cart", "/shop/transfer"} {
		if p := b.get(path); p.status != http.StatusSeeOther || p.header.Get("Location") != "/shop/" {
			t.Errorf("GET %s without a session: %d %s", path, p.status, p.header.Get("Location"))
		}
	}
	p := b.post("/shop/cart/add", url.Values{"sku": {"DS-1001"}, "csrf": {"x"}})
	wantStatus(t, p, http.StatusUnauthorized)
}

func TestRefusedAssertionsSayWhyAndStartNoSession(t *testing.T) {
	e := newEnv(t)
	valid := func() string { return issue(t, e.signer, lt.Assertion{Token: jane}) }
	otherStore := sqlstoretest.Open(t, "sqlite")
	forged := func(method jwt.SigningMethod, key any) string {
		tok := jwt.NewWithClaims(method, e.claims())
		tok.Header["kid"] = e.kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	without := func(claim string) func() string {
		return func() string {
			c := e.claims()
			delete(c, claim)
			return e.sign(c)
		}
	}
	for _, tc := range []struct {
		name      string
		assertion func() string
		status    int
		reason    string
	}{
		{"wrong audience", func() string {
			return issue(t, e.newSigner(e.store, issuer, "http://other-shop.example.test"), lt.Assertion{Token: jane})
		}, 400, "Wrong audience"},
		{"wrong issuer", func() string {
			return issue(t, e.newSigner(e.store, "http://evil.example.test", audience), lt.Assertion{Token: jane})
		}, 400, "Wrong issuer"},
		{"expired", func() string {
			s := e.newSigner(e.store, issuer, audience)
			s.Now = func() time.Time { return e.clock.Now().Add(-10 * time.Minute) }
			return issue(t, s, lt.Assertion{Token: jane})
		}, 400, "Expired"},
		{"issued in the future", func() string {
			s := e.newSigner(e.store, issuer, audience)
			s.Now = func() time.Time { return e.clock.Now().Add(5 * time.Minute) }
			return issue(t, s, lt.Assertion{Token: jane})
		}, 400, "Implausible issue time"},
		{"tampered signature", func() string {
			a := valid()
			i := strings.LastIndex(a, ".") + 10
			c := byte('A')
			if a[i] == 'A' {
				c = 'B'
			}
			return a[:i] + string(c) + a[i+1:]
		}, 400, "Bad signature"},
		{"tampered claims", func() string {
			parts := strings.Split(valid(), ".")
			other := strings.Split(issue(t, e.signer, lt.Assertion{Token: jane, Act: &lt.Impersonator{Sub: "staff:9"}}), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}, 400, "Bad signature"},
		{"unknown kid", func() string {
			return issue(t, e.newSigner(otherStore, issuer, audience), lt.Assertion{Token: jane})
		}, 400, "Unknown key"},
		{"HS256 with the real kid", func() string { return forged(jwt.SigningMethodHS256, []byte("guessed secret")) }, 400, "Wrong algorithm"},
		{"alg none", func() string { return forged(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType) }, 400, "Wrong algorithm"},
		{"no kid", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, e.claims())
			s, _ := tok.SignedString(e.key)
			return s
		}, 400, "Unknown key"},
		{"no exp", without("exp"), 400, "Missing claim"},
		{"no iat", without("iat"), 400, "Implausible issue time"},
		{"valid for an hour", func() string {
			c := e.claims()
			c["exp"] = e.clock.Now().Add(time.Hour).Unix()
			return e.sign(c)
		}, 400, "Implausible issue time"},
		{"no jti", without("jti"), 400, "No assertion id"},
		{"no sub", without("sub"), 400, "No subject"},
		{"audience list without the shop", func() string {
			c := e.claims()
			c["aud"] = []string{"http://a.example.test", "http://b.example.test"}
			return e.sign(c)
		}, 400, "Wrong audience"},
		{"not a JWT", func() string { return "not.a.jwt" }, 400, "Malformed"},
		{"nothing posted", func() string { return "" }, 400, "No assertion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			p := b.callback(tc.assertion(), "/shop/cart")
			wantStatus(t, p, tc.status)
			wantText(t, p, "Sign-in refused", tc.reason)
			if c := p.header.Get("Set-Cookie"); c != "" {
				t.Errorf("a refused sign-in set a cookie: %s", c)
			}
			wantText(t, b.get("/shop/"), "You are not signed in")
		})
	}
}

func TestTheShopMayBeOneOfSeveralAudiences(t *testing.T) {
	e := newEnv(t)
	c := e.claims()
	c["aud"] = []string{"http://a.example.test", audience}
	b := e.browser()
	b.signIn(e.sign(c))
	wantText(t, b.get("/shop/"), "Jane Doe", `id="who-role">Contact<`)
}

func TestAReplayedAssertionIsRefused(t *testing.T) {
	e := newEnv(t)
	a := issue(t, e.signer, lt.Assertion{Token: jane})
	e.browser().signIn(a)
	// Another browser, as an attacker who captured the form post would be.
	p := e.browser().callback(a, "")
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Replayed", "already used")
	// A fresh assertion for the same user still works.
	e.browser().signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
}

func TestKeysAreFetchedOverHTTPAndAnUnknownKidRefetchesAtMostOncePerMinute(t *testing.T) {
	e := newEnv(t)
	if n := e.jwksHits.Load(); n != 0 {
		t.Fatalf("New fetched the JWKS %d times; it should wait for the first assertion", n)
	}
	e.browser().signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
	e.browser().signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
	if n := e.jwksHits.Load(); n != 1 {
		t.Fatalf("two sign-ins fetched the JWKS %d times, want once (cached)", n)
	}
	stranger := e.newSigner(sqlstoretest.Open(t, "sqlite"), issuer, audience)
	unknown := func() {
		t.Helper()
		wantText(t, e.browser().callback(issue(t, stranger, lt.Assertion{Token: jane}), ""), "Unknown key")
	}
	unknown()
	if n := e.jwksHits.Load(); n != 2 {
		t.Fatalf("an unknown kid fetched the JWKS %d times in all, want a second fetch", n)
	}
	unknown()
	unknown()
	if n := e.jwksHits.Load(); n != 2 {
		t.Fatalf("unknown kids within a minute fetched the JWKS %d times in all, want still 2", n)
	}
	e.clock.Add(61 * time.Second)
	unknown()
	if n := e.jwksHits.Load(); n != 3 {
		t.Fatalf("after a minute an unknown kid fetched %d times in all, want 3", n)
	}

	// The service rotates its key: the new kid is unknown to the shop,
	// which fetches the keys again and accepts it.
	next, err := jwtsign.NewKey(e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RotateSigningKey(ctx, next); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(61 * time.Second) // the signer reloads its keys after a minute
	rotated := issue(t, e.signer, lt.Assertion{Token: jane})
	tok, _, _ := jwt.NewParser().ParseUnverified(rotated, jwt.MapClaims{})
	if tok.Header["kid"] != next.ID {
		t.Fatalf("the signer did not rotate: kid %v", tok.Header["kid"])
	}
	e.browser().signIn(rotated)
	if n := e.jwksHits.Load(); n != 4 {
		t.Fatalf("the rotated key was verified after %d fetches in all, want 4", n)
	}
}

func TestUnreachableKeysAreABadGatewayNotTheVisitorsFault(t *testing.T) {
	e := newEnv(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	h, err := demoshop.New(demoshop.Config{ServiceURL: dead.URL, Issuer: issuer, Audience: audience,
		Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	form := url.Values{"assertion": {issue(t, e.signer, lt.Assertion{Token: jane})}}
	req := httptest.NewRequest("POST", "/shop/callback", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "Keys unavailable") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestReturnGoesOnlyToAPathInsideTheShop(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ ret, want string }{
		{"", "/shop/"},
		{"/shop/cart", "/shop/cart"},
		{"/shop/?q=pens#top", "/shop/?q=pens#top"},
		{"/shop", "/shop/"},
		{"/admin/", "/shop/"},
		{"//evil.example/shop/", "/shop/"},
		{"/\\evil.example/", "/shop/"},
		{"/shop/\\..\\admin", "/shop/"},
		{"https://evil.example/shop/", "/shop/"},
		{"/shop/../admin/", "/shop/"},
		{"/shop/%2e%2e/admin/", "/shop/"},
		{"/shop/\r\nSet-Cookie: x=y", "/shop/"},
		// Within the callback's 64 KiB, but too long to send back.
		{"/shop/?q=" + strings.Repeat("x", 40<<10), "/shop/"},
	} {
		t.Run(fmt.Sprintf("%.40s", tc.ret), func(t *testing.T) {
			p := e.browser().callback(issue(t, e.signer, lt.Assertion{Token: jane}), tc.ret)
			wantStatus(t, p, http.StatusSeeOther)
			if loc := p.header.Get("Location"); loc != tc.want {
				t.Fatalf("return %q redirected to %q, want %q", tc.ret, loc, tc.want)
			}
		})
	}
}

func TestTheCartAddsUpdatesAndRemovesLines(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
	csrf := b.csrf()
	add := func(sku, qty string) page {
		t.Helper()
		return b.post("/shop/cart/add", url.Values{"csrf": {csrf}, "sku": {sku}, "quantity": {qty}})
	}
	for _, l := range [][2]string{{"DS-1001", "2"}, {"DS-3001", "1"}, {"DS-1001", "1"}} {
		p := add(l[0], l[1])
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/shop/cart" {
			t.Fatalf("add %v: %d %s", l, p.status, p.body)
		}
	}
	cart := b.get("/shop/cart")
	wantStatus(t, cart, http.StatusOK)
	// 3 × 4.90 + 189.00
	wantText(t, cart, "Ballpoint pen, blue, pack of 10", `value="3"`, "€14.70", "USB-C docking station", "€189.00", `id="cart-total">€203.70<`)
	wantText(t, b.get("/shop/"), `aria-label="4 items"`)
	if strings.Contains(cart.body, "Transfer cart") {
		t.Error("a session without OCI offers Transfer cart")
	}

	// Refusals change nothing.
	wantStatus(t, b.post("/shop/cart/add", url.Values{"sku": {"DS-2001"}}), http.StatusForbidden)
	wantStatus(t, b.post("/shop/cart/add", url.Values{"csrf": {"not-the-token"}, "sku": {"DS-2001"}}), http.StatusForbidden)
	wantStatus(t, add("DS-9999", "1"), http.StatusBadRequest)
	for _, q := range []string{"0", "-1", "1000", "1.5", "two"} {
		wantStatus(t, add("DS-2001", q), http.StatusBadRequest)
	}
	if strings.Contains(b.get("/shop/cart").body, "Nitrile") {
		t.Fatal("a refused add changed the cart")
	}

	// Update: 5 pens, the docking station set to 0 is removed.
	p := b.post("/shop/cart", url.Values{"csrf": {csrf}, "sku": {"DS-1001", "DS-3001"}, "qty": {"5", "0"}})
	wantStatus(t, p, http.StatusSeeOther)
	cart = b.get("/shop/cart")
	wantText(t, cart, `value="5"`, `id="cart-total">€24.50<`)
	if strings.Contains(cart.body, "USB-C") {
		t.Error("a line set to 0 stayed in the cart")
	}
	wantStatus(t, b.post("/shop/cart", url.Values{"csrf": {csrf}, "sku": {"DS-1001"}, "qty": {"abc"}}), http.StatusBadRequest)

	wantStatus(t, b.post("/shop/cart/remove", url.Values{"csrf": {csrf}, "sku": {"DS-1001"}}), http.StatusSeeOther)
	wantText(t, b.get("/shop/cart"), "Your cart is empty")

	// The cart is the session's: another browser's is empty.
	other := e.browser()
	other.signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
	add2 := other.post("/shop/cart/add", url.Values{"csrf": {other.csrf()}, "sku": {"DS-2002"}})
	wantStatus(t, add2, http.StatusSeeOther)
	if strings.Contains(b.get("/shop/cart").body, "Packing tape") {
		t.Error("one session's cart shows in another")
	}
	wantStatus(t, b.get("/shop/transfer"), http.StatusBadRequest)
}

var (
	transferForm = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)" target="([^"]*)" accept-charset="UTF-8" id="oci-transfer" data-autosubmit>(.*?)</form>`)
	hiddenInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

type field struct{ Name, Value string }

func TestAnOCISessionTransfersTheCartAsOCIFields(t *testing.T) {
	e := newEnv(t)
	hook := "https://srm.example.test/sap/bc/gui/hook?sap-client=100&x=1"
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane, OCI: map[string]string{
		"hookUrl": hook, "okCode": "ADDI", "target": "_top", "caller": "CTLG", "returnTarget": "srm_main",
		"OCI_VERSION": "4.0", "sap-client": "100",
	}}))
	home := b.get("/shop/")
	wantText(t, home, "Punchout session")
	if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "; frame-ancestors https://srm.example.test https://portal.example.test:8443;") {
		t.Errorf("the procurement systems may not frame the OCI session: %s", csp)
	}
	csrf := b.csrf()
	for _, l := range [][2]string{{"DS-1002", "2"}, {"DS-2001", "3"}} {
		wantStatus(t, b.post("/shop/cart/add", url.Values{"csrf": {csrf}, "sku": {l[0]}, "quantity": {l[1]}}), http.StatusSeeOther)
	}
	wantText(t, b.get("/shop/cart"), `href="/shop/transfer">Transfer cart</a>`)

	p := b.get("/shop/transfer")
	wantStatus(t, p, http.StatusOK)
	m := transferForm.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no transfer form:\n%s", p.body)
	}
	if action := html.UnescapeString(m[1]); action != hook {
		t.Errorf("form action %q, want the HOOK_URL %q", action, hook)
	}
	if m[2] != "srm_main" {
		t.Errorf("form target %q, want the returntarget srm_main", m[2])
	}
	var got []field
	for _, in := range hiddenInput.FindAllStringSubmatch(m[3], -1) {
		got = append(got, field{html.UnescapeString(in[1]), html.UnescapeString(in[2])})
	}
	want := []field{
		{"~OkCode", "ADDI"}, {"~TARGET", "_top"}, {"~CALLER", "CTLG"},
		{"NEW_ITEM-DESCRIPTION[1]", "Copy paper A4, 80 g/m², 500 sheets, brig"},
		{"NEW_ITEM-QUANTITY[1]", "2"},
		{"NEW_ITEM-UNIT[1]", "PK"},
		{"NEW_ITEM-PRICE[1]", "5.99"},
		{"NEW_ITEM-CURRENCY[1]", "EUR"},
		{"NEW_ITEM-PRICEUNIT[1]", "1"},
		{"NEW_ITEM-LEADTIME[1]", "3"},
		{"NEW_ITEM-VENDORMAT[1]", "DS-1002"},
		{"NEW_ITEM-MATGROUP[1]", "14111507"},
		{"NEW_ITEM-EXT_PRODUCT_ID[1]", "DS-1002"},
		{"NEW_ITEM-LONGTEXT_1:132[]", "Copy paper A4, 80 g/m², 500 sheets, bright white. Multipurpose paper for laser and inkjet printers; ISO 9706 long-life."},
		{"NEW_ITEM-DESCRIPTION[2]", "Nitrile safety gloves, size L"},
		{"NEW_ITEM-QUANTITY[2]", "3"},
		{"NEW_ITEM-UNIT[2]", "PR"},
		{"NEW_ITEM-PRICE[2]", "3.25"},
		{"NEW_ITEM-CURRENCY[2]", "EUR"},
		{"NEW_ITEM-PRICEUNIT[2]", "1"},
		{"NEW_ITEM-LEADTIME[2]", "5"},
		{"NEW_ITEM-VENDORMAT[2]", "DS-2001"},
		{"NEW_ITEM-MATGROUP[2]", "46181504"},
		{"NEW_ITEM-EXT_PRODUCT_ID[2]", "DS-2001"},
		{"NEW_ITEM-LONGTEXT_2:132[]", "Powder-free nitrile gloves, chemical-resistant to EN ISO 374-1. Sold by the pair."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("transfer fields:\n got %v\nwant %v", got, want)
	}
	for _, secret := range []string{"OCI_VERSION", "sap-client", "hookUrl"} {
		if strings.Contains(m[3], `name="`+secret) {
			t.Errorf("the form posts the login parameter %s", secret)
		}
	}
	if !strings.Contains(m[3], `<button type="submit" class="primary">Transfer cart</button>`) {
		t.Error("no visible Transfer cart button")
	}
	if !regexp.MustCompile(`<script src="/shop/static/transfer\.[0-9a-f]+\.js" defer></script>`).MatchString(p.body) {
		t.Error("the transfer page does not load transfer.js")
	}
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "form-action") {
		t.Errorf("transfer page CSP %q: want script-src 'self' and no form-action (the post leaves the shop)", csp)
	}
}

func TestWithoutReturnTargetTheCartGoesToTheTopWindow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane, OCI: map[string]string{"hookUrl": "https://srm.example.test/hook"}}))
	p := b.get("/shop/transfer")
	m := transferForm.FindStringSubmatch(p.body)
	if m == nil || m[2] != "_top" {
		t.Fatalf("transfer form %v, want target _top", m)
	}
	// An empty cart returns to the procurement system without items.
	wantText(t, p, "without items")
	if fields := hiddenInput.FindAllStringSubmatch(m[3], -1); len(fields) != 1 || fields[0][1] != "~OkCode" || fields[0][2] != "ADDI" {
		t.Errorf("empty cart fields %v, want ~OkCode=ADDI alone", fields)
	}
}

func TestAHookURLThatIsNotHTTPIsRefused(t *testing.T) {
	e := newEnv(t)
	for _, hook := range []string{"javascript:alert(1)", "/relative/hook", "https://user:pw@srm.example.test/"} {
		p := e.browser().callback(issue(t, e.signer, lt.Assertion{Token: jane, OCI: map[string]string{"hookUrl": hook}}), "")
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, "Bad OCI claim")
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
	csrf := b.csrf()
	shopURL, _ := url.Parse(e.shop.URL + "/shop/")
	cookie := b.client.Jar.Cookies(shopURL)

	wantStatus(t, b.post("/shop/logout", url.Values{}), http.StatusForbidden)
	wantText(t, b.get("/shop/"), "Jane Doe")

	p := b.post("/shop/logout", url.Values{"csrf": {csrf}})
	wantStatus(t, p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/shop/?signedout" {
		t.Errorf("sign-out redirects to %q", loc)
	}
	if c := p.header.Get("Set-Cookie"); !strings.Contains(c, "demoshop_session=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("sign-out did not clear the cookie: %s", c)
	}
	wantText(t, b.get("/shop/?signedout"), "You have signed out", "You are not signed in")

	// The old cookie is dead on the server too.
	replay := e.browser()
	replay.client.Jar.SetCookies(shopURL, cookie)
	wantText(t, replay.get("/shop/"), "You are not signed in")
}

func TestASessionEndsAfterEightHours(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane}))
	e.clock.Add(8*time.Hour - time.Second)
	wantText(t, b.get("/shop/"), "Jane Doe")
	e.clock.Add(time.Second)
	wantText(t, b.get("/shop/"), "You are not signed in")
}

var (
	inputTag  = regexp.MustCompile(`<input [^>]*>`)
	idAttr    = regexp.MustCompile(`\bid="([^"]+)"`)
	scriptTag = regexp.MustCompile(`<script[^>]*>`)
)

func TestPagesSendSecurityHeadersUseNoInlineScriptAndLabelEveryInput(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	pages := map[string]page{"signed out": b.get("/shop/"), "refusal": b.callback("not.a.jwt", "")}
	b.signIn(issue(t, e.signer, lt.Assertion{Token: jane, OCI: map[string]string{"hookUrl": "https://srm.example.test/hook"}}))
	wantStatus(t, b.post("/shop/cart/add", url.Values{"csrf": {b.csrf()}, "sku": {"DS-1001"}}), http.StatusSeeOther)
	pages["home"], pages["cart"], pages["transfer"] = b.get("/shop/"), b.get("/shop/cart"), b.get("/shop/transfer")
	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			h := p.header
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", h)
			}
			for _, tag := range scriptTag.FindAllString(p.body, -1) {
				if !strings.Contains(tag, "src=") {
					t.Errorf("inline script %s", tag)
				}
			}
			if strings.Contains(p.body, " style=") || strings.Contains(p.body, "<style") || strings.Contains(p.body, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(p.body) {
				t.Error("inline style or event handler")
			}
			for _, tag := range inputTag.FindAllString(p.body, -1) {
				if strings.Contains(tag, `type="hidden"`) {
					continue
				}
				id := idAttr.FindStringSubmatch(tag)
				if id == nil || !strings.Contains(p.body, `<label for="`+id[1]+`"`) {
					t.Errorf("input without a label: %s", tag)
				}
			}
			css := regexp.MustCompile(`href="(/shop/static/shop\.[0-9a-f]+\.css)"`).FindStringSubmatch(p.body)
			if css == nil {
				t.Fatal("no stylesheet")
			}
			asset := b.get(css[1])
			if asset.status != 200 || !strings.HasPrefix(asset.header.Get("Content-Type"), "text/css") ||
				!strings.Contains(asset.header.Get("Cache-Control"), "immutable") {
				t.Errorf("stylesheet: %d %v", asset.status, asset.header)
			}
		})
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	ok := demoshop.Config{ServiceURL: "http://127.0.0.1:8080", Issuer: issuer, Audience: audience}
	if _, err := demoshop.New(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, edit := range map[string]func(*demoshop.Config){
		"no service URL":       func(c *demoshop.Config) { c.ServiceURL = "" },
		"relative service URL": func(c *demoshop.Config) { c.ServiceURL = "/login" },
		"no issuer":            func(c *demoshop.Config) { c.Issuer = "" },
		"no audience":          func(c *demoshop.Config) { c.Audience = "" },
		"base path with slash": func(c *demoshop.Config) { c.BasePath = "/shop/" },
		"relative base path":   func(c *demoshop.Config) { c.BasePath = "shop" },
	} {
		c := ok
		edit(&c)
		if _, err := demoshop.New(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
