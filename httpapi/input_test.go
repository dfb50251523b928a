package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
)

// A token value and an API key as a client pastes them; no answer may hold
// their secrets.
const (
	pastedID     = "abcdefghijkl0123"
	pastedSecret = "SecretSECRETsecret0123456789Abcd"
	pastedValue  = "lt_" + pastedID + "_" + pastedSecret
	pastedKeySec = "KeySecretKEYSECRETkeysecret01234"
	pastedKey    = "ltk_mnopqrstuvwx4567_" + pastedKeySec
)

// pastedShapes are the ways a value reaches a parameter: alone, with text
// around it, its separators percent-encoded once and twice, an API key.
var pastedShapes = map[string]string{
	"alone":         pastedValue,
	"prefix":        "x" + pastedValue,
	"suffix":        pastedValue + "-x",
	"in words":      "find " + pastedValue + " here",
	"encoded":       "lt%5F" + pastedID + "%5F" + pastedSecret,
	"encoded twice": "lt%255F" + pastedID + "%255F" + pastedSecret,
	"API key":       pastedKey,
}

// holdsPastedSecret reports whether s holds 16 or more characters of the
// pasted secrets, as written or percent-encoded.
func holdsPastedSecret(s string) bool {
	if u, err := url.QueryUnescape(s); err == nil {
		s += "\n" + u
	}
	for _, secret := range []string{pastedSecret, pastedKeySec} {
		for i := 0; i+16 <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+16]) {
				return true
			}
		}
	}
	return false
}

// apiOperation is one operation of the API's own OpenAPI document.
type apiOperation struct {
	method, path string
	query        []string // its query parameters
	body         bool
}

