package logintokens

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseTokenFilterReadsEveryParameter(t *testing.T) {
	q, _ := url.ParseQuery("ids=abcdefghijkl,mnopqrstuvwx&ids=yz0123456789&contactIds=1,2&customerIds=3&type=contact&type=anonymous" +
		"&expiresAtFrom=2026-12-01&expiresAtTo=2026-12-31&createdAtFrom=2026-11-01T10:00:00%2B01:00&updatedAtTo=2026-11-02T00:00:00Z" +
		"&successfulAttempts=ge:2&failedAttempts=eq:0&oneTimeUse=false&status=active,used&shopId=7&q=+Acme+Corp+&sort=-name&page=3&pageSize=500")
	f, err := ParseTokenFilter(q)
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	switch {
	case len(f.IDs) != 3 || f.IDs[2] != "yz0123456789":
		t.Errorf("ids %v", f.IDs)
	case len(f.ContactIDs) != 2 || f.CustomerIDs[0] != 3:
		t.Errorf("users %v %v", f.ContactIDs, f.CustomerIDs)
	case len(f.Types) != 2 || f.Types[1] != UserAnonymous:
		t.Errorf("types %v", f.Types)
	case !f.ExpiresAt.From.Equal(day("2026-12-01")) || !f.ExpiresAt.To.Equal(day("2027-01-01").Add(-time.Microsecond)):
		t.Errorf("expiresAt %v - %v: a To day must include the whole day", f.ExpiresAt.From, f.ExpiresAt.To)
	case !f.CreatedAt.From.Equal(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)) || f.CreatedAt.To != nil:
		t.Errorf("createdAt %v", f.CreatedAt)
	case !f.UpdatedAt.To.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)):
		t.Errorf("updatedAt %v", f.UpdatedAt)
	case *f.SuccessfulAttempts != (CountCondition{OpGe, 2}) || *f.FailedAttempts != (CountCondition{OpEq, 0}):
		t.Errorf("conditions %v %v", f.SuccessfulAttempts, f.FailedAttempts)
	case f.OneTimeUse == nil || *f.OneTimeUse:
		t.Errorf("oneTimeUse %v", f.OneTimeUse)
	case f.ShopID == nil || *f.ShopID != 7:
		t.Errorf("shopId %v", f.ShopID)
	case len(f.Statuses) != 2 || f.Q != "Acme Corp" || f.Sort != (Sort{SortName, true}) || f.Page != 3 || f.PageSize != 500:
		t.Errorf("rest %+v", f)
	}
}

func TestParseTokenFilterDefaults(t *testing.T) {
	f, err := ParseTokenFilter(url.Values{})
	if err != nil || f.Sort != DefaultSort || f.Page != 1 || f.PageSize != DefaultPageSize || f.OneTimeUse != nil {
		t.Fatalf("%+v %v", f, err)
	}
}

func TestParseTokenFilterNamesEveryBadParameter(t *testing.T) {
	cases := map[string]string{
		"bogus=1":                                "bogus",
		"ids=lt_abcdefghijkl_SECRETSECRETSECRET": "ids",
		"ids=ABC":                                "ids",
		"contactIds=x":                           "contactIds",
		"customerIds=-1":                         "customerIds",
		"type=staff":                             "type",
		"expiresAtFrom=tomorrow":                 "expiresAtFrom",
		"createdAtFrom=2026-12-02&createdAtTo=2026-12-01": "createdAtTo",
		"successfulAttempts=gt":                           "successfulAttempts",
		"failedAttempts=xx:1":                             "failedAttempts",
		"failedAttempts=eq:-1":                            "failedAttempts",
		"oneTimeUse=yes":                                  "oneTimeUse",
		"status=revoked":                                  "status",
		"sort=secret":                                     "sort",
		"page=0":                                          "page",
		"pageSize=501":                                    "pageSize",
		"pageSize=0":                                      "pageSize",
		"q=a&q=b":                                         "q",
		"shopId=0":                                        "shopId",
		"shopId=x":                                        "shopId",
		"shopId=1,2":                                      "shopId",
		"shopId=1&shopId=2":                               "shopId",
	}
	for raw, field := range cases {
		q, _ := url.ParseQuery(raw)
		_, err := ParseTokenFilter(q)
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || e.Fields[0].Field != field {
			t.Errorf("%s: %v, want INVALID_INPUT naming %s", raw, err, field)
			continue
		}
		if strings.Contains(e.Message, "SECRETSECRET") {
			t.Errorf("%s: the error repeats a token value", raw)
		}
	}
	// Two bad parameters: both named.
	q, _ := url.ParseQuery("type=x&sort=y")
	_, err := ParseTokenFilter(q)
	if e, _ := err.(*Error); e == nil || len(e.Fields) != 2 {
		t.Fatalf("%v: want both fields named", err)
	}
}

