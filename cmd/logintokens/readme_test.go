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
