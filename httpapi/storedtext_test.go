package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
)

// storedTextRefusals are values no stored text field takes: a token value
// or API key in every shape a client pastes it, a real value and key, and
// the bidirectional controls and line separators that make text read
// differently from what it holds.
func storedTextRefusals(tokenValue, keyValue string) map[string]string {
	out := map[string]string{
		"a real token value": "see " + tokenValue,
		"a real API key":     keyValue,
		"RLO":                "Ac\u202Eme",
		"LRE":                "\u202Aname",
		"isolate":            "x\u2066y\u2069",
		"line separator":     "a\u2028b",
		"para separator":     "a\u2029b",
	}
	for shape, v := range pastedShapes {
		out["pasted "+shape] = v
	}
	return out
}

// leaks reports whether an answer holds a secret: the pasted ones, or the
// last 16 characters of a real value or key.
func leaks(body string, secrets ...string) bool {
	for _, s := range secrets {
		if strings.Contains(body, s[len(s)-16:]) {
			return true
		}
	}
	return holdsPastedSecret(body)
}

// Every stored text field (names, emails, external ids, extra, a key's
// name) refuses a token value or API key, and bidirectional controls and
// line separators, with a 400 naming the field that repeats no secret;
// nothing is stored. Imports, JSON and CSV, fail the row naming the column.
func TestStoredTextRefusesSecretsAndBidiControls(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken("{}")
		key := a.Keys["users:viewer"]
		co, ct, cu := a.people()
		company, customer, contact := strconv.FormatInt(co.ID, 10), strconv.FormatInt(cu.ID, 10), strconv.FormatInt(ct.ID, 10)
		person := func(field, v string) map[string]any {
			body := map[string]any{"firstName": "Ann", "lastName": "Lee", "email": "ann@example.test"}
			body[field] = v
			return body
		}
		cases := []struct {
			method, path, field string
			body                func(v string) map[string]any
		}{
			{"POST", "/api/v1/companies", "name", func(v string) map[string]any { return map[string]any{"name": v} }},
			{"POST", "/api/v1/companies", "externalId", func(v string) map[string]any { return map[string]any{"name": "N", "externalId": v} }},
			{"PATCH", "/api/v1/companies/" + company, "name", func(v string) map[string]any { return map[string]any{"name": v} }},
			{"PATCH", "/api/v1/companies/" + company, "externalId", func(v string) map[string]any { return map[string]any{"externalId": v} }},
			{"POST", "/api/v1/customers", "firstName", func(v string) map[string]any { return person("firstName", v) }},
			{"POST", "/api/v1/customers", "lastName", func(v string) map[string]any { return person("lastName", v) }},
			{"POST", "/api/v1/customers", "email", func(v string) map[string]any { return person("email", v) }},
			{"POST", "/api/v1/customers", "externalId", func(v string) map[string]any { return person("externalId", v) }},
			{"PATCH", "/api/v1/customers/" + customer, "lastName", func(v string) map[string]any { return map[string]any{"lastName": v} }},
			{"PATCH", "/api/v1/customers/" + customer, "email", func(v string) map[string]any { return map[string]any{"email": v} }},
			{"POST", "/api/v1/contacts", "firstName", func(v string) map[string]any {
				b := person("firstName", v)
				b["companyId"] = co.ID
				return b
			}},
			{"PATCH", "/api/v1/contacts/" + contact, "externalId", func(v string) map[string]any { return map[string]any{"externalId": v} }},
			{"POST", "/api/v1/login-tokens", "extra", func(v string) map[string]any { return map[string]any{"extra": []string{"ok", v}} }},
			{"PATCH", "/api/v1/login-tokens/" + tok.ID, "extra", func(v string) map[string]any { return map[string]any{"extra": []string{v}} }},
			{"POST", "/api/v1/api-keys", "name", func(v string) map[string]any { return map[string]any{"name": v, "kind": "webshop"} }},
		}
		tokensBefore, keysBefore := a.tokenCount(), a.keyCount()
		for _, c := range cases {
			for what, v := range storedTextRefusals(tok.Value, key) {
				status, _, b := a.call("all", c.method, c.path, "", c.body(v))
				var p httpapi.Problem
				json.Unmarshal([]byte(b), &p)
				named := false
				for _, e := range p.Errors {
					named = named || e.Field == c.field
				}
				if status != 400 || p.Code != lt.EINVALID || !named {
					t.Errorf("%s %s, %s holding %s: %d %s, want 400 naming %s", c.method, c.path, c.field, what, status, b, c.field)
				}
				if leaks(b, tok.Value, key) {
					t.Errorf("%s %s, %s holding %s: the answer repeats the secret: %s", c.method, c.path, c.field, what, b)
				}
			}
		}
		if n := a.tokenCount(); n != tokensBefore {
			t.Errorf("refused requests made %d tokens", n-tokensBefore)
		}
		if n := a.keyCount(); n != keysBefore {
			t.Errorf("refused requests made %d keys", n-keysBefore)
		}
		for _, check := range []struct {
			what string
			ok   bool
		}{
			{"company", func() bool {
				c, _ := a.Store.FindCompanyByID(ctx, co.ID)
				return c.Name == "Acme" && c.ExternalID == nil
			}()},
			{"customer", func() bool {
				c, _ := a.Store.FindCustomerByID(ctx, cu.ID)
				return c.LastName == "Cash" && c.Email == "carl@example.test"
			}()},
			{"contact", func() bool { c, _ := a.Store.FindContactByID(ctx, ct.ID); return c.ExternalID == nil }()},
			{"token", func() bool { t, _ := a.Store.FindTokenByID(ctx, tok.ID); return len(t.Extra) == 0 }()},
		} {
			if !check.ok {
				t.Errorf("a refused request changed the %s", check.what)
			}
		}

		// Imports: the row fails naming the column, and says nothing of
		// the value; the good row goes in.
		for _, field := range []string{"firstName", "lastName", "email", "externalId"} {
			row := map[string]string{"firstName": "Ann", "lastName": "Lee", "email": "imp-" + strings.ToLower(field) + "@example.test"}
			row[field] = tok.Value
			rows, _ := json.Marshal([]map[string]string{{"lastName": "Ok", "email": "ok-" + strings.ToLower(field) + "@example.test"}, row})
			csv := "firstName,lastName,email,externalId\n" +
				fmt.Sprintf("Ann,Lee,ok2-%s@example.test,\n", strings.ToLower(field)) +
				fmt.Sprintf("%s,%s,%s,%s\n", row["firstName"], row["lastName"], strings.Replace(row["email"], "imp-", "imp2-", 1), row["externalId"])
			for kind, body := range map[string]string{"application/json": string(rows), "text/csv": csv} {
				resp := a.doResp("all", "POST", "/api/v1/customers/import", body, http.Header{"Content-Type": {kind}})
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var res lt.ImportResult
				json.Unmarshal(b, &res)
				if resp.StatusCode != 200 || res.Created != 1 || len(res.Failed) != 1 || res.Failed[0].Row != 2 ||
					!strings.HasPrefix(res.Failed[0].Message, field+": holds a login token value") {
					t.Errorf("%s import with a value in %s: %d %s, want row 2 failed naming %s", kind, field, resp.StatusCode, b, field)
				}
				if leaks(string(b), tok.Value) {
					t.Errorf("%s import with a value in %s: the answer repeats it: %s", kind, field, b)
				}
			}
		}

		// What a webshop passes on about the browser is recorded, not
		// refused, with its secrets cut.
		a.json("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": tok.Value, "userAgent": "UA " + pastedValue}, 200, nil)
		_, _, events := a.call("all", "GET", "/api/v1/login-tokens/"+tok.ID+"/events", "", nil)
		if !strings.Contains(events, "UA lt_"+pastedID+"_…") || leaks(events, tok.Value) {
			t.Errorf("the redeem's user agent is not recorded with its secret cut: %s", events)
		}
	})
}

// people makes a company Acme with a contact Jo Roe, and a customer Carl
// Cash.
func (a *testAPI) people() (*lt.Company, *lt.Contact, *lt.Customer) {
	a.t.Helper()
	co := &lt.Company{Name: "Acme"}
	if err := a.Store.CreateCompany(ctx, co); err != nil {
		a.t.Fatal(err)
	}
	ct := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jo", LastName: "Roe", Email: "jo@example.test"}}
	if err := a.Store.CreateContact(ctx, ct); err != nil {
		a.t.Fatal(err)
	}
	cu := &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Cash", Email: "carl@example.test"}}
	if err := a.Store.CreateCustomer(ctx, cu); err != nil {
		a.t.Fatal(err)
	}
	return co, ct, cu
}

func (a *testAPI) tokenCount() int {
	a.t.Helper()
	_, n, err := a.Store.FindTokens(ctx, lt.TokenFilter{Page: 1, PageSize: 1})
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}
