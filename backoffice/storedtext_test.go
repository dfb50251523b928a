package backoffice_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// Every form that stores text refuses a pasted token value or API key (a
// 400 with a message at the field) and bidirectional controls; the form
// comes back with the value cut to its id, never with the secret. A CSV
// import fails the row naming the column. The email of a failed sign-in
// is recorded with its secret cut.
func TestStoredTextRefusesSecretsAndFormsNeverEchoThem(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.signedIn("all@shop.test", "configuration:owner", "users:owner")
		_, key, err := w.Store.CreateAPIKey(ctx, lt.NewAPIKey{Name: "k", Kind: lt.KeyWebshop})
		if err != nil {
			t.Fatal(err)
		}
		tok := w.customerT
		cut := "lt_" + tok.ID + "_…"
		staff := w.staff("someone@shop.test", "configuration:viewer")
		company, customer := strconv.FormatInt(w.company.ID, 10), strconv.FormatInt(w.customer.ID, 10)
		person := func(field, v string) url.Values {
			f := url.Values{"firstName": {"Ann"}, "lastName": {"Lee"}, "email": {"ann@example.test"}}
			f.Set(field, v)
			return f
		}
		cases := []struct {
			page, path string
			form       func(v string) url.Values
			errorAt    string // the element id of the field's message
			label      string
		}{
			{"/admin/settings/api-keys/new", "/admin/settings/api-keys", func(v string) url.Values {
				return url.Values{"name": {v}, "kind": {"webshop"}}
			}, "api-key-name-error", "Name"},
			{"/admin/settings/staff/new", "/admin/settings/staff", func(v string) url.Values {
				return url.Values{"email": {"new@shop.test"}, "name": {v}, "grants": {"configuration:viewer"}}
			}, "staff-name-error", "Name"},
			{"/admin/settings/staff/new", "/admin/settings/staff", func(v string) url.Values {
				return url.Values{"email": {v}, "grants": {"configuration:viewer"}}
			}, "staff-email-error", "Email"},
			{"/admin/settings/staff", fmt.Sprintf("/admin/settings/staff/%d", staff.ID), func(v string) url.Values {
				return url.Values{"name": {v}, "grants": {"configuration:viewer"}}
			}, "staff-name-error", "Name"},
			{"/admin/companies/new", "/admin/companies", func(v string) url.Values { return url.Values{"name": {v}} }, "company-name-error", "Name"},
			{"/admin/companies", "/admin/companies/" + company, func(v string) url.Values {
				return url.Values{"name": {"Acme"}, "externalId": {v}}
			}, "company-external-id-error", "External id"},
			{"/admin/customers/new", "/admin/customers", func(v string) url.Values { return person("firstName", v) }, "customer-first-name-error", "First name"},
			{"/admin/customers/new", "/admin/customers", func(v string) url.Values { return person("email", v) }, "customer-email-error", "Email"},
			{"/admin/customers", "/admin/customers/" + customer, func(v string) url.Values { return person("lastName", v) }, "customer-last-name-error", "Last name"},
			{"/admin/contacts/new", "/admin/contacts", func(v string) url.Values {
				f := person("externalId", v)
				f.Set("companyId", company)
				return f
			}, "contact-external-id-error", "External id"},
			{"/admin/login-tokens", "/admin/login-tokens", func(v string) url.Values {
				return url.Values{"user": {""}, "extra": {"fine\n" + v}}
			}, "new-extra-error", "Line 2"},
			{"/admin/login-tokens", "/admin/login-tokens/" + tok.ID, func(v string) url.Values {
				return url.Values{"user": {"customer:" + customer}, "clientTime": {"1"}, "expiresAt": {""}, "extra": {v}}
			}, "edit-extra-error", "Line 1"},
		}
		values := pastedShapes(tok)
		values["API key"] = key
		for _, c := range cases {
			for shape, v := range values {
				what := fmt.Sprintf("POST %s with %s", c.path, shape)
				b.get(c.page)
				status, body, _ := b.post(c.path, c.form(v))
				wantStatus(t, what, status, http.StatusBadRequest, body)
				mustContain(t, what, body, `id="`+c.errorAt+`">`+c.label+" holds a login token value or an API key")
				noSecret(t, what, body, tok)
				if strings.Contains(body, key[len(key)-16:]) {
					t.Fatalf("%s: the page holds the API key: %s", what, body)
				}
				if shape == "alone" && !strings.Contains(body, cut) {
					t.Errorf("%s: the form does not come back with the value cut to %s", what, cut)
				}
			}
			what := "POST " + c.path + " with a right-to-left override"
			status, body, _ := b.post(c.path, c.form("Ac\u202Eme"))
			wantStatus(t, what, status, http.StatusBadRequest, body)
			mustContain(t, what, body, `id="`+c.errorAt+`">`+c.label+" holds a bidirectional control")
		}
		if st, _ := w.Store.FindStaffByID(ctx, staff.ID); st.Name != staff.Name {
			t.Errorf("a refused form renamed the staff member to %q", st.Name)
		}
		if got, _ := w.Store.FindTokenByID(ctx, tok.ID); len(got.Extra) != 0 {
			t.Errorf("a refused form changed extra to %q", got.Extra)
		}

		// A CSV import: the row fails naming the column, without the value.
		b.get("/admin/customers/import")
		csv := "firstName,lastName,email\nOk,Fine,ok@example.test\n" + tok.Value + ",Lee,bad@example.test\n"
		status, body, _ := b.uploadCSV("/admin/customers/import", "customers.csv", []byte(csv))
		wantStatus(t, "import", status, http.StatusOK, body)
		mustContain(t, "import", body, `id="import-created">1<`, `id="import-failed">1<`, `<td class="num">2</td><td>firstName: holds a login token value`)
		noSecret(t, "import", body, tok)

		// A failed sign-in with a value for an email is audited without it.
		o := w.browser()
		o.get("/admin/login")
		o.post("/admin/login", url.Values{"email": {tok.Value}, "password": {"wrong password"}})
		var details string
		// The type is a constant: written into the query, which then needs
		// no placeholder (their syntax differs between the databases).
		if err := w.Store.DB().QueryRowContext(ctx, `SELECT details FROM audit_events WHERE type = '`+lt.EventStaffSignInFailed+`' ORDER BY id DESC LIMIT 1`).
			Scan(&details); err != nil {
			t.Fatal(err)
		}
		noSecret(t, "the failed sign-in's audit", details, tok)
		if !strings.Contains(details, tok.ID) {
			t.Errorf("the failed sign-in's audit names no token id: %s", details)
		}
	})
}
