package main

import (
	"fmt"
	"io"
	"strings"
)

// commandDoc is the help of one command beyond its synopsis and flags:
// what it does and how it is used.
type commandDoc struct {
	about    string
	examples []string
}

// commandDocs holds the help of every command of the table, by name.
var commandDocs = map[string]commandDoc{
	"serve": {
		about: "Serves the backoffice, the admin API, sign-in and the OpenID Provider. With --demo it also serves the demo shop " +
			"at /shop/, adds sample data to a new database and prints a working demo login link on standard error.",
		examples: []string{
			"logintokens serve --demo",
			"logintokens serve --addr :9000 --public-url https://login.example.com",
		}},
	"migrate": {
		about: "Applies the database migrations and exits (every command migrates too). --adopt-key binds the database " +
			"to the configured server key after a key has leaked.",
		examples: []string{
			"logintokens migrate",
			"LOGINTOKENS_DATABASE_URL='postgres://user@db/logintokens' logintokens migrate",
		}},
	"staff create": {
		about: "Creates a backoffice staff member. The password is read as one line from standard input (asked for twice " +
			"on a terminal); an empty line generates one, printed alone on standard output, to be changed at the first sign-in.",
		examples: []string{
			"logintokens staff create --email ops@example.com --grant configuration:owner < /dev/null",
			"printf '%s\\n' 'a long passphrase' | logintokens staff create --email jane@example.com --name Jane --grant users:viewer",
		}},
	"apikey create": {
		about: "Creates an API key and prints it alone on standard output, shown only now: a webshop key may only redeem " +
			"tokens, an admin key carries grants.",
		examples: []string{
			"logintokens apikey create --name Shop --webshop",
			"logintokens apikey create --name \"ERP import\" --grant users:editor --json",
		}},
	"apikey revoke": {
		about: "Revokes an API key at once. ID is the key's id: the part between ltk_ and the second _ of the key " +
			"(ltk_<id>_<secret>), as \"logintokens apikey list\" shows it; the whole key is taken too.",
		examples: []string{
			"logintokens apikey revoke 3k9x0a2b7cq1d4ef",
		}},
	"token create": {
		about: "Creates a login token, anonymous or for a contact or customer, and prints its value and its login link " +
			"(\"logintokens user find\" finds the ids).",
		examples: []string{
			"logintokens token create --contact 12 --expires 7d --one-time",
			"logintokens token create --contact 12 --max-uses 5 --network 203.0.113.0/24 --network 2001:db8:42::/48",
			"logintokens token create --customer 5 --expires 2026-12-31T23:00:00Z --json",
		}},
	"shop create": {
		about: "Registers a shop that signs people in through the OpenID Provider and prints its client secret, shown " +
			"only now (none for a --public shop).",
		examples: []string{
			"logintokens shop create --name \"Acme Store\" --redirect-uri https://shop.example.com/oidc/callback",
			"logintokens shop create --name \"Acme App\" --public --redirect-uri http://127.0.0.1:8400/callback --json",
		}},
	"staff list": {
		about: "Lists the staff members: id, e-mail, name, grants, whether they are active, disabled or must change " +
			"their password, and when they last signed in.",
		examples: []string{
			"logintokens staff list",
			"logintokens staff list --json",
		}},
	"staff reset-password": {
		about: "Gives a staff member a new generated password, printed alone on standard output and shown only now, " +
			"which they must change at their next sign-in (as the first staff member's); their sessions end.",
		examples: []string{
			"logintokens staff reset-password --email admin@localhost",
		}},
	"staff reset-2fa": {
		about: "Resets a staff member's second factor, as an owner's reset in the backoffice does, for one who lost " +
			"their authenticator: it and their recovery codes are removed, their sessions end, and they enrol again at " +
			"their next sign-in. Audited as staff.two_factor_reset.",
		examples: []string{
			"logintokens staff reset-2fa --email jane@example.com",
		}},
	"audit export": {
		about: "Writes the login tokens' audit events from --from to --to (both inclusive: YYYY-MM-DD UTC days or RFC 3339 " +
			"times, at most 366 days), oldest first, as the admin API's export does: CSV with every cell escaped against " +
			"spreadsheet formulas, or JSON lines. --output writes a file that appears only once it is whole.",
		examples: []string{
			"logintokens audit export --from 2026-01-01 --to 2026-01-31 > january.csv",
			"logintokens audit export --from 2026-01-01 --to 2026-03-31 --format jsonl --output q1.jsonl",
		}},
	"apikey list": {
		about: "Lists the API keys that are not revoked (with --all, every key): id, name, kind, grants, when it was " +
			"created and last used. The id is the part between ltk_ and the second _ of the key; never the secret.",
		examples: []string{
			"logintokens apikey list",
			"logintokens apikey list --all --json",
		}},
	"secret-key rotate": {
		about: "Seals every stored value and signing key that a previous server key (LOGINTOKENS_SECRET_KEY_PREVIOUS) sealed " +
			"with the current one (LOGINTOKENS_SECRET_KEY), in short batches while instances serve, and says how many remain. " +
			"Run it again after a crash: it goes on where it stopped. With --check it only counts, and exits 1 while any remain.",
		examples: []string{
			"LOGINTOKENS_SECRET_KEY=NEW LOGINTOKENS_SECRET_KEY_PREVIOUS=OLD logintokens secret-key rotate",
			"logintokens secret-key rotate --check",
		}},
	"signing-key rotate": {
		about: "Makes new JWT signing keys (the sign-in assertions' ES256 and the OpenID Provider's RS256). Every instance " +
			"publishes them at once and signs with them shortly after; the old keys stay in /.well-known/jwks.json until " +
			"the last JWT they signed has expired.",
		examples: []string{
			"logintokens signing-key rotate",
		}},
	"token show": {
		about: "Shows a login token (whom it signs in, its status, attempts and expiry; never its value) and its newest " +
			"activity from the audit trail. ID is the part between lt_ and the second _ of the value; the whole value is taken too.",
		examples: []string{
			"logintokens token show k3x9f0a2b7cq1d4e",
			"logintokens token show k3x9f0a2b7cq1d4e --json",
		}},
	"user find": {
		about: "Finds contacts and customers whose name, e-mail address or company holds QUERY (as the backoffice's " +
			"user picker), with the ids that \"logintokens token create --contact ID\" or \"--customer ID\" takes.",
		examples: []string{
			"logintokens user find jane@example.com",
			"logintokens user find \"Acme\" --json",
		}},
	"dev seed": {
		about: "Fills the database with realistic sample data, fast: companies, contacts, customers and login tokens " +
			"of every type and state.",
		examples: []string{
			"logintokens dev seed --tokens 100000",
			"logintokens dev seed --tokens 1000 --values tokens.txt",
		}},
}

