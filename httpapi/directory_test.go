package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// wantFields checks that a problem names exactly these fields, in any order.
func wantFields(t *testing.T, errs []lt.FieldError, fields ...string) {
	t.Helper()
	var got []string
	for _, e := range errs {
		got = append(got, e.Field)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("problem names %v, want %v", got, want)
	}
}

type dirCompany struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	ExternalID *string `json:"externalId"`
}

type dirPerson struct {
	ID         int64   `json:"id"`
	CompanyID  *int64  `json:"companyId"`
	FirstName  string  `json:"firstName"`
	LastName   string  `json:"lastName"`
	Email      string  `json:"email"`
	ExternalID *string `json:"externalId"`
	Disabled   bool    `json:"disabled"`
}

func (a *testAPI) dirCompany(name string, ext any) dirCompany {
	a.t.Helper()
	var c dirCompany
	a.json("users:editor", "POST", "/api/v1/companies", map[string]any{"name": name, "externalId": ext}, 201, &c)
	return c
}

func (a *testAPI) dirContact(companyID int64, first, last, email string) dirPerson {
	a.t.Helper()
	var c dirPerson
	a.json("users:editor", "POST", "/api/v1/contacts",
		map[string]any{"companyId": companyID, "firstName": first, "lastName": last, "email": email}, 201, &c)
	return c
}

func TestCompaniesCreateGetListUpdateDelete(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		resp := a.doResp("users:editor", "POST", "/api/v1/companies", map[string]any{"name": " Acme ", "externalId": "ACME"}, nil)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		var acme dirCompany
		a.json("users:viewer", "GET", loc, nil, 200, &acme)
		if acme.Name != "Acme" || acme.ExternalID == nil || *acme.ExternalID != "ACME" || loc != fmt.Sprintf("/api/v1/companies/%d", acme.ID) {
			t.Fatalf("got %+v at %s", acme, loc)
		}
		a.dirCompany("Globex", nil)

		var l listJSON[dirCompany]
		a.json("users:viewer", "GET", "/api/v1/companies?q=acm&pageSize=1", nil, 200, &l)
		if l.ItemsFound != 1 || len(l.Items) != 1 || l.Items[0].ID != acme.ID || l.PageSize != 1 || l.Pages != 1 {
			t.Fatalf("list q=acm: %+v", l)
		}
		a.json("users:viewer", "GET", "/api/v1/companies?page=2&pageSize=1", nil, 200, &l)
		if l.ItemsFound != 2 || len(l.Items) != 1 || l.Items[0].Name != "Globex" || l.Page != 2 || l.Pages != 2 {
			t.Fatalf("list page 2: %+v", l)
		}
		p := a.problem("users:viewer", "GET", "/api/v1/companies?name=x", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "name")
		p = a.problem("users:viewer", "GET", "/api/v1/companies?pageSize=0&page=x&q=a&q=b", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "pageSize", "page", "q")

		// A patch changes what it names: a null externalId clears it.
		var got dirCompany
		a.json("users:editor", "PATCH", loc, map[string]any{"externalId": nil}, 200, &got)
		if got.Name != "Acme" || got.ExternalID != nil {
			t.Fatalf("patch externalId null: %+v", got)
		}
		a.json("users:editor", "PATCH", loc, map[string]any{"name": "Acme Corp"}, 200, &got)
		if got.Name != "Acme Corp" {
			t.Fatalf("patch name: %+v", got)
		}
		p = a.problem("users:editor", "PATCH", loc, map[string]any{"id": 7, "createdAt": "2026-01-01T00:00:00Z", "colour": "red", "name": nil}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "id", "createdAt", "colour", "name")
		p = a.problem("users:editor", "POST", "/api/v1/companies", map[string]any{"name": "  "}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "name")
		p = a.problem("users:editor", "POST", "/api/v1/companies", map[string]any{"name": "Other", "externalId": 5}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "externalId")
		a.json("users:editor", "PATCH", loc, map[string]any{"externalId": "ACME"}, 200, nil)
		a.problem("users:editor", "POST", "/api/v1/companies", map[string]any{"name": "Acme 2", "externalId": "ACME"}, 409, lt.ECONFLICT)

		if status, body := a.do("users:editor", "DELETE", loc, nil); status != 204 || len(body) != 0 {
			t.Fatalf("delete: %d %s", status, body)
		}
		a.problem("users:viewer", "GET", loc, nil, 404, lt.ENOTFOUND)
		a.problem("users:editor", "PATCH", loc, map[string]any{"name": "Back"}, 404, lt.ENOTFOUND)
		a.problem("users:editor", "DELETE", loc, nil, 404, lt.ENOTFOUND)
		for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999"} {
			a.problem("users:viewer", "GET", "/api/v1/companies/"+id, nil, 400, lt.EINVALID)
		}
	})
}

