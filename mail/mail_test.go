package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/smtptest"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var (
	ctx   = context.Background()
	staff = lt.Actor{Name: "staff:1", ClientIP: "192.0.2.1"}
)

const publicURL = "https://login.example.com"

// fixture is a store with a contact and a token, and a mail service that
// sends to a test SMTP server.
type fixture struct {
	store *sqlstore.Store
	svc   *mail.Service
	queue *mail.LocalQueue
	tok   *lt.IssuedToken
}

func newFixture(t *testing.T, s *sqlstore.Store, smtpURL string, n lt.NewToken) *fixture {
	t.Helper()
	f := &fixture{store: s}
	co := &lt.Company{Name: "Acme"}
	if err := s.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := s.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	if n.ContactID == nil && n.CustomerID == nil {
		n.ContactID = &c.ID
	}
	tok, err := s.CreateToken(ctx, staff, n)
	if err != nil {
		t.Fatal(err)
	}
	f.tok = tok
	f.queue = &mail.LocalQueue{Events: s}
	f.svc = &mail.Service{Store: s, Queue: f.queue, PublicURL: publicURL, FromName: "Shop Team"}
	if smtpURL != "" {
		cfg, err := mail.ParseSMTPURL(smtpURL)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.From, err = mail.ParseFrom("Shop Team <team@example.com>"); err != nil {
			t.Fatal(err)
		}
		f.svc.Transport = mail.NewSMTP(cfg)
	}
	f.queue.Deliver = f.svc.Deliver
	return f
}

// events returns the token's audit events of the mail, oldest first.
func (f *fixture) events(t *testing.T) []*lt.Event {
	t.Helper()
	evs, _, err := f.store.FindTokenEvents(ctx, f.tok.ID, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*lt.Event
	for i := len(evs) - 1; i >= 0; i-- {
		if strings.HasPrefix(evs[i].Type, "mail.") {
			out = append(out, evs[i])
		}
	}
	return out
}

func details(t *testing.T, e *lt.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Details, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSentMessageIsMultipartWithTheLoginLinkAndNoValueInHeaders(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		srv := smtptest.Start(t, "", nil, "mailer", "s3cret-pw")
		exp := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
		f := newFixture(t, s, "smtp://mailer:s3cret-pw@"+srv.Addr+"?starttls=off", lt.NewToken{OneTimeUse: true, ExpiresAt: &exp})
		note := "Hi Jane,\n<script>alert(1)</script> & see you"
		if _, err := f.svc.QueueMail(ctx, staff, "Sam Staff", f.tok.ID, lt.MailRequest{Note: note}); err != nil {
			t.Fatal(err)
		}
		f.queue.Wait()
		m := srv.Next(t)
		if m.From != "team@example.com" || len(m.To) != 1 || m.To[0] != "jane@acme.test" {
			t.Fatalf("envelope from %q to %v", m.From, m.To)
		}
		p := smtptest.Parse(t, m.Data)
		link := publicURL + "/login?token=" + f.tok.Value
		if !strings.Contains(p.Text, link) {
			t.Errorf("text part lacks the login link %s:\n%s", link, p.Text)
		}
		if !strings.Contains(p.HTML, `href="`+link+`"`) {
			t.Errorf("html part lacks the login link:\n%s", p.HTML)
		}
		for _, want := range []string{"Jane Doe", "Sam Staff", "works once", exp.Format("January 2, 2006 at 15:04 UTC")} {
			if !strings.Contains(p.Text, want) || !strings.Contains(p.HTML, want) {
				t.Errorf("a part lacks %q", want)
			}
		}
		if strings.Contains(p.HTML, "<script>") || !strings.Contains(p.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; see you") {
			t.Errorf("the note is not escaped in the html part:\n%s", p.HTML)
		}
		if !strings.Contains(p.Text, "<script>alert(1)</script> & see you") {
			t.Errorf("the note is not in the text part as written:\n%s", p.Text)
		}
		if p.Subject != "Your login link" {
			t.Errorf("subject %q", p.Subject)
		}
		_, secret, _ := strings.Cut(strings.TrimPrefix(f.tok.Value, "lt_"+f.tok.ID), "_")
		for k, vs := range p.Header {
			for _, v := range vs {
				if strings.Contains(v, f.tok.Value) || strings.Contains(v, secret) {
					t.Errorf("header %s holds the token value: %q", k, v)
				}
			}
		}
		if to := p.Header.Get("To"); !strings.Contains(to, "Jane Doe") || !strings.Contains(to, "<jane@acme.test>") {
			t.Errorf("To %q", to)
		}
		if from := p.Header.Get("From"); !strings.Contains(from, "Shop Team") {
			t.Errorf("From %q", from)
		}
		evs := f.events(t)
		if len(evs) != 2 || evs[0].Type != lt.EventMailQueued || evs[1].Type != lt.EventMailSent {
			t.Fatalf("events %v, want mail.queued then mail.sent", evs)
		}
		if d := details(t, evs[1]); !strings.Contains(fmt.Sprint(d["answer"]), "OK: queued") || d["to"] != "jane@acme.test" {
			t.Errorf("mail.sent details %v, want the server's answer", d)
		}
		if evs[0].Actor != "staff:1" || evs[1].Actor != "staff:1" {
			t.Errorf("actors %q %q", evs[0].Actor, evs[1].Actor)
		}
	})
}

