package logintokens

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// parseValueErrors are ParseValue's messages, one for each way a value can
// be malformed, gathered from one example of each. An error outside this
// set is a message the fuzz target has not seen vetted: it could carry a
// piece of the input.
func parseValueErrors(t testing.TB) []string {
	t.Helper()
	bad := []string{
		strings.Repeat("a", 101),              // too long
		"x",                                   // wrong prefix
		"lt_abcdefghijkl", "ltk_abcdefghijkl", // no second part
		"lt_ABC_" + strings.Repeat("A", 32),               // bad id
		"ltk_ABC_" + strings.Repeat("A", 32),              // bad id
		"lt_abcdefghijkl_short", "ltk_abcdefghijkl_short", // short secret
		"lt_abcdefghijkl_" + strings.Repeat("A", 16) + "!", "ltk_abcdefghijkl_" + strings.Repeat("A", 16) + "!", // bad symbol
	}
	var msgs []string
	for _, prefix := range []string{TokenPrefix, APIKeyPrefix} {
		for _, v := range bad {
			if _, _, err := ParseValue(prefix, v); err == nil {
				t.Fatalf("ParseValue(%q, %q) accepted a malformed value", prefix, v)
			} else if !slices.Contains(msgs, err.Error()) {
				msgs = append(msgs, err.Error())
			}
		}
	}
	return msgs
}

// FuzzParseValue: ParseValue never panics; what it accepts has the
// contract's shape (at most 100 characters, a valid id, a secret of 16 or
// more letters and digits) and round-trips through FormatValue; what it
// refuses is an INVALID_INPUT error whose message is one of a fixed set,
// so it never repeats any part of the value.
func FuzzParseValue(f *testing.F) {
	for _, seed := range []string{
		"",
		FormatValue(TokenPrefix, "k3x9f0a2b7cq", "AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
		FormatValue(APIKeyPrefix, "abcdefghijklmnop", "0123456789abcdefABCDEF"),
		"lt_abcdefghijkl_" + strings.Repeat("A", 84),
		"lt_abcdefghijkl_" + strings.Repeat("A", 85),
		"lt_" + strings.Repeat("a", 26) + "_" + strings.Repeat("Z", 16),
		"lt_" + strings.Repeat("a", 27) + "_" + strings.Repeat("Z", 16),
		"lt_abcdefghijk_" + strings.Repeat("Z", 16),
		"lt_abcdefghijkl_" + strings.Repeat("Z", 15),
		"lt_abcdefghijkl_ZZZZZZZZZZZZZZZZ_",
		"lt__abcdefghijkl_ZZZZZZZZZZZZZZZZ",
		"LT_abcdefghijkl_ZZZZZZZZZZZZZZZZ",
		"lt_abcdefghijkl_ZZZZZZZZZZZZZZZ\u00e9",
		"lt_abcdefghijkl_ZZZZZZZZZZZZZZZZ\x00",
		"lt_abcdefghijkl_ZZZZ%2FZZZZZZZZZZZZ",
		" lt_abcdefghijkl_ZZZZZZZZZZZZZZZZ",
		"ltk_abcdefghijkl_ZZZZZZZZZZZZZZZZ",
	} {
		f.Add(false, seed)
		f.Add(true, seed)
	}
	known := parseValueErrors(f)
	f.Fuzz(func(t *testing.T, apiKey bool, value string) {
		prefix := TokenPrefix
		if apiKey {
			prefix = APIKeyPrefix
		}
		id, secret, err := ParseValue(prefix, value)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("ParseValue(%q) = %v, want an INVALID_INPUT error", value, err)
			}
			if !slices.Contains(known, err.Error()) {
				t.Fatalf("ParseValue(%q): the error %q is not one of the fixed messages %q", value, err, known)
			}
			if id != "" || secret != "" {
				t.Fatalf("ParseValue(%q) refused the value but returned %q, %q", value, id, secret)
			}
			return
		}
		if len(value) > 100 {
			t.Fatalf("ParseValue accepted %d characters, at most 100 allowed", len(value))
		}
		if got := FormatValue(prefix, id, secret); got != value {
			t.Fatalf("ParseValue(%q) = %q, %q, which formats as %q", value, id, secret, got)
		}
		if !ValidID(id) || len(secret) < 16 || strings.Trim(secret, secretAlphabet) != "" {
			t.Fatalf("ParseValue(%q) accepted id %q, secret %q", value, id, secret)
		}
		// Accepted values need no URL escaping: they travel in login links.
		if strings.ContainsAny(value, "%+/=?&# ") {
			t.Fatalf("ParseValue accepted %q, which would need escaping in a URL", value)
		}
	})
}
