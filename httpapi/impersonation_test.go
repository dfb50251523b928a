package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

// The revival of issue 10: a used "Open webshop as" token PATCHed to
// reusable with no expiry, revealed and redeemed again would sign every
// visitor in with act: staff:1. A token that carries an impersonator can
// only be deleted; the resource says who it was made by, so a script can
// tell why it gets 409.
func TestAUsedImpersonationTokenCannotBeRevivedOrRepurposedThroughTheAPI(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		cu := &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Cash", Email: "carl@example.test"}}
		other := &lt.Customer{Person: lt.Person{FirstName: "Olga", LastName: "Other", Email: "olga@example.test"}}
		for _, c := range []*lt.Customer{cu, other} {
			if err := a.Store.CreateCustomer(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		in5 := time.Now().Add(5 * time.Minute)
		imp, err := a.Store.CreateToken(ctx, lt.Actor{Name: "staff:1"}, lt.NewToken{CustomerID: &cu.ID, ExpiresAt: &in5, OneTimeUse: true,
			Act: &lt.Impersonator{Sub: "staff:1", Name: "Sam Sales", Email: "sam@shop.test"}})
		if err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/login-tokens/" + imp.ID
		redeemIt := map[string]string{"token": imp.Value}

		var first redeemJSON
		a.json("webshop", "POST", "/api/v1/login-tokens/redeem", redeemIt, 200, &first)
		if act, _ := a.verifyAssertion(first.Assertion)["act"].(map[string]any); act["sub"] != "staff:1" {
			t.Fatalf("the first redeem's JWT act: %v", act)
		}
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", redeemIt, 400, lt.ETOKENUSED)

		conflict := func(method, p string, body any) {
			t.Helper()
			pr := a.problem("configuration:editor", method, p, body, 409, lt.ECONFLICT)
			for _, want := range []string{imp.ID, "staff:1", "delete it", "Open webshop as"} {
				if !strings.Contains(pr.Detail, want) {
					t.Errorf("%s %s: detail %q does not say %q", method, p, pr.Detail, want)
				}
			}
			if strings.Contains(pr.Detail, imp.Value) {
				t.Errorf("%s %s: the problem holds the value", method, p)
			}
		}
		for _, body := range []string{
			`{"oneTimeUse": false, "expiresAt": null}`,
			`{"expiresAt": "2999-01-01T00:00:00Z"}`,
			`{"extra": ["note"]}`,
			fmt.Sprintf(`{"customerId": %d}`, other.ID),
			`{"anonymous": true}`,
			`{}`,
		} {
			conflict("PATCH", path, body)
		}
		conflict("POST", path+"/regenerate", nil)
		conflict("GET", path+"/value", nil)

		// Nothing changed: still one-time, used, with its expiry; the value
		// still redeems nothing.
		var tok tokenJSON
		a.json("configuration:viewer", "GET", path, nil, 200, &tok)
		if !tok.OneTimeUse || tok.ExpiresAt == nil || tok.Status != lt.StatusUsed || tok.User == nil || tok.User.ID != cu.ID || tok.SuccessfulAttempts != 1 {
			t.Fatalf("after the refusals: %+v", tok.LoginToken)
		}
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", redeemIt, 400, lt.ETOKENUSED)
		var events listJSON[lt.Event]
		a.json("configuration:viewer", "GET", path+"/events", nil, 200, &events)
		for _, e := range events.Items {
			if e.Type == lt.EventTokenUpdated || e.Type == lt.EventTokenRegenerated || e.Type == lt.EventTokenRevealed {
				t.Errorf("a refused change left a %s event", e.Type)
			}
		}

		// The resource names the impersonator; a plain token has null.
		var got map[string]any
		a.json("configuration:viewer", "GET", path, nil, 200, &got)
		if got["impersonatedBy"] != "staff:1" {
			t.Fatalf("impersonatedBy = %v, want staff:1", got["impersonatedBy"])
		}
		plain := a.createToken(fmt.Sprintf(`{"customerId": %d}`, cu.ID))
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+plain.ID, nil, 200, &got)
		if v, ok := got["impersonatedBy"]; !ok || v != nil {
			t.Fatalf("a plain token's impersonatedBy = %v (present %v), want null", v, ok)
		}
		wantFieldError(t, a.problem("configuration:editor", "PATCH", "/api/v1/login-tokens/"+plain.ID, `{"impersonatedBy": null}`, 400, lt.EINVALID), "impersonatedBy")

		// Deleting it is allowed.
		if status, b := a.do("configuration:editor", "DELETE", path, nil); status != 204 {
			t.Fatalf("delete: %d %s", status, b)
		}
		// The 409 is in the document of each refusing route.
		var doc struct {
			Paths map[string]map[string]struct {
				Responses map[string]json.RawMessage `json:"responses"`
			} `json:"paths"`
		}
		a.json("", "GET", "/api/openapi.json", nil, 200, &doc)
		for _, op := range []struct{ path, method string }{
			{"/api/v1/login-tokens/{id}", "patch"}, {"/api/v1/login-tokens/{id}/regenerate", "post"}, {"/api/v1/login-tokens/{id}/value", "get"},
		} {
			if _, ok := doc.Paths[op.path][op.method].Responses["409"]; !ok {
				t.Errorf("%s %s documents no 409", op.method, op.path)
			}
		}
	})
}
