package httpapi_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	gjwt "github.com/golang-jwt/jwt/v5"

	lt "github.com/logintokens/logintokens"
)

type redeemJSON struct {
	LoginToken lt.LoginToken `json:"loginToken"`
	User       *lt.UserRef   `json:"user"`
	Assertion  string        `json:"assertion"`
}

// verifyAssertion checks a JWT with golang-jwt against the served JWKS.
func (a *testAPI) verifyAssertion(token string) gjwt.MapClaims {
	a.t.Helper()
	status, body := a.do("", "GET", "/.well-known/jwks.json", nil)
	var set jose.JSONWebKeySet
	if status != 200 || json.Unmarshal(body, &set) != nil {
		a.t.Fatalf("jwks: %d %s", status, body)
	}
	claims := gjwt.MapClaims{}
	_, err := gjwt.ParseWithClaims(token, claims, func(tok *gjwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		keys := set.Key(kid)
		if len(keys) != 1 {
			return nil, fmt.Errorf("kid %q not in the JWKS", kid)
		}
		return keys[0].Key.(*ecdsa.PublicKey), nil
	}, gjwt.WithValidMethods([]string{"ES256"}), gjwt.WithIssuer(testPublicURL), gjwt.WithAudience(testAudience), gjwt.WithExpirationRequired())
	if err != nil {
		a.t.Fatalf("assertion does not verify: %v", err)
	}
	return claims
}

func TestRedeemAnswersEachOutcomeWithItsStatusAndCode(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		co := &lt.Company{Name: "Acme"}
		a.Store.CreateCompany(ctx, co)
		c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
		a.Store.CreateContact(ctx, c)
		once := a.createToken(map[string]any{"contactId": c.ID, "oneTimeUse": true, "extra": []string{"SAP"}})

		var ok redeemJSON
		a.json("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": once.Value}, 200, &ok)
		if ok.LoginToken.ID != once.ID || ok.LoginToken.SuccessfulAttempts != 1 || ok.LoginToken.Status != lt.StatusUsed ||
			ok.User == nil || ok.User.ID != c.ID || ok.User.Company.Name != "Acme" {
			t.Fatalf("redeem: %+v", ok)
		}
		claims := a.verifyAssertion(ok.Assertion)
		if claims["sub"] != fmt.Sprintf("contact:%d", c.ID) || claims["loginToken"] != once.ID || claims["name"] != "Jane Doe" ||
			claims["email"] != "jane@acme.test" || claims["userType"] != "contact" || claims["extra"].([]any)[0] != "SAP" {
			t.Fatalf("claims %v", claims)
		}

		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": once.Value}, 400, lt.ETOKENUSED)
		for _, v := range []string{"garbage", once.Value + "x", "lt_zzzzzzzzzzzzzzzz_" + strings.Repeat("A", 32)} {
			p := a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": v}, 400, lt.ETOKENINVALID)
			if strings.Contains(p.Detail, v) {
				t.Fatal("the problem repeats the value")
			}
		}
		soon := a.createToken(map[string]any{"expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		a.json("configuration:editor", "PATCH", "/api/v1/login-tokens/"+soon.ID, map[string]any{"expiresAt": time.Now().UTC().Format(time.RFC3339Nano)}, 200, nil)
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": soon.Value}, 400, lt.ETOKENEXPIRED)
		mine := a.createToken(map[string]any{"contactId": c.ID})
		a.Store.DeleteContact(ctx, c.ID)
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": mine.Value}, 400, lt.EUSERDISABLED)

		// Only webshop keys redeem; the body is checked.
		a.problem("all", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": mine.Value}, 403, lt.EFORBIDDEN)
		wantFieldError(t, a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", `{}`, 400, lt.EINVALID), "token")
		wantFieldError(t, a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": "x", "clientIp": "localhost"}, 400, lt.EINVALID), "clientIp")

		var got lt.LoginToken
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+once.ID, nil, 200, &got)
		if got.SuccessfulAttempts != 1 || got.FailedAttempts != 2 || got.LastAccessedAt == nil {
			// used once; then TOKEN_USED and the wrong secret
			t.Fatalf("counters %d/%d", got.SuccessfulAttempts, got.FailedAttempts)
		}
	})
}

func TestRedeemFailuresAreLimitedPerClientAddress(t *testing.T) {
	a := newAPI(t, "sqlite", 3)
	good := a.createToken("{}")
	last := byte('x')
	if good.Value[len(good.Value)-1] == last {
		last = 'y'
	}
	bad := good.Value[:len(good.Value)-1] + string(last)
	try := func(value, ip string) (int, string) {
		body := map[string]string{"token": value}
		if ip != "" {
			body["clientIp"] = ip
		}
		resp := a.doResp("webshop", "POST", "/api/v1/login-tokens/redeem", body, nil)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	for i := range 3 {
		if status, _ := try(bad, "203.0.113.7"); status != 400 {
			t.Fatalf("failure %d: %d", i+1, status)
		}
	}
	// The address is now limited, even for a good value, and nothing counts.
	status, retry := try(good.Value, "203.0.113.7")
	secs, _ := strconv.Atoi(retry)
	if status != 429 || secs < 1 || secs > 60 {
		t.Fatalf("limited: %d Retry-After %q", status, retry)
	}
	a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": good.Value, "clientIp": "203.0.113.7"}, 429, lt.ERATELIMITED)
	// Another end user of the same shop is not limited.
	if status, _ := try(good.Value, "203.0.113.8"); status != 200 {
		t.Fatalf("another address: %d", status)
	}
	var got lt.LoginToken
	a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+good.ID, nil, 200, &got)
	if got.FailedAttempts != 3 || got.SuccessfulAttempts != 1 {
		t.Fatalf("a limited attempt was counted: %d/%d", got.SuccessfulAttempts, got.FailedAttempts)
	}
	// Without clientIp the peer address is the one limited.
	for range 3 {
		try(bad, "")
	}
	if status, _ := try(good.Value, ""); status != 429 {
		t.Fatalf("peer address not limited: %d", status)
	}
}