func TestContactsValidateNameTheirFieldsAndConflict(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		acme := a.dirCompany("Acme", "ACME")
		jane := a.dirContact(acme.ID, "Jane", "Doe", "Jane@Acme.test")
		if jane.Email != "jane@acme.test" || jane.CompanyID == nil || *jane.CompanyID != acme.ID || jane.Disabled {
			t.Fatalf("created %+v", jane)
		}
		cases := []struct {
			body   map[string]any
			fields []string
		}{
			{map[string]any{"companyId": acme.ID, "email": "x@acme.test", "lastName": "X", "nickname": "xx"}, []string{"nickname"}},
			{map[string]any{"companyId": acme.ID, "email": "not an email", "lastName": "X"}, []string{"email"}},
			{map[string]any{"companyId": 999999, "email": "x@acme.test", "lastName": "X"}, []string{"companyId"}},
			{map[string]any{"companyId": "one", "email": "x@acme.test", "lastName": "X"}, []string{"companyId"}},
			{map[string]any{"email": "x@acme.test", "lastName": "X"}, []string{"companyId"}},
			{map[string]any{"companyId": acme.ID, "email": "x@acme.test", "lastName": "X", "disabled": "no"}, []string{"disabled"}},
			{map[string]any{"companyId": acme.ID, "email": "x@acme.test", "lastName": "X", "id": 5, "updatedAt": "x"}, []string{"id", "updatedAt"}},
		}
		for _, c := range cases {
			p := a.problem("users:editor", "POST", "/api/v1/contacts", c.body, 400, lt.EINVALID)
			wantFields(t, p.Errors, c.fields...)
		}
		a.problem("users:editor", "POST", "/api/v1/contacts", "[]", 400, lt.EINVALID)

		// Duplicates among the not deleted contacts are conflicts.
		a.problem("users:editor", "POST", "/api/v1/contacts",
			map[string]any{"companyId": acme.ID, "lastName": "Two", "email": "JANE@acme.test"}, 409, lt.ECONFLICT)
		var bob dirPerson
		a.json("users:editor", "POST", "/api/v1/contacts",
			map[string]any{"companyId": acme.ID, "firstName": "Bob", "email": "bob@acme.test", "externalId": "C-1"}, 201, &bob)
		a.problem("users:editor", "POST", "/api/v1/contacts",
			map[string]any{"companyId": acme.ID, "lastName": "Other", "email": "other@acme.test", "externalId": "C-1"}, 409, lt.ECONFLICT)
		a.problem("users:editor", "PATCH", fmt.Sprintf("/api/v1/contacts/%d", bob.ID), map[string]any{"email": "jane@acme.test"}, 409, lt.ECONFLICT)

		// A patch changes only what it names.
		var got dirPerson
		a.json("users:editor", "PATCH", fmt.Sprintf("/api/v1/contacts/%d", jane.ID), map[string]any{"lastName": "Roe", "disabled": true}, 200, &got)
		if got.FirstName != "Jane" || got.LastName != "Roe" || got.Email != "jane@acme.test" || !got.Disabled || *got.CompanyID != acme.ID {
			t.Fatalf("patched %+v", got)
		}
		p := a.problem("users:editor", "PATCH", fmt.Sprintf("/api/v1/contacts/%d", jane.ID),
			map[string]any{"email": nil, "companyId": 999999}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "email")
		p = a.problem("users:editor", "PATCH", fmt.Sprintf("/api/v1/contacts/%d", jane.ID), map[string]any{"companyId": 999999}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "companyId")
		a.problem("users:editor", "PATCH", "/api/v1/contacts/nope", map[string]any{"lastName": "X"}, 400, lt.EINVALID)
		a.problem("users:viewer", "GET", "/api/v1/contacts/999999", nil, 404, lt.ENOTFOUND)

		// Lists: q, companyId, and unknown parameters refused by name.
		globex := a.dirCompany("Globex", nil)
		a.dirContact(globex.ID, "Gina", "Globe", "gina@globex.test")
		var l listJSON[dirPerson]
		a.json("users:viewer", "GET", fmt.Sprintf("/api/v1/contacts?companyId=%d", acme.ID), nil, 200, &l)
		if l.ItemsFound != 2 {
			t.Fatalf("contacts of acme: %+v", l)
		}
		a.json("users:viewer", "GET", "/api/v1/contacts?q=GLOBE", nil, 200, &l)
		if l.ItemsFound != 1 || l.Items[0].Email != "gina@globex.test" {
			t.Fatalf("q=GLOBE: %+v", l)
		}
		p = a.problem("users:viewer", "GET", "/api/v1/contacts?sort=name", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "sort")
		p = a.problem("users:viewer", "GET", "/api/v1/contacts?companyId=x", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "companyId")

		// A dirCompany with contacts stays.
		a.problem("users:editor", "DELETE", fmt.Sprintf("/api/v1/companies/%d", acme.ID), nil, 409, lt.ECONFLICT)
		a.json("users:viewer", "GET", fmt.Sprintf("/api/v1/companies/%d", acme.ID), nil, 200, nil)
	})
}

