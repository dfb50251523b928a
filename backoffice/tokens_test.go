package backoffice_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// tokWorld is an office with a directory and three tokens: one for a
// contact, one for a customer and an anonymous one, each with its value.
type tokWorld struct {
	*testOffice
	company   *lt.Company
	contact   *lt.Contact
	customer  *lt.Customer
	contactT  *lt.IssuedToken
	customerT *lt.IssuedToken
	anonT     *lt.IssuedToken
}

// tokKinds runs fn on every database with a fresh world.
func tokKinds(t *testing.T, fn func(t *testing.T, w *tokWorld)) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			fn(t, newTokWorld(t, kind))
		})
	}
}

var cliActor = lt.Actor{Name: "cli"}

func newTokWorld(t *testing.T, kind string, opts ...func(*backoffice.Config)) *tokWorld {
	t.Helper()
	w := &tokWorld{testOffice: newOffice(t, kind, opts...)}
	w.company = &lt.Company{Name: "Acme Industries"}
	if err := w.Store.CreateCompany(ctx, w.company); err != nil {
		t.Fatal(err)
	}
	w.contact = &lt.Contact{CompanyID: w.company.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := w.Store.CreateContact(ctx, w.contact); err != nil {
		t.Fatal(err)
	}
	w.customer = &lt.Customer{Person: lt.Person{FirstName: "Carl", LastName: "Buyer", Email: "carl@home.test"}}
	if err := w.Store.CreateCustomer(ctx, w.customer); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(72 * time.Hour)
	w.contactT = w.token(lt.NewToken{ContactID: &w.contact.ID, ExpiresAt: &expires, OneTimeUse: true, Extra: []string{"OCI for Acme SAP SRM"}})
	w.customerT = w.token(lt.NewToken{CustomerID: &w.customer.ID})
	w.anonT = w.token(lt.NewToken{Extra: []string{"walk-in"}})
	return w
}

func (w *tokWorld) token(n lt.NewToken) *lt.IssuedToken {
	w.t.Helper()
	tok, err := w.Store.CreateToken(ctx, cliActor, n)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

// signedIn is a browser signed in as a new staff member with the grants.
func (w *tokWorld) signedIn(email string, grants ...string) *browser {
	w.t.Helper()
	w.staff(email, grants...)
	b := w.browser()
	b.signIn(email)
	return b
}

func (w *tokWorld) editor() *browser { return w.signedIn("editor@shop.test", "configuration:editor") }
func (w *tokWorld) viewer() *browser { return w.signedIn("viewer@shop.test", "configuration:viewer") }

// mustGet fetches a page and fails unless it answers want.
func (b *browser) mustGet(path string, want int) string {
	b.t.Helper()
	status, body, _ := b.get(path)
	if status != want {
		b.t.Fatalf("GET %s: %d, want %d\n%s", path, status, want, body)
	}
	return body
}

// fetch answers the body of a request with headers (name, value, ...).
func (b *browser) fetch(method, path string, header ...string) string {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.o.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// rowIDs are the token ids of the list's rows, in order.
var rowID = regexp.MustCompile(`data-token-id="([a-z0-9]+)"`)

func rowIDs(body string) []string {
	var out []string
	for _, m := range rowID.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// noValues fails when the body holds a token value or its secret.
func noValues(t *testing.T, what, body string, toks ...*lt.IssuedToken) {
	t.Helper()
	for _, tok := range toks {
		_, secret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
		if strings.Contains(body, tok.Value) || strings.Contains(body, secret) {
			t.Fatalf("%s holds the value of token %s", what, tok.ID)
		}
	}
}

// noInlineCode fails on inline scripts, event handlers or styles, which
// the CSP would block.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<script>|\son[a-z]+\s*=|\sstyle\s*=|javascript:`)

func noInlineCode(t *testing.T, body string) {
	t.Helper()
	if m := inlineCode.FindString(body); m != "" {
		t.Fatalf("inline code the CSP blocks: %q", m)
	}
}

func TestTokenListShowsTheHelpPagesColumnsFiltersAndFields(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		body := b.mustGet("/admin/login-tokens", 200)
		noInlineCode(t, body)
		noValues(t, "the list", body, w.contactT, w.customerT, w.anonT)
		for _, col := range []string{"Name", "Type", "Expires At", "Last Accessed At", "Successful Attempts", "Failed Attempts", "One Time Use", "Extra"} {
			if !regexp.MustCompile(`<th scope="col" class="[^"]*"( aria-sort="[a-z]+")?>(<a href="[^"]+">)?` + col + `(</a>)?</th>`).MatchString(body) {
				t.Errorf("no column header %q", col)
			}
		}
		for _, want := range []string{
			"<h1>Login Tokens</h1>",
			"Login tokens allow contacts and customers to access the webshop without a password.",
			// the filter panel, with the help page's words
			`id="filters"`, `id="filters-button"`, `>Filters`, `<label for="filter-ids">Ids</label>`, `<label for="filter-user">Contact or Customer</label>`,
			`<legend>Expires At</legend>`, `<legend>Date Created</legend>`, `<legend>Date Updated</legend>`,
			`<legend>Successful Attempts</legend>`, `<legend>Failed Attempts</legend>`, `<legend>One time use</legend>`,
			`> Any</label>`, `> Yes</label>`, `> No</label>`, `<legend>Status</legend>`, `>more than</option>`, `>equals</option>`,
			`id="filters-apply">Apply</button>`, `id="filters-clear">Clear</button>`,
			// New Login Token, with the help page's fields
			`id="new-token"`, `>New Login Token</button>`, `id="new-token-dialog"`, `<label for="new-user">Select contact or customer</label>`,
			`<label for="new-expires">Expires at</label>`, `type="datetime-local"`, `<label for="new-extra">Extra</label>`,
			`One time use</label>`, `id="new-token-save">Save</button>`,
			// the rest of the screen
			`id="token-dialog"`, `id="delete-selected">Delete</button>`, `id="select-all"`, `id="export-csv" href="/admin/login-tokens.csv"`,
			`>Export CSV</a>`, "3 login tokens", "Page 1 of 1", `<label for="page-size">Page size</label>`,
			`<option value="25" selected>25</option>`, `<option value="500">500</option>`,
			// the rows
			"Jane Doe", "jane@acme.test · Acme Industries", "Carl Buyer", `<span class="muted anonymous">Anonymous</span>`,
			`<td class="col-type">Contact</td>`, `<td class="col-type">Customer</td>`, `<td class="col-type">Anonymous</td>`,
			`<span class="badge active">active</span>`, "OCI for Acme SAP SRM", `<td class="col-bool">Yes</td>`,
			`<time datetime="` + w.contactT.ExpiresAt.UTC().Format(time.RFC3339) + `">`,
			`href="/admin/login-tokens/` + w.contactT.ID + `" class="token-link" data-token-open`,
			`name="ids" value="` + w.anonT.ID + `"`,
			// the default sort: newest first
			`<th scope="col" class="col-name"><a href="/admin/login-tokens?sort=name">Name</a></th>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the list lacks %s", want)
			}
		}
		if got := rowIDs(body); !slices.Equal(got, []string{w.anonT.ID, w.customerT.ID, w.contactT.ID}) {
			t.Fatalf("rows %v", got)
		}
		// Every visible input has a <label>.
		for _, id := range regexp.MustCompile(`<(?:input|select|textarea)\s[^>]*?id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `for="`+id[1]+`"`) {
				t.Errorf("no label for #%s", id[1])
			}
		}
		// Without JavaScript the dialogs are pages of their own.
		for path, want := range map[string]string{
			"/admin/login-tokens/new":                    `<label for="new-user">Select contact or customer</label>`,
			"/admin/login-tokens/filters?status=expired": `name="status" value="expired" checked`,
		} {
			if body := b.mustGet(path, 200); !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
	})
}

func TestTokenListFiltersSortsAndPagesFromTheURL(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		// An expired token and some attempts, to filter on.
		expired := w.token(lt.NewToken{CustomerID: &w.customer.ID, Extra: []string{"old"}})
		if _, _, err := w.Store.UpdateToken(ctx, cliActor, expired.ID, lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: new(time.Now().Add(-time.Hour))}); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{w.customerT.Value, w.customerT.Value, "lt_" + w.anonT.ID + "_wrongwrongwrongwrongwrong"} {
			if _, err := w.Store.Redeem(ctx, lt.RedeemRequest{Value: v, ClientIP: "192.0.2.7", Actor: "login"}); err != nil {
				t.Fatal(err)
			}
		}
		b := w.viewer()
		all := []string{expired.ID, w.anonT.ID, w.customerT.ID, w.contactT.ID}
		today := time.Now().UTC().Format(time.DateOnly)
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", all},
			{"ids=" + w.anonT.ID + "," + w.contactT.ID, []string{w.anonT.ID, w.contactT.ID}},
			{"contactIds=" + itoa64(w.contact.ID), []string{w.contactT.ID}},
			{"customerIds=" + itoa64(w.customer.ID), []string{expired.ID, w.customerT.ID}},
			{"contactIds=" + itoa64(w.contact.ID) + "&customerIds=" + itoa64(w.customer.ID), []string{expired.ID, w.customerT.ID, w.contactT.ID}},
			{"type=anonymous", []string{w.anonT.ID}},
			{"oneTimeUse=true", []string{w.contactT.ID}},
			{"oneTimeUse=false", []string{expired.ID, w.anonT.ID, w.customerT.ID}},
			{"status=expired", []string{expired.ID}},
			{"status=active,expired", all},
			{"successfulAttempts=gt:1", []string{w.customerT.ID}},
			{"successfulAttempts=eq:0", []string{expired.ID, w.anonT.ID, w.contactT.ID}},
			{"failedAttempts=ge:1", []string{w.anonT.ID}},
			{"q=acme", []string{w.contactT.ID}},
			{"q=walk-in", []string{w.anonT.ID}},
			{"expiresAtFrom=" + url.QueryEscape(time.Now().UTC().Format(time.RFC3339)), []string{w.contactT.ID}},
			{"createdAtFrom=" + today + "&createdAtTo=" + today, all},
			{"updatedAtTo=2000-01-01", nil},
			{"sort=name", nil}, // checked below: ties depend on the random ids
			{"pageSize=2", all[:2]},
			{"pageSize=2&page=2", all[2:]},
			{"pageSize=2&page=9", nil},
		} {
			body := b.mustGet("/admin/login-tokens?"+tc.query, 200)
			got := rowIDs(body)
			if tc.query == "sort=name" {
				// Carl Buyer (twice, ties by id), Jane Doe; anonymous last.
				if len(got) != 4 || got[2] != w.contactT.ID || got[3] != w.anonT.ID {
					t.Errorf("sort=name: %v", got)
				}
				if !strings.Contains(body, `<th scope="col" class="col-name" aria-sort="ascending"><a href="/admin/login-tokens?sort=-name">Name</a></th>`) {
					t.Errorf("sort=name: the Name header does not show the order or toggle it")
				}
				continue
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: rows %v, want %v", tc.query, got, tc.want)
			}
		}
		body := b.mustGet("/admin/login-tokens?pageSize=2&page=2&status=active,expired", 200)
		for _, want := range []string{"4 login tokens", "Page 2 of 2", `<option value="50">50</option>`, `rel="prev"`,
			`href="/admin/login-tokens?pageSize=2&amp;status=active%2Cexpired"`, // previous page: page 1 has no page parameter
			`<input type="hidden" name="status" value="active,expired">`,
			`id="export-csv" href="/admin/login-tokens.csv?status=active%2Cexpired"`,
			`<span class="chip-label">Status:</span>`} {
			if !strings.Contains(body, want) {
				t.Errorf("page 2 lacks %s", want)
			}
		}
		body = b.mustGet("/admin/login-tokens?contactIds="+itoa64(w.contact.ID), 200)
		if !strings.Contains(body, `<input type="hidden" name="user" value="contact:`+itoa64(w.contact.ID)+`"><span class="chip-name">Jane Doe</span>`) {
			t.Errorf("the Contact or Customer filter does not show its choice")
		}
		body = b.mustGet("/admin/login-tokens?q=nobody-has-this", 200)
		if !strings.Contains(body, "No login tokens match these filters.") || !strings.Contains(body, "0 login tokens") {
			t.Errorf("no empty state")
		}
		// Bad parameters: the page, with what is wrong, not a 500.
		for _, tc := range []struct{ query, want string }{
			{"successfulAttempts=lots", "Successful Attempts: "},
			{"ids=abc", "Ids: &#34;abc&#34; is not a token id"},
			{"pageSize=9999", "Page size: must be an integer from 1 to 500"},
			{"expiresAtFrom=tomorrow", "Expires At (from): "},
			{"colour=blue", "colour: unknown query parameter"},
		} {
			body := b.mustGet("/admin/login-tokens?"+tc.query, 400)
			if !strings.Contains(body, "These filters cannot be applied") || !strings.Contains(body, tc.want) || len(rowIDs(body)) != 0 {
				t.Errorf("%s: no clear message %q", tc.query, tc.want)
			}
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestFilterFormReducesAPastedValueToItsIDBeforeTheURL(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.viewer()
		b.get("/admin/login-tokens")
		status, _, h := b.post("/admin/login-tokens/filter", url.Values{
			"ids":                  {"  " + w.contactT.Value + "\n" + w.anonT.ID + ", " + w.contactT.ID},
			"user":                 {"contact:" + itoa64(w.contact.ID)},
			"expiresAtFrom":        {"2020-01-01"},
			"expiresAtTo":          {""},
			"successfulAttemptsOp": {"ge"}, "successfulAttemptsN": {"0"},
			"failedAttemptsOp": {"gt"}, "failedAttemptsN": {""},
			"oneTimeUse": {"true"}, "status": {"active"}, "q": {" acme "}, "sort": {"name"}, "pageSize": {"50"},
		})
		loc := h.Get("Location")
		if status != http.StatusSeeOther {
			t.Fatalf("filter: %d", status)
		}
		noValues(t, "the Location", loc, w.contactT)
		want := "/admin/login-tokens?contactIds=" + itoa64(w.contact.ID) + "&expiresAtFrom=2020-01-01&ids=" + w.contactT.ID + "%2C" + w.anonT.ID +
			"&oneTimeUse=true&pageSize=50&q=acme&sort=name&status=active&successfulAttempts=ge%3A0"
		if loc != want {
			t.Fatalf("Location\n got %s\nwant %s", loc, want)
		}
		if got := rowIDs(b.mustGet(loc, 200)); !slices.Equal(got, []string{w.contactT.ID}) {
			t.Fatalf("rows %v", got)
		}

		// Something shaped like a value without a valid id is dropped, and
		// the list says so.
		_, _, h = b.post("/admin/login-tokens/filter", url.Values{"ids": {"lt_NOT-AN-ID_secretsecretsecret\n" + w.anonT.ID}})
		if loc := h.Get("Location"); loc != "/admin/login-tokens?ids="+w.anonT.ID {
			t.Fatalf("Location %s", loc)
		}
		body := b.mustGet(h.Get("Location"), 200)
		if !strings.Contains(body, "held no valid token id") || strings.Contains(body, "secretsecret") {
			t.Fatalf("no message for the dropped entry")
		}
		if strings.Contains(b.mustGet("/admin/login-tokens", 200), "held no valid token id") {
			t.Fatal("the message stays after it was shown")
		}

		// A value typed into the address bar leaves it at once.
		status, _, h = b.get("/admin/login-tokens?ids=" + url.QueryEscape(w.customerT.Value) + "&status=active&page=3")
		if status != http.StatusSeeOther || h.Get("Location") != "/admin/login-tokens?ids="+w.customerT.ID+"&status=active" {
			t.Fatalf("a value in the URL: %d %s", status, h.Get("Location"))
		}
		// Something that merely holds "lt_" is no value: it is refused, not
		// redirected round and round.
		if status, _, _ := b.get("/admin/login-tokens?ids=salt_and_pepper"); status != 400 {
			t.Fatalf("ids=salt_and_pepper: %d", status)
		}
		if status, _, _ := b.get("/admin/login-tokens.csv?ids=" + url.QueryEscape(w.customerT.Value)); status != 400 {
			t.Fatalf("a value in the export URL: %d", status)
		}

		// Without JavaScript the picker is a text field; one match is taken.
		_, _, h = b.post("/admin/login-tokens/filter", url.Values{"userQuery": {"carl@home"}})
		if loc := h.Get("Location"); loc != "/admin/login-tokens?customerIds="+itoa64(w.customer.ID) {
			t.Fatalf("typed user: %s", loc)
		}
		_, _, h = b.post("/admin/login-tokens/filter", url.Values{"userQuery": {"nobody at all"}})
		if body := b.mustGet(h.Get("Location"), 200); !strings.Contains(body, "No contact or customer matches") {
			t.Fatal("no message for a typed user without a match")
		}
	})
}

