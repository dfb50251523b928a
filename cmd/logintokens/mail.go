package main

import (
	"log/slog"

	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/sqlstore"
)

// newMail is the mail service of cfg, sending through its SMTP server,
// or off (mail.OffReason) without one. Mail is queued in the store's
// outbox, whose worker (serve's) sends it with svc.Handler.
func newMail(cfg *config, store *sqlstore.Store, publicURL string, log *slog.Logger) *mail.Service {
	svc := &mail.Service{Store: store, Queue: &mail.OutboxQueue{Outbox: store}, PublicURL: publicURL, Logger: log}
	if cfg.SMTP != nil {
		svc.Transport = mail.NewSMTP(cfg.SMTP)
		svc.FromName = cfg.MailFrom.Name
	}
	return svc
}

// logMailSetup says whether login links can be mailed, and through
// which server (never its password).
func logMailSetup(log *slog.Logger, cfg *config) {
	if cfg.SMTP == nil {
		log.Info("sending login links by e-mail is off: LOGINTOKENS_SMTP_URL and LOGINTOKENS_MAIL_FROM are not set")
		return
	}
	log.Info("login links are mailed", "smtp", cfg.SMTP.String(), "from", cfg.MailFrom.String())
}
