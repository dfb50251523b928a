package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/servicetest"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// webshopKey creates a webshop API key, the kind that redeems tokens.
func (s *service) webshopKey() string {
	s.t.Helper()
	return strings.TrimSpace(strings.SplitN(s.CLI("", "apikey", "create", "--name", "Shop", "--webshop"), "\n", 2)[0])
}

// redeem presents value through the API with the webshop key and returns
// the status: 200 is a successful attempt, a refusal a failed one.
func (s *service) redeem(key, value, userAgent string) int {
	s.t.Helper()
	status, b := servicetest.Call(s.t, s.URL, key, "POST", "/api/v1/login-tokens/redeem",
		map[string]any{"token": value, "clientIp": "198.51.100.7", "userAgent": userAgent})
	if status >= 500 {
		s.t.Fatalf("redeem: %d %s", status, b)
	}
	return status
}

// wrongSecret is token id's value with a secret that is not its own: a
// failed attempt on that token.
func wrongSecret(id string) string { return "lt_" + id + "_" + strings.Repeat("A", 43) }

// openToken opens the edit dialog of token id from the list.
func (b *browser) openToken(base, id string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(base+"/admin/login-tokens"),
		chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
		chromedp.Click(`tr[data-token-id="`+id+`"] .token-link`, chromedp.ByQuery),
		chromedp.WaitVisible(`#token-dialog`, chromedp.ByID),
		chromedp.WaitReady(`#token-dialog #token-activity-title`, chromedp.ByQuery),
	)
}

// attemptsChart is what the dialog's chart shows: the hint, the SVG's
// bars, and the rows of the table for screen readers.
type attemptsChart struct {
	SVG       bool       `json:"svg"`
	Hint      string     `json:"hint"`
	Titles    []string   `json:"titles"` // the bars' titles of days with attempts
	OK        int        `json:"ok"`     // bars with a successful part
	FailRects int        `json:"fail"`   // bars with a failed part
	Rows      [][]string `json:"rows"`   // day, successful, failed
	None      bool       `json:"none"`   // the "no attempts" line instead of the table
}

func (b *browser) attemptsChart() attemptsChart {
	b.t.Helper()
	var c attemptsChart
	b.run(chromedp.Evaluate(`(() => {
		const d = document.querySelector("#token-dialog"), svg = d.querySelector("svg#token-attempts-chart");
		return {
			svg: svg !== null && svg.namespaceURI === "http://www.w3.org/2000/svg",
			hint: (d.querySelector("#token-attempts-hint") || {textContent: ""}).textContent.trim(),
			titles: svg ? [...svg.querySelectorAll("g")].filter(g => g.querySelector("rect")).map(g => g.querySelector("title").textContent) : [],
			ok: svg ? svg.querySelectorAll("rect.ok").length : 0,
			fail: svg ? svg.querySelectorAll("rect.fail").length : 0,
			rows: [...d.querySelectorAll("#token-attempts-table tbody tr")].map(tr => [...tr.children].map(c => c.textContent.trim())),
			none: [...d.querySelectorAll("p.muted")].some(p => p.textContent.includes("No sign-in attempts")),
		};
	})()`, &c))
	return c
}

