package logintokens

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// A token value and an API key as the tests paste them; the secrets are
// what no message may repeat.
const (
	testTokenID     = "abcdefghijkl0123"
	testTokenSecret = "SecretSECRETsecret0123456789Abcd"
	testTokenValue  = "lt_" + testTokenID + "_" + testTokenSecret
	testKeySecret   = "KeySecretKEYSECRETkeysecret01234"
	testKeyValue    = "ltk_mnopqrstuvwx4567_" + testKeySecret
)

// pastedValues are the shapes in which a value reaches a parameter: alone,
// with words or a URL around it, its separators percent-encoded (once and
// twice, as a value copied from an encoded link arrives), an API key.
func pastedValues() map[string]string {
	return map[string]string{
		"alone":            testTokenValue,
		"prefix":           "x" + testTokenValue,
		"suffix":           testTokenValue + "-x",
		"in words":         "find " + testTokenValue + " please",
		"in a link":        "https://login.example.test/login?token=" + testTokenValue,
		"encoded":          "lt%5F" + testTokenID + "%5F" + testTokenSecret,
		"encoded twice":    "lt%255F" + testTokenID + "%255F" + testTokenSecret,
		"secret encoded":   "lt_" + testTokenID + "_" + url.QueryEscape("Secret%SECRET") + testTokenSecret,
		"API key":          testKeyValue,
		"API key in words": "key " + testKeyValue + " here",
	}
}

// leaksSecret reports whether s holds any part of the test secrets that
// could identify them (16 characters or more).
func leaksSecret(s string) bool {
	for _, secret := range []string{testTokenSecret, testKeySecret} {
		for i := 0; i+16 <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+16]) {
				return true
			}
		}
	}
	return false
}

