package jwtsign_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	gjwt "github.com/golang-jwt/jwt/v5"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var ctx = context.Background()

// verify checks a JWT with golang-jwt, a library independent of the signer's,
// against the published JWKS.
func verify(t *testing.T, s *jwtsign.Signer, token string, now time.Time) gjwt.MapClaims {
	t.Helper()
	claims, err := parse(t, s, token, now)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return claims
}

func parse(t *testing.T, s *jwtsign.Signer, token string, now time.Time) (gjwt.MapClaims, error) {
	t.Helper()
	set, err := s.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(set)
	var parsedSet jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &parsedSet); err != nil {
		t.Fatal(err)
	}
	claims := gjwt.MapClaims{}
	_, err = gjwt.ParseWithClaims(token, claims, func(tok *gjwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		keys := parsedSet.Key(kid)
		if len(keys) != 1 {
			t.Fatalf("kid %q is not in the JWKS", kid)
		}
		return keys[0].Key.(*ecdsa.PublicKey), nil
	}, gjwt.WithValidMethods([]string{"ES256"}), gjwt.WithIssuer("https://lt.example.test"), gjwt.WithAudience("https://shop.example.test"),
		gjwt.WithTimeFunc(func() time.Time { return now }), gjwt.WithExpirationRequired(), gjwt.WithIssuedAt())
	return claims, err
}

func TestAssertionVerifiesWithAnIndependentLibraryAndCarriesTheClaims(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		s := jwtsign.New(st, "https://lt.example.test", "https://shop.example.test")
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
		// After Load, which takes seconds on a busy database: iat is now.
		now := time.Now()
		tok := &lt.LoginToken{ID: "abcdefghijklmnop", Type: lt.UserContact, Extra: []string{"x"},
			User: &lt.UserRef{Type: lt.UserContact, ID: 12, Name: "Jane Doe", Email: "jane@acme.test", Company: &lt.CompanyRef{ID: 3, Name: "Acme"}}}
		jwt, err := s.Issue(ctx, lt.Assertion{Token: tok, OCI: map[string]string{"hookUrl": "https://srm.test/hook"},
			Act: &lt.Impersonator{Sub: "staff:1", Name: "Sam Sales"}})
		if err != nil {
			t.Fatal(err)
		}
		c := verify(t, s, jwt, now)
		if c["sub"] != "contact:12" || c["loginToken"] != tok.ID || c["userType"] != "contact" || c["name"] != "Jane Doe" ||
			c["email"] != "jane@acme.test" || c["company"].(map[string]any)["name"] != "Acme" || c["jti"] == "" ||
			c["oci"].(map[string]any)["hookUrl"] != "https://srm.test/hook" || c["act"].(map[string]any)["sub"] != "staff:1" {
			t.Fatalf("claims %v", c)
		}
		exp, _ := c.GetExpirationTime()
		iat, _ := c.GetIssuedAt()
		if d := exp.Sub(iat.Time); d <= 0 || d > 120*time.Second {
			t.Fatalf("lifetime %v", d)
		}
		// Expired after 120 s.
		if _, err := parse(t, s, jwt, now.Add(121*time.Second)); !errors.Is(err, gjwt.ErrTokenExpired) {
			t.Fatal("an assertion verified after its expiry")
		}
		anon, _ := s.Issue(ctx, lt.Assertion{Token: &lt.LoginToken{ID: "qrstuvwxyz012345", Type: lt.UserAnonymous}})
		c = verify(t, s, anon, now)
		if c["sub"] != "anonymous:qrstuvwxyz012345" || c["company"] != nil || c["act"] != nil || c["oci"] != nil {
			t.Fatalf("anonymous claims %v", c)
		}
		other, _ := s.Issue(ctx, lt.Assertion{Token: tok})
		if verify(t, s, other, now)["jti"] == c["jti"] {
			t.Fatal("jti repeated")
		}
	})
}

