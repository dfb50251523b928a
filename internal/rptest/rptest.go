// Package rptest is a shop for the tests of the OpenID Provider: a
// relying party written with the standard Go stack (go-oidc and x/oauth2)
// that knows the provider only by its issuer URL, as an independent shop
// would. It does discovery, the code flow with PKCE (S256), state and
// nonce, checks the ID token (issuer, audience, signature by the published
// keys, expiry, nonce) and calls userinfo.
//
// It is test support only: no production package may import it.
package rptest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Shop is the relying party. /start begins a sign-in (its prompt, max_age,
// login_hint and response_mode are passed on), /callback finishes it, from
// its query or, for response_mode=form_post, its posted form, and answers
// what it learnt as JSON (SignedIn), /initiate is its initiate-login URI
// (OpenID Connect Core §4).
type Shop struct {
	Server   *httptest.Server
	Issuer   string
	Provider *gooidc.Provider
	Conf     oauth2.Config

	mu       sync.Mutex
	flows    map[string]flow // by state
	lastCode string
	lastAT   string
}

type flow struct{ nonce, verifier string }

// SignedIn is what the shop's callback learnt.
type SignedIn struct {
	Error    string         `json:"error"`
	IDToken  map[string]any `json:"idToken"`
	Userinfo map[string]any `json:"userinfo"`
}

// New starts the shop's server. Call Register with its redirect URI's
// client id and secret once it is registered at the provider.
func New(t testing.TB, issuer string) *Shop {
	t.Helper()
	s := &Shop{Issuer: issuer, flows: map[string]flow{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Server.Close)
	return s
}

// RedirectURI is the shop's callback.
func (s *Shop) RedirectURI() string { return s.Server.URL + "/callback" }

// InitiateLoginURI is where a login link of the shop's tokens continues.
func (s *Shop) InitiateLoginURI() string { return s.Server.URL + "/initiate" }

// Register gives the shop its client id and secret and discovers the
// provider.
func (s *Shop) Register(t testing.TB, clientID, secret string) {
	t.Helper()
	p, err := gooidc.NewProvider(t.Context(), s.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	s.Provider = p
	s.Conf = oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: s.RedirectURI(), Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
}

// Last returns the code of the last callback and the access token of the
// last successful one.
func (s *Shop) Last() (code, accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastCode, s.lastAT
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Shop) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch r.URL.Path {
	case "/initiate":
		if r.URL.Query().Get("iss") != s.Issuer || r.URL.Query().Get("target_link_uri") == "" {
			http.Error(w, "bad initiation", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/start?login_hint="+url.QueryEscape(r.URL.Query().Get("login_hint")), http.StatusFound)
	case "/start":
		f := flow{nonce: random(), verifier: oauth2.GenerateVerifier()}
		state := random()
		s.mu.Lock()
		s.flows[state] = f
		s.mu.Unlock()
		opts := []oauth2.AuthCodeOption{gooidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}
		for _, p := range []string{"prompt", "max_age", "login_hint", "response_mode"} {
			if v := r.URL.Query().Get(p); v != "" {
				opts = append(opts, oauth2.SetAuthURLParam(p, v))
			}
		}
		http.Redirect(w, r, s.Conf.AuthCodeURL(state, opts...), http.StatusFound)
	case "/callback":
		var out SignedIn
		defer func() {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(out)
		}()
		q := r.URL.Query()
		if r.Method == http.MethodPost {
			r.ParseForm()
			q = r.PostForm
		}
		s.mu.Lock()
		f, ok := s.flows[q.Get("state")]
		delete(s.flows, q.Get("state"))
		s.lastCode = q.Get("code")
		s.mu.Unlock()
		if !ok {
			out.Error = "unknown state"
			return
		}
		if e := q.Get("error"); e != "" {
			out.Error = e
			return
		}
		tok, err := s.Conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.verifier))
		if err != nil {
			out.Error = "exchange: " + err.Error()
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := s.Provider.Verifier(&gooidc.Config{ClientID: s.Conf.ClientID}).Verify(ctx, raw)
		if err != nil {
			out.Error = "id token: " + err.Error()
			return
		}
		if idt.Nonce != f.nonce {
			out.Error = "nonce mismatch"
			return
		}
		idt.Claims(&out.IDToken)
		ui, err := s.Provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			out.Error = "userinfo: " + err.Error()
			return
		}
		ui.Claims(&out.Userinfo)
		s.mu.Lock()
		s.lastAT = tok.AccessToken
		s.mu.Unlock()
	default:
		http.NotFound(w, r)
	}
}
