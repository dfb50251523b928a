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

// The token list and its export filter by shop: only the tokens bound to
// it, none of another shop or of any shop; a bad shopId is a 400 naming
// it, and the OpenAPI document lists the parameter.
func TestTheTokenListFiltersByShop(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var shA, shB shopAnswer
		a.json("configuration:owner", "POST", "/api/v1/shops", map[string]any{"name": "A", "redirectUris": []string{"https://a.test/cb"}}, 201, &shA)
		a.json("configuration:owner", "POST", "/api/v1/shops", map[string]any{"name": "B", "redirectUris": []string{"https://b.test/cb"}}, 201, &shB)
		var bound, other, anyShop struct {
			ID string `json:"id"`
		}
		a.json("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{"shopId": shA.ID}, 201, &bound)
		a.json("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{"shopId": shB.ID}, 201, &other)
		a.json("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{}, 201, &anyShop)
		var list struct {
			Items []struct {
				ID     string `json:"id"`
				ShopID *int64 `json:"shopId"`
			} `json:"items"`
			ItemsFound int `json:"itemsFound"`
		}
		a.json("configuration:viewer", "GET", fmt.Sprintf("/api/v1/login-tokens?shopId=%d", shA.ID), nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != bound.ID || list.ItemsFound != 1 {
			t.Fatalf("shopId=%d: %+v, want only %s", shA.ID, list, bound.ID)
		}
		status, body := a.do("configuration:viewer", "GET", fmt.Sprintf("/api/v1/login-tokens.csv?shopId=%d", shB.ID), nil)
		if status != 200 || !strings.Contains(string(body), other.ID) || strings.Contains(string(body), bound.ID) || strings.Contains(string(body), anyShop.ID) {
			t.Fatalf("export of shop B: %d %s", status, body)
		}
		for _, bad := range []string{"0", "x", "-1", "1,2", "1&shopId=2"} {
			p := a.problem("configuration:viewer", "GET", "/api/v1/login-tokens?shopId="+bad, nil, 400, lt.EINVALID)
			if len(p.Errors) == 0 || p.Errors[0].Field != "shopId" {
				t.Errorf("shopId=%s: %+v, want a field error of shopId", bad, p)
			}
		}
	})
	a := newAPI(t, "sqlite", 0)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In string
				Schema   struct{ Type string }
			}
		}
	}
	a.json("", "GET", "/api/openapi.json", nil, 200, &doc)
	for _, path := range []string{"/api/v1/login-tokens", "/api/v1/login-tokens.csv"} {
		found := false
		for _, p := range doc.Paths[path]["get"].Parameters {
			found = found || p.Name == "shopId" && p.In == "query" && p.Schema.Type == "integer"
		}
		if !found {
			t.Errorf("the OpenAPI document does not list shopId as an integer query parameter of GET %s", path)
		}
	}
}