func TestNewLoginTokenShowsItsValueOnce(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		b.mustGet("/admin/login-tokens", 200)
		expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
		status, body, _ := b.post("/admin/login-tokens", url.Values{
			"user": {"contact:" + itoa64(w.contact.ID)}, "userQuery": {""}, "clientTime": {"1"},
			"expiresAt": {expires.Format(time.RFC3339)}, "expiresAtLocal": {"ignored when clientTime is set"},
			"extra": {"first line\r\n\r\n  second line  \r\n"}, "oneTimeUse": {"true"},
		}, "X-Fragment", "1")
		if status != http.StatusCreated {
			t.Fatalf("create: %d\n%s", status, body)
		}
		if strings.Contains(strings.ToLower(body), "<!doctype") {
			t.Fatal("a fragment request got a whole page")
		}
		value := regexp.MustCompile(`id="new-value" class="mono" readonly value="(lt_[a-z0-9]+_[A-Za-z0-9]+)"`).FindStringSubmatch(body)
		if value == nil {
			t.Fatalf("no value in\n%s", body)
		}
		tok, err := w.Store.LookupToken(ctx, value[1])
		if err != nil {
			t.Fatal(err)
		}
		if tok.Type != lt.UserContact || tok.User.ID != w.contact.ID || !tok.OneTimeUse || !tok.ExpiresAt.Equal(expires) ||
			!slices.Equal(tok.Extra, []string{"first line", "second line"}) || tok.CreatedBy != "staff:"+itoa64(mustStaffID(t, w, "editor@shop.test")) {
			t.Fatalf("created %+v", tok)
		}
		for _, want := range []string{"Login token created", `value="http://127.0.0.1/login?token=` + value[1] + `"`,
			`value="http://127.0.0.1/oci/login?token=` + value[1] + `"`, `data-copy-from="new-value"`, "data-changed"} {
			if !strings.Contains(body, want) {
				t.Errorf("the answer lacks %s", want)
			}
		}
		// Once: neither the list nor the token's page shows it again.
		list := b.mustGet("/admin/login-tokens", 200)
		detail := b.mustGet("/admin/login-tokens/"+tok.ID, 200)
		if strings.Contains(list, value[1]) || strings.Contains(detail, value[1]) || !strings.Contains(list, tok.ID) {
			t.Fatal("the value shows again")
		}

		// Anonymous, without JavaScript: the local field is UTC.
		status, body, _ = b.post("/admin/login-tokens", url.Values{"user": {""}, "expiresAtLocal": {expires.Format("2006-01-02T15:04")}})
		if status != http.StatusCreated || !strings.Contains(body, "<!doctype html>") || !strings.Contains(body, "(anonymous) was created") {
			t.Fatalf("anonymous: %d", status)
		}
		// Errors show next to their fields.
		status, body, _ = b.post("/admin/login-tokens", url.Values{"clientTime": {"1"}, "expiresAt": {"2001-01-01T00:00:00Z"},
			"extra": {strings.Repeat("x", lt.MaxExtraLineLen+1)}, "user": {"customer:999999"}}, "X-Fragment", "1")
		if status != 400 {
			t.Fatalf("invalid: %d", status)
		}
		for _, want := range []string{`id="new-expires-error">Must be in the future.</p>`, `id="new-extra-error">Line 1 is longer than`,
			`id="new-user-error">This customer does not exist any more`, `aria-invalid="true"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the errors lack %s\n%s", want, body)
			}
		}
		status, body, _ = b.post("/admin/login-tokens", url.Values{"userQuery": {".test"}}, "X-Fragment", "1")
		if status != 400 || !strings.Contains(body, "Several contacts and customers match") {
			t.Fatalf("ambiguous user: %d", status)
		}
		status, _, _ = b.post("/admin/login-tokens", url.Values{"userQuery": {"jane@acme"}})
		if status != http.StatusCreated {
			t.Fatalf("typed user: %d", status)
		}
	})
}

func mustStaffID(t *testing.T, w *tokWorld, email string) int64 {
	t.Helper()
	all, err := w.Store.FindStaff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Email == email {
			return s.ID
		}
	}
	t.Fatalf("no staff %s", email)
	return 0
}

func TestEditDialogSavesChanges(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		body := b.mustGet("/admin/login-tokens/"+w.contactT.ID, 200)
		noValues(t, "the edit page", body, w.contactT)
		noInlineCode(t, body)
		before, _ := w.Store.FindTokenByID(ctx, w.contactT.ID)
		for _, want := range []string{`<label for="edit-user">Select contact or customer</label>`, `<span class="chip-name">Jane Doe</span>`,
			`<label for="edit-expires">Expires at</label>`, `name="expiresAt" value="` + before.ExpiresAt.UTC().Format(time.RFC3339Nano) + `"`,
			`>OCI for Acme SAP SRM</textarea>`, `id="edit-one-time" name="oneTimeUse" value="true" checked`,
			"<dt id=\"token-id-label\">Id</dt>", `<code id="token-value" data-masked="lt_` + w.contactT.ID + `_••••">lt_` + w.contactT.ID + `_••••</code>`,
			`aria-label="Reveal value"`, "<dt>Last accessed at</dt>", "<dt>Successful attempts</dt>", "<dt>Failed attempts</dt>",
			`id="copy-login-link">Copy login link</button>`, `id="copy-oci-url">Copy OCI URL</button>`, `id="regenerate">Regenerate</button>`,
			"The old value stops working at once", `id="token-save">Save</button>`, "Recent activity", "<td>Created</td>"} {
			if !strings.Contains(body, want) {
				t.Errorf("the edit page lacks %s", want)
			}
		}
		// The dialog loads the same as a fragment.
		frag := b.fetch("GET", "/admin/login-tokens/"+w.contactT.ID, "X-Fragment", "1")
		if strings.Contains(frag, "<!doctype") || !strings.HasPrefix(strings.TrimSpace(frag), "<header>") || !strings.Contains(frag, `id="token-edit-form"`) {
			t.Fatalf("fragment:\n%s", frag)
		}
		// Save without touching anything: nothing changes, not even the
		// microseconds of the expiry (with and without JavaScript).
		for _, clientTime := range []string{"1", ""} {
			status, body, _ := b.post("/admin/login-tokens/"+w.contactT.ID, url.Values{"user": {"contact:" + itoa64(w.contact.ID)},
				"clientTime": {clientTime}, "expiresAt": {before.ExpiresAt.UTC().Format(time.RFC3339Nano)},
				"expiresAtLocal": {before.ExpiresAt.UTC().Format("2006-01-02T15:04")}, "extra": {"OCI for Acme SAP SRM"}, "oneTimeUse": {"true"}}, "X-Fragment", "1")
			if status != 200 || !strings.Contains(body, "Saved.") {
				t.Fatalf("save unchanged: %d", status)
			}
			after, _ := w.Store.FindTokenByID(ctx, w.contactT.ID)
			if !after.UpdatedAt.Equal(before.UpdatedAt) || !after.ExpiresAt.Equal(*before.ExpiresAt) {
				t.Fatalf("an unchanged save changed the token: %v -> %v", before.ExpiresAt, after.ExpiresAt)
			}
		}
		// Real changes; clearing Expires at means never.
		status, body, _ := b.post("/admin/login-tokens/"+w.contactT.ID, url.Values{"user": {"contact:" + itoa64(w.contact.ID)},
			"clientTime": {"1"}, "expiresAt": {""}, "extra": {"one\ntwo"}}, "X-Fragment", "1")
		if status != 200 || !strings.Contains(body, "Saved.") || strings.Contains(body, "new value") {
			t.Fatalf("save: %d\n%s", status, body)
		}
		after, _ := w.Store.FindTokenByID(ctx, w.contactT.ID)
		if after.ExpiresAt != nil || after.OneTimeUse || !slices.Equal(after.Extra, []string{"one", "two"}) {
			t.Fatalf("saved %+v", after)
		}
		if _, err := w.Store.LookupToken(ctx, w.contactT.Value); err != nil {
			t.Fatal("the value changed although the user did not")
		}
		// Changing the user regenerates the value, and says so.
		status, body, _ = b.post("/admin/login-tokens/"+w.contactT.ID, url.Values{"user": {"customer:" + itoa64(w.customer.ID)}, "clientTime": {"1"}}, "X-Fragment", "1")
		if status != 200 || !strings.Contains(body, "the old value no longer works") {
			t.Fatalf("change user: %d", status)
		}
		m := regexp.MustCompile(`id="edit-value" class="mono" readonly value="(lt_[^"]+)"`).FindStringSubmatch(body)
		if m == nil || m[1] == w.contactT.Value {
			t.Fatal("no new value shown")
		}
		if tok, err := w.Store.LookupToken(ctx, m[1]); err != nil || tok.Type != lt.UserCustomer {
			t.Fatalf("new value %v %v", tok, err)
		}
		if _, err := w.Store.LookupToken(ctx, w.contactT.Value); lt.ErrorCode(err) != lt.ENOTFOUND {
			t.Fatal("the old value still works")
		}
		// Validation errors come back next to the field.
		status, body, _ = b.post("/admin/login-tokens/"+w.contactT.ID, url.Values{"clientTime": {"1"}, "expiresAt": {"soon"}}, "X-Fragment", "1")
		if status != 400 || !strings.Contains(body, `id="edit-expires-error">Enter a date and time.</p>`) {
			t.Fatalf("invalid edit: %d", status)
		}
		if status, _, _ := b.get("/admin/login-tokens/doesnotexist123"); status != 404 {
			t.Fatalf("unknown token: %d", status)
		}
	})
}

