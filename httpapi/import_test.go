package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

var csvHeader = http.Header{"Content-Type": {"text/csv; charset=utf-8"}}

// importResult is the answer of an import.
type importResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Failed  []struct {
		Row     int    `json:"row"`
		Message string `json:"message"`
	} `json:"failed"`
}

// importAs posts an import body (JSON unless header says otherwise) and
// decodes the 200 answer.
func (a *testAPI) importAs(path string, body any, header http.Header) importResult {
	a.t.Helper()
	resp := a.doResp("users:editor", "POST", path, body, header)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res importResult
	if resp.StatusCode != 200 || json.Unmarshal(b, &res) != nil {
		a.t.Fatalf("import %s: %d %s", path, resp.StatusCode, b)
	}
	if res.Failed == nil {
		a.t.Fatalf("import %s: failed is not a list: %s", path, b)
	}
	return res
}

// wantResult checks the counts and that exactly the rows of failed failed,
// each with a message naming the field given.
func wantResult(t *testing.T, res importResult, created, updated int, failed map[int]string) {
	t.Helper()
	if res.Created != created || res.Updated != updated || len(res.Failed) != len(failed) {
		t.Fatalf("created %d updated %d failed %+v; want %d, %d, rows %v", res.Created, res.Updated, res.Failed, created, updated, failed)
	}
	for i, f := range res.Failed {
		if want, ok := failed[f.Row]; !ok || !strings.Contains(f.Message, want) {
			t.Errorf("row %d failed with %q; want rows %v", f.Row, f.Message, failed)
		}
		if i > 0 && res.Failed[i-1].Row >= f.Row {
			t.Errorf("failures out of row order: %+v", res.Failed)
		}
	}
}

func (a *testAPI) contactsByEmail() map[string]dirPerson {
	a.t.Helper()
	var l listJSON[dirPerson]
	a.json("users:viewer", "GET", "/api/v1/contacts?pageSize=500", nil, 200, &l)
	out := map[string]dirPerson{}
	for _, c := range l.Items {
		out[c.Email] = c
	}
	return out
}

func TestImportContactsFromJSONUpsertsAndBadRowsFailAlone(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		acme := a.dirCompany("Acme", "ACME")
		globex := a.dirCompany("Globex", "GLX")
		jane := a.dirContact(acme.ID, "Jane", "Doe", "jane@acme.test")
		res := a.importAs("/api/v1/contacts/import", []map[string]any{
			{"firstName": "Bob", "lastName": "Smith", "email": "bob@acme.test", "externalId": "C-1", "companyExternalId": "ACME"},
			{"firstName": "Janet", "lastName": "Doe", "email": "JANE@acme.test", "companyId": globex.ID},
			{"firstName": "Bad", "email": "not an email", "companyId": acme.ID},
			{"firstName": "Typed", "email": "typed@acme.test", "companyId": "one"},
			{"firstName": "Robert", "lastName": "Smith", "email": "bob@acme.test", "externalId": "C-1", "disabled": true},
			{"firstName": "Lost", "email": "lost@acme.test", "companyExternalId": "NOPE"},
		}, nil)
		wantResult(t, res, 1, 2, map[int]string{3: "email", 4: "companyId", 6: "companyExternalId"})
		got := a.contactsByEmail()
		if len(got) != 2 {
			t.Fatalf("contacts after import: %+v", got)
		}
		if j := got["jane@acme.test"]; j.ID != jane.ID || j.FirstName != "Janet" || *j.CompanyID != globex.ID {
			t.Errorf("jane %+v", j)
		}
		if b := got["bob@acme.test"]; b.FirstName != "Robert" || !b.Disabled || *b.CompanyID != acme.ID || *b.ExternalID != "C-1" {
			t.Errorf("bob %+v", b)
		}

		// A request the import cannot read as a whole imports nothing.
		p := a.problem("users:editor", "POST", "/api/v1/contacts/import",
			[]map[string]any{{"firstName": "Ann", "email": "ann@acme.test", "companyId": acme.ID, "emial": "x"}}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "emial")
		a.problem("users:editor", "POST", "/api/v1/contacts/import", map[string]any{"email": "ann@acme.test"}, 400, lt.EINVALID)
		a.problem("users:editor", "POST", "/api/v1/contacts/import?dryRun=true", []any{}, 400, lt.EINVALID)
		if _, ok := a.contactsByEmail()["ann@acme.test"]; ok {
			t.Fatal("a refused import created a contact")
		}
		// A customer import knows no company.
		p = a.problem("users:editor", "POST", "/api/v1/customers/import",
			[]map[string]any{{"firstName": "Cy", "email": "cy@example.test", "companyId": acme.ID}}, 400, lt.EINVALID)
		wantFields(t, p.Errors, "companyId")
		res = a.importAs("/api/v1/customers/import", []any{
			map[string]any{"firstName": "Cy", "email": "cy@example.test", "externalId": "K-1"},
			"not an object",
			map[string]any{"firstName": "Cyrus", "email": "cy@example.test"},
		}, nil)
		wantResult(t, res, 1, 1, map[int]string{2: "object"})
	})
}

