package oidc

import (
	"slices"
	"testing"
)

// errorFields turns into a form post only a redirect to the request's own
// redirect URI, its own query in place, with an error the library added:
// anything else is left to the library's answer (nil).
func TestErrorFieldsTakesOnlyTheLibrarysRedirectToTheRedirectURI(t *testing.T) {
	const reg = "https://shop.example/cb"
	for _, tc := range []struct {
		name, redirectURI, location string
		want                        [][2]string
	}{
		{"query", reg, reg + "?error=invalid_request&error_description=bad+prompt&state=s1",
			[][2]string{{"error", "invalid_request"}, {"error_description", "bad prompt"}, {"state", "s1"}}},
		{"fragment", reg, reg + "#error=unauthorized_client&state=s%26t",
			[][2]string{{"error", "unauthorized_client"}, {"state", "s&t"}}},
		{"server error without its description", reg, reg + "?error=server_error&error_description=db+down&state=s1",
			[][2]string{{"error", "server_error"}, {"state", "s1"}}},
		{"the URI's own query stays out of the fields", reg + "?shop=1&state=own", reg + "?shop=1&state=own&error=access_denied&state=s1",
			[][2]string{{"error", "access_denied"}, {"state", "s1"}}},
		{"the URI's own error is not the library's", reg + "?error=x", reg + "?error=x", nil},
		{"the URI's own query changed", reg + "?shop=1", reg + "?shop=2&error=access_denied", nil},
		{"the URI's own query dropped", reg + "?shop=1", reg + "?error=access_denied", nil},
		{"another URI", reg, "https://evil.example/cb?error=access_denied", nil},
		{"another path", reg, reg + "/x?error=access_denied", nil},
		{"no error", reg, reg + "?code=abc&state=s1", nil},
		{"the sign-in page", reg, "/oidc/login?id=abc", nil},
		{"an error twice", reg, reg + "?error=a&error=b", nil},
		{"query and fragment", reg, reg + "?error=a#error=b", nil},
		{"no redirect URI", "", reg + "?error=a", nil},
		{"a malformed location", reg, "%zz", nil},
		{"a malformed fragment", reg, reg + "#%%%", nil},
	} {
		if got := errorFields(tc.redirectURI, tc.location); !slices.Equal(got, tc.want) {
			t.Errorf("%s: errorFields(%q, %q) = %v, want %v", tc.name, tc.redirectURI, tc.location, got, tc.want)
		}
	}
}
