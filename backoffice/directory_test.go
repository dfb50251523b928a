package backoffice_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// uploadCSV posts a file as the import form does, with the remembered
// CSRF token unless csrf is given.
func (b *browser) uploadCSV(path, name string, content []byte, csrf ...string) (int, string, http.Header) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	token := b.csrf
	if len(csrf) > 0 {
		token = csrf[0]
	}
	mw.WriteField("csrf", token)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.o.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

// mustContain fails unless body holds every part.
func mustContain(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Fatalf("%s: no %q in\n%s", what, p, body)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Fatalf("%s: %q should not be in\n%s", what, p, body)
		}
	}
}

func wantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, got, want, body)
	}
}

var createdID = regexp.MustCompile(`/(\d+)\?done=created$`)

// createdAt posts a new record's form and returns the new id.
func (b *browser) create(path string, form url.Values) int64 {
	b.t.Helper()
	status, body, h := b.post(path, form)
	wantStatus(b.t, "create "+path, status, http.StatusSeeOther, body)
	m := createdID.FindStringSubmatch(h.Get("Location"))
	if m == nil {
		b.t.Fatalf("create %s: redirect to %q", path, h.Get("Location"))
	}
	var id int64
	fmt.Sscan(m[1], &id)
	return id
}

func (o *testOffice) company(name string, ext ...string) *lt.Company {
	o.t.Helper()
	c := &lt.Company{Name: name}
	if len(ext) > 0 {
		c.ExternalID = &ext[0]
	}
	if err := o.Store.CreateCompany(ctx, c); err != nil {
		o.t.Fatal(err)
	}
	return c
}

