package logintokens

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseTokenFilter feeds ParseTokenFilter arbitrary query strings, as
// the API's list and export and the backoffice's list receive them. It
// never panics; an accepted filter has its page and pageSize in bounds and
// only well-formed values; a refusal is one INVALID_INPUT error whose
// every entry names a parameter of the query (as ShowInput shows it) or of
// the filter; a token value (lt_<id>_<secret>) in ids is always refused
// without its secret being repeated; and no secret of a token value or API
// key anywhere in the query (a value or a name, whole or percent-encoded)
// is repeated: the answer is the same with every secret replaced.
func FuzzParseTokenFilter(f *testing.F) {
	for _, seed := range []string{
		"",
		"ids=abcdefghijkl,mnopqrstuvwx&ids=yz0123456789&contactIds=1,2&customerIds=3&type=contact&type=anonymous" +
			"&expiresAtFrom=2026-12-01&expiresAtTo=2026-12-31&createdAtFrom=2026-11-01T10:00:00%2B01:00&updatedAtTo=2026-11-02T00:00:00Z" +
			"&successfulAttempts=ge:2&failedAttempts=eq:0&oneTimeUse=false&status=active,used&q=+Acme+Corp+&sort=-name&page=3&pageSize=500",
		"ids=lt_abcdefghijklmnop_AbCdEfGhIjKlMnOpQrStUvWxYz012345",
		"ids=abcdefghijkl,lt_abcdefghijklmnop_SecretSecretSecretSecret",
		"ids=+lt_abcdefghijklmnop_SecretSecretSecretSecret+",
		"ids=LT_abcdefghijklmnop_SecretSecretSecretSecret",
		"page=0&pageSize=501",
		"page=1073741824&pageSize=1",
		"page=1073741825",
		"page=-1&pageSize=-1",
		"page=1&page=2",
		"page=%2B5&pageSize=0x10",
		"pageSize=",
		"successfulAttempts=ge:-1&failedAttempts=xx:1",
		"successfulAttempts=eq:9223372036854775808",
		"expiresAtFrom=2026-12-31&expiresAtTo=2026-12-01",
		"createdAtFrom=2026-02-30&updatedAtTo=not-a-time",
		"expiresAtFrom=9999-12-31T23:59:59-23:59&createdAtTo=0000-01-01T00:00:00%2B01:00",
		"updatedAtTo=9999-12-31",
		"sort=-&sort=name",
		"sort=--name",
		"q=" + strings.Repeat("x", 201),
		"unknown=1&=2",
		"type=contact,,customer&status=gone",
		"oneTimeUse=yes",
		"contactIds=0,-4,abc&customerIds=9223372036854775807",
		"%zz=1&ids=%",
		"customerIds=lt_abcdefghijklmnop_SecretSecretSecretSecret&expiresAtFrom=x+lt_abcdefghijklmnop_SecretSecretSecretSecret",
		"sort=lt%255Fabcdefghijklmnop%255FSecretSecretSecretSecret&type=ltk_abcdefghijklmnop_KeySecretKeySecretKey",
		"lt_abcdefghijklmnop_SecretSecretSecretSecret=1&q=find+lt_abcdefghijklmnop_SecretSecretSecretSecret+here",
		"q=abc%00def&status=%ff&%00=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query) // what a server reads of a bad query too
		flt, err := ParseTokenFilter(q)

		// ids as the parser splits them; the values among them.
		var values []string
		for _, raw := range q["ids"] {
			for _, s := range strings.Split(raw, ",") {
				if s = strings.TrimSpace(s); strings.HasPrefix(s, TokenPrefix+"_") {
					values = append(values, s)
				}
			}
		}
		for _, id := range flt.IDs {
			if !ValidID(id) {
				t.Fatalf("%q: the filter holds %q, which is not a token id", query, id)
			}
		}

		if err == nil {
			if len(values) > 0 {
				t.Fatalf("%q: the value %q in ids was accepted", query, values[0])
			}
			if flt.Page < 1 || flt.Page > 1<<30 || flt.PageSize < 1 || flt.PageSize > MaxPageSize {
				t.Fatalf("%q: page %d, pageSize %d out of bounds", query, flt.Page, flt.PageSize)
			}
			if !slices.Contains(SortKeys, flt.Sort.Key) {
				t.Fatalf("%q: sort key %q", query, flt.Sort.Key)
			}
			if len(flt.Q) > 200 {
				t.Fatalf("%q: q of %d characters", query, len(flt.Q))
			}
			for _, c := range []*CountCondition{flt.SuccessfulAttempts, flt.FailedAttempts} {
				if c != nil && c.N < 0 {
					t.Fatalf("%q: a negative count %d", query, c.N)
				}
			}
			for _, r := range []TimeRange{flt.ExpiresAt, flt.CreatedAt, flt.UpdatedAt} {
				if r.From != nil && r.To != nil && r.From.After(*r.To) {
					t.Fatalf("%q: range %v to %v", query, r.From, r.To)
				}
				// Bounds the stores can compare: SQLite compares RFC 3339
				// text, whose years have four digits.
				for _, b := range []*time.Time{r.From, r.To} {
					if b != nil && (b.Location() != time.UTC || b.Year() < 0 || b.Year() > 9999) {
						t.Fatalf("%q: a bound %v outside UTC years 0 to 9999", query, b)
					}
				}
			}
			for _, ty := range flt.Types {
				if !ty.Valid() {
					t.Fatalf("%q: type %q", query, ty)
				}
			}
			for _, st := range flt.Statuses {
				if !st.Valid() {
					t.Fatalf("%q: status %q", query, st)
				}
			}
			// Written as a query, the filter reads back the same.
			if back, err := ParseTokenFilter(flt.Values()); err != nil || !reflect.DeepEqual(back, flt) {
				t.Fatalf("%q: written as %s, read back as %+v (%v), want %+v", query, flt.Values().Encode(), back, err, flt)
			}
			return
		}

		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) == 0 {
			t.Fatalf("%q: %v, want an INVALID_INPUT error naming its fields", query, err)
		}
		for _, fe := range e.Fields {
			inQuery := false
			for k := range q {
				inQuery = inQuery || ShowInput(k) == fe.Field
			}
			if !inQuery && !slices.Contains(tokenFilterParams, fe.Field) {
				t.Fatalf("%q: the error entry %+v names no parameter", query, fe)
			}
			if fe.Message == "" {
				t.Fatalf("%q: the error entry for %q says nothing", query, fe.Field)
			}
		}
		// Every secret replaced by filler of its length: the same answer.
		if got, want := fieldList(ParseTokenFilter(maskSecrets(q))), fieldList(flt, err); got != want {
			t.Fatalf("%q: the error depends on a secret in the query:\n%s\nvs\n%s", query, want, got)
		}
		if len(values) > 0 {
			named := false
			for _, fe := range e.Fields {
				named = named || fe.Field == "ids"
			}
			if !named {
				t.Fatalf("%q: the value in ids is refused, but not under ids: %v", query, err)
			}
			// The same query with everything after lt_ replaced is refused
			// in the same words: nothing of the value is repeated.
			if got, want := fieldList(ParseTokenFilter(maskValues(q))), fieldList(flt, err); got != want {
				t.Fatalf("%q: the error depends on the value's id or secret:\n%s\nvs\n%s", query, want, got)
			}
		}
	})
}