func TestInstancesShareOneKeyAndRotationKeepsTheOldOneUntilItsJWTsExpire(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		clock := sqlstoretest.SetClock(st, time.Now())
		a := jwtsign.New(st, "https://lt.example.test", "https://shop.example.test")
		b := jwtsign.New(st, "https://lt.example.test", "https://shop.example.test")
		a.Now, b.Now = clock.Now, clock.Now
		if err := a.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.Load(ctx); err != nil {
			t.Fatal(err)
		}
		ja, _ := a.JWKS(ctx)
		jb, _ := b.JWKS(ctx)
		if len(ja.Keys) != 1 || len(jb.Keys) != 1 || ja.Keys[0].KeyID != jb.Keys[0].KeyID {
			t.Fatalf("instances disagree: %v %v", ja.Keys, jb.Keys)
		}
		tok := &lt.LoginToken{ID: "abcdefghijklmnop", Type: lt.UserAnonymous}
		old, _ := a.Issue(ctx, lt.Assertion{Token: tok})
		next, _ := jwtsign.NewKey(clock.T)
		if err := st.RotateSigningKey(ctx, next); err != nil {
			t.Fatal(err)
		}
		clock.Add(61 * time.Second) // past the refresh interval
		jb, _ = b.JWKS(ctx)
		if len(jb.Keys) != 2 || jb.Keys[0].KeyID != next.ID {
			t.Fatalf("after rotation the JWKS is %v", jb.Keys)
		}
		verify(t, b, old, clock.T.Add(-61*time.Second))
		fresh, _ := b.Issue(ctx, lt.Assertion{Token: tok})
		verify(t, b, fresh, clock.T)
		clock.Add(71 * time.Second) // the old key's last JWT has expired, even one signed before a refresh
		jb, _ = b.JWKS(ctx)
		if len(jb.Keys) != 1 || jb.Keys[0].KeyID != next.ID {
			t.Fatalf("the retired key is still published: %v", jb.Keys)
		}
		for _, k := range jb.Keys {
			if !k.IsPublic() {
				t.Fatal("the JWKS publishes a private key")
			}
		}
	})
}

func TestARotatedKeyIsPublishedByEveryInstanceBeforeAnySignsWithIt(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		clock := sqlstoretest.SetClock(st, time.Now())
		a := jwtsign.New(st, "https://lt.example.test", "https://shop.example.test")
		b := jwtsign.New(st, "https://lt.example.test", "https://shop.example.test")
		a.Now, b.Now = clock.Now, clock.Now
		a.EnableRS256()
		for _, s := range []*jwtsign.Signer{a, b} {
			if err := s.Load(ctx); err != nil {
				t.Fatal(err)
			}
		}
		tok := &lt.LoginToken{ID: "abcdefghijklmnop", Type: lt.UserAnonymous}
		kid := func(s *jwtsign.Signer) string {
			t.Helper()
			jwt, err := s.Issue(ctx, lt.Assertion{Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			sig, err := jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			return sig.Signatures[0].Header.KeyID
		}
		old := kid(a)
		oldRSA, _, _ := a.RS256(ctx)
		ids, activeAt, err := jwtsign.Rotate(ctx, st, clock.Now(), true)
		if err != nil || len(ids) != 2 || !activeAt.Equal(clock.Now().Add(jwtsign.RotationDelay)) {
			t.Fatalf("rotate: %v %v %v", ids, activeAt, err)
		}
		// Each instance loads the new keys within a refresh and publishes
		// them; every instance still signs with the old ones.
		clock.Add(jwtsign.RotationDelay / 2)
		for _, s := range []*jwtsign.Signer{a, b} {
			set, _ := s.JWKS(ctx)
			if len(set.Key(ids[0])) == 0 || len(set.Key(ids[1])) == 0 || len(set.Key(old)) == 0 {
				t.Fatalf("halfway to the activation the JWKS is %v, want the old and the new keys", set.Keys)
			}
			if k := kid(s); k != old {
				t.Fatalf("a key signs before its time: %s", k)
			}
		}
		if id, _, _ := a.RS256(ctx); id != oldRSA {
			t.Fatalf("the RS256 key changed before its time: %s", id)
		}
		// At the activation both switch, without loading anything again.
		clock.Add(jwtsign.RotationDelay / 2)
		for _, s := range []*jwtsign.Signer{a, b} {
			if k := kid(s); k != ids[0] {
				t.Fatalf("at the activation the signing key is %s, want %s", k, ids[0])
			}
		}
		if id, _, _ := a.RS256(ctx); id != ids[1] {
			t.Fatalf("at the activation the RS256 key is %s, want %s", id, ids[1])
		}
		// The old key is published until its last JWT has expired.
		clock.Add(lt.MaxAssertionLifetime)
		if set, _ := b.JWKS(ctx); len(set.Key(old)) == 0 {
			t.Fatal("the retired key is no longer published while its JWTs are valid")
		}
		clock.Add(time.Minute)
		if set, _ := b.JWKS(ctx); len(set.Key(old)) != 0 {
			t.Fatal("the retired key is published after its last JWT has expired")
		}
	})
}
