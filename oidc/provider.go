// Package oidc makes the service an OpenID Provider whose sign-in method
// is the login token: every registered shop (lt.Shop) is a relying party
// that sends people here with an authorization request and gets them back
// with a code. The protocol is github.com/zitadel/oidc's certified op
// package; this adapter gives it the store (shops, requests, codes,
// sessions, access tokens, all in the database so that any instance
// answers any step) and the RS256 key. The sign-in page itself is the
// signin package's: it redeems the token through the one redeem service
// and hands the result back here (Complete).
package oidc

import (
	"context"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/rs/cors"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// Store is what the provider keeps and reads.
type Store interface {
	lt.ProviderStore
	FindShopByID(ctx context.Context, id int64) (*lt.Shop, error)
	FindShopByClientID(ctx context.Context, clientID string) (*lt.Shop, error)
	AuthenticateShop(ctx context.Context, clientID, secret string) (*lt.Shop, error)
	FindTokenByID(ctx context.Context, id string) (*lt.LoginToken, error)
	Ping(ctx context.Context) error
}

// Keys are the signing keys: the current RS256 key signs ID tokens, and
// the published set (/.well-known/jwks.json) checks them.
type Keys interface {
	RS256(ctx context.Context) (kid string, key *rsa.PrivateKey, err error)
	JWKS(ctx context.Context) (jose.JSONWebKeySet, error)
}

// Config is what the provider is built from.
type Config struct {
	// Issuer is the public URL, exactly: the iss of every ID token and the
	// base of every endpoint in the discovery document.
	Issuer string
	Store  Store
	Keys   Keys
	// CryptoKey seals codes and access tokens; every instance needs the
	// same (derived from the server key).
	CryptoKey [32]byte
	// SessionLifetime bounds a provider session (lt.DefaultProviderSession
	// when 0).
	SessionLifetime time.Duration
	Logger          *slog.Logger
	// Now is the clock of sessions (time.Now when nil).
	Now func() time.Time
}

// Paths of the provider's own routes, under the issuer.
const (
	AuthorizePath   = "/oidc/authorize"
	SignInPath      = "/oidc/login"
	TokenPath       = "/oidc/token"
	UserinfoPath    = "/oidc/userinfo"
	RevokePath      = "/oidc/revoke"
	EndSessionPath  = "/oidc/end_session"
	SignedOutPath   = "/oidc/signed-out"
	JWKSPath        = "/.well-known/jwks.json"
	DiscoveryPath   = "/.well-known/openid-configuration"
	cookiePath      = "/oidc/"
	sessionCookie   = "lt_op_session"
	bindingCookie   = "lt_op_browser"
	maxProviderBody = 16 << 10
)

// Provider is the OpenID Provider.
type Provider struct {
	cfg     Config
	op      *op.Provider
	log     *slog.Logger
	secure  bool
	created atomic.Int64 // authorization requests made, to clean up now and then
	// formPost answers with a page whose form posts the fields to action
	// by itself (PostFormsWith).
	formPost func(w http.ResponseWriter, action string, fields [][2]string)
}

// PostFormsWith has the provider answer a shop that asks for its code by
// a form post (response_mode=form_post) with fp's page: the library's own
// submits itself with an inline handler, which the sign-in pages' policy
// forbids, so the browser would stay on a blank page.
func (p *Provider) PostFormsWith(fp func(w http.ResponseWriter, action string, fields [][2]string)) {
	p.formPost = fp
}

// New returns the provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Store == nil || cfg.Keys == nil {
		return nil, errors.New("oidc: no store or keys")
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = lt.DefaultProviderSession
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Provider{cfg: cfg, log: cfg.Logger, secure: strings.HasPrefix(cfg.Issuer, "https://")}
	if p.log == nil {
		p.log = slog.Default()
	}
	config := &op.Config{
		CryptoKey:                cfg.CryptoKey,
		DefaultLogoutRedirectURI: strings.TrimSuffix(cfg.Issuer, "/") + SignedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedScopes:          []string{zoidc.ScopeOpenID, zoidc.ScopeProfile, zoidc.ScopeEmail},
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "at_hash", "c_hash", "azp",
			"name", "email", "email_verified", "loginToken", "userType", "company", "extra", "act", "oci"},
	}
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint(strings.TrimPrefix(AuthorizePath, "/"))),
		op.WithCustomTokenEndpoint(op.NewEndpoint(strings.TrimPrefix(TokenPath, "/"))),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint(strings.TrimPrefix(UserinfoPath, "/"))),
		op.WithCustomRevocationEndpoint(op.NewEndpoint(strings.TrimPrefix(RevokePath, "/"))),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint(strings.TrimPrefix(EndSessionPath, "/"))),
		op.WithCustomKeysEndpoint(op.NewEndpoint(strings.TrimPrefix(JWKSPath, "/"))),
		// Introspection and device authorization are not served: their
		// routes are not registered.
		// Browsers may call the token and userinfo endpoints from any
		// shop's pages, but never with the provider's cookies.
		op.WithCORSOptions(&corsOptions),
	}
	if !p.secure {
		opts = append(opts, op.WithAllowInsecure())
	}
	var err error
	p.op, err = op.NewProvider(config, &storage{p: p}, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return p, nil
}

