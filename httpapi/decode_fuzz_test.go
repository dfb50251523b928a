package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// fuzzAPI is the whole API on a SQLite store, served in-process (no
// sockets: the fuzzer runs it many thousand times), with a key of every
// grant and a webshop key, and one record of each kind for PATCH to edit.
type fuzzAPI struct {
	h                 http.Handler
	store             *sqlstore.Store
	admin, webshop    string
	token             string
	contact, customer int64
	company           int64
}

func newFuzzAPI(tb testing.TB) *fuzzAPI {
	tb.Helper()
	st := sqlstoretest.Open(tb, "sqlite")
	signer := jwtsign.New(st, testPublicURL, testAudience)
	if err := signer.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httpapi.New(httpapi.Config{
		Store:     st,
		Redeem:    &redeem.Service{Store: st, Issuer: signer},
		Keys:      jwksAdapter{signer},
		PublicURL: testPublicURL,
		Logger:    logger,
	})
	mux := http.NewServeMux()
	api.Register(mux)
	a := &fuzzAPI{h: web.Middleware(mux, logger), store: st}
	var err error
	if _, a.admin, err = st.CreateAPIKey(ctx, lt.NewAPIKey{Name: "all", Kind: lt.KeyAdmin, Grants: lt.AllGrants()}); err != nil {
		tb.Fatal(err)
	}
	if _, a.webshop, err = st.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop}); err != nil {
		tb.Fatal(err)
	}
	co := &lt.Company{Name: "Acme"}
	if err := st.CreateCompany(ctx, co); err != nil {
		tb.Fatal(err)
	}
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := st.CreateContact(ctx, c); err != nil {
		tb.Fatal(err)
	}
	cu := &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Buyer", Email: "carl@home.test"}}
	if err := st.CreateCustomer(ctx, cu); err != nil {
		tb.Fatal(err)
	}
	a.company, a.contact, a.customer = co.ID, c.ID, cu.ID
	a.newToken(tb)
	return a
}

func (a *fuzzAPI) newToken(tb testing.TB) {
	tb.Helper()
	tok, err := a.store.CreateToken(ctx, lt.Actor{Name: "fuzz"}, lt.NewToken{ContactID: &a.contact})
	if err != nil {
		tb.Fatal(err)
	}
	a.token = tok.ID
}

// fuzzRoutes are the routes whose JSON bodies are fuzzed; %t, %c, %u and
// %o stand for the ids of the token, contact, customer and company.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/login-tokens"},
	{"PATCH", "/api/v1/login-tokens/%t"},
	{"POST", "/api/v1/login-tokens/lookup"},
	{"POST", "/api/v1/login-tokens/delete"},
	{"POST", "/api/v1/login-tokens/redeem"},
	{"POST", "/api/v1/contacts"},
	{"PATCH", "/api/v1/contacts/%c"},
	{"POST", "/api/v1/customers"},
	{"PATCH", "/api/v1/customers/%u"},
	{"POST", "/api/v1/companies"},
	{"PATCH", "/api/v1/companies/%o"},
	{"POST", "/api/v1/contacts/import"},
	{"POST", "/api/v1/api-keys"},
}