func TestContactsListSearchCreateEditDisableDelete(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor", "configuration:viewer")
			acme, globex := o.company("Acme"), o.company("Globex")
			b := o.browser()
			b.signIn("editor@shop.test")

			status, body, _ := b.get("/admin/contacts")
			wantStatus(t, "empty list", status, 200, body)
			mustContain(t, "empty list", body, `id="new-contact"`, `id="import-contacts"`, "No contacts yet", `aria-current="page">Contacts`)

			// The form names each bad field next to it and keeps what was typed.
			status, body, _ = b.post("/admin/contacts", url.Values{"firstName": {"Jane"}, "email": {"not an email"}})
			wantStatus(t, "invalid contact", status, http.StatusBadRequest, body)
			mustContain(t, "invalid contact", body, `id="contact-email-error">Email is not an email address.`,
				`id="contact-company-error">Choose the contact&#39;s company.`, `value="Jane"`, `value="not an email"`)

			jane := b.create("/admin/contacts", url.Values{"firstName": {"Jane"}, "lastName": {"Doe"}, "email": {"Jane@Acme.test"},
				"companyId": {fmt.Sprint(acme.ID)}, "externalId": {"C-1"}})
			b.create("/admin/contacts", url.Values{"firstName": {"Hank"}, "lastName": {"Scorpio"}, "email": {"hank@globex.test"},
				"companyId": {fmt.Sprint(globex.ID)}})
			status, body, _ = b.get(fmt.Sprintf("/admin/contacts/%d?done=created", jane))
			wantStatus(t, "new contact page", status, 200, body)
			mustContain(t, "new contact page", body, "Created.", `value="jane@acme.test"`, `id="contact-save"`, `id="contact-disable"`,
				`id="contact-delete"`, `data-confirm="Delete Jane Doe? Their login tokens will stop working."`,
				fmt.Sprintf(`href="/admin/login-tokens?contactIds=%d"`, jane))

			// The same email again is a conflict, said next to the field.
			status, body, _ = b.post("/admin/contacts", url.Values{"lastName": {"Twin"}, "email": {"jane@acme.test"}, "companyId": {fmt.Sprint(acme.ID)}})
			wantStatus(t, "duplicate email", status, http.StatusConflict, body)
			mustContain(t, "duplicate email", body, `id="contact-email-error">A contact with this email exists.`)

			// Search and paging live in the URL.
			status, body, _ = b.get("/admin/contacts?q=acme")
			wantStatus(t, "search", status, 200, body)
			mustContain(t, "search", body, "Jane Doe", "Acme", `value="acme"`, `1–1 of 1 contact<`)
			mustNotContain(t, "search", body, "Scorpio")
			_, body, _ = b.get("/admin/contacts?pageSize=1")
			mustContain(t, "page 1", body, "1–1 of 2 contacts", `id="contacts-next"`, "Page 1 of 2", "Jane Doe")
			_, body, _ = b.get("/admin/contacts?pageSize=1&page=2")
			mustContain(t, "page 2", body, "2–2 of 2 contacts", `id="contacts-prev"`, "Hank Scorpio")
			_, body, _ = b.get(fmt.Sprintf("/admin/contacts?companyId=%d", globex.ID))
			mustContain(t, "by company", body, "Hank Scorpio", `id="contacts-company-filter"`)
			mustNotContain(t, "by company", body, "Jane Doe")

			// Edit, moving her to another company.
			status, body, h := b.post(fmt.Sprintf("/admin/contacts/%d", jane), url.Values{"firstName": {"Jane"}, "lastName": {"Roe"},
				"email": {"jane@acme.test"}, "companyId": {fmt.Sprint(globex.ID)}, "externalId": {""}})
			wantStatus(t, "edit", status, http.StatusSeeOther, body)
			if h.Get("Location") != fmt.Sprintf("/admin/contacts/%d?done=saved", jane) {
				t.Fatalf("edit went to %s", h.Get("Location"))
			}
			c, err := o.Store.FindContactByID(ctx, jane)
			if err != nil || c.LastName != "Roe" || c.CompanyID != globex.ID || c.ExternalID != nil {
				t.Fatalf("after edit: %+v %v", c, err)
			}

			// Disable from the list comes back to the list as it was.
			status, body, h = b.post(fmt.Sprintf("/admin/contacts/%d/disable", jane), url.Values{"next": {"/admin/contacts?q=roe"}})
			wantStatus(t, "disable", status, http.StatusSeeOther, body)
			if h.Get("Location") != "/admin/contacts?done=disabled&q=roe" {
				t.Fatalf("disable went to %s", h.Get("Location"))
			}
			if c, _ := o.Store.FindContactByID(ctx, jane); !c.Disabled {
				t.Fatal("not disabled")
			}
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "disabled in the list", body, `<span class="badge disabled">Disabled</span>`, "login tokens stop working",
				fmt.Sprintf(`action="/admin/contacts/%d/enable"`, jane))
			// A next outside the screen is ignored.
			_, _, h = b.post(fmt.Sprintf("/admin/contacts/%d/enable", jane), url.Values{"next": {"https://evil.example/"}})
			if h.Get("Location") != "/admin/contacts?done=enabled" {
				t.Fatalf("enable went to %s", h.Get("Location"))
			}
			if c, _ := o.Store.FindContactByID(ctx, jane); c.Disabled {
				t.Fatal("not enabled")
			}

			// Delete is soft: the contact leaves the list and its tokens fail.
			tok, err := o.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{ContactID: &jane})
			if err != nil {
				t.Fatal(err)
			}
			status, body, h = b.post(fmt.Sprintf("/admin/contacts/%d/delete", jane), url.Values{"next": {fmt.Sprintf("/admin/contacts/%d", jane)}})
			wantStatus(t, "delete", status, http.StatusSeeOther, body)
			if h.Get("Location") != "/admin/contacts?done=deleted" {
				t.Fatalf("delete went to %s", h.Get("Location"))
			}
			if _, err := o.Store.FindContactByID(ctx, jane); lt.ErrorCode(err) != lt.ENOTFOUND {
				t.Fatalf("after delete: %v", err)
			}
			_, body, _ = b.get("/admin/contacts?done=deleted")
			mustContain(t, "after delete", body, "Deleted.", "Hank Scorpio")
			mustNotContain(t, "after delete", body, "Jane")
			if res, err := o.Store.Redeem(ctx, lt.RedeemRequest{Value: tok.Value, Actor: "test"}); err != nil || res.Code != lt.EUSERDISABLED {
				t.Fatalf("redeem a deleted contact's token: %+v %v", res, err)
			}
			if status, body, _ := b.get(fmt.Sprintf("/admin/contacts/%d", jane)); status != http.StatusNotFound {
				t.Fatalf("deleted contact's page: %d\n%s", status, body)
			}
		})
	}
}

