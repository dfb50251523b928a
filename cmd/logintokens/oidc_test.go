package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/rptest"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// opServer is serve's handler, the OpenID Provider included, on a real
// listener over a store of one kind.
type opServer struct {
	URL   string
	Store *sqlstore.Store
}

func startOP(t *testing.T, kind string, env ...string) *opServer {
	t.Helper()
	vars := map[string]string{}
	for i := 0; i+1 < len(env); i += 2 {
		vars[env[i]] = env[i+1]
	}
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(vars))
	if err != nil {
		t.Fatal(err)
	}
	store := sqlstoretest.Open(t, kind)
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String()
	signer := jwtsign.New(store, public, public)
	signer.EnableRS256()
	if err := signer.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := newServer(serverDeps{Store: store, Log: newLogger(io.Discard, "text"), Config: cfg, PublicURL: public,
		ServiceURL: public, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return &opServer{URL: public, Store: store}
}

// newRelyingParty registers an rptest shop at op with an initiate-login
// URI.
func newRelyingParty(t *testing.T, op *opServer) (*rptest.Shop, *lt.Shop, string) {
	t.Helper()
	rp := rptest.New(t, op.URL)
	initiate := rp.InitiateLoginURI()
	shop, secret, err := op.Store.CreateShop(context.Background(), lt.Actor{Name: "test"}, lt.NewShop{Name: "Test Shop",
		RedirectURIs: []string{rp.RedirectURI()}, InitiateLoginURI: &initiate})
	if err != nil {
		t.Fatal(err)
	}
	rp.Register(t, shop.ClientID, secret)
	return rp, shop, secret
}

// browser is a person's browser: it keeps cookies and follows redirects.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar}}
}

// page is where the browser ended up.
type page struct {
	status int
	body   string
	url    *url.URL
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.c.Get(u)
	return b.read(resp, err)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	return b.read(resp, err)
}

func (b *browser) read(resp *http.Response, err error) page {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(body), resp.Request.URL}
}

var (
	handoffFormRE = regexp.MustCompile(`<form method="get" action="([^"]+)" data-autosubmit>`)
	postFormRE    = regexp.MustCompile(`<form method="post" action="([^"]+)" data-autosubmit>`)
	hiddenFieldRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// handoffForm reads the hand-off page p, whose form formRE matches: the
// form's action and its hidden fields. It fails unless p is that page.
func handoffForm(t *testing.T, p page, formRE *regexp.Regexp) (action string, fields url.Values) {
	t.Helper()
	m := formRE.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("want the hand-off page to the shop, got %d at %s:\n%s", p.status, p.url, p.body)
	}
	fields = url.Values{}
	for _, f := range hiddenFieldRE.FindAllStringSubmatch(p.body, -1) {
		fields.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), fields
}

// followHandoff does what the hand-off page's script does: it sends the
// page's form, a GET to the shop's initiate-login URI.
func (b *browser) followHandoff(p page) page {
	b.t.Helper()
	action, q := handoffForm(b.t, p, handoffFormRE)
	return b.get(action + "?" + q.Encode())
}

var signInIDRE = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]+)">`)

// signInPage checks that body is the provider's sign-in page and returns
// its request id.
func signInPage(t *testing.T, p page) string {
	t.Helper()
	m := signInIDRE.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil || !strings.Contains(p.body, `<label for="token">Login token</label>`) || !strings.Contains(p.body, ">Sign in</button>") {
		t.Fatalf("want the sign-in page, got %d at %s:\n%s", p.status, p.url, p.body)
	}
	return m[1]
}

// decodeSignedIn reads the shop's callback's answer.
func decodeSignedIn(t *testing.T, p page) rptest.SignedIn {
	t.Helper()
	var s rptest.SignedIn
	if err := json.Unmarshal([]byte(p.body), &s); err != nil || p.url.Path != "/callback" {
		t.Fatalf("want the shop's callback, got %d at %s: %q", p.status, p.url, p.body)
	}
	return s
}

func eachStore(t *testing.T, fn func(t *testing.T, op *opServer)) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, startOP(t, kind))
		})
	}
}

