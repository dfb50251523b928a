package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
)

// serve sends one request to the in-process API.
func (a *fuzzAPI) serve(t *testing.T, method, path, contentType, body, key string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, req)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// wantProblem checks a problem answer and returns it.
func wantProblem(t *testing.T, what string, res *http.Response, b []byte, status int, code string) httpapi.Problem {
	t.Helper()
	var p httpapi.Problem
	if res.StatusCode != status || res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(b, &p) != nil || p.Code != code {
		t.Fatalf("%s: %d %s %s, want a %d %s problem", what, res.StatusCode, res.Header.Get("Content-Type"), b, status, code)
	}
	return p
}

// wantField checks that a 400 names field with a message holding part.
func wantField(t *testing.T, what string, p httpapi.Problem, field, part string) {
	t.Helper()
	for _, fe := range p.Errors {
		if fe.Field == field && strings.Contains(fe.Message, part) {
			return
		}
	}
	t.Fatalf("%s: %+v names no %q with %q", what, p.Errors, field, part)
}

// operations of the API's own document, with their concrete paths.
func (a *fuzzAPI) documentedOperations(t *testing.T) (withBody, withoutBody []string) {
	t.Helper()
	res, b := a.serve(t, "GET", "/api/openapi.json", "", "", "")
	if res.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", res.StatusCode)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	shop, err := a.store.FindShops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, b = a.serve(t, "POST", "/api/v1/webhooks", "application/json", `{"url": "http://127.0.0.1:9/hook", "events": ["token.created"]}`, a.admin)
	var hook struct{ ID int64 }
	if res.StatusCode != 201 || json.Unmarshal(b, &hook) != nil {
		t.Fatalf("create a webhook: %d %s", res.StatusCode, b)
	}
	ids := strings.NewReplacer(
		"/webhooks/{id}", "/webhooks/"+strconv.FormatInt(hook.ID, 10),
		"{deliveryId}", "1",
		"/login-tokens/{id}", "/login-tokens/"+a.token,
		"/contacts/{id}", "/contacts/"+strconv.FormatInt(a.contact, 10),
		"/customers/{id}", "/customers/"+strconv.FormatInt(a.customer, 10),
		"/companies/{id}", "/companies/"+strconv.FormatInt(a.company, 10),
		"/shops/{id}", "/shops/"+strconv.FormatInt(shop[0].ID, 10),
		"/api-keys/{id}", "/api-keys/aaaaaaaaaaaaaaaa",
	)
	for key, op := range operations(doc) {
		method, path, _ := strings.Cut(key, " ")
		key = method + " " + ids.Replace(path)
		if _, ok := op["requestBody"]; ok {
			if rb := op["requestBody"].(map[string]any); rb["required"] != true {
				t.Errorf("%s: the document does not mark its body required", key)
			}
			withBody = append(withBody, key)
		} else if method != "GET" && method != "HEAD" {
			withoutBody = append(withoutBody, key)
		}
	}
	slices.Sort(withBody)
	slices.Sort(withoutBody)
	return withBody, withoutBody
}

func (a *fuzzAPI) keyFor(path string) string {
	if strings.HasSuffix(path, "/redeem") {
		return a.webshop
	}
	return a.admin
}

func TestEveryBodyIsRequiredAndParsedStrictly(t *testing.T) {
	a := newFuzzAPI(t)
	if _, _, err := a.store.CreateShop(ctx, lt.Actor{Name: "test"}, lt.NewShop{Name: "Shop", RedirectURIs: []string{"https://shop.test/cb"}}); err != nil {
		t.Fatal(err)
	}
	withBody, withoutBody := a.documentedOperations(t)
	if len(withBody) < 10 || len(withoutBody) < 5 {
		t.Fatalf("only %d operations with a body and %d without", len(withBody), len(withoutBody))
	}
	for _, op := range withBody {
		method, path, _ := strings.Cut(op, " ")
		key := a.keyFor(path)

		res, b := a.serve(t, method, path, "application/json", "", key)
		wantField(t, op+" with no body", wantProblem(t, op+" with no body", res, b, 400, lt.EINVALID), "body", "")

		if strings.HasSuffix(path, "/import") {
			// An import streams: a row with a key twice is that row's
			// error (TestDuplicateKeysAreRefusedAtAnyDepth), a syntax
			// error is placed by its byte.
			res, b = a.serve(t, method, path, "application/json", `[{"email" 1}]`, key)
			wantField(t, op+" with a syntax error", wantProblem(t, op+" with a syntax error", res, b, 400, lt.EINVALID), "body", "at byte 11")
			continue
		}
		res, b = a.serve(t, method, path, "application/json", `{"name": "A", "name": "B"}`, key)
		wantField(t, op+" with a key twice", wantProblem(t, op+" with a key twice", res, b, 400, lt.EINVALID), "name", "twice")

		res, b = a.serve(t, method, path, "application/json", "{\n  \"name\": \"A\",\n  \"x\" 1\n}", key)
		wantField(t, op+" with a syntax error", wantProblem(t, op+" with a syntax error", res, b, 400, lt.EINVALID), "body", "line 3, column 7")

		res, b = a.serve(t, method, path, "application/json", "{\"name\": \"Å\"", key)
		wantField(t, op+" cut short", wantProblem(t, op+" cut short", res, b, 400, lt.EINVALID), "body", "ends too early (line 1, column 13)")
	}
	for _, op := range withoutBody {
		method, path, _ := strings.Cut(op, " ")
		key := a.keyFor(path)
		res, b := a.serve(t, method, path, "application/json", `{"x": 1}`, key)
		wantField(t, op+" with a field", wantProblem(t, op+" with a field", res, b, 400, lt.EINVALID), "x", "unknown field")

		res, b = a.serve(t, method, path, "text/plain", "please", key)
		wantField(t, op+" with text", wantProblem(t, op+" with text", res, b, 400, lt.EINVALID), "body", "takes no body")
	}
	// Refused before anything happened: the token is still there.
	if _, err := a.store.FindTokenByID(ctx, a.token); err != nil {
		t.Fatalf("a refused DELETE deleted the token: %v", err)
	}
	// {} is what a client that always sends JSON sends: it is no body.
	res, b := a.serve(t, "POST", "/api/v1/login-tokens/"+a.token+"/regenerate", "application/json", " {} ", a.admin)
	if res.StatusCode != 200 {
		t.Fatalf("regenerate with {}: %d %s", res.StatusCode, b)
	}
}