func TestCustomersCreateEditDisableDelete(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor")
			b := o.browser()
			b.signIn("editor@shop.test")
			b.get("/admin/customers")

			status, body, _ := b.post("/admin/customers", url.Values{"email": {""}})
			wantStatus(t, "invalid", status, http.StatusBadRequest, body)
			mustContain(t, "invalid", body, `id="customer-email-error">Email is required.`, `id="customer-last-name-error">A first or last name is required.`)
			mustNotContain(t, "invalid", body, "customer-company", `id="customer-tokens"`)

			bob := b.create("/admin/customers", url.Values{"firstName": {"Bob"}, "lastName": {"Buyer"}, "email": {"bob@example.test"}})
			b.create("/admin/customers", url.Values{"lastName": {"Other"}, "email": {"other@example.test"}})
			_, body, _ = b.get("/admin/customers?q=bob")
			mustContain(t, "search", body, "Bob Buyer", "1 customer<", fmt.Sprintf(`id="customer-%d"`, bob), `data-href="/admin/customers/`)
			mustNotContain(t, "search", body, "Other")

			status, body, _ = b.post(fmt.Sprintf("/admin/customers/%d", bob), url.Values{"firstName": {"Robert"}, "lastName": {"Buyer"}, "email": {"bob@example.test"}, "externalId": {"K-9"}})
			wantStatus(t, "edit", status, http.StatusSeeOther, body)
			c, _ := o.Store.FindCustomerByID(ctx, bob)
			if c.FirstName != "Robert" || c.ExternalID == nil || *c.ExternalID != "K-9" {
				t.Fatalf("after edit %+v", c)
			}
			b.post(fmt.Sprintf("/admin/customers/%d/disable", bob), url.Values{})
			if c, _ := o.Store.FindCustomerByID(ctx, bob); !c.Disabled {
				t.Fatal("not disabled")
			}
			_, body, _ = b.get(fmt.Sprintf("/admin/customers/%d", bob))
			mustContain(t, "disabled page", body, `id="customer-status">Disabled`, `id="customer-enable"`)
			b.post(fmt.Sprintf("/admin/customers/%d/enable", bob), url.Values{})
			if c, _ := o.Store.FindCustomerByID(ctx, bob); c.Disabled {
				t.Fatal("not enabled")
			}
			status, body, _ = b.post(fmt.Sprintf("/admin/customers/%d/delete", bob), url.Values{})
			wantStatus(t, "delete", status, http.StatusSeeOther, body)
			if _, err := o.Store.FindCustomerByID(ctx, bob); lt.ErrorCode(err) != lt.ENOTFOUND {
				t.Fatalf("after delete: %v", err)
			}
		})
	}
}