// A shop-started sign-in: the shop sends the browser to the provider,
// the person types a login token on the sign-in page, and the shop gets
// a code it exchanges for an RS256 ID token with the token's claims
// (checked by go-oidc against the discovery document and the JWKS), and
// the same claims from userinfo. The provider session then answers the
// next request at once; prompt=login asks again; prompt=none without a
// session answers login_required.
func TestAShopSignsInWithALoginTokenThroughOpenIDConnect(t *testing.T) {
	eachStore(t, func(t *testing.T, op *opServer) {
		ctx := context.Background()
		rp, shop, _ := newRelyingParty(t, op)
		comp := &lt.Company{Name: "Acme"}
		if err := op.Store.CreateCompany(ctx, comp); err != nil {
			t.Fatal(err)
		}
		c := &lt.Contact{CompanyID: comp.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
		if err := op.Store.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		tok, err := op.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{ContactID: &c.ID, Extra: []string{"B2B"}})
		if err != nil {
			t.Fatal(err)
		}

		b := newBrowser(t)
		id := signInPage(t, b.get(rp.Server.URL+"/start"))
		got := decodeSignedIn(t, b.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}}))
		if got.Error != "" {
			t.Fatalf("sign-in: %+v", got)
		}
		wantSub := fmt.Sprintf("contact:%d", c.ID)
		for name, claims := range map[string]map[string]any{"ID token": got.IDToken, "userinfo": got.Userinfo} {
			if claims["sub"] != wantSub || claims["loginToken"] != tok.ID || claims["userType"] != "contact" ||
				claims["name"] != "Jane Doe" || claims["email"] != "jane@acme.test" {
				t.Errorf("%s claims: %v", name, claims)
			}
			if company, _ := claims["company"].(map[string]any); company["name"] != "Acme" {
				t.Errorf("%s company: %v", name, claims["company"])
			}
		}
		if aud, _ := got.IDToken["aud"].([]any); got.IDToken["iss"] != op.URL || len(aud) != 1 || aud[0] != shop.ClientID {
			t.Errorf("ID token iss %v aud %v", got.IDToken["iss"], got.IDToken["aud"])
		}

		// The session answers the shop's next request without the page.
		got = decodeSignedIn(t, b.get(rp.Server.URL+"/start"))
		if got.Error != "" || got.IDToken["sub"] != wantSub {
			t.Fatalf("with a session: %+v", got)
		}
		// prompt=login demands the token again.
		signInPage(t, b.get(rp.Server.URL+"/start?prompt=login"))
		// Another browser, without a session, with prompt=none.
		got = decodeSignedIn(t, newBrowser(t).get(rp.Server.URL+"/start?prompt=none"))
		if got.Error != "login_required" {
			t.Fatalf("prompt=none without a session: %+v", got)
		}
		again, _ := op.Store.FindTokenByID(ctx, tok.ID)
		if again.SuccessfulAttempts != 1 {
			t.Errorf("%d successful attempts, want 1: the session answered without a redeem", again.SuccessfulAttempts)
		}
	})
}

// A link-started sign-in: the login link of a token bound to the shop
// shows the same click page as ever; the click signs in at the provider
// and continues to the shop's initiate-login URI with iss and
// target_link_uri, so the shop starts its own request, which the new
// provider session answers at once.
func TestALoginLinkOfABoundTokenContinuesAtItsShop(t *testing.T) {
	eachStore(t, func(t *testing.T, op *opServer) {
		_, shop, _ := newRelyingParty(t, op)
		tok, err := op.Store.CreateToken(context.Background(), lt.Actor{Name: "test"}, lt.NewToken{ShopID: &shop.ID})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		link := b.get(op.URL + "/login?token=" + url.QueryEscape(tok.Value))
		if link.status != 200 || !strings.Contains(link.body, `action="/login"`) {
			t.Fatalf("the link's page: %d %s", link.status, link.body)
		}
		got := decodeSignedIn(t, b.followHandoff(b.post(op.URL+"/login", url.Values{"token": {tok.Value}})))
		if got.Error != "" || got.IDToken["sub"] != "anonymous:"+tok.ID || got.Userinfo["loginToken"] != tok.ID {
			t.Fatalf("link-started sign-in: %+v", got)
		}
	})
}

