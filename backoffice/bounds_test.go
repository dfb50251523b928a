package backoffice_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/heaptest"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// multipartUpload is a body as the import form sends it: the CSRF field,
// then the file.
func multipartUpload(csrf string, file []byte) (body []byte, contentType string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", "contacts.csv")
	fw.Write(file)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// TestAnUnauthenticatedUploadFloodLeavesTheHeapBounded sends 60 uploads of
// 8 MB at once to the contacts import without a session. Each is refused
// before its body is read, so the heap grows by far less than one upload.
func TestAnUnauthenticatedUploadFloodLeavesTheHeapBounded(t *testing.T) {
	o := newOffice(t, "sqlite")
	body, ct := multipartUpload("not-a-session-token", bytes.Repeat([]byte("a@example.test\n"), 8<<20/15))
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, DisableKeepAlives: true}}
	const n = 60
	statuses := make([]int, n)
	errs := make([]error, n)
	w := heaptest.Start()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", o.URL+"/admin/contacts/import", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	peak, allocated := w.Stop()
	t.Logf("%d uploads of %d bytes: heap grew by at most %d bytes, %d bytes allocated", n, len(body), peak, allocated)
	for i := range n {
		// An error: the server answered 401 and closed the connection
		// before the client had sent its body, of which it read nothing.
		if errs[i] == nil && statuses[i] != http.StatusUnauthorized {
			t.Errorf("upload %d: %d, want 401", i, statuses[i])
		}
	}
	if status, _, _ := o.browser().get("/admin/login"); status != http.StatusOK {
		t.Errorf("the sign-in page after the flood: %d", status)
	}
	if peak > 32<<20 || allocated > 64<<20 {
		t.Errorf("%d unauthenticated uploads of 8 MB: the heap grew by %d MB and %d MB were allocated; want under 32 and 64",
			n, peak>>20, allocated>>20)
	}
}

// TestAnAuthorisedImportStreamsUpTo8MiBAndRefusesOneByteMore imports a
// file of exactly 8 MiB, which works and is never held whole (the heap
// grows by less than the file), and one of a byte more, which goes back to
// the form with the message that says so.
func TestAnAuthorisedImportStreamsUpTo8MiBAndRefusesOneByteMore(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("editor@shop.test", "users:editor")
	b := o.browser()
	b.signIn("editor@shop.test")
	b.get("/admin/customers/import")
	head := "email,firstName\nann@example.test,Ann\n"
	// Blank lines fill the file: CSV skips them.
	file := append([]byte(head), bytes.Repeat([]byte("\n"), 8<<20-len(head))...)
	body, ct := multipartUpload(b.csrf, file)

	w := heaptest.Start()
	status, page, _ := b.postBody("/admin/customers/import", ct, body)
	peak, _ := w.Stop()
	wantStatus(t, "8 MiB import", status, http.StatusOK, page)
	mustContain(t, "8 MiB import", page, `id="import-created">1<`, `id="import-failed">0<`)
	t.Logf("importing %d bytes grew the heap by at most %d bytes", len(file), peak)
	if peak >= uint64(len(file)) {
		t.Errorf("importing a file of 8 MiB grew the heap by %d MB: the file was held whole", peak>>20)
	}

	body, ct = multipartUpload(b.csrf, append(file, '\n'))
	status, _, h := b.postBody("/admin/customers/import", ct, body)
	if status != http.StatusSeeOther || h.Get("Location") != "/admin/customers/import?error=too-large" {
		t.Fatalf("8 MiB + 1: %d %s, want a redirect to the form", status, h.Get("Location"))
	}
	_, page, _ = b.get(h.Get("Location"))
	mustContain(t, "8 MiB + 1", page, "The file was larger than 8 MB. Split it into smaller files")
	if n := customerCount(t, o); n != 1 {
		t.Errorf("%d customers after the refused import, want 1", n)
	}
}

