package signin_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	gjwt "github.com/golang-jwt/jwt/v5"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
)

const (
	publicURL = "https://login.example.test"
	callback  = "https://shop.example.test/auth/callback"
	audience  = "https://shop.example.test"
	// proxy is the test server's peer address, trusted, so a test names
	// the client address with X-Forwarded-For.
	proxy = "127.0.0.1/32"
)

var ctx = context.Background()

// env is the sign-in routes on a real store and signer, behind an
// httptest server.
type env struct {
	t       *testing.T
	Store   *sqlstore.Store
	Signer  *jwtsign.Signer
	URL     string
	Metrics *counter
	logs    *syncBuffer
}

type option func(*signin.Config)

func withLimit(n int) option {
	return func(c *signin.Config) { c.Redeem.Limiter = redeem.NewLimiter(n, nil) }
}
func withAutosubmit() option { return func(c *signin.Config) { c.LinkAutosubmit = true } }
func withoutShop() option    { return func(c *signin.Config) { c.ShopCallbackURL = "" } }

// withFrameAncestors lets the origins frame the OCI entry.
func withFrameAncestors(origins ...string) option {
	return func(c *signin.Config) { c.OCIFrameAncestors = origins }
}
func withOCI(allow ...string) option {
	return func(c *signin.Config) {
		c.OCIHookAllow = nil
		for _, a := range allow {
			c.OCIHookAllow = append(c.OCIHookAllow, mustURL(a))
		}
	}
}

func newEnv(t *testing.T, s *sqlstore.Store, opts ...option) *env {
	t.Helper()
	signer := jwtsign.New(s, publicURL, audience)
	if err := signer.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, Store: s, Signer: signer, Metrics: &counter{}, logs: &syncBuffer{}}
	cfg := signin.Config{
		Redeem:          &redeem.Service{Store: s, Issuer: signer, Limiter: redeem.NewLimiter(1000, nil)},
		ShopCallbackURL: callback,
		OCIHookAllow:    []*url.URL{mustURL("https://srm.acme.test/sap/")},
		TrustedProxies:  []netip.Prefix{netip.MustParsePrefix(proxy)},
		Metrics:         e.Metrics,
		Logger:          slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := signin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	e.URL = ts.URL
	return e
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// counter is a signin.Metrics that remembers each outcome.
type counter struct {
	mu    sync.Mutex
	codes []string
}

func (c *counter) Redeemed(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if code == "" {
		code = "success"
	}
	c.codes = append(c.codes, code)
}

func (c *counter) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.codes...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// answer is a response with its body read.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request from the client address 198.51.100.7 (through the
// trusted proxy).
func (e *env) do(method, path string, form url.Values) answer {
	e.t.Helper()
	return e.doWith(method, path, form, nil)
}

// doWith is do with more request headers.
func (e *env) doWith(method, path string, form url.Values, hdr http.Header) answer {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "SigninTest/1.0")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func (e *env) post(path string, form url.Values) answer {
	e.t.Helper()
	return e.do("POST", path, form)
}

func (e *env) get(path string) answer {
	e.t.Helper()
	return e.do("GET", path, nil)
}

// people makes a company with a contact, and a customer.
func (e *env) people() (*lt.Contact, *lt.Customer) {
	e.t.Helper()
	co := &lt.Company{Name: "Acme GmbH"}
	if err := e.Store.CreateCompany(ctx, co); err != nil {
		e.t.Fatal(err)
	}
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := e.Store.CreateContact(ctx, c); err != nil {
		e.t.Fatal(err)
	}
	cu := &lt.Customer{Person: lt.Person{FirstName: "Erika", LastName: "Mustermann", Email: "erika@example.test"}}
	if err := e.Store.CreateCustomer(ctx, cu); err != nil {
		e.t.Fatal(err)
	}
	return c, cu
}

func (e *env) token(n lt.NewToken) *lt.IssuedToken {
	e.t.Helper()
	tok, err := e.Store.CreateToken(ctx, lt.Actor{Name: "test"}, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// counters are a token's attempts as the store has them now.
func (e *env) counters(id string) (ok, failed int64, last *time.Time) {
	e.t.Helper()
	tok, err := e.Store.FindTokenByID(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.SuccessfulAttempts, tok.FailedAttempts, tok.LastAccessedAt
}

// untouched fails unless the token has never been presented.
func (e *env) untouched(id, what string) {
	e.t.Helper()
	if ok, failed, last := e.counters(id); ok != 0 || failed != 0 || last != nil {
		e.t.Errorf("%s: the token has %d successful, %d failed attempts, last at %v; want none", what, ok, failed, last)
	}
}

// pageForm is the one form of a page: its action, its hidden fields, its
// button and whether submit.js submits it.
type pageForm struct {
	Action string
	Fields map[string]string
	Button string
	Auto   bool
}

var (
	formRE   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"( data-autosubmit)?>(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	buttonRE = regexp.MustCompile(`<button type="submit"[^>]*>([^<]*)</button>`)
)

// form returns the page's form; ok is false when it has none. It fails on
// more than one.
func (a answer) form(t *testing.T) (pageForm, bool) {
	t.Helper()
	ms := formRE.FindAllStringSubmatch(a.Body, -1)
	if len(ms) == 0 {
		return pageForm{}, false
	}
	if len(ms) > 1 || strings.Count(a.Body, "<form") != 1 {
		t.Fatalf("more than one form:\n%s", a.Body)
	}
	m := ms[0]
	f := pageForm{Action: html.UnescapeString(m[1]), Auto: m[2] != "", Fields: map[string]string{}}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[3], -1) {
		f.Fields[h[1]] = html.UnescapeString(h[2])
	}
	if b := buttonRE.FindStringSubmatch(m[3]); b != nil {
		f.Button = html.UnescapeString(b[1])
	}
	return f, true
}

// text is the page's body with tags dropped and entities decoded, for
// checking its wording.
func (a answer) text() string {
	s := regexp.MustCompile(`(?s)<head>.*</head>|<[^>]+>`).ReplaceAllString(a.Body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

// verify checks an assertion with golang-jwt, a JOSE library the service
// does not sign with, against the signer's JWKS as the shop would fetch it.
func (e *env) verify(token string) gjwt.MapClaims {
	e.t.Helper()
	set, err := e.Signer.JWKS(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	// Round-trip through JSON, as the shop reads it.
	b, _ := json.Marshal(set)
	var published jose.JSONWebKeySet
	if err := json.Unmarshal(b, &published); err != nil {
		e.t.Fatal(err)
	}
	claims := gjwt.MapClaims{}
	_, err = gjwt.ParseWithClaims(token, claims, func(tok *gjwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		keys := published.Key(kid)
		if len(keys) != 1 {
			return nil, fmt.Errorf("kid %q not in the JWKS", kid)
		}
		return keys[0].Key.(*ecdsa.PublicKey), nil
	}, gjwt.WithValidMethods([]string{"ES256"}), gjwt.WithIssuer(publicURL), gjwt.WithAudience(audience),
		gjwt.WithExpirationRequired(), gjwt.WithIssuedAt())
	if err != nil {
		e.t.Fatalf("the assertion does not verify against the JWKS: %v", err)
	}
	return claims
}
