package logintokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paging defaults and bounds (docs/api.md).
const (
	DefaultPageSize = 25
	MaxPageSize     = 500
)

// CompareOp is the operator of an attempt-count filter.
type CompareOp string

// The operators of an attempt-count condition.
const (
	OpEq CompareOp = "eq"
	OpNe CompareOp = "ne"
	OpLt CompareOp = "lt"
	OpLe CompareOp = "le"
	OpGt CompareOp = "gt"
	OpGe CompareOp = "ge"
)

// CountCondition is "OP:N" on an attempt counter.
type CountCondition struct {
	Op CompareOp
	N  int64
}

// Matches applies the condition to n.
func (c CountCondition) Matches(n int64) bool {
	switch c.Op {
	case OpEq:
		return n == c.N
	case OpNe:
		return n != c.N
	case OpLt:
		return n < c.N
	case OpLe:
		return n <= c.N
	case OpGt:
		return n > c.N
	case OpGe:
		return n >= c.N
	}
	return false
}

// TimeRange is an inclusive range; either end may be open.
type TimeRange struct {
	From, To *time.Time
}

// IsZero reports whether the range filters nothing.
func (r TimeRange) IsZero() bool { return r.From == nil && r.To == nil }

// Contains reports whether t (nil = no value) lies in the range; a missing
// value lies in no closed range.
func (r TimeRange) Contains(t *time.Time) bool {
	if r.IsZero() {
		return true
	}
	if t == nil {
		return false
	}
	return (r.From == nil || !t.Before(*r.From)) && (r.To == nil || !t.After(*r.To))
}

// Sort keys of the token list.
const (
	SortName               = "name"
	SortType               = "type"
	SortExpiresAt          = "expiresAt"
	SortLastAccessedAt     = "lastAccessedAt"
	SortSuccessfulAttempts = "successfulAttempts"
	SortFailedAttempts     = "failedAttempts"
	SortOneTimeUse         = "oneTimeUse"
	SortMaxUses            = "maxUses"
	SortCreatedAt          = "createdAt"
	SortUpdatedAt          = "updatedAt"
)

// SortKeys lists every sort key of the token list.
var SortKeys = []string{SortName, SortType, SortExpiresAt, SortLastAccessedAt, SortSuccessfulAttempts,
	SortFailedAttempts, SortMaxUses, SortOneTimeUse, SortCreatedAt, SortUpdatedAt}

// Sort is a sort key and direction. Empty values sort last in both
// directions; ties are broken by id in the same direction.
type Sort struct {
	Key  string
	Desc bool
}

func (s Sort) String() string {
	if s.Desc {
		return "-" + s.Key
	}
	return s.Key
}

// DefaultSort is the list's order when none is asked for: newest first.
var DefaultSort = Sort{Key: SortCreatedAt, Desc: true}

// TokenFilter selects login tokens. Filters combine with AND; the values of
// one filter with OR. Zero values filter nothing.
type TokenFilter struct {
	IDs                []string
	ContactIDs         []int64
	CustomerIDs        []int64
	Types              []UserType
	ExpiresAt          TimeRange
	CreatedAt          TimeRange
	UpdatedAt          TimeRange
	SuccessfulAttempts *CountCondition
	FailedAttempts     *CountCondition
	// OneTimeUse true keeps the tokens with maxUses 1, false the others.
	OneTimeUse *bool
	// MaxUses is a condition on the uses allowed; tokens without a limit
	// match none. UnlimitedUses true keeps only those, false only the
	// others.
	MaxUses       *CountCondition
	UnlimitedUses *bool
	// HasNetworks true keeps the tokens bound to client networks, false
	// the others.
	HasNetworks *bool
	Statuses    []TokenStatus
	// ShopID keeps the tokens bound to that shop.
	ShopID   *int64
	Q        string
	Sort     Sort
	Page     int
	PageSize int
}

// Paging is the page and size after defaults.
func (f *TokenFilter) Paging() (page, size int) {
	page, size = f.Page, f.PageSize
	if page < 1 {
		page = 1
	}
	if size < 1 {
		size = DefaultPageSize
	}
	return page, size
}