// route is one route of the provider; maxBody bounds its request body.
type route struct {
	pattern string
	handler http.Handler
}

func (p *Provider) routes() []route {
	return []route{
		{"GET " + DiscoveryPath, cors.New(corsOptions).Handler(http.HandlerFunc(p.discovery))},
		{"GET " + AuthorizePath, wellFormed(p.postErrors(p.bindBrowser(p.op)))},
		{"POST " + AuthorizePath, wellFormed(p.postErrors(p.bindBrowser(p.op)))},
		{"POST " + TokenPath, p.op},
		{"GET " + UserinfoPath, p.op},
		{"POST " + UserinfoPath, p.op},
		{"POST " + RevokePath, p.op},
		{"GET " + EndSessionPath, p.withSession(p.op)},
		{"POST " + EndSessionPath, p.withSession(p.op)},
	}
}

// Register adds the provider's protocol routes to mux. The sign-in page
// (SignInPath) and the signed-out page are the signin package's; the keys
// at JWKSPath are served with the assertions' keys.
func (p *Provider) Register(mux *http.ServeMux) {
	for _, rt := range p.routes() {
		mux.Handle(rt.pattern, bounds.LimitBody(maxProviderBody, nil, frameless(rt.handler)))
	}
}

// discovery answers the discovery document with what the provider
// serves, which the library's own overstates: no introspection or device
// authorization endpoint (their routes are not registered), the code flow
// only (a shop may use no other response or grant type), and the response
// modes the code may come in, form_post among them.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	c := op.CreateDiscoveryConfig(op.ContextWithIssuer(r.Context(), p.cfg.Issuer), p.op, p.op.Storage())
	c.IntrospectionEndpoint = ""
	c.IntrospectionEndpointAuthMethodsSupported = nil
	c.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	c.DeviceAuthorizationEndpoint = ""
	c.ResponseTypesSupported = []string{string(zoidc.ResponseTypeCode)}
	c.GrantTypesSupported = []zoidc.GrantType{zoidc.GrantTypeCode}
	c.ResponseModesSupported = []string{string(zoidc.ResponseModeQuery), string(zoidc.ResponseModeFragment), string(zoidc.ResponseModeFormPost)}
	op.Discover(w, c)
}

// singleParams are the parameters of an authorization request that may
// come once: a second one is refused (RFC 6749, 3.1), not read one way by
// the library (its last) and another way by this package (its first).
var singleParams = []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state",
	"nonce", "prompt", "max_age", "code_challenge", "code_challenge_method", "login_hint", "id_token_hint",
	"request", "request_uri", "ui_locales", "display", "acr_values", "claims"}

