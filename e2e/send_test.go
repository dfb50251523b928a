package e2e

import (
	"fmt"
	"html"
	"io"
	"maps"
	"mime"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/logintokens/logintokens/internal/smtptest"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// mailFrom is the sender the mailing service is started with.
const mailFrom = "team@shop.test"

// startMailingService runs serve on a new database of the kind, mailing
// through a real SMTP server on loopback that asks for a password.
func startMailingService(t *testing.T, kind string) (*service, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t, "", nil, "mailer", "e2e-smtp-pw")
	svc := startServiceOn(t, kind, nil,
		"LOGINTOKENS_SMTP_URL=smtp://mailer:e2e-smtp-pw@"+srv.Addr+"?starttls=off",
		"LOGINTOKENS_MAIL_FROM=Shop Team <"+mailFrom+">")
	return svc, srv
}

// issued is a token as the API creates it.
type issued struct {
	ID, Value, LoginURL string
}

// person creates a contact of a new company (customer false) or a
// customer, and returns its id.
func (s *service) person(key string, customer bool, first, last, email string) int64 {
	s.t.Helper()
	var p struct{ ID int64 }
	body := map[string]any{"firstName": first, "lastName": last, "email": email}
	if customer {
		s.api(key, "POST", "/api/v1/customers", body, &p)
		return p.ID
	}
	var co struct{ ID int64 }
	s.api(key, "POST", "/api/v1/companies", map[string]any{"name": last + " GmbH"}, &co)
	body["companyId"] = co.ID
	s.api(key, "POST", "/api/v1/contacts", body, &p)
	return p.ID
}

// issue creates a login token with body.
func (s *service) issue(key string, body map[string]any) issued {
	s.t.Helper()
	var tok issued
	s.api(key, "POST", "/api/v1/login-tokens", body, &tok)
	return tok
}

// tokenEvent is one event of a token's audit trail.
type tokenEvent struct {
	Type, Actor string
	Details     map[string]any
}

// events is token id's audit trail, newest first.
func (s *service) events(key, id string) []tokenEvent {
	s.t.Helper()
	var page struct{ Items []tokenEvent }
	s.api(key, "GET", "/api/v1/login-tokens/"+id+"/events", nil, &page)
	return page.Items
}

// mailEvents is the types of token id's mail events, oldest first.
func (s *service) mailEvents(key, id string) []string {
	s.t.Helper()
	var types []string
	for _, e := range slices.Backward(s.events(key, id)) {
		if strings.HasPrefix(e.Type, "mail.") {
			types = append(types, e.Type)
		}
	}
	return types
}

