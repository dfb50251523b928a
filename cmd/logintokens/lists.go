package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	lt "github.com/logintokens/logintokens"
)

// The commands a person needs on day two: list staff and API keys, reset a
// password, find a contact or customer, show a token and its activity.

// listJSON is a list as --json prints it, shaped like the API's lists.
type listJSON[T any] struct {
	Items []T `json:"items"`
}

// table writes aligned columns to stdout; a cell that is empty shows "-".
func (c *cli) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		for i, cell := range r {
			if cell == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// when formats an optional time for a table.
func when(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func runStaffList(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("staff list")
	asJSON := jsonFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	staff, err := store.FindStaff(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := listJSON[staffJSON]{Items: []staffJSON{}}
		for _, st := range staff {
			out.Items = append(out.Items, staffJSON{Staff: st, Grants: st.Grants.Strings()})
		}
		return writeJSON(c, out)
	}
	rows := make([][]string, 0, len(staff))
	for _, st := range staff {
		state := "active"
		switch {
		case st.Disabled:
			state = "disabled"
		case st.MustChangePassword:
			state = "must change password"
		}
		rows = append(rows, []string{fmt.Sprint(st.ID), st.Email, st.Name, strings.Join(st.Grants.Strings(), ","), state,
			when(st.LastSignInAt)})
	}
	return c.table("ID\tEMAIL\tNAME\tGRANTS\tSTATE\tLAST SIGN-IN", rows)
}

// runStaffResetPassword gives a staff member a generated one-time password,
// printed alone on stdout, which must be changed at the next sign-in, as
// the first staff member's; their sessions end.
func runStaffResetPassword(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("staff reset-password")
	email := fs.String("email", "", "`EMAIL` of the staff member")
	asJSON := jsonFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return usagef("--email is required")
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := findStaffByEmail(ctx, store, *email)
	if err != nil {
		return err
	}
	password := lt.GeneratePassword()
	if err := store.SetStaffPassword(ctx, st.ID, password, true); err != nil {
		return err
	}
	if err := store.DeleteStaffSessions(ctx, st.ID, ""); err != nil {
		return err
	}
	if err := store.AuditEvent(ctx, cliActor, lt.EventStaffUpdated, map[string]any{"staffId": st.ID, "email": st.Email, "password": "reset"}); err != nil {
		return err
	}
	st.MustChangePassword = true
	if *asJSON {
		return writeJSON(c, staffJSON{Staff: st, Grants: st.Grants.Strings(), Password: password})
	}
	fmt.Fprintln(c.stdout, password)
	fmt.Fprintf(c.stderr, "new password for %s (%s), shown only now; it must be changed at the next sign-in, and their sessions have ended\n",
		st.Email, st.Actor())
	return nil
}

func runAPIKeyList(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("apikey list")
	all := fs.Bool("all", false, "list revoked keys too")
	asJSON := jsonFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	keys, err := store.FindAPIKeys(ctx)
	if err != nil {
		return err
	}
	out := listJSON[apiKeyJSON]{Items: []apiKeyJSON{}}
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		if k.RevokedAt != nil && !*all {
			continue
		}
		grants := k.Grants.Strings()
		out.Items = append(out.Items, apiKeyJSON{APIKey: k, Grants: grants})
		row := []string{k.ID, k.Name, string(k.Kind), strings.Join(grants, ","), when(&k.CreatedAt), when(k.LastUsedAt)}
		if *all {
			row = append(row, when(k.RevokedAt))
		}
		rows = append(rows, row)
	}
	if *asJSON {
		return writeJSON(c, out)
	}
	header := "ID\tNAME\tKIND\tGRANTS\tCREATED\tLAST USED"
	if *all {
		header += "\tREVOKED"
	}
	return c.table(header, rows)
}

// maxUserFind is how many contacts and customers user find shows.
const maxUserFind = 100

func runUserFind(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("user find")
	limit := fs.Int("limit", 20, "`N` matches at most, 1 to 100")
	asJSON := jsonFlag(fs)
	positional, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(positional) == 0 {
		return usagef("give what to look for: user find QUERY (a part of a name, an e-mail address or a company)")
	}
	q := strings.Join(positional, " ")
	if strings.TrimSpace(q) == "" {
		return usagef("QUERY is empty: give a part of a name, an e-mail address or a company")
	}
	if *limit < 1 || *limit > maxUserFind {
		return usagef("--limit %d: want a whole number from 1 to %d", *limit, maxUserFind)
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	users, err := store.SearchUsers(ctx, q, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		out := listJSON[*lt.UserRef]{Items: users}
		if out.Items == nil {
			out.Items = []*lt.UserRef{}
		}
		return writeJSON(c, out)
	}
	rows := make([][]string, 0, len(users))
	for _, u := range users {
		company := ""
		if u.Company != nil {
			company = u.Company.Name
		}
		rows = append(rows, []string{string(u.Type), fmt.Sprint(u.ID), u.Name, u.Email, company, "--" + string(u.Type) + " " + fmt.Sprint(u.ID)})
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.stderr, "no contact or customer matches %s\n", lt.QuoteInput(q))
		return nil
	}
	return c.table("TYPE\tID\tNAME\tEMAIL\tCOMPANY\tTOKEN CREATE FLAG", rows)
}

// tokenShowEvents is how many of a token's newest events token show lists.
const tokenShowEvents = 20

// tokenShowJSON is a token and its newest events as --json prints them.
type tokenShowJSON struct {
	*lt.LoginToken
	Events      []*lt.Event `json:"events"`
	EventsTotal int         `json:"eventsTotal"`
}

func runTokenShow(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("token show")
	asJSON := jsonFlag(fs)
	positional, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch len(positional) {
	case 0:
		return usagef("give the id of the token: token show ID")
	case 1:
	default:
		return usagef("unexpected argument %q: show one token at a time", positional[1])
	}
	id := positional[0]
	if tid, _, err := lt.ParseValue(lt.TokenPrefix, id); err == nil {
		id = tid // the whole value was given: its id is the part after lt_
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	tok, err := store.FindTokenByID(ctx, id)
	if lt.ErrorCode(err) == lt.ENOTFOUND {
		return usagef("no login token with id %s", lt.QuoteInput(id))
	}
	if err != nil {
		return err
	}
	events, total, err := store.FindTokenEvents(ctx, tok.ID, 1, tokenShowEvents)
	if err != nil {
		return err
	}
	if *asJSON {
		if events == nil {
			events = []*lt.Event{}
		}
		return writeJSON(c, tokenShowJSON{LoginToken: tok, Events: events, EventsTotal: total})
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	field := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\n", k, v)
	}
	field("id", tok.ID)
	field("status", string(tok.Status))
	field("for", describeToken(tok))
	field("created", tok.CreatedAt.UTC().Format(time.RFC3339)+" by "+tok.CreatedBy)
	field("attempts", fmt.Sprintf("%d successful, %d failed", tok.SuccessfulAttempts, tok.FailedAttempts))
	field("last accessed", when(tok.LastAccessedAt))
	if tok.ShopID != nil {
		field("shop", fmt.Sprint(*tok.ShopID))
	}
	for _, e := range tok.Extra {
		field("extra", e)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nactivity (%d newest of %d):\n", len(events), total)
	rows := make([][]string, 0, len(events))
	for _, e := range events {
		rows = append(rows, []string{e.At.UTC().Format(time.RFC3339), e.Type, e.Actor, e.ClientIP})
	}
	return c.table("AT\tEVENT\tBY\tCLIENT", rows)
}
