package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// requirement of each route: "public", "webshop", "picker" (configuration
// or users viewer) or one grant. Adding a route to the server without
// adding it here fails TestEveryRouteRefusesCallersWithoutItsGrant.
var routeRequirements = map[string]string{
	"GET /api/v1/login-tokens":                                     "configuration:viewer",
	"POST /api/v1/login-tokens":                                    "configuration:editor",
	"GET /api/v1/login-tokens.csv":                                 "configuration:viewer",
	"POST /api/v1/login-tokens/lookup":                             "configuration:viewer",
	"POST /api/v1/login-tokens/delete":                             "configuration:editor",
	"POST /api/v1/login-tokens/send":                               "configuration:editor",
	"POST /api/v1/login-tokens/{id}/send":                          "configuration:editor",
	"POST /api/v1/login-tokens/redeem":                             "webshop",
	"GET /api/v1/login-tokens/{id}":                                "configuration:viewer",
	"PATCH /api/v1/login-tokens/{id}":                              "configuration:editor",
	"DELETE /api/v1/login-tokens/{id}":                             "configuration:editor",
	"POST /api/v1/login-tokens/{id}/regenerate":                    "configuration:editor",
	"GET /api/v1/login-tokens/{id}/value":                          "configuration:editor",
	"GET /api/v1/login-tokens/{id}/events":                         "configuration:viewer",
	"GET /api/v1/companies":                                        "users:viewer",
	"POST /api/v1/companies":                                       "users:editor",
	"GET /api/v1/companies/{id}":                                   "users:viewer",
	"PATCH /api/v1/companies/{id}":                                 "users:editor",
	"DELETE /api/v1/companies/{id}":                                "users:editor",
	"GET /api/v1/contacts":                                         "users:viewer",
	"POST /api/v1/contacts":                                        "users:editor",
	"POST /api/v1/contacts/import":                                 "users:editor",
	"GET /api/v1/contacts/{id}":                                    "users:viewer",
	"PATCH /api/v1/contacts/{id}":                                  "users:editor",
	"DELETE /api/v1/contacts/{id}":                                 "users:editor",
	"GET /api/v1/customers":                                        "users:viewer",
	"POST /api/v1/customers":                                       "users:editor",
	"POST /api/v1/customers/import":                                "users:editor",
	"GET /api/v1/customers/{id}":                                   "users:viewer",
	"PATCH /api/v1/customers/{id}":                                 "users:editor",
	"DELETE /api/v1/customers/{id}":                                "users:editor",
	"GET /api/v1/users/search":                                     "picker",
	"GET /api/v1/api-keys":                                         "configuration:owner",
	"POST /api/v1/api-keys":                                        "configuration:owner",
	"DELETE /api/v1/api-keys/{id}":                                 "configuration:owner",
	"GET /api/v1/shops":                                            "configuration:viewer",
	"POST /api/v1/shops":                                           "configuration:owner",
	"GET /api/v1/shops/{id}":                                       "configuration:viewer",
	"PATCH /api/v1/shops/{id}":                                     "configuration:owner",
	"DELETE /api/v1/shops/{id}":                                    "configuration:owner",
	"POST /api/v1/shops/{id}/rotate-secret":                        "configuration:owner",
	"GET /api/v1/webhooks":                                         "configuration:owner",
	"GET /api/v1/login-tokens/{id}/attempts":                       "configuration:viewer",
	"GET /api/v1/login-tokens/events/export":                       "configuration:viewer",
	"GET /api/v1/settings/audit-retention":                         "configuration:viewer",
	"PUT /api/v1/settings/audit-retention":                         "configuration:owner",
	"POST /api/v1/webhooks":                                        "configuration:owner",
	"GET /api/v1/webhooks/{id}":                                    "configuration:owner",
	"PATCH /api/v1/webhooks/{id}":                                  "configuration:owner",
	"DELETE /api/v1/webhooks/{id}":                                 "configuration:owner",
	"POST /api/v1/webhooks/{id}/rotate-secret":                     "configuration:owner",
	"GET /api/v1/webhooks/{id}/deliveries":                         "configuration:owner",
	"POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver": "configuration:owner",
	"GET /healthz":                                                 "public",
	"GET /readyz":                                                  "public",
	"GET /metrics":                                                 "public",
	"GET /.well-known/jwks.json":                                   "public",
	"GET /api/openapi.json":                                        "public",
	"GET /api/docs":                                                "public",
}