// A code works once. Presented again it is refused, and the access token
// the first exchange gave stops opening userinfo.
func TestAReplayedCodeIsRefusedAndRevokesWhatItGave(t *testing.T) {
	eachStore(t, func(t *testing.T, op *opServer) {
		ctx := context.Background()
		rp, _, _ := newRelyingParty(t, op)
		tok, err := op.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		id := signInPage(t, b.get(rp.Server.URL+"/start"))
		if got := decodeSignedIn(t, b.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}})); got.Error != "" {
			t.Fatalf("sign-in: %+v", got)
		}
		code, at := rp.Last()
		userinfo := func() error {
			_, err := rp.Provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at, TokenType: "Bearer"}))
			return err
		}
		if err := userinfo(); err != nil {
			t.Fatalf("userinfo before the replay: %v", err)
		}
		_, err = rp.Conf.Exchange(ctx, code, oauth2.VerifierOption("whatever"))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("replayed code: %v, want invalid_grant", err)
		}
		if err := userinfo(); err == nil {
			t.Fatal("the access token of a replayed code still opens userinfo")
		}
	})
}

// A token bound to another shop signs in nowhere else: the sign-in page
// says it is not valid, as /login would, and counts the failure.
func TestATokenOfAnotherShopIsRefusedOnTheSignInPage(t *testing.T) {
	eachStore(t, func(t *testing.T, op *opServer) {
		ctx := context.Background()
		rp, _, _ := newRelyingParty(t, op)
		other, _, err := op.Store.CreateShop(ctx, lt.Actor{Name: "test"}, lt.NewShop{Name: "Other", RedirectURIs: []string{"https://other.test/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := op.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{ShopID: &other.ID})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		id := signInPage(t, b.get(rp.Server.URL+"/start"))
		p := b.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}})
		if p.status != 400 || !strings.Contains(p.body, "This login token is not valid.") || signInPage(t, page{200, p.body, p.url}) != id {
			t.Fatalf("a token of another shop: %d\n%s", p.status, p.body)
		}
		again, _ := op.Store.FindTokenByID(ctx, tok.ID)
		if again.FailedAttempts != 1 || again.SuccessfulAttempts != 0 {
			t.Fatalf("counters: %d failed, %d successful; want 1 and 0", again.FailedAttempts, again.SuccessfulAttempts)
		}
	})
}

// Only the browser that started an authorization request may complete
// it: a sign-in page sent to someone else is as good as expired.
func TestASignInPageWorksOnlyInTheBrowserThatStartedIt(t *testing.T) {
	op := startOP(t, "sqlite")
	rp, _, _ := newRelyingParty(t, op)
	tok, err := op.Store.CreateToken(context.Background(), lt.Actor{Name: "test"}, lt.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	id := signInPage(t, newBrowser(t).get(rp.Server.URL+"/start"))
	victim := newBrowser(t)
	if p := victim.get(op.URL + "/oidc/login?id=" + id); p.status != 400 || !strings.Contains(p.body, "another browser") {
		t.Fatalf("the page in another browser: %d %s", p.status, p.body)
	}
	if p := victim.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}}); p.status != 400 || p.url.Host != strings.TrimPrefix(op.URL, "http://") {
		t.Fatalf("the form from another browser: %d at %s", p.status, p.url)
	}
	again, _ := op.Store.FindTokenByID(context.Background(), tok.ID)
	if again.SuccessfulAttempts+again.FailedAttempts != 0 {
		t.Fatal("a refused request redeemed the token")
	}
}