// The edit dialog charts a token's sign-ins per UTC day as an SVG, with
// the days that had attempts as a table for screen readers: today's row
// holds exactly the successful and the failed redeems, and a token
// nobody tried shows zeros and no row.
func TestTheTokenDialogChartsTodaysSignInsAndFailures(t *testing.T) {
	svc := startService(t)
	key, shop := svc.apiKey(), svc.webshopKey()
	var tried, untried struct{ ID, Value string }
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"tried"}}, &tried)
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"untried"}}, &untried)
	for range 3 {
		if status := svc.redeem(shop, tried.Value, "e2e"); status != 200 {
			t.Fatalf("redeem the right value: %d", status)
		}
	}
	for range 2 {
		if status := svc.redeem(shop, wrongSecret(tried.ID), "e2e"); status == 200 {
			t.Fatal("a wrong secret signed in")
		}
	}
	today := time.Now().UTC().Format(time.DateOnly)
	svc.staff("viewer@shop.test", "configuration:viewer")

	b := newBrowser(t)
	b.signIn(svc.URL, "viewer@shop.test", adminPassword)
	b.openToken(svc.URL, tried.ID)
	b.shot("attempts-chart")
	c := b.attemptsChart()
	if !c.SVG || !strings.Contains(c.Hint, "3 successful, 2 failed") {
		t.Fatalf("the chart of the tried token: SVG %v, hint %q", c.SVG, c.Hint)
	}
	if want := [][]string{{today, "3", "2"}}; !slices.EqualFunc(c.Rows, want, slices.Equal) {
		t.Fatalf("the table for screen readers has rows %q, want today's %q", c.Rows, want)
	}
	if want := []string{today + ": 3 successful, 2 failed"}; !slices.Equal(c.Titles, want) || c.OK != 1 || c.FailRects != 1 {
		t.Fatalf("the SVG's bars: titles %q with %d successful and %d failed parts, want %q with one of each", c.Titles, c.OK, c.FailRects, want)
	}

	b.openToken(svc.URL, untried.ID)
	c = b.attemptsChart()
	if !c.SVG || !strings.Contains(c.Hint, "0 successful, 0 failed") || len(c.Rows) != 0 || !c.None || c.OK+c.FailRects != 0 {
		t.Fatalf("the chart of a token nobody tried: %+v", c)
	}
}

// downloads lets the browser save downloads into a folder of the test
// and returns a function that clicks sel and waits for the file: its
// suggested name and content.
func (b *browser) downloads() func(sel string) (string, []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	type done struct{ guid, state string }
	names := make(chan [2]string, 8)
	finished := make(chan done, 8)
	chromedp.ListenTarget(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			names <- [2]string{e.GUID, e.SuggestedFilename}
		case *cdpbrowser.EventDownloadProgress:
			if e.State == cdpbrowser.DownloadProgressStateCompleted || e.State == cdpbrowser.DownloadProgressStateCanceled {
				finished <- done{guid: e.GUID, state: string(e.State)}
			}
		}
	})
	b.run(cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true))
	return func(sel string) (string, []byte) {
		b.t.Helper()
		b.run(chromedp.Click(sel, chromedp.ByQuery))
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		var begun [2]string
		select {
		case begun = <-names:
		case <-ctx.Done():
			b.shot("no-download")
			b.t.Fatalf("clicking %s started no download", sel)
		}
		select {
		case d := <-finished:
			if d.guid != begun[0] || d.state != string(cdpbrowser.DownloadProgressStateCompleted) {
				b.t.Fatalf("download %s of %s: %s", d.guid, begun[1], d.state)
			}
		case <-ctx.Done():
			b.t.Fatalf("the download of %s did not finish", begun[1])
		}
		body, err := os.ReadFile(filepath.Join(dir, begun[0]))
		if err != nil {
			b.t.Fatal(err)
		}
		return begun[1], body
	}
}

// eventLine is a line of the audit export's JSON lines.
type eventLine struct {
	ID              int64
	At              time.Time
	Type, TokenID   string
	Actor, ClientIP string
	Details         map[string]any
}

// formula is a cell a spreadsheet would run.
const formula = `=cmd|' /C calc'!A0`

