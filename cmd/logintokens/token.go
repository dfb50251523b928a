package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/sqlstore"
)

// cliActor is who the command line acts as in the audit trail.
var cliActor = lt.Actor{Name: "cli"}

// expiresForms says what --expires accepts.
const expiresForms = "want a duration like 24h, 90m or 7d, or an RFC 3339 time like 2026-12-31T23:00:00Z"

func runTokenCreate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("token create")
	tf := addTokenFlags(fs)
	asJSON := jsonFlag(fs)
	send := fs.Bool("send", false, "mail the login link to the token's contact or customer (needs "+envPrefix+"SMTP_URL and "+envPrefix+"MAIL_FROM)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	n, err := tf.newToken()
	if err != nil {
		return err
	}
	if *send && n.Type() == lt.UserAnonymous {
		return usagef("--send: the token has no e-mail address to go to; give --contact or --customer")
	}
	cfg, keys, createdKey, err := c.keyedConfig(cf)
	if err != nil {
		return err
	}
	if *send && cfg.SMTP == nil {
		return usagef("--send: sending e-mail is off; set %sSMTP_URL and %sMAIL_FROM (or --smtp-url and --mail-from)", envPrefix, envPrefix)
	}
	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()

	public, err := cfg.linkURL(ctx, store)
	if err != nil {
		return err
	}
	tok, err := store.CreateToken(ctx, cliActor, n)
	if err != nil {
		return err
	}
	c.reportCreatedKey(createdKey)
	if err := c.printToken(tok, public, len(cfg.OCIHookAllow) > 0, *asJSON); err != nil {
		return err
	}
	if *send {
		return c.sendToken(ctx, cfg, store, public, tok.ID)
	}
	return nil
}

// sendToken queues a new token's login link in the outbox; serve's
// worker sends it, and the outcome shows in the token's activity.
func (c *cli) sendToken(ctx context.Context, cfg *config, store *sqlstore.Store, public, id string) error {
	d, err := newMail(cfg, store, public, newLogger(c.stderr, cfg.LogFormat)).QueueMail(ctx, cliActor, "", id, lt.MailRequest{})
	if lt.ErrorCode(err) == lt.ECONFLICT {
		return usagef("--send: %s", lt.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "queued the login link for %s: serve sends it; the outcome shows in the token's activity\n", d.To)
	return nil
}

// tokenFlags are the flags of token create that describe the token.
type tokenFlags struct {
	contact, customer, expires, shop, maxUses *string
	oneTime                                   *bool
	extra, networks                           listFlag
}

func addTokenFlags(fs *flag.FlagSet) *tokenFlags {
	tf := &tokenFlags{
		contact:  fs.String("contact", "", "`ID` of the contact the token signs in"),
		customer: fs.String("customer", "", "`ID` of the customer the token signs in"),
		expires:  fs.String("expires", "", "`WHEN` it expires: a duration (24h, 90m, 7d) or an RFC 3339 time; default never"),
		oneTime:  fs.Bool("one-time", false, "the token works once (the same as --max-uses 1)"),
		maxUses:  fs.String("max-uses", "", "`N` successful sign-ins the token gives, then it is used; default no limit"),
		shop:     fs.String("shop", "", "`ID` of the shop the token is bound to: it signs in only there"),
	}
	fs.Var(&tf.extra, "extra", "`TEXT`: a line of extra information (repeatable)")
	fs.Var(&tf.networks, "network", "`CIDR` range or address a sign-in must come from, IPv4 or IPv6 (repeatable); default any address")
	return tf
}

// newToken is the token the flags describe, checked by the domain's own
// rules first, so that a past --expires fails before anything is opened
// or created.
func (tf *tokenFlags) newToken() (lt.NewToken, error) {
	n := lt.NewToken{OneTimeUse: *tf.oneTime, Extra: tf.extra, Networks: tf.networks}
	if *tf.contact != "" && *tf.customer != "" {
		return n, usagef("give --contact or --customer, not both (neither makes an anonymous token)")
	}
	var err error
	if *tf.contact != "" {
		if n.ContactID, err = parseID("--contact", *tf.contact); err != nil {
			return n, err
		}
	}
	if *tf.customer != "" {
		if n.CustomerID, err = parseID("--customer", *tf.customer); err != nil {
			return n, err
		}
	}
	if *tf.maxUses != "" {
		u, err := strconv.ParseInt(*tf.maxUses, 10, 64)
		if err != nil || u < 1 {
			return n, usagef("--max-uses %q: want a whole number, 1 or more", *tf.maxUses)
		}
		n.MaxUses = &u
	}
	if *tf.shop != "" {
		if n.ShopID, err = parseID("--shop", *tf.shop); err != nil {
			return n, err
		}
	}
	if *tf.expires != "" {
		t, err := parseExpires(*tf.expires, time.Now())
		if err != nil {
			return n, usagef("--expires %q: %s", *tf.expires, err)
		}
		n.ExpiresAt = &t
	}
	return n, n.Validate(time.Now())
}

// printToken prints a new token's value and login link, or with --json one
// object.
func (c *cli) printToken(tok *lt.IssuedToken, public string, oci, asJSON bool) error {
	if asJSON {
		return writeJSON(c, issuedToken(tok, public, oci))
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
	LoginURL string  `json:"loginUrl"`
	OCIURL   *string `json:"ociUrl"` // null while OCI punchout is off
}

func issuedToken(tok *lt.IssuedToken, publicURL string, oci bool) issuedTokenJSON {
	return issuedTokenJSON{IssuedToken: tok, LoginURL: web.Login.Link(publicURL, tok.Value), OCIURL: web.OCILink(oci, publicURL, tok.Value)}
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
	switch {
	case t.OneTimeUse:
		parts = append(parts, "one-time")
	case t.MaxUses != nil:
		parts = append(parts, fmt.Sprintf("%d uses", *t.MaxUses))
	}
	if len(t.Networks) > 0 {
		parts = append(parts, "only from "+strings.Join(t.Networks, " "))
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

// maxExpiresDays keeps day counts far from overflowing a time.Duration;
// maxExpires is the longest duration --expires takes.
const (
	maxExpiresDays = 100 * 366
	maxExpires     = maxExpiresDays * 24 * time.Hour
)

// errExpiresTooLarge says that a well-formed duration is longer than
// --expires takes.
var errExpiresTooLarge = fmt.Errorf("too large: at most %dd (100 years); give an RFC 3339 time for a fixed date, "+
	"or leave --expires out for a token that never expires", maxExpiresDays)

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
		if (errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(days, "-")) || (err == nil && n > maxExpiresDays) {
			return time.Time{}, errExpiresTooLarge
		}
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%s", expiresForms)
		}
		d, rest = time.Duration(n)*24*time.Hour, after
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s", expiresForms)
		}
		if r > maxExpires-d {
			return time.Time{}, errExpiresTooLarge
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
