// Command logintokens runs the login token service and its administration
// commands. It is the only place that reads the environment: every other
// package takes values.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	lt "github.com/logintokens/logintokens"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// cli is what a command may touch of the outside world. Tests pass their
// own, so commands run in-process.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand.
type command struct {
	name     string // "token create"
	synopsis string
	run      func(ctx context.Context, c *cli, args []string) error
	// fields names the flag that sets a domain field, so that a validation
	// error from the store names what the user typed.
	fields map[string]string
}

var commands = []*command{
	{name: "serve", synopsis: "serve [--demo]", run: runServe},
	{name: "migrate", synopsis: "migrate [--adopt-key]", run: runMigrate},
	{name: "staff create", synopsis: "staff create --email E [--name N] --grant AREA:LEVEL ... [--json]", run: runStaffCreate,
		fields: map[string]string{"email": "--email", "name": "--name", "grants": "--grant"}},
	{name: "staff list", synopsis: "staff list [--json]", run: runStaffList},
	{name: "staff reset-password", synopsis: "staff reset-password --email E [--json]", run: runStaffResetPassword},
	{name: "staff reset-2fa", synopsis: "staff reset-2fa --email E [--json]", run: runStaffResetTwoFactor},
	{name: "audit export", synopsis: "audit export --from DATE --to DATE [--format csv|jsonl] [--output FILE]", run: runAuditExport,
		fields: map[string]string{"from": "--from", "to": "--to", "format": "--format"}},
	{name: "apikey create", synopsis: "apikey create --name N (--webshop | --grant AREA:LEVEL ...) [--json]", run: runAPIKeyCreate,
		fields: map[string]string{"name": "--name", "grants": "--grant", "kind": "--webshop"}},
	{name: "apikey revoke", synopsis: "apikey revoke ID", run: runAPIKeyRevoke},
	{name: "apikey list", synopsis: "apikey list [--all] [--json]", run: runAPIKeyList},
	{name: "token create", synopsis: "token create [--contact ID | --customer ID] [--expires 24h|7d|RFC3339] [--one-time | --max-uses N] [--network CIDR]... [--extra TEXT]... [--shop ID] [--send] [--json]",
		run: runTokenCreate,
		fields: map[string]string{"contactId": "--contact", "customerId": "--customer", "expiresAt": "--expires",
			"extra": "--extra", "oneTimeUse": "--one-time", "maxUses": "--max-uses", "networks": "--network", "shopId": "--shop"}},
	{name: "shop create", synopsis: "shop create --name NAME --redirect-uri URI [--redirect-uri URI]... [--initiate-login-uri URI] [--post-logout-redirect-uri URI]... [--public] [--json]",
		run: runShopCreate,
		fields: map[string]string{"name": "--name", "redirectUris": "--redirect-uri", "initiateLoginUri": "--initiate-login-uri",
			"postLogoutRedirectUris": "--post-logout-redirect-uri"}},
	{name: "token show", synopsis: "token show ID [--json]", run: runTokenShow},
	{name: "user find", synopsis: "user find QUERY [--limit N] [--json]", run: runUserFind},
	{name: "secret-key rotate", synopsis: "secret-key rotate [--check] [--batch N]", run: runSecretKeyRotate},
	{name: "signing-key rotate", synopsis: "signing-key rotate", run: runSigningKeyRotate},
	{name: "dev seed", synopsis: "dev seed --tokens N [--contacts N] [--customers N] [--companies N] [--seed N] [--values FILE]",
		run: runDevSeed, fields: map[string]string{"tokens": "--tokens"}},
}

const usageHead = `logintokens: passwordless sign-in to a webshop through login tokens.

Usage:
`

const usageTail = `
Configuration comes from flags or LOGINTOKENS_* environment variables; the
flag is the variable's name without the prefix, lowercased, with - for _
(--database-url for LOGINTOKENS_DATABASE_URL), and the flag wins.
Run "logintokens COMMAND -h" for a command's flags.
`

func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, c := range commands {
		fmt.Fprintf(&b, "  logintokens %s\n", c.synopsis)
	}
	b.WriteString(usageTail)
	return b.String()
}

// run is the whole program: it returns the exit code, 0 on success, 2 for
// a usage error or invalid input, 1 for any other failure.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if args[0] != "help" || len(args) == 1 || isHelpFlag(args[1]) {
			fmt.Fprint(stdout, usage())
			return 0
		}
		// "help token create" is "token create -h".
		args = append(args[1:len(args):len(args)], "-h")
	}
	if len(args) == 1 || isHelpFlag(args[1]) {
		if help := groupHelp(args[0]); help != "" && len(args) > 1 {
			fmt.Fprint(stdout, help)
			return 0
		}
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		fmt.Fprintf(stderr, "logintokens: %s\n", err)
		return 2
	}
	return cmd.exit(c, cmd.run(ctx, c, rest))
}

