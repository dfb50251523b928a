package mail_test

import (
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/smtptest"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/outbox"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestMailQueuedInTheOutboxIsDeliveredOnceTheServerIsBack(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		// A port where no server listens yet.
		down := smtptest.Start(t, "", nil, "", "")
		addr := down.Addr
		down.Stop()

		f := newFixture(t, s, "smtp://"+addr+"?starttls=off", lt.NewToken{})
		f.svc.Queue = &mail.OutboxQueue{Outbox: s}
		// Each failed attempt is due again at once.
		w := &outbox.Worker{Store: s, Handlers: map[string]lt.OutboxHandler{lt.OutboxMail: f.svc.Handler},
			Retry: func(now time.Time, attempt int) *time.Time { return &now }}

		if _, err := f.svc.QueueMail(ctx, staff, "Sam", f.tok.ID, lt.MailRequest{}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("first attempt: %d claimed, %v", n, err)
		}
		evs := f.events(t)
		if len(evs) != 2 || evs[0].Type != lt.EventMailQueued || evs[1].Type != lt.EventMailFailed || details(t, evs[1])["retry"] != true {
			t.Fatalf("after the failed attempt: %s, want mail.queued then mail.failed to be retried", evs[len(evs)-1].Details)
		}

		up := smtptest.Start(t, addr, nil, "", "")
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("second attempt: %d claimed, %v", n, err)
		}
		if n, _ := w.RunOnce(ctx); n != 0 {
			t.Errorf("a delivered mail was claimed again")
		}
		p := smtptest.Parse(t, up.Next(t).Data)
		if !strings.Contains(p.Text, f.tok.Value) || up.Count() != 0 {
			t.Errorf("the mail lacks the link, or came more than once")
		}
		evs = f.events(t)
		if last := evs[len(evs)-1]; last.Type != lt.EventMailSent || details(t, last)["attempt"] != float64(2) {
			t.Errorf("events %v, want mail.sent on the second attempt", evs)
		}
	})
}

func TestAMailRefusedForGoodIsNotTriedAgain(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	srv := smtptest.Start(t, "", nil, "", "")
	f := newFixture(t, s, "smtp://"+srv.Addr+"?starttls=off", lt.NewToken{})
	f.svc.Queue = &mail.OutboxQueue{Outbox: s}
	w := &outbox.Worker{Store: s, Handlers: map[string]lt.OutboxHandler{lt.OutboxMail: f.svc.Handler},
		Retry: func(now time.Time, attempt int) *time.Time { return &now }}
	if _, err := f.svc.QueueMail(ctx, staff, "Sam", f.tok.ID, lt.MailRequest{}); err != nil {
		t.Fatal(err)
	}
	// Deleted before it is sent: nothing to send, ever.
	if err := s.DeleteToken(ctx, staff, f.tok.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.RunOnce(ctx); n != 1 {
		t.Fatal("the mail was not attempted")
	}
	if n, _ := w.RunOnce(ctx); n != 0 {
		t.Error("a mail refused for good was tried again")
	}
	evs := f.events(t)
	if last := evs[len(evs)-1]; last.Type != lt.EventMailFailed || !strings.Contains(string(last.Details), "deleted") {
		t.Errorf("events %v, want mail.failed saying the token was deleted", evs)
	}
	if srv.Count() != 0 {
		t.Error("a mail was sent for a deleted token")
	}
}