func TestCompaniesAndTheirDeleteRefusedWithContacts(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor")
			b := o.browser()
			b.signIn("editor@shop.test")
			b.get("/admin/companies")

			status, body, _ := b.post("/admin/companies", url.Values{"name": {"  "}})
			wantStatus(t, "invalid", status, http.StatusBadRequest, body)
			mustContain(t, "invalid", body, `id="company-name-error">Name is required.`)
			acme := b.create("/admin/companies", url.Values{"name": {"Acme"}, "externalId": {"ACME"}})
			b.create("/admin/companies", url.Values{"name": {"Globex"}})
			status, body, _ = b.post("/admin/companies", url.Values{"name": {"Acme again"}, "externalId": {"ACME"}})
			wantStatus(t, "duplicate externalId", status, http.StatusConflict, body)
			mustContain(t, "duplicate externalId", body, `id="company-external-id-error">A company with this externalId exists.`)

			_, body, _ = b.get("/admin/companies?q=acm")
			mustContain(t, "search", body, "Acme", "1 company<", `id="new-company"`)
			mustNotContain(t, "search", body, "Globex")
			// The contact form's company search asks the list as JSON.
			req, _ := http.NewRequest("GET", o.URL+"/admin/companies?q=glob", nil)
			req.Header.Set("Accept", "application/json")
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			js, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(js), `"name":"Globex"`) || !strings.Contains(string(js), `"itemsFound":1`) {
				t.Fatalf("company search: %d %s", resp.StatusCode, js)
			}

			status, body, _ = b.post(fmt.Sprintf("/admin/companies/%d", acme), url.Values{"name": {"Acme Corp"}, "externalId": {"ACME"}})
			wantStatus(t, "edit", status, http.StatusSeeOther, body)
			if c, _ := o.Store.FindCompanyByID(ctx, acme); c.Name != "Acme Corp" {
				t.Fatalf("after edit %+v", c)
			}

			// With a contact, delete is refused and says why and what to do.
			jane := &lt.Contact{CompanyID: acme, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
			if err := o.Store.CreateContact(ctx, jane); err != nil {
				t.Fatal(err)
			}
			_, body, _ = b.get(fmt.Sprintf("/admin/companies/%d", acme))
			mustContain(t, "company page", body, ">1 contact</a>", fmt.Sprintf(`href="/admin/contacts/new?companyId=%d"`, acme))
			status, body, _ = b.post(fmt.Sprintf("/admin/companies/%d/delete", acme), url.Values{"next": {"/admin/companies"}})
			wantStatus(t, "delete with contacts", status, http.StatusConflict, body)
			mustContain(t, "delete with contacts", body, `id="company-delete-error"`, "Acme Corp cannot be deleted while it has 1 contact. Delete them or move them to another company first.")
			if _, err := o.Store.FindCompanyByID(ctx, acme); err != nil {
				t.Fatalf("company gone: %v", err)
			}
			// Without, it goes.
			if err := o.Store.DeleteContact(ctx, jane.ID); err != nil {
				t.Fatal(err)
			}
			status, body, h := b.post(fmt.Sprintf("/admin/companies/%d/delete", acme), url.Values{"next": {"/admin/companies?q=acm"}})
			wantStatus(t, "delete", status, http.StatusSeeOther, body)
			if h.Get("Location") != "/admin/companies?done=deleted&q=acm" {
				t.Fatalf("delete went to %s", h.Get("Location"))
			}
			if _, err := o.Store.FindCompanyByID(ctx, acme); lt.ErrorCode(err) != lt.ENOTFOUND {
				t.Fatalf("after delete: %v", err)
			}
		})
	}
}