func TestImportContactsFromCSV(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		acme := a.dirCompany("Acme", "ACME")
		a.dirContact(acme.ID, "Jane", "Doe", "jane@acme.test")
		body := "\uFEFFFirstName, lastName ,email,companyExternalId,externalId,disabled,companyId\r\n" +
			"Bob,Smith,bob@acme.test,ACME,C-1,no,\r\n" +
			"Janet,Doe,jane@acme.test,,,yes,\r\n" +
			"Mia,\"O'Neil, Jr.\",mia@acme.test,,C-2,,\r\n" + // no company: fails
			"Max,Moe,max@acme.test,ACME,,maybe,\r\n" + // bad boolean: fails
			"Short,row\r\n" + // wrong width: fails
			fmt.Sprintf("Zoe,Zed,zoe@acme.test,,,,%d\r\n", acme.ID)
		res := a.importAs("/api/v1/contacts/import", body, csvHeader)
		wantResult(t, res, 2, 1, map[int]string{3: "companyId", 4: "disabled", 5: "cells"})
		got := a.contactsByEmail()
		if j := got["jane@acme.test"]; j.FirstName != "Janet" || !j.Disabled {
			t.Errorf("jane %+v", j)
		}
		if b := got["bob@acme.test"]; b.ExternalID == nil || *b.ExternalID != "C-1" || b.Disabled {
			t.Errorf("bob %+v", b)
		}
		if _, ok := got["zoe@acme.test"]; !ok {
			t.Errorf("zoe missing: %+v", got)
		}
		// Semicolons, as European spreadsheets write; externalId finds Bob.
		res = a.importAs("/api/v1/contacts/import", "externalId;firstName;email\nC-1;Robert;bob@acme.test\n", csvHeader)
		wantResult(t, res, 0, 1, nil)
		if b := a.contactsByEmail()["bob@acme.test"]; b.FirstName != "Robert" || b.LastName != "Smith" || *b.CompanyID != acme.ID {
			t.Errorf("bob after the second import %+v", b)
		}

		for body, field := range map[string]string{
			"firstName,email,nickname\nAnn,ann@acme.test,A\n": "nickname",
			"firstName,lastName\nAnn,Lee\n":                   "email",
			"email,email\nann@acme.test,ann@acme.test\n":      "email",
		} {
			resp := a.doResp("users:editor", "POST", "/api/v1/contacts/import", body, csvHeader)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var p struct {
				Code   string          `json:"code"`
				Errors []lt.FieldError `json:"errors"`
			}
			if resp.StatusCode != 400 || json.Unmarshal(b, &p) != nil || p.Code != lt.EINVALID {
				t.Fatalf("%q: %d %s", body, resp.StatusCode, b)
			}
			wantFields(t, p.Errors, field)
		}
		for _, body := range []string{"", "email\n\"unterminated\n"} {
			if resp := a.doResp("users:editor", "POST", "/api/v1/contacts/import", body, csvHeader); resp.StatusCode != 400 {
				t.Errorf("%q: %d", body, resp.StatusCode)
			}
		}
		if resp := a.doResp("users:editor", "POST", "/api/v1/customers/import", "email\nx@y.test\n",
			http.Header{"Content-Type": {"text/plain"}}); resp.StatusCode != 400 {
			t.Errorf("text/plain import: %d", resp.StatusCode)
		}
		if _, ok := a.contactsByEmail()["ann@acme.test"]; ok {
			t.Fatal("a refused import created a contact")
		}
	})
}

func TestAnImportLargerThanItsLimitIsPayloadTooLarge(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		big := "[" + strings.Repeat(" ", 8<<20) + "]"
		a.problem("users:editor", "POST", "/api/v1/customers/import", big, 413, lt.ETOOLARGE)
		// Just under the limit is read (and is an empty import).
		res := a.importAs("/api/v1/customers/import", "["+strings.Repeat(" ", 8<<20-2)+"]", nil)
		wantResult(t, res, 0, 0, nil)
	})
}

func TestAnImportThatIsNotUTF8IsRefusedWhole(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		// A rune cut by the end, bytes no encoding allows, and invalid
		// bytes far enough in that they arrive in a later read.
		pad := strings.Repeat(`{"firstName":"Ann","lastName":"Lee","email":"ann@acme.test"},`, 2000)
		for name, c := range map[string]struct{ body, ct string }{
			"json":            {`[{"firstName":"An` + "\xff" + `n","email":"ann@acme.test"}]`, "application/json"},
			"json later read": {"[" + pad + `{"firstName":"B` + "\xc3\x28" + `","email":"b@acme.test"}]`, "application/json"},
			"json cut rune":   {`[{"firstName":"Ann","email":"ann@acme.test"}]` + "\xe2\x82", "application/json"},
			"csv":             {"firstName,email\nAn\xffn,ann@acme.test\n", "text/csv"},
		} {
			resp := a.doResp("users:editor", "POST", "/api/v1/customers/import", c.body, http.Header{"Content-Type": {c.ct}})
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var p struct {
				Code   string          `json:"code"`
				Errors []lt.FieldError `json:"errors"`
			}
			if resp.StatusCode != 400 || json.Unmarshal(b, &p) != nil || p.Code != lt.EINVALID {
				t.Fatalf("%s: %d %s", name, resp.StatusCode, b)
			}
			wantFields(t, p.Errors, "body")
		}
		var l listJSON[dirPerson]
		a.json("users:viewer", "GET", "/api/v1/customers", nil, 200, &l)
		if len(l.Items) != 0 {
			t.Fatalf("a refused import created customers: %+v", l.Items)
		}
	})
}
