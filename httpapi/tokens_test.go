package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// tokenJSON is the API's token resource with the value fields.
type tokenJSON struct {
	lt.LoginToken
	Value    string `json:"value"`
	LoginURL string `json:"loginUrl"`
	OCIURL   string `json:"ociUrl"`
}

type listJSON[T any] struct {
	Items      []T `json:"items"`
	ItemsFound int `json:"itemsFound"`
	Page       int `json:"page"`
	PageSize   int `json:"pageSize"`
	Pages      int `json:"pages"`
}

func (a *testAPI) createToken(body any) tokenJSON {
	a.t.Helper()
	var tok tokenJSON
	a.json("configuration:editor", "POST", "/api/v1/login-tokens", body, 201, &tok)
	return tok
}

func eachKind(t *testing.T, fn func(t *testing.T, a *testAPI)) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newAPI(t, kind, 0))
		})
	}
}

func wantFieldError(t *testing.T, p httpapi.Problem, field string) {
	t.Helper()
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("problem %+v does not name %s", p, field)
}

func TestCreateTokenAnswersTheResourceWithValueAndLinks(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		co := &lt.Company{Name: "Acme"}
		a.Store.CreateCompany(ctx, co)
		c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
		if err := a.Store.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		resp := a.doResp("configuration:editor", "POST", "/api/v1/login-tokens",
			map[string]any{"contactId": c.ID, "expiresAt": exp.Format(time.RFC3339), "oneTimeUse": true, "extra": []string{"OCI for Acme"}}, nil)
		defer resp.Body.Close()
		var tok tokenJSON
		json.NewDecoder(resp.Body).Decode(&tok)
		if resp.StatusCode != 201 || resp.Header.Get("Location") != "/api/v1/login-tokens/"+tok.ID {
			t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if tok.Type != lt.UserContact || tok.User.Name != "Jane Doe" || tok.User.Company.Name != "Acme" || !tok.ExpiresAt.Equal(exp) ||
			!tok.OneTimeUse || tok.Extra[0] != "OCI for Acme" || tok.Status != lt.StatusActive || !strings.HasPrefix(tok.CreatedBy, "apikey:") {
			t.Fatalf("token %+v", tok)
		}
		if !strings.HasPrefix(tok.Value, "lt_"+tok.ID+"_") || tok.LoginURL != testPublicURL+"/login?token="+tok.Value ||
			tok.OCIURL != testPublicURL+"/oci/login?token="+tok.Value {
			t.Fatalf("value %q loginUrl %q ociUrl %q", tok.Value, tok.LoginURL, tok.OCIURL)
		}
		// GET never answers the value.
		status, body := a.do("configuration:viewer", "GET", "/api/v1/login-tokens/"+tok.ID, nil)
		if status != 200 || strings.Contains(string(body), tok.Value) || strings.Contains(string(body), `"value"`) {
			t.Fatalf("get: %d %s", status, body)
		}
		anon := a.createToken("{}")
		if anon.Type != lt.UserAnonymous || anon.User != nil || anon.ExpiresAt != nil || len(anon.Extra) != 0 {
			t.Fatalf("anonymous %+v", anon)
		}
	})
}

func TestCreateTokenRefusesBadInputNamingTheField(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	cases := []struct {
		body, field string
	}{
		{`{"contactId": 1, "customerId": 2}`, "customerId"},
		{`{"expiresAt": "2001-01-01T00:00:00Z"}`, "expiresAt"},
		{`{"expiresAt": "tomorrow"}`, "expiresAt"},
		{`{"expiresAt": 5}`, "expiresAt"},
		{`{"contactId": "seven"}`, "contactId"},
		{`{"contactId": 0}`, "contactId"},
		{`{"contactId": 999}`, "contactId"},
		{`{"oneTimeUse": "yes"}`, "oneTimeUse"},
		{`{"extra": "one string"}`, "extra"},
		{`{"colour": "red"}`, "colour"},
		{`{"successfulAttempts": 3}`, "successfulAttempts"},
		{`[1, 2]`, "body"},
		{`not json`, "body"},
	}
	for _, tc := range cases {
		p := a.problem("configuration:editor", "POST", "/api/v1/login-tokens", tc.body, 400, lt.EINVALID)
		wantFieldError(t, p, tc.field)
	}
	a.problem("configuration:editor", "POST", "/api/v1/login-tokens", `{"extra": ["`+strings.Repeat("x", 70<<10)+`"]}`, 413, lt.ETOOLARGE)
	resp := a.doResp("configuration:editor", "POST", "/api/v1/login-tokens", "{}", http.Header{"Content-Type": {"text/plain"}})
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("text/plain body: %d", resp.StatusCode)
	}
	if toks, n, _ := a.Store.FindTokens(ctx, lt.TokenFilter{}); n != 0 {
		t.Fatalf("a refused request created %d tokens: %v", n, toks)
	}
}