func TestDuplicateKeysAreRefusedAtAnyDepth(t *testing.T) {
	a := newFuzzAPI(t)
	res, b := a.serve(t, "POST", "/api/v1/login-tokens", "application/json", `{"contactId": 2, "contactId": 3}`, a.admin)
	wantField(t, "top level", wantProblem(t, "top level", res, b, 400, lt.EINVALID), "contactId", "given twice")

	// In an import row, the row says so and nothing of it is imported.
	body := `[{"companyId": 1, "firstName": "A", "email": "a@x.test", "email": "b@x.test"}]`
	res, b = a.serve(t, "POST", "/api/v1/contacts/import", "application/json", body, a.admin)
	if res.StatusCode != 200 || !bytes.Contains(b, []byte("twice")) {
		t.Fatalf("import with a key twice in a row: %d %s", res.StatusCode, b)
	}
}

func TestUnknownPathsAndMethodsAnswerProblems(t *testing.T) {
	a := newFuzzAPI(t)
	value := "lt_abcdefghijklmnop_SecretSecretSecretSecretSecret12"
	for _, path := range []string{"/api/nope", "/api/v1/login-tokenz", "/api/v2/login-tokens", "/api/v1/" + value} {
		res, b := a.serve(t, "GET", path, "", "", a.admin)
		wantProblem(t, "GET "+path, res, b, 404, lt.ENOTFOUND)
		if bytes.Contains(b, []byte("Secret")) {
			t.Fatalf("GET %s echoes the path: %s", path, b)
		}
	}
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/login-tokens", "GET, HEAD, POST"},
		{"POST", "/api/v1/login-tokens/" + "abcdefghijklmnop", "GET, HEAD, PATCH, DELETE"},
		{"PUT", "/api/v1/shops/1/rotate-secret", "POST"},
		{"DELETE", "/api/openapi.json", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"PUT", "/.well-known/jwks.json", "GET, HEAD"},
	} {
		res, b := a.serve(t, c.method, c.path, "", "", a.admin)
		p := wantProblem(t, c.method+" "+c.path, res, b, 405, lt.EMETHOD)
		if got := res.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		if !strings.Contains(p.Detail, c.allow) {
			t.Errorf("%s %s: detail %q does not name the methods", c.method, c.path, p.Detail)
		}
	}
	// A malformed id is malformed (400), an unknown one unknown (404).
	for _, path := range []string{"/api/v1/login-tokens/NOPE", "/api/v1/companies/abc", "/api/v1/shops/-1"} {
		res, b := a.serve(t, "GET", path, "", "", a.admin)
		wantField(t, "GET "+path, wantProblem(t, "GET "+path, res, b, 400, lt.EINVALID), "id", "is not a valid")
	}
	res, b := a.serve(t, "GET", "/api/v1/login-tokens/"+value, "", "", a.admin)
	wantField(t, "a value as id", wantProblem(t, "a value as id", res, b, 400, lt.EINVALID), "id", "not its value")
	if bytes.Contains(b, []byte("Secret")) {
		t.Fatalf("a value as id is echoed: %s", b)
	}
	res, b = a.serve(t, "GET", "/api/v1/login-tokens/zzzzzzzzzzzzzzzz", "", "", a.admin)
	wantProblem(t, "an unknown id", res, b, 404, lt.ENOTFOUND)
}

func TestNoOCIURLWhilePunchoutIsOff(t *testing.T) {
	a := newAPI(t, "sqlite", 0, func(c *httpapi.Config, _ *http.Server) { c.OCIPunchout = false })
	var created map[string]any
	a.json("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{}, 201, &created)
	if v, ok := created["ociUrl"]; !ok || v != nil {
		t.Fatalf("ociUrl = %v (present %v), want null while OCI punchout is off", v, ok)
	}
	if created["loginUrl"] == nil {
		t.Fatal("no loginUrl")
	}
	var revealed map[string]any
	a.json("configuration:editor", "GET", "/api/v1/login-tokens/"+created["id"].(string)+"/value", nil, 200, &revealed)
	if v, ok := revealed["ociUrl"]; !ok || v != nil {
		t.Fatalf("revealed ociUrl = %v, want null", v)
	}
}

func TestAForbiddenAnswerSaysWhichGrantCoversWhat(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	p := a.problem("users:editor", "GET", "/api/v1/login-tokens", nil, 403, lt.EFORBIDDEN)
	for _, want := range []string{"configuration:viewer", "configuration holds login tokens", "this key has users:editor"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("403 detail %q lacks %q", p.Detail, want)
		}
	}
}