func TestImportCSVShowsASummaryWithFailedRows(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor")
			o.company("Acme", "ACME")
			b := o.browser()
			b.signIn("editor@shop.test")

			status, body, _ := b.get("/admin/contacts/import")
			wantStatus(t, "import page", status, 200, body)
			mustContain(t, "import page", body, `enctype="multipart/form-data"`, `id="import-file"`, `<label for="import-file">`, "<code>companyExternalId</code>")

			file := "companyExternalId;firstName;lastName;email;externalId\n" +
				"ACME;Jane;Doe;jane@acme.test;C-1\n" +
				"NOPE;Nobody;Here;nobody@acme.test;C-2\n" +
				"ACME;John;Doe;john@acme.test;C-3\n"
			status, body, _ = b.uploadCSV("/admin/contacts/import", "contacts.csv", []byte(file))
			wantStatus(t, "import", status, 200, body)
			mustContain(t, "import", body, `id="import-created">2<`, `id="import-updated">0<`, `id="import-failed">1<`, `id="import-failures"`,
				`<td class="num">2</td>`, "NOPE", "contacts.csv")
			if _, n, _ := o.Store.FindContacts(ctx, lt.DirectoryFilter{}); n != 2 {
				t.Fatalf("%d contacts after the import", n)
			}
			// Again: the same rows update.
			_, body, _ = b.uploadCSV("/admin/contacts/import", "contacts.csv", []byte(file))
			mustContain(t, "import again", body, `id="import-created">0<`, `id="import-updated">2<`)

			// A file that is wrong as a whole imports nothing and says why.
			status, body, _ = b.uploadCSV("/admin/contacts/import", "bad.csv", []byte("mail,name\nx@y.test,X\n"))
			wantStatus(t, "bad columns", status, http.StatusBadRequest, body)
			mustContain(t, "bad columns", body, `id="import-file-error"`, "The file was not imported.", "Column “mail”: unknown column")
			status, body, _ = b.uploadCSV("/admin/customers/import", "empty.csv", nil)
			wantStatus(t, "empty file", status, http.StatusBadRequest, body)
			mustContain(t, "empty file", body, "header row")

			status, body, _ = b.uploadCSV("/admin/customers/import", "customers.csv", []byte("email,firstName,disabled\nann@example.test,Ann,no\nbad,Bad,\n"))
			wantStatus(t, "customers", status, 200, body)
			mustContain(t, "customers", body, `id="import-created">1<`, `id="import-failed">1<`, "email: is not an email address")

			// Too large: back to the form, which says so.
			big := bytes.Repeat([]byte("x"), 8<<20+100<<10)
			status, _, h := b.uploadCSV("/admin/customers/import", "big.csv", big)
			if status != http.StatusSeeOther || h.Get("Location") != "/admin/customers/import?error=too-large" {
				t.Fatalf("too large: %d %s", status, h.Get("Location"))
			}
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "too large", body, "larger than 8 MB")
		})
	}
}