func TestCountConditionMatches(t *testing.T) {
	for _, c := range []struct {
		cond string
		n    int64
		want bool
	}{{"eq:2", 2, true}, {"eq:2", 3, false}, {"ne:2", 3, true}, {"lt:2", 1, true}, {"lt:2", 2, false},
		{"le:2", 2, true}, {"gt:2", 2, false}, {"gt:2", 3, true}, {"ge:2", 2, true}, {"ge:2", 1, false}} {
		cond, err := ParseCountCondition(c.cond)
		if err != nil || cond.Matches(c.n) != c.want {
			t.Errorf("%s on %d: %v %v", c.cond, c.n, cond.Matches(c.n), err)
		}
	}
}

// Values writes a filter as the query parameters that read back into the
// same filter, every filter of the spec among them; the defaults (sort,
// page, page size) are left out.
func TestTokenFilterValuesReadBackIntoTheSameFilter(t *testing.T) {
	for _, query := range []string{
		"",
		"ids=abcdefghijkl,mnopqrstuvwx&contactIds=1,2&customerIds=3&type=contact&type=anonymous" +
			"&expiresAtFrom=2026-12-01&expiresAtTo=2026-12-31&createdAtFrom=2026-11-01T10:00:00.123456789%2B01:00&updatedAtTo=2026-11-02T00:00:00Z" +
			"&successfulAttempts=ge:2&failedAttempts=eq:0&oneTimeUse=false&status=active,used&shopId=2&q=+Acme,+Corp+&sort=name&page=3&pageSize=500",
		"oneTimeUse=true&sort=-createdAt&page=1&pageSize=25&status=expired",
	} {
		q, _ := url.ParseQuery(query)
		f, err := ParseTokenFilter(q)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		vals := f.Values()
		back, err := ParseTokenFilter(vals)
		if err != nil || !reflect.DeepEqual(back, f) {
			t.Errorf("%s: written as %s, read back as %+v (%v), want %+v", query, vals.Encode(), back, err, f)
		}
	}
	defaults, _ := ParseTokenFilter(url.Values{"sort": {"-createdAt"}, "page": {"1"}, "pageSize": {"25"}, "status": {"used"}})
	if got := defaults.Values().Encode(); got != "status=used" {
		t.Errorf("the defaults are written: %s", got)
	}
	if got := (TokenFilter{}).Values(); len(got) != 0 {
		t.Errorf("the empty filter is written as %s", got.Encode())
	}
}

// Every filter of the spec has a kind, and every query parameter belongs
// to one filter.
func TestTokenFilterSpecNamesEachParameterOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range TokenFilterSpec {
		if p.Kind() == "" || p.Label == "" || p.Help == "" {
			t.Errorf("%s: kind %q, label %q, help %q", p.Name, p.Kind(), p.Label, p.Help)
		}
		for _, name := range p.Params() {
			if seen[name] {
				t.Errorf("%s is named twice", name)
			}
			seen[name] = true
		}
	}
}

// A number too large to hold is named as too large, not as malformed.
func TestParseTokenFilterSaysAHugeNumberIsTooLarge(t *testing.T) {
	huge := "99999999999999999999999"
	for _, c := range []struct{ key, value, want string }{
		{"successfulAttempts", "ge:" + huge, "too large"},
		{"failedAttempts", "eq:" + huge, "too large"},
		{"contactIds", huge, "too large"},
		{"customerIds", huge, "too large"},
		{"pageSize", huge, "too large"},
		{"page", huge, "too large"},
	} {
		_, err := ParseTokenFilter(url.Values{c.key: {c.value}})
		var e *Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != c.key {
			t.Errorf("%s=%s: %v, want one field error naming %s", c.key, c.value, err, c.key)
			continue
		}
		if msg := e.Fields[0].Message; !strings.Contains(msg, c.want) || strings.Contains(msg, "whole number") {
			t.Errorf("%s=%s: %q, want it to say %q", c.key, c.value, msg, c.want)
		}
	}
}