// A public shop has no secret, so its code must be bound to the browser
// with PKCE S256: a request without it is refused at the redirect URI.
func TestAPublicShopMustUsePKCE(t *testing.T) {
	op := startOP(t, "sqlite")
	shop, _, err := op.Store.CreateShop(context.Background(), lt.Actor{Name: "test"}, lt.NewShop{Name: "App", Public: true,
		RedirectURIs: []string{"http://127.0.0.1:9/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {shop.ClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s1"}}
	resp, err := c.Get(op.URL + "/oidc/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "s1" {
		t.Fatalf("no PKCE: %d %s", resp.StatusCode, loc)
	}
	q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	q.Set("code_challenge_method", "S256")
	resp, err = c.Get(op.URL + "/oidc/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.HasPrefix(loc, "/oidc/login?id=") {
		t.Fatalf("with PKCE S256: %d %s", resp.StatusCode, loc)
	}
}

// serve --demo registers the demo shop at the provider, and the demo shop
// signs in through OpenID Connect over HTTP: its sign-in button leads to
// the provider's page, and the token typed there opens the shop.
func TestTheDemoShopSignsInThroughOpenIDConnect(t *testing.T) {
	ctx := context.Background()
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	store := sqlstoretest.Open(t, "sqlite")
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String()
	signer := jwtsign.New(store, public, cfg.audience(public, true))
	signer.EnableRS256()
	if err := signer.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := registerDemoShop(ctx, store, "http://localhost:1"); err != nil {
		t.Fatal(err)
	}
	demo, err := registerDemoShop(ctx, store, public) // a later start: the same shop, this start's URL
	if err != nil {
		t.Fatal(err)
	}
	if shops, _ := store.FindShops(ctx); len(shops) != 1 || shops[0].RedirectURIs[0] != public+"/shop/oidc/callback" {
		t.Fatalf("demo shops %+v", shops)
	}
	h, err := newServer(serverDeps{Store: store, Log: newLogger(io.Discard, "text"), Config: cfg, PublicURL: public, Demo: true,
		ServiceURL: public, Signer: signer, DemoOIDC: demo})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	customer := &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Cash", Email: "carl@example.test"}}
	if err := store.CreateCustomer(ctx, customer); err != nil {
		t.Fatal(err)
	}
	tok, err := store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{CustomerID: &customer.ID})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if p := b.get(public + "/shop/"); !strings.Contains(p.body, `href="/shop/oidc/start"`) {
		t.Fatalf("the signed-out page offers no OpenID Connect sign-in:\n%s", p.body)
	}
	id := signInPage(t, b.get(public+"/shop/oidc/start"))
	p := b.post(public+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}})
	if p.status != 200 || p.url.Path != "/shop/" || !strings.Contains(p.body, "Welcome, Carl Cash") {
		t.Fatalf("after the sign-in: %d at %s\n%s", p.status, p.url, p.body)
	}
}

