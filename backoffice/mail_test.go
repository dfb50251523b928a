package backoffice_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/internal/smtptest"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/sqlstore"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// withMail sends the backoffice's mail through srv; the queue is set in
// *queue.
func withMail(t *testing.T, srv *smtptest.Server, queue **mail.LocalQueue) func(*backoffice.Config) {
	return func(cfg *backoffice.Config) {
		st := cfg.Store.(*sqlstore.Store)
		smtpCfg, err := mail.ParseSMTPURL("smtp://" + srv.Addr + "?starttls=off")
		if err != nil {
			t.Fatal(err)
		}
		smtpCfg.From, _ = mail.ParseFrom("Shop Team <team@example.com>")
		q := &mail.LocalQueue{Events: st}
		svc := &mail.Service{Store: st, Queue: q, Transport: mail.NewSMTP(smtpCfg), PublicURL: "http://127.0.0.1", FromName: "Shop Team"}
		q.Deliver = svc.Deliver
		cfg.Mail = svc
		*queue = q
	}
}

func mailTokens(t *testing.T, o *testOffice) (person, anon *lt.IssuedToken) {
	t.Helper()
	co := &lt.Company{Name: "Acme"}
	if err := o.Store.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := o.Store.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	var err error
	if person, err = o.Store.CreateToken(ctx, lt.Actor{Name: "staff:1"}, lt.NewToken{ContactID: &c.ID, OneTimeUse: true}); err != nil {
		t.Fatal(err)
	}
	if anon, err = o.Store.CreateToken(ctx, lt.Actor{Name: "staff:1"}, lt.NewToken{}); err != nil {
		t.Fatal(err)
	}
	return person, anon
}

func TestSendLoginLinkPreviewThenSend(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	o := newOffice(t, "sqlite", withMail(t, srv, &queue))
	o.staff("sam@example.com", "configuration:editor")
	tok, anon := mailTokens(t, o)
	b := o.browser()
	b.signIn("sam@example.com")

	_, body, _ := b.get("/admin/login-tokens/" + tok.ID)
	if !strings.Contains(body, `href="/admin/login-tokens/`+tok.ID+`/send"`) {
		t.Fatalf("the dialog lacks Send login link")
	}
	if _, body, _ := b.get("/admin/login-tokens/" + anon.ID); strings.Contains(body, `id="send-login-link"`) {
		t.Errorf("an anonymous token's dialog offers Send login link")
	}

	status, body, _ := b.get("/admin/login-tokens/" + tok.ID + "/send")
	if status != http.StatusOK || !strings.Contains(body, `value="jane@acme.test"`) || !strings.Contains(body, "Your login link") ||
		!strings.Contains(body, "/login?token=lt_"+tok.ID+"_…") || strings.Contains(body, tok.Value) {
		t.Fatalf("preview %d:\n%s", status, body)
	}
	form := url.Values{"to": {"jane@acme.test"}, "subject": {"Your access"}, "note": {"<b>Welcome</b>"}, "action": {"preview"}}
	if status, body, _ = b.post("/admin/login-tokens/"+tok.ID+"/send", form); status != http.StatusOK || !strings.Contains(body, "&lt;b&gt;Welcome&lt;/b&gt;") {
		t.Fatalf("updated preview %d:\n%s", status, body)
	}
	if srv.Count() != 0 {
		t.Fatal("a preview sent mail")
	}

	form.Set("action", "send")
	if status, _, _ := b.post("/admin/login-tokens/"+tok.ID+"/send", url.Values{"action": {"send"}, "csrf": {"wrong"}}); status != http.StatusForbidden {
		t.Errorf("send without the CSRF token: %d, want 403", status)
	}
	status, body, _ = b.post("/admin/login-tokens/"+tok.ID+"/send", form)
	if status != http.StatusOK || !strings.Contains(body, "queued for jane@acme.test") {
		t.Fatalf("send %d:\n%s", status, body)
	}
	queue.Wait()
	p := smtptest.Parse(t, srv.Next(t).Data)
	if p.Subject != "Your access" || !strings.Contains(p.Text, "<b>Welcome</b>") || !strings.Contains(p.HTML, "&lt;b&gt;Welcome&lt;/b&gt;") ||
		!strings.Contains(p.Text, "http://127.0.0.1/login?token="+tok.Value) {
		t.Errorf("message %q:\n%s", p.Subject, p.Text)
	}
	_, body, _ = b.get("/admin/login-tokens/" + tok.ID)
	for _, want := range []string{"Login link mailed (queued)", "Login link mail sent", "The mail server answered"} {
		if !strings.Contains(body, want) {
			t.Errorf("the activity lacks %q", want)
		}
	}

	form.Set("to", "not an address")
	if status, body, _ = b.post("/admin/login-tokens/"+tok.ID+"/send", form); status != http.StatusBadRequest || !strings.Contains(body, `id="send-to-error"`) {
		t.Errorf("a bad recipient: %d", status)
	}
}

