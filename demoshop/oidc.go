package demoshop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDC is the shop's registration at the login service's OpenID
// Provider: with it the shop also signs people in through OpenID Connect,
// with the standard Go relying-party stack (go-oidc and x/oauth2),
// knowing the provider only by its issuer URL.
type OIDC struct {
	ClientID     string
	ClientSecret string
}

// oidcFlowLifetime bounds a sign-in from the shop's redirect to its
// callback.
const oidcFlowLifetime = 15 * time.Minute

// relyingParty is the shop's OpenID Connect side.
type relyingParty struct {
	issuer  string
	conf    oauth2.Config
	client  *http.Client
	mu      sync.Mutex
	prov    *gooidc.Provider
	flows   map[string]oidcFlow // by state
	now     func() time.Time
	service *url.URL
}

// oidcFlow is what the shop keeps of one sign-in it started: the state
// names it, the nonce and the PKCE verifier prove the answer is its own.
type oidcFlow struct {
	nonce, verifier, ret string
	started              time.Time
}

// serviceTransport sends the requests the shop makes to the issuer's
// origin to the service's address instead: the issuer is the service's
// public URL, which this host may not reach (a proxy's).
type serviceTransport struct {
	issuer, service *url.URL
	next            http.RoundTripper
}

func (t serviceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == t.issuer.Scheme && r.URL.Host == t.issuer.Host {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = t.service.Scheme, t.service.Host, t.issuer.Host
	}
	return t.next.RoundTrip(r)
}

func newRelyingParty(cfg Config, base string, now func() time.Time) (*relyingParty, error) {
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	service, _ := url.Parse(cfg.ServiceURL)
	next := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		next = cfg.HTTPClient.Transport
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: serviceTransport{issuer: issuer, service: service, next: next}}
	return &relyingParty{
		issuer: cfg.Issuer,
		conf: oauth2.Config{ClientID: cfg.OIDC.ClientID, ClientSecret: cfg.OIDC.ClientSecret,
			RedirectURL: cfg.Issuer + base + "/oidc/callback", Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}},
		client: client, flows: map[string]oidcFlow{}, now: now, service: service,
	}, nil
}

// provider discovers the provider once it is needed: the shop may be
// built before the service listens.
func (rp *relyingParty) provider(ctx context.Context) (*gooidc.Provider, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.prov != nil {
		return rp.prov, nil
	}
	p, err := gooidc.NewProvider(gooidc.ClientContext(ctx, rp.client), rp.issuer)
	if err != nil {
		return nil, err
	}
	rp.prov = p
	rp.conf.Endpoint = p.Endpoint()
	return p, nil
}

func randomState() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startOIDC sends the browser to the provider: GET /shop/oidc/start, or
// GET /shop/oidc/login, the initiate-login URI a login link of a token
// bound to this shop continues at (its iss must be the provider's).
func (sh *shop) startOIDC(w http.ResponseWriter, r *http.Request) {
	rp := sh.rp
	q := r.URL.Query()
	if iss := q.Get("iss"); iss != "" && iss != rp.issuer {
		sh.fail(w, r, http.StatusBadRequest, "Unknown sign-in service", "This sign-in came from a service the shop does not know.")
		return
	}
	if _, err := rp.provider(r.Context()); err != nil {
		sh.log.Warn("demoshop: OpenID Connect discovery failed", "err", err)
		sh.fail(w, r, http.StatusBadGateway, "Sign-in unavailable", "The login service cannot be reached. Try again in a moment.")
		return
	}
	ret := sh.base + "/"
	if t, err := url.Parse(q.Get("target_link_uri")); err == nil && t.Path != "" {
		ret = t.Path
	}
	f := oidcFlow{nonce: randomState(), verifier: oauth2.GenerateVerifier(), ret: sh.safeReturn(ret), started: rp.now()}
	state := randomState()
	rp.mu.Lock()
	for s, old := range rp.flows {
		if rp.now().Sub(old.started) > oidcFlowLifetime {
			delete(rp.flows, s)
		}
	}
	if len(rp.flows) >= maxOIDCFlows {
		rp.mu.Unlock()
		sh.fail(w, r, http.StatusServiceUnavailable, "Too many sign-ins", "Too many sign-ins are under way. Try again in a minute.")
		return
	}
	rp.flows[state] = f
	rp.mu.Unlock()
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}
	if hint := q.Get("login_hint"); hint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", hint))
	}
	http.Redirect(w, r, rp.conf.AuthCodeURL(state, opts...), http.StatusFound)
}

// maxOIDCFlows bounds the sign-ins the shop keeps at once.
const maxOIDCFlows = 10000

var errUnknownFlow = errors.New("no sign-in of this shop has this state")

// finishOIDC takes the provider's answer: GET /shop/oidc/callback with a
// code, exchanged with the PKCE verifier for an ID token that go-oidc
// checks (issuer, audience, signature by the provider's keys, expiry),
// whose nonce must be the flow's; then the shop keeps a session of its
// own, as after a form-posted assertion.
func (sh *shop) finishOIDC(w http.ResponseWriter, r *http.Request) {
	rp := sh.rp
	q := r.URL.Query()
	rp.mu.Lock()
	f, ok := rp.flows[q.Get("state")]
	delete(rp.flows, q.Get("state"))
	rp.mu.Unlock()
	refuse := func(reason, message string, err error) {
		sh.refuse(w, r, &refusal{status: http.StatusBadRequest, reason: reason, message: message, err: err})
	}
	switch {
	case !ok || rp.now().Sub(f.started) > oidcFlowLifetime:
		refuse("Unknown sign-in", "this sign-in was not started here, or took too long.", errUnknownFlow)
		return
	case q.Get("error") != "":
		refuse("Sign-in not completed", "the login service answered "+q.Get("error")+".", errors.New(q.Get("error")))
		return
	}
	ctx := gooidc.ClientContext(r.Context(), rp.client)
	prov, err := rp.provider(ctx)
	if err != nil {
		refuse("Sign-in unavailable", "the login service cannot be reached.", err)
		return
	}
	tok, err := rp.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		refuse("Code refused", "the login service refused the sign-in's code.", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&gooidc.Config{ClientID: rp.conf.ClientID, Now: rp.now}).Verify(ctx, raw)
	if err != nil {
		refuse("ID token refused", "the sign-in's ID token is not valid.", err)
		return
	}
	if idt.Nonce != f.nonce {
		refuse("ID token refused", "the sign-in's ID token is for another sign-in.", errors.New("nonce mismatch"))
		return
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		refuse("ID token refused", "the sign-in's ID token cannot be read.", err)
		return
	}
	p, err := punchoutFrom(c.OCI)
	if err != nil {
		refuse("Bad OCI claim", err.Error(), err)
		return
	}
	for _, old := range r.CookiesNamed(cookieName) {
		sh.sessions.delete(old.Value)
	}
	who := identity{Subject: idt.Subject, UserType: c.UserType, Name: c.Name, Email: c.Email,
		Company: c.Company, Act: c.Act, LoginToken: c.LoginToken}
	sess := sh.sessions.create(who, p, sh.now())
	sh.setSessionCookie(w, r, sess)
	sh.log.Info("demoshop: signed in through OpenID Connect", "sub", idt.Subject, "loginToken", c.LoginToken)
	http.Redirect(w, r, f.ret, http.StatusSeeOther)
}