// apiOperations reads every operation and its query parameters from the
// server's OpenAPI document, which is built from the route table: a route
// added later is covered.
func apiOperations(t *testing.T, a *testAPI) []apiOperation {
	t.Helper()
	status, b := a.do("", "GET", "/api/openapi.json", nil)
	if status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters  []struct{ Name, In string }
			RequestBody *json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []apiOperation
	for path, methods := range doc.Paths {
		for method, op := range methods {
			o := apiOperation{method: strings.ToUpper(method), path: path, body: op.RequestBody != nil}
			for _, p := range op.Parameters {
				if p.In == "query" {
					o.query = append(o.query, p.Name)
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

// fill puts id into the path's {id}.
func fill(path, id string) string { return strings.ReplaceAll(path, "{id}", id) }

// call sends a request with a raw query and body and returns the answer's
// status, its headers and body.
func (a *testAPI) call(role, method, path, rawQuery string, body any) (int, http.Header, string) {
	a.t.Helper()
	if rawQuery != "" {
		path += "?" + rawQuery
	}
	resp := a.doResp(role, method, path, body, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// Every query parameter of every operation (read from the OpenAPI
// document), holding a pasted value or key in every shape, every path id,
// a parameter and a JSON field named with one, and the JSON fields that
// are parsed rather than stored: the answer is a 4xx whose problem and
// headers hold no secret.
func TestNoProblemRepeatsASecret(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		check := func(what string, status int, header http.Header, body string) {
			t.Helper()
			if status < 400 || status >= 500 {
				t.Errorf("%s: %d %s, want a 4xx", what, status, body)
			}
			if holdsPastedSecret(body) {
				t.Errorf("%s: the answer repeats the secret: %s", what, body)
			}
			for k, vs := range header {
				for _, v := range vs {
					if holdsPastedSecret(v) {
						t.Errorf("%s: the header %s repeats the secret: %s", what, k, v)
					}
				}
			}
		}
		tok := a.createToken("{}")
		for _, op := range apiOperations(t, a) {
			if strings.HasPrefix(op.path, "/api/v1/") {
				// The operation's path id holding a value.
				for shape, v := range pastedShapes {
					if strings.Contains(op.path, "{id}") {
						st, h, b := a.call("all", op.method, fill(op.path, url.PathEscape(v)), "", nil)
						check(op.method+" "+op.path+" with the id "+shape, st, h, b)
					}
					// A query parameter named with a value.
					st, h, b := a.call("all", op.method, fill(op.path, tok.ID), url.QueryEscape(v)+"=1", nil)
					check(op.method+" "+op.path+" with a parameter named "+shape, st, h, b)
				}
			}
			for _, param := range op.query {
				for shape, v := range pastedShapes {
					st, h, b := a.call("all", op.method, fill(op.path, tok.ID), url.Values{param: {v}}.Encode(), nil)
					check(op.method+" "+op.path+"?"+param+"= "+shape, st, h, b)
				}
			}
			if op.body && strings.HasPrefix(op.path, "/api/v1/") {
				role := "all"
				if strings.HasSuffix(op.path, "/redeem") {
					role = "webshop"
				}
				for shape, v := range pastedShapes {
					st, h, b := a.call(role, op.method, fill(op.path, tok.ID), "", map[string]any{v: 1})
					check(op.method+" "+op.path+" with a field named "+shape, st, h, b)
				}
			}
		}
		// Fields whose strings are parsed: an error explains them.
		bodies := []struct {
			role, method, path string
			body               func(v string) any
		}{
			{"all", "POST", "/api/v1/api-keys", func(v string) any { return map[string]any{"name": "k", "kind": "admin", "grants": []string{v}} }},
			{"all", "POST", "/api/v1/api-keys", func(v string) any { return map[string]any{"name": "k", "kind": v} }},
			{"all", "POST", "/api/v1/login-tokens", func(v string) any { return map[string]any{"expiresAt": v} }},
			{"all", "PATCH", "/api/v1/login-tokens/" + tok.ID, func(v string) any { return map[string]any{"expiresAt": v} }},
			{"all", "POST", "/api/v1/login-tokens/delete", func(v string) any { return map[string]any{"ids": []string{v}} }},
			{"all", "POST", "/api/v1/login-tokens/lookup", func(v string) any { return map[string]any{"value": v} }},
			{"all", "POST", "/api/v1/contacts", func(v string) any { return map[string]any{"companyId": v} }},
			{"all", "POST", "/api/v1/contacts/import", func(v string) any {
				return []map[string]any{{"companyExternalId": v, "lastName": "Roe", "email": "roe@example.test"}}
			}},
			{"all", "POST", "/api/v1/contacts/import", func(v string) any {
				return []map[string]any{{v: "x", "lastName": "Roe", "email": "roe@example.test"}}
			}},
			{"webshop", "POST", "/api/v1/login-tokens/redeem", func(v string) any { return map[string]any{"token": v} }},
			{"webshop", "POST", "/api/v1/login-tokens/redeem", func(v string) any { return map[string]any{"token": tok.Value, "clientIp": v} }},
		}
		for _, c := range bodies {
			for shape, v := range pastedShapes {
				st, h, b := a.call(c.role, c.method, c.path, "", c.body(v))
				what := c.method + " " + c.path + " " + shape
				if strings.HasSuffix(c.path, "/import") && st == 200 {
					// An import answers 200 with a failure per row.
					st = 400
				}
				check(what, st, h, b)
			}
		}
		// A CSV import whose header names a column with a value.
		resp := a.doResp("all", "POST", "/api/v1/customers/import", "lastName,email,"+pastedValue+"\nRoe,roe@example.test,x\n",
			http.Header{"Content-Type": {"text/csv"}})
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("a CSV column named with a value", resp.StatusCode, resp.Header, string(b))
	})
}

// A search for a token value or key (q) is refused, naming q and pointing
// to ids, without repeating it.
func TestASearchForAValueIsRefusedPointingToIDs(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		for shape, v := range pastedShapes {
			for _, path := range []string{"/api/v1/login-tokens", "/api/v1/login-tokens.csv"} {
				p := a.problem("all", "GET", path+"?"+url.Values{"q": {v}}.Encode(), nil, 400, lt.EINVALID)
				if len(p.Errors) != 1 || p.Errors[0].Field != "q" || !strings.Contains(p.Errors[0].Message, "ids") {
					t.Errorf("%s q (%s): %+v, want one entry for q pointing to ids", path, shape, p)
				}
			}
			for _, path := range []string{"/api/v1/companies", "/api/v1/contacts", "/api/v1/customers", "/api/v1/users/search"} {
				wantFieldError(t, a.problem("all", "GET", path+"?"+url.Values{"q": {v}}.Encode(), nil, 400, lt.EINVALID), "q")
			}
		}
	})
}

// Every query parameter of every operation refuses a control character
// (NUL, which PostgreSQL cannot compare; white space aside) and invalid
// UTF-8 with a 400 naming it: never a 500, never an internal error in the
// log.
func TestControlCharactersInAnyQueryParameterAre400(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken("{}")
		for _, op := range apiOperations(t, a) {
			for _, param := range op.query {
				for _, bad := range []string{"abc%00def", "%01", "%FF", "a%7Fb", "%C2%85"} {
					role := "all"
					path := fill(op.path, tok.ID)
					st, _, b := a.call(role, op.method, path, param+"="+bad, nil)
					var p httpapi.Problem
					json.Unmarshal([]byte(b), &p)
					named := false
					for _, e := range p.Errors {
						named = named || e.Field == param
					}
					if st != 400 || p.Code != lt.EINVALID || !named {
						t.Errorf("%s %s?%s=%s: %d %s, want 400 naming %s", op.method, path, param, bad, st, b, param)
					}
				}
			}
		}
		if strings.Contains(a.Logs.String(), "internal error") {
			t.Errorf("the log has internal errors:\n%s", a.Logs.String())
		}
	})
}

// Strings in JSON bodies (names, emails, extra, key names, the user agent a
// webshop passes on) refuse control characters and invalid UTF-8 with a
// 400 naming the field; an import reports the row. Never a 500.
func TestControlCharactersInBodyStringsAre400(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken("{}")
		co := &lt.Company{Name: "Acme"}
		if err := a.Store.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		cu := &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Cash", Email: "carl@example.test"}}
		if err := a.Store.CreateCustomer(ctx, cu); err != nil {
			t.Fatal(err)
		}
		company := strconv.FormatInt(co.ID, 10)
		cases := []struct {
			role, method, path, field string
			body                      string
		}{
			{"all", "POST", "/api/v1/companies", "name", `{"name": "Ac\u0000me"}`},
			{"all", "PATCH", "/api/v1/companies/" + company, "externalId", `{"externalId": "x\u0001"}`},
			{"all", "POST", "/api/v1/contacts", "firstName", `{"companyId": ` + company + `, "firstName": "Jo\u0000", "lastName": "Roe", "email": "jo@example.test"}`},
			{"all", "POST", "/api/v1/customers", "email", `{"lastName": "Roe", "email": "r\u0000e@example.test"}`},
			{"all", "PATCH", "/api/v1/customers/" + strconv.FormatInt(cu.ID, 10), "lastName", `{"lastName": "Ca\u0000sh"}`},
			{"all", "POST", "/api/v1/login-tokens", "extra", `{"extra": ["a\u0000b"]}`},
			{"all", "PATCH", "/api/v1/login-tokens/" + tok.ID, "extra", `{"extra": ["a\tb"]}`},
			{"all", "POST", "/api/v1/api-keys", "name", `{"name": "k\u0000", "kind": "webshop"}`},
			{"all", "POST", "/api/v1/login-tokens/lookup", "value", `{"value": "abc\u0000def"}`},
			{"webshop", "POST", "/api/v1/login-tokens/redeem", "userAgent", `{"token": "` + tok.Value + `", "userAgent": "UA\u0000"}`},
			{"webshop", "POST", "/api/v1/login-tokens/redeem", "token", `{"token": "abc\u0000def"}`},
			{"all", "POST", "/api/v1/contacts", "body", "{\"companyId\": " + company + ", \"lastName\": \"R\xffoe\", \"email\": \"r@example.test\"}"},
		}
		for _, c := range cases {
			st, _, b := a.call(c.role, c.method, c.path, "", c.body)
			var p httpapi.Problem
			json.Unmarshal([]byte(b), &p)
			named := false
			for _, e := range p.Errors {
				named = named || e.Field == c.field
			}
			if st != 400 || !named {
				t.Errorf("%s %s %s: %d %s, want 400 naming %s", c.method, c.path, c.body, st, b, c.field)
			}
		}
		// Imports: the row fails, the others go in.
		var res lt.ImportResult
		a.json("all", "POST", "/api/v1/customers/import",
			`[{"lastName": "Ok", "email": "ok@example.test"}, {"lastName": "B\u0000ad", "email": "bad@example.test"}]`, 200, &res)
		if res.Created != 1 || len(res.Failed) != 1 || res.Failed[0].Row != 2 {
			t.Errorf("JSON import: %+v", res)
		}
		resp := a.doResp("all", "POST", "/api/v1/customers/import", "lastName,email\nB\x00ad,bad2@example.test\n", http.Header{"Content-Type": {"text/csv"}})
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 400 {
			t.Errorf("CSV import with NUL: %d %s", resp.StatusCode, b)
		}
		if strings.Contains(a.Logs.String(), "internal error") {
			t.Errorf("the log has internal errors:\n%s", a.Logs.String())
		}
	})
}

