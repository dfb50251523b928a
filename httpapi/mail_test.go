package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/smtptest"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/sqlstore"
)

// withMail sends the API's mail through a test SMTP server.
func withMail(t *testing.T, srv *smtptest.Server, queue **mail.LocalQueue) apiOption {
	return func(cfg *httpapi.Config, _ *http.Server) {
		st := cfg.Store.(*sqlstore.Store)
		smtpCfg, err := mail.ParseSMTPURL("smtp://" + srv.Addr + "?starttls=off")
		if err != nil {
			t.Fatal(err)
		}
		smtpCfg.From, _ = mail.ParseFrom("Shop Team <team@example.com>")
		q := &mail.LocalQueue{Events: st}
		svc := &mail.Service{Store: st, Queue: q, Transport: mail.NewSMTP(smtpCfg), PublicURL: testPublicURL, FromName: "Shop Team"}
		q.Deliver = svc.Deliver
		cfg.Mail = svc
		*queue = q
	}
}

// mailFixture makes a contact with an e-mail address and a token for it,
// and an anonymous token.
func mailFixture(t *testing.T, a *testAPI) (contactTok, anonTok *lt.IssuedToken) {
	t.Helper()
	co := &lt.Company{Name: "Acme"}
	if err := a.Store.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := a.Store.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	actor := lt.Actor{Name: "staff:1"}
	var err error
	if contactTok, err = a.Store.CreateToken(ctx, actor, lt.NewToken{ContactID: &c.ID}); err != nil {
		t.Fatal(err)
	}
	if anonTok, err = a.Store.CreateToken(ctx, actor, lt.NewToken{}); err != nil {
		t.Fatal(err)
	}
	return contactTok, anonTok
}

func TestSendQueuesTheLoginLinkAndTheOutcomeIsInTheEvents(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	a := newAPI(t, "sqlite", 0, withMail(t, srv, &queue))
	tok, _ := mailFixture(t, a)

	var got map[string]any
	a.json("configuration:editor", "POST", "/api/v1/login-tokens/"+tok.ID+"/send",
		map[string]any{"subject": "Your access to Acme", "note": "See <you>"}, http.StatusAccepted, &got)
	if got["status"] != "queued" || got["to"] != "jane@acme.test" || got["subject"] != "Your access to Acme" || got["language"] != "en" {
		t.Fatalf("answer %v", got)
	}
	queue.Wait()
	p := smtptest.Parse(t, srv.Next(t).Data)
	if p.Subject != "Your access to Acme" || !strings.Contains(p.Text, testPublicURL+"/login?token="+tok.Value) ||
		!strings.Contains(p.HTML, "See &lt;you&gt;") || !strings.Contains(p.Text, "configuration:editor") {
		t.Errorf("message: subject %q\n%s", p.Subject, p.Text)
	}

	var events struct{ Items []lt.Event }
	a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+tok.ID+"/events", nil, http.StatusOK, &events)
	var types []string
	for _, e := range events.Items {
		types = append(types, e.Type)
	}
	if len(types) < 3 || types[0] != lt.EventMailSent || types[2] != lt.EventMailQueued {
		t.Fatalf("events newest first %v, want mail.sent, token.revealed (the sender reads the value), mail.queued", types)
	}
	var sent map[string]any
	if err := json.Unmarshal(events.Items[0].Details, &sent); err != nil || !strings.Contains(sent["answer"].(string), "OK") {
		t.Errorf("mail.sent details %s", events.Items[0].Details)
	}
}

func TestBulkSendAnswersEachID(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	a := newAPI(t, "sqlite", 0, withMail(t, srv, &queue))
	tok, anon := mailFixture(t, a)

	var got struct {
		Queued  int
		Results []map[string]string
	}
	a.json("configuration:editor", "POST", "/api/v1/login-tokens/send",
		map[string]any{"ids": []string{tok.ID, anon.ID, "nosuchtoken000"}}, http.StatusAccepted, &got)
	queue.Wait()
	if got.Queued != 1 || len(got.Results) != 3 {
		t.Fatalf("answer %+v", got)
	}
	want := []struct{ id, status, code string }{{tok.ID, "queued", ""}, {anon.ID, "refused", "CONFLICT"}, {"nosuchtoken000", "refused", "NOT_FOUND"}}
	for i, w := range want {
		r := got.Results[i]
		if r["id"] != w.id || r["status"] != w.status || r["code"] != w.code {
			t.Errorf("result %d: %v, want %+v", i, r, w)
		}
	}
	if srv.Count() != 1 {
		t.Errorf("%d messages sent, want 1", srv.Count())
	}
}

func TestSendRefusals(t *testing.T) {
	srv := smtptest.Start(t, "", nil, "", "")
	var queue *mail.LocalQueue
	a := newAPI(t, "sqlite", 0, withMail(t, srv, &queue))
	tok, anon := mailFixture(t, a)
	off := newAPI(t, "sqlite", 0)
	offTok, _ := mailFixture(t, off)

	p := off.problem("configuration:editor", "POST", "/api/v1/login-tokens/"+offTok.ID+"/send", map[string]any{}, http.StatusConflict, lt.ECONFLICT)
	if !strings.Contains(p.Detail, "LOGINTOKENS_SMTP_URL") {
		t.Errorf("mail off: %q does not say what to set", p.Detail)
	}
	off.problem("configuration:editor", "POST", "/api/v1/login-tokens/send", map[string]any{"ids": []string{offTok.ID}}, http.StatusConflict, lt.ECONFLICT)

	p = a.problem("configuration:editor", "POST", "/api/v1/login-tokens/"+anon.ID+"/send", map[string]any{}, http.StatusConflict, lt.ECONFLICT)
	if !strings.Contains(p.Detail, "e-mail address") {
		t.Errorf("anonymous: %q", p.Detail)
	}
	a.problem("configuration:editor", "POST", "/api/v1/login-tokens/nosuchtoken000/send", map[string]any{}, http.StatusNotFound, lt.ENOTFOUND)
	for _, c := range []struct {
		path  string
		body  any
		field string
	}{
		{"/api/v1/login-tokens/" + tok.ID + "/send", map[string]any{"to": "not an address"}, "to"},
		{"/api/v1/login-tokens/" + tok.ID + "/send", map[string]any{"subject": "two\nlines"}, "subject"},
		{"/api/v1/login-tokens/" + tok.ID + "/send", map[string]any{"cc": "x@example.com"}, "cc"},
		{"/api/v1/login-tokens/" + tok.Value + "/send", map[string]any{}, "id"},
		{"/api/v1/login-tokens/" + tok.ID + "/send", nil, "body"},
		{"/api/v1/login-tokens/send", map[string]any{}, "ids"},
		{"/api/v1/login-tokens/send", map[string]any{"ids": []string{tok.Value}}, "ids"},
		{"/api/v1/login-tokens/send", map[string]any{"ids": []string{tok.ID}, "note": strings.Repeat("x", lt.MaxMailNoteLen+1)}, "note"},
	} {
		p := a.problem("configuration:editor", "POST", c.path, c.body, http.StatusBadRequest, lt.EINVALID)
		if len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s %v: errors %+v, want the field %s", c.path, c.body, p.Errors, c.field)
		}
	}
	queue.Wait()
	if srv.Count() != 0 {
		t.Errorf("refusals sent %d messages", srv.Count())
	}
}
