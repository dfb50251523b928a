// Package jwtsign issues the sign-in assertions: ES256 JWTs whose keys are
// published at /.well-known/jwks.json. It also keeps the OpenID Provider's
// RS256 key (EnableRS256), published in the same set. Keys are made once and shared by
// every instance on one database (the store keeps them encrypted with the
// server key); a retired key stays published until the last JWT it signed
// has expired.
package jwtsign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	lt "github.com/logintokens/logintokens"
)

// refreshEvery bounds how long an instance takes to notice a key another
// instance made.
const refreshEvery = time.Minute

// Signer issues assertions; it implements lt.AssertionIssuer.
type Signer struct {
	store    lt.SigningKeyStore
	issuer   string
	audience string
	lifetime time.Duration
	Now      func() time.Time

	// rs256 makes Load keep an RS256 key too, for the OpenID Provider.
	rs256 bool

	mu         sync.RWMutex
	current    *signingKey
	currentRSA *RSAKey
	published  []jose.JSONWebKey
	loadedAt   time.Time
}

// RSAKey is the current RS256 key.
type RSAKey struct {
	ID  string
	Key *rsa.PrivateKey
}

type signingKey struct {
	kid    string
	key    *ecdsa.PrivateKey
	signer jose.Signer
}

// New returns a signer for tokens issued by issuer (the public URL) to
// audience (the shop). Call Load before use.
func New(store lt.SigningKeyStore, issuer, audience string) *Signer {
	return &Signer{store: store, issuer: issuer, audience: audience, lifetime: lt.MaxAssertionLifetime, Now: time.Now}
}

// EnableRS256 makes the signer keep an RS256 key beside its ES256 one,
// made by the next Load when the database has none: the OpenID Provider
// signs ID tokens with it, since relying parties assume RS256 when a
// client registers no other algorithm.
func (s *Signer) EnableRS256() { s.rs256 = true }

// rsaLifetime is how long a retired RS256 key stays published: as long as
// an ID token it signed may still be checked.
const rsaLifetime = time.Hour

// Load reads the keys, making the first one of each kind if the database
// has none.
func (s *Signer) Load(ctx context.Context) error {
	for range 3 {
		since := s.Now().Add(-max(s.lifetime, rsaLifetime))
		keys, err := s.store.SigningKeys(ctx, since)
		if err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		var hasEC, hasRSA bool
		for _, k := range keys {
			if k.RetiredAt == nil {
				parsed, err := x509.ParsePKCS8PrivateKey(k.Private)
				if err != nil {
					return fmt.Errorf("signing key %s: %w", k.ID, err)
				}
				_, isRSA := parsed.(*rsa.PrivateKey)
				hasRSA = hasRSA || isRSA
				hasEC = hasEC || !isRSA
			}
		}
		var k lt.SigningKey
		switch {
		case !hasEC:
			k, err = NewKey(s.Now())
		case s.rs256 && !hasRSA:
			k, err = NewRSAKey(s.Now())
		default:
			return s.install(keys)
		}
		if err != nil {
			return err
		}
		if _, err := s.store.AddSigningKey(ctx, k); err != nil {
			return fmt.Errorf("store signing key: %w", err)
		}
		// Another instance may have stored its key first: read again.
	}
	return fmt.Errorf("no current signing keys after three tries")
}

// NewRSAKey makes a new 2048-bit RSA key for RS256.
func NewRSAKey(now time.Time) (lt.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return lt.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return lt.SigningKey{}, err
	}
	b := make([]byte, 12)
	rand.Read(b)
	return lt.SigningKey{ID: base64.RawURLEncoding.EncodeToString(b), Alg: string(jose.RS256), Private: der, CreatedAt: now.UTC()}, nil
}

// NewKey makes a new P-256 signing key.
func NewKey(now time.Time) (lt.SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return lt.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return lt.SigningKey{}, err
	}
	b := make([]byte, 12)
	rand.Read(b)
	return lt.SigningKey{ID: base64.RawURLEncoding.EncodeToString(b), Private: der, CreatedAt: now.UTC()}, nil
}

