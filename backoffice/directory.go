package backoffice

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// Users > Contacts, Customers and Companies (users:viewer to look,
// users:editor to change). Each screen is a list whose search and
// page live in the URL, and a form page per record; forms post, and
// either redirect (with a done= notice) or re-render with the messages
// next to their fields.

func (s *Server) directoryRoutes() []route {
	rts := append(personRoutes(s, s.contactKind()), personRoutes(s, s.customerKind())...)
	return append(rts,
		route{pattern: "GET /admin/companies", need: usersViewer, handler: http.HandlerFunc(s.listCompanies)},
		route{pattern: "GET /admin/companies/new", need: usersEditor, handler: http.HandlerFunc(s.newCompany)},
		route{pattern: "POST /admin/companies", need: usersEditor, handler: http.HandlerFunc(s.createCompany)},
		route{pattern: "GET /admin/companies/{id}", need: usersViewer, handler: http.HandlerFunc(s.showCompany)},
		route{pattern: "POST /admin/companies/{id}", need: usersEditor, handler: http.HandlerFunc(s.updateCompany)},
		route{pattern: "POST /admin/companies/{id}/delete", need: usersEditor, handler: http.HandlerFunc(s.deleteCompany)},
	)
}

// personRoutes are the routes of the contacts' or the customers' screens.
func personRoutes[T lt.PersonKind](s *Server, k *personKind[T]) []route {
	return []route{
		{pattern: "GET " + k.Path, need: usersViewer, handler: listPeople(s, k)},
		{pattern: "GET " + k.Path + "/new", need: usersEditor, handler: newPerson(s, k)},
		{pattern: "POST " + k.Path, need: usersEditor, handler: createPerson(s, k)},
		{pattern: "GET " + k.Path + "/{id}", need: usersViewer, handler: showPerson(s, k)},
		{pattern: "POST " + k.Path + "/{id}", need: usersEditor, handler: updatePerson(s, k)},
		{pattern: "POST " + k.Path + "/{id}/disable", need: usersEditor, handler: setPersonDisabled(s, k, true)},
		{pattern: "POST " + k.Path + "/{id}/enable", need: usersEditor, handler: setPersonDisabled(s, k, false)},
		{pattern: "POST " + k.Path + "/{id}/delete", need: usersEditor, handler: deletePerson(s, k)},
		{pattern: "GET " + k.Path + "/import", need: usersEditor, handler: showImport(s, k)},
		{pattern: "POST " + k.Path + "/import", need: usersEditor, handler: runImport(s, k), maxBody: maxUploadBody, upload: true},
	}
}

// dirKind names one of the directory's screens. The URLs, element ids and
// texts of its pages are made of these words, so that contacts, customers
// and companies render from the same partials (templates/_directory_*.html);
// its page templates are <Many>.html, <One>_form.html and, for people,
// <Many>_import.html.
type dirKind struct {
	One, Many           string   // "contact", "contacts"
	OneTitle, ManyTitle string   // "Contact", "Contacts"
	Path                string   // "/admin/contacts"
	SearchHint          string   // the search field's placeholder: what it looks in
	Columns             []string // the list's column headings, besides the actions
	People              bool     // contacts and customers: they sign in, can be disabled and imported
	Companies           bool     // contacts: each belongs to a company
}

var (
	contactsKind = &dirKind{One: "contact", Many: "contacts", OneTitle: "Contact", ManyTitle: "Contacts",
		Path: "/admin/contacts", SearchHint: "Name, email or external id",
		Columns: []string{"Name", "Email", "Company", "External id", "Status"}, People: true, Companies: true}
	customersKind = &dirKind{One: "customer", Many: "customers", OneTitle: "Customer", ManyTitle: "Customers",
		Path: "/admin/customers", SearchHint: "Name, email or external id",
		Columns: []string{"Name", "Email", "External id", "Status"}, People: true}
	companiesKind = &dirKind{One: "company", Many: "companies", OneTitle: "Company", ManyTitle: "Companies",
		Path: "/admin/companies", SearchHint: "Name or external id",
		Columns: []string{"Name", "External id", "Contacts", "Created"}}
)