// Pages returns how many pages of size hold found items.
func Pages(found, size int) int {
	if size < 1 {
		return 0
	}
	return (found + size - 1) / size
}

// FilterKind is the kind of a token-list filter: how its query parameters
// are written and read, how the API documents them and how the backoffice
// offers them.
type FilterKind string

// The kinds of filter.
const (
	// FilterTokenIDs is a list of token ids (never values).
	FilterTokenIDs FilterKind = "tokenIds"
	// FilterUserIDs is a list of the ids of the contacts or the customers
	// that FilterParam.User names.
	FilterUserIDs FilterKind = "userIds"
	// FilterChoice is a list of values among FilterParam.Choices.
	FilterChoice FilterKind = "choice"
	// FilterTimeRange is two parameters, Name+"From" and Name+"To", each an
	// RFC 3339 time or a YYYY-MM-DD day, both ends included.
	FilterTimeRange FilterKind = "timeRange"
	// FilterCount is OP:N on an attempt counter; FilterParam.Choices are
	// the operators.
	FilterCount FilterKind = "count"
	// FilterBool is true or false; FilterParam.Choices name the two.
	FilterBool FilterKind = "bool"
	// FilterShop is the id of a shop: the tokens bound to it. The
	// backoffice offers the shops there are as its choices.
	FilterShop FilterKind = "shop"
	// FilterText is the search.
	FilterText FilterKind = "text"
	// FilterSort is a sort key, with - for descending.
	FilterSort FilterKind = "sort"
	// FilterPage is the 1-based page and FilterPageSize the items per page;
	// FilterParam.Default is the value an absent parameter stands for.
	FilterPage     FilterKind = "page"
	FilterPageSize FilterKind = "pageSize"
)

// Choice is a value a filter takes, with its name in the backoffice.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FilterParam is one filter of the token list: the one description that
// reading it from a query, writing it into one (TokenFilter.Values), the
// API's documentation of it, the backoffice's filter panel and chips and
// the panel's script are all read from.
type FilterParam struct {
	// Name is the query parameter; a time range's are Name+"From" and
	// Name+"To".
	Name string `json:"name"`
	// Label names the filter in the backoffice.
	Label string `json:"label"`
	// Help says what the parameter takes, in the API's reference.
	Help string `json:"help"`
	// Choices are the values a choice, a yes-or-no filter or a count's
	// operator takes, with their labels.
	Choices []Choice `json:"choices,omitempty"`
	// User is the kind of person whose ids a FilterUserIDs filter holds.
	User UserType `json:"user,omitempty"`
	// Default is what an absent page or page size stands for.
	Default string `json:"default,omitempty"`

	codec filterCodec
}

// filterCodec reads a filter from a query into a TokenFilter and writes it
// back, for one kind.
type filterCodec struct {
	kind   FilterKind
	parse  func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter)
	encode func(p *FilterParam, f *TokenFilter, q url.Values)
}

// Kind is how the filter is written.
func (p FilterParam) Kind() FilterKind { return p.codec.kind }

// Params are the filter's query parameters: a time range has two.
func (p FilterParam) Params() []string {
	if p.Kind() == FilterTimeRange {
		return []string{p.Name + "From", p.Name + "To"}
	}
	return []string{p.Name}
}

// MarshalJSON writes the filter with its kind, for the backoffice's script.
func (p FilterParam) MarshalJSON() ([]byte, error) {
	type fields FilterParam
	return json.Marshal(struct {
		fields
		Kind FilterKind `json:"kind"`
	}{fields(p), p.Kind()})
}

const timeHelp = "RFC 3339 time or YYYY-MM-DD (inclusive)"

// countChoices are the operators of an attempt-count filter.
var countChoices = []Choice{{string(OpEq), "equals"}, {string(OpNe), "does not equal"}, {string(OpGt), "more than"},
	{string(OpGe), "at least"}, {string(OpLt), "less than"}, {string(OpLe), "at most"}}