// awaitSent waits until the outbox worker has recorded the outcome of
// the mail of each token: mail.sent, or the test fails with the events.
func (s *service) awaitSent(key string, ids ...string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for {
			types := s.mailEvents(key, id)
			if slices.Contains(types, "mail.sent") {
				break
			}
			if slices.Contains(types, "mail.failed") || time.Now().After(deadline) {
				s.t.Fatalf("the mail of token %s was not sent: events %v", id, s.events(key, id))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// links finds the URLs a mail's part holds.
var links = regexp.MustCompile(`https?://[^\s"'<>]+`)

// tokenLinks is the distinct URLs of part that carry a token, as they
// would be opened (HTML entities decoded).
func tokenLinks(part string) []string {
	var out []string
	for _, l := range links.FindAllString(part, -1) {
		if l = html.UnescapeString(l); strings.Contains(l, "token=") && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// checkMail checks what every mailed login link must be: envelope and To
// header are the person's address alone, From is the configured sender,
// both parts carry tok's link to the sign-in page and no other token, the
// note is in both parts and no header holds the value. It returns the
// message as parsed.
func checkMail(t *testing.T, svc *service, m smtptest.Received, tok issued, to, name, note string) smtptest.Parsed {
	t.Helper()
	if m.From != mailFrom || len(m.To) != 1 || m.To[0] != to {
		t.Fatalf("envelope from %q to %q, want from %s to %s alone", m.From, m.To, mailFrom, to)
	}
	p := smtptest.Parse(t, m.Data)
	addr, err := netmail.ParseAddress(p.Header.Get("To"))
	if err != nil || addr.Address != to || addr.Name != name {
		t.Errorf("To header %q (%v), want %s <%s>", p.Header.Get("To"), err, name, to)
	}
	if from, err := netmail.ParseAddress(p.Header.Get("From")); err != nil || from.Address != mailFrom {
		t.Errorf("From header %q (%v)", p.Header.Get("From"), err)
	}
	want := svc.URL + "/login?token=" + url.QueryEscape(tok.Value)
	if want != tok.LoginURL {
		t.Fatalf("the API's login link %s is not the sign-in page %s", tok.LoginURL, want)
	}
	for kind, part := range map[string]string{"text": p.Text, "html": p.HTML} {
		if got := tokenLinks(part); len(got) != 1 || got[0] != want {
			t.Errorf("the %s part's links that carry a token are %q, want only %s", kind, got, want)
		}
		for line := range strings.SplitSeq(note, "\n") {
			if kind == "html" {
				line = html.EscapeString(line)
			}
			if !strings.Contains(part, line) {
				t.Errorf("the %s part lacks the note's line %q:\n%s", kind, line, part)
			}
		}
	}
	if !strings.Contains(p.HTML, `href="`+want+`"`) {
		t.Errorf("the html part does not link to %s:\n%s", want, p.HTML)
	}
	_, secret, _ := strings.Cut(strings.TrimPrefix(tok.Value, "lt_"+tok.ID), "_")
	rawHeader, _, _ := strings.Cut(strings.ReplaceAll(string(m.Data), "\r\n", "\n"), "\n\n")
	if strings.Contains(rawHeader, secret) {
		t.Errorf("the header holds the token's secret:\n%s", rawHeader)
	}
	dec := new(mime.WordDecoder)
	for k, vs := range p.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err != nil || strings.Contains(d, secret) {
				t.Errorf("header %s %q holds the token's secret (%v)", k, v, err)
			}
		}
	}
	return p
}

// untouched fails unless token id has never been presented: no attempt
// counted, never accessed, still active.
func (s *service) untouched(key, id, after string) {
	s.t.Helper()
	var st tokenCounters
	s.api(key, "GET", "/api/v1/login-tokens/"+id, nil, &st)
	if st.SuccessfulAttempts != 0 || st.FailedAttempts != 0 || st.LastAccessedAt != nil || st.Status != "active" {
		s.t.Fatalf("after %s the token is %+v, want it untouched", after, st)
	}
}

// An editor opens the token of a contact, presses Send login link,
// adjusts the subject and adds a note in the preview, and sends: the SMTP
// server receives one multipart message for the contact with the link to
// the sign-in page, which signs nobody in when fetched, and the token's
// activity shows the mail queued and sent.
func TestAnEditorMailsALoginLinkWithAPersonalNoteInTheBrowser(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) { mailOneLink(t, kind) })
	}
}

