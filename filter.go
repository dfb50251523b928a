package logintokens

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paging defaults and bounds (CONTRACT §5).
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
	SortCreatedAt          = "createdAt"
	SortUpdatedAt          = "updatedAt"
)

// SortKeys lists every sort key of the token list.
var SortKeys = []string{SortName, SortType, SortExpiresAt, SortLastAccessedAt, SortSuccessfulAttempts,
	SortFailedAttempts, SortOneTimeUse, SortCreatedAt, SortUpdatedAt}

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
	OneTimeUse         *bool
	Statuses           []TokenStatus
	Q                  string
	Sort               Sort
	Page               int
	PageSize           int
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

// tokenFilterParams are the query parameters of the token list.
var tokenFilterParams = []string{"ids", "contactIds", "customerIds", "type", "expiresAtFrom", "expiresAtTo",
	"createdAtFrom", "createdAtTo", "updatedAtFrom", "updatedAtTo", "successfulAttempts", "failedAttempts",
	"oneTimeUse", "status", "q", "sort", "page", "pageSize"}

// ParseTokenFilter reads the token list's query parameters (CONTRACT §5).
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
	for _, s := range multi(q, "ids") {
		if strings.HasPrefix(s, TokenPrefix+"_") {
			v.Add("ids", "pass token ids, not token values: the id is the part between lt_ and the second _")
			break
		}
		if !ValidID(s) {
			v.Add("ids", "%s is not a token id (12 to 26 lowercase letters and digits)", QuoteInput(s))
			continue
		}
		f.IDs = append(f.IDs, s)
	}
	f.ContactIDs = parseIDs(&v, q, "contactIds")
	f.CustomerIDs = parseIDs(&v, q, "customerIds")
	for _, s := range multi(q, "type") {
		if t := UserType(s); t.Valid() {
			f.Types = append(f.Types, t)
		} else {
			v.Add("type", "%s is not one of contact, customer, anonymous", QuoteInput(s))
		}
	}
	f.ExpiresAt = parseRange(&v, q, "expiresAt")
	f.CreatedAt = parseRange(&v, q, "createdAt")
	f.UpdatedAt = parseRange(&v, q, "updatedAt")
	f.SuccessfulAttempts = parseCondition(&v, q, "successfulAttempts")
	f.FailedAttempts = parseCondition(&v, q, "failedAttempts")
	if s, ok := single(&v, q, "oneTimeUse"); ok {
		switch s {
		case "true":
			f.OneTimeUse = new(true)
		case "false":
			f.OneTimeUse = new(false)
		default:
			v.Add("oneTimeUse", "must be true or false")
		}
	}
	for _, s := range multi(q, "status") {
		if st := TokenStatus(s); st.Valid() {
			f.Statuses = append(f.Statuses, st)
		} else {
			v.Add("status", "%s is not one of active, expired, used", QuoteInput(s))
		}
	}
	if s, ok := single(&v, q, "q"); ok {
		f.Q = strings.TrimSpace(s)
		switch {
		case HoldsSecret(f.Q):
			f.Q = ""
			v.Add("q", "holds a login token value or API key, which is never searched for: "+
				"to find a login token, pass its id in ids (the part between lt_ and the second _)")
		case len(f.Q) > 200:
			v.Add("q", "at most 200 characters")
		}
	}
	f.Sort = DefaultSort
	if s, ok := single(&v, q, "sort"); ok && s != "" {
		key, desc := strings.CutPrefix(s, "-")
		if slices.Contains(SortKeys, key) {
			f.Sort = Sort{Key: key, Desc: desc}
		} else {
			v.Add("sort", "%s is not a sort key; use one of %s, with - for descending", QuoteInput(s), strings.Join(SortKeys, ", "))
		}
	}
	f.Page = parseBounded(&v, q, "page", 1, 1, 1<<30)
	f.PageSize = parseBounded(&v, q, "pageSize", DefaultPageSize, 1, MaxPageSize)
	return f, v.Err()
}

// ParsePaging reads page and pageSize for the other lists.
func ParsePaging(q url.Values) (page, size int, err error) {
	var v Validation
	page = parseBounded(&v, q, "page", 1, 1, 1<<30)
	size = parseBounded(&v, q, "pageSize", DefaultPageSize, 1, MaxPageSize)
	return page, size, v.Err()
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