func (s *Signer) install(keys []lt.SigningKey) error {
	var cur *signingKey
	var curRSA *RSAKey
	published := make([]jose.JSONWebKey, 0, len(keys))
	for _, k := range keys {
		parsed, err := x509.ParsePKCS8PrivateKey(k.Private)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		if priv, ok := parsed.(*rsa.PrivateKey); ok {
			if k.RetiredAt != nil && s.Now().Sub(*k.RetiredAt) > rsaLifetime {
				continue
			}
			published = append(published, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: k.ID, Algorithm: string(jose.RS256), Use: "sig"})
			if curRSA == nil && k.RetiredAt == nil {
				curRSA = &RSAKey{ID: k.ID, Key: priv}
			}
			continue
		}
		priv, ok := parsed.(*ecdsa.PrivateKey)
		if !ok || priv.Curve != elliptic.P256() {
			return fmt.Errorf("signing key %s is not a P-256 key", k.ID)
		}
		if k.RetiredAt != nil && s.Now().Sub(*k.RetiredAt) > s.lifetime {
			continue
		}
		published = append(published, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: k.ID, Algorithm: string(jose.ES256), Use: "sig"})
		if cur == nil && k.RetiredAt == nil {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}},
				(&jose.SignerOptions{}).WithType("JWT"))
			if err != nil {
				return err
			}
			cur = &signingKey{kid: k.ID, key: priv, signer: signer}
		}
	}
	s.mu.Lock()
	s.current, s.currentRSA, s.published, s.loadedAt = cur, curRSA, published, s.Now()
	s.mu.Unlock()
	return nil
}

// RS256 returns the current RS256 key and its id (EnableRS256).
func (s *Signer) RS256(ctx context.Context) (string, *rsa.PrivateKey, error) {
	if _, _, err := s.refresh(ctx); err != nil {
		return "", nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.currentRSA == nil {
		return "", nil, fmt.Errorf("no RS256 signing key: the signer was loaded without EnableRS256")
	}
	return s.currentRSA.ID, s.currentRSA.Key, nil
}

// refresh reloads the keys when they are older than refreshEvery; a failed
// reload keeps the keys it has (the database may be down for a moment).
func (s *Signer) refresh(ctx context.Context) (*signingKey, []jose.JSONWebKey, error) {
	s.mu.RLock()
	cur, pub, at := s.current, s.published, s.loadedAt
	s.mu.RUnlock()
	if cur != nil && s.Now().Sub(at) < refreshEvery {
		return cur, pub, nil
	}
	if err := s.Load(ctx); err != nil && cur == nil {
		return nil, nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current, s.published, nil
}

// JWKS returns the public keys a shop verifies assertions with.
func (s *Signer) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	_, pub, err := s.refresh(ctx)
	return jose.JSONWebKeySet{Keys: pub}, err
}

// Claims are the assertion's claims beyond the registered ones (docs/signin.md).
type Claims struct {
	jwt.Claims
	LoginToken string            `json:"loginToken"`
	UserType   lt.UserType       `json:"userType"`
	Name       string            `json:"name,omitempty"`
	Email      string            `json:"email,omitempty"`
	Company    *lt.CompanyRef    `json:"company,omitempty"`
	Extra      []string          `json:"extra"`
	OCI        map[string]string `json:"oci,omitempty"`
	Act        *lt.Impersonator  `json:"act,omitempty"`
}

// Issue signs an assertion for a successful redeem.
func (s *Signer) Issue(ctx context.Context, a lt.Assertion) (string, error) {
	cur, _, err := s.refresh(ctx)
	if err != nil {
		return "", err
	}
	now := s.Now()
	jti := make([]byte, 16)
	rand.Read(jti)
	tok := a.Token
	c := Claims{
		Claims: jwt.Claims{
			Issuer:   s.issuer,
			Audience: jwt.Audience{s.audience},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(s.lifetime)),
			ID:       base64.RawURLEncoding.EncodeToString(jti),
		},
		LoginToken: tok.ID,
		UserType:   tok.Type,
		Extra:      tok.Extra,
		OCI:        a.OCI,
		Act:        a.Act,
	}
	c.Subject = lt.Subject(tok)
	if tok.User != nil {
		c.Name, c.Email, c.Company = tok.User.Name, tok.User.Email, tok.User.Company
	}
	if c.Extra == nil {
		c.Extra = []string{}
	}
	// The claims are marshalled once and signed: jwt.Signed(...).Claims
	// would marshal them, unmarshal them into a map and marshal that again,
	// a quarter of the cost of signing a redeem's assertion.
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("assertion claims: %w", err)
	}
	jws, err := cur.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