// Settings > Audit exports the login tokens' events of the chosen UTC
// days as a CSV the browser downloads (a cell that starts like a formula
// starts with a quote) and as JSON lines (values as recorded).
func TestAViewerDownloadsTheAuditEventsAsCSVAndJSONLines(t *testing.T) {
	dbURL := sqlstoretest.URL(t, "sqlite")
	svc := startServiceArgs(t, nil, "LOGINTOKENS_DATABASE_URL="+dbURL)
	key, shop := svc.apiKey(), svc.webshopKey()
	var tok struct{ ID, Value string }
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{formula}}, &tok)
	if status := svc.redeem(shop, tok.Value, formula); status != 200 {
		t.Fatalf("redeem: %d", status)
	}
	if status := svc.redeem(shop, wrongSecret(tok.ID), "e2e"); status == 200 {
		t.Fatal("a wrong secret signed in")
	}
	// Every actor the service records is its own word (staff:1, apikey:…,
	// login) and details are JSON objects: no request makes a cell that
	// starts with "=". An event recorded through the store with such an
	// actor, as an older version or a restored database may hold, stands
	// for the cell the export must defuse.
	store, err := sqlstore.Open(context.Background(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = store.AuditTokenEvent(context.Background(), lt.Actor{Name: formula, ClientIP: "198.51.100.8"}, lt.EventMailSent, tok.ID, map[string]any{"to": "jane@acme.test"})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	// A staff event is no token's and stays out of the export.
	svc.staff("auditor@shop.test", "configuration:viewer")
	now := time.Now().UTC()
	today, yesterday := now.Format(time.DateOnly), now.AddDate(0, 0, -1).Format(time.DateOnly)
	compact := strings.ReplaceAll

	b := newBrowser(t)
	b.signIn(svc.URL, "auditor@shop.test", adminPassword)
	download := b.downloads()
	b.run(
		chromedp.Navigate(svc.URL+"/admin/settings/audit"),
		chromedp.WaitVisible(`#audit-export-form`, chromedp.ByID),
		chromedp.SetValue(`#audit-from`, yesterday, chromedp.ByID),
		chromedp.SetValue(`#audit-to`, today, chromedp.ByID),
		chromedp.SetValue(`#audit-format`, "csv", chromedp.ByID),
	)
	b.shot("audit-export")
	name, body := download(`#audit-export`)
	if want := "audit-events-" + compact(yesterday, "-", "") + "-" + compact(today, "-", "") + ".csv"; name != want {
		t.Errorf("the CSV is named %q, want %q", name, want)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the download is no CSV: %v\n%s", err, body)
	}
	if want := []string{"Id", "At", "Type", "Token Id", "Actor", "Client IP", "Details"}; len(rows) == 0 || !slices.Equal(rows[0], want) {
		t.Fatalf("CSV header %q, want %q", rows, want)
	}
	var types []string
	var mailed []string
	for _, r := range rows[1:] {
		if r[3] != tok.ID {
			t.Errorf("a row of no token of ours: %q", r)
			continue
		}
		types = append(types, r[2])
		switch r[2] {
		case lt.EventTokenRedeemed:
			var details map[string]any
			if err := json.Unmarshal([]byte(r[6]), &details); err != nil || details["userAgent"] != formula {
				t.Errorf("the redeem's details %q, want the JSON as recorded (a cell that starts with { needs no quote): %v", r[6], err)
			}
		case lt.EventMailSent:
			mailed = r
		}
	}
	if want := []string{lt.EventTokenCreated, lt.EventTokenRedeemed, lt.EventTokenRejected, lt.EventMailSent}; !slices.Equal(types, want) {
		t.Fatalf("CSV events %q, want %q, oldest first", types, want)
	}
	if mailed[4] != "'"+formula || mailed[5] != "198.51.100.8" {
		t.Fatalf("the actor %q starts like a formula and must start with a quote in the CSV", mailed[4])
	}

	b.run(chromedp.SetValue(`#audit-format`, "jsonl", chromedp.ByID))
	name, body = download(`#audit-export`)
	if want := "audit-events-" + compact(yesterday, "-", "") + "-" + compact(today, "-", "") + ".jsonl"; name != want {
		t.Errorf("the JSON lines are named %q, want %q", name, want)
	}
	var lines []eventLine
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var l eventLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %s: %v", sc.Bytes(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != len(rows)-1 {
		t.Fatalf("%d JSON lines, %d CSV rows", len(lines), len(rows)-1)
	}
	types = types[:0]
	for i, l := range lines {
		if l.TokenID != tok.ID || fmt.Sprint(l.ID) != rows[i+1][0] || l.At.IsZero() {
			t.Errorf("JSON line %d %+v, want the CSV's row %q", i, l, rows[i+1])
		}
		types = append(types, l.Type)
	}
	if want := []string{lt.EventTokenCreated, lt.EventTokenRedeemed, lt.EventTokenRejected, lt.EventMailSent}; !slices.Equal(types, want) {
		t.Fatalf("JSON lines %q, want %q", types, want)
	}
	if last := lines[len(lines)-1]; last.Actor != formula || last.Details["to"] != "jane@acme.test" || lines[1].Details["userAgent"] != formula {
		t.Fatalf("JSON lines hold the values as recorded, not escaped: %+v", lines)
	}

	// Days before the events: the CSV has its header alone.
	b.run(chromedp.SetValue(`#audit-format`, "csv", chromedp.ByID),
		chromedp.SetValue(`#audit-from`, "2020-01-01", chromedp.ByID), chromedp.SetValue(`#audit-to`, "2020-01-31", chromedp.ByID))
	if _, body = download(`#audit-export`); strings.TrimSpace(string(body)) != "Id,At,Type,Token Id,Actor,Client IP,Details" {
		t.Fatalf("the export of January 2020: %q", body)
	}
}

