package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
	"time"

	gjwt "github.com/golang-jwt/jwt/v5"

	lt "github.com/logintokens/logintokens"
)

// client talks to a serve under test.
type client struct {
	t    *testing.T
	base string
}

// call sends a request with the bearer key ("" = none) and a JSON body
// (nil = none), and returns the status and body.
func (c *client) call(key, method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// want sends a request that must answer status, and decodes the answer into out.
func (c *client) want(status int, out any, key, method, path string, body any) {
	c.t.Helper()
	got, b := c.call(key, method, path, body)
	if got != status {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// verifyWithJWKS checks an assertion with golang-jwt (independent of the
// go-jose the signer uses) against the keys the service publishes.
func verifyWithJWKS(t *testing.T, c *client, assertion, issuer, audience string) gjwt.MapClaims {
	t.Helper()
	var set struct {
		Keys []struct{ Kty, Crv, Kid, Alg, X, Y, N, E string }
	}
	c.want(200, &set, "", "GET", "/.well-known/jwks.json", nil)
	keys := map[string]*ecdsa.PublicKey{}
	rsaKeys := 0
	for _, k := range set.Keys {
		if k.Kty == "RSA" {
			// The OpenID Provider's ID token key, never an assertion's.
			if k.Alg != "RS256" || k.N == "" || k.E == "" {
				t.Fatalf("JWKS key %+v is not an RS256 key", k)
			}
			rsaKeys++
			continue
		}
		x, errX := base64.RawURLEncoding.DecodeString(k.X)
		y, errY := base64.RawURLEncoding.DecodeString(k.Y)
		if k.Kty != "EC" || k.Crv != "P-256" || k.Alg != "ES256" || errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			t.Fatalf("JWKS key %+v is not an ES256 key on P-256", k)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			t.Fatalf("JWKS key %s: %v", k.Kid, err)
		}
		keys[k.Kid] = pub
	}
	if rsaKeys != 1 {
		t.Fatalf("the JWKS has %d RS256 keys, want the provider's one", rsaKeys)
	}
	claims := gjwt.MapClaims{}
	_, err := gjwt.ParseWithClaims(assertion, claims, func(tok *gjwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("kid %q is not in the JWKS", kid)
	}, gjwt.WithValidMethods([]string{"ES256"}), gjwt.WithIssuer(issuer), gjwt.WithAudience(audience),
		gjwt.WithExpirationRequired(), gjwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("the assertion does not verify against the JWKS: %v", err)
	}
	return claims
}

type tokenJSON struct {
	ID       string `json:"id"`
	Value    string `json:"value"`
	LoginURL string `json:"loginUrl"`
}

// A whole run of serve: keys and tokens made with the command line and the
// API, redeems that succeed and fail, a reveal, and URLs that carry
// secrets in their query or path. No secret may reach the log, in either
// log format; the assertion verifies against the published JWKS.
func TestServeKeepsEverySecretOutOfTheLog(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			db := newSQLiteDB(t)
			const adminPassword = "admin password never logged 7"
			env := db.withEnv("LOGINTOKENS_ADMIN_PASSWORD", adminPassword, "LOGINTOKENS_LOG_FORMAT", format,
				"LOGINTOKENS_SHOP_CALLBACK_URL", "https://shop.example.test:8443/auth/callback")
			srv := startServe(t, env)
			_, port, _ := strings.Cut(srv.addr, ":")
			publicURL := "http://localhost:" + port
			c := &client{t: t, base: "http://" + srv.addr}

			var cliErr strings.Builder
			cli := func(args ...string) string {
				t.Helper()
				r := mustRun(t, env, "", args...)
				cliErr.WriteString(r.stderr)
				return stdoutLines(r)[0]
			}
			webshopKey := cli("apikey", "create", "--name", "Shop", "--webshop")
			adminKey := cli("apikey", "create", "--name", "Admin", "--grant", "configuration:owner", "--grant", "users:owner")
			cliToken := cli("token", "create", "--one-time")

			var apiToken tokenJSON
			c.want(201, &apiToken, adminKey, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"fair"}})
			if apiToken.LoginURL != publicURL+"/login?token="+apiToken.Value {
				t.Errorf("loginUrl = %q, want it on the bound port's public URL", apiToken.LoginURL)
			}

			// Redeem: once successfully, then used, then a wrong secret.
			var ok struct{ Assertion string }
			c.want(200, &ok, webshopKey, "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": cliToken})
			claims := verifyWithJWKS(t, c, ok.Assertion, publicURL, "https://shop.example.test:8443")
			cliTokenID, _, _ := lt.ParseValue(lt.TokenPrefix, cliToken)
			if claims["loginToken"] != cliTokenID || claims["sub"] != "anonymous:"+cliTokenID {
				t.Errorf("claims = %v, want the CLI token's", claims)
			}
			var p struct{ Code string }
			c.want(400, &p, webshopKey, "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": cliToken})
			if p.Code != lt.ETOKENUSED {
				t.Errorf("second redeem of a one-time token: %s, want TOKEN_USED", p.Code)
			}
			wrongSecret := lt.FormatValue(lt.TokenPrefix, apiToken.ID, "WrongSecretWrongSecretWrongSecret1")
			c.want(400, &p, webshopKey, "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": wrongSecret})
			if p.Code != lt.ETOKENINVALID {
				t.Errorf("a wrong secret: %s, want TOKEN_INVALID", p.Code)
			}

			// Reveal, and a lookup by value.
			var revealed tokenJSON
			c.want(200, &revealed, adminKey, "GET", "/api/v1/login-tokens/"+apiToken.ID+"/value", nil)
			if revealed.Value != apiToken.Value {
				t.Errorf("revealed %q, want the created value", revealed.Value)
			}
			c.want(200, nil, adminKey, "POST", "/api/v1/login-tokens/lookup", map[string]string{"value": apiToken.Value})

			// Secrets where they do not belong: in queries, a path, a header.
			badKey := "ltk_aaaaaaaaaaaaaaaa_NotAKeyNotAKeyNotAKeyNotAKey12"
			for _, path := range []string{
				"/login?token=" + apiToken.Value + "&return=/cart",
				"/oci/login?USERNAME=buyer&PASSWORD=" + url.QueryEscape(adminPassword) + "&HOOK_URL=https%3A%2F%2Fsrm.example.test%2F",
				"/oci/login?mtoken=" + apiToken.Value,
				"/healthz?token=" + apiToken.Value,
				"/api/v1/login-tokens?token=" + apiToken.Value,
				"/api/v1/login-tokens/" + apiToken.Value,
				"/api/v1/login-tokens/" + url.PathEscape(apiToken.Value) + "/value",
			} {
				c.call(adminKey, "GET", path, nil)
			}
			c.call(badKey, "GET", "/api/v1/login-tokens", nil)

			// The wiring: redeems are counted.
			_, metrics := c.call("", "GET", "/metrics", nil)
			if !strings.Contains(string(metrics), `logintokens_redeem_total{outcome="success"} 1`) ||
				!strings.Contains(string(metrics), `logintokens_redeem_total{outcome="TOKEN_USED"} 1`) {
				t.Errorf("metrics do not count the redeems:\n%s", metrics)
			}

			if code := srv.stop(t); code != 0 {
				t.Fatalf("serve exited %d", code)
			}
			logs := srv.stderr.String() + cliErr.String()
			if !strings.Contains(logs, "/api/v1/login-tokens/redeem") || !strings.Contains(logs, "lt_"+apiToken.ID+"_") {
				t.Fatalf("the log does not show the requests; the test reads the wrong output:\n%s", logs)
			}
			secrets := []string{cliToken, apiToken.Value, wrongSecret, webshopKey, adminKey, badKey, adminPassword,
				url.QueryEscape(adminPassword), ok.Assertion}
			for _, s := range secrets[:6] {
				prefix := lt.TokenPrefix
				if strings.HasPrefix(s, lt.APIKeyPrefix+"_") {
					prefix = lt.APIKeyPrefix
				}
				_, secret, err := lt.ParseValue(prefix, s)
				if err != nil {
					t.Fatalf("%q: %v", s, err)
				}
				secrets = append(secrets, secret)
			}
			for _, s := range secrets {
				if strings.Contains(logs, s) {
					t.Errorf("the log holds the secret %q", s)
				}
			}
		})
	}
}

