package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	lt "github.com/logintokens/logintokens"
)

// docURL is where the tests pretend the document lives, so that its
// "#/components/..." references resolve inside it.
const docURL = "https://lt.example.test/api/openapi.json"

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc fetches /api/openapi.json as generic JSON, as a client would
// see it (numbers as json.Number, which the validator wants).
func openAPIDoc(t *testing.T, a *testAPI) map[string]any {
	t.Helper()
	resp := a.doResp("", "GET", "/api/openapi.json", nil, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d %s", resp.StatusCode, b)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		t.Fatalf("GET /api/openapi.json: Content-Type %q", resp.Header.Get("Content-Type"))
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("GET /api/openapi.json: %v", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("GET /api/openapi.json: not an object")
	}
	return m
}

// operations lists the document's operations as "METHOD /path".
func operations(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			if slices.Contains(httpMethods, method) {
				out[strings.ToUpper(method)+" "+path] = op.(map[string]any)
			}
		}
	}
	return out
}

func TestOpenAPIDocumentHasOneOperationPerRoute(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	doc := openAPIDoc(t, a)
	ops := operations(doc)
	routes := a.API.Routes()
	if len(ops) != len(routes) {
		t.Errorf("the document has %d operations, the server %d routes", len(ops), len(routes))
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		op, ok := ops[key]
		if !ok {
			t.Errorf("route %s is not in the document", key)
			continue
		}
		_, secured := op["security"]
		if rt.Access == "public" {
			if secured || op["x-required-grant"] != nil {
				t.Errorf("%s is public, but the document asks for a key", key)
			}
			continue
		}
		if op["x-required-grant"] != rt.Access {
			t.Errorf("%s: x-required-grant %v, the route requires %q", key, op["x-required-grant"], rt.Access)
		}
		sec, _ := op["security"].([]any)
		if len(sec) != 1 || sec[0].(map[string]any)["bearerAuth"] == nil {
			t.Errorf("%s: security %v, want bearerAuth", key, op["security"])
		}
		for _, status := range []string{"400", "401", "403", "500"} {
			if _, ok := op["responses"].(map[string]any)[status]; !ok {
				t.Errorf("%s: no %s response", key, status)
			}
		}
	}

	// Every operation of the document is served: a path no route takes
	// answers the 404 of an unknown path (or 405 for a method).
	ids := map[string]string{}
	for key, op := range ops {
		method, path, _ := strings.Cut(key, " ")
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q is missing or also used by %s", key, id, ids[id])
		}
		ids[id] = key
		resp := a.doResp("", method, concretePath(path), nil, nil)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotFound && (!strings.HasPrefix(ct, "application/problem+json") || strings.Contains(string(b), "no API route has this path")) {
			t.Errorf("%s: the server has no such route: %d %s %s", key, resp.StatusCode, ct, b)
		}
		if _, secured := op["security"]; secured && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a key: %d, want 401", key, resp.StatusCode)
		}
	}
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	doc := openAPIDoc(t, a)
	n := 0
	walkJSON(doc, "", func(ptr string, v map[string]any) {
		r, ok := v["$ref"].(string)
		if !ok {
			return
		}
		n++
		if !strings.HasPrefix(r, "#/") {
			t.Errorf("%s: $ref %q is not local", ptr, r)
			return
		}
		if _, err := resolvePointer(doc, strings.TrimPrefix(r, "#")); err != nil {
			t.Errorf("%s: $ref %q: %v", ptr, r, err)
		}
	})
	if n < 50 {
		t.Errorf("only %d $refs: is the walk broken?", n)
	}
	// The pointer resolution itself can fail.
	if _, err := resolvePointer(doc, "/components/schemas/NoSuchSchema"); err == nil {
		t.Error("an unknown pointer resolved")
	}
}

// walkJSON calls fn for every object in v, with its JSON pointer.
func walkJSON(v any, ptr string, fn func(ptr string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(ptr, v)
		for k, c := range v {
			walkJSON(c, ptr+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), fn)
		}
	case []any:
		for i, c := range v {
			walkJSON(c, fmt.Sprintf("%s/%d", ptr, i), fn)
		}
	}
}

func resolvePointer(doc any, ptr string) (any, error) {
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: not an object at %q", ptr, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%q: no %q", ptr, tok)
		}
	}
	return cur, nil
}