func mailOneLink(t *testing.T, kind string) {
	svc, smtp := startMailingService(t, kind)
	key := svc.apiKey()
	jane := svc.person(key, false, "Jane", "Doe", "jane@acme.test")
	tok := svc.issue(key, map[string]any{"contactId": jane, "oneTimeUse": true})
	anon := svc.issue(key, map[string]any{"extra": []string{"nobody's"}})
	svc.staff("editor@shop.test", "configuration:editor", "users:viewer")
	const subject = "Your access to the Acme order portal – from Sam"
	const note = "Hi Jane, here is the link for the new order portal.\nSee you on Friday & thanks – Sam"

	b := newBrowser(t)
	b.signIn(svc.URL, "editor@shop.test", adminPassword)
	b.openToken(svc.URL, anon.ID)
	if b.exists("#token-dialog #send-login-link") {
		t.Error("the dialog of a token of nobody offers Send login link")
	}
	b.openToken(svc.URL, tok.ID)
	b.shot("dialog")
	b.run(chromedp.Click(`#token-dialog #send-login-link`, chromedp.ByQuery), chromedp.WaitVisible(`#send-preview-card`, chromedp.ByID))
	b.shot("preview")
	var to, page string
	b.run(chromedp.Value(`#send-to`, &to, chromedp.ByID), chromedp.OuterHTML(`html`, &page, chromedp.ByQuery))
	if to != "jane@acme.test" || !strings.Contains(b.text("#preview-to"), "Jane Doe") || b.text("#preview-subject") != "Your login link" {
		t.Errorf("the preview is to %q (%q), subject %q; want Jane Doe's address and the template's subject", to, b.text("#preview-to"), b.text("#preview-subject"))
	}
	if text := b.text("#preview-text"); !strings.Contains(text, "/login?token=lt_"+tok.ID+"_…") {
		t.Errorf("the preview does not show the link cut to the token id:\n%s", text)
	}
	if strings.Contains(page, tok.Value) {
		t.Error("the preview page holds the token's value")
	}
	if smtp.Count() != 0 {
		t.Fatal("opening the preview sent mail")
	}

	// Adjust, look again, send.
	b.run(
		chromedp.SetValue(`#send-subject`, subject, chromedp.ByID),
		chromedp.SetValue(`#send-note`, note, chromedp.ByID),
		chromedp.Click(`#send-preview`, chromedp.ByID),
		chromedp.WaitVisible(`#send-preview-card`, chromedp.ByID),
	)
	b.shot("preview-adjusted")
	if got := b.text("#preview-subject"); got != subject {
		t.Errorf("the updated preview's subject is %q, want %q", got, subject)
	}
	if text := b.text("#preview-text"); !strings.Contains(text, "See you on Friday & thanks – Sam") {
		t.Errorf("the updated preview lacks the note:\n%s", text)
	}
	b.run(chromedp.Click(`#send-submit`, chromedp.ByID), chromedp.WaitVisible(`[data-status]`, chromedp.ByQuery))
	b.shot("queued")
	if msg := b.text(`[data-status]`); !strings.Contains(msg, "queued for jane@acme.test") {
		t.Errorf("after Send the page says %q", msg)
	}

	svc.awaitSent(key, tok.ID)
	if n := smtp.Count(); n != 1 {
		t.Fatalf("the SMTP server received %d messages, want 1", n)
	}
	p := checkMail(t, svc, smtp.Next(t), tok, "jane@acme.test", "Jane Doe", note)
	if p.Subject != subject {
		t.Errorf("subject %q, want the adjusted %q", p.Subject, subject)
	}

	// The link is the sign-in page: fetching it, as a mail scanner does,
	// signs nobody in; the page asks for a press of its button.
	resp, err := http.Get(tok.LoginURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `action="/login"`) {
		t.Errorf("GET of the mailed link: %d\n%s", resp.StatusCode, body)
	}
	svc.untouched(key, tok.ID, "a GET of the mailed link")

	// The activity: in the dialog and in the audit trail.
	b.openToken(svc.URL, tok.ID)
	b.shot("activity")
	var activity []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#token-dialog table.activity tbody tr")].map(tr => tr.textContent.replace(/\s+/g, " ").trim())`, &activity))
	for _, want := range []string{"Login link mailed (queued)", "Login link mail sent"} {
		i := slices.IndexFunc(activity, func(row string) bool { return strings.Contains(row, want) })
		if i < 0 || !strings.Contains(activity[i], "To jane@acme.test") || !strings.Contains(activity[i], "editor@shop.test") {
			t.Errorf("the activity lacks %q to jane@acme.test by editor@shop.test:\n%s", want, strings.Join(activity, "\n"))
		}
	}
	if types := svc.mailEvents(key, tok.ID); !slices.Equal(types, []string{"mail.queued", "mail.sent"}) {
		t.Errorf("mail events %v, want mail.queued, mail.sent", types)
	}
	for _, e := range svc.events(key, tok.ID) {
		if e.Type == "mail.queued" && (e.Details["subject"] != subject || e.Details["note"] != true || e.Details["to"] != "jane@acme.test") {
			t.Errorf("mail.queued details %v", e.Details)
		}
	}
	if types := svc.mailEvents(key, anon.ID); len(types) != 0 {
		t.Errorf("the token of nobody has mail events %v", types)
	}
}

// An editor selects the tokens of two people and one of nobody in the
// list and sends: the page says which cannot be sent and why, and each
// person receives exactly the link of their selected token, neither the
// other's nor that of their token left unselected.
func TestAnEditorMailsTheSelectedTokensEachToItsPersonInTheBrowser(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) { mailSelectedLinks(t, kind) })
	}
}

