package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

type shopAnswer struct {
	ID                     int64    `json:"id"`
	Name                   string   `json:"name"`
	ClientID               string   `json:"clientId"`
	Public                 bool     `json:"public"`
	RedirectURIs           []string `json:"redirectUris"`
	InitiateLoginURI       *string  `json:"initiateLoginUri"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	Disabled               bool     `json:"disabled"`
	ClientSecret           *string  `json:"clientSecret"`
}

// Owners register, change, rotate and delete shops; viewers read them.
// The client secret is answered when it is made and never again.
func TestShopsAreRegisteredWithASecretShownOnce(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var sh shopAnswer
		a.json("configuration:owner", "POST", "/api/v1/shops", map[string]any{"name": "Acme Store",
			"redirectUris": []string{"https://acme.test/cb"}, "initiateLoginUri": "https://acme.test/login"}, 201, &sh)
		if sh.ClientSecret == nil || !strings.HasPrefix(*sh.ClientSecret, "ltcs_"+sh.ClientID+"_") || sh.Public ||
			*sh.InitiateLoginURI != "https://acme.test/login" || len(sh.PostLogoutRedirectURIs) != 0 {
			t.Fatalf("created %+v", sh)
		}
		secret := *sh.ClientSecret
		a.problem("configuration:editor", "POST", "/api/v1/shops", map[string]any{"name": "X", "redirectUris": []string{"https://x.test/cb"}}, 403, lt.EFORBIDDEN)
		status, body := a.do("configuration:viewer", "GET", "/api/v1/shops", nil)
		if status != 200 || strings.Contains(string(body), secret) || !strings.Contains(string(body), sh.ClientID) {
			t.Fatalf("list: %d %s", status, body)
		}
		path := fmt.Sprintf("/api/v1/shops/%d", sh.ID)
		var got shopAnswer
		a.json("configuration:viewer", "GET", path, nil, 200, &got)
		if got.ClientSecret != nil || got.Name != "Acme Store" {
			t.Fatalf("get %+v", got)
		}
		a.json("configuration:owner", "PATCH", path, map[string]any{"initiateLoginUri": nil, "disabled": true}, 200, &got)
		if got.InitiateLoginURI != nil || !got.Disabled {
			t.Fatalf("patched %+v", got)
		}
		a.problem("configuration:viewer", "PATCH", path, map[string]any{"disabled": false}, 403, lt.EFORBIDDEN)
		var rotated shopAnswer
		a.json("configuration:owner", "POST", path+"/rotate-secret", nil, 200, &rotated)
		if rotated.ClientSecret == nil || *rotated.ClientSecret == secret {
			t.Fatalf("rotated %+v", rotated)
		}

		// A token bound to the shop keeps it from being deleted.
		var tok struct {
			ID     string `json:"id"`
			ShopID *int64 `json:"shopId"`
		}
		a.json("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{"shopId": sh.ID}, 201, &tok)
		if tok.ShopID == nil || *tok.ShopID != sh.ID {
			t.Fatalf("token %+v", tok)
		}
		a.problem("configuration:owner", "DELETE", path, nil, 409, lt.ECONFLICT)
		a.json("configuration:editor", "PATCH", "/api/v1/login-tokens/"+tok.ID, map[string]any{"shopId": nil}, 200, &tok)
		if tok.ShopID != nil {
			t.Fatalf("unbound token %+v", tok)
		}
		if status, _ := a.do("configuration:owner", "DELETE", path, nil); status != 204 {
			t.Fatalf("delete: %d", status)
		}
		a.problem("configuration:viewer", "GET", path, nil, 404, lt.ENOTFOUND)
	})
}

// Bad input names its field.
func TestAShopsBadInputNamesTheField(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		"no redirect URI":        {map[string]any{"name": "A"}, "redirectUris"},
		"a redirect URI with #":  {map[string]any{"name": "A", "redirectUris": []string{"https://a.test/#x"}}, "redirectUris"},
		"unknown field":          {map[string]any{"name": "A", "redirectUris": []string{"https://a.test/cb"}, "secret": "x"}, "secret"},
		"read-only clientId":     {map[string]any{"name": "A", "redirectUris": []string{"https://a.test/cb"}, "clientId": "x"}, "clientId"},
		"public over plain http": {map[string]any{"name": "A", "redirectUris": []string{"http://a.test/cb"}, "public": true}, "redirectUris"},
	} {
		p := a.problem("configuration:owner", "POST", "/api/v1/shops", tc.body, 400, lt.EINVALID)
		if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %+v, want a field error of %s", name, p, tc.field)
		}
	}
	p := a.problem("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{"shopId": 999}, 400, lt.EINVALID)
	if len(p.Errors) == 0 || p.Errors[0].Field != "shopId" {
		t.Errorf("a token of an unknown shop: %+v", p)
	}
}
