package logintokens

import (
	"errors"
	"strings"
	"testing"
)

func TestGrantsCoverOnlyWhatTheyHoldAtTheirLevel(t *testing.T) {
	parse := func(list ...string) Grants {
		gs, err := ParseGrants(list)
		if err != nil {
			t.Fatal(err)
		}
		return gs
	}
	for _, tc := range []struct {
		holder, other []string
		beyond        string // "" = covered
	}{
		{nil, nil, ""},
		{[]string{"configuration:owner"}, nil, ""},
		{[]string{"configuration:owner"}, []string{"configuration:owner"}, ""},
		{[]string{"configuration:owner"}, []string{"configuration:viewer"}, ""},
		{[]string{"configuration:owner"}, []string{"users:viewer"}, "users:viewer"},
		{[]string{"configuration:owner"}, []string{"users:owner"}, "users:owner"},
		{[]string{"configuration:owner", "users:editor"}, []string{"users:editor", "configuration:editor"}, ""},
		{[]string{"configuration:owner", "users:editor"}, []string{"users:owner"}, "users:owner"},
		{[]string{"configuration:editor", "users:owner"}, []string{"configuration:owner", "users:owner"}, "configuration:owner"},
		{[]string{"users:viewer"}, []string{"configuration:viewer", "users:editor"}, "configuration:viewer, users:editor"},
		{[]string{"configuration:owner", "users:owner"}, []string{"configuration:owner", "users:owner"}, ""},
		{nil, []string{"users:viewer"}, "users:viewer"},
	} {
		holder, other := parse(tc.holder...), parse(tc.other...)
		if got := holder.Covers(other); got != (tc.beyond == "") {
			t.Errorf("%v covers %v = %v", tc.holder, tc.other, got)
		}
		if got := strings.Join(holder.Beyond(other).Strings(), ", "); got != tc.beyond {
			t.Errorf("%v beyond %v = %q, want %q", tc.other, tc.holder, got, tc.beyond)
		}
		err := holder.CheckHandOut(other)
		if tc.beyond == "" {
			if err != nil {
				t.Errorf("%v hands out %v: %v", tc.holder, tc.other, err)
			}
			if err := holder.CheckManage("staff member", other); err != nil {
				t.Errorf("%v manages %v: %v", tc.holder, tc.other, err)
			}
			continue
		}
		var e *Error
		if ErrorCode(err) != EFORBIDDEN || !strings.Contains(ErrorMessage(err), tc.beyond) || !errors.As(err, &e) ||
			len(e.Fields) != 1 || e.Fields[0].Field != "grants" || !strings.Contains(e.Fields[0].Message, tc.beyond) {
			t.Errorf("%v hands out %v: %v, want FORBIDDEN naming %s in grants", tc.holder, tc.other, err, tc.beyond)
		}
		if err := holder.CheckManage("staff member", other); ErrorCode(err) != EFORBIDDEN || !strings.Contains(ErrorMessage(err), tc.beyond) {
			t.Errorf("%v manages %v: %v, want FORBIDDEN naming %s", tc.holder, tc.other, err, tc.beyond)
		}
	}
}