func TestRedactSecretsCutsValuesAndKeysToTheirIDs(t *testing.T) {
	cases := []struct{ in, want string }{
		{testTokenValue, "lt_" + testTokenID + "_…"},
		{"x" + testTokenValue + " y", "xlt_" + testTokenID + "_… y"},
		{testKeyValue, "ltk_mnopqrstuvwx4567_…"},
		{"lt%5F" + testTokenID + "%5F" + testTokenSecret, "lt%5F" + testTokenID + "%5F…"},
		{"lt%255f" + testTokenID + "%255f" + testTokenSecret + "&x=1", "lt%255f" + testTokenID + "%255f…&x=1"},
		{"lt_short_" + testTokenSecret, "lt_short_" + testTokenSecret}, // no id: not a value
		{"nothing to see", "nothing to see"},
	}
	for _, tc := range cases {
		if got := RedactSecrets(tc.in); got != tc.want {
			t.Errorf("RedactSecrets(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := HoldsSecret(tc.in); got != (tc.in != tc.want) {
			t.Errorf("HoldsSecret(%q) = %v", tc.in, got)
		}
	}
}

func TestTokenValueIDsFindsTheIDsOfPastedValues(t *testing.T) {
	for name, in := range pastedValues() {
		ids, holds := TokenValueIDs(in)
		wantIDs := 1
		if strings.Contains(name, "API key") {
			wantIDs = 0
		}
		if !holds || len(ids) != wantIDs || (wantIDs == 1 && ids[0] != testTokenID) {
			t.Errorf("%s: TokenValueIDs(%q) = %q, %v", name, in, ids, holds)
		}
	}
	ids, holds := TokenValueIDs(testTokenValue + " " + testTokenValue + " lt_zyxwvutsrq987_" + testTokenSecret)
	if !holds || len(ids) != 2 || ids[1] != "zyxwvutsrq987" {
		t.Errorf("two values = %q, %v", ids, holds)
	}
	if ids, holds := TokenValueIDs("acme corp"); holds || ids != nil {
		t.Errorf("plain text = %q, %v", ids, holds)
	}
}

func TestShowInputCutsSecretsControlsAndLength(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc", `"abc"`},
		{"a\x00b\nc", `"a\x00b\nc"`},
		{"a\xffb", `"a\xffb"`},
		{`say "hi"`, `"say \"hi\""`},
		{testTokenValue, `"lt_` + testTokenID + `_…"`},
		{strings.Repeat("é", 60), `"` + strings.Repeat("é", 48) + `…"`},
	}
	for _, tc := range cases {
		if got := QuoteInput(tc.in); got != tc.want {
			t.Errorf("QuoteInput(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestTextProblemRefusesControlCharactersAndInvalidUTF8(t *testing.T) {
	for _, s := range []string{"abc\x00def", "a\tb", "a\nb", "a\rb", "a\x7fb", "a\u0085b", "a\xffb", "\xc3"} {
		if TextProblem(s) == "" {
			t.Errorf("TextProblem(%q) accepts it", s)
		}
	}
	for _, s := range []string{"", "Acme Corp", "José Müller", "日本", "a-b_c.d@e", "emoji 😀"} {
		if p := TextProblem(s); p != "" {
			t.Errorf("TextProblem(%q) = %q", s, p)
		}
	}
	// In a query, white space passes (lists split on it, a search may span
	// the lines of extra); NUL and the other controls do not.
	for s, ok := range map[string]bool{"kiosk\nlobby": true, "a\tb\r\n": true, "a\x00b": false, "a\x01": false, "a\x7f": false, "a\u0085": false, "a\xff": false} {
		if got := QueryTextProblem(s) == ""; got != ok {
			t.Errorf("QueryTextProblem(%q) accepts: %v, want %v", s, got, ok)
		}
	}
}

// Every parameter of the token list, each holding a pasted value in every
// shape, and a parameter named with one: the refusal repeats no secret, in
// its message or any entry. Where the parameter takes token ids (ids) and
// in the search (q), a value is refused in fixed words that point to ids.
func TestNoTokenFilterErrorRepeatsASecret(t *testing.T) {
	params := append(append([]string{}, tokenFilterParams...), "unknownParam")
	for _, param := range params {
		for shape, value := range pastedValues() {
			q := url.Values{param: {value}}
			_, err := ParseTokenFilter(q)
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Errorf("%s=%s (%s): %v, want INVALID_INPUT", param, value, shape, err)
				continue
			}
			if leaksSecret(err.Error()) || leaksSecret(ErrorMessage(err)) {
				t.Errorf("%s (%s): the error repeats the secret: %v", param, shape, err)
			}
			for _, fe := range e.Fields {
				if leaksSecret(fe.Field) || leaksSecret(fe.Message) {
					t.Errorf("%s (%s): the entry %+v repeats the secret", param, shape, fe)
				}
			}
		}
	}
	// A parameter whose name is the value.
	for shape, value := range pastedValues() {
		_, err := ParseTokenFilter(url.Values{value: {"1"}})
		var e *Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || leaksSecret(e.Fields[0].Field) || leaksSecret(err.Error()) {
			t.Errorf("a parameter named %q (%s): %v", value, shape, err)
		}
	}
	// The other parsers that quote their input.
	for shape, value := range pastedValues() {
		_, err1 := ParseCountCondition(value)
		_, _, err2 := ParseFilterTime(value)
		_, err3 := ParseGrant(value)
		_, _, err4 := ParsePaging(url.Values{"page": {value}})
		for _, err := range []error{err1, err2, err3, err4} {
			if err == nil || leaksSecret(err.Error()) {
				t.Errorf("%s: %v", shape, err)
			}
		}
	}
	// Errors built with Errorf, Invalid or Validation.Add never carry one,
	// whatever a caller formats into them.
	var v Validation
	v.Add(testTokenValue, "holds %s", testTokenValue)
	for _, err := range []error{Errorf(ENOTFOUND, "%s not found", testTokenValue), Invalid(testKeyValue, "%s", testKeyValue), v.Err()} {
		var e *Error
		errors.As(err, &e)
		if leaksSecret(err.Error()) || leaksSecret(ErrorMessage(err)) || (len(e.Fields) > 0 && (leaksSecret(e.Fields[0].Field) || leaksSecret(e.Fields[0].Message))) {
			t.Errorf("%+v repeats a secret", e)
		}
	}
}

func TestAValueInTheSearchIsRefusedPointingToIDs(t *testing.T) {
	for shape, value := range pastedValues() {
		_, err := ParseTokenFilter(url.Values{"q": {value}})
		var e *Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "q" || !strings.Contains(e.Fields[0].Message, "in ids") {
			t.Errorf("q=%s (%s): %v, want one entry for q that points to ids", value, shape, err)
		}
	}
	if f, err := ParseTokenFilter(url.Values{"q": {"lt_ Acme ltk"}}); err != nil || f.Q != "lt_ Acme ltk" {
		t.Errorf("an ordinary search: %+v, %v", f, err)
	}
}

// Every parameter of the token list refuses text that is not text: NUL
// (which PostgreSQL refuses to compare), other control characters and
// invalid UTF-8, naming the parameter, in the name too.
func TestTokenFilterRefusesControlCharactersAndInvalidUTF8(t *testing.T) {
	for _, param := range tokenFilterParams {
		for _, bad := range []string{"abc\x00def", "abc\x01", "a\xffb"} {
			_, err := ParseTokenFilter(url.Values{param: {bad}})
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != param {
				t.Errorf("%s=%q: %v, want INVALID_INPUT naming %s", param, bad, err, param)
			}
		}
	}
	_, err := ParseTokenFilter(url.Values{"q\x00": {"x"}})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), `q\x00`) {
		t.Errorf("a name with NUL: %v, want it named (escaped)", err)
	}
}

