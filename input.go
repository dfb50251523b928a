package logintokens

import (
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rules for what a request gives: what an answer may show of it, and what
// text is fit to take at all.

// secretValueRE matches token values, API keys and shops' client
// secrets: lt_<id>_<secret>, ltk_<id>_<secret> and ltcs_<id>_<secret>, the id being 12 to 26 lowercase letters and digits.
// Group 1 is everything up to the secret, group 2 the id. The separators
// may be percent-encoded (lt%5F…, once or more: %255F), and the secret
// takes every URL-safe character and %, so that a mangled or encoded
// value is cut whole rather than in part.
var secretValueRE = regexp.MustCompile(`(lt(?:k|cs)?(?:_|%(?:25)*5[Ff])([a-z0-9]{12,26})(?:_|%(?:25)*5[Ff]))[A-Za-z0-9_~%-]+`)

// RedactedSecret replaces the secret part of a value or key.
const RedactedSecret = "…"

// RedactSecrets cuts every token value and API key in s down to its prefix
// and public id: lt_<id>_… and ltk_<id>_…. It is the one rule for what of
// a secret may be shown anywhere: in an error, a page, a URL or a log.
func RedactSecrets(s string) string {
	if !strings.Contains(s, "lt") {
		return s // the common case: nothing to look at
	}
	return secretValueRE.ReplaceAllString(s, "${1}"+RedactedSecret)
}

// HoldsSecret reports whether s holds something shaped like a token value
// or an API key, anywhere in it.
func HoldsSecret(s string) bool {
	return strings.Contains(s, "lt") && secretValueRE.MatchString(s)
}

// TokenValueIDs returns the ids of the token values (lt_<id>_<secret>) in
// s, each once, in order; holds reports whether s holds any value or API
// key at all. A search or filter that holds one is reduced to these ids
// (an API key names no token) or refused, never passed on or shown.
func TokenValueIDs(s string) (ids []string, holds bool) {
	if !strings.Contains(s, "lt") {
		return nil, false
	}
	for _, m := range secretValueRE.FindAllStringSubmatch(s, -1) {
		holds = true
		if !strings.HasPrefix(m[1], TokenPrefix+"_") && !strings.HasPrefix(m[1], TokenPrefix+"%") {
			continue // an API key or a client secret names no token
		}
		if !slices.Contains(ids, m[2]) {
			ids = append(ids, m[2])
		}
	}
	return ids, holds
}

// maxShownInput is how many characters of an input a message shows.
const maxShownInput = 48

// ShowInput returns s fit to be shown back in an error, a field name or a
// page: its secrets cut (RedactSecrets), at most maxShownInput characters
// (then "…"), control characters and invalid UTF-8 escaped as Go does
// (\x00, \n). Every message that repeats what a request gave uses it or
// QuoteInput.
func ShowInput(s string) string {
	s = RedactSecrets(s)
	cut := false
	n := 0
	for i := range s { // rune starts; an invalid byte counts as one
		if n == maxShownInput {
			s, cut = s[:i], true
			break
		}
		n++
	}
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	if cut {
		q += "…"
	}
	return q
}

// QuoteInput is ShowInput in double quotes, for messages such as
// `"abc" is not a token id`.
func QuoteInput(s string) string { return `"` + ShowInput(s) + `"` }

// TextProblem says why s is not fit as text from a request, or "" when it
// is: it must be valid UTF-8 without control characters (NUL, tabs, line
// breaks, DEL, C1). PostgreSQL refuses NUL and invalid UTF-8 in text, and
// nothing a person types into a one-line field holds the others.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "holds a control character"
	}
	return ""
}

// StoredTextProblem says why s is not fit to be stored as text that staff
// typed, pasted or imported (a name, an email, an external id, a line of
// extra, a key's name), or "" when it is. It is TextProblem, and also:
//   - no bidirectional control (U+202A to U+202E, U+2066 to U+2069) nor
//     line or paragraph separator (U+2028, U+2029): they make a name read
//     differently from what it holds, in the backoffice, a CSV export or
//     a terminal;
//   - no token value or API key (HoldsSecret): a secret pasted into a
//     field would be shown to every viewer, exported and logged as text.
//
// Every stored text field is checked with it.
func StoredTextProblem(s string) string {
	if p := TextProblem(s); p != "" {
		return p
	}
	if strings.ContainsFunc(s, isBidiOrSeparator) {
		return "holds a bidirectional control or line separator character (U+202A to U+202E, U+2066 to U+2069, U+2028, U+2029)"
	}
	if HoldsSecret(s) {
		return "holds a login token value or an API key: secrets are not kept as text; give a token by its id"
	}
	return ""
}

// isBidiOrSeparator reports whether c is a bidirectional embedding,
// override or isolate, or the line or paragraph separator.
func isBidiOrSeparator(c rune) bool {
	return c >= '\u202A' && c <= '\u202E' || c >= '\u2066' && c <= '\u2069' || c == '\u2028' || c == '\u2029'
}

// RecordedText is text a request brings that is recorded as it came
// rather than refused (a User-Agent, the email of a failed sign-in): its
// secrets cut (RedactSecrets), bytes that are not UTF-8 and control
// characters (NUL, which PostgreSQL cannot store, among them) each made
// U+FFFD, then at most max bytes, cut between characters.
func RecordedText(s string, max int) string {
	s = RedactSecrets(s)
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return utf8.RuneError
		}
		return c
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// QueryTextProblem is TextProblem for a query parameter's value: white
// space (tab, line breaks) is let through, since the parsers trim and
// split lists on it and a search may span the lines of extra (joined by a
// newline); NUL, every other control character and invalid UTF-8 are not.
func QueryTextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if strings.ContainsFunc(s, func(c rune) bool { return unicode.IsControl(c) && c != '\t' && c != '\n' && c != '\r' }) {
		return "holds a control character"
	}
	return ""
}

// CheckQueryText refuses query parameters whose name is not fit text
// (TextProblem) or any of whose values is not (QueryTextProblem), one
// INVALID_INPUT error naming each; nil when every one is fit. The API
// checks every route's query with it, the backoffice every page's.
func CheckQueryText(q url.Values) error {
	var v Validation
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p := TextProblem(k); p != "" {
			v.Add(k, "the parameter's name %s", p)
			continue
		}
		for _, val := range q[k] {
			if p := QueryTextProblem(val); p != "" {
				v.Add(k, "%s", p)
				break
			}
		}
	}
	return v.Err()
}
