package demoshop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// leeway absorbs clock differences between the service and the shop.
	leeway = 30 * time.Second
	// maxLifetime is the longest exp - iat the service promises (docs/signin.md:
	// exp at most 120 s after iat); anything longer is not its JWT.
	maxLifetime = 120 * time.Second
	// refetchEvery bounds how often an unknown kid makes the shop fetch the
	// JWKS again, so forged kids cannot turn the shop against the service.
	refetchEvery = time.Minute
	// keysMaxAge is how long fetched keys are used before the next
	// verification fetches them again: a key the service retires stops
	// being trusted.
	keysMaxAge = 10 * time.Minute
	// maxJWKSSize bounds the JWKS document the shop reads.
	maxJWKSSize = 1 << 20
)

// claims are the assertion's claims the shop uses (docs/signin.md).
type claims struct {
	jwt.RegisteredClaims
	LoginToken string            `json:"loginToken"`
	UserType   string            `json:"userType"`
	Name       string            `json:"name"`
	Email      string            `json:"email"`
	Company    *company          `json:"company"`
	Extra      []string          `json:"extra"`
	OCI        map[string]string `json:"oci"`
	Act        *actor            `json:"act"`
}

type company struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// actor is the staff member who opened the shop as the user.
type actor struct {
	Sub   string `json:"sub"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// refusal is why an assertion is not accepted, in words for the person who
// posted it and as a short reason for the log.
type refusal struct {
	status  int
	reason  string // for logs and the page's heading
	message string
	err     error
}

func (r *refusal) Error() string { return r.reason + ": " + r.message }

func refuse(reason, format string, args ...any) *refusal {
	return &refusal{status: http.StatusBadRequest, reason: reason, message: fmt.Sprintf(format, args...)}
}

var (
	errNoKid           = errors.New("the JWT header names no key (kid)")
	errUnknownKid      = errors.New("unknown key id")
	errKeysUnavailable = errors.New("the service's keys could not be fetched")
)

// verifier checks assertions against the keys the service publishes.
type verifier struct {
	parser  *jwt.Parser
	keys    *keySet
	replays *replayCache
	now     func() time.Time
}

func newVerifier(issuer, audience string, keys *keySet, now func() time.Time) *verifier {
	return &verifier{
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
		),
		keys:    keys,
		replays: &replayCache{seen: map[string]time.Time{}},
		now:     now,
	}
}

// verify checks an assertion and records its jti: the same assertion is
// accepted once.
func (v *verifier) verify(ctx context.Context, assertion string) (*claims, *refusal) {
	if assertion == "" {
		return nil, refuse("No assertion", "nothing was posted in the assertion field.")
	}
	c := &claims{}
	tok, err := v.parser.ParseWithClaims(assertion, c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errNoKid
		}
		return v.keys.key(ctx, kid)
	})
	if err != nil {
		return nil, explain(tok, err)
	}
	now := v.now()
	switch {
	case c.IssuedAt == nil:
		return nil, refuse("Implausible issue time", "the assertion carries no issue time (iat).")
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > maxLifetime:
		return nil, refuse("Implausible issue time", "the assertion is valid for %s, longer than the %s the service issues.",
			c.ExpiresAt.Sub(c.IssuedAt.Time), maxLifetime)
	case c.ID == "":
		return nil, refuse("No assertion id", "the assertion carries no id (jti), so a replay could not be told apart.")
	case c.Subject == "":
		return nil, refuse("No subject", "the assertion names nobody (sub).")
	}
	if !v.replays.first(c.ID, c.ExpiresAt.Add(leeway), now) {
		return nil, refuse("Replayed", "this assertion was already used to sign in once (replayed jti). Open your login link again.")
	}
	return c, nil
}

// explain turns a golang-jwt error into a refusal. Signature and key
// problems come first: claims of an unverified token mean nothing.
func explain(tok *jwt.Token, err error) *refusal {
	r := func(reason, msg string) *refusal {
		return &refusal{status: http.StatusBadRequest, reason: reason, message: msg, err: err}
	}
	switch {
	case errors.Is(err, errKeysUnavailable):
		return &refusal{status: http.StatusBadGateway, reason: "Keys unavailable",
			message: "the shop could not fetch the login service's signing keys (JWKS). Try again in a moment.", err: err}
	case errors.Is(err, jwt.ErrTokenMalformed):
		return r("Malformed", "the assertion is not a well-formed JWT.")
	case errors.Is(err, errNoKid), errors.Is(err, errUnknownKid):
		return r("Unknown key", "the assertion is signed with a key the login service does not publish (unknown kid).")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && tok != nil && tok.Method != nil && tok.Method.Alg() != jwt.SigningMethodES256.Alg():
		return r("Wrong algorithm", "the assertion is not signed with ES256.")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return r("Bad signature", "the assertion's signature does not verify: it was altered or not signed by the login service.")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return r("Unverifiable", "the assertion cannot be verified (no usable algorithm or key).")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return r("Wrong issuer", "the assertion was not issued by the login service this shop trusts (iss).")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return r("Wrong audience", "the assertion was issued for another shop (aud), not this one.")
	case errors.Is(err, jwt.ErrTokenExpired):
		return r("Expired", "the assertion has expired (exp); assertions are valid for two minutes. Open your login link again.")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return r("Missing claim", "the assertion carries no expiry (exp).")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return r("Implausible issue time", "the assertion claims to be issued in the future (iat).")
	}
	return r("Invalid", "the assertion is not valid.")
}

// keySet is the service's JWKS as last fetched.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu          sync.Mutex // also serialises fetches
	keys        map[string]*ecdsa.PublicKey
	fetchedAt   time.Time // last successful fetch
	triedAt     time.Time // last attempt
	refetchedAt time.Time // last fetch for an unknown kid
}

// key returns the public key with the kid. The keys are fetched on first
// use (until a fetch succeeds) and again when older than keysMaxAge. An
// unknown kid fetches them again at once (the service may have rotated its
// key), but at most once per refetchEvery: forged kids cannot make the shop
// hammer the service.
func (k *keySet) key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	fetched := false
	if k.keys == nil || (now.Sub(k.fetchedAt) >= keysMaxAge && now.Sub(k.triedAt) >= refetchEvery) {
		// A failed refresh keeps the keys the shop has: the service may be
		// down for a moment.
		if err := k.fetch(ctx, now); err != nil && k.keys == nil {
			return nil, err
		}
		fetched = true
	}
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	if !fetched && now.Sub(k.refetchedAt) >= refetchEvery {
		k.refetchedAt = now
		if k.fetch(ctx, now) == nil {
			if key, ok := k.keys[kid]; ok {
				return key, nil
			}
		}
	}
	return nil, errUnknownKid
}

// jwk is the part of a JSON Web Key (RFC 7517, RFC 7518 §6.2) the shop reads.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

func (k *keySet) fetch(ctx context.Context, now time.Time) error {
	k.triedAt = now
	keys, err := k.download(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", errKeysUnavailable, err)
	}
	k.keys, k.fetchedAt = keys, now
	return nil
}

func (k *keySet) download(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", k.url, resp.Status)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSSize)).Decode(&set); err != nil {
		return nil, fmt.Errorf("GET %s: %w", k.url, err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	for _, j := range set.Keys {
		// Only keys that can verify ES256: anything else in the set is
		// skipped, not trusted for another algorithm.
		if j.Kid == "" || j.Kty != "EC" || j.Crv != "P-256" || (j.Use != "" && j.Use != "sig") ||
			(j.Alg != "" && j.Alg != jwt.SigningMethodES256.Alg()) {
			continue
		}
		pub, err := parseP256(j.X, j.Y)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", j.Kid, err)
		}
		keys[j.Kid] = pub
	}
	return keys, nil
}

// parseP256 reads a P-256 public key from its JWK coordinates; it refuses a
// point that is not on the curve.
func parseP256(x, y string) (*ecdsa.PublicKey, error) {
	xb, err1 := base64.RawURLEncoding.DecodeString(x)
	yb, err2 := base64.RawURLEncoding.DecodeString(y)
	if err1 != nil || err2 != nil || len(xb) != 32 || len(yb) != 32 {
		return nil, errors.New("x and y must be 32 bytes of base64url")
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, xb...), yb...))
}

// replayCache remembers the jti of every accepted assertion until it
// expires; the service makes each jti unique.
type replayCache struct {
	mu      sync.Mutex
	seen    map[string]time.Time // jti -> when it can be forgotten
	sweptAt time.Time
}

// first records jti and reports whether it was new.
func (c *replayCache) first(jti string, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.sweptAt) >= time.Minute {
		for id, t := range c.seen {
			if now.After(t) {
				delete(c.seen, id)
			}
		}
		c.sweptAt = now
	}
	if t, ok := c.seen[jti]; ok && !now.After(t) {
		return false
	}
	c.seen[jti] = until
	return true
}