func customerCount(t *testing.T, o *testOffice) int {
	t.Helper()
	_, n, err := o.Store.FindCustomers(ctx, lt.DirectoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// postBody posts a body of the content type as the browser.
func (b *browser) postBody(path, contentType string, body []byte) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.o.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

// TestTheImportFormSendsItsCSRFFieldFirstAndAFileBeforeItIsRefused checks
// that the import page's form puts the CSRF field before the file (the
// order a browser sends them in), and that an upload whose file comes
// first is refused before its file is read.
func TestTheImportFormSendsItsCSRFFieldFirstAndAFileBeforeItIsRefused(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("editor@shop.test", "users:editor")
	b := o.browser()
	b.signIn("editor@shop.test")
	for _, path := range []string{"/admin/contacts/import", "/admin/customers/import"} {
		_, page, _ := b.get(path)
		form := page[strings.Index(page, `id="import-form"`):]
		csrfAt, fileAt := strings.Index(form, `name="csrf"`), strings.Index(form, `name="file"`)
		if csrfAt < 0 || fileAt < 0 || csrfAt > fileAt {
			t.Errorf("%s: the form's CSRF field (at %d) does not come before its file (at %d)", path, csrfAt, fileAt)
		}

		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "contacts.csv")
		fw.Write([]byte("email\nx@example.test\n"))
		mw.WriteField("csrf", b.csrf)
		mw.Close()
		status, page, _ := b.postBody(path, mw.FormDataContentType(), body.Bytes())
		if status != http.StatusForbidden {
			t.Errorf("%s with the file before the CSRF field: %d, want 403\n%s", path, status, page)
		}
	}
	if n := customerCount(t, o); n != 0 {
		t.Errorf("%d customers imported by uploads that were refused", n)
	}
}

// formFieldNames are the names of every field of the backoffice's forms,
// read from its templates, and those its handlers read besides.
func formFieldNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	names := []string{"next", "back", "q", "ids", "userQuery", "user", "csrf"}
	re := regexp.MustCompile(`name="([A-Za-z]+)"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	return names
}

// TestNoFormValueComesBackInALocationHeader sends every backoffice route
// each field of the backoffice's forms with a value longer than a redirect
// may be, as a staff member with every grant and the right CSRF token (a
// form by POST, a query by GET): no answer's Location is longer than
// bounds.MaxLocation. A field of 9 MB is refused as too large, without a
// Location.
func TestNoFormValueComesBackInALocationHeader(t *testing.T) {
	o := newAuthzOffice(t)
	long := strings.Repeat("x", bounds.MaxLocation+2000)
	fields := formFieldNames(t)
	for _, rt := range o.srv.Routes() {
		if rt.Upload {
			continue // a file, not fields: TestAnAuthorisedImportStreamsUpTo8MiBAndRefusesOneByteMore
		}
		method, path := concrete(rt.Pattern)
		// A return address (next, back) is followed only when it looks
		// like one of the backoffice's own: such values too.
		screen := path
		if parts := strings.SplitN(path, "/", 4); len(parts) > 3 {
			screen = strings.Join(parts[:3], "/")
		}
		addresses := []string{long, screen + "?q=" + long, "/admin/login-tokens?q=" + long, "/admin/" + long}
		for _, field := range fields {
			if field == "csrf" {
				continue
			}
			values := []string{long}
			if field == "next" || field == "back" {
				values = addresses
			}
			for _, value := range values {
				session, csrf := o.session("all")
				var h http.Header
				status := 0
				if method == "GET" {
					status, _, h = o.send("GET", path+"?"+url.Values{field: {value}}.Encode(), session, nil)
				} else {
					status, _, h = o.send(method, path, session, url.Values{"csrf": {csrf}, field: {value}}, "Sec-Fetch-Site", "same-origin")
				}
				if loc := h.Get("Location"); len(loc) > bounds.MaxLocation {
					t.Errorf("%s with %s of %d characters (%.30s…): %d with a Location of %d characters", rt.Pattern, field, len(value), value, status, len(loc))
				}
			}
		}
	}
	// The return addresses of actions on records that exist.
	co := &lt.Company{Name: "Acme"}
	if err := o.Store.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	contact := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := o.Store.CreateContact(ctx, contact); err != nil {
		t.Fatal(err)
	}
	tok, err := o.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/admin/contacts/%d/disable", contact.ID), url.Values{"next": {"/admin/contacts?q=" + long}}},
		{fmt.Sprintf("/admin/contacts/%d/enable", contact.ID), url.Values{"next": {"/admin/contacts?q=" + long}}},
		{"/admin/login-tokens/delete", url.Values{"ids": {tok.ID}, "confirm": {"yes"}, "back": {"/admin/login-tokens?q=" + long}}},
	} {
		session, csrf := o.session("all")
		c.form.Set("csrf", csrf)
		status, _, h := o.send("POST", c.path, session, c.form, "Sec-Fetch-Site", "same-origin")
		if loc := h.Get("Location"); status != http.StatusSeeOther || len(loc) > bounds.MaxLocation {
			t.Errorf("POST %s with a return address of %d characters: %d with a Location of %d characters, want a short redirect", c.path, len(long), status, len(loc))
		}
	}

	// Nor the address of a page asked for without a session, which
	// sign-in returns to.
	_, _, h := o.send("GET", "/admin/contacts?q="+long, "", nil)
	if loc := h.Get("Location"); len(loc) > bounds.MaxLocation || !strings.HasPrefix(loc, "/admin/login") {
		t.Errorf("a page of a long address without a session: a Location of %d characters, want sign-in", len(loc))
	}

	// The case: a filter of 9 MB.
	session, csrf := o.session("all")
	huge := url.Values{"csrf": {csrf}, "q": {strings.Repeat("x", 9<<20)}}
	status, _, h := o.send("POST", "/admin/login-tokens/filter", session, huge, "Sec-Fetch-Site", "same-origin")
	if status != http.StatusRequestEntityTooLarge || h.Get("Location") != "" {
		t.Errorf("a filter of 9 MB: %d with a Location of %d characters, want 413 without one", status, len(h.Get("Location")))
	}
}

// TestAFullGateRefusesAtOnceWith429AndRetryAfter fills each gate the
// backoffice shares with the API and asks for what it bounds: an import,
// an export, a search without three letters or digits in a row (the
// picker, the typed user of the filter form, the directory's lists and the
// token list). Each is refused at once with 429 and Retry-After; a search
// of three letters still runs.
func TestAFullGateRefusesAtOnceWith429AndRetryAfter(t *testing.T) {
	st := sqlstoretest.Open(t, "sqlite")
	gates := &bounds.Gates{
		Imports:       bounds.NewGate("imports", 1, 7e9),
		Exports:       bounds.NewGate("exports", 1, 7e9),
		ShortSearches: bounds.NewGate("short searches", 1, 7e9),
	}
	bo, err := backoffice.New(backoffice.Config{Store: st, PublicURL: "http://127.0.0.1", Gates: gates,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	bo.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	o := &testOffice{t: t, URL: srv.URL, Store: st}
	o.staff("all@shop.test", "configuration:owner", "users:owner")
	b := o.browser()
	b.signIn("all@shop.test")
	b.get("/admin/contacts/import")
	csrf := b.csrf

	for _, g := range []*bounds.Gate{gates.Imports, gates.Exports, gates.ShortSearches} {
		leave, err := g.Enter()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(leave)
	}
	body, ct := multipartUpload(csrf, []byte("email\nx@example.test\n"))
	cases := []struct {
		name string
		do   func() (int, http.Header)
	}{
		{"import", func() (int, http.Header) {
			s, _, h := b.postBody("/admin/customers/import", ct, body)
			return s, h
		}},
		{"export", func() (int, http.Header) { s, _, h := b.get("/admin/login-tokens.csv"); return s, h }},
		{"picker, one character", func() (int, http.Header) { s, _, h := b.get("/admin/users/search?q=a"); return s, h }},
		{"picker, two characters", func() (int, http.Header) {
			s, _, h := b.get("/admin/users/search?q=" + url.QueryEscape(" ab "))
			return s, h
		}},
		{"filter form, a typed user of two characters", func() (int, http.Header) {
			s, _, h := b.post("/admin/login-tokens/filter", url.Values{"csrf": {csrf}, "userQuery": {"ab"}})
			return s, h
		}},
	}
	// Three characters or more without three letters or digits in a
	// row, and the lists' searches: no trigram index serves them either.
	for _, path := range []string{"/admin/users/search?q=...", "/admin/users/search?q=a_b", "/admin/users/search?q=" + url.QueryEscape("jo d"),
		"/admin/contacts?q=ab", "/admin/contacts?q=%25%25%25", "/admin/customers?q=a.b", "/admin/companies?q=x",
		"/admin/login-tokens?q=zo", "/admin/login-tokens?q=___"} {
		cases = append(cases, struct {
			name string
			do   func() (int, http.Header)
		}{path, func() (int, http.Header) { s, _, h := b.get(path); return s, h }})
	}
	for _, c := range cases {
		status, h := c.do()
		if status != http.StatusTooManyRequests || h.Get("Retry-After") != "7" {
			t.Errorf("%s with its gate full: %d, Retry-After %q; want 429 and 7", c.name, status, h.Get("Retry-After"))
		}
	}
	for _, path := range []string{"/admin/users/search?q=abc", "/admin/contacts?q=hoffmann", "/admin/customers", "/admin/companies?q=4711",
		"/admin/login-tokens?q=ab.cde"} {
		if status, body, _ := b.get(path); status != http.StatusOK {
			t.Errorf("GET %s with the short searches' gate full: %d %s", path, status, body)
		}
	}
	if n := customerCount(t, o); n != 0 {
		t.Errorf("%d customers imported while the gate was full", n)
	}
}

// A form past its route's limit is refused 413 however it is sent: with
// a Content-Length (refused unread) or chunked, without one (refused once
// the limit is read). Every state-changing route, sign-in included; an
// upload route's ordinary form has the ordinary limit. Before, a chunked
// form past the limit was parsed as an empty form: a 403 (no CSRF token)
// or a form message.
func TestAFormPastItsLimitIs413SentChunkedOrNot(t *testing.T) {
	o := newAuthzOffice(t)
	for _, rt := range o.srv.Routes() {
		if !stateChanging(rt.Pattern) {
			continue
		}
		method, path := concrete(rt.Pattern)
		session, csrf := o.session("all")
		limit := rt.MaxBody
		if rt.Upload {
			limit = bounds.DefaultMaxBody
		}
		form := "csrf=" + url.QueryEscape(csrf) + "&name=" + strings.Repeat("x", int(limit))
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(form)
			if chunked {
				body = io.MultiReader(body) // no length known: sent chunked
			}
			req, _ := http.NewRequest(method, o.URL+path, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "lt_session", Value: session})
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatalf("%s (chunked: %v): %v", rt.Pattern, chunked, err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if (req.ContentLength > 0) == chunked {
				t.Fatalf("%s: the request is not sent as meant (length %d)", rt.Pattern, req.ContentLength)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(page), "too large") {
				t.Errorf("%s, %d bytes, chunked: %v: %d, want 413\n%.300s", rt.Pattern, len(form), chunked, resp.StatusCode, page)
			}
		}
	}
}

// TestAPagePastTenThousandRowsIsA400WithAMessage: the lists show their
// first 10,000 rows. A deeper page in a hand-edited URL is answered 400:
// the directory's lists show their last page with a message saying why,
// the token list its message next to the filters, naming the page.
func TestAPagePastTenThousandRowsIsA400WithAMessage(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("all@shop.test", "configuration:owner", "users:owner")
	b := o.browser()
	b.signIn("all@shop.test")
	for _, c := range []struct{ path, id, shown string }{
		{"/admin/contacts?page=401", "contacts-problem", "Page 400 of"},
		{"/admin/customers?q=ab&page=21&pageSize=500", "customers-problem", "Page 20 of"},
		{"/admin/companies?page=10001&pageSize=1", "companies-problem", "Page 10000 of"},
	} {
		status, body, _ := b.get(c.path)
		if status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", c.path, status)
		}
		mustContain(t, c.path, body, `id="`+c.id+`"`, "past the last page a list shows", "10000", c.shown)
	}
	status, body, _ := b.get("/admin/login-tokens?page=401")
	if status != http.StatusBadRequest {
		t.Errorf("GET /admin/login-tokens?page=401: %d, want 400", status)
	}
	mustContain(t, "the token list, page 401", body, "Page: at most 400 with pageSize 25")
	for _, path := range []string{"/admin/contacts?page=400", "/admin/login-tokens?page=400"} {
		if status, body, _ := b.get(path); status != http.StatusOK || strings.Contains(body, "past the last page") {
			t.Errorf("GET %s: %d", path, status)
		}
	}
}