// otherCode is six digits that are none of the codes of secret around
// now: a wrong code for sure.
func otherCode(t *testing.T, secret string) string {
	t.Helper()
	var near []string
	now := time.Now()
	for i := -3; i <= 3; i++ {
		c, err := totp.GenerateCode(secret, now.Add(time.Duration(i)*lt.TOTPPeriod))
		if err != nil {
			t.Fatal(err)
		}
		near = append(near, c)
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n*137); !slices.Contains(near, c) {
			return c
		}
	}
}

// signInWithCode signs in with the password and then the code, and reports
// the page's alert ("" when the code let them in).
func (b *browser) signInWithCode(base, email, code string) string {
	b.t.Helper()
	b.signIn(base, email, adminPassword)
	if loc := b.location(); !strings.Contains(loc, "/admin/login/code") {
		b.t.Fatalf("after the password of a staff member with an authenticator: %s, want the code's page", loc)
	}
	return b.submitCode(code)
}

// submitCode enters code on the second step's page and reports its
// alert, "" when it signed in.
func (b *browser) submitCode(code string) string {
	b.t.Helper()
	// The answer is a new page: the field of this one marked, the wait
	// is for it to go (as signIn waits for the password's).
	b.run(
		chromedp.WaitVisible(`#code`, chromedp.ByID),
		chromedp.SetAttributeValue(`#code`, "data-sent", "1", chromedp.ByID),
		chromedp.SendKeys(`#code`, code, chromedp.ByID),
		chromedp.Click(`#code-submit`, chromedp.ByID),
		chromedp.WaitNotPresent(`#code[data-sent]`, chromedp.ByQuery),
		chromedp.WaitReady(`#main`, chromedp.ByID),
	)
	if b.exists(`form[action="/admin/logout"]`) {
		return ""
	}
	return b.text(`.signin .alert`)
}

func (b *browser) signOut() {
	b.t.Helper()
	b.run(chromedp.Click(`form[action="/admin/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#email`, chromedp.ByID))
}