// oas31Schema compiles the vendored OpenAPI 3.1 schema (testdata/openapi).
func oas31Schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/openapi/oas-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const u = "https://spec.openapis.org/oas/3.1/schema/vendored.json"
	if err := c.AddResource(u, s); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(u)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestOpenAPIDocumentIsValidOpenAPI31(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	doc := openAPIDoc(t, a)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	oas := oas31Schema(t)
	if err := oas.Validate(doc); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.1:\n%v", err)
	}

	// The validator does reject a broken document: an operation without
	// responses and an unknown top-level field.
	broken := cloneJSON(t, doc)
	delete(broken["paths"].(map[string]any)["/api/v1/login-tokens"].(map[string]any)["get"].(map[string]any), "responses")
	broken["colour"] = "blue"
	if err := oas.Validate(broken); err == nil {
		t.Fatal("a broken document validated: the schema checks nothing")
	}

	// The OpenAPI schema leaves Schema Objects open; each must be valid
	// JSON Schema 2020-12.
	meta, err := jsonschema.NewCompiler().Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, s := range schemas {
		if err := meta.Validate(s); err != nil {
			t.Errorf("schema %s is not valid JSON Schema 2020-12: %v", name, err)
		}
	}
	if err := meta.Validate(map[string]any{"type": "no-such-type"}); err == nil {
		t.Error("the meta-schema accepted an unknown type")
	}
	for _, name := range []string{"LoginToken", "LoginTokenList", "NewLoginToken", "IssuedLoginToken", "LoginTokenPatch",
		"UpdatedLoginToken", "TokenValue", "TokenIDs", "Deleted", "RedeemRequest", "RedeemResponse", "RevealedValue",
		"EventList", "Company", "CompanyInput", "CompanyList", "Contact", "ContactInput", "ContactList", "ContactImport",
		"Customer", "CustomerInput", "CustomerList", "CustomerImport", "ImportResult", "UserHits", "APIKeyList",
		"NewAPIKey", "IssuedAPIKey", "JWKS", "OpenAPI", "Problem", "UserRef", "CompanyRef", "Event"} {
		if schemas[name] == nil {
			t.Errorf("no schema %s", name)
		}
	}
	info := doc["info"].(map[string]any)
	desc, _ := info["description"].(string)
	for _, code := range []string{lt.EINVALID, lt.EUNAUTHENTICATED, lt.EFORBIDDEN, lt.ENOTFOUND, lt.ECONFLICT, lt.ETOOLARGE,
		lt.ERATELIMITED, lt.ETOKENINVALID, lt.ETOKENUSED, lt.ETOKENEXPIRED, lt.EUSERDISABLED, lt.EUNAVAILABLE} {
		if !strings.Contains(desc, code) {
			t.Errorf("info.description does not explain %s", code)
		}
	}
	if s := doc["servers"].([]any)[0].(map[string]any)["url"]; s != testPublicURL {
		t.Errorf("servers[0].url = %v, want the public URL %s", s, testPublicURL)
	}
}

func cloneJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out.(map[string]any)
}

// docValidator validates request and answer bodies against the document's
// schemas. In strict mode every object schema with properties is closed,
// so an answer carrying a field the document does not name fails too.
type docValidator struct {
	t      *testing.T
	doc    map[string]any
	strict *jsonschema.Compiler
	cache  map[string]*jsonschema.Schema
}

func newDocValidator(t *testing.T, doc map[string]any) *docValidator {
	strict := cloneJSON(t, doc)
	walkJSON(strict["components"], "", func(_ string, obj map[string]any) {
		if _, ok := obj["properties"]; ok && obj["additionalProperties"] == nil {
			if _, isSchema := obj["type"]; isSchema {
				obj["additionalProperties"] = false
			}
		}
	})
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, strict); err != nil {
		t.Fatal(err)
	}
	return &docValidator{t: t, doc: doc, strict: c, cache: map[string]*jsonschema.Schema{}}
}

// schemaAt compiles the schema at a JSON pointer of the document.
func (v *docValidator) schemaAt(ptr string) *jsonschema.Schema {
	v.t.Helper()
	if s, ok := v.cache[ptr]; ok {
		return s
	}
	s, err := v.strict.Compile(docURL + "#" + ptr)
	if err != nil {
		v.t.Fatalf("compile %s: %v", ptr, err)
	}
	v.cache[ptr] = s
	return s
}