// wellFormed answers an authorization request without client_id, or
// without redirect_uri outside a request object, or with a parameter
// twice (see singleParams), with 400 itself: the
// library would log each as a server error, so that anyone could fill the
// log with them (a scanner's bare GET is one). Such a request has nowhere
// to be sent back to, so the answer is a plain page, as the library's.
func wellFormed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "invalid_request: the authorization request cannot be read", http.StatusBadRequest)
			return
		}
		for _, name := range singleParams {
			if len(r.Form[name]) > 1 {
				http.Error(w, "invalid_request: the authorization request has more than one "+name, http.StatusBadRequest)
				return
			}
		}
		missing := ""
		switch {
		case r.Form.Get("client_id") == "":
			missing = "client_id"
		case r.Form.Get("redirect_uri") == "" && r.Form.Get("request") == "":
			missing = "redirect_uri"
		}
		if missing != "" {
			http.Error(w, "invalid_request: the authorization request has no "+missing, http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// postErrors answers the errors of an authorization request that asks for
// its answer by a form post (response_mode=form_post) by a form post too.
// The library refuses a request it cannot serve (a prompt, a response
// type or a PKCE method it does not know) with a redirect to the
// registered redirect URI whatever mode was asked, the error in its query
// or fragment, which a shop that reads only its posted form never sees.
// Only a redirect the library has made to the request's own redirect URI
// with an error is turned into the form post of the same fields: nothing
// goes anywhere the library would not have sent it. Needs r.Form parsed
// (wellFormed).
func (p *Provider) postErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.formPost == nil || r.Form.Get("response_mode") != string(zoidc.ResponseModeFormPost) {
			next.ServeHTTP(w, r)
			return
		}
		ew := &errorRedirect{ResponseWriter: w, redirectURI: r.Form.Get("redirect_uri")}
		next.ServeHTTP(ew, r)
		if ew.fields != nil {
			p.formPost(w, ew.redirectURI, ew.fields)
		}
	})
}

// errorRedirect holds back a redirect to redirectURI that carries an
// error (see postErrors), keeping its fields; anything else it writes
// through.
type errorRedirect struct {
	http.ResponseWriter
	redirectURI string
	fields      [][2]string // the held back redirect's; nil if none
}

func (e *errorRedirect) WriteHeader(code int) {
	if code == http.StatusFound || code == http.StatusSeeOther {
		if fields := errorFields(e.redirectURI, e.Header().Get("Location")); fields != nil {
			e.fields = fields
			e.Header().Del("Location")
			return
		}
	}
	e.ResponseWriter.WriteHeader(code)
}

func (e *errorRedirect) Write(b []byte) (int, error) {
	if e.fields != nil {
		return len(b), nil // the redirect's own little page
	}
	return e.ResponseWriter.Write(b)
}

// errorFields are the error fields that location adds to redirectURI (in
// its query or its fragment), or nil unless location is redirectURI,
// its own query in place, with an error added. A server error's
// description is the failure's own text: the log has it, the shop does
// not (as authError).
func errorFields(redirectURI, location string) [][2]string {
	to, err1 := url.Parse(redirectURI)
	loc, err2 := url.Parse(location)
	if err1 != nil || err2 != nil || redirectURI == "" || to.Fragment != "" {
		return nil
	}
	own, query := to.Query(), loc.Query()
	added := url.Values{}
	for name, vals := range query {
		// The library appends its fields after the URI's own values.
		mine := own[name]
		if len(vals) < len(mine) || !slices.Equal(vals[:len(mine)], mine) {
			return nil
		}
		if len(vals) > len(mine) {
			added[name] = vals[len(mine):]
		}
	}
	for name := range own {
		if !query.Has(name) {
			return nil
		}
	}
	if loc.Fragment != "" {
		if len(added) > 0 {
			return nil
		}
		if added, err1 = url.ParseQuery(loc.EscapedFragment()); err1 != nil {
			return nil
		}
	}
	base, locBase := *to, *loc
	base.RawQuery, base.Fragment, base.RawFragment = "", "", ""
	locBase.RawQuery, locBase.Fragment, locBase.RawFragment = "", "", ""
	if base.String() != locBase.String() || added.Get("error") == "" {
		return nil
	}
	var fields [][2]string
	for _, name := range []string{"error", "error_description", "error_uri", "state", "session_state"} {
		switch vals := added[name]; {
		case len(vals) > 1:
			return nil
		case len(vals) == 0 || vals[0] == "":
		case name == "error_description" && added.Get("error") == string(zoidc.ServerError):
		default:
			fields = append(fields, [2]string{name, vals[0]})
		}
	}
	return fields
}