// An OCI punchout with a token of a shop of the provider continues the
// same way, and the ID token of that shop's next authorization carries
// the oci claim; the one after it does not.
func TestAnOCIPunchoutOfABoundTokenReachesTheShopsIDToken(t *testing.T) {
	op := startOP(t, "sqlite", "LOGINTOKENS_OCI_HOOK_ALLOW", "https://srm.acme.test/sap/")
	rp, shop, _ := newRelyingParty(t, op)
	tok, err := op.Store.CreateToken(context.Background(), lt.Actor{Name: "test"}, lt.NewToken{ShopID: &shop.ID})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	q := url.Values{"USERNAME": {"x"}, "PASSWORD": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/sap/bc/hook"}, "~OkCode": {"ADDI"}}
	got := decodeSignedIn(t, b.followHandoff(b.get(op.URL+"/oci/login?"+q.Encode())))
	oci, _ := got.IDToken["oci"].(map[string]any)
	if got.Error != "" || oci["hookUrl"] != "https://srm.acme.test/sap/bc/hook" || oci["okCode"] != "ADDI" {
		t.Fatalf("after the punchout: %+v", got)
	}
	if _, has := oci["PASSWORD"]; has {
		t.Fatal("the oci claim carries the credential")
	}
	if uoci, _ := got.Userinfo["oci"].(map[string]any); uoci["hookUrl"] != oci["hookUrl"] {
		t.Errorf("userinfo oci %v", got.Userinfo["oci"])
	}
	again := decodeSignedIn(t, b.get(rp.Server.URL+"/start"))
	if _, has := again.IDToken["oci"]; has || again.Error != "" {
		t.Fatalf("the next sign-in still carries the punchout: %+v", again)
	}
}

// RP-initiated logout ends the provider session (the next request shows
// the sign-in page again) and returns to a registered post-logout URI
// only; a revoked access token no longer opens userinfo; max_age older
// than the session asks for the token again.
func TestSignOutRevocationAndMaxAge(t *testing.T) {
	ctx := context.Background()
	op := startOP(t, "sqlite")
	rp, shop, _ := newRelyingParty(t, op)
	after := rp.Server.URL + "/bye"
	if _, err := op.Store.UpdateShop(ctx, lt.Actor{Name: "test"}, shop.ID, lt.ShopUpdate{PostLogoutRedirectURIs: &[]string{after}}); err != nil {
		t.Fatal(err)
	}
	tok, err := op.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	id := signInPage(t, b.get(rp.Server.URL+"/start"))
	if got := decodeSignedIn(t, b.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}})); got.Error != "" {
		t.Fatal(got.Error)
	}
	if got := decodeSignedIn(t, b.get(rp.Server.URL+"/start?max_age=3600")); got.Error != "" {
		t.Fatalf("max_age within the session: %+v", got)
	}
	// A session signed in more than max_age ago asks again.
	signInPage(t, b.get(rp.Server.URL+"/start?max_age=0"))

	_, at := rp.Last()
	form := url.Values{"token": {at}, "token_type_hint": {"access_token"}, "client_id": {rp.Conf.ClientID}, "client_secret": {rp.Conf.ClientSecret}}
	resp, err := http.PostForm(op.URL+"/oidc/revoke", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if _, err := rp.Provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at, TokenType: "Bearer"})); err == nil {
		t.Fatal("a revoked access token opens userinfo")
	}

	bad := b.get(op.URL + "/oidc/end_session?" + url.Values{"client_id": {rp.Conf.ClientID}, "post_logout_redirect_uri": {"https://evil.test/"}}.Encode())
	if bad.status != 400 || bad.url.Host == "evil.test" {
		t.Fatalf("an unregistered post-logout URI: %d at %s", bad.status, bad.url)
	}
	out := b.get(op.URL + "/oidc/end_session?" + url.Values{"client_id": {rp.Conf.ClientID}, "post_logout_redirect_uri": {after}, "state": {"st"}}.Encode())
	if out.url.Path != "/bye" || out.url.Query().Get("state") != "st" {
		t.Fatalf("sign-out ended at %s", out.url)
	}
	signInPage(t, b.get(rp.Server.URL+"/start"))
}

// No answer of the provider's routes may be shown in another site's
// frame: the authorization endpoint's error page, its redirect to the
// sign-in page, the end-session redirect, and the JSON of the others.
func TestTheProvidersAnswersAreNotFramed(t *testing.T) {
	op := startOP(t, "sqlite")
	_, shop, _ := newRelyingParty(t, op)
	authorize := url.Values{"client_id": {shop.ClientID}, "redirect_uri": {shop.RedirectURIs[0]}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "nonce": {"n"}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, rq := range []struct{ method, path string }{
		{"GET", "/.well-known/openid-configuration"},
		{"GET", "/oidc/authorize?" + authorize.Encode()},
		{"GET", "/oidc/authorize?client_id=nobody"},
		{"POST", "/oidc/authorize"},
		{"POST", "/oidc/token"},
		{"GET", "/oidc/userinfo"},
		{"POST", "/oidc/userinfo"},
		{"POST", "/oidc/revoke"},
		{"GET", "/oidc/end_session"},
		{"POST", "/oidc/end_session"},
	} {
		req, err := http.NewRequest(rq.method, op.URL+rq.path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, not a route of the provider", rq.method, rq.path, resp.StatusCode)
		}
		if csp, xfo := resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"); !strings.Contains(csp, "frame-ancestors 'none'") || xfo != "DENY" {
			t.Errorf("%s %s: %d with CSP %q, X-Frame-Options %q; want frame-ancestors 'none' and DENY", rq.method, rq.path, resp.StatusCode, csp, xfo)
		}
	}
}

