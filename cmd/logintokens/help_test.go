package main

import (
	"strings"
	"testing"
)

// Every command of the table has help of its own on stdout, exit 0, with
// what it does and at least one example that runs it, whether asked with
// -h or through "help".
func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	for _, cmd := range commands {
		t.Run(cmd.name, func(t *testing.T) {
			words := strings.Fields(cmd.name)
			r := runCLI(t, nil, "", append(words, "-h")...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%s -h: exit %d, stderr %q", cmd.name, r.code, r.stderr)
			}
			for _, want := range []string{"Usage: logintokens " + cmd.synopsis, "Flags:", "Examples:\n  "} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%s -h does not hold %q:\n%s", cmd.name, want, r.stdout)
				}
			}
			_, examples, _ := strings.Cut(r.stdout, "Examples:\n")
			if !strings.Contains(examples, "logintokens "+cmd.name) {
				t.Errorf("%s -h has no example that runs it:\n%s", cmd.name, examples)
			}
			if commandDocs[cmd.name].about == "" {
				t.Errorf("%s has no description", cmd.name)
			}
			if h := runCLI(t, nil, "", append([]string{"help"}, words...)...); h.code != 0 || h.stdout != r.stdout {
				t.Errorf("help %s: exit %d, stdout differs from %s -h:\n%s", cmd.name, h.code, cmd.name, h.stdout)
			}
		})
	}
}

// A group of subcommands lists them with their synopses, on stdout.
func TestGroupHelpListsTheSubcommands(t *testing.T) {
	groups := map[string]bool{}
	for _, cmd := range commands {
		if words := strings.Fields(cmd.name); len(words) > 1 {
			groups[words[0]] = true
		}
	}
	for _, must := range []string{"staff", "dev", "token", "apikey", "shop"} {
		if !groups[must] {
			t.Errorf("no group %s", must)
		}
	}
	for group := range groups {
		for _, args := range [][]string{{group, "-h"}, {group, "--help"}, {"help", group}} {
			r := runCLI(t, nil, "", args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
				continue
			}
			for _, cmd := range commands {
				if strings.HasPrefix(cmd.name, group+" ") && !strings.Contains(r.stdout, "logintokens "+cmd.synopsis+"\n") {
					t.Errorf("%v does not list %s:\n%s", args, cmd.name, r.stdout)
				}
			}
		}
	}
	// Without -h a group still wants a subcommand.
	wantExit(t, runCLI(t, nil, "", "staff"), 2, "create")
}

// A command's help lists only the configuration settings it uses.
func TestCommandHelpListsOnlyTheSettingsItUses(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"migrate", "-h"}, []string{"LOGINTOKENS_DATABASE_URL", "LOGINTOKENS_SECRET_KEY"},
			[]string{"LOGINTOKENS_ADMIN_PASSWORD", "LOGINTOKENS_METRICS_TOKEN", "LOGINTOKENS_ADDR", "LOGINTOKENS_PUBLIC_URL"}},
		{[]string{"apikey", "revoke", "-h"}, []string{"LOGINTOKENS_DATABASE_URL", "ltk_", "apikey list"},
			[]string{"LOGINTOKENS_ADMIN_PASSWORD", "LOGINTOKENS_TRUSTED_PROXIES", "LOGINTOKENS_ADDR"}},
		{[]string{"token", "create", "-h"}, []string{"LOGINTOKENS_DATABASE_URL", "LOGINTOKENS_PUBLIC_URL"},
			[]string{"LOGINTOKENS_ADMIN_PASSWORD", "LOGINTOKENS_MAX_CONNECTIONS"}},
		{[]string{"serve", "-h"}, []string{"LOGINTOKENS_ADMIN_PASSWORD", "LOGINTOKENS_MAX_CONNECTIONS", "LOGINTOKENS_DATABASE_URL"}, nil},
	} {
		r := runCLI(t, nil, "", tc.args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d", tc.args, r.code)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v does not mention %s", tc.args, w)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(r.stdout, w) {
				t.Errorf("%v lists %s, which it does not use", tc.args, w)
			}
		}
	}
}

// A command checks only the settings it reads: a bad metrics token in the
// environment stops serve but not migrate, which has no use for it.
func TestACommandChecksOnlyTheSettingsItReads(t *testing.T) {
	db := newSQLiteDB(t)
	env := db.withEnv("LOGINTOKENS_METRICS_TOKEN", "tooshort", "LOGINTOKENS_LOG_FORMAT", "xml")
	mustRun(t, env, "", "migrate")
	wantExit(t, runCLI(t, env, "", "serve"), 2, "LOGINTOKENS_LOG_FORMAT")
}
