package logintokens

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Audit events of sending a token's login link by e-mail: queued when
// staff ask for it, then sent (with the mail server's answer) or failed
// (with the reason).
const (
	EventMailQueued = "mail.queued"
	EventMailSent   = "mail.sent"
	EventMailFailed = "mail.failed"
)

// Limits on what staff may put into a mail.
const (
	MaxMailSubjectLen = 200
	MaxMailNoteLen    = 2000
	MaxMailTemplate   = 20000
	MaxBulkSendIDs    = 100
)

// Languages a mail can be written in; the first is the default.
var MailLanguages = []string{"en", "de"}

// ValidMailLanguage reports whether lang is one of MailLanguages.
func ValidMailLanguage(lang string) bool {
	for _, l := range MailLanguages {
		if l == lang {
			return true
		}
	}
	return false
}

// MailRequest is what staff may adjust when they send a token's login
// link: every field is optional ("" takes the person's address, the
// template's subject, no note).
type MailRequest struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Note    string `json:"note"`
}

// Normalize trims the fields.
func (r *MailRequest) Normalize() {
	r.To = strings.TrimSpace(r.To)
	r.Subject = strings.TrimSpace(r.Subject)
	r.Note = strings.TrimSpace(strings.ReplaceAll(r.Note, "\r\n", "\n"))
}

// Validate checks the request after Normalize: an address, a one-line
// subject, a bounded note.
func (r *MailRequest) Validate() error {
	var v Validation
	if r.To != "" {
		if prob := StoredTextProblem(r.To); prob != "" {
			v.Add("to", "%s", prob)
		} else if a, err := mail.ParseAddress(r.To); err != nil || a.Address != r.To {
			v.Add("to", "is not an e-mail address (give the address alone, such as jane@example.com)")
		}
	}
	switch {
	case strings.ContainsAny(r.Subject, "\r\n"):
		v.Add("subject", "must be one line")
	case utf8.RuneCountInString(r.Subject) > MaxMailSubjectLen:
		v.Add("subject", "is longer than %d characters", MaxMailSubjectLen)
	case StoredTextProblem(r.Subject) != "":
		v.Add("subject", "%s", StoredTextProblem(r.Subject))
	}
	switch {
	case utf8.RuneCountInString(r.Note) > MaxMailNoteLen:
		v.Add("note", "is longer than %d characters", MaxMailNoteLen)
	case StoredTextProblem(strings.ReplaceAll(r.Note, "\n", " ")) != "":
		v.Add("note", "%s", StoredTextProblem(strings.ReplaceAll(r.Note, "\n", " ")))
	}
	return v.Err()
}

// MailJob is a queued mail: everything needed to write and send it later,
// but never the token's value, which the sender reads when it sends (so a
// queue holds no secret, and a token regenerated meanwhile sends its new
// link).
type MailJob struct {
	TokenID string `json:"tokenId"`
	To      string `json:"to"`
	// Name is the recipient's name ("" for an address staff typed in).
	Name string `json:"name,omitempty"`
	// Subject is the subject staff wrote; "" takes the template's.
	Subject string `json:"subject,omitempty"`
	Note    string `json:"note,omitempty"`
	// Sender is the staff member's (or API key's) name shown in the mail.
	Sender   string `json:"sender"`
	Language string `json:"language"`
	// Actor is who asked for it ("staff:1"), for the audit trail.
	Actor    string    `json:"actor"`
	QueuedAt time.Time `json:"queuedAt"`
}

// MailDraft is a mail as staff see it before it is sent: the login link in
// its bodies is cut to the token id, as logs show a value.
type MailDraft struct {
	TokenID  string
	To       string
	Name     string
	Subject  string
	Language string
	Text     string
	HTML     string
}

// MailTemplate is one language's subject and bodies; an empty field takes
// the default (the shop's, then the global one, then the built-in one).
type MailTemplate struct {
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
}

// MailSettings are the templates of the installation (ShopID nil) or of
// one shop, by language, and the language of a person whose own is not
// known ("" takes the global one, then English).
type MailSettings struct {
	ShopID    *int64                  `json:"-"`
	Language  string                  `json:"language,omitempty"`
	Templates map[string]MailTemplate `json:"templates,omitempty"`
}

// MailService sends login links by e-mail.
type MailService interface {
	// MailOff says why sending is off ("" when it is on): the reason
	// names what to configure.
	MailOff() string
	// DraftMail checks that the token's link can be sent with req and
	// returns the mail as it will be written, its link cut.
	DraftMail(ctx context.Context, tokenID string, req MailRequest, sender string) (*MailDraft, error)
	// QueueMail queues the token's login link to its person (or req.To),
	// audited as mail.queued on the token; sending and its outcome
	// follow later.
	QueueMail(ctx context.Context, actor Actor, sender, tokenID string, req MailRequest) (*MailDraft, error)
	// MailSettings returns the stored templates of the installation
	// (shopID nil) or of a shop.
	MailSettings(ctx context.Context, shopID *int64) (*MailSettings, error)
	// SetMailSettings checks and stores templates, audited as actor.
	SetMailSettings(ctx context.Context, actor Actor, set *MailSettings) error
	// DefaultMailTemplate is the built-in template of a language.
	DefaultMailTemplate(lang string) MailTemplate
}

// TokenEventRecorder records an event on a token's audit trail that no
// change of the token carries (a mail sent or failed).
type TokenEventRecorder interface {
	AuditTokenEvent(ctx context.Context, actor Actor, typ, tokenID string, details map[string]any) error
}
