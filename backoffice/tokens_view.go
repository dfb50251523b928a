package backoffice

// What the login tokens templates are given: the list, its columns, the
// filter panel's state and the links that change one thing of the
// selection. The templates only print; every URL is built here.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// tokensView is the list page.
type tokensView struct {
	Query   url.Values // the list's parameters as given
	Invalid []string   // why the parameters are refused, when they are
	Flash   string
	FlashOK bool
	Items   []tokenRow
	Found   int
	Page    int
	// PageSize and Pages follow the parameters (defaults filled in).
	PageSize int
	Pages    int
	Sort     lt.Sort
	Editor   bool
	// MailOff says why Send login link is off ("" when it is on).
	MailOff string
	CSRF    string
	Filters *filterForm
	New     *tokenForm // the New Login Token dialog (editors)
	// Shops name the tokens' shops; the Shop column shows only when
	// there is a choice of them (tokenShops.Offered).
	Shops tokenShops
}

// ShopName is what the Shop column says of a token.
func (v *tokensView) ShopName(t tokenRow) string {
	if name := v.Shops.Name(t.ShopID); name != "" {
		return name
	}
	return anyShop
}

// ColSpan is the number of the table's columns.
func (v *tokensView) ColSpan() int {
	n := len(v.Columns())
	if v.Editor {
		n++
	}
	return n
}

// NewView is the New Login Token dialog before saving.
func (v *tokensView) NewView() *newTokenView { return &newTokenView{Form: v.New} }

// Intro is the help page's first sentence on the screen.
const tokensIntro = "Login tokens allow contacts and customers to access the webshop without a password. " +
	"You can set tokens to expire on a specific date and restrict them to one-time use."

func (v *tokensView) Intro() string { return tokensIntro }

// Self is the address of the list as shown.
func (v *tokensView) Self() string { return listURL(v.Query) }

// Total is "N login tokens".
func (v *tokensView) Total() string { return countNoun(v.Found, "login token", "login tokens") }

// LastPage is at least 1, so an empty list is "page 1 of 1".
func (v *tokensView) LastPage() int { return max(v.Pages, 1) }

// PastEnd reports a page beyond the last one (after deleting its rows).
func (v *tokensView) PastEnd() bool { return len(v.Items) == 0 && v.Found > 0 }

func (v *tokensView) pageURL(n int) string {
	q := without(v.Query, "page")
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	return listURL(q)
}

// PrevURL and NextURL are "" at either end.
func (v *tokensView) PrevURL() string {
	if v.Page <= 1 {
		return ""
	}
	return v.pageURL(min(v.Page-1, v.LastPage()))
}

func (v *tokensView) NextURL() string {
	if v.Page >= v.Pages {
		return ""
	}
	return v.pageURL(v.Page + 1)
}

func (v *tokensView) LastPageURL() string { return v.pageURL(v.LastPage()) }

// ExportURL is the CSV of the whole selection, every page of it.
func (v *tokensView) ExportURL() string {
	q := without(v.Query, "page", "pageSize")
	if e := q.Encode(); e != "" {
		return tokensPath + ".csv?" + e
	}
	return tokensPath + ".csv"
}

// ClearURL keeps the sort and page size but drops every filter.
func (v *tokensView) ClearURL() string {
	q := url.Values{}
	for _, k := range []string{"sort", "pageSize"} {
		if val := v.Query.Get(k); val != "" {
			q.Set(k, val)
		}
	}
	return listURL(q)
}

// field is a hidden form field.
type field struct{ Name, Value string }