func mailSelectedLinks(t *testing.T, kind string) {
	svc, smtp := startMailingService(t, kind)
	key := svc.apiKey()
	jane := svc.person(key, false, "Jane", "Doe", "jane@acme.test")
	maxB := svc.person(key, true, "Max", "Berg", "max@example.test")
	eve := svc.person(key, true, "Eve", "Moss", "eve@example.test")
	janes := svc.issue(key, map[string]any{"contactId": jane})
	janesOther := svc.issue(key, map[string]any{"contactId": jane, "extra": []string{"not selected"}})
	maxs := svc.issue(key, map[string]any{"customerId": maxB, "oneTimeUse": true})
	nobodys := svc.issue(key, map[string]any{"extra": []string{"nobody's"}})
	eves := svc.issue(key, map[string]any{"customerId": eve, "extra": []string{"not selected"}})
	all := []issued{janes, janesOther, maxs, nobodys, eves}
	svc.staff("editor@shop.test", "configuration:editor", "users:viewer")
	const note = "Our shop moved to a new address.\nPlease sign in with this link."

	b := newBrowser(t)
	b.signIn(svc.URL, "editor@shop.test", adminPassword)
	b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens"), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID))
	for _, tok := range []issued{janes, maxs, nobodys} {
		b.run(chromedp.Click(`#select-`+tok.ID, chromedp.ByID))
	}
	b.shot("selected")
	b.run(chromedp.Click(`#send-selected`, chromedp.ByID), chromedp.WaitVisible(`#send-items`, chromedp.ByID))
	b.shot("bulk-preview")
	var items []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#send-items li")].map(li => li.textContent.replace(/\s+/g, " ").trim())`, &items))
	wantItems := map[string]string{janes.ID: "to jane@acme.test", maxs.ID: "to max@example.test", nobodys.ID: "not sent: Login token " + nobodys.ID + " has no contact or customer with an e-mail address"}
	if len(items) != len(wantItems) {
		t.Fatalf("the page lists %q, want the 3 selected tokens", items)
	}
	for id, want := range wantItems {
		if !slices.ContainsFunc(items, func(it string) bool { return strings.Contains(it, "("+id+")") && strings.Contains(it, want) }) {
			t.Errorf("the page lists %q, none of %s says %q", items, id, want)
		}
	}
	if got := strings.TrimSpace(b.text("#send-submit")); got != "Send 2 login links" {
		t.Errorf("the button says %q, want Send 2 login links", got)
	}
	if smtp.Count() != 0 {
		t.Fatal("the page that asks sent mail")
	}
	b.run(
		chromedp.SetValue(`#send-note`, note, chromedp.ByID),
		chromedp.Click(`#send-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#tokens-flash`, chromedp.ByID),
	)
	b.shot("queued")
	if msg := b.text("#tokens-flash"); !strings.Contains(msg, "Queued the login links of 2 login tokens") || !strings.Contains(msg, "1 login token was not sent") {
		t.Errorf("after Send the list says %q", msg)
	}

	svc.awaitSent(key, janes.ID, maxs.ID)
	if n := smtp.Count(); n != 2 {
		t.Fatalf("the SMTP server received %d messages, want 2", n)
	}
	got := map[string]smtptest.Received{}
	for range 2 {
		m := smtp.Next(t)
		if len(m.To) != 1 {
			t.Fatalf("one message went to %q", m.To)
		}
		got[m.To[0]] = m
	}
	for _, r := range []struct {
		tok      issued
		to, name string
	}{{janes, "jane@acme.test", "Jane Doe"}, {maxs, "max@example.test", "Max Berg"}} {
		m, ok := got[r.to]
		if !ok {
			t.Errorf("%s received nothing; the messages went to %v", r.to, slices.Collect(maps.Keys(got)))
			continue
		}
		p := checkMail(t, svc, m, r.tok, r.to, r.name, note)
		if p.Subject != "Your login link" {
			t.Errorf("%s's subject %q, want the template's", r.to, p.Subject)
		}
		read := fmt.Sprint(p.Header) + p.Text + p.HTML
		for _, other := range all {
			if other.ID != r.tok.ID && strings.Contains(read, other.ID) {
				t.Errorf("%s's mail names token %s, not theirs", r.to, other.ID)
			}
		}
	}
	for _, tok := range []issued{janesOther, nobodys, eves} {
		if types := svc.mailEvents(key, tok.ID); len(types) != 0 {
			t.Errorf("token %s, not mailed, has mail events %v", tok.ID, types)
		}
	}
}
