package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/smtptest"
	"github.com/logintokens/logintokens/outbox"
)

func TestTokenCreateSendMailsTheLoginLink(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		srv := smtptest.Start(t, "", nil, "mailer", "pa55-word")
		ctx := context.Background()
		s := db.open(t)
		jane := &lt.Customer{Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@example.test"}}
		if err := s.CreateCustomer(ctx, jane); err != nil {
			t.Fatal(err)
		}
		env := db.withEnv("LOGINTOKENS_SMTP_URL", "smtp://mailer:pa55-word@"+srv.Addr+"?starttls=off",
			"LOGINTOKENS_MAIL_FROM", "Shop Team <team@example.com>", "LOGINTOKENS_PUBLIC_URL", "https://login.example.test")
		r := mustRun(t, env, "", "token", "create", "--customer", strconv.FormatInt(jane.ID, 10), "--send")
		lines := stdoutLines(r)
		if len(lines) != 2 || !strings.Contains(r.stderr, "queued the login link for jane@example.test") {
			t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
		}
		if srv.Count() != 0 {
			t.Fatal("the command sent the mail itself; serve's worker sends it")
		}
		// serve's outbox worker, with the same settings and server key.
		s = db.open(t)
		cfg, err := addConfigFlags(newFlagSet("serve")).resolve(mapEnv(env))
		if err != nil {
			t.Fatal(err)
		}
		w := &outbox.Worker{Store: s, Handlers: outboxHandlers(s, newMail(cfg, s, "https://login.example.test", nil))}
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("the worker sent %d messages: %v", n, err)
		}
		p := smtptest.Parse(t, srv.Next(t).Data)
		if !strings.Contains(p.Text, lines[1]) || !strings.Contains(p.HTML, lines[1]) {
			t.Errorf("the mail lacks the login link %s:\n%s", lines[1], p.Text)
		}
	})
}

func TestTokenCreateSendRefusesWhatCannotBeMailed(t *testing.T) {
	db := newSQLiteDB(t)
	on := db.withEnv("LOGINTOKENS_SMTP_URL", "smtp://127.0.0.1:1?starttls=off", "LOGINTOKENS_MAIL_FROM", "team@example.com")
	wantExit(t, runCLI(t, on, "", "token", "create", "--send"), 2, "--send", "--contact or --customer")
	wantExit(t, runCLI(t, db.env, "", "token", "create", "--customer", "1", "--send"), 2, "--send", "LOGINTOKENS_SMTP_URL", "LOGINTOKENS_MAIL_FROM")
	wantExit(t, runCLI(t, db.withEnv("LOGINTOKENS_SMTP_URL", "smtp://u:hunter2@127.0.0.1:1"), "", "token", "create"), 2, "LOGINTOKENS_MAIL_FROM")
	r := runCLI(t, db.withEnv("LOGINTOKENS_SMTP_URL", "smtp://u:hunter2@127.0.0.1:99999", "LOGINTOKENS_MAIL_FROM", "team@example.com"), "", "token", "create")
	wantExit(t, r, 2, "LOGINTOKENS_SMTP_URL", "port")
	if strings.Contains(r.stderr, "hunter2") {
		t.Errorf("the message shows the password: %s", r.stderr)
	}
	if tokens, _, err := db.open(t).FindTokens(context.Background(), lt.TokenFilter{Page: 1, PageSize: 10}); err != nil || len(tokens) != 0 {
		t.Errorf("refused sends made tokens: %d, %v", len(tokens), err)
	}
}
