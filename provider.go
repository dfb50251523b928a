package logintokens

import (
	"context"
	"fmt"
	"time"
)

// The OpenID Provider's state. It lives in the database, so that any
// instance behind a load balancer can answer any step of a sign-in.

// Lifetimes of the provider's state.
const (
	// AuthRequestLifetime bounds the time from an authorization request
	// to its code's exchange: the sign-in page included.
	AuthRequestLifetime = 30 * time.Minute
	// AuthCodeLifetime bounds how long a code waits for its exchange.
	AuthCodeLifetime = time.Minute
	// AccessTokenLifetime is how long an access token opens userinfo.
	AccessTokenLifetime = 10 * time.Minute
	// DefaultProviderSession is how long a provider session lasts unless
	// configured otherwise.
	DefaultProviderSession = 8 * time.Hour
)

// AuthRequest is an authorization request of a shop, from its start to
// its code's exchange. Request holds the protocol's parameters as the
// provider keeps them; the store does not read it.
type AuthRequest struct {
	ID        string
	ShopID    int64
	Request   []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	// Set when a sign-in completed it.
	Subject  string
	TokenID  string
	AuthTime time.Time
	// OCI is the punchout of the session that completed it, for the
	// shop's ID token.
	OCI map[string]string
	// CodeIssuedAt is when its code was made (zero before).
	CodeIssuedAt time.Time
}

// Done reports whether a sign-in completed the request.
func (a *AuthRequest) Done() bool { return a.Subject != "" }

// ProviderSession is a browser's session at the provider: the sign-in
// with a login token that later authorization requests are answered with
// at once, until it expires or the person signs out.
type ProviderSession struct {
	TokenID   string
	Subject   string
	AuthTime  time.Time
	ExpiresAt time.Time
}

// AccessToken opens userinfo for the shop it was given to.
type AccessToken struct {
	ID            string
	AuthRequestID string
	ShopID        int64
	Subject       string
	TokenID       string
	Scopes        []string
	OCI           map[string]string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Subject is the sub claim of a token's sign-in, the same in the
// assertion and the ID token: contact:12, customer:5, anonymous:<token id>.
func Subject(tok *LoginToken) string {
	if tok.User != nil {
		return fmt.Sprintf("%s:%d", tok.Type, tok.User.ID)
	}
	return "anonymous:" + tok.ID
}

// ProviderStore keeps the OpenID Provider's state. Secrets (codes, session
// cookies, binding cookies) are passed and kept as SHA-256 hashes.
type ProviderStore interface {
	// CreateAuthRequest stores a new request bound to the browser whose
	// cookie hashes to binding.
	CreateAuthRequest(ctx context.Context, r *AuthRequest, binding []byte) error
	// FindAuthRequest returns a live request and its binding, or NOT_FOUND.
	FindAuthRequest(ctx context.Context, id string) (*AuthRequest, []byte, error)
	// CompleteAuthRequest records the sign-in that answers a live request
	// whose code is not made yet; the session (its cookie's hash) gives
	// its OCI punchout for this shop, if any, and loses it.
	CompleteAuthRequest(ctx context.Context, id string, subject, tokenID string, authTime time.Time, session []byte) (*AuthRequest, error)
	// SaveAuthCode stores the hash of the code of a completed request.
	SaveAuthCode(ctx context.Context, id string, code []byte) error
	// ExchangeAuthCode consumes a code, once: the first exchange within
	// AuthCodeLifetime gets its request; any later one is refused
	// (INVALID_INPUT) and revokes the access tokens the code gave.
	ExchangeAuthCode(ctx context.Context, code []byte) (*AuthRequest, error)
	// CreateAccessToken stores an access token of an exchanged request,
	// unless the request's code was presented again meanwhile.
	CreateAccessToken(ctx context.Context, t *AccessToken) error
	// FindAccessToken returns a live, unrevoked access token, or NOT_FOUND.
	FindAccessToken(ctx context.Context, id string) (*AccessToken, error)
	// RevokeAccessToken revokes a token of the shop; unknown is no error.
	RevokeAccessToken(ctx context.Context, id string, shopID int64) error

	CreateProviderSession(ctx context.Context, id []byte, s ProviderSession) error
	// FindProviderSession returns a live session, or NOT_FOUND.
	FindProviderSession(ctx context.Context, id []byte) (*ProviderSession, error)
	// SetSessionOCI keeps the punchout of an OCI sign-in for the next
	// authorization of the shop.
	SetSessionOCI(ctx context.Context, id []byte, shopID int64, oci map[string]string) error
	DeleteProviderSession(ctx context.Context, id []byte) error
	// DeleteExpiredProviderState removes what expired before now.
	DeleteExpiredProviderState(ctx context.Context, now time.Time) error
}