func TestDeletingAContactIsSoftAndItsTokensThenFailAsUserDisabled(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		acme := a.dirCompany("Acme", nil)
		jane := a.dirContact(acme.ID, "Jane", "Doe", "jane@acme.test")
		var tok struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		}
		a.json("configuration:editor", "POST", "/api/v1/login-tokens", map[string]any{"contactId": jane.ID}, 201, &tok)
		a.json("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": tok.Value}, 200, nil)

		if status, _ := a.do("users:editor", "DELETE", fmt.Sprintf("/api/v1/contacts/%d", jane.ID), nil); status != http.StatusNoContent {
			t.Fatalf("delete: %d", status)
		}
		a.problem("users:viewer", "GET", fmt.Sprintf("/api/v1/contacts/%d", jane.ID), nil, 404, lt.ENOTFOUND)
		var l listJSON[dirPerson]
		a.json("users:viewer", "GET", "/api/v1/contacts", nil, 200, &l)
		if l.ItemsFound != 0 || len(l.Items) != 0 {
			t.Fatalf("deleted contact listed: %+v", l)
		}
		var hits []map[string]any
		a.json("users:viewer", "GET", "/api/v1/users/search?q=jane", nil, 200, &hits)
		if len(hits) != 0 {
			t.Fatalf("deleted contact found: %v", hits)
		}
		a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": tok.Value}, 400, lt.EUSERDISABLED)
		// Its history stays: the token still names its user.
		var got struct {
			User *struct {
				Name string `json:"name"`
			} `json:"user"`
			SuccessfulAttempts int `json:"successfulAttempts"`
			FailedAttempts     int `json:"failedAttempts"`
		}
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+tok.ID, nil, 200, &got)
		if got.User == nil || got.User.Name != "Jane Doe" || got.SuccessfulAttempts != 1 || got.FailedAttempts != 1 {
			t.Fatalf("token after delete: %+v", got)
		}
		// The dirCompany has no contacts left, so it can go now.
		if status, _ := a.do("users:editor", "DELETE", fmt.Sprintf("/api/v1/companies/%d", acme.ID), nil); status != http.StatusNoContent {
			t.Fatalf("delete emptied company: %d", status)
		}
	})
}