// frameless keeps every answer of the provider's routes out of frames:
// the authorization and end-session endpoints answer the browser (their
// errors, their redirects), and a page of another site must not show
// them under its own. The rest of the security headers are the service's
// (web.Middleware); the sign-in pages set their own policies.
func frameless(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// Patterns lists the routes Register adds, for tests that must cover
// every route.
func (p *Provider) Patterns() []string {
	var out []string
	for _, rt := range p.routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// ctxKey keys the request context's values of this package.
type ctxKey int

const (
	bindingKey ctxKey = iota
	sessionKey
)

// bindBrowser gives the browser that starts an authorization request a
// cookie of its own, and binds the request to it: only that browser may
// complete the request. Otherwise someone could start a request, send its
// sign-in page to a victim who has a session here, and receive the
// victim's code at the shop in their own browser.
func (p *Provider) bindBrowser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		value := ""
		if c, err := r.Cookie(bindingCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
			value = c.Value
		} else {
			value = lt.NewSecret()
			http.SetCookie(w, p.cookie(bindingCookie, value, 0))
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bindingKey, lt.SHA256(value))))
	})
}

// withSession hands the end-session endpoint the browser's session and a
// way to end it.
func (p *Provider) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		end := func(ctx context.Context) error {
			http.SetCookie(w, p.cookie(sessionCookie, "", -1))
			if id := p.sessionID(r); id != nil {
				return p.cfg.Store.DeleteProviderSession(ctx, id)
			}
			return nil
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey, end)))
	})
}

// cookie is one of the provider's cookies: sent only to its own routes,
// never to scripts, and along with the navigation from a shop that starts
// a sign-in (SameSite=Lax). maxAge 0 makes a browser-session cookie, -1
// deletes it.
func (p *Provider) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: cookiePath, MaxAge: maxAge, HttpOnly: true,
		Secure: p.secure, SameSite: http.SameSiteLaxMode}
}

// sessionID is the hash of the browser's session cookie, or nil.
func (p *Provider) sessionID(r *http.Request) []byte {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) < 32 || len(c.Value) > 64 {
		return nil
	}
	return lt.SHA256(c.Value)
}

// pending is an authorization request waiting for its sign-in.
type pending struct {
	ID   string
	Shop *lt.Shop
	req  *lt.AuthRequest
	par  params
}

// errNotThisBrowser refuses a request another browser started, as if it
// were gone: the page says nothing more.
var errNotThisBrowser = &lt.Error{Code: lt.ENOTFOUND, Message: "the sign-in request has expired or is unknown"}

// Begin returns the shop of the live authorization request id, if this
// browser started it (else NOT_FOUND, as if it were gone). With resume it
// first answers the request without the sign-in page where it can: with
// the browser's session when the session may answer it (not older than
// max_age, no prompt=login, its token allowed at this shop), or with
// login_required when prompt=none forbids the page; handled reports that
// it wrote that answer.
func (p *Provider) Begin(w http.ResponseWriter, r *http.Request, id string, resume bool) (shop *lt.Shop, handled bool, err error) {
	pd, err := p.pending(r, id)
	if err != nil {
		return nil, false, err
	}
	if resume {
		if handled, err = p.resume(w, r, pd); handled || err != nil {
			return pd.Shop, handled, err
		}
	}
	return pd.Shop, false, nil
}

// Finish signs the browser in with a token just redeemed for the shop of
// the authorization request id (Begin): it starts a provider session and
// answers the request with a code.
func (p *Provider) Finish(w http.ResponseWriter, r *http.Request, id string, tok *lt.LoginToken) error {
	pd, err := p.pending(r, id)
	if err != nil {
		return err
	}
	return p.completeWithToken(w, r, pd, tok)
}