// A shop that asks for its code by a form post (response_mode=form_post,
// as ASP.NET Core's OpenID Connect handler does unless told otherwise)
// gets the hand-off page: its form posts the code and the state to the
// shop's redirect URI, by the service's own script or by its button, under
// the sign-in pages' policy (no inline script). The session answers the
// shop's next such request with the same page at once.
func TestAShopThatAsksForAFormPostGetsItsCodePosted(t *testing.T) {
	eachStore(t, func(t *testing.T, op *opServer) {
		ctx := context.Background()
		rp, _, _ := newRelyingParty(t, op)
		cu := &lt.Customer{Person: lt.Person{FirstName: "Erika", LastName: "Mustermann", Email: "erika@example.test"}}
		if err := op.Store.CreateCustomer(ctx, cu); err != nil {
			t.Fatal(err)
		}
		tok, err := op.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{CustomerID: &cu.ID})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		postCode := func(p page) rptest.SignedIn {
			t.Helper()
			action, form := handoffForm(t, p, postFormRE)
			if action != rp.RedirectURI() {
				t.Fatalf("the page posts to %s, want the redirect URI %s", action, rp.RedirectURI())
			}
			if strings.Contains(p.body, "onload") || strings.Contains(p.body, "<script>") {
				t.Errorf("the page has inline script:\n%s", p.body)
			}
			if form.Get("code") == "" || form.Get("state") == "" || len(form) != 2 {
				t.Fatalf("the page posts %v, want the code and the state", form)
			}
			return decodeSignedIn(t, b.post(rp.RedirectURI(), form))
		}
		id := signInPage(t, b.get(rp.Server.URL+"/start?response_mode=form_post"))
		got := postCode(b.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}}))
		if want := fmt.Sprintf("customer:%d", cu.ID); got.Error != "" || got.IDToken["sub"] != want || got.Userinfo["sub"] != want {
			t.Fatalf("sign-in by form post: %+v", got)
		}
		got = postCode(b.get(rp.Server.URL + "/start?response_mode=form_post"))
		if got.Error != "" {
			t.Fatalf("with a session: %+v", got)
		}
	})
}

// A provider session ends with its token at the latest: the cookie and
// the stored session of a token that expires in ten minutes last ten
// minutes, not the session's hours (the token of an "Open webshop as"
// lives minutes; the staff member's browser must not stay signed in as
// the customer after it).
func TestAProviderSessionEndsWithItsToken(t *testing.T) {
	ctx := context.Background()
	op := startOP(t, "sqlite")
	rp, _, _ := newRelyingParty(t, op)
	expires := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	tok, err := op.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	var maxAge int
	b := newBrowser(t)
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		for _, c := range req.Response.Cookies() {
			if c.Name == "lt_op_session" {
				maxAge = c.MaxAge
			}
		}
		return nil
	}
	id := signInPage(t, b.get(rp.Server.URL+"/start"))
	if got := decodeSignedIn(t, b.post(op.URL+"/oidc/login", url.Values{"id": {id}, "token": {tok.Value}})); got.Error != "" {
		t.Fatal(got.Error)
	}
	if maxAge <= 0 || maxAge > 600 {
		t.Errorf("the session cookie lives %d s, want at most the token's 600", maxAge)
	}
	var value string
	opURL, _ := url.Parse(op.URL + "/oidc/")
	for _, c := range b.c.Jar.Cookies(opURL) {
		if c.Name == "lt_op_session" {
			value = c.Value
		}
	}
	sess, err := op.Store.FindProviderSession(ctx, lt.SHA256(value))
	if err != nil {
		t.Fatal(err)
	}
	if !sess.ExpiresAt.Equal(expires) {
		t.Errorf("the session ends at %v, want the token's expiry %v", sess.ExpiresAt, expires)
	}
}