func TestTokenPathsTakeIDsNeverValues(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	tok := a.createToken("{}")
	for _, path := range []string{"/api/v1/login-tokens/" + tok.Value, "/api/v1/login-tokens/" + tok.Value + "/value"} {
		status, body := a.do("all", "GET", path, nil)
		if status != 400 || strings.Contains(string(body), tok.Value) {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
	}
	a.problem("all", "GET", "/api/v1/login-tokens/zzzzzzzzzzzzzzzz", nil, 404, lt.ENOTFOUND)
	a.problem("all", "GET", "/api/v1/login-tokens/NOT-AN-ID", nil, 400, lt.EINVALID)
	a.problem("all", "GET", "/api/v1/login-tokens/"+tok.ID+"?verbose=1", nil, 400, lt.EINVALID)
	p := a.problem("all", "GET", "/api/v1/login-tokens?ids="+tok.Value, nil, 400, lt.EINVALID)
	if strings.Contains(p.Detail, tok.Value) {
		t.Fatal("the problem repeats the value")
	}
	// Lookup by value, in the body.
	var got lt.LoginToken
	a.json("configuration:viewer", "POST", "/api/v1/login-tokens/lookup", map[string]string{"value": tok.Value}, 200, &got)
	if got.ID != tok.ID {
		t.Fatalf("lookup found %s", got.ID)
	}
	a.problem("configuration:viewer", "POST", "/api/v1/login-tokens/lookup", map[string]string{"value": tok.Value + "x"}, 404, lt.ENOTFOUND)
	wantFieldError(t, a.problem("configuration:viewer", "POST", "/api/v1/login-tokens/lookup", "{}", 400, lt.EINVALID), "value")
}

func TestPatchIsAMergePatchWithReadOnlyCounters(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		cu := &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Cash", Email: "carl@example.test"}}
		if err := a.Store.CreateCustomer(ctx, cu); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		tok := a.createToken(map[string]any{"expiresAt": exp, "extra": []string{"a"}})
		path := "/api/v1/login-tokens/" + tok.ID

		var got tokenJSON
		a.json("configuration:editor", "PATCH", path, `{"extra": ["b", "c"]}`, 200, &got)
		if len(got.Extra) != 2 || got.ExpiresAt == nil || got.Value != "" {
			t.Fatalf("extra patch: %+v", got)
		}
		a.json("configuration:editor", "PATCH", path, `{"expiresAt": null}`, 200, &got)
		if got.ExpiresAt != nil || len(got.Extra) != 2 {
			t.Fatalf("expiresAt null: %+v", got)
		}
		for _, field := range []string{"successfulAttempts", "failedAttempts", "lastAccessedAt", "status", "id"} {
			p := a.problem("configuration:editor", "PATCH", path, fmt.Sprintf(`{%q: 5}`, field), 400, lt.EINVALID)
			wantFieldError(t, p, field)
		}
		wantFieldError(t, a.problem("configuration:editor", "PATCH", path, `{"oneTimeUse": null}`, 400, lt.EINVALID), "oneTimeUse")
		wantFieldError(t, a.problem("configuration:editor", "PATCH", path, `{"anonymous": true, "customerId": 1}`, 400, lt.EINVALID), "user")

		// A new user regenerates the value; the old one stops working.
		a.json("configuration:editor", "PATCH", path, fmt.Sprintf(`{"customerId": %d}`, cu.ID), 200, &got)
		if got.Type != lt.UserCustomer || got.Value == "" || got.Value == tok.Value || got.LoginURL == "" {
			t.Fatalf("user change: %+v", got)
		}
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": tok.Value}, 400, lt.ETOKENINVALID)
		// Setting expiresAt to now revokes.
		a.json("configuration:editor", "PATCH", path, map[string]string{"expiresAt": time.Now().UTC().Format(time.RFC3339Nano)}, 200, &got)
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": got.Value}, 400, lt.ETOKENEXPIRED)
		a.problem("configuration:editor", "PATCH", "/api/v1/login-tokens/zzzzzzzzzzzzzzzz", `{"extra": []}`, 404, lt.ENOTFOUND)
	})
}

