package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// Store is what the service reads and writes; sqlstore.Store implements
// it.
type Store interface {
	FindTokenByID(ctx context.Context, id string) (*lt.LoginToken, error)
	RevealToken(ctx context.Context, actor lt.Actor, id string, purpose string) (string, error)
	FindShopByID(ctx context.Context, id int64) (*lt.Shop, error)
	FindContactByID(ctx context.Context, id int64) (*lt.Contact, error)
	FindCustomerByID(ctx context.Context, id int64) (*lt.Customer, error)
	Setting(ctx context.Context, name string) (value string, ok bool, err error)
	SetSetting(ctx context.Context, name, value string) error
	lt.AuditService
	lt.TokenEventRecorder
}

// Queue keeps mail jobs until they are sent. Enqueue stores the job and
// records mail.queued on its token with details, in one transaction
// where the queue is durable.
type Queue interface {
	Enqueue(ctx context.Context, actor lt.Actor, job lt.MailJob, details map[string]any) error
}

// Service writes, queues and sends login links by e-mail.
type Service struct {
	Store Store
	Queue Queue
	// Transport sends; nil turns sending off, with Off as the reason.
	Transport Transport
	Off       string
	// From is the sender's address, whose display name signs a mail
	// that names no staff member.
	FromName string
	// PublicURL builds the login link.
	PublicURL string
	Now       func() time.Time
	Logger    *slog.Logger
}

var _ lt.MailService = (*Service)(nil)

// OffReason is why sending is off when neither LOGINTOKENS_SMTP_URL nor
// LOGINTOKENS_MAIL_FROM is set.
const OffReason = "sending e-mail is off: set LOGINTOKENS_SMTP_URL and LOGINTOKENS_MAIL_FROM (docs/mail.md)"