func TestRevealReturnsTheValueAndIsAudited(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		b.mustGet("/admin/login-tokens/"+w.customerT.ID, 200)
		for _, tc := range []struct{ purpose, field, want string }{
			{"reveal", "value", w.customerT.Value},
			{"copy login link", "loginUrl", "http://127.0.0.1/login?token=" + w.customerT.Value},
			{"copy OCI URL", "ociUrl", "http://127.0.0.1/oci/login?token=" + w.customerT.Value},
		} {
			status, body, _ := b.post("/admin/login-tokens/"+w.customerT.ID+"/reveal", url.Values{"purpose": {tc.purpose}}, "Accept", "application/json")
			var got map[string]string
			if status != 200 || json.Unmarshal([]byte(body), &got) != nil || got[tc.field] != tc.want {
				t.Fatalf("reveal %s: %d %s", tc.purpose, status, body)
			}
		}
		events, _, err := w.Store.FindTokenEvents(ctx, w.customerT.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		var purposes []string
		for _, e := range events {
			if e.Type == lt.EventTokenRevealed {
				var d map[string]string
				json.Unmarshal(e.Details, &d)
				purposes = append(purposes, d["purpose"])
				if e.Actor != "staff:"+itoa64(mustStaffID(t, w, "editor@shop.test")) {
					t.Errorf("actor %s", e.Actor)
				}
			}
		}
		if !slices.Equal(purposes, []string{"copy OCI URL", "copy login link", "reveal"}) {
			t.Fatalf("audited purposes %v", purposes)
		}
		// The activity shows it; without JavaScript the page shows the value.
		status, body, _ := b.post("/admin/login-tokens/"+w.customerT.ID+"/reveal", url.Values{})
		if status != 200 || !strings.Contains(body, `value="`+w.customerT.Value+`"`) || !strings.Contains(body, "<td>Value revealed</td>") ||
			!strings.Contains(body, "<td>Purpose: reveal.</td>") || !strings.Contains(body, "editor@shop.test") {
			t.Fatalf("reveal without JavaScript: %d\n%s", status, body)
		}
		if status, _, _ := b.post("/admin/login-tokens/"+w.customerT.ID+"/reveal", url.Values{"purpose": {"curiosity"}}, "Accept", "application/json"); status != 400 {
			t.Fatalf("an unknown purpose: %d", status)
		}
	})
}