// lookup finds the command named by the first one or two arguments.
func lookup(args []string) (*command, []string, error) {
	var group []string
	for _, cmd := range commands {
		words := strings.Fields(cmd.name)
		if words[0] != args[0] {
			continue
		}
		if len(words) == 1 {
			return cmd, args[1:], nil
		}
		group = append(group, words[1])
		if len(args) > 1 && args[1] == words[1] {
			return cmd, args[2:], nil
		}
	}
	if len(group) == 0 {
		return nil, nil, fmt.Errorf("unknown command %q; run \"logintokens help\" for the list", args[0])
	}
	if len(args) == 1 {
		return nil, nil, fmt.Errorf("%s needs a subcommand: %s", args[0], strings.Join(group, ", "))
	}
	return nil, nil, fmt.Errorf("unknown command %q; %s has: %s", args[0]+" "+args[1], args[0], strings.Join(group, ", "))
}

// usageError is a mistake on the command line or in the configuration;
// it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// flagHelp lists a command's own flags, then the configuration flags.
func flagHelp(fs *flag.FlagSet) string {
	var own, conf strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		b := &own
		if _, ok := f.Value.(*setting); ok {
			b = &conf
		}
		arg, help := flag.UnquoteUsage(f)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			arg = ""
		} else if arg == "value" || arg == "string" {
			arg = "VALUE"
		}
		if arg != "" {
			arg = " " + arg
		}
		fmt.Fprintf(b, "  --%s%s\n        %s\n", f.Name, arg, help)
	})
	out := own.String()
	if conf.Len() > 0 {
		out += "\nConfiguration (flag, else environment variable):\n" + conf.String()
	}
	return out
}

// helpRequest is -h or --help on a command: its flags go to stdout.
type helpRequest struct{ flags string }

func (h *helpRequest) Error() string { return "help requested" }

// exit prints err as one line and returns the exit code.
func (cmd *command) exit(c *cli, err error) int {
	var ue *usageError
	var help *helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		writeCommandHelp(c.stdout, cmd, help.flags)
		return 0
	case errors.As(err, &ue):
		cmd.fail(c, ue.msg)
		return 2
	case lt.ErrorCode(err) == lt.EINVALID, lt.ErrorCode(err) == lt.ECONFLICT && cmd.namesFlags(err):
		cmd.fail(c, cmd.invalidMessage(err))
		return 2
	default:
		cmd.fail(c, err.Error())
		return 1
	}
}

func (cmd *command) fail(c *cli, msg string) {
	fmt.Fprintf(c.stderr, "logintokens %s: %s\n", cmd.name, strings.Join(strings.Fields(msg), " "))
}

// namesFlags reports whether every field of err is one of the command's
// flags: a conflict on what the user typed (a staff member's email that
// exists) is then bad input, not a failure.
func (cmd *command) namesFlags(err error) bool {
	var e *lt.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return false
	}
	for _, f := range e.Fields {
		if _, ok := cmd.fields[f.Field]; !ok {
			return false
		}
	}
	return true
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// invalidMessage names the flags behind the fields of a validation error.
func (cmd *command) invalidMessage(err error) string {
	var e *lt.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err.Error()
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		name := f.Field
		if fl, ok := cmd.fields[name]; ok {
			name = fl
		}
		if name == "" {
			parts = append(parts, f.Message)
		} else {
			parts = append(parts, name+": "+f.Message)
		}
	}
	return strings.Join(parts, "; ")
}

// newFlagSet returns a flag set that prints nothing: errors come back as
// one line through usageError.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// configFlagSet returns the flag set of a command that touches the
// database, with the configuration flags on it; the command adds its own.
func configFlagSet(name string) (*flag.FlagSet, *configFlags) {
	fs := newFlagSet(name)
	if only, ok := commandSettings[name]; ok {
		return fs, addSomeConfigFlags(fs, only)
	}
	return fs, addConfigFlags(fs)
}

// parseFlags parses the flags of a command that takes no positional
// argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	positional, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	return noArgs(positional)
}

// parseArgs parses flags and positional arguments in any order
// ("apikey revoke ID --json" as well as "apikey revoke --json ID"); "--"
// ends the flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{flags: flagHelp(fs)}
			}
			return nil, flagError(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

var (
	undefinedFlagRE = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	needsArgRE      = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	badBoolRE       = regexp.MustCompile(`^invalid boolean value (".*") for -+(\S+): .*$`)
	badValueRE      = regexp.MustCompile(`^invalid value (".*") for flag -+(\S+): (.*)$`)
)

// flagError rewrites the flag package's errors into one line that names
// the flag as users type it, with two dashes.
func flagError(err error) error {
	msg := err.Error()
	if m := undefinedFlagRE.FindStringSubmatch(msg); m != nil {
		return usagef("unknown flag --%s", m[1])
	}
	if m := needsArgRE.FindStringSubmatch(msg); m != nil {
		return usagef("--%s needs a value", m[1])
	}
	if m := badBoolRE.FindStringSubmatch(msg); m != nil {
		return usagef("--%s %s: want true or false", m[2], m[1])
	}
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		return usagef("--%s %s: %s", m[2], m[1], m[3])
	}
	return usagef("%s", msg)
}

// jsonFlag adds --json to a command that creates something: it prints
// what it created as one JSON object (writeJSON).
func jsonFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "print one JSON object")
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// noArgs refuses positional arguments where a command takes none.
func noArgs(positional []string) error {
	if len(positional) > 0 {
		return usagef("unexpected argument %q", positional[0])
	}
	return nil
}