func escapePtr(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

// operation returns the pointer of an operation, failing when it is missing.
func (v *docValidator) operation(method, path string) string {
	v.t.Helper()
	ptr := "/paths/" + escapePtr(path) + "/" + strings.ToLower(method)
	if _, err := resolvePointer(v.doc, ptr); err != nil {
		v.t.Fatalf("%s %s is not in the document", method, path)
	}
	return ptr
}

// request validates a JSON body the test is about to send.
func (v *docValidator) request(method, path string, body any) error {
	v.t.Helper()
	ptr := v.operation(method, path) + "/requestBody/content/application~1json/schema"
	if _, err := resolvePointer(v.doc, ptr); err != nil {
		return fmt.Errorf("%s %s takes no JSON body", method, path)
	}
	return v.schemaAt(ptr).Validate(toJSONValue(v.t, body))
}

// requestType checks that the operation takes a body of the media type.
func (v *docValidator) requestType(method, path, mediaType string) error {
	v.t.Helper()
	ptr := v.operation(method, path) + "/requestBody/content/" + escapePtr(mediaType)
	if _, err := resolvePointer(v.doc, ptr); err != nil {
		return fmt.Errorf("%s %s takes no %s body", method, path, mediaType)
	}
	return nil
}

// answer validates a real answer against the documented response of its
// status and media type.
func (v *docValidator) answer(method, path string, resp *http.Response, body []byte) error {
	v.t.Helper()
	resPtr := v.operation(method, path) + "/responses/" + fmt.Sprint(resp.StatusCode)
	res, err := resolvePointer(v.doc, resPtr)
	if err != nil {
		return fmt.Errorf("status %d is not documented: %s", resp.StatusCode, body)
	}
	if r, ok := res.(map[string]any)["$ref"].(string); ok {
		resPtr = strings.TrimPrefix(r, "#")
		res, _ = resolvePointer(v.doc, resPtr)
	}
	content, _ := res.(map[string]any)["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("status %d is documented without a body, got %q", resp.StatusCode, body)
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if _, ok := content[mt]; !ok {
		return fmt.Errorf("Content-Type %q is not documented for %d", mt, resp.StatusCode)
	}
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("answer is not JSON: %v: %s", err, body)
	}
	if err := v.schemaAt(resPtr + "/content/" + escapePtr(mt) + "/schema").Validate(inst); err != nil {
		return fmt.Errorf("%v\nanswer: %s", err, body)
	}
	return nil
}

func toJSONValue(t *testing.T, body any) any {
	t.Helper()
	var b []byte
	switch x := body.(type) {
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			t.Fatal(err)
		}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// call is one request whose answer must match the document.
type call struct {
	name         string
	role         string
	method, path string // path is the template, as in the document
	concrete     func() string
	body         any
	status       int
	header       http.Header
	// invalid: the body is deliberately wrong, so it is not checked
	// against the request schema.
	invalid bool
	then    func(b []byte)
}

func TestOpenAPISchemasDescribeRealAnswers(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	v := newDocValidator(t, openAPIDoc(t, a))

	company := &lt.Company{Name: "Acme"}
	if err := a.Store.CreateCompany(ctx, company); err != nil {
		t.Fatal(err)
	}
	contact := &lt.Contact{CompanyID: company.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := a.Store.CreateContact(ctx, contact); err != nil {
		t.Fatal(err)
	}
	customer := &lt.Customer{Person: lt.Person{FirstName: "Ann", LastName: "Lee", Email: "ann@example.test"}}
	if err := a.Store.CreateCustomer(ctx, customer); err != nil {
		t.Fatal(err)
	}

	var contactTok, anonTok, customerTok struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	keep := func(dst any) func([]byte) {
		return func(b []byte) {
			if err := json.Unmarshal(b, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	lit := func(s string) func() string { return func() string { return s } }
	tokenPath := func(tok *struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}, suffix string) func() string {
		return func() string { return "/api/v1/login-tokens/" + tok.ID + suffix }
	}
	// Bodies that depend on earlier answers are built when sent.
	redeemContact := func() any {
		return map[string]any{"token": contactTok.Value, "clientIp": "203.0.113.7", "userAgent": "openapi test"}
	}
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	impersonation, err := a.Store.CreateToken(ctx, lt.Actor{Name: "staff:1"}, lt.NewToken{ContactID: &contact.ID, OneTimeUse: true,
		Act: &lt.Impersonator{Sub: "staff:1", Name: "Sam Sales"}})
	if err != nil {
		t.Fatal(err)
	}
	impersonationPath := lit("/api/v1/login-tokens/" + impersonation.ID)

	calls := []call{
		{name: "create a contact token", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens",
			body:   map[string]any{"contactId": contact.ID, "expiresAt": future, "oneTimeUse": true, "extra": []string{"OCI for Acme SAP SRM"}},
			status: 201, then: keep(&contactTok)},
		{name: "create an anonymous token", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens",
			body: map[string]any{}, status: 201, then: keep(&anonTok)},
		{name: "create a customer token", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens",
			body: map[string]any{"customerId": customer.ID, "expiresAt": nil, "extra": nil}, status: 201, then: keep(&customerTok)},
		{name: "list tokens", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens",
			concrete: lit("/api/v1/login-tokens?pageSize=5&sort=-createdAt&type=contact,customer,anonymous"), status: 200},
		{name: "get a token", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens/{id}",
			concrete: tokenPath(&contactTok, ""), status: 200},
		{name: "get an impersonation token", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens/{id}",
			concrete: impersonationPath, status: 200, then: func(b []byte) {
				if !bytes.Contains(b, []byte(`"impersonatedBy":"staff:1"`)) {
					t.Errorf("no impersonatedBy: %s", b)
				}
			}},
		{name: "patch an impersonation token", role: "configuration:editor", method: "PATCH", path: "/api/v1/login-tokens/{id}",
			concrete: impersonationPath, body: map[string]any{"oneTimeUse": false}, status: 409, then: wantCode(t, lt.ECONFLICT)},
		{name: "patch extra", role: "configuration:editor", method: "PATCH", path: "/api/v1/login-tokens/{id}",
			concrete: tokenPath(&contactTok, ""), body: map[string]any{"extra": []string{"one", "two"}}, status: 200},
		{name: "patch the user", role: "configuration:editor", method: "PATCH", path: "/api/v1/login-tokens/{id}",
			concrete: tokenPath(&anonTok, ""), body: map[string]any{"customerId": customer.ID}, status: 200,
			then: func(b []byte) {
				if !bytes.Contains(b, []byte(`"value"`)) {
					t.Errorf("a user change answers no value: %s", b)
				}
			}},
		{name: "lookup", role: "configuration:viewer", method: "POST", path: "/api/v1/login-tokens/lookup",
			body: func() any { return map[string]any{"value": contactTok.Value} }, status: 200},
		{name: "regenerate", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens/{id}/regenerate",
			concrete: tokenPath(&contactTok, "/regenerate"), status: 200, then: keep(&contactTok)},
		{name: "reveal", role: "configuration:editor", method: "GET", path: "/api/v1/login-tokens/{id}/value",
			concrete: tokenPath(&contactTok, "/value"), status: 200},
		{name: "events", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens/{id}/events",
			concrete: tokenPath(&contactTok, "/events"), status: 200},
		{name: "redeem a contact token", role: "webshop", method: "POST", path: "/api/v1/login-tokens/redeem",
			body: redeemContact, status: 200},
		{name: "redeem a customer token", role: "webshop", method: "POST", path: "/api/v1/login-tokens/redeem",
			body: func() any { return map[string]any{"token": customerTok.Value} }, status: 200},
		{name: "redeem a used token", role: "webshop", method: "POST", path: "/api/v1/login-tokens/redeem",
			body: redeemContact, status: 400, then: wantCode(t, lt.ETOKENUSED)},
		{name: "redeem garbage", role: "webshop", method: "POST", path: "/api/v1/login-tokens/redeem",
			body: map[string]any{"token": "lt_nope"}, status: 400, then: wantCode(t, lt.ETOKENINVALID)},
		{name: "unknown field", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens",
			body: map[string]any{"contactId": contact.ID, "colour": "blue"}, invalid: true, status: 400, then: wantCode(t, lt.EINVALID)},
		{name: "unknown query parameter", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens",
			concrete: lit("/api/v1/login-tokens?colour=blue"), status: 400, then: wantCode(t, lt.EINVALID)},
		{name: "no key", role: "", method: "GET", path: "/api/v1/login-tokens", status: 401},
		{name: "wrong grant", role: "users:owner", method: "GET", path: "/api/v1/login-tokens", status: 403},
		{name: "bulk delete", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens/delete",
			body: func() any { return map[string]any{"ids": []string{anonTok.ID}} }, status: 200},
		{name: "delete", role: "configuration:editor", method: "DELETE", path: "/api/v1/login-tokens/{id}",
			concrete: tokenPath(&contactTok, ""), status: 204},
		{name: "get a deleted token", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens/{id}",
			concrete: tokenPath(&contactTok, ""), status: 404, then: wantCode(t, lt.ENOTFOUND)},
		{name: "the document itself", method: "GET", path: "/api/openapi.json", status: 200},

		// The directory, API keys and operations.
		{name: "list companies", role: "users:viewer", method: "GET", path: "/api/v1/companies", status: 200},
		{name: "create a company", role: "users:editor", method: "POST", path: "/api/v1/companies",
			body: map[string]any{"name": "Beta", "externalId": "B-1"}, status: 201},
		{name: "get a company", role: "users:viewer", method: "GET", path: "/api/v1/companies/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/companies/%d", company.ID)), status: 200},
		{name: "list contacts", role: "users:viewer", method: "GET", path: "/api/v1/contacts",
			concrete: lit(fmt.Sprintf("/api/v1/contacts?companyId=%d", company.ID)), status: 200},
		{name: "create a contact", role: "users:editor", method: "POST", path: "/api/v1/contacts",
			body: map[string]any{"companyId": company.ID, "firstName": "Max", "lastName": "Muster", "email": "max@acme.test"}, status: 201},
		{name: "patch a contact", role: "users:editor", method: "PATCH", path: "/api/v1/contacts/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/contacts/%d", contact.ID)), body: map[string]any{"externalId": nil, "disabled": false}, status: 200},
		{name: "import contacts", role: "users:editor", method: "POST", path: "/api/v1/contacts/import",
			body: []map[string]any{{"companyId": company.ID, "firstName": "Zoe", "email": "zoe@acme.test", "externalId": "Z-1"}}, status: 200},
		{name: "list customers", role: "users:viewer", method: "GET", path: "/api/v1/customers", status: 200},
		{name: "get a customer", role: "users:viewer", method: "GET", path: "/api/v1/customers/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/customers/%d", customer.ID)), status: 200},
		{name: "search users", role: "users:viewer", method: "GET", path: "/api/v1/users/search",
			concrete: lit("/api/v1/users/search?q=a&limit=5"), status: 200},
		{name: "list API keys", role: "configuration:owner", method: "GET", path: "/api/v1/api-keys", status: 200},
		{name: "create an API key", role: "all", method: "POST", path: "/api/v1/api-keys",
			body: map[string]any{"name": "erp", "kind": "admin", "grants": []string{"users:viewer"}}, status: 201},
		{name: "hand out a grant the key lacks", role: "configuration:owner", method: "POST", path: "/api/v1/api-keys",
			body: map[string]any{"name": "erp", "kind": "admin", "grants": []string{"users:owner"}}, status: 403, then: wantCode(t, lt.EFORBIDDEN)},
		{name: "JWKS", method: "GET", path: "/.well-known/jwks.json", status: 200},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200},
		{name: "metrics", method: "GET", path: "/metrics", status: 200},
		{name: "the reference page", method: "GET", path: "/api/docs", status: 200},
		{name: "export", role: "configuration:viewer", method: "GET", path: "/api/v1/login-tokens.csv",
			concrete: lit("/api/v1/login-tokens.csv?type=customer"), status: 200},
		{name: "patch a company", role: "users:editor", method: "PATCH", path: "/api/v1/companies/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/companies/%d", company.ID)), body: map[string]any{"externalId": "ACME"}, status: 200},
		{name: "delete a company with contacts", role: "users:editor", method: "DELETE", path: "/api/v1/companies/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/companies/%d", company.ID)), status: 409, then: wantCode(t, lt.ECONFLICT)},
		{name: "create a customer", role: "users:editor", method: "POST", path: "/api/v1/customers",
			body: map[string]any{"firstName": "Bo", "email": "bo@example.test", "externalId": nil}, status: 201},
		{name: "patch a customer", role: "users:editor", method: "PATCH", path: "/api/v1/customers/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/customers/%d", customer.ID)), body: map[string]any{"lastName": "Lee-Smith"}, status: 200},
		{name: "import customers as CSV", role: "users:editor", method: "POST", path: "/api/v1/customers/import",
			body: "firstName,lastName,email,externalId\nCy,Ng,cy@example.test,C-1\nbad,row\n", header: http.Header{"Content-Type": {"text/csv"}},
			status: 200, then: func(b []byte) {
				if !bytes.Contains(b, []byte(`"row":2`)) {
					t.Errorf("the bad CSV row did not fail: %s", b)
				}
			}},
		{name: "import with an unknown field", role: "users:editor", method: "POST", path: "/api/v1/customers/import",
			body: []map[string]any{{"email": "x@example.test", "colour": "blue"}}, invalid: true, status: 400},
		{name: "a body too large", role: "configuration:editor", method: "POST", path: "/api/v1/login-tokens",
			body: `{"extra": ["` + strings.Repeat("x", 70<<10) + `"]}`, invalid: true, status: 413, then: wantCode(t, lt.ETOOLARGE)},
		{name: "delete a customer", role: "users:editor", method: "DELETE", path: "/api/v1/customers/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/customers/%d", customer.ID)), status: 204},
		{name: "get a deleted customer", role: "users:viewer", method: "GET", path: "/api/v1/customers/{id}",
			concrete: lit(fmt.Sprintf("/api/v1/customers/%d", customer.ID)), status: 404},
		{name: "revoke an unknown API key", role: "configuration:owner", method: "DELETE", path: "/api/v1/api-keys/{id}",
			concrete: lit("/api/v1/api-keys/aaaaaaaaaaaaaaaa"), status: 404},
	}
	for _, c := range calls {
		body := c.body
		if f, ok := body.(func() any); ok {
			body = f()
		}
		path := c.path
		if c.concrete != nil {
			path = c.concrete()
		}
		switch isJSON := c.header.Get("Content-Type") == ""; {
		case body != nil && isJSON && !c.invalid:
			if err := v.request(c.method, c.path, body); err != nil {
				t.Errorf("%s: the document refuses the request body: %v", c.name, err)
			}
		case body != nil && isJSON && c.invalid && c.status != http.StatusRequestEntityTooLarge:
			if err := v.request(c.method, c.path, body); err == nil {
				t.Errorf("%s: the document accepts a body the server refuses", c.name)
			}
		case body != nil && !isJSON:
			if err := v.requestType(c.method, c.path, c.header.Get("Content-Type")); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		resp := a.doResp(c.role, c.method, path, body, c.header)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %s %s: %d %s, want %d", c.name, c.method, path, resp.StatusCode, b, c.status)
			continue
		}
		if err := v.answer(c.method, c.path, resp, b); err != nil {
			t.Errorf("%s: %s %s: the answer does not match the document: %v", c.name, c.method, path, err)
		}
		if c.then != nil {
			c.then(b)
		}
	}
}