func TestRegenerateAsksThenChangesTheValue(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		b.mustGet("/admin/login-tokens/"+w.anonT.ID, 200)
		status, body, _ := b.post("/admin/login-tokens/"+w.anonT.ID+"/regenerate", url.Values{})
		if status != 200 || !strings.Contains(body, "The old value stops working at once") || !strings.Contains(body, `name="confirm" value="yes"`) {
			t.Fatalf("regenerate without confirmation: %d", status)
		}
		if _, err := w.Store.LookupToken(ctx, w.anonT.Value); err != nil {
			t.Fatal("regenerated without confirmation")
		}
		status, body, _ = b.post("/admin/login-tokens/"+w.anonT.ID+"/regenerate", url.Values{"confirm": {"yes"}}, "X-Fragment", "1")
		m := regexp.MustCompile(`id="edit-value" class="mono" readonly value="(lt_[^"]+)"`).FindStringSubmatch(body)
		if status != 200 || m == nil || m[1] == w.anonT.Value {
			t.Fatalf("regenerate: %d", status)
		}
		if _, err := w.Store.LookupToken(ctx, w.anonT.Value); lt.ErrorCode(err) != lt.ENOTFOUND {
			t.Fatal("the old value still works")
		}
		if tok, err := w.Store.LookupToken(ctx, m[1]); err != nil || tok.ID != w.anonT.ID {
			t.Fatalf("the new value: %v", err)
		}
	})
}

