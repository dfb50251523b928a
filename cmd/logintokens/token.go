package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// cliActor is who the command line acts as in the audit trail.
var cliActor = lt.Actor{Name: "cli"}

// expiresForms says what --expires accepts.
const expiresForms = "want a duration like 24h, 90m or 7d, or an RFC 3339 time like 2026-12-31T23:00:00Z"

func runTokenCreate(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("token create")
	cf := addConfigFlags(fs)
	contact := fs.String("contact", "", "`ID` of the contact the token signs in")
	customer := fs.String("customer", "", "`ID` of the customer the token signs in")
	expires := fs.String("expires", "", "`WHEN` it expires: a duration (24h, 90m, 7d) or an RFC 3339 time; default never")
	oneTime := fs.Bool("one-time", false, "the token works once")
	var extra listFlag
	fs.Var(&extra, "extra", "`TEXT`: a line of extra information (repeatable)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	positional, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(positional); err != nil {
		return err
	}
	n := lt.NewToken{OneTimeUse: *oneTime, Extra: extra}
	if *contact != "" && *customer != "" {
		return usagef("give --contact or --customer, not both (neither makes an anonymous token)")
	}
	if *contact != "" {
		if n.ContactID, err = parseID("--contact", *contact); err != nil {
			return err
		}
	}
	if *customer != "" {
		if n.CustomerID, err = parseID("--customer", *customer); err != nil {
			return err
		}
	}
	if *expires != "" {
		t, err := parseExpires(*expires, time.Now())
		if err != nil {
			return usagef("--expires %q: %s", *expires, err)
		}
		n.ExpiresAt = &t
	}
	// The domain's own checks first, so that a past --expires fails before
	// anything is opened or created.
	if err := n.Validate(time.Now()); err != nil {
		return err
	}
	cfg, err := cf.resolve(c.getenv)
	if err != nil {
		return err
	}
	keys, createdKey, err := loadKeyring(cfg)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()

	tok, err := store.CreateToken(ctx, cliActor, n)
	if err != nil {
		return err
	}
	if createdKey != "" {
		fmt.Fprintf(c.stderr, "created the server key in %s; back it up with the database\n", createdKey)
	}
	public := cfg.cliPublicURL()
	if *asJSON {
		return writeJSON(c, issuedToken(tok, public))
	}
	fmt.Fprintln(c.stdout, tok.Value)
	fmt.Fprintln(c.stdout, web.Login.Link(public, tok.Value))
	fmt.Fprintf(c.stderr, "created login token %s: %s\n", tok.ID, describeToken(tok.LoginToken))
	return nil
}

// issuedTokenJSON is the API's answer to a token creation: the resource,
// its value and the links that carry it.
type issuedTokenJSON struct {
	*lt.IssuedToken
	LoginURL string `json:"loginUrl"`
	OCIURL   string `json:"ociUrl"`
}

func issuedToken(tok *lt.IssuedToken, publicURL string) issuedTokenJSON {
	return issuedTokenJSON{IssuedToken: tok, LoginURL: web.Login.Link(publicURL, tok.Value), OCIURL: web.OCI.Link(publicURL, tok.Value)}
}

// describeToken says in a few words whom a token is for and how long.
func describeToken(t *lt.LoginToken) string {
	var parts []string
	if t.User != nil {
		who := fmt.Sprintf("%s %d %s <%s>", t.User.Type, t.User.ID, t.User.Name, t.User.Email)
		if t.User.Company != nil {
			who += " of " + t.User.Company.Name
		}
		parts = append(parts, who)
	} else {
		parts = append(parts, "anonymous")
	}
	if t.ExpiresAt != nil {
		parts = append(parts, "expires "+t.ExpiresAt.UTC().Format(time.RFC3339))
	} else {
		parts = append(parts, "never expires")
	}
	if t.OneTimeUse {
		parts = append(parts, "one-time")
	}
	return strings.Join(parts, ", ")
}

func parseID(flagName, s string) (*int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return nil, usagef("%s %q: want a positive whole number id", flagName, s)
	}
	return &n, nil
}

// maxExpiresDays keeps day counts far from overflowing a time.Duration.
const maxExpiresDays = 100 * 366

// parseExpires reads an expiry: a duration from now (Go's units plus d for
// days: 24h, 90m, 7d, 1d12h) or an RFC 3339 time. Whether a time is in the
// future is the domain's rule, checked by the store.
func parseExpires(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var d time.Duration
	rest := s
	if days, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > maxExpiresDays {
			return time.Time{}, fmt.Errorf("%s", expiresForms)
		}
		d, rest = time.Duration(n)*24*time.Hour, after
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s", expiresForms)
		}
		d += r
	}
	if d <= 0 {
		return time.Time{}, fmt.Errorf("the duration must be more than zero; %s", expiresForms)
	}
	return now.Add(d), nil
}

// writeJSON prints v as one JSON object on one line.
func writeJSON(c *cli, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "%s\n", b)
	return err
}