// FuzzAPIJSONBodies sends arbitrary bodies and Content-Types to the API's
// JSON routes through the real handler (authorization, decodeObject and
// the field getters, validation, the store). No answer is a 500 or a
// panic; every 2xx body is valid JSON; every 400 is a problem that names
// at least one field, each entry with its field (the redeem route's
// outcomes, which concern the token and not a field, excepted).
func FuzzAPIJSONBodies(f *testing.F) {
	bodies := []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"a":1}`, `{"contactId":1}`, `{"contactId":1,"customerId":1}`,
		`{"contactId":-1}`, `{"contactId":0}`, `{"contactId":1.5}`, `{"contactId":1e400}`, `{"contactId":9223372036854775808}`,
		`{"contactId":"1"}`, `{"customerId":null}`, `{"expiresAt":"2020-01-01T00:00:00Z"}`, `{"expiresAt":"2999-12-31T23:00:00Z"}`,
		`{"expiresAt":"9999-12-31T23:59:59-23:59"}`, `{"expiresAt":"0000-01-01T00:00:00+01:00"}`, `{"expiresAt":null}`,
		`{"expiresAt":"tomorrow"}`, `{"expiresAt":1}`, `{"oneTimeUse":true}`, `{"oneTimeUse":"yes"}`, `{"oneTimeUse":null}`,
		`{"extra":["OCI for Acme","  "]}`, `{"extra":["a",1]}`, `{"extra":null}`, `{"extra":"a"}`, `{"extra":["a\nb"]}`,
		`{"extra":["\xff"]}`, `{"extra":[],"extra":null}`, `{"anonymous":true}`, `{"anonymous":false}`,
		`{"successfulAttempts":3,"id":"x"}`, `{"contactId":1,"anonymous":true}`, `{"value":"lt_abcdefghijklmnop_SecretSecretSecretSecret"}`,
		`{"value":1}`, `{"ids":[]}`, `{"ids":["abcdefghijklmnop"]}`, `{"ids":["lt_abcdefghijklmnop_SecretSecretSecretSecret"]}`,
		`{"ids":"x"}`, `{"token":"garbage"}`, `{"token":"x","clientIp":"::ffff:203.0.113.7"}`, `{"token":"x","clientIp":"localhost"}`,
		`{"token":"x","userAgent":"` + strings.Repeat("u", 1001) + `"}`, `{"companyId":1,"firstName":"Jane","lastName":"Doe","email":"j@x.test"}`,
		`{"firstName":"<script>alert(1)</script>","email":"not an email"}`, `{"name":"Acme","externalId":"A-1"}`, `{"name":""}`,
		`{"disabled":true}`, `[{"companyId":1,"firstName":"A","email":"a@x.test"},{"email":3}]`, `[1,2]`,
		`{"name":"ci","kind":"webshop"}`, `{"name":"ci","grants":["configuration:god"]}`, `{"name":"ci","kind":"admin","grants":["users:viewer"]}`,
		`{"a":1`, `{"a":1}{"b":2}`, "\ufeff{}", `{"contactId":1}` + strings.Repeat(" ", 10),
	}
	types := []string{"application/json", "", "application/merge-patch+json", "text/plain", "application/json; charset=utf-8", "text/csv", "multipart/form-data; boundary=x"}
	for i, b := range bodies {
		for r := range fuzzRoutes {
			f.Add(uint8(r), types[(i+r)%len(types)], []byte(b))
		}
	}
	a := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := strings.NewReplacer("%t", a.token, "%c", strconv.FormatInt(a.contact, 10),
			"%u", strconv.FormatInt(a.customer, 10), "%o", strconv.FormatInt(a.company, 10)).Replace(rt.path)
		req := httptest.NewRequest(rt.method, path, bytes.NewReader(body))
		if contentType != "" {
			req.Header["Content-Type"] = []string{contentType}
		}
		key := a.admin
		if strings.HasSuffix(path, "/redeem") {
			key = a.webshop
		}
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		a.h.ServeHTTP(w, req)
		res := w.Result()
		got, _ := io.ReadAll(res.Body)

		what := rt.method + " " + rt.path + " " + strconv.Quote(contentType) + " " + strconv.Quote(string(body))
		switch {
		case res.StatusCode >= 500:
			t.Fatalf("%s: %d %s", what, res.StatusCode, got)
		case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
			t.Fatalf("%s: %d %s: the body changed who the caller is", what, res.StatusCode, got)
		case res.StatusCode < 300:
			if res.StatusCode != http.StatusNoContent && !json.Valid(got) {
				t.Fatalf("%s: %d with a body that is not JSON: %q", what, res.StatusCode, got)
			}
		default:
			var p httpapi.Problem
			if res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(got, &p) != nil || p.Status != res.StatusCode {
				t.Fatalf("%s: %d is no problem document: %s", what, res.StatusCode, got)
			}
			if res.StatusCode == http.StatusBadRequest && !(rt.path == "/api/v1/login-tokens/redeem" && lt.IsRedeemCode(p.Code)) {
				if p.Code != lt.EINVALID || len(p.Errors) == 0 {
					t.Fatalf("%s: a 400 that names no field: %s", what, got)
				}
				for _, fe := range p.Errors {
					// A field, column or parameter whose name is empty is
					// named as what it is: "".
					if fe.Message == "" || (fe.Field == "" && !strings.HasPrefix(fe.Message, "unknown")) {
						t.Fatalf("%s: an entry without its field or message: %s", what, got)
					}
				}
			}
		}
		// The next run has a token to PATCH even after a bulk delete.
		if rt.path == "/api/v1/login-tokens/delete" && res.StatusCode == http.StatusOK {
			if _, err := a.store.FindTokenByID(ctx, a.token); lt.ErrorCode(err) == lt.ENOTFOUND {
				a.newToken(t)
			}
		}
	})
}
