package backoffice

import (
	"net/http"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Send login link: a preview page where staff adjust the recipient, the
// subject and a personal note, then queue the mail. The mail carries the
// scanner-safe login link; the preview shows it cut to the token id, so
// previewing reveals nothing. Queued, sent and failed are in the token's
// activity.

// sendView is the preview page of one token's mail.
type sendView struct {
	Token  tokenRow
	CSRF   string
	To     string
	Subj   string
	Note   string
	Draft  *lt.MailDraft
	Errors map[string]string
	Action string
	Back   string
}

// Error is the message of a field ("" for the form's own).
func (v *sendView) Error(field string) string { return v.Errors[field] }

// mailOff says why sending is off ("" when it is on).
func (s *Server) mailOff() string {
	if s.Mail == nil {
		return "Sending e-mail is off: LOGINTOKENS_SMTP_URL and LOGINTOKENS_MAIL_FROM are not set."
	}
	return sentence(s.Mail.MailOff())
}

// senderName is how a mail names the staff member who sends it.
func senderName(c *current) string {
	if c.staff.Name != "" {
		return c.staff.Name
	}
	return c.staff.Email
}

var sendFormFields = formFields{Labels: map[string]string{"to": "Recipient", "subject": "Subject", "note": "Note"}}

func (s *Server) showSend(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok {
		return
	}
	s.sendPage(w, r, tok, lt.MailRequest{}, false)
}

func (s *Server) sendToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok {
		return
	}
	req := lt.MailRequest{To: r.PostFormValue("to"), Subject: r.PostFormValue("subject"), Note: r.PostFormValue("note")}
	s.sendPage(w, r, tok, req, r.PostFormValue("action") == "send")
}

// sendPage shows the preview of req, or queues it when send; a refusal
// shows the preview again with the reason.
func (s *Server) sendPage(w http.ResponseWriter, r *http.Request, tok *lt.LoginToken, req lt.MailRequest, send bool) {
	c := currentFrom(r.Context())
	v := &sendView{Token: tokenRow{tok}, CSRF: c.csrf, To: req.To, Subj: req.Subject, Note: req.Note,
		Action: tokensPath + "/" + tok.ID + "/send", Back: tokensPath + "/" + tok.ID}
	if off := s.mailOff(); off != "" {
		v.Errors = map[string]string{"": off}
		s.renderSend(w, r, http.StatusConflict, v)
		return
	}
	var err error
	if send {
		var d *lt.MailDraft
		d, err = s.Mail.QueueMail(r.Context(), c.actor(r, s), senderName(c), tok.ID, req)
		if err == nil {
			dt, derr := s.detail(r, tok)
			if derr != nil {
				s.fail(w, r, derr)
				return
			}
			dt.Saved = "The login link is queued for " + d.To + ". Whether it was sent shows in the activity below."
			s.renderDetail(w, r, http.StatusOK, dt)
			return
		}
	} else {
		v.Draft, err = s.Mail.DraftMail(r.Context(), tok.ID, req, senderName(c))
	}
	if err != nil {
		errs, status, ok := formErrors(err, sendFormFields)
		if !ok {
			s.fail(w, r, err)
			return
		}
		v.Errors = errs
		s.renderSend(w, r, status, v)
		return
	}
	if v.To == "" {
		v.To = v.Draft.To
	}
	if v.Subj == "" {
		v.Subj = v.Draft.Subject
	}
	s.renderSend(w, r, http.StatusOK, v)
}

func (s *Server) renderSend(w http.ResponseWriter, r *http.Request, status int, v *sendView) {
	p := s.page(r, "Send login link", "login-tokens")
	p.Data = v
	s.render(w, r, status, "tokens_send", p)
}

// bulkSendView asks before mailing the selected tokens' links, each to
// its own person, and says which cannot be sent.
type bulkSendView struct {
	CSRF     string
	Back     string
	IDs      []string
	Items    []bulkSendItem
	Subj     string
	Note     string
	Sendable int
	Errors   map[string]string
}

