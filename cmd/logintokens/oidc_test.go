package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	lt "github.com/logintokens/logintokens"
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

func startOP(t *testing.T, kind string) *opServer {
	t.Helper()
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(map[string]string{}))
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

// relyingParty is a shop that signs people in with the standard Go
// relying-party stack (go-oidc and x/oauth2), knowing the provider only
// by its issuer URL: discovery, code + PKCE + nonce, ID token validation
// and userinfo. Its /start begins a sign-in, /callback finishes it and
// answers what it learnt as JSON, /initiate is its initiate-login URI.
type relyingParty struct {
	t        *testing.T
	srv      *httptest.Server
	issuer   string
	provider *gooidc.Provider
	conf     oauth2.Config

	mu       sync.Mutex
	flows    map[string]flow // by state
	lastCode string
	lastAT   string
}

type flow struct{ nonce, verifier string }

// signedIn is what the shop's callback learnt.
type signedIn struct {
	Error    string         `json:"error"`
	IDToken  map[string]any `json:"idToken"`
	Userinfo map[string]any `json:"userinfo"`
}

func newRelyingParty(t *testing.T, op *opServer) (*relyingParty, *lt.Shop, string) {
	t.Helper()
	rp := &relyingParty{t: t, issuer: op.URL, flows: map[string]flow{}}
	rp.srv = httptest.NewServer(http.HandlerFunc(rp.serve))
	t.Cleanup(rp.srv.Close)
	initiate := rp.srv.URL + "/initiate"
	shop, secret, err := op.Store.CreateShop(context.Background(), lt.Actor{Name: "test"}, lt.NewShop{Name: "Test Shop",
		RedirectURIs: []string{rp.srv.URL + "/callback"}, InitiateLoginURI: &initiate})
	if err != nil {
		t.Fatal(err)
	}
	rp.provider, err = gooidc.NewProvider(context.Background(), op.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	rp.conf = oauth2.Config{ClientID: shop.ClientID, ClientSecret: secret, Endpoint: rp.provider.Endpoint(),
		RedirectURL: rp.srv.URL + "/callback", Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
	return rp, shop, secret
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (rp *relyingParty) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch r.URL.Path {
	case "/initiate":
		// OpenID Connect Core §4: the issuer must be the one we know.
		if r.URL.Query().Get("iss") != rp.issuer || r.URL.Query().Get("target_link_uri") == "" {
			http.Error(w, "bad initiation", 400)
			return
		}
		http.Redirect(w, r, "/start?login_hint="+url.QueryEscape(r.URL.Query().Get("login_hint")), http.StatusFound)
	case "/start":
		f := flow{nonce: random(), verifier: oauth2.GenerateVerifier()}
		state := random()
		rp.mu.Lock()
		rp.flows[state] = f
		rp.mu.Unlock()
		opts := []oauth2.AuthCodeOption{gooidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}
		for _, p := range []string{"prompt", "max_age", "login_hint"} {
			if v := r.URL.Query().Get(p); v != "" {
				opts = append(opts, oauth2.SetAuthURLParam(p, v))
			}
		}
		http.Redirect(w, r, rp.conf.AuthCodeURL(state, opts...), http.StatusFound)
	case "/callback":
		var out signedIn
		defer func() { json.NewEncoder(w).Encode(out) }()
		q := r.URL.Query()
		rp.mu.Lock()
		f, ok := rp.flows[q.Get("state")]
		delete(rp.flows, q.Get("state"))
		rp.lastCode = q.Get("code")
		rp.mu.Unlock()
		if !ok {
			out.Error = "unknown state"
			return
		}
		if e := q.Get("error"); e != "" {
			out.Error = e
			return
		}
		tok, err := rp.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.verifier))
		if err != nil {
			out.Error = "exchange: " + err.Error()
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := rp.provider.Verifier(&gooidc.Config{ClientID: rp.conf.ClientID}).Verify(ctx, raw)
		if err != nil {
			out.Error = "id token: " + err.Error()
			return
		}
		if idt.Nonce != f.nonce {
			out.Error = "nonce mismatch"
			return
		}
		idt.Claims(&out.IDToken)
		ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			out.Error = "userinfo: " + err.Error()
			return
		}
		ui.Claims(&out.Userinfo)
		rp.mu.Lock()
		rp.lastAT = tok.AccessToken
		rp.mu.Unlock()
	default:
		http.NotFound(w, r)
	}
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
func decodeSignedIn(t *testing.T, p page) signedIn {
	t.Helper()
	var s signedIn
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
		id := signInPage(t, b.get(rp.srv.URL+"/start"))
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
		got = decodeSignedIn(t, b.get(rp.srv.URL+"/start"))
		if got.Error != "" || got.IDToken["sub"] != wantSub {
			t.Fatalf("with a session: %+v", got)
		}
		// prompt=login demands the token again.
		signInPage(t, b.get(rp.srv.URL+"/start?prompt=login"))
		// Another browser, without a session, with prompt=none.
		got = decodeSignedIn(t, newBrowser(t).get(rp.srv.URL+"/start?prompt=none"))
		if got.Error != "login_required" {
			t.Fatalf("prompt=none without a session: %+v", got)
		}
		again, _ := op.Store.FindTokenByID(ctx, tok.ID)
		if again.SuccessfulAttempts != 1 {
			t.Errorf("%d successful attempts, want 1: the session answered without a redeem", again.SuccessfulAttempts)
		}
	})
}