// A shop that asks for its answer by a form post gets its errors that way
// too: prompt=none without a session posts login_required and the state
// to the redirect URI, as the code would be, rather than sending them in
// the redirect's query, which such a shop may not read.
func TestAShopThatAsksForAFormPostGetsItsErrorsPosted(t *testing.T) {
	op := startOP(t, "sqlite")
	rp, _, _ := newRelyingParty(t, op)
	b := newBrowser(t)
	p := b.get(rp.Server.URL + "/start?prompt=none&response_mode=form_post")
	action, form := handoffForm(t, p, postFormRE)
	if action != rp.RedirectURI() {
		t.Fatalf("the page posts to %s, want the redirect URI %s", action, rp.RedirectURI())
	}
	if form.Get("error") != "login_required" || form.Get("state") == "" || form.Has("code") {
		t.Fatalf("the page posts %v, want login_required and the state", form)
	}
	if strings.Contains(p.body, "signed in") {
		t.Errorf("the page says someone is signed in:\n%s", p.body)
	}
	if got := decodeSignedIn(t, b.post(rp.RedirectURI(), form)); got.Error != "login_required" {
		t.Fatalf("the shop got %+v", got)
	}
}

// An authorization request that the provider refuses before any
// sign-in (no scope, a prompt it cannot serve, a response type it does
// not serve, a PKCE method it does not know) is answered where the shop asked for its
// answer: with response_mode=form_post, the error and the state are
// posted to the redirect URI, not put in a redirect's query, which a shop
// that reads only its posted form would not see.
func TestAShopThatAsksForAFormPostGetsItsRequestsErrorsPosted(t *testing.T) {
	op := startOP(t, "sqlite")
	rp, shop, _ := newRelyingParty(t, op)
	base := url.Values{"client_id": {shop.ClientID}, "redirect_uri": {rp.RedirectURI()}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"st-4711"}, "response_mode": {"form_post"}}
	for _, tc := range []struct{ name, key, value, want string }{
		{"no scope", "scope", "", "invalid_request"},
		{"prompt none with another", "prompt", "none login", "invalid_request"},
		{"implicit flow", "response_type", "id_token", "unauthorized_client"},
		{"unknown PKCE method", "code_challenge_method", "S512", "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set(tc.key, tc.value)
			if tc.value == "" {
				q.Del(tc.key)
			}
			if tc.key == "code_challenge_method" {
				q.Set("code_challenge", strings.Repeat("a", 43))
			}
			for _, method := range []string{"GET", "POST"} {
				b := newBrowser(t)
				var p page
				if method == "GET" {
					p = b.get(op.URL + "/oidc/authorize?" + q.Encode())
				} else {
					p = b.post(op.URL+"/oidc/authorize", q)
				}
				action, form := handoffForm(t, p, postFormRE)
				if action != rp.RedirectURI() {
					t.Fatalf("%s: the page posts to %s, want the redirect URI %s", method, action, rp.RedirectURI())
				}
				if form.Get("error") != tc.want || form.Get("state") != "st-4711" || form.Has("code") {
					t.Fatalf("%s: the page posts %v, want %s and the state", method, form, tc.want)
				}
				if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "onload") {
					t.Errorf("%s: the page has inline script:\n%s", method, p.body)
				}
			}
		})
	}
	// Asked for the query, the shop gets the library's redirect as before.
	q := url.Values{}
	for k, v := range base {
		q[k] = v
	}
	q.Set("prompt", "none login")
	q.Del("response_mode")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(op.URL + "/oidc/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "st-4711" {
		t.Fatalf("query mode: %d to %q, want a redirect with invalid_request and the state", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// The discovery document names only what the provider serves: every
// endpoint it lists answers (none is a 404), the code flow is the one
// response and grant type, and the code may come in the query, the
// fragment or a form post. Shops' pages may read it from any origin.
func TestTheDiscoveryDocumentNamesOnlyWhatIsServed(t *testing.T) {
	op := startOP(t, "sqlite")
	req, err := http.NewRequest("GET", op.URL+"/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://shop.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got == "" {
		t.Errorf("discovery allows no other origin to read it")
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != op.URL {
		t.Errorf("issuer %v, want %s", doc["issuer"], op.URL)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	endpoints := 0
	for name, v := range doc {
		if !strings.HasSuffix(name, "_endpoint") && name != "jwks_uri" {
			continue
		}
		endpoints++
		u, _ := v.(string)
		for _, method := range []string{"GET", "POST"} {
			resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader(""))
			if method == "GET" {
				resp, err = c.Get(u)
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound {
				t.Errorf("%s %s (%s): 404", method, u, name)
			}
		}
	}
	if endpoints != 6 {
		t.Errorf("%d endpoints listed, want authorize, token, userinfo, revoke, end_session and the keys:\n%v", endpoints, doc)
	}
	for name, want := range map[string]string{
		"response_types_supported": "[code]",
		"grant_types_supported":    "[authorization_code]",
		"response_modes_supported": "[query fragment form_post]",
	} {
		if got := fmt.Sprint(doc[name]); got != want {
			t.Errorf("%s %s, want %s", name, got, want)
		}
	}
	for _, name := range []string{"introspection_endpoint", "device_authorization_endpoint", "introspection_endpoint_auth_methods_supported"} {
		if _, ok := doc[name]; ok {
			t.Errorf("discovery lists %s, which is not served", name)
		}
	}
}

// An authorization request without client_id or redirect_uri is answered
// 400 before the OpenID library sees it, which would log each as a server
// error: a scanner's bare GET must not write error lines. A whole request
// still reaches the sign-in page.
func TestAMalformedAuthorizationRequestIsRefusedPlainly(t *testing.T) {
	op := startOP(t, "sqlite")
	rp, shop, _ := newRelyingParty(t, op)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, rq := range []struct{ method, query, missing string }{
		{"GET", "", "client_id"},
		{"POST", "", "client_id"},
		{"GET", "client_id=nobody", "redirect_uri"},
		{"POST", "client_id=" + shop.ClientID + "&response_type=code&scope=openid", "redirect_uri"},
	} {
		var resp *http.Response
		var err error
		if rq.method == "GET" {
			resp, err = c.Get(op.URL + "/oidc/authorize?" + rq.query)
		} else {
			resp, err = c.Post(op.URL+"/oidc/authorize", "application/x-www-form-urlencoded", strings.NewReader(rq.query))
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "has no "+rq.missing) {
			t.Errorf("%s /oidc/authorize?%s: %d %q, want 400 naming %s", rq.method, rq.query, resp.StatusCode, body, rq.missing)
		}
	}
	// A parameter given twice is refused: the library reads the last,
	// and a form post of its error must not go to the first (a redirect
	// URI with a query of the attacker's, its fields dropped).
	whole := "client_id=" + shop.ClientID + "&response_type=code&scope=openid&state=st&prompt=none+login&response_mode=form_post"
	evil := url.QueryEscape(rp.RedirectURI() + "?state=forged&next=https://evil.example/")
	for _, rq := range []struct{ method, query, body, twice string }{
		{"GET", whole + "&redirect_uri=" + evil + "&redirect_uri=" + url.QueryEscape(rp.RedirectURI()), "", "redirect_uri"},
		{"POST", whole + "&redirect_uri=" + url.QueryEscape(rp.RedirectURI()), "redirect_uri=" + evil, "redirect_uri"},
		{"GET", whole + "&redirect_uri=" + url.QueryEscape(rp.RedirectURI()) + "&response_mode=query", "", "response_mode"},
		{"GET", whole + "&redirect_uri=" + url.QueryEscape(rp.RedirectURI()) + "&state=other", "", "state"},
	} {
		req, err := http.NewRequest(rq.method, op.URL+"/oidc/authorize?"+rq.query, strings.NewReader(rq.body))
		if err != nil {
			t.Fatal(err)
		}
		if rq.method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "more than one "+rq.twice) || strings.Contains(string(body), "evil.example") {
			t.Errorf("%s /oidc/authorize?%s with %q: %d %q, want 400 naming %s", rq.method, rq.query, rq.body, resp.StatusCode, body, rq.twice)
		}
	}
	signInPage(t, newBrowser(t).get(rp.Server.URL+"/start"))
}