func wantCode(t *testing.T, code string) func([]byte) {
	return func(b []byte) {
		t.Helper()
		var p struct {
			Type, Code string
		}
		if json.Unmarshal(b, &p) != nil || p.Code != code || p.Type != "/api/docs#problem-"+code {
			t.Errorf("answer %s, want a %s problem", b, code)
		}
	}
}

// The schemas are strict enough to catch a wrong answer: the checks above
// prove something only if these fail.
func TestOpenAPISchemasRefuseWrongAnswers(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	v := newDocValidator(t, openAPIDoc(t, a))
	tok := v.schemaAt("/components/schemas/LoginToken")
	good := map[string]any{
		"id": "k3x9f0a2b7cq", "type": "anonymous", "user": nil, "expiresAt": nil, "maxUses": nil, "oneTimeUse": false,
		"networks": []any{}, "extra": []any{}, "status": "active", "successfulAttempts": json.Number("0"), "failedAttempts": json.Number("0"),
		"lastAccessedAt": nil, "createdAt": "2026-11-26T10:00:00Z", "updatedAt": "2026-11-26T10:00:00Z", "createdBy": "staff:1",
		"impersonatedBy": nil, "shopId": nil,
	}
	if err := tok.Validate(good); err != nil {
		t.Fatalf("the contract's example token does not validate: %v", err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"missing field":      func(m map[string]any) { delete(m, "status") },
		"unknown field":      func(m map[string]any) { m["secret"] = "x" },
		"bad enum":           func(m map[string]any) { m["status"] = "revoked" },
		"bad time":           func(m map[string]any) { m["createdAt"] = "yesterday" },
		"null not nullable":  func(m map[string]any) { m["extra"] = nil },
		"bad user":           func(m map[string]any) { m["user"] = map[string]any{"type": "contact"} },
		"bad impersonatedBy": func(m map[string]any) { m["impersonatedBy"] = json.Number("1") },
		"maxUses zero":       func(m map[string]any) { m["maxUses"] = json.Number("0") },
		"networks too many":  func(m map[string]any) { m["networks"] = make([]any, lt.MaxNetworks+1) },
	} {
		m := map[string]any{}
		for k, val := range good {
			m[k] = val
		}
		mutate(m)
		if err := tok.Validate(m); err == nil {
			t.Errorf("%s: the LoginToken schema accepts %v", name, m)
		}
	}
	problem := v.schemaAt("/components/schemas/Problem")
	if err := problem.Validate(map[string]any{"type": "/api/docs#problem-NOPE", "title": "x", "status": json.Number("400"),
		"detail": "x", "code": "NOPE"}); err == nil {
		t.Error("the Problem schema accepts an unknown code")
	}
}

func TestAPIDocsPageListsEveryOperationAndProblemCode(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	doc := openAPIDoc(t, a)
	resp := a.doResp("", "GET", "/api/docs", nil, nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/docs: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	page := string(b)
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("id %q appears twice", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("link to #%s, which the page does not have", m[1])
		}
	}
	for key, op := range operations(doc) {
		method, path, _ := strings.Cut(key, " ")
		id := "op-" + op["operationId"].(string)
		if !ids[id] {
			t.Errorf("%s: no section #%s", key, id)
		}
		section := page[strings.Index(page, `id="`+id+`"`):]
		section = section[:strings.Index(section, "</article>")]
		for _, want := range []string{">" + method + "<", ">" + path + "<", htmlEscape(op["summary"].(string))} {
			if !strings.Contains(section, want) {
				t.Errorf("%s: the section does not show %q", key, want)
			}
		}
		if g, ok := op["x-required-grant"].(string); ok && !strings.Contains(section, "<code>"+g+"</code>") {
			t.Errorf("%s: the section does not name the grant %s", key, g)
		}
	}
	for name := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if !ids["schema-"+name] {
			t.Errorf("schema %s has no section", name)
		}
	}
	// Problem documents link here: every code has its anchor.
	for _, code := range []string{lt.EINVALID, lt.EUNAUTHENTICATED, lt.EFORBIDDEN, lt.ENOTFOUND, lt.ECONFLICT, lt.ETOOLARGE,
		lt.ERATELIMITED, lt.ETOKENINVALID, lt.ETOKENUSED, lt.ETOKENEXPIRED, lt.EUSERDISABLED, lt.EUNAVAILABLE, lt.EINTERNAL} {
		if !ids["problem-"+code] {
			t.Errorf("no anchor #problem-%s", code)
		}
	}
	p := a.problem("", "GET", "/api/v1/login-tokens", nil, 401, lt.EUNAUTHENTICATED)
	if path, frag, _ := strings.Cut(p.Type, "#"); path != "/api/docs" || !ids[frag] {
		t.Errorf("problem type %q does not lead to an anchor of this page", p.Type)
	}

	// Offline and script-free: nothing is loaded from anywhere, and the
	// policy allows exactly the page's one stylesheet.
	for _, bad := range []string{"<script", "src=", "<link", "<iframe", "@import", "url(", "//cdn"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=|javascript:`).FindString(page); m != "" {
		t.Errorf("the page has script in %q", m)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
	if len(style) != 1 {
		t.Fatalf("%d style elements, want 1", len(style))
	}
	sum := sha256.Sum256([]byte(style[0][1]))
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
		strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q does not allow exactly the page's style", csp)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