// Hidden are the current parameters except the keys, as hidden fields of
// the forms that change one part of the selection (search, page size).
func (v *tokensView) Hidden(except ...string) []field {
	var out []field
	keys := make([]string, 0, len(v.Query))
	for k := range v.Query {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(except, k) {
			continue
		}
		for _, val := range v.Query[k] {
			out = append(out, field{k, val})
		}
	}
	return out
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// PageSizes are the page size choices, the current one selected.
func (v *tokensView) PageSizes() []option {
	sizes := []int{25, 50, 100, 500}
	if !slices.Contains(sizes, v.PageSize) {
		sizes = append(sizes, v.PageSize)
		slices.Sort(sizes)
	}
	out := make([]option, len(sizes))
	for i, n := range sizes {
		out[i] = option{Value: strconv.Itoa(n), Label: strconv.Itoa(n), Selected: n == v.PageSize}
	}
	return out
}

// column is a header of the table.
type column struct {
	Label, Class string
	// Sort is "ascending" or "descending" on the sorted column (aria-sort).
	Sort string
	// URL sorts by the column, the other way round when it is sorted already;
	// "" for a column that does not sort.
	URL string
}

// tokenColumns are the help page's columns with the API's sort keys.
var tokenColumns = []struct{ label, key, class string }{
	{"Name", lt.SortName, "col-name"},
	{"Type", lt.SortType, "col-type"},
	{"Expires At", lt.SortExpiresAt, "col-date"},
	{"Last Accessed At", lt.SortLastAccessedAt, "col-date"},
	{"Successful Attempts", lt.SortSuccessfulAttempts, "col-count num"},
	{"Failed Attempts", lt.SortFailedAttempts, "col-count num"},
	{"Uses Allowed", lt.SortMaxUses, "col-count num"},
	{"One Time Use", lt.SortOneTimeUse, "col-bool"},
	{"Extra", "", "col-extra"},
}

func (v *tokensView) Columns() []column {
	out := make([]column, len(tokenColumns))
	for i, c := range tokenColumns {
		col := column{Label: c.label, Class: c.class}
		if c.key != "" {
			next := lt.Sort{Key: c.key}
			if v.Sort.Key == c.key {
				col.Sort = "ascending"
				if v.Sort.Desc {
					col.Sort = "descending"
				}
				next.Desc = !v.Sort.Desc
			}
			q := without(v.Query, "sort", "page")
			q.Set("sort", next.String())
			col.URL = listURL(q)
		}
		out[i] = col
	}
	if v.Shops.Offered() {
		// Before Extra, the last column.
		out = slices.Insert(out, len(out)-1, column{Label: "Shop", Class: "col-shop"})
	}
	return out
}

// tokenRow is a token as the table shows it.
type tokenRow struct{ *lt.LoginToken }

// Name is the user's name; "" for an anonymous token.
func (t tokenRow) Name() string {
	if t.User == nil {
		return ""
	}
	return t.User.Name
}

// Label names the row for screen readers ("Select …").
func (t tokenRow) Label() string {
	if t.User == nil {
		return "anonymous login token " + t.ID
	}
	return "login token " + t.ID + " of " + t.User.Name
}

// TypeLabel is Contact, Customer or Anonymous.
func (t tokenRow) TypeLabel() string { return typeLabel(t.Type) }

// UserDetail is the email and company under the name.
func (t tokenRow) UserDetail() string {
	if t.User == nil {
		return ""
	}
	return userDetail(t.User)
}

func typeLabel(t lt.UserType) string {
	switch t {
	case lt.UserContact:
		return "Contact"
	case lt.UserCustomer:
		return "Customer"
	}
	return "Anonymous"
}

func userDetail(u *lt.UserRef) string {
	parts := []string{}
	if u.Email != "" {
		parts = append(parts, u.Email)
	}
	if u.Company != nil && u.Company.Name != "" {
		parts = append(parts, u.Company.Name)
	}
	return strings.Join(parts, " · ")
}

// pickedUser is a contact or customer chosen in a user picker.
type pickedUser struct {
	Key    string // "contact:12"
	Name   string
	Type   string // Contact or Customer
	Detail string
}

func pickedFrom(u *lt.UserRef) pickedUser {
	name := u.Name
	if name == "" {
		name = u.Email
	}
	return pickedUser{Key: userKey(u.Type, u.ID), Name: name, Type: typeLabel(u.Type), Detail: userDetail(u)}
}

// picker is a user picker: a combobox that searches /admin/users/search
// and keeps its choice in hidden fields named Name.
type picker struct {
	ID, Label, Name, Hint, Error string
	Multiple, Autofocus          bool
	Selected                     []pickedUser
	Query                        string // what was typed without choosing (no JavaScript)
}

// dateRange is a date range filter.
type dateRange struct {
	Key, Label string
	// From and To are what the date inputs show without JavaScript (the UTC
	// day); FromRaw and ToRaw the parameters, which tokens.js shows as the
	// viewer's local day.
	From, To, FromRaw, ToRaw string
}

// countFilter is an attempt count condition.
type countFilter struct {
	Key, Label string
	Op, N      string
	Ops        []option // the conditions, the current one selected
}

// check is one checkbox or radio of a group.
type check struct {
	Value, Label string
	Checked      bool
}

// filterForm is the filter panel.
type filterForm struct {
	IDs    string
	Users  *picker
	Ranges []dateRange
	Counts []countFilter
	// Checks are the boxes of each list of choices and the radios of each
	// yes-or-no filter, by parameter.
	Checks   map[string][]check
	Q        string
	Sort     string
	PageSize string
	Chips    []filterChip
	// Shops are the choices of the Shop filter (nil when there is no
	// choice of shops); ShopID is the parameter as given, kept in the
	// panel even then.
	Shops  []option
	ShopID string
}

// Active counts the filters in use.
func (f *filterForm) Active() int { return len(f.Chips) }

// Label names a filter (lt.TokenFilterSpec).
func (f *filterForm) Label(name string) string { return filterLabel(name) }

// Spec is the spec of the filters as JSON, which tokens.js reads from the
// panel to build the list's URL as panelQuery does.
func (f *filterForm) Spec() (string, error) {
	b, err := json.Marshal(lt.TokenFilterSpec)
	return string(b), err
}

// filterChip is an active filter above the table, with a link without it.
type filterChip struct {
	Label string
	Text  string
	// Times are shown as the viewer's local days.
	From, To  string
	RemoveURL string
}

// filterForm reads the panel's state from the parameters, leniently: the
// panel shows even parameters that the list refuses, to be corrected. Its
// filters and chips follow the spec of the filters (lt.TokenFilterSpec).
func (s *Server) filterForm(r *http.Request, q url.Values, shops tokenShops) (*filterForm, error) {
	f := &filterForm{Q: q.Get("q"), Sort: q.Get("sort"), PageSize: q.Get("pageSize"), Checks: map[string][]check{}}
	chip := func(p lt.FilterParam, c filterChip) {
		c.Label = p.Label
		if c.Text != "" || c.From != "" || c.To != "" {
			c.RemoveURL = listURL(without(q, append(p.Params(), "page")...))
			f.Chips = append(f.Chips, c)
		}
	}
	for _, p := range lt.TokenFilterSpec {
		vals := splitList(q[p.Name])
		switch p.Kind() {
		case lt.FilterTokenIDs:
			f.IDs = strings.Join(vals, "\n")
			chip(p, filterChip{Text: strings.Join(vals, ", ")})
		case lt.FilterUserIDs:
			// One picker and one chip for all of them.
			if f.Users == nil {
				if err := s.pickedFilter(r, f, q, p.Label); err != nil {
					return nil, err
				}
			}
		case lt.FilterChoice:
			f.Checks[p.Name] = checks(p.Choices, vals)
			var labels []string
			for _, v := range vals {
				labels = append(labels, choiceLabel(p.Choices, v))
			}
			chip(p, filterChip{Text: strings.Join(labels, ", ")})
		case lt.FilterTimeRange:
			ends := p.Params()
			d := dateRange{Key: p.Name, Label: p.Label, FromRaw: q.Get(ends[0]), ToRaw: q.Get(ends[1])}
			d.From, d.To = utcDay(d.FromRaw), utcDay(d.ToRaw)
			f.Ranges = append(f.Ranges, d)
			chip(p, filterChip{From: d.FromRaw, To: d.ToRaw})
		case lt.FilterCount:
			c := countFilter{Key: p.Name, Label: p.Label, Op: "gt"}
			if raw := q.Get(p.Name); raw != "" {
				c.Op, c.N, _ = strings.Cut(raw, ":")
				chip(p, filterChip{Text: choiceLabel(p.Choices, c.Op) + " " + c.N})
			}
			for _, o := range p.Choices {
				c.Ops = append(c.Ops, option{Value: o.Value, Label: o.Label, Selected: o.Value == c.Op})
			}
			f.Counts = append(f.Counts, c)
		case lt.FilterBool:
			raw := q.Get(p.Name)
			f.Checks[p.Name] = append([]check{{Value: "", Label: "Any", Checked: raw == ""}}, checks(p.Choices, []string{raw})...)
			if raw != "" {
				chip(p, filterChip{Text: choiceLabel(p.Choices, raw)})
			}
		case lt.FilterShop:
			f.ShopID = q.Get(p.Name)
			if f.Shops = shops.options(f.ShopID); f.Shops != nil {
				f.Shops[0].Label = "Any" // no filter, as a yes-or-no filter's
			}
			text := f.ShopID
			if id, err := strconv.ParseInt(f.ShopID, 10, 64); err == nil {
				text = shops.Name(&id)
			}
			chip(p, filterChip{Text: text})
		case lt.FilterText:
			chip(p, filterChip{Text: q.Get(p.Name)})
		}
	}
	return f, nil
}

// pickedFilter is the Contact or Customer filter: its picker holds the
// people of the contactIds and customerIds parameters, looked up in one
// call (the first pickedLookup of each kind; the rest, and those gone,
// show by their ids), and its one chip names them all.
func (s *Server) pickedFilter(r *http.Request, f *filterForm, q url.Values, label string) error {
	f.Users = &picker{ID: "filter-user", Label: label, Name: "user", Multiple: true,
		Hint: "Type a name, email or company and choose; several are allowed."}
	var params []string
	var picked []*lt.UserRef
	lookup := map[lt.UserType][]int64{}
	for _, p := range lt.TokenFilterSpec {
		if p.Kind() != lt.FilterUserIDs {
			continue
		}
		params = append(params, p.Name)
		for _, raw := range splitList(q[p.Name]) {
			if id, err := strconv.ParseInt(raw, 10, 64); err == nil && id > 0 {
				picked = append(picked, &lt.UserRef{Type: p.User, ID: id, Name: typeLabel(p.User) + " " + raw})
				if len(lookup[p.User]) < pickedLookup {
					lookup[p.User] = append(lookup[p.User], id)
				}
			}
		}
	}
	found, err := s.lookupUsers(r.Context(), lookup)
	if err != nil {
		return err
	}
	var names []string
	for _, u := range picked {
		if known := found[userKey(u.Type, u.ID)]; known != nil {
			u = known
		}
		pu := pickedFrom(u)
		f.Users.Selected = append(f.Users.Selected, pu)
		names = append(names, pu.Name)
	}
	if len(names) > 0 {
		f.Chips = append(f.Chips, filterChip{Label: label, Text: strings.Join(names, ", "),
			RemoveURL: listURL(without(q, append(params, "page")...))})
	}
	return nil
}

// checks are the boxes of choices, those of vals checked.
func checks(choices []lt.Choice, vals []string) []check {
	out := make([]check, len(choices))
	for i, c := range choices {
		out[i] = check{Value: c.Value, Label: c.Label, Checked: slices.Contains(vals, c.Value)}
	}
	return out
}

// choiceLabel names a value of a filter; a value that is none of its
// choices shows as it is.
func choiceLabel(choices []lt.Choice, v string) string {
	for _, c := range choices {
		if c.Value == v {
			return c.Label
		}
	}
	return v
}

// utcDay is the YYYY-MM-DD a date input shows for a filter time.
func utcDay(raw string) string {
	if raw == "" {
		return ""
	}
	t, _, err := lt.ParseFilterTime(raw)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
