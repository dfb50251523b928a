package tokencsv_test

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/tokencsv"
)

func TestCellsThatStartAFormulaAreEscaped(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+a": "'+a", "-2": "'-2", "@SUM": "'@SUM", "\tx": "'\tx", "plain": "plain", "": "", "a=b": "a=b"} {
		if got := tokencsv.Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRowHasTheColumnsInOrderAndNoValue(t *testing.T) {
	at := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	tok := &lt.LoginToken{ID: "k3x9f0a2b7cq", Type: lt.UserContact, ExpiresAt: &at, Extra: []string{"-a", "b"},
		Networks: []string{"203.0.113.0/24", "2001:db8::/32"},
		Status:   lt.StatusActive, SuccessfulAttempts: 2, CreatedAt: at, UpdatedAt: at,
		User: &lt.UserRef{Type: lt.UserContact, ID: 1, Name: "Jane Doe", Email: "jane@acme.test", Company: &lt.CompanyRef{ID: 3, Name: "@Acme"}}}
	want := []string{"k3x9f0a2b7cq", "Jane Doe", "Contact", "jane@acme.test", "'@Acme", "2026-12-31T23:00:00Z", "", "2", "0", "1", "Yes", "203.0.113.0/24\n2001:db8::/32", "'-a\nb", "Active",
		"2026-12-31T23:00:00Z", "2026-12-31T23:00:00Z"}
	tok.SetMaxUses(new(int64(1)))
	if got := tokencsv.Row(tok); !slices.Equal(got, want) || len(got) != len(tokencsv.Columns) {
		t.Fatalf("row\n got %q\nwant %q", got, want)
	}
	// Five uses: the count, not one-time; no limit: an empty cell.
	tok.SetMaxUses(new(int64(5)))
	if got := tokencsv.Row(tok); got[9] != "5" || got[10] != "No" {
		t.Fatalf("five uses: %q %q", got[9], got[10])
	}
	tok.SetMaxUses(nil)
	if got := tokencsv.Row(tok); got[9] != "" || got[10] != "No" {
		t.Fatalf("no limit: %q %q", got[9], got[10])
	}
}

func TestWriteLeavesAnEarlyErrorToTheCaller(t *testing.T) {
	rec := httptest.NewRecorder()
	boom := errors.New("boom")
	started, err := tokencsv.Write(rec, func(func(*lt.LoginToken) error) error { return boom })
	if started || err != boom || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Fatalf("started %v err %v body %q", started, err, rec.Body)
	}
	rec = httptest.NewRecorder()
	started, err = tokencsv.Write(rec, func(func(*lt.LoginToken) error) error { return nil })
	if !started || err != nil || rec.Body.String() != "Id,Name,Type,Email,Company,Expires At,Last Accessed At,Successful Attempts,Failed Attempts,Uses Allowed,One Time Use,Networks,Extra,Status,Created At,Updated At\r\n" {
		t.Fatalf("empty export: %v %v %q", started, err, rec.Body)
	}
}
