package main

import (
	"strings"
	"testing"
)

// Every refusal of what the user typed exits 2 with one line that names
// the flag or argument and says what is wrong with it, on both databases:
// a conflict on a flag's value, an id that names nothing, a number that is
// only too large, a count below its least.
func TestBadInputExitsTwoNamingWhatIsWrong(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		mustRun(t, db.env, "", "staff", "create", "--email", "dup@example.test", "--grant", "users:viewer")
		key := stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "Old", "--webshop"))[0]
		mustRun(t, db.env, "", "apikey", "revoke", key)
		keyID := strings.Split(key, "_")[1]
		for _, tc := range []struct {
			name    string
			args    []string
			want    []string
			notWant string
		}{
			{"duplicate staff email", []string{"staff", "create", "--email", "dup@example.test", "--grant", "users:viewer"},
				[]string{"--email", "exists"}, ""},
			{"duplicate staff email in another case", []string{"staff", "create", "--email", "DUP@example.test", "--grant", "users:viewer"},
				[]string{"--email", "exists"}, ""},
			{"revoke an unknown key", []string{"apikey", "revoke", "nosuchid"},
				[]string{`no API key with id "nosuchid"`}, ""},
			{"revoke a revoked key", []string{"apikey", "revoke", keyID},
				[]string{keyID, "revoked already"}, ""},
			{"expires in too many days", []string{"token", "create", "--expires", "100000d"},
				[]string{"--expires", "too large", "36600d"}, "want a duration"},
			{"expires in too many hours", []string{"token", "create", "--expires", "1000000h"},
				[]string{"--expires", "too large", "36600d"}, "want a duration"},
			{"expires in more days than a number holds", []string{"token", "create", "--expires", "99999999999999999999d"},
				[]string{"--expires", "too large"}, "want a duration"},
			{"reset the second factor of an unknown staff member", []string{"staff", "reset-2fa", "--email", "nobody@example.test"},
				[]string{"--email", "nobody@example.test", "no staff member"}, ""},
			{"export audit events up to a day before the first", []string{"audit", "export", "--from", "2026-02-01", "--to", "2026-01-01"},
				[]string{"--to", "must be after from"}, ""},
			{"seed zero tokens", []string{"dev", "seed", "--tokens", "0"},
				[]string{"--tokens", "must be at least 1"}, "required"},
			{"seed negative tokens", []string{"dev", "seed", "--tokens", "-5"},
				[]string{"--tokens", "must be at least 1"}, "required"},
			{"seed without tokens", []string{"dev", "seed"},
				[]string{"--tokens", "required"}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := runCLI(t, db.env, "", tc.args...)
				wantExit(t, r, 2, tc.want...)
				if tc.notWant != "" && strings.Contains(r.stderr, tc.notWant) {
					t.Errorf("stderr %q says %q", r.stderr, tc.notWant)
				}
			})
		}
	})
}
