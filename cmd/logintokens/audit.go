package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/auditexport"
	"github.com/logintokens/logintokens/sqlstore"
)

// findStaffByEmail finds the staff member whose email is email, in any
// case; none is bad input naming --email.
func findStaffByEmail(ctx context.Context, store *sqlstore.Store, email string) (*lt.Staff, error) {
	staff, err := store.FindStaff(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range staff {
		if strings.EqualFold(s.Email, strings.TrimSpace(email)) {
			return s, nil
		}
	}
	return nil, usagef("--email %s: no staff member with this email; \"logintokens staff list\" lists them", lt.QuoteInput(email))
}

// runStaffResetTwoFactor removes a staff member's authenticator and
// recovery codes, as an owner's reset in the backoffice does: audited,
// and their sessions end.
func runStaffResetTwoFactor(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("staff reset-2fa")
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
	if err := store.ResetTwoFactor(ctx, st.ID); err != nil {
		return err
	}
	if err := store.AuditEvent(ctx, cliActor, lt.EventStaffTwoFactorReset, map[string]any{"staffId": st.ID, "email": st.Email}); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c, struct {
			ID             int64  `json:"id"`
			Email          string `json:"email"`
			TwoFactorReset bool   `json:"twoFactorReset"`
			SessionsEnded  bool   `json:"sessionsEnded"`
		}{st.ID, st.Email, true, true})
	}
	fmt.Fprintf(c.stderr, "second factor reset for %s (%s); their sessions have ended and they enrol again at the next sign-in\n",
		st.Email, st.Actor())
	return nil
}

// runAuditExport writes the login tokens' audit events of a range, as the
// API's export does: to standard output, or to a file that appears only
// once it is whole.
func runAuditExport(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("audit export")
	from := fs.String("from", "", "first `DAY` (YYYY-MM-DD, UTC) or RFC 3339 time")
	to := fs.String("to", "", "last `DAY` (YYYY-MM-DD, UTC, the whole day) or RFC 3339 time, inclusive")
	format := fs.String("format", lt.AuditFormatCSV, "`FORMAT`: csv or jsonl")
	output := fs.String("output", "", "write to `FILE` instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	x, err := lt.ParseAuditExport(url.Values{"from": {*from}, "to": {*to}, "format": {*format}})
	if err != nil {
		return err
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	stream := func(each func(*lt.Event) error) error { return store.StreamTokenEvents(ctx, x, each) }
	if *output == "" {
		_, err := auditexport.Write(c.stdout, x.Format, nil, stream)
		return err
	}
	// A temporary file beside the output, renamed when whole: half an
	// export never passes for a whole one.
	f, err := os.CreateTemp(filepath.Dir(*output), "."+filepath.Base(*output)+".*")
	if err != nil {
		return usagef("--output %s: %s", lt.QuoteInput(*output), err)
	}
	defer os.Remove(f.Name())
	_, err = auditexport.Write(f, x.Format, nil, stream)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), *output)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "wrote the audit events of %s to %s\n", strings.TrimSuffix(strings.TrimPrefix(auditexport.Filename(x), "audit-events-"), "."+x.Format), *output)
	return nil
}
