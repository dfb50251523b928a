package logintokens

import (
	"context"
	"time"
)

// MaxAssertionLifetime bounds how long a sign-in JWT is valid (docs/signin.md).
const MaxAssertionLifetime = 120 * time.Second

// Impersonator is the staff member who opens the shop as a token's user;
// it becomes the JWT's act claim.
type Impersonator struct {
	Sub   string `json:"sub"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Assertion is what a successful redeem tells the shop.
type Assertion struct {
	Token *LoginToken
	// OCI carries the punchout parameters of an OCI sign-in, never the
	// credentials.
	OCI map[string]string
	Act *Impersonator
}

// AssertionIssuer signs assertions as JWTs the shop verifies with the JWKS.
type AssertionIssuer interface {
	Issue(ctx context.Context, a Assertion) (string, error)
}

// SigningKey is a JWT signing key as the store keeps it: the private key
// (PKCS #8 DER) is encrypted at rest with the server key.
type SigningKey struct {
	ID string
	// Alg is what the key signs: "ES256" (the assertions; "" means it
	// too) or "RS256" (the OpenID Provider's ID tokens). Each has its own
	// current key.
	Alg       string
	Private   []byte
	CreatedAt time.Time
	// ActiveAt is when the key starts to sign (nil: at CreatedAt). A
	// rotation publishes the next key before it signs, so that every
	// instance knows it by then.
	ActiveAt *time.Time
	// RetiredAt is when the key stops signing; it is published until the
	// last JWT it signed has expired.
	RetiredAt *time.Time
}

// SignsAt reports whether k signs at t: active, and not yet retired.
func (k SigningKey) SignsAt(t time.Time) bool {
	if k.ActiveAt != nil && t.Before(*k.ActiveAt) {
		return false
	}
	return k.RetiredAt == nil || t.Before(*k.RetiredAt)
}

// SigningKeyStore keeps the signing keys every instance on one database
// shares.
type SigningKeyStore interface {
	// SigningKeys returns the current keys (RetiredAt nil, one per Alg)
	// and the keys retired after since, newest first.
	SigningKeys(ctx context.Context, since time.Time) ([]SigningKey, error)
	// AddSigningKey stores k as the current key of its Alg unless another
	// instance stored one first; it reports whether k was stored.
	AddSigningKey(ctx context.Context, k SigningKey) (bool, error)
}

// Redeemer checks a presented token value and records the attempt.
type Redeemer interface {
	Redeem(ctx context.Context, req RedeemRequest) (RedeemResult, error)
}
