package main

import (
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/logintokens/logintokens/ratelimit"
)

// TestREADMEConfigurationTableListsEverySetting keeps README.md's
// configuration table in line with the settings: every one, in the order
// they are registered, with its variable, its flag and, where the code has
// one, its default first in the default column.
func TestREADMEConfigurationTableListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(LOGINTOKENS_[A-Z0-9_]+)` \\| `--([a-z0-9-]+)` \\| (.*) \\|$")
	var rows [][]string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		rows = append(rows, m[1:])
	}
	cf := addConfigFlags(flag.NewFlagSet("serve", flag.ContinueOnError))
	settings := cf.all()
	if len(rows) != len(settings) {
		t.Errorf("README.md's configuration table has %d rows, the code %d settings", len(rows), len(settings))
	}
	defaults := map[string]string{
		"addr":                       defaultAddr,
		"database-url":               defaultDatabaseURL,
		"log-format":                 "text",
		"redeem-failures-per-minute": strconv.Itoa(defaultRedeemFailuresPerMinute),
		"link-autosubmit":            "false",
		"rate-limit-ipv4-prefix":     strconv.Itoa(ratelimit.DefaultPrefixes.IPv4),
		"rate-limit-ipv6-prefix":     strconv.Itoa(ratelimit.DefaultPrefixes.IPv6),
		"db-timeout":                 defaultDBTimeout.String(),
		"max-connections":            strconv.Itoa(defaultMaxConnections),
	}
	for i, s := range settings {
		if i >= len(rows) {
			t.Errorf("README.md's configuration table lacks %s (--%s)", s.env(), s.flag)
			continue
		}
		if rows[i][0] != s.env() || rows[i][1] != s.flag {
			t.Errorf("row %d of README.md's configuration table is %s --%s, want %s --%s", i+1, rows[i][0], rows[i][1], s.env(), s.flag)
			continue
		}
		if d, ok := defaults[s.flag]; ok && !strings.HasPrefix(rows[i][2], "`"+d+"`") {
			t.Errorf("README.md gives --%s the default %q, want `%s` first", s.flag, rows[i][2], d)
		}
	}
}

// TestREADMECommandLineListsEveryCommand keeps README.md's command list in
// line with the command table: every command with its synopsis, run as
// the installed binary.
func TestREADMECommandLineListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Command line\n")
	if !ok {
		t.Fatal("README.md has no section Command line")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, cmd := range commands {
		if !strings.Contains(section, "\nlogintokens "+cmd.synopsis+"\n") {
			t.Errorf("README.md's command line does not list: logintokens %s", cmd.synopsis)
		}
	}
	if !strings.Contains(string(b), "go install ./cmd/logintokens") || !strings.Contains(string(b), "go build -o logintokens ./cmd/logintokens") {
		t.Error("README.md does not say how to build and install the binary")
	}
	if strings.Count(string(b), "go run ") != 1 {
		t.Error("README.md runs the program with go run beyond its first command; use the binary")
	}
}