// DeleteConfirm is what the browser asks before the record called name is
// deleted, from its list or its page.
func (k *dirKind) DeleteConfirm(name string) string {
	if k.People {
		return "Delete " + name + "? Their login tokens will stop working."
	}
	return "Delete the " + k.One + " " + name + "?"
}

// canEditDirectory says whether the request's staff member may change the
// directory, and so sees the controls that do.
func canEditDirectory(r *http.Request) bool {
	return currentFrom(r.Context()).can(lt.AreaUsers, lt.LevelEditor)
}

// dirRecord is what the form page of a contact, customer or company has
// in common.
type dirRecord struct {
	Kind    *dirKind
	ID      int64  // the record's; 0 on the new form
	Name    string // the record's, as lists and messages name it
	CanEdit bool
}

// dirMaxSearch bounds the search text of the lists, as the API does.
const dirMaxSearch = 200

// dirPageSizes are the sizes the lists offer; any size from 1 to
// lt.MaxPageSize works in the URL.
var dirPageSizes = []int{25, 50, 100}

// dirQuery is a list's state as its URL carries it.
type dirQuery struct {
	Q         string
	Page      int
	PageSize  int
	CompanyID int64 // contacts only; 0 = any
}

// readDirQuery reads q, page and pageSize leniently: a hand-edited URL
// with a bad number shows the first page rather than an error.
func readDirQuery(r *http.Request) dirQuery {
	q := r.URL.Query()
	lq := dirQuery{Q: strings.TrimSpace(q.Get("q")), Page: 1, PageSize: lt.DefaultPageSize}
	if utf8.RuneCountInString(lq.Q) > dirMaxSearch {
		lq.Q = string([]rune(lq.Q)[:dirMaxSearch])
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n >= 1 {
		lq.Page = n
	}
	if n, err := strconv.Atoi(q.Get("pageSize")); err == nil && n >= 1 && n <= lt.MaxPageSize {
		lq.PageSize = n
	}
	if n, err := strconv.ParseInt(q.Get("companyId"), 10, 64); err == nil && n > 0 {
		lq.CompanyID = n
	}
	return lq
}

func (lq dirQuery) filter() lt.DirectoryFilter {
	f := lt.DirectoryFilter{Q: lq.Q, Page: lq.Page, PageSize: lq.PageSize}
	if lq.CompanyID > 0 {
		f.CompanyID = &lq.CompanyID
	}
	return f
}

// dirPager is what the pagination under a list shows.
type dirPager struct {
	Total, Page, Pages int
	From, To           int    // the rows shown, counted from 1; From > To past the end
	Prev, Next         string // URLs; "" at either end
	Sizes              []int
	Size               int
}

func newDirPager(u *url.URL, lq dirQuery, total int) dirPager {
	p := dirPager{Total: total, Page: lq.Page, Size: lq.PageSize, Sizes: dirPageSizes,
		Pages: bounds.LastPage(total, lq.PageSize),
		From:  (lq.Page-1)*lq.PageSize + 1, To: min(total, lq.Page*lq.PageSize)}
	if !slices.Contains(p.Sizes, p.Size) {
		p.Sizes = slices.Sorted(slices.Values(append([]int{p.Size}, p.Sizes...)))
	}
	at := func(page int) string {
		q := u.Query()
		q.Del("done")
		q.Set("page", strconv.Itoa(page))
		return u.Path + "?" + q.Encode()
	}
	if lq.Page > 1 {
		p.Prev = at(min(lq.Page-1, p.Pages))
	}
	if lq.Page < p.Pages {
		p.Next = at(lq.Page + 1)
	}
	return p
}

// dirList is the data of a list page: a page of rows R, and the search
// that found them.
type dirList[R any] struct {
	Kind    *dirKind
	Query   dirQuery
	Rows    []R
	Pager   dirPager
	CanEdit bool
	Here    string      // this list's URL, where row actions come back to
	Company *lt.Company // contacts: the company the list is narrowed to
	Problem string      // why the page asked for is not the one shown
}

// findDirectory reads the page of a list that lq asks for. A q that no
// trigram index serves takes a place of the short searches' gate, which
// the API's searches share (a full gate is a 429 at once). A page deeper
// than a list goes (bounds.CheckPage) shows the last page it does
// instead, and problem says so.
func findDirectory[T any](s *Server, r *http.Request, k *dirKind, lq *dirQuery,
	find func(context.Context, lt.DirectoryFilter) ([]*T, int, error)) (items []*T, total int, problem string, err error) {
	leave, err := s.Gates.EnterSearch(lq.Q)
	if err != nil {
		return nil, 0, "", err
	}
	defer leave()
	if bounds.CheckPage(lq.Page, lq.PageSize) != nil {
		last := bounds.LastPage(bounds.MaxListRows, lq.PageSize)
		problem = fmt.Sprintf("Page %d is past the last page a list shows: it shows the first %d %s, %d pages of %d. Search to narrow it.",
			lq.Page, bounds.MaxListRows, k.Many, last, lq.PageSize)
		lq.Page = last
	}
	items, total, err = find(r.Context(), lq.filter())
	return items, total, problem, err
}

func newDirList[R any](r *http.Request, k *dirKind, lq dirQuery, total int) *dirList[R] {
	return &dirList[R]{Kind: k, Query: lq, Pager: newDirPager(r.URL, lq, total), Here: r.URL.RequestURI(), CanEdit: canEditDirectory(r)}
}

// renderList writes a list page, with the notice a redirect asked for;
// a list that shows another page than the one asked for is a 400.
func renderList[R any](s *Server, w http.ResponseWriter, r *http.Request, d *dirList[R]) {
	p := s.page(r, d.Kind.ManyTitle, d.Kind.Many)
	p.Message, p.Data = doneNotice(r), d
	status := http.StatusOK
	if d.Problem != "" {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, d.Kind.Many, p)
}

// Count says how many rows the list has: "1 contact", "12 contacts".
func (p dirPager) Count(one, many string) string { return countNoun(p.Total, one, many) }

// doneNotices are the messages a redirect asks for with done=; a URL can
// only pick one of these, never put text of its own on the page.
var doneNotices = map[string]string{
	"created":  "Created.",
	"saved":    "Saved.",
	"deleted":  "Deleted.",
	"disabled": "Disabled: their login tokens stop working until they are enabled again.",
	"enabled":  "Enabled: their login tokens work again.",
	"revoked":  "The API key is revoked: it stops working at once.",
}

func doneNotice(r *http.Request) string { return doneNotices[r.URL.Query().Get("done")] }

// withDone returns target with done=what added.
func withDone(target, what string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set("done", what)
	u.RawQuery = q.Encode()
	return u.String()
}

// dirBack is where a form posted from a list returns: the list with its
// search and page (the form's next field) when that stays on the screen
// at base, else base itself.
func dirBack(r *http.Request, base string) string {
	next := r.PostFormValue("next")
	if len(next) <= maxReturnAddress && (next == base || strings.HasPrefix(next, base+"?") || strings.HasPrefix(next, base+"/")) && !strings.ContainsAny(next, "\r\n") {
		return withoutSecret(next, base)
	}
	return base
}

// dirBackToList is dirBack for a record that is gone: never its own page.
func dirBackToList(r *http.Request, base string) string {
	if back := dirBack(r, base); !strings.HasPrefix(back, base+"/") {
		return back
	}
	return base
}

// dirPathID reads the {id} of a route; a bad one is a 404, as an unknown one.
func dirPathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, lt.Errorf(lt.ENOTFOUND, "%s %s not found", what, r.PathValue("id"))
	}
	return id, nil
}

// optionalValue is nil for an empty form value.
func optionalValue(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