// groupDocs says what each group of subcommands is about.
var groupDocs = map[string]string{
	"staff":  "the backoffice's staff members",
	"apikey": "API keys of the admin API and of webshops",
	"token":  "login tokens",
	"shop":   "shops that sign in through the OpenID Provider",
	"dev":    "tools for development and load tests",
	"user":   "contacts and customers",
	"audit":  "the login tokens' audit trail",
}

// writeCommandHelp prints a command's help: synopsis, what it does, its
// flags and examples.
func writeCommandHelp(w io.Writer, cmd *command, flags string) {
	fmt.Fprintf(w, "Usage: logintokens %s\n", cmd.synopsis)
	doc := commandDocs[cmd.name]
	if doc.about != "" {
		fmt.Fprintf(w, "\n%s\n", wrap(doc.about, 76))
	}
	if strings.HasPrefix(flags, "\n") || flags == "" {
		flags = "  none of its own\n" + flags
	}
	fmt.Fprintf(w, "\nFlags:\n%s", flags)
	if len(doc.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range doc.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// groupHelp returns the help of a group of subcommands ("staff"), or ""
// when no command is in that group.
func groupHelp(group string) string {
	var b strings.Builder
	for _, cmd := range commands {
		words := strings.Fields(cmd.name)
		if len(words) > 1 && words[0] == group {
			fmt.Fprintf(&b, "  logintokens %s\n", cmd.synopsis)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	head := "logintokens " + group
	if about := groupDocs[group]; about != "" {
		head += ": " + about
	}
	return head + "\n\nCommands:\n" + b.String() +
		"\nRun \"logintokens " + group + " COMMAND -h\" for a command's flags and examples.\n"
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// wrap breaks text into lines of at most width characters.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
