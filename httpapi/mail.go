package httpapi

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

type (
	// sendBody adjusts one mail: every field is optional.
	sendBody struct {
		To      string `json:"to,omitempty"`
		Subject string `json:"subject,omitempty"`
		Note    string `json:"note,omitempty"`
	}
	// bulkSendBody sends each token's link to its own person, with one
	// subject and note for all.
	bulkSendBody struct {
		IDs     []string `json:"ids"`
		Subject string   `json:"subject,omitempty"`
		Note    string   `json:"note,omitempty"`
	}
)

var (
	sendFields     = jsonNames[sendBody]()
	bulkSendFields = jsonNames[bulkSendBody]()
)

// queuedJSON is a mail queued: whom it goes to and with which subject.
type queuedJSON struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	To       string `json:"to,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Language string `json:"language,omitempty"`
	// Code and Message say why a token of a bulk send was not queued.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// bulkSentJSON is the answer of a bulk send: one result per id, in order.
type bulkSentJSON struct {
	Queued  int          `json:"queued"`
	Results []queuedJSON `json:"results"`
}

// mailService is the configured mail service; without one, sending is
// off (a 409 that says how to turn it on).
func (s *Server) mailService() (lt.MailService, error) {
	if s.Mail == nil {
		return nil, lt.Errorf(lt.ECONFLICT, "sending e-mail is off: set LOGINTOKENS_SMTP_URL and LOGINTOKENS_MAIL_FROM (docs/mail.md)")
	}
	if off := s.Mail.MailOff(); off != "" {
		return nil, lt.Errorf(lt.ECONFLICT, "%s", off)
	}
	return s.Mail, nil
}

// senderName is how the mail names who sent it: the API key's name.
func senderName(c *caller) string {
	if c.key != nil && c.key.Name != "" {
		return c.key.Name
	}
	return ""
}

func (s *Server) sendToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, sendFields)
	if err != nil {
		return err
	}
	var req lt.MailRequest
	for _, f := range []struct {
		name string
		dst  *string
	}{{"to", &req.To}, {"subject", &req.Subject}, {"note", &req.Note}} {
		if v := o.str(f.name); v != nil {
			*f.dst = *v
		}
	}
	if err := o.err(); err != nil {
		return err
	}
	ms, err := s.mailService()
	if err != nil {
		return err
	}
	d, err := ms.QueueMail(r.Context(), c.actor, senderName(c), id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, queuedJSON{ID: id, Status: "queued", To: d.To, Subject: d.Subject, Language: d.Language})
	return nil
}

func (s *Server) sendTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, bulkSendFields)
	if err != nil {
		return err
	}
	o.required("ids")
	ids := o.strings("ids")
	var req lt.MailRequest
	if v := o.str("subject"); v != nil {
		req.Subject = *v
	}
	if v := o.str("note"); v != nil {
		req.Note = *v
	}
	if ids != nil {
		switch {
		case len(*ids) == 0:
			o.v.Add("ids", "give at least one token id")
		case len(*ids) > lt.MaxBulkSendIDs:
			o.v.Add("ids", "at most %d token ids at once", lt.MaxBulkSendIDs)
		}
		for i, id := range *ids {
			if !lt.ValidID(id) {
				o.v.Add("ids", "entry %d is not a token id (pass the id, the part between lt_ and the second _)", i+1)
				break
			}
		}
	}
	if err := o.err(); err != nil {
		return err
	}
	req.Normalize()
	if err := req.Validate(); err != nil {
		return err
	}
	ms, err := s.mailService()
	if err != nil {
		return err
	}
	out := bulkSentJSON{Results: make([]queuedJSON, 0, len(*ids))}
	for _, id := range *ids {
		d, err := ms.QueueMail(r.Context(), c.actor, senderName(c), id, req)
		switch code := lt.ErrorCode(err); code {
		case "":
			out.Queued++
			out.Results = append(out.Results, queuedJSON{ID: id, Status: "queued", To: d.To, Subject: d.Subject, Language: d.Language})
		case lt.ENOTFOUND, lt.ECONFLICT, lt.EINVALID:
			out.Results = append(out.Results, queuedJSON{ID: id, Status: "refused", Code: code, Message: lt.ErrorMessage(err)})
		default:
			return err
		}
	}
	writeJSON(w, http.StatusAccepted, out)
	return nil
}