// PagingSpec are the paging parameters of every list.
var PagingSpec = []FilterParam{
	{Name: "page", Label: "Page", Help: "1-based page", Default: "1",
		codec: paging(FilterPage, func(f *TokenFilter) *int { return &f.Page }, 1<<30)},
	{Name: "pageSize", Label: "Page size", Help: "items per page, 1 to 500 (default 25)", Default: strconv.Itoa(DefaultPageSize),
		codec: paging(FilterPageSize, func(f *TokenFilter) *int { return &f.PageSize }, MaxPageSize)},
}

// TokenFilterSpec are the token list's filters, in the order the API
// documents and checks them, then its paging.
var TokenFilterSpec = append([]FilterParam{
	{Name: "ids", Label: "Ids", Help: "token ids (never values); repeat or comma-separate", codec: tokenIDs()},
	{Name: "contactIds", Label: "Contact or Customer", Help: "contact ids", User: UserContact,
		codec: userIDs(func(f *TokenFilter) *[]int64 { return &f.ContactIDs })},
	{Name: "customerIds", Label: "Contact or Customer", Help: "customer ids", User: UserCustomer,
		codec: userIDs(func(f *TokenFilter) *[]int64 { return &f.CustomerIDs })},
	{Name: "type", Label: "Type", Help: "contact, customer, anonymous",
		Choices: []Choice{{string(UserContact), "Contact"}, {string(UserCustomer), "Customer"}, {string(UserAnonymous), "Anonymous"}},
		codec:   choices(func(f *TokenFilter) *[]UserType { return &f.Types })},
	{Name: "expiresAt", Label: "Expires At", Help: timeHelp, codec: timeRange(func(f *TokenFilter) *TimeRange { return &f.ExpiresAt })},
	{Name: "createdAt", Label: "Date Created", Help: timeHelp, codec: timeRange(func(f *TokenFilter) *TimeRange { return &f.CreatedAt })},
	{Name: "updatedAt", Label: "Date Updated", Help: timeHelp, codec: timeRange(func(f *TokenFilter) *TimeRange { return &f.UpdatedAt })},
	{Name: "successfulAttempts", Label: "Successful Attempts", Help: "OP:N with OP one of eq ne lt le gt ge", Choices: countChoices,
		codec: count(func(f *TokenFilter) **CountCondition { return &f.SuccessfulAttempts })},
	{Name: "failedAttempts", Label: "Failed Attempts", Help: "OP:N with OP one of eq ne lt le gt ge", Choices: countChoices,
		codec: count(func(f *TokenFilter) **CountCondition { return &f.FailedAttempts })},
	{Name: "maxUses", Label: "Uses Allowed", Help: "OP:N with OP one of eq ne lt le gt ge, on the uses allowed (tokens without a limit match none)",
		Choices: countChoices, codec: count(func(f *TokenFilter) **CountCondition { return &f.MaxUses })},
	{Name: "unlimitedUses", Label: "Unlimited uses", Help: "true: the tokens without a limit on their uses; false: those with one",
		Choices: []Choice{{"true", "Yes"}, {"false", "No"}}, codec: boolean(func(f *TokenFilter) **bool { return &f.UnlimitedUses })},
	{Name: "oneTimeUse", Label: "One time use", Help: "true or false: maxUses is 1 or not (kept for compatibility)", Choices: []Choice{{"true", "Yes"}, {"false", "No"}},
		codec: boolean(func(f *TokenFilter) **bool { return &f.OneTimeUse })},
	{Name: "hasNetworks", Label: "Bound to networks", Help: "true: the tokens bound to client networks; false: those usable from any address",
		Choices: []Choice{{"true", "Yes"}, {"false", "No"}}, codec: boolean(func(f *TokenFilter) **bool { return &f.HasNetworks })},
	{Name: "status", Label: "Status", Help: "active, expired, used",
		Choices: []Choice{{string(StatusActive), "Active"}, {string(StatusExpired), "Expired"}, {string(StatusUsed), "Used"}},
		codec:   choices(func(f *TokenFilter) *[]TokenStatus { return &f.Statuses })},
	{Name: "shopId", Label: "Shop", Help: "the id of a shop: the tokens bound to it (tokens that sign in at any shop are left out)",
		codec: shop()},
	{Name: "q", Label: "Search", Help: "case-insensitive text in name, email, company or extra; a token value here is refused (pass its id in ids)",
		codec: search()},
	{Name: "sort", Label: "Sort", Help: "name type expiresAt lastAccessedAt successfulAttempts failedAttempts maxUses oneTimeUse createdAt updatedAt; " +
		"- prefix for descending (default -createdAt)", codec: sortOrder()},
}, PagingSpec...)

