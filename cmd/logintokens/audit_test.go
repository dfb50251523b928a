package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

func countEvents(t *testing.T, s *sqlstore.Store, typ string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = '` + typ + `'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// staff reset-2fa removes the authenticator and the recovery codes, ends
// the sessions and is audited, as the backoffice's owner reset is.
func TestStaffResetTwoFactorRemovesTheSecondFactorAndEndsSessions(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		mustRun(t, db.env, "a long enough password\n", "staff", "create", "--email", "jane@example.test", "--grant", "users:viewer")
		s := db.open(t)
		ctx := context.Background()
		staff, err := s.FindStaff(ctx)
		if err != nil || len(staff) != 1 {
			t.Fatalf("staff = %v, %v", staff, err)
		}
		id := staff[0].ID
		secret, err := s.StartTOTP(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConfirmTOTP(ctx, id, lt.TOTPCode(secret, lt.TOTPStep(time.Now()))); err != nil {
			t.Fatal(err)
		}
		session, err := s.CreateSession(ctx, id, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}

		r := mustRun(t, db.env, "", "staff", "reset-2fa", "--email", "Jane@Example.test")
		if r.stdout != "" || !strings.Contains(r.stderr, "second factor reset for jane@example.test") || !strings.Contains(r.stderr, "next sign-in") {
			t.Errorf("stdout %q, stderr %q: want the reset said on stderr", r.stdout, r.stderr)
		}
		if st, _ := s.FindStaffByID(ctx, id); st == nil || st.TwoFactor {
			t.Errorf("after the reset the staff member still has a second factor: %+v", st)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, id); n != 0 {
			t.Errorf("%d recovery codes left, want 0", n)
		}
		if _, err := s.FindSession(ctx, session); err == nil {
			t.Error("the session outlived the reset")
		}
		if n := countEvents(t, s, lt.EventStaffTwoFactorReset); n != 1 {
			t.Errorf("%d %s events, want 1", n, lt.EventStaffTwoFactorReset)
		}

		j := decodeJSON(t, mustRun(t, db.env, "", "staff", "reset-2fa", "--email", "jane@example.test", "--json").stdout)
		if j["email"] != "jane@example.test" || j["twoFactorReset"] != true {
			t.Errorf("--json = %v", j)
		}
		wantExit(t, runCLI(t, db.env, "", "staff", "reset-2fa", "--email", "nobody@example.test"), 2, "--email", "nobody@example.test")
		wantExit(t, runCLI(t, db.env, "", "staff", "reset-2fa"), 2, "--email")
	})
}

// audit export writes the tokens' events of the range in the API's format:
// CSV escaped against formulas, or JSON lines; to a file when asked.
func TestAuditExportWritesTheTokensEventsOfTheRange(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		value := stdoutLines(mustRun(t, db.env, "", "token", "create"))[0]
		id, _, _ := lt.ParseValue(lt.TokenPrefix, value)
		s := db.open(t)
		ctx := context.Background()
		if err := s.AuditTokenEvent(ctx, lt.Actor{Name: "=HYPERLINK(1)", ClientIP: "192.0.2.1"}, "token.note", id, map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		today := time.Now().UTC()
		from, to := today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)

		r := mustRun(t, db.env, "", "audit", "export", "--from", from, "--to", to)
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("stdout is not CSV: %v\n%s", err, r.stdout)
		}
		if len(rows) < 3 || strings.Join(rows[0], ",") != "Id,At,Type,Token Id,Actor,Client IP,Details" {
			t.Fatalf("CSV = %q, want the header and the token's events", rows)
		}
		escaped := false
		for _, row := range rows[1:] {
			if row[3] != id {
				t.Errorf("row %q is not of token %s", row, id)
			}
			escaped = escaped || row[4] == "'=HYPERLINK(1)"
		}
		if !escaped {
			t.Errorf("no actor cell escaped against formulas: %q", rows)
		}

		out := filepath.Join(t.TempDir(), "events.jsonl")
		mustRun(t, db.env, "", "audit", "export", "--from", from, "--to", to, "--format", "jsonl", "--output", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != len(rows)-1 {
			t.Errorf("%d JSON lines, want %d", len(lines), len(rows)-1)
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e["tokenId"] != id {
			t.Errorf("first line %s (%v), want an event of %s", lines[0], err, id)
		}
		if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
			t.Errorf("%d files beside the output, want it alone", len(entries))
		}

		// A range before the token has a header and nothing else.
		old := mustRun(t, db.env, "", "audit", "export", "--from", "2020-01-01", "--to", "2020-01-31")
		if old.stdout != "Id,At,Type,Token Id,Actor,Client IP,Details\r\n" {
			t.Errorf("an empty range gives %q", old.stdout)
		}
	})
}

func TestAuditExportRefusesBadInputNamingTheFlag(t *testing.T) {
	db := newSQLiteDB(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--to", "2026-01-31"}, []string{"--from", "required"}},
		{[]string{"--from", "2026-01-01"}, []string{"--to", "required"}},
		{[]string{"--from", "yesterday", "--to", "2026-01-31"}, []string{"--from"}},
		{[]string{"--from", "2026-01-01", "--to", "2026-13-01"}, []string{"--to"}},
		{[]string{"--from", "2026-02-01", "--to", "2026-01-01"}, []string{"--to", "after"}},
		{[]string{"--from", "2026-01-01", "--to", "2026-01-31", "--format", "xml"}, []string{"--format", "xml"}},
		{[]string{"--from", "2024-01-01", "--to", "2026-01-31"}, []string{"--to", "366"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantExit(t, runCLI(t, db.env, "", append([]string{"audit", "export"}, tc.args...)...), 2, tc.want...)
		})
	}
}