func TestBulkSendMailsEachTokenToItsPerson(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	o := newOffice(t, "sqlite", withMail(t, srv, &queue))
	o.staff("sam@example.com", "configuration:editor")
	tok, anon := mailTokens(t, o)
	b := o.browser()
	b.signIn("sam@example.com")

	_, body, _ := b.get("/admin/login-tokens")
	if !strings.Contains(body, `formaction="/admin/login-tokens/send"`) {
		t.Fatal("the list lacks Send login link for the selection")
	}
	ids := url.Values{"ids": {tok.ID, anon.ID}, "back": {"/admin/login-tokens"}}
	status, body, _ := b.post("/admin/login-tokens/send", ids)
	if status != http.StatusOK || !strings.Contains(body, "to jane@acme.test") || !strings.Contains(body, "no contact or customer with an e-mail address") ||
		!strings.Contains(body, "Send 1 login link") {
		t.Fatalf("bulk preview %d:\n%s", status, body)
	}
	if srv.Count() != 0 {
		t.Fatal("the bulk preview sent mail")
	}
	ids.Set("confirm", "yes")
	status, _, h := b.post("/admin/login-tokens/send", ids)
	if status != http.StatusSeeOther || h.Get("Location") != "/admin/login-tokens" {
		t.Fatalf("bulk send %d %v", status, h)
	}
	queue.Wait()
	if srv.Count() != 1 {
		t.Fatalf("%d mails, want 1", srv.Count())
	}
	if _, body, _ = b.get("/admin/login-tokens"); !strings.Contains(body, "Queued the login links of 1 login token") || !strings.Contains(body, "1 login token was not sent") {
		t.Errorf("the list does not say what was queued")
	}
}

// A browser sends a textarea's lines with CRLF: the bulk send takes a
// note of several lines as the single send does, and mails it.
func TestBulkSendTakesANoteOfSeveralLinesAsABrowserSendsIt(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	o := newOffice(t, "sqlite", withMail(t, srv, &queue))
	o.staff("sam@example.com", "configuration:editor")
	tok, _ := mailTokens(t, o)
	b := o.browser()
	b.signIn("sam@example.com")
	form := url.Values{"ids": {tok.ID}, "back": {"/admin/login-tokens"}, "note": {"Hello Jane,\r\nsee you soon."}}
	if status, body, _ := b.post("/admin/login-tokens/send", form); status != http.StatusOK || !strings.Contains(body, "Send 1 login link") {
		t.Fatalf("bulk preview %d:\n%s", status, body)
	}
	form.Set("confirm", "yes")
	if status, body, _ := b.post("/admin/login-tokens/send", form); status != http.StatusSeeOther {
		t.Fatalf("bulk send %d:\n%s", status, body)
	}
	queue.Wait()
	p := smtptest.Parse(t, srv.Next(t).Data)
	if !strings.Contains(strings.ReplaceAll(p.Text, "\r\n", "\n"), "Hello Jane,\nsee you soon.") {
		t.Errorf("the text part lacks the note:\n%s", p.Text)
	}
}