// tokenFilterParams are the query parameters of the token list.
var tokenFilterParams = specParams(TokenFilterSpec)

func specParams(spec []FilterParam) []string {
	var out []string
	for i := range spec {
		out = append(out, spec[i].Params()...)
	}
	return out
}

// ParseTokenFilter reads the token list's query parameters (docs/api.md).
// Unknown parameters and bad values are one INVALID_INPUT error naming each.
// Paging parameters are optional for exports; extra names parameters the
// caller itself accepts (and will read) beside the filter. A parameter
// that is not fit text (CheckQueryText: NUL, control characters other
// than white space, invalid UTF-8) is refused; no message repeats more
// of a value than QuoteInput shows, so never a token value's secret, and
// a token value or API key in q or ids is refused: a token is looked for
// by its id.
func ParseTokenFilter(q url.Values, extra ...string) (TokenFilter, error) {
	var f TokenFilter
	var v Validation
	for key := range q {
		if !slices.Contains(tokenFilterParams, key) && !slices.Contains(extra, key) {
			v.Add(key, "unknown query parameter")
		}
	}
	if err := CheckQueryText(q); err != nil {
		v.Merge(err)
		// Read no further what is not text.
		fit := url.Values{}
		for key, vals := range q {
			if TextProblem(key) == "" && !slices.ContainsFunc(vals, func(s string) bool { return QueryTextProblem(s) != "" }) {
				fit[key] = vals
			}
		}
		q = fit
	}
	parseSpec(TokenFilterSpec, &v, q, &f)
	return f, v.Err()
}

// Values writes the filter as the query parameters ParseTokenFilter reads
// back into the same filter; defaults are left out.
func (f TokenFilter) Values() url.Values {
	q := url.Values{}
	for i := range TokenFilterSpec {
		p := &TokenFilterSpec[i]
		p.codec.encode(p, &f, q)
	}
	return q
}

// ParsePaging reads page and pageSize for the other lists.
func ParsePaging(q url.Values) (page, size int, err error) {
	var v Validation
	var f TokenFilter
	parseSpec(PagingSpec, &v, q, &f)
	return f.Page, f.PageSize, v.Err()
}

func parseSpec(spec []FilterParam, v *Validation, q url.Values, f *TokenFilter) {
	for i := range spec {
		p := &spec[i]
		p.codec.parse(p, v, q, f)
	}
}

func tokenIDs() filterCodec {
	return filterCodec{kind: FilterTokenIDs,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			for _, s := range multi(q, p.Name) {
				if strings.HasPrefix(s, TokenPrefix+"_") {
					v.Add(p.Name, "pass token ids, not token values: the id is the part between lt_ and the second _")
					break
				}
				if !ValidID(s) {
					v.Add(p.Name, "%s is not a token id (%s)", QuoteInput(s), IDShape)
					continue
				}
				f.IDs = append(f.IDs, s)
			}
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) { setList(q, p.Name, f.IDs) },
	}
}

func userIDs(at func(*TokenFilter) *[]int64) filterCodec {
	return filterCodec{kind: FilterUserIDs,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) { *at(f) = parseIDs(v, q, p.Name) },
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			ids := make([]string, len(*at(f)))
			for i, id := range *at(f) {
				ids[i] = strconv.FormatInt(id, 10)
			}
			setList(q, p.Name, ids)
		},
	}
}

func choices[T ~string](at func(*TokenFilter) *[]T) filterCodec {
	return filterCodec{kind: FilterChoice,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			values := make([]string, len(p.Choices))
			for i, c := range p.Choices {
				values[i] = c.Value
			}
			for _, s := range multi(q, p.Name) {
				if slices.Contains(values, s) {
					*at(f) = append(*at(f), T(s))
				} else {
					v.Add(p.Name, "%s is not one of %s", QuoteInput(s), strings.Join(values, ", "))
				}
			}
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			vals := make([]string, len(*at(f)))
			for i, s := range *at(f) {
				vals[i] = string(s)
			}
			setList(q, p.Name, vals)
		},
	}
}

