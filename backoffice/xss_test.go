package backoffice_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// Hostile strings as a name, an email, a company or an extra line: a
// script element, and an attribute break-out with an event handler.
const (
	xssScript = `<script>alert(1)</script>`
	xssAttr   = `"><img src=x onerror=alert(1)>`
)

// escapedForms are how html/template writes them into text and attribute
// values; rawForms must never appear in a page.
var (
	rawForms     = []string{xssScript, `<img src=x onerror=alert(1)>`}
	escapedForms = []string{`&lt;script&gt;alert(1)&lt;/script&gt;`, `&#34;&gt;&lt;img src=x onerror=alert(1)&gt;`}
)

// wantEscaped fails when a page holds a hostile string as markup, or does
// not show it at all (then the test would prove nothing).
func wantEscaped(t *testing.T, what, body string) {
	t.Helper()
	for _, raw := range rawForms {
		if strings.Contains(body, raw) {
			t.Errorf("%s holds the markup %s unescaped", what, raw)
		}
	}
	for _, esc := range escapedForms {
		if !strings.Contains(body, esc) {
			t.Errorf("%s does not show %s escaped as %s", what, unescaped(esc), esc)
		}
	}
}

func unescaped(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(s)
}

func TestHostileNamesAndExtraAreEscapedInEveryScreenAndTheExport(t *testing.T) {
	o := newOffice(t, "sqlite")
	co := &lt.Company{Name: xssScript + " " + xssAttr}
	if err := o.Store.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	ext := xssAttr + xssScript
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: xssScript, LastName: xssAttr, Email: "jane@acme.test", ExternalID: &ext}}
	if err := o.Store.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	cu := &lt.Customer{Person: lt.Person{FirstName: xssAttr, LastName: xssScript, Email: "carl@home.test"}}
	if err := o.Store.CreateCustomer(ctx, cu); err != nil {
		t.Fatal(err)
	}
	tok, err := o.Store.CreateToken(ctx, lt.Actor{Name: "cli"}, lt.NewToken{ContactID: &c.ID, Extra: []string{xssScript, xssAttr}})
	if err != nil {
		t.Fatal(err)
	}
	o.staff("all@shop.test", "configuration:owner", "users:editor")
	b := o.browser()
	b.signIn("all@shop.test")

	for _, path := range []string{
		"/admin/login-tokens", // the list: name, company, extra
		"/admin/login-tokens?q=" + url.QueryEscape(xssScript), // and its search box and filter chips
		"/admin/login-tokens/" + tok.ID,                       // the token's dialog
		"/admin/contacts",
		"/admin/contacts/" + strconv.FormatInt(c.ID, 10),
		"/admin/customers",
		"/admin/customers/" + strconv.FormatInt(cu.ID, 10),
		"/admin/companies",
		"/admin/companies/" + strconv.FormatInt(co.ID, 10),
	} {
		status, body, h := b.get(path)
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, status, h.Get("Content-Type"))
		}
		wantEscaped(t, "GET "+path, body)
	}

	// "Open webshop as" names the person on its page.
	status, body, _ := b.post("/admin/impersonate", url.Values{"type": {"contact"}, "id": {strconv.FormatInt(c.ID, 10)}})
	if status != http.StatusOK {
		t.Fatalf("impersonate: %d", status)
	}
	for _, raw := range rawForms {
		if strings.Contains(body, raw) {
			t.Errorf("the impersonation page holds %s unescaped", raw)
		}
	}
	if !strings.Contains(body, escapedForms[0]) {
		t.Error("the impersonation page does not show the name escaped")
	}

	// The user picker answers JSON, which the browser does not sniff as
	// HTML; tokens.js puts it into the page as text.
	status, body, h := b.get("/admin/users/search?q=jane")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("user search: %d %s %s", status, h.Get("Content-Type"), h.Get("X-Content-Type-Options"))
	}
	for _, raw := range rawForms {
		if strings.Contains(body, raw) {
			t.Errorf("the user search holds %s unescaped: %s", raw, body)
		}
	}

	// The export is a CSV download, never a page: quoted as CSV, the
	// strings come back intact, and the browser saves rather than renders.
	status, body, h = b.get("/admin/login-tokens.csv")
	if status != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", status, h)
	}
	if !strings.Contains(body, `""><img src=x onerror=alert(1)>`) {
		t.Errorf("the export does not quote the attribute break-out as CSV:\n%s", body)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var row []string
	for _, rec := range records {
		if rec[0] == tok.ID {
			row = rec
		}
	}
	if joined := strings.Join(row, "\x00"); !strings.Contains(joined, "\x00"+xssScript+" "+xssAttr+"\x00") ||
		!strings.Contains(joined, "\x00"+xssScript+"\n"+xssAttr+"\x00") {
		t.Errorf("the export's row %q does not carry the name, company and extra intact", row)
	}
}
