package web

import "testing"

func TestLinksEscapeTheValueAsAQueryValue(t *testing.T) {
	const base = "https://lt.example.test"
	cases := []struct {
		e           Entry
		value, want string
	}{
		{Login, "lt_abcdefghijklmnop_Secret-123", base + "/login?token=lt_abcdefghijklmnop_Secret-123"},
		{OCI, "lt_abcdefghijklmnop_Secret-123", base + "/oci/login?token=lt_abcdefghijklmnop_Secret-123"},
		{Login, "a&b=c d+e#f", base + "/login?token=a%26b%3Dc+d%2Be%23f"},
	}
	for _, tc := range cases {
		if got := tc.e.Link(base, tc.value); got != tc.want {
			t.Errorf("%s link of %q = %s, want %s", tc.e, tc.value, got, tc.want)
		}
	}
}