func TestUsersViewerSeesNoEditControlsAndIsRefusedChanges(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("viewer@shop.test", "users:viewer")
			o.staff("tokens@shop.test", "configuration:owner")
			acme := o.company("Acme")
			jane := &lt.Contact{CompanyID: acme.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
			if err := o.Store.CreateContact(ctx, jane); err != nil {
				t.Fatal(err)
			}
			bob := &lt.Customer{Person: lt.Person{LastName: "Bob", Email: "bob@example.test"}}
			if err := o.Store.CreateCustomer(ctx, bob); err != nil {
				t.Fatal(err)
			}
			b := o.browser()
			b.signIn("viewer@shop.test")
			b.get("/admin/contacts")
			for _, path := range []string{"/admin/contacts", "/admin/customers", "/admin/companies"} {
				status, body, _ := b.get(path)
				wantStatus(t, path, status, 200, body)
				mustNotContain(t, path, body, `id="new-`, `id="import-`, "/disable", "/delete", "/enable")
			}
			for _, path := range []string{fmt.Sprintf("/admin/contacts/%d", jane.ID), fmt.Sprintf("/admin/customers/%d", bob.ID), fmt.Sprintf("/admin/companies/%d", acme.ID)} {
				status, body, _ := b.get(path)
				wantStatus(t, path, status, 200, body)
				mustContain(t, path, body, `<fieldset class="plain" disabled>`)
				mustNotContain(t, path, body, "-save", "-delete", "-disable", "New contact")
			}
			for _, path := range []string{"/admin/contacts/new", "/admin/customers/new", "/admin/companies/new", "/admin/contacts/import", "/admin/customers/import"} {
				status, body, _ := b.get(path)
				wantStatus(t, path, status, http.StatusForbidden, body)
				mustContain(t, path, body, "users:editor")
			}
			posts := map[string]url.Values{
				"/admin/contacts":                                  {"lastName": {"X"}, "email": {"x@acme.test"}, "companyId": {fmt.Sprint(acme.ID)}},
				"/admin/customers":                                 {"lastName": {"X"}, "email": {"x@example.test"}},
				"/admin/companies":                                 {"name": {"X"}},
				fmt.Sprintf("/admin/contacts/%d", jane.ID):         {"lastName": {"X"}, "email": {"jane@acme.test"}, "companyId": {fmt.Sprint(acme.ID)}},
				fmt.Sprintf("/admin/contacts/%d/disable", jane.ID): {},
				fmt.Sprintf("/admin/contacts/%d/delete", jane.ID):  {},
				fmt.Sprintf("/admin/customers/%d/disable", bob.ID): {},
				fmt.Sprintf("/admin/customers/%d/delete", bob.ID):  {},
				fmt.Sprintf("/admin/companies/%d", acme.ID):        {"name": {"X"}},
				fmt.Sprintf("/admin/companies/%d/delete", acme.ID): {},
				fmt.Sprintf("/admin/customers/%d/enable", bob.ID):  {},
				fmt.Sprintf("/admin/contacts/%d/enable", jane.ID):  {},
			}
			for path, form := range posts {
				if status, body, _ := b.post(path, form); status != http.StatusForbidden {
					t.Fatalf("POST %s as users:viewer: %d\n%s", path, status, body)
				}
			}
			if status, body, _ := b.uploadCSV("/admin/contacts/import", "c.csv", []byte("email\nx@acme.test\n")); status != http.StatusForbidden {
				t.Fatalf("import as users:viewer: %d\n%s", status, body)
			}
			if c, _ := o.Store.FindContactByID(ctx, jane.ID); c.LastName != "Doe" || c.Disabled {
				t.Fatalf("the viewer changed %+v", c)
			}

			// Staff without a users grant get the 403 page, not the list.
			b2 := o.browser()
			b2.signIn("tokens@shop.test")
			status, body, _ := b2.get("/admin/contacts")
			wantStatus(t, "no users grant", status, http.StatusForbidden, body)
			mustContain(t, "no users grant", body, "users:viewer")
		})
	}
}

func TestDirectoryPostsWithoutTheCSRFTokenAreRefused(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor")
			acme := o.company("Acme")
			b := o.browser()
			b.signIn("editor@shop.test")
			b.get("/admin/companies")
			for _, path := range []string{"/admin/companies", fmt.Sprintf("/admin/companies/%d", acme.ID), fmt.Sprintf("/admin/companies/%d/delete", acme.ID)} {
				if status, body, _ := b.post(path, url.Values{"name": {"Evil"}, "csrf": {""}}); status != http.StatusForbidden {
					t.Fatalf("POST %s without CSRF: %d\n%s", path, status, body)
				}
			}
			if status, body, _ := b.uploadCSV("/admin/customers/import", "c.csv", []byte("email\nx@example.test\n"), "forged"); status != http.StatusForbidden {
				t.Fatalf("import without CSRF: %d\n%s", status, body)
			}
			if _, n, _ := o.Store.FindCompanies(ctx, lt.DirectoryFilter{}); n != 1 {
				t.Fatalf("%d companies", n)
			}
			if _, n, _ := o.Store.FindCustomers(ctx, lt.DirectoryFilter{}); n != 0 {
				t.Fatalf("%d customers", n)
			}
		})
	}
}

