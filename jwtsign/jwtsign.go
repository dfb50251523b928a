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
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	lt "github.com/logintokens/logintokens"
)

// refreshEvery bounds how long an instance takes to notice a key another
// instance made, or a rotation made. A rotation lets the next key sign
// only after RotationDelay, by when every instance publishes it.
const refreshEvery = 10 * time.Second

// RotationDelay is how long a rotated key is published before it signs:
// more than two refreshes, so that every instance that answers has loaded
// it whichever instance signed with it.
const RotationDelay = 3 * refreshEvery

// Signer issues assertions; it implements lt.AssertionIssuer.
type Signer struct {
	store    lt.SigningKeyStore
	issuer   string
	audience string
	lifetime time.Duration
	Now      func() time.Time

	// rs256 makes Load keep an RS256 key too, for the OpenID Provider.
	rs256 bool

	mu sync.RWMutex
	// signing and signingRSA are the keys that sign, or will: newest
	// first; the one that signs now is picked at each use.
	signing    []*signingKey
	signingRSA []*RSAKey
	published  []jose.JSONWebKey
	loadedAt   time.Time
}

// RSAKey is the current RS256 key.
type RSAKey struct {
	ID  string
	Key *rsa.PrivateKey
	// stored is the key as the store keeps it, for when it signs.
	stored lt.SigningKey
}

type signingKey struct {
	kid    string
	key    *ecdsa.PrivateKey
	signer jose.Signer
	stored lt.SigningKey
}

// pick returns the key of keys (newest first) that signs at now: the
// newest whose time has come. When none has (clocks apart), the oldest
// active one; nil when keys is empty.
func pick[K any](keys []K, stored func(K) lt.SigningKey, now time.Time) (k K, ok bool) {
	for _, c := range keys {
		if stored(c).SignsAt(now) {
			return c, true
		}
	}
	for i := len(keys) - 1; i >= 0; i-- {
		if a := stored(keys[i]).ActiveAt; a == nil || !now.Before(*a) {
			return keys[i], true
		}
	}
	if len(keys) > 0 {
		return keys[len(keys)-1], true
	}
	return k, false
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

// Rotator is the store of a rotation.
type Rotator interface {
	// RotateSigningKeyAt makes k the current key of its Alg from
	// activeAt, when the one it replaces retires.
	RotateSigningKeyAt(ctx context.Context, k lt.SigningKey, activeAt time.Time) error
}

// Rotate makes a new ES256 key (and, with rs256, a new RS256 key) that
// signs from now + RotationDelay, when the current one retires: every
// instance publishes the new key before any signs with it, and the
// retired one stays published until its last JWT has expired. It returns
// the new keys' ids and when they sign.
func Rotate(ctx context.Context, st Rotator, now time.Time, rs256 bool) (ids []string, activeAt time.Time, err error) {
	activeAt = now.Add(RotationDelay)
	makers := []func(time.Time) (lt.SigningKey, error){NewKey}
	if rs256 {
		makers = append(makers, NewRSAKey)
	}
	for _, make := range makers {
		k, err := make(now)
		if err != nil {
			return ids, activeAt, err
		}
		if err := st.RotateSigningKeyAt(ctx, k, activeAt); err != nil {
			return ids, activeAt, fmt.Errorf("rotate signing key: %w", err)
		}
		ids = append(ids, k.ID)
	}
	return ids, activeAt, nil
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

// install keeps keys: those that sign now or will, and the published
// ones. A retired key is published until the last JWT it may have signed
// has expired: an instance that had not yet loaded the rotation signs
// with it for up to refreshEvery after its retirement.
func (s *Signer) install(keys []lt.SigningKey) error {
	var signing []*signingKey
	var signingRSA []*RSAKey
	now := s.Now()
	published := make([]jose.JSONWebKey, 0, len(keys))
	for _, k := range keys {
		parsed, err := x509.ParsePKCS8PrivateKey(k.Private)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		if priv, ok := parsed.(*rsa.PrivateKey); ok {
			if k.RetiredAt != nil && now.Sub(*k.RetiredAt) > rsaLifetime+refreshEvery {
				continue
			}
			published = append(published, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: k.ID, Algorithm: string(jose.RS256), Use: "sig"})
			if k.RetiredAt == nil || now.Before(*k.RetiredAt) {
				signingRSA = append(signingRSA, &RSAKey{ID: k.ID, Key: priv, stored: k})
			}
			continue
		}
		priv, ok := parsed.(*ecdsa.PrivateKey)
		if !ok || priv.Curve != elliptic.P256() {
			return fmt.Errorf("signing key %s is not a P-256 key", k.ID)
		}
		if k.RetiredAt != nil && now.Sub(*k.RetiredAt) > s.lifetime+refreshEvery {
			continue
		}
		published = append(published, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: k.ID, Algorithm: string(jose.ES256), Use: "sig"})
		if k.RetiredAt == nil || now.Before(*k.RetiredAt) {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}},
				(&jose.SignerOptions{}).WithType("JWT"))
			if err != nil {
				return err
			}
			signing = append(signing, &signingKey{kid: k.ID, key: priv, signer: signer, stored: k})
		}
	}
	byActive := func(a, b lt.SigningKey) int { return activeAt(b).Compare(activeAt(a)) }
	slices.SortStableFunc(signing, func(a, b *signingKey) int { return byActive(a.stored, b.stored) })
	slices.SortStableFunc(signingRSA, func(a, b *RSAKey) int { return byActive(a.stored, b.stored) })
	s.mu.Lock()
	s.signing, s.signingRSA, s.published, s.loadedAt = signing, signingRSA, published, now
	s.mu.Unlock()
	return nil
}

func activeAt(k lt.SigningKey) time.Time {
	if k.ActiveAt != nil {
		return *k.ActiveAt
	}
	return k.CreatedAt
}

// RS256 returns the current RS256 key and its id (EnableRS256).
func (s *Signer) RS256(ctx context.Context) (string, *rsa.PrivateKey, error) {
	if _, _, err := s.refresh(ctx); err != nil {
		return "", nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := pick(s.signingRSA, func(k *RSAKey) lt.SigningKey { return k.stored }, s.Now())
	if !ok {
		return "", nil, fmt.Errorf("no RS256 signing key: the signer was loaded without EnableRS256")
	}
	return k.ID, k.Key, nil
}

// refresh reloads the keys when they are older than refreshEvery; a failed
// reload keeps the keys it has (the database may be down for a moment).
func (s *Signer) refresh(ctx context.Context) (*signingKey, []jose.JSONWebKey, error) {
	s.mu.RLock()
	loaded, at := len(s.signing) > 0, s.loadedAt
	s.mu.RUnlock()
	if !loaded || s.Now().Sub(at) >= refreshEvery {
		if err := s.Load(ctx); err != nil && !loaded {
			return nil, nil, err
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cur, _ := pick(s.signing, func(k *signingKey) lt.SigningKey { return k.stored }, s.Now())
	return cur, s.published, nil
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
	if cur == nil {
		return "", fmt.Errorf("no ES256 signing key")
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