func TestRegenerateRevealDeleteAndTheAuditTrail(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken("{}")
		path := "/api/v1/login-tokens/" + tok.ID
		var re tokenJSON
		a.json("configuration:editor", "POST", path+"/regenerate", nil, 200, &re)
		if re.Value == tok.Value || re.ID != tok.ID || re.LoginURL != testPublicURL+"/login?token="+re.Value {
			t.Fatalf("regenerate %+v", re)
		}
		var rev struct{ Value, LoginURL, OCIURL string }
		a.json("configuration:editor", "GET", path+"/value", nil, 200, &rev)
		if rev.Value != re.Value || rev.LoginURL != re.LoginURL || rev.OCIURL != re.OCIURL {
			t.Fatalf("reveal %+v", rev)
		}
		a.json("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": re.Value, "clientIp": "198.51.100.4", "userAgent": "Shop/1"}, 200, nil)
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": tok.Value, "clientIp": "198.51.100.4"}, 400, lt.ETOKENINVALID)

		var events listJSON[lt.Event]
		a.json("configuration:viewer", "GET", path+"/events?pageSize=10", nil, 200, &events)
		var types []string
		for _, e := range events.Items {
			types = append(types, e.Type)
		}
		want := []string{lt.EventTokenRejected, lt.EventTokenRedeemed, lt.EventTokenRevealed, lt.EventTokenRegenerated, lt.EventTokenCreated}
		if strings.Join(types, ",") != strings.Join(want, ",") || events.ItemsFound != 5 || events.Pages != 1 {
			t.Fatalf("events %v (found %d), want %v", types, events.ItemsFound, want)
		}
		redeemed := events.Items[1]
		if redeemed.ClientIP != "198.51.100.4" || !strings.HasPrefix(redeemed.Actor, "apikey:") || !strings.Contains(string(redeemed.Details), "Shop/1") {
			t.Fatalf("redeem event %+v %s", redeemed, redeemed.Details)
		}
		if !strings.Contains(string(events.Items[0].Details), lt.ETOKENINVALID) || events.Items[2].Actor != events.Items[4].Actor {
			t.Fatalf("events %+v", events.Items)
		}
		a.problem("configuration:viewer", "GET", path+"/events?page=0", nil, 400, lt.EINVALID)

		// Delete one, then bulk: all or nothing.
		b, c := a.createToken("{}"), a.createToken("{}")
		status, _ := a.do("configuration:editor", "DELETE", path, nil)
		if status != 204 {
			t.Fatalf("delete: %d", status)
		}
		a.problem("configuration:editor", "DELETE", path, nil, 404, lt.ENOTFOUND)
		a.problem("configuration:viewer", "GET", path, nil, 404, lt.ENOTFOUND)
		p := a.problem("configuration:editor", "POST", "/api/v1/login-tokens/delete", map[string]any{"ids": []string{b.ID, tok.ID, c.ID}}, 404, lt.ENOTFOUND)
		if !strings.Contains(p.Detail, tok.ID) || strings.Contains(p.Detail, b.ID) {
			t.Fatalf("bulk delete problem should name only the unknown id: %+v", p)
		}
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+b.ID, nil, 200, nil)
		var deleted map[string]int
		a.json("configuration:editor", "POST", "/api/v1/login-tokens/delete", map[string]any{"ids": []string{b.ID, c.ID}}, 200, &deleted)
		if deleted["deleted"] != 2 {
			t.Fatalf("deleted %v", deleted)
		}
		wantFieldError(t, a.problem("configuration:editor", "POST", "/api/v1/login-tokens/delete", `{"ids": []}`, 400, lt.EINVALID), "ids")
		wantFieldError(t, a.problem("configuration:editor", "POST", "/api/v1/login-tokens/delete", `{}`, 400, lt.EINVALID), "ids")
		// The trail of a deleted token stays readable.
		a.json("configuration:viewer", "GET", path+"/events", nil, 200, &events)
		if events.Items[0].Type != lt.EventTokenDeleted {
			t.Fatalf("after delete: %+v", events.Items[0])
		}
	})
}

func TestListTokensFiltersSortsAndPages(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var ids []string
		for i := range 7 {
			tok := a.createToken(map[string]any{"oneTimeUse": i%2 == 0, "extra": []string{fmt.Sprintf("batch %d", i)}})
			ids = append(ids, tok.ID)
		}
		var list listJSON[lt.LoginToken]
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens?pageSize=3&page=3", nil, 200, &list)
		if list.ItemsFound != 7 || list.Pages != 3 || list.Page != 3 || list.PageSize != 3 || len(list.Items) != 1 || list.Items[0].ID != ids[0] {
			t.Fatalf("page 3: %+v", list)
		}
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens?page=9", nil, 200, &list)
		if list.ItemsFound != 7 || len(list.Items) != 0 || list.Items == nil {
			t.Fatalf("past the end: %+v", list)
		}
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens?oneTimeUse=true&q=BATCH&sort=createdAt&ids="+ids[0]+","+ids[1]+"&ids="+ids[2], nil, 200, &list)
		if list.ItemsFound != 2 || list.Items[0].ID != ids[0] || list.Items[1].ID != ids[2] {
			t.Fatalf("filtered: %+v", list)
		}
		p := a.problem("configuration:viewer", "GET", "/api/v1/login-tokens?sort=secret&type=staff", nil, 400, lt.EINVALID)
		wantFieldError(t, p, "sort")
		wantFieldError(t, p, "type")
		wantFieldError(t, a.problem("configuration:viewer", "GET", "/api/v1/login-tokens?limit=5", nil, 400, lt.EINVALID), "limit")
		wantFieldError(t, a.problem("configuration:editor", "POST", "/api/v1/login-tokens?debug=1", "{}", 400, lt.EINVALID), "debug")
	})
}