func (p *Provider) pending(r *http.Request, id string) (*pending, error) {
	if len(id) > 64 {
		return nil, errNotThisBrowser
	}
	req, binding, err := p.cfg.Store.FindAuthRequest(r.Context(), id)
	if err != nil {
		return nil, err
	}
	c, err := r.Cookie(bindingCookie)
	if err != nil || subtle.ConstantTimeCompare(lt.SHA256(c.Value), binding) != 1 {
		return nil, errNotThisBrowser
	}
	par, err := decodeParams(req.Request)
	if err != nil {
		return nil, err
	}
	shop, err := p.cfg.Store.FindShopByID(r.Context(), req.ShopID)
	if err != nil {
		return nil, err
	}
	if shop.Disabled {
		return nil, errNotThisBrowser
	}
	return &pending{ID: id, Shop: shop, req: req, par: par}, nil
}

// resume answers a pending request with the browser's session, or with
// login_required for prompt=none; it reports whether it wrote the answer.
func (p *Provider) resume(w http.ResponseWriter, r *http.Request, pd *pending) (bool, error) {
	ctx := r.Context()
	if id := p.sessionID(r); id != nil {
		sess, err := p.cfg.Store.FindProviderSession(ctx, id)
		if err != nil && lt.ErrorCode(err) != lt.ENOTFOUND {
			return false, err
		}
		if sess != nil && p.sessionAnswers(ctx, sess, pd) {
			// complete fails only before it writes: the caller answers.
			if err := p.complete(w, r, pd, sess.Subject, sess.TokenID, sess.AuthTime, id); err != nil {
				return false, err
			}
			return true, nil
		}
	}
	if pd.par.promptNone() {
		p.authError(w, r, &authRequest{req: pd.req, par: pd.par}, zoidc.ErrLoginRequired())
		return true, nil
	}
	return false, nil
}

// sessionAnswers reports whether sess may answer pd at once.
func (p *Provider) sessionAnswers(ctx context.Context, sess *lt.ProviderSession, pd *pending) bool {
	if pd.par.MaxAge != nil && p.cfg.Now().Sub(sess.AuthTime) > time.Duration(*pd.par.MaxAge)*time.Second {
		return false // prompt=login sets max_age to 0
	}
	tok, err := p.cfg.Store.FindTokenByID(ctx, sess.TokenID)
	if err != nil || lt.ExpiredAt(tok.ExpiresAt, p.cfg.Now()) {
		return false // deleted or expired (revoked) since
	}
	return tok.ShopID == nil || *tok.ShopID == pd.Shop.ID
}

func (p *Provider) completeWithToken(w http.ResponseWriter, r *http.Request, pd *pending, tok *lt.LoginToken) error {
	now := p.cfg.Now().UTC()
	id, err := p.startSession(w, r, tok, now)
	if err != nil {
		return err
	}
	return p.complete(w, r, pd, lt.Subject(tok), tok.ID, now, id)
}

func (p *Provider) startSession(w http.ResponseWriter, r *http.Request, tok *lt.LoginToken, now time.Time) ([]byte, error) {
	value := lt.NewSecret()
	id := lt.SHA256(value)
	// A session ends with its token at the latest: the token of an "Open
	// webshop as" lives minutes, and the staff member's browser must not
	// stay signed in as the customer for the session's hours.
	expires := now.Add(p.cfg.SessionLifetime)
	if tok.ExpiresAt != nil && tok.ExpiresAt.Before(expires) {
		expires = *tok.ExpiresAt
	}
	err := p.cfg.Store.CreateProviderSession(r.Context(), id, lt.ProviderSession{
		TokenID: tok.ID, Subject: lt.Subject(tok), AuthTime: now, ExpiresAt: expires})
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, p.cookie(sessionCookie, value, max(1, int(expires.Sub(now)/time.Second))))
	return id, nil
}

func (p *Provider) complete(w http.ResponseWriter, r *http.Request, pd *pending, subject, tokenID string, authTime time.Time, session []byte) error {
	req, err := p.cfg.Store.CompleteAuthRequest(r.Context(), pd.ID, subject, tokenID, authTime, session)
	if err != nil {
		return err
	}
	r = r.WithContext(op.ContextWithIssuer(r.Context(), p.cfg.Issuer))
	areq := &authRequest{req: req, par: pd.par}
	if p.formPost != nil && areq.GetResponseMode() == zoidc.ResponseModeFormPost && areq.GetResponseType() == zoidc.ResponseTypeCode {
		res, err := op.BuildAuthResponseCodeResponsePayload(r.Context(), areq, p.op)
		if err != nil {
			p.authError(w, r, areq, err)
			return nil
		}
		fields := [][2]string{{"code", res.Code}}
		if res.State != "" {
			fields = append(fields, [2]string{"state", res.State})
		}
		if res.SessionState != "" {
			fields = append(fields, [2]string{"session_state", res.SessionState})
		}
		p.formPost(w, areq.GetRedirectURI(), fields)
		return nil
	}
	op.AuthResponse(areq, p.op, w, r)
	return nil
}