// maskValues returns q with the letters and digits of the id and secret of
// every token value in ids replaced by filler.
func maskValues(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = slices.Clone(vs)
	}
	for i, raw := range out["ids"] {
		pieces := strings.Split(raw, ",")
		for j, piece := range pieces {
			trimmed := strings.TrimSpace(piece)
			rest, ok := strings.CutPrefix(trimmed, TokenPrefix+"_")
			if !ok || rest == "" {
				continue
			}
			fill := 'q'
			if strings.Trim(rest, "q") == "" {
				fill = 'r'
			}
			// Letters and digits are replaced; anything else stays, so
			// that what is not text is still refused as such.
			masked := []byte(rest)
			for i, c := range masked {
				if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
					masked[i] = byte(fill)
				}
			}
			start := strings.Index(piece, trimmed)
			pieces[j] = piece[:start] + TokenPrefix + "_" + string(masked) + piece[start+len(trimmed):]
		}
		out["ids"][i] = strings.Join(pieces, ",")
	}
	return out
}

// maskSecrets returns q with the secret of every token value and API key,
// in names and values, replaced by filler of the same length (as
// RedactSecrets finds them).
func maskSecrets(q url.Values) url.Values {
	mask := func(s string) string {
		return secretValueRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := secretValueRE.FindStringSubmatch(m)
			rest := m[len(sub[1]):]
			fill := "q"
			if strings.Trim(rest, "q") == "" {
				fill = "r"
			}
			return sub[1] + strings.Repeat(fill, len(rest))
		})
	}
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			out[mask(k)] = append(out[mask(k)], mask(v))
		}
	}
	return out
}

// fieldList is an error's entries in a fixed order (unknown parameters
// are reported in map order).
func fieldList(_ TokenFilter, err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return fmt.Sprint(err)
	}
	var lines []string
	for _, fe := range e.Fields {
		lines = append(lines, fe.Field+": "+fe.Message)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