type bulkSendItem struct {
	Name, ID, To, Refused string
}

// Error is the message of a field ("" for the form's own).
func (v *bulkSendView) Error(field string) string { return v.Errors[field] }

// sendTokens mails the login links of the selected tokens: first a page
// that lists who gets one (and who cannot, and why), then, confirmed,
// queues each and goes back to the list with how many were queued.
func (s *Server) sendTokens(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, lt.Errorf(lt.EINVALID, "the form could not be read"))
		return
	}
	ids := splitList(r.PostForm["ids"])
	back := safeBack(r.PostFormValue("back"))
	switch {
	case len(ids) == 0:
		s.fail(w, r, lt.Invalid("ids", "select one or more login tokens to send"))
		return
	case len(ids) > lt.MaxBulkSendIDs:
		s.fail(w, r, lt.Invalid("ids", "send at most %d login links at once", lt.MaxBulkSendIDs))
		return
	}
	for _, id := range ids {
		if !lt.ValidID(id) {
			s.fail(w, r, lt.Invalid("ids", "%s is not a login token id", lt.QuoteInput(id)))
			return
		}
	}
	c := currentFrom(r.Context())
	req := lt.MailRequest{Subject: r.PostFormValue("subject"), Note: r.PostFormValue("note")}
	v := &bulkSendView{CSRF: c.csrf, Back: back, IDs: ids, Subj: req.Subject, Note: req.Note}
	if off := s.mailOff(); off != "" {
		v.Errors = map[string]string{"": off}
		s.renderBulkSend(w, r, http.StatusConflict, v)
		return
	}
	req.Normalize()
	status, draft := http.StatusOK, req
	if err := req.Validate(); err != nil {
		// The page keeps its recipients, drafted with the defaults, so
		// that the editor corrects the field and sends from here.
		v.Errors, status, _ = formErrors(err, sendFormFields)
		draft = lt.MailRequest{}
	}
	send := r.PostFormValue("confirm") == "yes" && v.Errors == nil
	queued, refused := 0, 0
	for _, id := range ids {
		item := bulkSendItem{ID: id, Name: "Anonymous"}
		if tok, err := s.Store.FindTokenByID(r.Context(), id); err == nil && tok.User != nil {
			item.Name = tok.User.Name
		}
		var d *lt.MailDraft
		var err error
		if send {
			d, err = s.Mail.QueueMail(r.Context(), c.actor(r, s), senderName(c), id, req)
		} else {
			d, err = s.Mail.DraftMail(r.Context(), id, draft, senderName(c))
		}
		switch lt.ErrorCode(err) {
		case "":
			item.To = d.To
			queued++
		case lt.ENOTFOUND, lt.ECONFLICT, lt.EINVALID:
			item.Refused = sentence(lt.ErrorMessage(err))
			refused++
		default:
			s.fail(w, r, err)
			return
		}
		v.Items = append(v.Items, item)
	}
	if !send {
		v.Sendable = queued
		s.renderBulkSend(w, r, status, v)
		return
	}
	s.setFlash(w, flashMailed, queued*1000+min(refused, 999))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) renderBulkSend(w http.ResponseWriter, r *http.Request, status int, v *bulkSendView) {
	p := s.page(r, "Send login links", "login-tokens")
	p.Data = v
	s.render(w, r, status, "tokens_send_bulk", p)
}

// mailedFlash says how many links a bulk send queued (n/1000) and how
// many it could not (n%1000).
func mailedFlash(n int) (string, bool) {
	queued, refused := n/1000, n%1000
	msg := "Queued the login links of " + countNoun(queued, "login token", "login tokens") + "; whether each was sent shows in its activity."
	if refused > 0 {
		msg += " " + countNoun(refused, "login token was", "login tokens were") + " not sent: " +
			strings.TrimSuffix(plural(refused, "it has", "they have"), " ") + " no e-mail address, or " + plural(refused, "its", "their") + " link signs nobody in."
	}
	return msg, refused == 0
}