func TestPersonFormSetsChangesAndClearsTheLanguage(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor")
			acme := o.company("Acme")
			b := o.browser()
			b.signIn("editor@shop.test")
			contact := func(id int64) string {
				c, err := o.Store.FindContactByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return c.Language
			}
			customer := func(id int64) string {
				c, err := o.Store.FindCustomerByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return c.Language
			}
			for _, k := range []struct {
				one    string
				form   url.Values
				stored func(int64) string
			}{
				{"contact", url.Values{"lastName": {"Doe"}, "email": {"jane@acme.test"}, "companyId": {fmt.Sprint(acme.ID)}}, contact},
				{"customer", url.Values{"lastName": {"Buyer"}, "email": {"bob@example.test"}}, customer},
			} {
				path := "/admin/" + k.one + "s"
				with := func(lang string) url.Values {
					f := url.Values{"language": {lang}}
					for name, v := range k.form {
						f[name] = v
					}
					return f
				}

				// The new form offers the languages, none chosen.
				status, body, _ := b.get(path + "/new")
				wantStatus(t, k.one+" new form", status, 200, body)
				mustContain(t, k.one+" new form", body, `<select id="`+k.one+`-language" name="language"`,
					`<option value="">Not known</option>`, `<option value="en">English</option>`, `<option value="de">German</option>`)

				// A language that is not one of them is named next to its field.
				status, body, _ = b.post(path, with("fr"))
				wantStatus(t, k.one+" bad language", status, http.StatusBadRequest, body)
				mustContain(t, k.one+" bad language", body,
					`id="`+k.one+`-language-error">Language must be one of en, de, or empty when not known.`, `aria-invalid="true"`)
				if _, n, _ := o.Store.FindCustomers(ctx, lt.DirectoryFilter{}); k.one == "customer" && n != 0 {
					t.Fatalf("a customer with a bad language was created")
				}
				if _, n, _ := o.Store.FindContacts(ctx, lt.DirectoryFilter{}); k.one == "contact" && n != 0 {
					t.Fatalf("a contact with a bad language was created")
				}

				// Created with German (written as the import may write it).
				id := b.create(path, with(" DE "))
				if got := k.stored(id); got != "de" {
					t.Fatalf("%s created with language %q, want de", k.one, got)
				}
				_, body, _ = b.get(fmt.Sprintf("%s/%d", path, id))
				mustContain(t, k.one+" page", body, `<option value="de" selected>German</option>`)
				mustNotContain(t, k.one+" page", body, `<option value="en" selected>`)

				// Changed to English.
				status, body, _ = b.post(fmt.Sprintf("%s/%d", path, id), with("en"))
				wantStatus(t, k.one+" to English", status, http.StatusSeeOther, body)
				if got := k.stored(id); got != "en" {
					t.Fatalf("%s language %q, want en", k.one, got)
				}
				_, body, _ = b.get(fmt.Sprintf("%s/%d", path, id))
				mustContain(t, k.one+" page", body, `<option value="en" selected>English</option>`)

				// A bad value on the edit form leaves the stored one.
				status, body, _ = b.post(fmt.Sprintf("%s/%d", path, id), with("klingon"))
				wantStatus(t, k.one+" edit bad language", status, http.StatusBadRequest, body)
				mustContain(t, k.one+" edit bad language", body, `id="`+k.one+`-language-error">Language must be one of en, de`)
				if got := k.stored(id); got != "en" {
					t.Fatalf("%s language %q after a refused edit, want en", k.one, got)
				}

				// Cleared: not known.
				status, body, _ = b.post(fmt.Sprintf("%s/%d", path, id), with(""))
				wantStatus(t, k.one+" cleared", status, http.StatusSeeOther, body)
				if got := k.stored(id); got != "" {
					t.Fatalf("%s language %q after clearing, want none", k.one, got)
				}
				_, body, _ = b.get(fmt.Sprintf("%s/%d", path, id))
				mustNotContain(t, k.one+" cleared page", body, " selected>English", " selected>German")

				// The form's post needs the CSRF token like the others.
				if status, body, _ := b.post(fmt.Sprintf("%s/%d", path, id), url.Values{"language": {"de"}, "csrf": {""}}); status != http.StatusForbidden {
					t.Fatalf("%s language without CSRF: %d\n%s", k.one, status, body)
				}
				if got := k.stored(id); got != "" {
					t.Fatalf("%s language %q set without CSRF", k.one, got)
				}
			}
		})
	}
}