func TestBulkDeleteAsksThenRemovesTheRows(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		back := "/admin/login-tokens?sort=name"
		b.mustGet(back, 200)
		form := url.Values{"ids": {w.contactT.ID, w.anonT.ID}, "back": {back}}
		status, body, _ := b.post("/admin/login-tokens/delete", form)
		if status != 200 || !strings.Contains(body, "Delete 2 login tokens?") || !strings.Contains(body, "Jane Doe ("+w.contactT.ID+")") {
			t.Fatalf("delete without confirmation: %d\n%s", status, body)
		}
		if got := rowIDs(b.mustGet(back, 200)); len(got) != 3 {
			t.Fatal("deleted without confirmation")
		}
		form.Set("confirm", "yes")
		status, _, h := b.post("/admin/login-tokens/delete", form)
		if status != http.StatusSeeOther || h.Get("Location") != back {
			t.Fatalf("delete: %d %s", status, h.Get("Location"))
		}
		body = b.mustGet(back, 200)
		if got := rowIDs(body); !slices.Equal(got, []string{w.customerT.ID}) || !strings.Contains(body, "Deleted 2 login tokens.") {
			t.Fatalf("after delete: %v", got)
		}
		// All or nothing: one id that is gone deletes nothing.
		_, _, h = b.post("/admin/login-tokens/delete", url.Values{"ids": {w.customerT.ID, w.contactT.ID}, "confirm": {"yes"}, "back": {"//evil.test/"}})
		if h.Get("Location") != "/admin/login-tokens" {
			t.Fatalf("back to %s", h.Get("Location"))
		}
		body = b.mustGet("/admin/login-tokens", 200)
		if got := rowIDs(body); !slices.Equal(got, []string{w.customerT.ID}) || !strings.Contains(body, "Nothing was deleted") {
			t.Fatalf("partial delete: %v", got)
		}
		if status, _, _ := b.post("/admin/login-tokens/delete", url.Values{"confirm": {"yes"}}); status != 400 {
			t.Fatalf("nothing selected: %d", status)
		}
	})
}

