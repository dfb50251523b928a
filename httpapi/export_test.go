package httpapi_test

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

var wantExportHeader = []string{"Id", "Name", "Type", "Email", "Company", "Expires At", "Last Accessed At",
	"Successful Attempts", "Failed Attempts", "Uses Allowed", "One Time Use", "Networks", "Extra", "Status", "Created At", "Updated At"}

// export fetches the CSV export and returns its body and its records
// (header first).
func (a *testAPI) exportCSV(query string) (string, [][]string) {
	a.t.Helper()
	resp := a.doResp("configuration:viewer", "GET", "/api/v1/login-tokens.csv"+query, nil, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		a.t.Fatalf("export %s: %d %s", query, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		a.t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="login-tokens.csv"` {
		a.t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		a.t.Fatalf("export %s is not CSV: %v\n%s", query, err, b)
	}
	if len(records) == 0 || !slices.Equal(records[0], wantExportHeader) {
		a.t.Fatalf("export header %v", records)
	}
	return string(b), records
}

func TestExportTokensAsCSVWithFiltersAndFormulaEscaping(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		co := a.dirCompany("@Evil Corp", nil)
		contact := a.dirContact(co.ID, "=cmd()", "Doe", "jane@evil.test")
		var customer dirPerson
		a.json("users:editor", "POST", "/api/v1/customers", map[string]any{"firstName": "+Plus", "lastName": "Minus", "email": "-carl@example.test"}, 201, &customer)
		expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		contactTok := a.createToken(map[string]any{"contactId": contact.ID, "oneTimeUse": true, "expiresAt": expires.Format(time.RFC3339),
			"extra": []string{"-2+3", "@SUM(A1:A9)", "plain"}})
		customerTok := a.createToken(map[string]any{"customerId": customer.ID})
		anonTok := a.createToken(map[string]any{"extra": []string{"=HYPERLINK(\"http://evil.test\")"}})
		a.json("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": customerTok.Value}, 200, nil)

		body, records := a.exportCSV("")
		if len(records) != 4 {
			t.Fatalf("%d rows, want a header and 3 tokens:\n%s", len(records), body)
		}
		for _, tok := range []tokenJSON{contactTok, customerTok, anonTok} {
			_, secret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
			if strings.Contains(body, tok.Value) || strings.Contains(body, secret) {
				t.Fatalf("the export holds a token value:\n%s", body)
			}
		}
		rows := map[string][]string{}
		for _, rec := range records[1:] {
			rows[rec[0]] = rec
			// No cell may start a formula.
			for i, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("column %s starts a formula: %q", wantExportHeader[i], cell)
				}
			}
		}
		c := rows[contactTok.ID]
		want := []string{contactTok.ID, "'=cmd() Doe", "Contact", "jane@evil.test", "'@Evil Corp", expires.Format(time.RFC3339), "",
			"0", "0", "1", "Yes", "", "'-2+3\n@SUM(A1:A9)\nplain", "Active"}
		if c == nil || !slices.Equal(c[:len(want)], want) {
			t.Fatalf("contact row\n got %q\nwant %q", c, want)
		}
		for _, i := range []int{14, 15} {
			if ts, err := time.Parse(time.RFC3339, c[i]); err != nil || ts.Location() != time.UTC || !strings.HasSuffix(c[i], "Z") {
				t.Errorf("%s %q is not an RFC 3339 UTC time", wantExportHeader[i], c[i])
			}
		}
		cu := rows[customerTok.ID]
		if cu == nil || cu[1] != "'+Plus Minus" || cu[2] != "Customer" || cu[3] != "'-carl@example.test" || cu[4] != "" ||
			cu[5] != "" || cu[6] == "" || cu[7] != "1" || cu[9] != "" || cu[10] != "No" {
			t.Errorf("customer row %q", cu)
		}
		an := rows[anonTok.ID]
		if an == nil || an[1] != "" || an[2] != "Anonymous" || an[3] != "" || an[12] != `'=HYPERLINK("http://evil.test")` {
			t.Errorf("anonymous row %q", an)
		}

		// The list's filters select the rows; paging does not cut them.
		if _, recs := a.exportCSV("?type=contact,customer&sort=name"); len(recs) != 3 || recs[1][0] != customerTok.ID || recs[2][0] != contactTok.ID {
			t.Errorf("type filter sorted by name: %q", recs)
		}
		if _, recs := a.exportCSV("?oneTimeUse=true"); len(recs) != 2 || recs[1][0] != contactTok.ID {
			t.Errorf("oneTimeUse filter: %q", recs)
		}
		if _, recs := a.exportCSV("?q=hyperlink"); len(recs) != 2 || recs[1][0] != anonTok.ID {
			t.Errorf("q filter: %q", recs)
		}
		if _, recs := a.exportCSV("?successfulAttempts=gt:0"); len(recs) != 2 || recs[1][0] != customerTok.ID {
			t.Errorf("attempts filter: %q", recs)
		}
		if body, recs := a.exportCSV("?status=expired"); len(recs) != 1 {
			t.Errorf("no match should be the header alone: %q", body)
		}
		// An export is every matching row: paging is refused, not obeyed.
		p := a.problem("configuration:viewer", "GET", "/api/v1/login-tokens.csv?page=2&pageSize=1", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "page", "pageSize")
		p = a.problem("configuration:viewer", "GET", "/api/v1/login-tokens.csv?type=robot&status=old", nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "type", "status")
		p = a.problem("configuration:viewer", "GET", "/api/v1/login-tokens.csv?ids="+contactTok.Value, nil, 400, lt.EINVALID)
		wantFields(t, p.Errors, "ids")
	})
}