func TestCustomersHaveNoCompanyAndDeleteSoftly(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var carl dirPerson
		a.json("users:editor", "POST", "/api/v1/customers",
			map[string]any{"firstName": "Carl", "lastName": "Cole", "email": "carl@example.test", "externalId": "K-1"}, 201, &carl)
		if carl.CompanyID != nil || carl.ExternalID == nil || *carl.ExternalID != "K-1" {
			t.Fatalf("created %+v", carl)
		}
		p := a.problem("users:editor", "POST", "/api/v1/customers",
			map[string]any{"firstName": "Co", "email": "co@example.test", "companyId": 1}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "companyId")
		a.problem("users:editor", "POST", "/api/v1/customers",
			map[string]any{"firstName": "Dup", "email": "CARL@example.test"}, 409, lt.ECONFLICT)
		path := fmt.Sprintf("/api/v1/customers/%d", carl.ID)
		var got dirPerson
		a.json("users:editor", "PATCH", path, map[string]any{"externalId": nil, "firstName": "Carlo"}, 200, &got)
		if got.FirstName != "Carlo" || got.LastName != "Cole" || got.ExternalID != nil {
			t.Fatalf("patched %+v", got)
		}
		a.json("users:viewer", "GET", path, nil, 200, &got)
		if got.FirstName != "Carlo" {
			t.Fatalf("get %+v", got)
		}
		var l listJSON[dirPerson]
		a.json("users:viewer", "GET", "/api/v1/customers?q=carlo", nil, 200, &l)
		if l.ItemsFound != 1 {
			t.Fatalf("list %+v", l)
		}
		a.problem("users:viewer", "GET", "/api/v1/customers?companyId=1", nil, 400, lt.EINVALID)
		if status, _ := a.do("users:editor", "DELETE", path, nil); status != 204 {
			t.Fatalf("delete: %d", status)
		}
		a.problem("users:viewer", "GET", path, nil, 404, lt.ENOTFOUND)
		a.problem("users:editor", "DELETE", path, nil, 404, lt.ENOTFOUND)
		// The email is free again.
		a.json("users:editor", "POST", "/api/v1/customers", map[string]any{"lastName": "New", "email": "carl@example.test"}, 201, nil)
	})
}

func TestUserSearchAnswersContactsAndCustomers(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		acme := a.dirCompany("Acme Corp", nil)
		jane := a.dirContact(acme.ID, "Jane", "Doe", "jane@example.test")
		a.json("users:editor", "POST", "/api/v1/customers", map[string]any{"firstName": "Carl", "lastName": "Acmeson", "email": "carl@example.test"}, 201, nil)
		var hits []lt.UserRef
		a.json("configuration:viewer", "GET", "/api/v1/users/search?q=acme", nil, 200, &hits)
		if len(hits) != 2 || hits[0].Type != lt.UserCustomer || hits[0].Company != nil ||
			hits[1].Type != lt.UserContact || hits[1].ID != jane.ID || hits[1].Name != "Jane Doe" || hits[1].Email != "jane@example.test" ||
			hits[1].Company == nil || hits[1].Company.ID != acme.ID || hits[1].Company.Name != "Acme Corp" {
			t.Fatalf("hits %+v", hits)
		}
		a.json("users:viewer", "GET", "/api/v1/users/search?q=example&limit=1", nil, 200, &hits)
		if len(hits) != 1 {
			t.Fatalf("limit 1: %d hits", len(hits))
		}
		status, body := a.do("users:viewer", "GET", "/api/v1/users/search?q=nobody", nil)
		if status != 200 || string(body) != "[]\n" {
			t.Fatalf("no hits: %d %s", status, body)
		}
		for _, q := range []string{"limit=0", "limit=101", "limit=ten", "limit=1&limit=2"} {
			p := a.problem("users:viewer", "GET", "/api/v1/users/search?"+q, nil, 400, lt.EINVALID)
			wantFields(t, p.Errors, "limit")
		}
		p := a.problem("users:viewer", "GET", "/api/v1/users/search?query=x", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "query")
	})
}

func TestPersonLanguageIsKeptAndAnUnsupportedOneNamed(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var cu lt.Customer
		a.json("users:editor", "POST", "/api/v1/customers", map[string]any{"lastName": "Müller", "email": "m@example.test", "language": " DE "}, 201, &cu)
		if cu.Language != "de" {
			t.Fatalf("language = %q, want de", cu.Language)
		}
		path := "/api/v1/customers/" + strconv.FormatInt(cu.ID, 10)
		p := a.problem("users:editor", "PATCH", path, map[string]any{"language": "fr"}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "language")
		var got lt.Customer
		a.json("users:editor", "PATCH", path, map[string]any{"language": ""}, 200, &got)
		if got.Language != "" {
			t.Fatalf("language = %q after clearing it", got.Language)
		}
		acme := a.dirCompany("Acme Corp", nil)
		p = a.problem("users:editor", "POST", "/api/v1/contacts",
			map[string]any{"companyId": acme.ID, "lastName": "Doe", "email": "d@example.test", "language": "xx"}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "language")
	})
}