// A staff member turns on two-factor sign-in with the key the page shows,
// keeps the recovery codes, and from then on the password alone opens
// nothing: a wrong or already used code is refused, the next one of the
// app lets them in, and a recovery code works once.
func TestAStaffMemberEnrolsAnAuthenticatorAndSignsInWithCodes(t *testing.T) {
	svc := startServiceOn(t, "sqlite", nil)
	const email = "two@shop.test"
	svc.staff(email, "configuration:viewer")

	b := newBrowser(t)
	b.signIn(svc.URL, email, adminPassword)
	b.run(chromedp.Navigate(svc.URL+"/admin/two-factor"), chromedp.WaitVisible(`#totp-key`, chromedp.ByID), chromedp.WaitVisible(`#totp-qr`, chromedp.ByID))
	b.shot("two-factor-setup")
	secret := strings.ReplaceAll(b.text(`#totp-key`), " ", "")
	if len(secret) < 26 {
		t.Fatalf("the key shown %q is too short", secret)
	}
	// A wrong code does not turn it on.
	b.run(chromedp.SendKeys(`#code`, otherCode(t, secret), chromedp.ByID), chromedp.Click(`#confirm-totp`, chromedp.ByID),
		chromedp.WaitVisible(`#code-error`, chromedp.ByID))
	if again := strings.ReplaceAll(b.text(`#totp-key`), " ", ""); again != secret {
		t.Fatalf("after a wrong code the key changed from %s to %s", secret, again)
	}
	enrolled, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.SendKeys(`#code`, enrolled, chromedp.ByID), chromedp.Click(`#confirm-totp`, chromedp.ByID),
		chromedp.WaitVisible(`#recovery-codes`, chromedp.ByID))
	b.shot("recovery-codes")
	var recovery []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#recovery-codes li")].map(li => li.textContent.trim())`, &recovery))
	if len(recovery) != lt.RecoveryCodeCount || !lt.IsRecoveryCodeShape(lt.NormalizeCode(recovery[0])) {
		t.Fatalf("recovery codes %q, want %d", recovery, lt.RecoveryCodeCount)
	}
	b.run(chromedp.Click(`#recovery-codes-done`, chromedp.ByID), chromedp.WaitVisible(`form[action="/admin/logout"]`, chromedp.ByQuery))
	b.signOut()

	// The password leads to the code's page, which opens nothing else.
	b.signIn(svc.URL, email, adminPassword)
	if loc := b.location(); !strings.Contains(loc, "/admin/login/code") {
		t.Fatalf("after the password: %s, want the code's page", loc)
	}
	b.shot("code-page")
	b.run(chromedp.Navigate(svc.URL + "/admin/login-tokens"))
	if loc := b.location(); !strings.Contains(loc, "/admin/login") || strings.Contains(loc, "/admin/login-tokens") {
		t.Fatalf("the password alone opened %s", loc)
	}
	b.run(chromedp.Navigate(svc.URL + "/admin/login/code"))
	if msg := b.submitCode(otherCode(t, secret)); !strings.Contains(msg, "Wrong or already used code") {
		t.Fatalf("a wrong code: %q", msg)
	}
	// The code that turned it on is used: the server takes no step twice.
	if msg := b.submitCode(enrolled); !strings.Contains(msg, "Wrong or already used code") {
		t.Fatalf("the code already used to turn it on: %q", msg)
	}
	// The app's next code: a later step than any used, within the skew.
	next, err := totp.GenerateCode(secret, time.Now().Add(lt.TOTPPeriod))
	if err != nil {
		t.Fatal(err)
	}
	if msg := b.submitCode(next); msg != "" {
		t.Fatalf("the app's next code: %q", msg)
	}
	if loc := b.location(); onSignInOrPassword(loc) || strings.Contains(loc, "/admin/login/code") {
		t.Fatalf("after the right code: %s", loc)
	}
	b.shot("signed-in-with-code")
	b.signOut()

	// A recovery code in place of the app's, typed without its dashes.
	if msg := b.signInWithCode(svc.URL, email, strings.ToUpper(strings.ReplaceAll(recovery[0], "-", ""))); msg != "" {
		t.Fatalf("a recovery code: %q", msg)
	}
	b.signOut()
	if msg := b.signInWithCode(svc.URL, email, recovery[0]); !strings.Contains(msg, "Wrong or already used code") {
		t.Fatalf("a recovery code used twice: %q", msg)
	}
	b.shot("recovery-code-used")
	// Another one still works, and the page counts what is left.
	if msg := b.submitCode(recovery[1]); msg != "" {
		t.Fatalf("a second recovery code: %q", msg)
	}
	b.run(chromedp.Navigate(svc.URL+"/admin/two-factor"), chromedp.WaitVisible(`#two-factor-status`, chromedp.ByID))
	if status := b.text(`#two-factor-status`); !strings.Contains(status, fmt.Sprintf("%d recovery codes are left", lt.RecoveryCodeCount-2)) {
		t.Fatalf("two-factor page: %q", status)
	}
}