// A field the bulk form refuses leaves the page with its recipients and
// its button: the editor corrects the field and sends from there.
func TestABulkSendWithABadSubjectKeepsItsRecipients(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	o := newOffice(t, "sqlite", withMail(t, srv, &queue))
	o.staff("sam@example.com", "configuration:editor")
	tok, _ := mailTokens(t, o)
	b := o.browser()
	b.signIn("sam@example.com")
	form := url.Values{"ids": {tok.ID}, "back": {"/admin/login-tokens"}, "subject": {"Your link\x00"}, "confirm": {"yes"}}
	status, body, _ := b.post("/admin/login-tokens/send", form)
	if status != http.StatusBadRequest || !strings.Contains(body, "Send 1 login link") || !strings.Contains(body, tok.ID) ||
		!strings.Contains(body, `value="`+tok.ID+`"`) {
		t.Fatalf("bulk send with a bad subject %d:\n%s", status, body)
	}
	if !strings.Contains(strings.ToLower(body), "subject") {
		t.Errorf("the page does not name the subject:\n%s", body)
	}
	form.Set("subject", "Your link")
	if status, body, _ := b.post("/admin/login-tokens/send", form); status != http.StatusSeeOther {
		t.Fatalf("bulk send corrected %d:\n%s", status, body)
	}
	queue.Wait()
	if p := smtptest.Parse(t, srv.Next(t).Data); p.Subject != "Your link" {
		t.Errorf("subject %q", p.Subject)
	}
}

func TestSendLoginLinkIsDisabledWhenMailIsOff(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("sam@example.com", "configuration:editor")
	tok, _ := mailTokens(t, o)
	b := o.browser()
	b.signIn("sam@example.com")
	for _, path := range []string{"/admin/login-tokens/" + tok.ID, "/admin/login-tokens"} {
		_, body, _ := b.get(path)
		if !strings.Contains(body, `disabled aria-describedby="mail-off-reason"`) || !strings.Contains(body, "LOGINTOKENS_SMTP_URL") {
			t.Errorf("%s: the button is not disabled with the reason", path)
		}
	}
	status, body, _ := b.get("/admin/login-tokens/" + tok.ID + "/send")
	if status != http.StatusConflict || !strings.Contains(body, "LOGINTOKENS_SMTP_URL") {
		t.Errorf("send page with mail off: %d", status)
	}
}

func TestMailSettingsEditTemplates(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	o := newOffice(t, "sqlite", withMail(t, srv, &queue))
	o.staff("sam@example.com", "configuration:editor")
	o.staff("vic@example.com", "configuration:viewer")
	shop, _, err := o.Store.CreateShop(ctx, lt.Actor{Name: "cli"}, lt.NewShop{Name: "Kaufhaus", RedirectURIs: []string{"https://kaufhaus.test/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	viewer := o.browser()
	viewer.signIn("vic@example.com")
	if status, _, _ := viewer.get("/admin/settings/mail"); status != http.StatusForbidden {
		t.Errorf("a viewer opens the mail settings: %d", status)
	}

	b := o.browser()
	b.signIn("sam@example.com")
	status, body, _ := b.get("/admin/settings/mail")
	if status != http.StatusOK || !strings.Contains(body, "Ihr Anmeldelink") || !strings.Contains(body, "Kaufhaus") {
		t.Fatalf("settings %d:\n%s", status, body)
	}
	form := url.Values{"shop": {itoa(shop.ID)}, "language": {"de"}, "de.subject": {"Anmeldung bei {{.Shop}} {{.LoginURL}}"}}
	status, body, _ = b.post("/admin/settings/mail", form)
	if status != http.StatusBadRequest || !strings.Contains(body, `id="mail-de-subject-error"`) || !strings.Contains(body, "never be in one") {
		t.Fatalf("a subject with the link: %d\n%s", status, body)
	}
	form.Set("de.subject", "Anmeldung bei {{.Shop}}")
	if status, body, _ = b.post("/admin/settings/mail", form); status != http.StatusOK || !strings.Contains(body, "were saved") {
		t.Fatalf("save %d:\n%s", status, body)
	}
	if _, body, _ = b.get("/admin/settings/mail"); strings.Contains(body, "Anmeldung bei {{.Shop}}") {
		t.Errorf("the shop's template shows on the installation's page")
	}
	if _, body, _ = b.get("/admin/settings/mail?shop=" + itoa(shop.ID)); !strings.Contains(body, "Anmeldung bei {{.Shop}}") {
		t.Errorf("the shop's page lacks its template")
	}
}