// MailOff says why sending is off, "" when it is on.
func (s *Service) MailOff() string {
	if s == nil {
		return OffReason
	}
	if s.Transport == nil {
		if s.Off == "" {
			return OffReason
		}
		return s.Off
	}
	return ""
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// DefaultMailTemplate is the built-in template of lang.
func (s *Service) DefaultMailTemplate(lang string) lt.MailTemplate { return DefaultTemplate(lang) }

// plan is a checked request: the token, its recipient and the template.
type plan struct {
	tok      *lt.LoginToken
	to, name string
	lang     string
	tmpl     lt.MailTemplate
	data     Data
	subject  string // staff's, or ""
}

// prepare checks that tok's login link can be sent with req now.
func (s *Service) prepare(ctx context.Context, tokenID string, req lt.MailRequest, sender string) (*plan, error) {
	if off := s.MailOff(); off != "" {
		return nil, lt.Errorf(lt.ECONFLICT, "%s", off)
	}
	req.Normalize()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	tok, err := s.Store.FindTokenByID(ctx, tokenID)
	if err != nil {
		return nil, err
	}
	if err := sendable(tok, s.now()); err != nil {
		return nil, err
	}
	p := &plan{tok: tok, to: req.To, subject: req.Subject}
	if p.to == "" {
		if tok.User == nil || tok.User.Email == "" {
			return nil, lt.Errorf(lt.ECONFLICT, "login token %s has no contact or customer with an e-mail address: give the recipient (to)", tok.ID)
		}
		p.to = tok.User.Email
	}
	if tok.User != nil && strings.EqualFold(p.to, tok.User.Email) {
		p.name = tok.User.Name
	}
	if sender == "" {
		sender = s.FromName
	}
	if err := s.choose(ctx, p); err != nil {
		return nil, err
	}
	p.data = Data{Name: p.name, Sender: sender, ExpiresAt: formatExpiry(tok.ExpiresAt, p.lang), OneTime: tok.OneTimeUse, Note: req.Note}
	if tok.User != nil && tok.User.Company != nil {
		p.data.Company = tok.User.Company.Name
	}
	if tok.ShopID != nil {
		if shop, err := s.Store.FindShopByID(ctx, *tok.ShopID); err == nil {
			p.data.Shop = shop.Name
		} else if lt.ErrorCode(err) != lt.ENOTFOUND {
			return nil, err
		}
	}
	return p, nil
}

// sendable refuses a token whose link would sign nobody in, or that may
// not leave the backoffice (made to impersonate).
func sendable(tok *lt.LoginToken, now time.Time) error {
	if err := tok.Changeable(); err != nil {
		return err
	}
	switch tok.StatusAt(now) {
	case lt.StatusUsed:
		return lt.Errorf(lt.ECONFLICT, "login token %s has been used as many times as it allows (maxUses): its link signs nobody in", tok.ID)
	case lt.StatusExpired:
		return lt.Errorf(lt.ECONFLICT, "login token %s has expired: its link signs nobody in (give it a later expiry first)", tok.ID)
	}
	return nil
}

// choose picks the language and the template of p: the shop's settings,
// then the installation's, then the built-in template, field by field.
// The language is the person's when the directory knows it, else the
// shop's, else the installation's, else English.
func (s *Service) choose(ctx context.Context, p *plan) error {
	global, err := s.MailSettings(ctx, nil)
	if err != nil {
		return err
	}
	shop := &lt.MailSettings{}
	if p.tok.ShopID != nil {
		if shop, err = s.MailSettings(ctx, p.tok.ShopID); err != nil {
			return err
		}
	}
	person, err := s.personLanguage(ctx, p.tok)
	if err != nil {
		return err
	}
	p.lang = "en"
	for _, l := range []string{person, shop.Language, global.Language} {
		if lt.ValidMailLanguage(l) {
			p.lang = l
			break
		}
	}
	def := DefaultTemplate(p.lang)
	pick := func(f func(lt.MailTemplate) string) string {
		for _, t := range []lt.MailTemplate{shop.Templates[p.lang], global.Templates[p.lang], def} {
			if v := f(t); v != "" {
				return v
			}
		}
		return ""
	}
	p.tmpl = lt.MailTemplate{
		Subject: pick(func(t lt.MailTemplate) string { return t.Subject }),
		Text:    pick(func(t lt.MailTemplate) string { return t.Text }),
		HTML:    pick(func(t lt.MailTemplate) string { return t.HTML }),
	}
	return nil
}

// personLanguage is the language of the token's contact or customer, ""
// when the token has none, it is not known or the person is gone.
func (s *Service) personLanguage(ctx context.Context, tok *lt.LoginToken) (string, error) {
	if tok.User == nil {
		return "", nil
	}
	var (
		p   *lt.Person
		err error
	)
	switch tok.User.Type {
	case lt.UserContact:
		var c *lt.Contact
		if c, err = s.Store.FindContactByID(ctx, tok.User.ID); err == nil {
			p = &c.Person
		}
	case lt.UserCustomer:
		var c *lt.Customer
		if c, err = s.Store.FindCustomerByID(ctx, tok.User.ID); err == nil {
			p = &c.Person
		}
	}
	switch {
	case lt.ErrorCode(err) == lt.ENOTFOUND:
		return "", nil
	case err != nil:
		return "", err
	case p == nil:
		return "", nil
	}
	return p.Language, nil
}

// write renders p with the login link of value.
func (s *Service) write(p *plan, link string) (*lt.MailDraft, error) {
	d := p.data
	d.LoginURL = link
	r, err := render(p.tmpl, d)
	if err != nil {
		return nil, lt.Errorf(lt.ECONFLICT, "the mail template cannot be written: %v; correct it under Settings > Mail", err)
	}
	if p.subject != "" {
		r.Subject = p.subject
	}
	return &lt.MailDraft{TokenID: p.tok.ID, To: p.to, Name: p.name, Subject: r.Subject, Language: p.lang, Text: r.Text, HTML: r.HTML}, nil
}

// cutLink is the login link as a draft shows it: the value cut to its
// id, as logs show it.
func (s *Service) cutLink(tokenID string) string {
	return strings.TrimRight(s.PublicURL, "/") + string(web.Login) + "?token=" + lt.TokenPrefix + "_" + tokenID + "_…"
}

// DraftMail returns the mail as it will be written, its link cut.
func (s *Service) DraftMail(ctx context.Context, tokenID string, req lt.MailRequest, sender string) (*lt.MailDraft, error) {
	p, err := s.prepare(ctx, tokenID, req, sender)
	if err != nil {
		return nil, err
	}
	return s.write(p, s.cutLink(tokenID))
}

// QueueMail queues the token's login link, audited as mail.queued.
func (s *Service) QueueMail(ctx context.Context, actor lt.Actor, sender, tokenID string, req lt.MailRequest) (*lt.MailDraft, error) {
	p, err := s.prepare(ctx, tokenID, req, sender)
	if err != nil {
		return nil, err
	}
	draft, err := s.write(p, s.cutLink(tokenID))
	if err != nil {
		return nil, err
	}
	req.Normalize()
	job := lt.MailJob{TokenID: tokenID, To: p.to, Name: p.name, Subject: p.subject, Note: req.Note,
		Sender: p.data.Sender, Language: p.lang, Actor: actor.Name, QueuedAt: s.now().UTC()}
	details := map[string]any{"to": p.to, "subject": draft.Subject, "language": p.lang}
	if req.Note != "" {
		details["note"] = true
	}
	if err := s.Queue.Enqueue(ctx, actor, job, details); err != nil {
		return nil, err
	}
	return draft, nil
}

// Deliver writes and sends a queued mail: the handler of the queue. It
// records mail.sent with the server's answer, or mail.failed with the
// reason on the first failed attempt, on the last one (final) and on a
// refusal that retrying cannot change; such a refusal is answered as a
// *PermanentError, which the queue does not try again.
func (s *Service) Deliver(ctx context.Context, job lt.MailJob, attempt int, final bool) (string, error) {
	actor := lt.Actor{Name: job.Actor}
	answer, err := s.deliver(ctx, actor, job)
	if err == nil {
		if rerr := s.Store.AuditTokenEvent(ctx, actor, lt.EventMailSent, job.TokenID,
			map[string]any{"to": job.To, "answer": answer, "attempt": attempt}); rerr != nil {
			s.log().Error("mail: record sent", "token", job.TokenID, "err", rerr)
		}
		return answer, nil
	}
	permanent := IsPermanent(err)
	if attempt <= 1 || final || permanent {
		details := map[string]any{"to": job.To, "reason": err.Error(), "attempt": attempt, "retry": !final && !permanent}
		if rerr := s.Store.AuditTokenEvent(ctx, actor, lt.EventMailFailed, job.TokenID, details); rerr != nil {
			s.log().Error("mail: record failure", "token", job.TokenID, "err", rerr)
		}
	}
	return "", err
}

func (s *Service) deliver(ctx context.Context, actor lt.Actor, job lt.MailJob) (string, error) {
	if s.Transport == nil {
		return "", &PermanentError{errors.New(s.MailOff())}
	}
	p, err := s.prepare(ctx, job.TokenID, lt.MailRequest{To: job.To, Subject: job.Subject, Note: job.Note}, job.Sender)
	switch lt.ErrorCode(err) {
	case "":
	case lt.ENOTFOUND:
		return "", &PermanentError{fmt.Errorf("login token %s was deleted before its mail was sent", job.TokenID)}
	case lt.ECONFLICT, lt.EINVALID:
		return "", &PermanentError{errors.New(lt.ErrorMessage(err))}
	default:
		return "", err
	}
	p.name = job.Name
	p.data.Name = job.Name
	value, err := s.Store.RevealToken(ctx, actor, job.TokenID, "mail")
	if err != nil {
		return "", err
	}
	m, err := s.write(p, web.Login.Link(strings.TrimRight(s.PublicURL, "/"), value))
	if err != nil {
		return "", &PermanentError{err}
	}
	return s.Transport.Send(ctx, &Message{To: m.To, ToName: m.Name, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
}

// settingName is where the templates of the installation (shopID nil) or
// of a shop are stored.
func settingName(shopID *int64) string {
	if shopID == nil {
		return "mail.templates"
	}
	return "mail.templates.shop." + strconv.FormatInt(*shopID, 10)
}

// MailSettings returns the stored templates of the installation or of a
// shop (none stored: an empty set).
func (s *Service) MailSettings(ctx context.Context, shopID *int64) (*lt.MailSettings, error) {
	set := &lt.MailSettings{ShopID: shopID}
	v, ok, err := s.Store.Setting(ctx, settingName(shopID))
	if err != nil || !ok {
		return set, err
	}
	if err := json.Unmarshal([]byte(v), set); err != nil {
		return nil, fmt.Errorf("the stored setting %s is damaged: %w", settingName(shopID), err)
	}
	set.ShopID = shopID
	return set, nil
}

// SetMailSettings checks and stores templates: each must parse, run on
// every placeholder and hold the link; a field equal to the built-in
// template is stored empty, so that it follows later defaults.
func (s *Service) SetMailSettings(ctx context.Context, actor lt.Actor, set *lt.MailSettings) error {
	var v lt.Validation
	if set.Language != "" && !lt.ValidMailLanguage(set.Language) {
		v.Add("language", "must be one of %s", strings.Join(lt.MailLanguages, ", "))
	}
	clean := map[string]lt.MailTemplate{}
	for lang, t := range set.Templates {
		if !lt.ValidMailLanguage(lang) {
			v.Add("templates", "the language %q is not one of %s", lang, strings.Join(lt.MailLanguages, ", "))
			continue
		}
		def := DefaultTemplate(lang)
		t.Subject, t.Text, t.HTML = sameAs(t.Subject, def.Subject), sameAs(t.Text, def.Text), sameAs(t.HTML, def.HTML)
		if err := CheckTemplate(t); err != nil {
			var e *lt.Error
			if errors.As(err, &e) {
				for _, fe := range e.Fields {
					v.Add(lang+"."+fe.Field, "%s", fe.Message)
				}
			} else {
				v.Add(lang, "%s", err)
			}
			continue
		}
		if t != (lt.MailTemplate{}) {
			clean[lang] = t
		}
	}
	if set.ShopID != nil {
		if _, err := s.Store.FindShopByID(ctx, *set.ShopID); err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	stored := lt.MailSettings{Language: set.Language, Templates: clean}
	b, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	if err := s.Store.SetSetting(ctx, settingName(set.ShopID), string(b)); err != nil {
		return err
	}
	details := map[string]any{"setting": settingName(set.ShopID)}
	return s.Store.AuditEvent(ctx, actor, "mail.templates_updated", details)
}

// sameAs is "" when s is def but for line endings and surrounding space.
func sameAs(s, def string) string {
	norm := func(x string) string { return strings.TrimSpace(strings.ReplaceAll(x, "\r\n", "\n")) }
	if norm(s) == norm(def) {
		return ""
	}
	return strings.ReplaceAll(s, "\r\n", "\n")
}