func timeRange(at func(*TokenFilter) *TimeRange) filterCodec {
	return filterCodec{kind: FilterTimeRange,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) { *at(f) = parseRange(v, q, p.Name) },
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			for i, t := range []*time.Time{at(f).From, at(f).To} {
				if t != nil {
					q.Set(p.Params()[i], t.UTC().Format(time.RFC3339Nano))
				}
			}
		},
	}
}

func count(at func(*TokenFilter) **CountCondition) filterCodec {
	return filterCodec{kind: FilterCount,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			*at(f) = parseCondition(v, q, p.Name)
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			if c := *at(f); c != nil {
				q.Set(p.Name, string(c.Op)+":"+strconv.FormatInt(c.N, 10))
			}
		},
	}
}

func boolean(at func(*TokenFilter) **bool) filterCodec {
	return filterCodec{kind: FilterBool,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			if s, ok := single(v, q, p.Name); ok {
				switch s {
				case "true":
					*at(f) = new(true)
				case "false":
					*at(f) = new(false)
				default:
					v.Add(p.Name, "must be true or false")
				}
			}
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			if b := *at(f); b != nil {
				q.Set(p.Name, strconv.FormatBool(*b))
			}
		},
	}
}

func shop() filterCodec {
	return filterCodec{kind: FilterShop,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			s, ok := single(v, q, p.Name)
			if !ok || s == "" {
				return
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				v.Add(p.Name, "%s is not a positive integer id", QuoteInput(s))
				return
			}
			f.ShopID = &n
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			if f.ShopID != nil {
				q.Set(p.Name, strconv.FormatInt(*f.ShopID, 10))
			}
		},
	}
}

func search() filterCodec {
	return filterCodec{kind: FilterText,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			s, ok := single(v, q, p.Name)
			if !ok {
				return
			}
			f.Q = strings.TrimSpace(s)
			switch {
			case HoldsSecret(f.Q):
				f.Q = ""
				v.Add(p.Name, "holds a login token value or API key, which is never searched for: "+
					"to find a login token, pass its id in ids (the part between lt_ and the second _)")
			case len(f.Q) > 200:
				v.Add(p.Name, "at most 200 characters")
			}
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			if f.Q != "" {
				q.Set(p.Name, f.Q)
			}
		},
	}
}

func sortOrder() filterCodec {
	return filterCodec{kind: FilterSort,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			f.Sort = DefaultSort
			if s, ok := single(v, q, p.Name); ok && s != "" {
				key, desc := strings.CutPrefix(s, "-")
				if slices.Contains(SortKeys, key) {
					f.Sort = Sort{Key: key, Desc: desc}
				} else {
					v.Add(p.Name, "%s is not a sort key; use one of %s, with - for descending", QuoteInput(s), strings.Join(SortKeys, ", "))
				}
			}
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			if f.Sort.Key != "" && f.Sort != DefaultSort {
				q.Set(p.Name, f.Sort.String())
			}
		},
	}
}

// paging reads a page number or size from 1 to hi; an absent one is the
// parameter's Default.
func paging(kind FilterKind, at func(*TokenFilter) *int, hi int) filterCodec {
	return filterCodec{kind: kind,
		parse: func(p *FilterParam, v *Validation, q url.Values, f *TokenFilter) {
			def, _ := strconv.Atoi(p.Default)
			*at(f) = parseBounded(v, q, p.Name, def, 1, hi)
		},
		encode: func(p *FilterParam, f *TokenFilter, q url.Values) {
			if n := *at(f); n > 0 && strconv.Itoa(n) != p.Default {
				q.Set(p.Name, strconv.Itoa(n))
			}
		},
	}
}

// setList sets a list parameter, its values separated by commas; an empty
// list is left out.
func setList(q url.Values, key string, vals []string) {
	if len(vals) > 0 {
		q.Set(key, strings.Join(vals, ","))
	}
}