// editorPosts are every state-changing route of the screen an editor may use.
func editorPosts(w *tokWorld) map[string]url.Values {
	return map[string]url.Values{
		"/admin/login-tokens":                               {"user": {""}},
		"/admin/login-tokens/" + w.anonT.ID:                 {"extra": {"changed"}},
		"/admin/login-tokens/" + w.anonT.ID + "/reveal":     {"purpose": {"reveal"}},
		"/admin/login-tokens/" + w.anonT.ID + "/regenerate": {"confirm": {"yes"}},
		"/admin/login-tokens/delete":                        {"ids": {w.anonT.ID}, "confirm": {"yes"}},
	}
}

func TestViewerSeesNoEditControlsAndIsRefusedThem(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.viewer()
		list := b.mustGet("/admin/login-tokens", 200)
		detail := b.mustGet("/admin/login-tokens/"+w.contactT.ID, 200)
		for what, body := range map[string]string{"list": list, "detail": detail} {
			for _, never := range []string{"New Login Token", `id="new-token"`, `id="delete-selected"`, `name="ids" value=`, `id="select-all"`,
				"Reveal value", "Regenerate", ">Save<", "Copy login link", "Copy OCI URL", `action="/admin/login-tokens/` + w.contactT.ID + `"`} {
				if strings.Contains(body, never) {
					t.Errorf("the viewer's %s shows %s", what, never)
				}
			}
		}
		for _, want := range []string{"Jane Doe", `id="filters"`, `id="filter-user"`, `id="export-csv"`} {
			if !strings.Contains(list, want) {
				t.Errorf("the viewer's list lacks %s", want)
			}
		}
		for _, want := range []string{"<dt>Contact or customer</dt>", "<dt>Expires at</dt>", "<dt>Extra</dt>", "<dt>One time use</dt>",
			"<dt id=\"token-id-label\">Id</dt>", "lt_" + w.contactT.ID + "_••••", "<dt>Last accessed at</dt>", "Recent activity"} {
			if !strings.Contains(detail, want) {
				t.Errorf("the viewer's detail lacks %s", want)
			}
		}
		if status, _, _ := b.get("/admin/login-tokens/new"); status != 403 {
			t.Errorf("viewer GET new: %d", status)
		}
		for path, form := range editorPosts(w) {
			if status, body, _ := b.post(path, form); status != http.StatusForbidden || !strings.Contains(body, "configuration:editor") {
				t.Errorf("viewer POST %s: %d", path, status)
			}
		}
		if all, _, _ := w.Store.FindTokens(ctx, lt.TokenFilter{}); len(all) != 3 {
			t.Fatal("a viewer changed something")
		}
		// What a viewer may do: filter, export, search users.
		if status, _, _ := b.post("/admin/login-tokens/filter", url.Values{"q": {"x"}}); status != http.StatusSeeOther {
			t.Errorf("viewer filter: %d", status)
		}
		if status, _, _ := b.get("/admin/login-tokens.csv"); status != 200 {
			t.Errorf("viewer export: %d", status)
		}
		// Without a configuration grant: the clear 403 page.
		nobody := w.signedIn("directory@shop.test", "users:editor")
		for _, path := range []string{"/admin/login-tokens", "/admin/login-tokens/" + w.anonT.ID, "/admin/login-tokens.csv", "/admin/login-tokens/filters"} {
			if status, body, _ := nobody.get(path); status != 403 || !strings.Contains(body, "configuration:viewer") {
				t.Errorf("no grant GET %s: %d", path, status)
			}
		}
	})
}