// With the database gone (here: the store's pool closed, as during a
// shutdown; faults/ stops a real PostgreSQL), every route that needs it
// answers 503 UNAVAILABLE with Retry-After as problem+json naming nothing
// internal, and the log says so once, not once per request.
func TestAnUnavailableDatabaseAnswers503WithRetryAfterAndLogsOnce(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken("{}")
		a.Store.Close()
		requests := []struct{ role, method, path, body string }{
			{"webshop", "POST", "/api/v1/login-tokens/redeem", `{"token": "` + tok.Value + `"}`},
			{"all", "GET", "/api/v1/login-tokens", ""},
			{"all", "GET", "/api/v1/login-tokens/" + tok.ID, ""},
			{"all", "GET", "/api/v1/contacts?q=x", ""},
			{"all", "POST", "/api/v1/companies", `{"name": "Acme"}`},
		}
		n := 0
		for range 10 {
			for _, r := range requests {
				var body any
				if r.body != "" {
					body = r.body
				}
				st, h, b := a.call(r.role, r.method, r.path, "", body)
				n++
				var p httpapi.Problem
				if st != 503 || json.Unmarshal([]byte(b), &p) != nil || p.Code != lt.EUNAVAILABLE || p.Status != 503 ||
					h.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%s %s: %d %s %s, want 503 UNAVAILABLE problem+json", r.method, r.path, st, h.Get("Content-Type"), b)
				}
				if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
					t.Fatalf("%s %s: Retry-After %q", r.method, r.path, h.Get("Retry-After"))
				}
				lower := strings.ToLower(b)
				for _, internal := range []string{"sql", "closed", "postgres", "sqlite", "pgx", "driver"} {
					if strings.Contains(lower, internal) {
						t.Fatalf("%s %s: the problem names %q: %s", r.method, r.path, internal, b)
					}
				}
			}
		}
		if st, _, _ := a.call("", "GET", "/readyz", "", nil); st != 503 {
			t.Errorf("/readyz = %d, want 503", st)
		}
		logs := a.Logs.String()
		if got := strings.Count(logs, `msg="database unavailable`); got != 1 {
			t.Errorf("%d requests refused: the log reports it in %d lines, want 1:\n%s", n+1, got, logs)
		}
		if strings.Contains(logs, "internal error") {
			t.Errorf("the log has internal errors:\n%s", logs)
		}
	})
}
