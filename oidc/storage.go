package oidc

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/rs/cors"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	lt "github.com/logintokens/logintokens"
)

// corsOptions let shops' pages call the token and userinfo endpoints from
// any origin, without credentials: the provider's cookies are for its own
// pages only.
var corsOptions = cors.Options{
	AllowOriginFunc:  func(string) bool { return true },
	AllowCredentials: false,
	AllowedMethods:   []string{http.MethodGet, http.MethodPost},
	AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept"},
}

// params are the authorization request's parameters as the provider
// keeps them (lt.AuthRequest.Request).
type params struct {
	ClientID            string   `json:"clientId"`
	RedirectURI         string   `json:"redirectUri"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	Scopes              []string `json:"scopes"`
	ResponseType        string   `json:"responseType"`
	ResponseMode        string   `json:"responseMode,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              *uint    `json:"maxAge,omitempty"`
	LoginHint           string   `json:"loginHint,omitempty"`
	CodeChallenge       string   `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string   `json:"codeChallengeMethod,omitempty"`
}

func decodeParams(b []byte) (params, error) {
	var par params
	if err := json.Unmarshal(b, &par); err != nil {
		return par, fmt.Errorf("authorization request: bad parameters in database: %w", err)
	}
	return par, nil
}

func (par params) promptNone() bool { return slices.Contains(par.Prompt, zoidc.PromptNone) }

// authRequest is an lt.AuthRequest as the op package sees it.
type authRequest struct {
	req *lt.AuthRequest
	par params
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string         { return a.req.ID }
func (a *authRequest) GetACR() string        { return "" }
func (a *authRequest) GetAMR() []string      { return nil }
func (a *authRequest) GetAudience() []string { return []string{a.par.ClientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.req.AuthTime
}
func (a *authRequest) GetClientID() string { return a.par.ClientID }
func (a *authRequest) GetCodeChallenge() *zoidc.CodeChallenge {
	if a.par.CodeChallenge == "" {
		return nil
	}
	return &zoidc.CodeChallenge{Challenge: a.par.CodeChallenge, Method: zoidc.CodeChallengeMethod(a.par.CodeChallengeMethod)}
}
func (a *authRequest) GetNonce() string       { return a.par.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.par.RedirectURI }
func (a *authRequest) GetResponseType() zoidc.ResponseType {
	return zoidc.ResponseType(a.par.ResponseType)
}
func (a *authRequest) GetResponseMode() zoidc.ResponseMode {
	return zoidc.ResponseMode(a.par.ResponseMode)
}
func (a *authRequest) GetScopes() []string { return a.par.Scopes }
func (a *authRequest) GetState() string    { return a.par.State }
func (a *authRequest) GetSubject() string  { return a.req.Subject }
func (a *authRequest) Done() bool          { return a.req.Done() }

// client is a shop as the op package sees it.
type client struct{ shop *lt.Shop }

var _ op.Client = client{}

func (c client) GetID() string                    { return c.shop.ClientID }
func (c client) RedirectURIs() []string           { return c.shop.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return c.shop.PostLogoutRedirectURIs }
func (c client) ApplicationType() op.ApplicationType {
	if c.shop.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}
func (c client) AuthMethod() zoidc.AuthMethod {
	if c.shop.Public {
		return zoidc.AuthMethodNone
	}
	return zoidc.AuthMethodBasic
}
func (c client) ResponseTypes() []zoidc.ResponseType {
	return []zoidc.ResponseType{zoidc.ResponseTypeCode}
}
func (c client) GrantTypes() []zoidc.GrantType { return []zoidc.GrantType{zoidc.GrantTypeCode} }

// LoginURL is the sign-in page of an authorization request.
func (c client) LoginURL(id string) string { return SignInPath + "?id=" + id }

// AccessTokenType is JWT: the op package's opaque bearer tokens cannot
// carry a sub holding a colon (contact:12). The token's id (jti) is
// looked up in the store all the same, so revocation holds at once.
func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c client) IDTokenLifetime() time.Duration      { return 5 * time.Minute }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion puts the claims of the scopes in the ID
// token too, so a shop needs no userinfo call.
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) ClockSkew() time.Duration             { return 0 }

// DevMode lets plain-http redirect URIs through the library's check: the
// shop's registration already decided which are allowed
// (lt.ShopURIProblem), and they are still matched exactly.
func (c client) DevMode() bool { return true }

// storage is the op package's view of the store.
type storage struct{ p *Provider }

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

func (s *storage) store() Store { return s.p.cfg.Store }

// serverError keeps a fault of ours apart from a refusal of the client's.
func serverError(err error) error {
	if err == nil || lt.ErrorCode(err) == lt.ENOTFOUND || lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
		return err
	}
	return zoidc.ErrServerError().WithParent(err)
}

func (s *storage) CreateAuthRequest(ctx context.Context, ar *zoidc.AuthRequest, _ string) (op.AuthRequest, error) {
	shop, err := s.store().FindShopByClientID(ctx, ar.ClientID)
	if err != nil {
		return nil, serverError(err)
	}
	if shop.Public && (ar.CodeChallenge == "" || ar.CodeChallengeMethod != zoidc.CodeChallengeMethodS256) {
		return nil, zoidc.ErrInvalidRequest().WithDescription("a public client must use PKCE with code_challenge_method S256")
	}
	binding, _ := ctx.Value(bindingKey).([]byte)
	if binding == nil {
		return nil, zoidc.ErrServerError().WithDescription("no browser binding")
	}
	par := params{ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, State: ar.State, Nonce: ar.Nonce, Scopes: ar.Scopes,
		ResponseType: string(ar.ResponseType), ResponseMode: string(ar.ResponseMode), Prompt: ar.Prompt, MaxAge: ar.MaxAge,
		LoginHint: ar.LoginHint, CodeChallenge: ar.CodeChallenge, CodeChallengeMethod: string(ar.CodeChallengeMethod)}
	b, err := json.Marshal(par)
	if err != nil {
		return nil, err
	}
	req := &lt.AuthRequest{ID: lt.NewSecret(), ShopID: shop.ID, Request: b}
	if err := s.store().CreateAuthRequest(ctx, req, binding); err != nil {
		return nil, serverError(err)
	}
	s.p.maybeCleanUp()
	return &authRequest{req: req, par: par}, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	req, _, err := s.store().FindAuthRequest(ctx, id)
	if err != nil {
		return nil, serverError(err)
	}
	par, err := decodeParams(req.Request)
	if err != nil {
		return nil, err
	}
	return &authRequest{req: req, par: par}, nil
}

// AuthRequestByCode consumes the code: it works once, and a second
// presentation revokes what the first gave.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.store().ExchangeAuthCode(ctx, lt.SHA256(code))
	if err != nil {
		if lt.ErrorCode(err) == lt.EINVALID {
			return nil, err
		}
		return nil, zoidc.ErrServerError().WithParent(err)
	}
	par, err := decodeParams(req.Request)
	if err != nil {
		return nil, err
	}
	return &authRequest{req: req, par: par}, nil
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.store().SaveAuthCode(ctx, id, lt.SHA256(code))
}

// DeleteAuthRequest keeps the request: its row remembers that its code
// was used, so that a replay is refused and revokes the tokens it gave.
// Expired requests are removed by DeleteExpiredProviderState.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

func (s *storage) CreateAccessToken(ctx context.Context, tr op.TokenRequest) (string, time.Time, error) {
	ar, ok := tr.(*authRequest)
	if !ok {
		return "", time.Time{}, zoidc.ErrUnsupportedGrantType()
	}
	t := &lt.AccessToken{ID: lt.NewSecret(), AuthRequestID: ar.req.ID, ShopID: ar.req.ShopID, Subject: ar.req.Subject,
		TokenID: ar.req.TokenID, Scopes: ar.par.Scopes, OCI: ar.req.OCI}
	if err := s.store().CreateAccessToken(ctx, t); err != nil {
		if lt.ErrorCode(err) == lt.EINVALID {
			return "", time.Time{}, zoidc.ErrInvalidGrant().WithDescription("the code was used already")
		}
		return "", time.Time{}, err
	}
	return t.ID, t.ExpiresAt, nil
}

var errNoRefresh = zoidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not issued")

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// TerminateSession is not used: TerminateSessionFromRequest is.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// TerminateSessionFromRequest ends the browser's provider session
// (RP-initiated logout) and sends it on to the shop's post-logout URI.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	if end, ok := ctx.Value(sessionKey).(func(context.Context) error); ok {
		if err := end(ctx); err != nil {
			return "", err
		}
	}
	return req.RedirectURI, nil
}

// RevokeToken revokes an access token of the client. A refresh token is
// never issued, so one presented is unknown, which RFC 7009 answers with
// success.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *zoidc.Error {
	if userID == "" {
		return nil
	}
	shop, err := s.store().FindShopByClientID(ctx, clientID)
	if err != nil {
		return zoidc.ErrInvalidClient()
	}
	if err := s.store().RevokeAccessToken(ctx, tokenOrID, shop.ID); err != nil {
		return zoidc.ErrServerError().WithParent(err)
	}
	return nil
}

// signingKey is the current RS256 key.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	kid, key, err := s.p.cfg.Keys.RS256(ctx)
	if err != nil {
		return nil, err
	}
	return signingKey{id: kid, key: key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// publicKey is a published key.
type publicKey struct{ k jose.JSONWebKey }

func (k publicKey) ID() string                         { return k.k.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(k.k.Algorithm) }
func (k publicKey) Use() string                        { return k.k.Use }
func (k publicKey) Key() any                           { return k.k.Key }

// KeySet is the published keys: the provider checks id_token_hint with
// them.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	set, err := s.p.cfg.Keys.JWKS(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(set.Keys))
	for _, k := range set.Keys {
		out = append(out, publicKey{k})
	}
	return out, nil
}

// GetClientByClientID returns an enabled shop. An unknown or disabled
// one is a plain error, as the op package wants for a client's fault.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	shop, err := s.store().FindShopByClientID(ctx, clientID)
	if err != nil {
		return nil, serverError(err)
	}
	if shop.Disabled {
		return nil, errors.New("the shop is disabled")
	}
	return client{shop}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	_, err := s.store().AuthenticateShop(ctx, clientID, secret)
	return serverError(err)
}

// SetUserinfoFromScopes is deprecated in the op package and left empty;
// SetUserinfoFromRequest fills the ID token.
func (s *storage) SetUserinfoFromScopes(context.Context, *zoidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	ar, ok := req.(*authRequest)
	if !ok {
		return zoidc.ErrServerError().WithDescription("unexpected token request")
	}
	return s.p.fillClaims(ctx, info, ar.req.TokenID, ar.req.Subject, scopes, ar.req.OCI)
}

// SetUserinfoFromToken answers userinfo for a live access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *zoidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.store().FindAccessToken(ctx, tokenID)
	if err != nil {
		return serverError(err)
	}
	if t.Subject != subject {
		return errors.New("access token subject mismatch")
	}
	return s.p.fillClaims(ctx, info, t.TokenID, t.Subject, t.Scopes, t.OCI)
}

func (s *storage) SetIntrospectionFromToken(context.Context, *zoidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not served")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) Health(ctx context.Context) error { return s.store().Ping(ctx) }