// multi returns the values of a repeated or comma-separated parameter.
func multi(q url.Values, key string) []string {
	var out []string
	for _, raw := range q[key] {
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// single returns the one value of a parameter; repeating it is an error.
func single(v *Validation, q url.Values, key string) (string, bool) {
	vals := q[key]
	if len(vals) == 0 {
		return "", false
	}
	if len(vals) > 1 {
		v.Add(key, "give it once")
		return "", false
	}
	return vals[0], true
}

func parseIDs(v *Validation, q url.Values, key string) []int64 {
	var out []int64
	for _, s := range multi(q, key) {
		n, err := strconv.ParseInt(s, 10, 64)
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
			v.Add(key, "%s is too large for an id: at most %d", QuoteInput(s), int64(math.MaxInt64))
			continue
		}
		if err != nil || n <= 0 {
			v.Add(key, "%s is not a positive integer id", QuoteInput(s))
			continue
		}
		out = append(out, n)
	}
	return out
}

func parseBounded(v *Validation, q url.Values, key string, def, lo, hi int) int {
	s, ok := single(v, q, key)
	if !ok || s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
		v.Add(key, "%s is too large: at most %d", QuoteInput(s), hi)
		return def
	}
	if err != nil || n < lo || n > hi {
		v.Add(key, "must be an integer from %d to %d", lo, hi)
		return def
	}
	return n
}

func parseCondition(v *Validation, q url.Values, key string) *CountCondition {
	s, ok := single(v, q, key)
	if !ok || s == "" {
		return nil
	}
	c, err := ParseCountCondition(s)
	if err != nil {
		v.Add(key, "%s", err)
		return nil
	}
	return &c
}

// ParseCountCondition parses "OP:N" (eq ne lt le gt ge, N >= 0).
func ParseCountCondition(s string) (CountCondition, error) {
	op, num, ok := strings.Cut(s, ":")
	c := CountCondition{Op: CompareOp(op)}
	if !ok || !slices.Contains([]CompareOp{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}, c.Op) {
		return c, fmt.Errorf("%s: want OP:N with OP one of eq, ne, lt, le, gt, ge", QuoteInput(s))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(num, "-") {
		return c, fmt.Errorf("%s: N is too large: at most %d", QuoteInput(s), int64(math.MaxInt64))
	}
	if err != nil || n < 0 {
		return c, fmt.Errorf("%s: N must be a whole number, 0 or more", QuoteInput(s))
	}
	c.N = n
	return c, nil
}

func parseRange(v *Validation, q url.Values, prefix string) TimeRange {
	var r TimeRange
	if s, ok := single(v, q, prefix+"From"); ok && s != "" {
		if t, _, err := ParseFilterTime(s); err != nil {
			v.Add(prefix+"From", "%s", err)
		} else {
			r.From = &t
		}
	}
	if s, ok := single(v, q, prefix+"To"); ok && s != "" {
		if t, day, err := ParseFilterTime(s); err != nil {
			v.Add(prefix+"To", "%s", err)
		} else {
			if day {
				// A day as an upper bound includes the whole day.
				t = t.Add(24*time.Hour - time.Microsecond)
			}
			r.To = &t
		}
	}
	if r.From != nil && r.To != nil && r.From.After(*r.To) {
		v.Add(prefix+"To", "must not be before %sFrom", prefix)
	}
	return r
}

// ParseFilterTime parses an RFC 3339 time or a YYYY-MM-DD day (that UTC
// day's start; day reports which it was). Times are truncated to
// microseconds, the precision both databases keep.
func ParseFilterTime(s string) (t time.Time, day bool, err error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), true, nil
	}
	t, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, false, fmt.Errorf("%s is not an RFC 3339 time or a YYYY-MM-DD day", QuoteInput(s))
	}
	// An offset can push a time past the years RFC 3339 writes; SQLite
	// compares times as that text, so such a bound would compare wrongly.
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return t, false, fmt.Errorf("%s is not between the years 0 and 9999 in UTC", QuoteInput(s))
	}
	return t.UTC().Truncate(time.Microsecond), false, nil
}