// callers are the keys every route is tried with; "" is no key at all,
// "bad" an unknown key of the right shape.
var callers = []string{"", "bad", "webshop", "configuration:viewer", "configuration:editor", "configuration:owner",
	"users:viewer", "users:editor", "users:owner"}

// allowed says whether a caller meets a requirement.
func allowed(requirement, caller string) bool {
	switch requirement {
	case "public":
		return true
	case "webshop":
		return caller == "webshop"
	case "picker":
		return caller != "" && caller != "bad" && caller != "webshop"
	}
	need, _ := lt.ParseGrant(requirement)
	have, err := lt.ParseGrant(caller)
	return err == nil && have.Area == need.Area && have.Level >= need.Level
}

func concretePath(path string) string {
	switch {
	case strings.Contains(path, "/login-tokens/{id}"), strings.Contains(path, "/api-keys/{id}"):
		return strings.Replace(path, "{id}", "aaaaaaaaaaaaaaaa", 1)
	}
	return strings.Replace(path, "{id}", "1", 1)
}

func TestEveryRouteRefusesCallersWithoutItsGrant(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	a.Keys["bad"] = "ltk_aaaaaaaaaaaaaaaa_" + strings.Repeat("A", 32)
	seen := map[string]bool{}
	for _, rt := range a.API.Routes() {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		req, ok := routeRequirements[key]
		if !ok {
			t.Errorf("route %s is missing from routeRequirements: add what it requires", key)
			continue
		}
		for _, who := range callers {
			var body any
			if rt.Method == "POST" || rt.Method == "PATCH" {
				body = "{}"
			}
			status, b := a.do(who, rt.Method, concretePath(rt.Path), body)
			want := "allowed"
			switch {
			case allowed(req, who):
			case who == "" || who == "bad":
				want = "401"
			default:
				want = "403"
			}
			switch want {
			case "allowed":
				if status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500 {
					t.Errorf("%s as %q: %d %s, want it allowed", key, who, status, b)
				}
			case "401":
				if status != http.StatusUnauthorized || !strings.Contains(string(b), lt.EUNAUTHENTICATED) {
					t.Errorf("%s as %q: %d %s, want 401", key, who, status, b)
				}
			case "403":
				if status != http.StatusForbidden || !strings.Contains(string(b), lt.EFORBIDDEN) {
					t.Errorf("%s as %q: %d %s, want 403", key, who, status, b)
				}
			}
		}
	}
	for key := range routeRequirements {
		if !seen[key] {
			t.Errorf("routeRequirements names %s, which the server does not have", key)
		}
	}
}

func TestTheAPINeverTakesTheBackofficeCookieOrOtherSchemes(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	for _, h := range []http.Header{
		{"Cookie": {"lt_session=whatever"}},
		{"Authorization": {"Basic " + a.Keys["all"]}},
		{"Authorization": {a.Keys["all"]}},
		{"Authorization": {"Bearer"}},
	} {
		resp := a.doResp("", "GET", "/api/v1/login-tokens", nil, h)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%v: %d, want 401", h, resp.StatusCode)
		}
	}
	// A revoked key is unknown from then on.
	keys, _ := a.Store.FindAPIKeys(ctx)
	for _, k := range keys {
		if k.Name == "all" {
			if err := a.Store.RevokeAPIKey(ctx, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.problem("all", "GET", "/api/v1/login-tokens", nil, 401, lt.EUNAUTHENTICATED)
}