func TestGermanTemplateForAShopWhosePeopleSpeakGerman(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		srv := smtptest.Start(t, "", nil, "", "")
		shop, _, err := s.CreateShop(ctx, staff, lt.NewShop{Name: "Kaufhaus", RedirectURIs: []string{"https://kaufhaus.test/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, s, "smtp://"+srv.Addr+"?starttls=off", lt.NewToken{ShopID: &shop.ID})
		if err := f.svc.SetMailSettings(ctx, staff, &lt.MailSettings{ShopID: &shop.ID, Language: "de"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.QueueMail(ctx, staff, "Sam Staff", f.tok.ID, lt.MailRequest{}); err != nil {
			t.Fatal(err)
		}
		f.queue.Wait()
		m := srv.Next(t)
		p := smtptest.Parse(t, m.Data)
		if p.Subject != "Ihr Anmeldelink für Kaufhaus" {
			t.Errorf("subject %q, want the German one", p.Subject)
		}
		for _, want := range []string{"Guten Tag Jane Doe", "mehrere Anmeldungen", "läuft nicht ab"} {
			if !strings.Contains(p.Text, want) || !strings.Contains(p.HTML, want) {
				t.Errorf("a part lacks %q:\n%s", want, p.Text)
			}
		}
	})
}

func TestThePersonsLanguageComesBeforeTheShops(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		srv := smtptest.Start(t, "", nil, "", "")
		shop, _, err := s.CreateShop(ctx, staff, lt.NewShop{Name: "Kaufhaus", RedirectURIs: []string{"https://kaufhaus.test/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		english := &lt.Customer{Person: lt.Person{FirstName: "Ann", LastName: "Lee", Email: "ann@example.test", Language: "en"}}
		german := &lt.Customer{Person: lt.Person{FirstName: "Jan", LastName: "Berg", Email: "jan@example.test", Language: "de"}}
		for _, c := range []*lt.Customer{english, german} {
			if err := s.CreateCustomer(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		// The shop reads German; its English-reading customer still gets
		// English, and a German reader gets German where nothing is set.
		f := newFixture(t, s, "smtp://"+srv.Addr+"?starttls=off", lt.NewToken{ShopID: &shop.ID, CustomerID: &english.ID})
		if err := f.svc.SetMailSettings(ctx, staff, &lt.MailSettings{ShopID: &shop.ID, Language: "de"}); err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateToken(ctx, staff, lt.NewToken{CustomerID: &german.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id, subject string
		}{{f.tok.ID, "Your login link for Kaufhaus"}, {other.ID, "Ihr Anmeldelink"}} {
			if _, err := f.svc.QueueMail(ctx, staff, "Sam Staff", c.id, lt.MailRequest{}); err != nil {
				t.Fatal(err)
			}
			f.queue.Wait()
			p := smtptest.Parse(t, srv.Next(t).Data)
			if !strings.HasPrefix(p.Subject, c.subject) {
				t.Errorf("token %s: subject %q, want it to start %q", c.id, p.Subject, c.subject)
			}
		}
	})
}

func TestStartTLSRequiredAgainstAServerWithoutItFails(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		srv := smtptest.Start(t, "", nil, "", "")
		f := newFixture(t, s, "smtp://"+srv.Addr+"?starttls=required", lt.NewToken{})
		if _, err := f.svc.QueueMail(ctx, staff, "", f.tok.ID, lt.MailRequest{}); err != nil {
			t.Fatal(err)
		}
		f.queue.Wait()
		evs := f.events(t)
		if len(evs) != 2 || evs[1].Type != lt.EventMailFailed {
			t.Fatalf("events %v, want mail.queued then mail.failed", evs)
		}
		if reason := fmt.Sprint(details(t, evs[1])["reason"]); !strings.Contains(reason, "STARTTLS") {
			t.Errorf("reason %q does not say STARTTLS", reason)
		}
	})
}

func TestStartTLSRequiredSendsOverTLS(t *testing.T) {
	serverTLS, clientTLS := smtptest.TLSPair(t)
	srv := smtptest.Start(t, "", serverTLS, "mailer", "tls-pa55")
	s := sqlstoretest.Open(t, "sqlite")
	f := newFixture(t, s, "smtp://mailer:tls-pa55@"+srv.Addr+"?starttls=required", lt.NewToken{})
	f.svc.Transport.(*mail.SMTP).Config().TLSConfig = clientTLS
	if _, err := f.svc.QueueMail(ctx, staff, "", f.tok.ID, lt.MailRequest{}); err != nil {
		t.Fatal(err)
	}
	f.queue.Wait()
	if evs := f.events(t); len(evs) != 2 || evs[1].Type != lt.EventMailSent {
		t.Fatalf("events %v, want mail.sent (reason %s)", evs, evs[len(evs)-1].Details)
	}
	if m := srv.Next(t); !m.TLS {
		t.Error("the message did not travel over TLS")
	}
}

func TestSMTPSSendsOverImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := smtptest.TLSPair(t)
	srv := smtptest.StartImplicitTLS(t, serverTLS, "mailer", "tls-pa55")
	s := sqlstoretest.Open(t, "sqlite")
	f := newFixture(t, s, "smtps://mailer:tls-pa55@"+srv.Addr, lt.NewToken{})
	f.svc.Transport.(*mail.SMTP).Config().TLSConfig = clientTLS
	if _, err := f.svc.QueueMail(ctx, staff, "", f.tok.ID, lt.MailRequest{}); err != nil {
		t.Fatal(err)
	}
	f.queue.Wait()
	if evs := f.events(t); len(evs) != 2 || evs[1].Type != lt.EventMailSent {
		t.Fatalf("events %v, want mail.sent (reason %s)", evs, evs[len(evs)-1].Details)
	}
	if m := srv.Next(t); !m.TLS {
		t.Error("the message did not travel over TLS")
	}
}

func TestWrongPasswordFailsWithoutShowingIt(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "mailer", "right-password")
	s := sqlstoretest.Open(t, "sqlite")
	f := newFixture(t, s, "smtp://mailer:wrong-pa55word@"+srv.Addr+"?starttls=off", lt.NewToken{})
	if _, err := f.svc.QueueMail(ctx, staff, "", f.tok.ID, lt.MailRequest{}); err != nil {
		t.Fatal(err)
	}
	f.queue.Wait()
	evs := f.events(t)
	if len(evs) != 2 || evs[1].Type != lt.EventMailFailed {
		t.Fatalf("events %v, want mail.failed", evs)
	}
	if reason := string(evs[1].Details); !strings.Contains(reason, "535") || strings.Contains(reason, "wrong-pa55word") {
		t.Errorf("reason %s: want the server's 535, never the password", reason)
	}
}

func TestQueueRefusesWhatCannotBeSent(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	f := newFixture(t, s, "smtp://127.0.0.1:1?starttls=off", lt.NewToken{})
	anon, err := s.CreateToken(ctx, staff, lt.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	off := &mail.Service{Store: s, Queue: f.queue, PublicURL: publicURL}
	cases := []struct {
		name  string
		svc   *mail.Service
		id    string
		req   lt.MailRequest
		code  string
		words string
	}{
		{"mail off", off, f.tok.ID, lt.MailRequest{}, lt.ECONFLICT, "LOGINTOKENS_SMTP_URL"},
		{"anonymous", f.svc, anon.ID, lt.MailRequest{}, lt.ECONFLICT, "no contact or customer with an e-mail"},
		{"unknown", f.svc, "nosuchtoken000", lt.MailRequest{}, lt.ENOTFOUND, ""},
		{"bad to", f.svc, f.tok.ID, lt.MailRequest{To: "not an address"}, lt.EINVALID, "to"},
		{"two-line subject", f.svc, f.tok.ID, lt.MailRequest{Subject: "a\nb"}, lt.EINVALID, "subject"},
	}
	for _, c := range cases {
		_, err := c.svc.QueueMail(ctx, staff, "", c.id, c.req)
		if lt.ErrorCode(err) != c.code || !strings.Contains(lt.ErrorMessage(err), c.words) {
			t.Errorf("%s: %v, want %s naming %q", c.name, err, c.code, c.words)
		}
	}
	if evs := f.events(t); len(evs) != 0 {
		t.Errorf("refusals recorded %v", evs)
	}
	// An anonymous token may go to an address staff give.
	if _, err := f.svc.DraftMail(ctx, anon.ID, lt.MailRequest{To: "guest@example.com"}, "Sam"); err != nil {
		t.Errorf("anonymous token to a given address: %v", err)
	}
}

func TestDraftCutsTheLink(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	f := newFixture(t, s, "smtp://127.0.0.1:1?starttls=off", lt.NewToken{})
	d, err := f.svc.DraftMail(ctx, f.tok.ID, lt.MailRequest{Subject: "Hello from Acme"}, "Sam")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.Text+d.HTML, f.tok.Value) || !strings.Contains(d.Text, "/login?token=lt_"+f.tok.ID+"_…") {
		t.Errorf("draft shows the value or lacks the cut link:\n%s", d.Text)
	}
	if d.Subject != "Hello from Acme" || d.To != "jane@acme.test" || d.Name != "Jane Doe" {
		t.Errorf("draft %+v", d)
	}
}

func TestTemplatesAreChecked(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	f := newFixture(t, s, "", lt.NewToken{})
	bad := []struct {
		tmpl  lt.MailTemplate
		field string
	}{
		{lt.MailTemplate{Subject: "Link {{.LoginURL}}"}, "en.subject"},
		{lt.MailTemplate{Text: "no link here"}, "en.text"},
		{lt.MailTemplate{HTML: "<p>{{.Nope}}</p>"}, "en.html"},
		{lt.MailTemplate{Text: "{{range 100000000}}x{{end}}{{.LoginURL}}"}, "en.text"},
		{lt.MailTemplate{Text: "{{define \"x\"}}{{end}}{{.LoginURL}}"}, "en.text"},
		{lt.MailTemplate{Subject: "{{.Name"}, "en.subject"},
	}
	for _, b := range bad {
		err := f.svc.SetMailSettings(ctx, staff, &lt.MailSettings{Templates: map[string]lt.MailTemplate{"en": b.tmpl}})
		if lt.ErrorCode(err) != lt.EINVALID || !strings.Contains(lt.ErrorMessage(err), b.field) {
			t.Errorf("%+v: %v, want INVALID_INPUT naming %s", b.tmpl, err, b.field)
		}
	}
	good := lt.MailTemplate{Subject: "Sign in, {{.Name}}", Text: "Here: {{.LoginURL}}"}
	if err := f.svc.SetMailSettings(ctx, staff, &lt.MailSettings{Language: "de", Templates: map[string]lt.MailTemplate{"en": good}}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.MailSettings(ctx, nil)
	if err != nil || got.Language != "de" || got.Templates["en"] != good {
		t.Fatalf("stored %+v, %v", got, err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	good := []struct {
		url, host, tls, user string
		port                 int
	}{
		{"smtp://u:p@mail.example.com:2525?starttls=opportunistic", "mail.example.com", mail.StartTLSOpportunistic, "u", 2525},
		{"smtp://mail.example.com", "mail.example.com", mail.StartTLSRequired, "", 587},
		{"smtps://u:p%40ss@mail.example.com", "mail.example.com", mail.ImplicitTLS, "u", 465},
		{"smtp://127.0.0.1:25?starttls=off", "127.0.0.1", mail.StartTLSOff, "", 25},
	}
	for _, g := range good {
		c, err := mail.ParseSMTPURL(g.url)
		if err != nil || c.Host != g.host || c.TLS != g.tls || c.Username != g.user || c.Port != g.port {
			t.Errorf("%s: %+v, %v", g.url, c, err)
		}
		if c != nil && strings.Contains(c.String(), "p%40ss") {
			t.Errorf("String shows the password: %s", c)
		}
	}
	for _, bad := range []string{
		"http://u:hunter2@host", "smtp://u:hunter2@host:99999", "smtp://u:hunter2@host?starttls=maybe",
		"smtps://u:hunter2@host?starttls=required", "smtp://u:hunter2@host:xx", "smtp://u:hunter2@/", "smtp://u:hunter2@host?tls=1",
		"smtp://u:hunter2@host/path", "smtp://:hunter2@host", "smtp://u:hunter2@ho st", "\x7fsmtp://u:hunter2@host",
	} {
		_, err := mail.ParseSMTPURL(bad)
		if err == nil {
			t.Errorf("%q: no error", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
	if a, err := mail.ParseFrom(`"Shop Team" <team@example.com>`); err != nil || a.Name != "Shop Team" {
		t.Errorf("from: %v %v", a, err)
	}
	if _, err := mail.ParseFrom("Shop Team"); err == nil {
		t.Error("from without an address: no error")
	}
}
