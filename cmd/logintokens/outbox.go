package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/outbox"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/webhook"
)

// outboxHandlers are the senders of the outbox's kinds of message.
func outboxHandlers(store *sqlstore.Store, mailer *mail.Service) map[string]lt.OutboxHandler {
	sender := &webhook.Sender{Targets: store, Client: webhook.NewClient()}
	return map[string]lt.OutboxHandler{lt.OutboxWebhook: sender.Deliver, lt.OutboxMail: mailer.Handler}
}

// startOutbox runs the outbox's worker until ctx ends; wait returns once
// its attempts under way are recorded. Every instance runs one: on
// PostgreSQL they share the work, each message leased to one at a time.
func startOutbox(ctx context.Context, store *sqlstore.Store, mailer *mail.Service, log *slog.Logger) (wait func()) {
	w := &outbox.Worker{
		Store:          store,
		Handlers:       outboxHandlers(store, mailer),
		Wake:           store.OutboxSignal(),
		HandlerTimeout: max(webhook.Timeout, mail.SendTimeout) + 2*time.Second,
		Log:            log,
	}
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	return wg.Wait
}