// Stored text takes what TextProblem takes, less bidirectional controls,
// line and paragraph separators and anything holding a token value or an
// API key; ordinary names, accents, scripts and emoji pass.
func TestStoredTextProblemRefusesSecretsBidiControlsAndSeparators(t *testing.T) {
	refused := []string{"abc\x00def", "a\tb", "a\xffb",
		"\u202Aa", "a\u202Bb", "a\u202Cb", "a\u202Db", "Ac\u202Eme",
		"\u2066a", "a\u2067b", "a\u2068b", "a\u2069", "a\u2028b", "a\u2029b"}
	for _, v := range pastedValues() {
		refused = append(refused, v)
	}
	for _, s := range refused {
		if StoredTextProblem(s) == "" {
			t.Errorf("StoredTextProblem(%q) accepts it", s)
		}
	}
	for _, s := range []string{"", "Acme Corp", "José Müller", "日本", "עברית", "a-b_c.d@e", "emoji 😀", "salt_and_pepper", "lt_short_x",
		"\u200Ezero-width mark\u200F"} {
		if p := StoredTextProblem(s); p != "" {
			t.Errorf("StoredTextProblem(%q) = %q", s, p)
		}
	}
	if p := StoredTextProblem("see " + testTokenValue); leaksSecret(p) || !strings.Contains(p, "token value") {
		t.Errorf("the refusal of a value says %q", p)
	}
}

// Recorded text keeps its length bound, cuts secrets before it is cut (so
// that no half secret survives) and never splits a character.
func TestRecordedTextCutsSecretsThenLength(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"Mozilla/5.0", 300, "Mozilla/5.0"},
		{"UA " + testTokenValue, 300, "UA lt_" + testTokenID + "_…"},
		{"UA " + testTokenValue, 20, ("UA lt_" + testTokenID + "_…")[:20]},
		{"abcdéf", 5, "abcd"},
		{"日本語", 4, "日"},
	} {
		if got := RecordedText(tc.in, tc.max); got != tc.want {
			t.Errorf("RecordedText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestRecordedTextIsTextEveryDatabaseStores(t *testing.T) {
	got := RecordedText("bad\x00nul \xff\tend\u0085", 100)
	if got != "bad\uFFFDnul \uFFFD\uFFFDend\uFFFD" {
		t.Fatalf("RecordedText = %q", got)
	}
	if p := TextProblem(strings.ReplaceAll(got, "\uFFFD", "")); p != "" {
		t.Fatalf("what is recorded is not text: %s", p)
	}
}