// SIGTERM (here: the cancelled context) lets a request that is still
// arriving finish with its normal answer, then serve exits 0.
func TestServeDrainsAnInFlightRequestOnShutdown(t *testing.T) {
	db := newSQLiteDB(t)
	srv := startServe(t, db.env)
	webshopKey := stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "Shop", "--webshop"))[0]
	value := stdoutLines(mustRun(t, db.env, "", "token", "create"))[0]

	// The body is sent only once the handler reads it (Expect:
	// 100-continue), so the request is in the handler, waiting, when the
	// shutdown starts.
	body, bodyW := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+srv.addr+"/api/v1/login-tokens/redeem", body)
	req.Header.Set("Authorization", "Bearer "+webshopKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	reading := make(chan struct{})
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got100Continue: func() { close(reading) },
	}))
	hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, b, err}
	}()

	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case a := <-answered:
			t.Fatalf("answered before %s: %+v", what, a)
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s within 30 s:\n%s", what, srv.stderr)
		}
	}
	wait(reading, "100 Continue")
	shuttingDown := srv.stderr.logged("shutting down")
	srv.cancel()
	wait(shuttingDown, "shutdown")

	bodyW.Write([]byte(`{"token": "` + value + `"}`))
	bodyW.Close()
	a := <-answered
	if a.err != nil || a.status != 200 || !bytes.Contains(a.body, []byte(`"assertion"`)) {
		t.Fatalf("the in-flight redeem = %d %s %v, want 200 with an assertion", a.status, a.body, a.err)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d after draining, want 0:\n%s", code, srv.stderr)
	}
	if _, err := http.Get("http://" + srv.addr + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}