// authError answers areq with err where the shop reads its answer: a
// shop that asked for a form post (response_mode=form_post) gets the
// error, its description and the state posted by the hand-off page, as it
// would get its code; any other shop, or an error that may not go to the
// redirect URI, gets the library's answer (the redirect's query, or a
// plain page).
func (p *Provider) authError(w http.ResponseWriter, r *http.Request, areq *authRequest, err error) {
	e := zoidc.DefaultToServerError(err, err.Error())
	if p.formPost == nil || areq.GetResponseMode() != zoidc.ResponseModeFormPost || areq.GetRedirectURI() == "" || e.IsRedirectDisabled() {
		op.AuthRequestError(w, r, areq, err, p.op)
		return
	}
	p.log.Log(r.Context(), e.LogLevel(), "auth request", "oidc_error", e.ErrorType, "err", err)
	fields := [][2]string{{"error", string(e.ErrorType)}}
	// A server error's description is the failure's own text: the log
	// has it, the shop does not.
	if e.Description != "" && e.ErrorType != zoidc.ServerError {
		fields = append(fields, [2]string{"error_description", e.Description})
	}
	if state := areq.GetState(); state != "" {
		fields = append(fields, [2]string{"state", state})
	}
	p.formPost(w, areq.GetRedirectURI(), fields)
}

// ContinueAtShop continues the sign-in of a login link (or an OCI
// punchout) whose token is bound to a shop with an initiate-login URI:
// it starts a provider session and answers the URI to send the browser
// to, with iss, target_link_uri and login_hint, so that the shop starts
// its own authorization request, which the session answers at once. The
// OCI parameters, if any, wait in the session for the shop's next
// authorization. It answers nil, doing nothing, for a token of no shop or
// of a shop without an initiate-login URI.
func (p *Provider) ContinueAtShop(w http.ResponseWriter, r *http.Request, tok *lt.LoginToken, oci map[string]string, returnPath string) (*url.URL, error) {
	if tok.ShopID == nil {
		return nil, nil
	}
	shop, err := p.cfg.Store.FindShopByID(r.Context(), *tok.ShopID)
	if err != nil {
		return nil, err
	}
	if shop.InitiateLoginURI == nil || shop.Disabled {
		return nil, nil
	}
	target, err := url.Parse(*shop.InitiateLoginURI)
	if err != nil {
		return nil, err
	}
	id, err := p.startSession(w, r, tok, p.cfg.Now().UTC())
	if err != nil {
		return nil, err
	}
	if len(oci) > 0 {
		if err := p.cfg.Store.SetSessionOCI(r.Context(), id, shop.ID, oci); err != nil {
			return nil, err
		}
	}
	link := &url.URL{Scheme: target.Scheme, Host: target.Host, Path: "/"}
	if returnPath != "" {
		if u, err := url.Parse(returnPath); err == nil {
			link.Path, link.RawQuery = u.Path, u.RawQuery
		}
	}
	q := target.Query()
	q.Set("iss", p.cfg.Issuer)
	q.Set("target_link_uri", link.String())
	q.Set("login_hint", lt.Subject(tok))
	target.RawQuery = q.Encode()
	return target, nil
}

// cleanupEvery is how many authorization requests pass between two
// clean-ups of expired state.
const cleanupEvery = 64

func (p *Provider) maybeCleanUp() {
	if p.created.Add(1)%cleanupEvery != 0 {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.cfg.Store.DeleteExpiredProviderState(ctx, p.cfg.Now()); err != nil {
			p.log.Warn("clean up expired OpenID Connect state", "err", err)
		}
	}()
}