func TestTokenPostsNeedTheCSRFToken(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		b.mustGet("/admin/login-tokens", 200)
		posts := editorPosts(w)
		posts["/admin/login-tokens/filter"] = url.Values{"q": {"x"}}
		for path, form := range posts {
			form.Set("csrf", "forged")
			if status, _, _ := b.post(path, form); status != http.StatusForbidden {
				t.Errorf("POST %s with a forged token: %d", path, status)
			}
			form.Del("csrf")
			form["csrf"] = []string{""}
			if status, _, _ := b.post(path, form); status != http.StatusForbidden {
				t.Errorf("POST %s without a token: %d", path, status)
			}
		}
		if tok, err := w.Store.LookupToken(ctx, w.anonT.Value); err != nil || !slices.Equal(tok.Extra, []string{"walk-in"}) {
			t.Fatal("a forged post changed the token")
		}
	})
}

func TestUserSearchForThePicker(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		search := func(b *browser, q string) (int, []lt.UserRef) {
			t.Helper()
			req, _ := http.NewRequest("GET", w.URL+"/admin/users/search?q="+url.QueryEscape(q), nil)
			req.Header.Set("Accept", "application/json")
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var hits []lt.UserRef
			json.NewDecoder(resp.Body).Decode(&hits)
			return resp.StatusCode, hits
		}
		viewer := w.viewer()
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"acme", []string{"contact:Jane Doe"}}, // by company
			{"JANE", []string{"contact:Jane Doe"}}, // by name
			{"carl@", []string{"customer:Carl Buyer"}},
			{"nobody", nil},
		} {
			status, hits := search(viewer, tc.q)
			var got []string
			for _, h := range hits {
				got = append(got, string(h.Type)+":"+h.Name)
			}
			if status != 200 || !slices.Equal(got, tc.want) {
				t.Errorf("search %q: %d %v", tc.q, status, got)
			}
		}
		if _, hits := search(viewer, "acme"); hits[0].Email != "jane@acme.test" || hits[0].Company == nil || hits[0].Company.Name != "Acme Industries" {
			t.Errorf("hit %+v", hits[0])
		}
		if status, _ := search(w.signedIn("directory@shop.test", "users:viewer"), "a"); status != 200 {
			t.Errorf("users:viewer: %d", status)
		}
		if status, _ := search(w.signedIn("nobody@shop.test"), "a"); status != 403 {
			t.Errorf("no grant: %d", status)
		}
		if status, _ := search(w.browser(), "a"); status != 401 {
			t.Errorf("signed out: %d", status)
		}
	})
}

func TestNoOCIURLIsOfferedWhilePunchoutIsOff(t *testing.T) {
	w := newTokWorld(t, "sqlite", func(c *backoffice.Config) { c.OCIPunchout = false })
	b := w.editor()
	body := b.mustGet("/admin/login-tokens/"+w.contactT.ID, 200)
	for _, want := range []string{`id="copy-oci-url" disabled aria-describedby="oci-off"`, `id="oci-off">OCI punchout is off: set LOGINTOKENS_OCI_HOOK_ALLOW`} {
		if !strings.Contains(body, want) {
			t.Errorf("the edit page lacks %s", want)
		}
	}
	if strings.Contains(body, `data-reveal="ociUrl"`) {
		t.Error("the edit page offers to copy an OCI URL while punchout is off")
	}
}
