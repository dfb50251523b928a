package backoffice

// One login token: New Login Token, the edit dialog (also a page of its
// own without JavaScript), reveal, regenerate and bulk delete. Forms post
// as forms; tokens.js sends the same forms by fetch with X-Fragment: 1 and
// swaps the answer into the open dialog, so each handler has one answer
// for both. A token made by "Open webshop as" can only be deleted
// (lt.LoginToken.Changeable): its dialog offers delete only, and save,
// reveal and regenerate answer 409 saying why.

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/web"
)

// tokenForm is the New Login Token form or the editable part of the edit
// dialog.
type tokenForm struct {
	Prefix string // element id prefix: "new" or "edit"
	Action string
	CSRF   string
	User   *picker
	// ExpiresAt is the expiry in RFC 3339 UTC: tokens.js keeps it in step
	// with the datetime-local field, which shows the viewer's local time.
	ExpiresAt string
	// ExpiresLocal is what the datetime-local field shows without
	// JavaScript: UTC.
	ExpiresLocal string
	Extra        string
	OneTimeUse   bool
	Errors       map[string]string
}

// Picker is the user picker with its error.
func (f *tokenForm) Picker() *picker {
	p := *f.User
	p.Error = f.Errors["user"]
	return &p
}

// Error is the message of a field ("" = the form's own).
func (f *tokenForm) Error(field string) string { return f.Errors[field] }

// localLayout is a datetime-local field's value.
const localLayout = "2006-01-02T15:04"

func (s *Server) newTokenForm(c *current) *tokenForm {
	f := &tokenForm{Prefix: "new", Action: tokensPath, CSRF: c.csrf, User: newUserPicker("new")}
	f.User.Autofocus = true
	return f
}

func newUserPicker(prefix string) *picker {
	return &picker{ID: prefix + "-user", Label: "Select contact or customer", Name: "user",
		Hint: "Search by name, email or company. Leave empty for an anonymous token."}
}

func (s *Server) editTokenForm(c *current, tok *lt.LoginToken) *tokenForm {
	f := &tokenForm{Prefix: "edit", Action: tokensPath + "/" + tok.ID, CSRF: c.csrf, User: newUserPicker("edit"),
		Extra: strings.Join(tok.Extra, "\n"), OneTimeUse: tok.OneTimeUse}
	if tok.User != nil {
		f.User.Selected = []pickedUser{pickedFrom(tok.User)}
	}
	if tok.ExpiresAt != nil {
		f.ExpiresAt = tok.ExpiresAt.UTC().Format(time.RFC3339Nano)
		f.ExpiresLocal = tok.ExpiresAt.UTC().Format(localLayout)
	}
	return f
}

// tokenInput is what a token form asks for.
type tokenInput struct {
	user       *lt.UserRef // nil: anonymous
	expiresAt  *time.Time
	extra      []string
	oneTimeUse bool
}

// readTokenForm reads a posted token form into f (to show it again) and
// in. old is the token being edited, nil for a new one.
func (s *Server) readTokenForm(r *http.Request, f *tokenForm, old *lt.LoginToken) (in tokenInput, ok bool, err error) {
	errs := map[string]string{}
	key, typed := r.PostFormValue("user"), strings.TrimSpace(r.PostFormValue("userQuery"))
	f.User.Selected, f.User.Query = nil, ""
	switch {
	case key != "":
		typ, id, valid := parseUserKey(key)
		if !valid {
			errs["user"] = "Choose a contact or customer from the list."
			break
		}
		if old != nil && old.User != nil && old.User.Type == typ && old.User.ID == id {
			// The same user: no lookup, so a token of a user deleted since
			// still saves its other fields.
			in.user = old.User
			f.User.Selected = []pickedUser{pickedFrom(old.User)}
			break
		}
		u, found := s.userRef(r, typ, id)
		if !found {
			errs["user"] = "This " + string(typ) + " does not exist any more; choose another, or leave the field empty for an anonymous token."
			break
		}
		in.user = u
		f.User.Selected = []pickedUser{pickedFrom(u)}
	case typed != "":
		// Typed but not chosen (or no JavaScript): one match is taken.
		hits, err := s.findUsers(r.Context(), typed, 2)
		if err != nil {
			return in, false, err
		}
		f.User.Query = typed
		switch len(hits) {
		case 0:
			errs["user"] = "No contact or customer matches “" + typed + "”. Leave the field empty for an anonymous token."
		case 1:
			in.user = hits[0]
			f.User.Selected, f.User.Query = []pickedUser{pickedFrom(hits[0])}, ""
		default:
			errs["user"] = "Several contacts and customers match “" + typed + "”: choose one from the list, or type more of the name or email."
		}
	}

	f.ExpiresAt, f.ExpiresLocal = strings.TrimSpace(r.PostFormValue("expiresAt")), strings.TrimSpace(r.PostFormValue("expiresAtLocal"))
	if r.PostFormValue("clientTime") == "1" {
		// tokens.js sent the viewer's local time as UTC.
		if f.ExpiresAt != "" {
			t, err := time.Parse(time.RFC3339Nano, f.ExpiresAt)
			if err != nil {
				errs["expiresAt"] = "Enter a date and time."
			} else {
				in.expiresAt = &t
			}
		}
	} else if f.ExpiresLocal != "" {
		// Without JavaScript the field is in UTC, as it says; an unchanged
		// field keeps the stored time to the microsecond.
		if old != nil && old.ExpiresAt != nil && old.ExpiresAt.UTC().Format(localLayout) == f.ExpiresLocal {
			in.expiresAt = old.ExpiresAt
		} else if t, err := parseLocalUTC(f.ExpiresLocal); err != nil {
			errs["expiresAt"] = "Enter a date and time."
		} else {
			in.expiresAt = &t
		}
		if in.expiresAt != nil {
			f.ExpiresAt = in.expiresAt.UTC().Format(time.RFC3339Nano)
		}
	}

	extra := strings.ReplaceAll(r.PostFormValue("extra"), "\r\n", "\n")
	in.extra = lt.NormalizeExtra(strings.Split(extra, "\n"))
	f.Extra = lt.RedactSecrets(extra) // shown again only without its secrets
	f.OneTimeUse = r.PostFormValue("oneTimeUse") != ""
	in.oneTimeUse = f.OneTimeUse
	f.Errors = errs
	return in, len(errs) == 0, nil
}

// parseLocalUTC reads a datetime-local field's value (with or without
// seconds) as UTC.
func parseLocalUTC(s string) (time.Time, error) {
	t, err := time.Parse(localLayout, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	}
	return t, err
}

// formErrors places a store's validation error next to the fields of the
// form; ok is false for any other error.
func formErrors(err error) (map[string]string, bool) {
	var e *lt.Error
	if !errors.As(err, &e) || e.Code != lt.EINVALID {
		return nil, false
	}
	out := map[string]string{}
	add := func(field, msg string) {
		if out[field] != "" {
			out[field] += " "
		}
		out[field] += sentence(msg)
	}
	for _, fe := range e.Fields {
		switch fe.Field {
		case "contactId", "customerId", "user", "anonymous":
			add("user", fe.Message)
		case "expiresAt", "extra", "oneTimeUse":
			add(fe.Field, fe.Message)
		default:
			add("", fe.Field+": "+fe.Message)
		}
	}
	if len(e.Fields) == 0 {
		add("", e.Message)
	}
	return out, true
}

// mergeErrors adds the field errors of err to errs, keeping those it has.
func mergeErrors(errs map[string]string, err error) {
	more, _ := formErrors(err)
	for field, msg := range more {
		if errs[field] == "" {
			errs[field] = msg
		}
	}
}

// sentence capitalizes a message and ends it with a full stop.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// issued is a token value shown in the page: just created, regenerated,
// or revealed without JavaScript.
type issued struct {
	Prefix                  string // element ids: "new" or "edit"
	Value, LoginURL, OCIURL string
}

func (s *Server) issue(prefix, value string) *issued {
	return &issued{Prefix: prefix, Value: value, LoginURL: web.Login.Link(s.PublicURL, value), OCIURL: web.OCI.Link(s.PublicURL, value)}
}

// newTokenView is the New Login Token dialog, before and after saving.
type newTokenView struct {
	Form    *tokenForm
	Created *tokenRow
	Issued  *issued
}

func (s *Server) newToken(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "New Login Token", "login-tokens")
	p.Data = &newTokenView{Form: s.newTokenForm(currentFrom(r.Context()))}
	s.render(w, r, http.StatusOK, "tokens_new", p)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	f := s.newTokenForm(c)
	in, ok, err := s.readTokenForm(r, f, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "New Login Token", "login-tokens")
	n := lt.NewToken{ExpiresAt: in.expiresAt, OneTimeUse: in.oneTimeUse, Extra: in.extra}
	if in.user != nil {
		id := in.user.ID
		if in.user.Type == lt.UserContact {
			n.ContactID = &id
		} else {
			n.CustomerID = &id
		}
	}
	if !ok {
		// Say everything that is wrong at once, not the form's half first.
		mergeErrors(f.Errors, n.Validate(s.Now()))
	} else {
		tok, err := s.Store.CreateToken(r.Context(), c.actor(r, s), n)
		if err == nil {
			p.Title = "Login token created"
			p.Data = &newTokenView{Form: f, Created: &tokenRow{tok.LoginToken}, Issued: s.issue("new", tok.Value)}
			s.render(w, r, http.StatusCreated, "tokens_new", p)
			return
		}
		errs, ok := formErrors(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		f.Errors = errs
	}
	p.Data = &newTokenView{Form: f}
	s.render(w, r, http.StatusBadRequest, "tokens_new", p)
}

// tokenDetail is the edit dialog.
type tokenDetail struct {
	Token  tokenRow
	Editor bool
	CSRF   string
	Form   *tokenForm // editors only, and only for a token that may change
	// ImpersonatedBy names the staff member a token made by "Open webshop
	// as" carries; such a token can only be deleted, so it has no form.
	ImpersonatedBy string
	// Refused says why the action asked for was refused.
	Refused  string
	Activity []activityRow
	// ActivityFound counts every event of the token.
	ActivityFound int
	Saved         string
	// Issued is a new value (regenerated, or the user changed); Revealed
	// the value revealed without JavaScript.
	Issued      *issued
	IssuedWhy   string
	Revealed    *issued
	RevealedFor string
}

// Changeable reports whether the viewer may edit, reveal and regenerate
// the token.
func (d *tokenDetail) Changeable() bool { return d.Editor && d.ImpersonatedBy == "" }

// Masked is the value as shown before a reveal.
func (d *tokenDetail) Masked() string { return lt.TokenPrefix + "_" + d.Token.ID + "_••••" }

// MoreActivity is how many events are not shown.
func (d *tokenDetail) MoreActivity() int { return d.ActivityFound - len(d.Activity) }

const activityShown = 10

// detail loads what the edit dialog shows of tok.
func (s *Server) detail(r *http.Request, tok *lt.LoginToken) (*tokenDetail, error) {
	c := currentFrom(r.Context())
	d := &tokenDetail{Token: tokenRow{tok}, Editor: c.can(lt.AreaConfiguration, lt.LevelEditor), CSRF: c.csrf}
	if act := tok.Act; act != nil {
		d.ImpersonatedBy = act.Name
		if d.ImpersonatedBy == "" {
			d.ImpersonatedBy = act.Email
		}
		if d.ImpersonatedBy == "" {
			d.ImpersonatedBy = act.Sub
		}
	}
	if d.Changeable() {
		d.Form = s.editTokenForm(c, tok)
	}
	events, found, err := s.Store.FindTokenEvents(r.Context(), tok.ID, 1, activityShown)
	if err != nil {
		return nil, err
	}
	d.ActivityFound = found
	d.Activity = s.activity(r, events)
	return d, nil
}

func (s *Server) renderDetail(w http.ResponseWriter, r *http.Request, status int, d *tokenDetail) {
	p := s.page(r, "Login token "+d.Token.ID, "login-tokens")
	p.Data = d
	s.render(w, r, status, "tokens_edit", p)
}

// refuseUnchangeable answers 409 and reports true when tok carries an
// impersonator (lt.LoginToken.Changeable): JSON for tokens.js, else the
// dialog with the reason, which offers delete only.
func (s *Server) refuseUnchangeable(w http.ResponseWriter, r *http.Request, tok *lt.LoginToken) bool {
	err := tok.Changeable()
	if err == nil {
		return false
	}
	s.refuse(w, r, tok, err)
	return true
}

// refuse answers a CONFLICT of the store about tok as refuseUnchangeable
// does; any other error as s.fail.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, tok *lt.LoginToken, err error) {
	if lt.ErrorCode(err) != lt.ECONFLICT || wantsJSON(r) {
		s.fail(w, r, err)
		return
	}
	d, derr := s.detail(r, tok)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	d.Refused = sentence(lt.ErrorMessage(err))
	s.renderDetail(w, r, http.StatusConflict, d)
}

// loadToken finds the token of the path, or answers 404.
func (s *Server) loadToken(w http.ResponseWriter, r *http.Request) (*lt.LoginToken, bool) {
	id := r.PathValue("id")
	if !lt.ValidID(id) {
		s.fail(w, r, lt.Errorf(lt.ENOTFOUND, "no such login token"))
		return nil, false
	}
	tok, err := s.Store.FindTokenByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return tok, true
}

func (s *Server) showToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok {
		return
	}
	d, err := s.detail(r, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderDetail(w, r, http.StatusOK, d)
}

// updateToken saves the edit form as a merge patch: the store leaves
// unchanged fields alone, and regenerates the value only when the user
// really changes.
func (s *Server) updateToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok || s.refuseUnchangeable(w, r, tok) {
		return
	}
	c := currentFrom(r.Context())
	f := s.editTokenForm(c, tok)
	in, ok, err := s.readTokenForm(r, f, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	upd := lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: in.expiresAt, OneTimeUse: &in.oneTimeUse, Extra: &in.extra}
	switch {
	case in.user == nil:
		upd.Anonymous = true
	case in.user.Type == lt.UserContact:
		upd.ContactID = &in.user.ID
	default:
		upd.CustomerID = &in.user.ID
	}
	var value string
	if !ok {
		mergeErrors(f.Errors, upd.Validate())
	} else {
		var saved *lt.LoginToken
		saved, value, err = s.Store.UpdateToken(r.Context(), c.actor(r, s), tok.ID, upd)
		if err == nil {
			tok = saved
		} else if errs, isForm := formErrors(err); isForm {
			f.Errors, ok = errs, false
		} else {
			s.refuse(w, r, tok, err)
			return
		}
	}
	d, err := s.detail(r, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		d.Form = f
		s.renderDetail(w, r, http.StatusBadRequest, d)
		return
	}
	d.Saved = "Saved."
	if value != "" {
		d.Issued = s.issue("edit", value)
		d.IssuedWhy = "The contact or customer changed, so the token has a new value and the old value no longer works. Copy the new value now."
	}
	s.renderDetail(w, r, http.StatusOK, d)
}

// revealPurposes are what a reveal may say it is for, in the audit trail.
var revealPurposes = []string{"reveal", "copy login link", "copy OCI URL"}

// revealToken answers the value, audited: JSON for tokens.js, else the
// edit page with the value in it.
func (s *Server) revealToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok || s.refuseUnchangeable(w, r, tok) {
		return
	}
	purpose := r.PostFormValue("purpose")
	if purpose == "" {
		purpose = "reveal"
	}
	known := false
	for _, p := range revealPurposes {
		known = known || p == purpose
	}
	if !known {
		s.fail(w, r, lt.Invalid("purpose", "must be one of %s", strings.Join(revealPurposes, ", ")))
		return
	}
	c := currentFrom(r.Context())
	value, err := s.Store.RevealToken(r.Context(), c.actor(r, s), tok.ID, purpose)
	if err != nil {
		s.refuse(w, r, tok, err)
		return
	}
	v := s.issue("edit", value)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]string{"value": v.Value, "loginUrl": v.LoginURL, "ociUrl": v.OCIURL})
		return
	}
	d, err := s.detail(r, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Revealed, d.RevealedFor = v, purpose
	s.renderDetail(w, r, http.StatusOK, d)
}

// confirmView asks before something that cannot be undone (tokens.js asks
// in a dialog and sends confirm=yes at once).
type confirmView struct {
	Heading, Text, Button, Action, CancelURL, CSRF string
	Items                                          []string
	Fields                                         []field
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request, v *confirmView) {
	v.CSRF = currentFrom(r.Context()).csrf
	p := s.page(r, v.Heading, "login-tokens")
	p.Data = v
	s.render(w, r, http.StatusOK, "tokens_confirm", p)
}

const regenerateWarning = "The old value stops working at once: login links and OCI URLs that carry it will no longer sign anyone in."

func (s *Server) regenerateToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok || s.refuseUnchangeable(w, r, tok) {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.confirm(w, r, &confirmView{Heading: "Regenerate the value of login token " + tok.ID + "?", Text: regenerateWarning,
			Button: "Regenerate", Action: tokensPath + "/" + tok.ID + "/regenerate", CancelURL: tokensPath + "/" + tok.ID})
		return
	}
	c := currentFrom(r.Context())
	iss, err := s.Store.RegenerateToken(r.Context(), c.actor(r, s), tok.ID)
	if err != nil {
		s.refuse(w, r, tok, err)
		return
	}
	d, err := s.detail(r, iss.LoginToken)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Issued = s.issue("edit", iss.Value)
	d.IssuedWhy = "The token has a new value; the old value no longer works. Copy the new value now."
	s.renderDetail(w, r, http.StatusOK, d)
}

// deleteTokens deletes the checked tokens, all or nothing, and goes back
// to the list as it was.
func (s *Server) deleteTokens(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, lt.Errorf(lt.EINVALID, "the form could not be read"))
		return
	}
	ids := splitList(r.PostForm["ids"])
	back := safeBack(r.PostFormValue("back"))
	if len(ids) == 0 {
		s.fail(w, r, lt.Invalid("ids", "select one or more login tokens to delete"))
		return
	}
	if len(ids) > lt.MaxBulkDeleteIDs {
		s.fail(w, r, lt.Invalid("ids", "delete at most %d login tokens at once", lt.MaxBulkDeleteIDs))
		return
	}
	for _, id := range ids {
		if !lt.ValidID(id) {
			s.fail(w, r, lt.Invalid("ids", "%s is not a login token id", lt.QuoteInput(id)))
			return
		}
	}
	if r.PostFormValue("confirm") != "yes" {
		v := &confirmView{Heading: "Delete " + countNoun(len(ids), "login token", "login tokens") + "?",
			Text:   "Deleted tokens stop working at once and cannot be restored; their activity stays in the audit trail.",
			Button: "Delete", Action: tokensPath + "/delete", CancelURL: back, Fields: []field{{"back", back}}}
		toks, _, err := s.Store.FindTokens(r.Context(), lt.TokenFilter{IDs: ids, Sort: lt.DefaultSort, PageSize: lt.MaxBulkDeleteIDs})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, t := range toks {
			name := "Anonymous"
			if t.User != nil {
				name = t.User.Name
			}
			v.Items = append(v.Items, name+" ("+t.ID+")")
		}
		for _, id := range ids {
			v.Fields = append(v.Fields, field{"ids", id})
		}
		s.confirm(w, r, v)
		return
	}
	c := currentFrom(r.Context())
	n, err := s.Store.DeleteTokens(r.Context(), c.actor(r, s), ids)
	switch {
	case lt.ErrorCode(err) == lt.ENOTFOUND:
		s.setFlash(w, flashGone, 0)
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		s.setFlash(w, flashDeleted, n)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// safeBack keeps the return address on the list, and no longer than a
// filter's address may be (see filterTokens).
func safeBack(back string) string {
	if back == tokensPath || (len(back) <= bounds.MaxLocation && strings.HasPrefix(back, tokensPath+"?") && !strings.ContainsAny(back, "\\\r\n")) {
		return withoutSecret(back, tokensPath)
	}
	return tokensPath
}

// activityRow is one event of a token's audit trail.
type activityRow struct {
	At                             time.Time
	Event, Actor, ClientIP, Reason string
}

var eventLabels = map[string]string{
	lt.EventTokenCreated: "Created", lt.EventTokenUpdated: "Updated", lt.EventTokenRegenerated: "Value regenerated",
	lt.EventTokenDeleted: "Deleted", lt.EventTokenRevealed: "Value revealed", lt.EventTokenRedeemed: "Signed in",
	lt.EventTokenRejected: "Sign-in refused",
}

var changedLabels = map[string]string{"expiresAt": "Expires at", "oneTimeUse": "One time use", "extra": "Extra", "user": "Contact or customer"}

func (s *Server) activity(r *http.Request, events []*lt.Event) []activityRow {
	staff := map[string]string{}
	out := make([]activityRow, 0, len(events))
	for _, e := range events {
		row := activityRow{At: e.At, Event: eventLabels[e.Type], Actor: s.actorName(r, e.Actor, staff), ClientIP: e.ClientIP}
		if row.Event == "" {
			row.Event = e.Type
		}
		var d struct {
			Reason       string   `json:"reason"`
			Purpose      string   `json:"purpose"`
			Changed      []string `json:"changed"`
			Regenerated  bool     `json:"regenerated"`
			Impersonator string   `json:"impersonator"`
		}
		json.Unmarshal(e.Details, &d)
		var why []string
		if d.Reason != "" {
			why = append(why, sentence(lt.RedeemOutcomeMessage(d.Reason)))
		}
		if d.Purpose != "" {
			why = append(why, "Purpose: "+d.Purpose+".")
		}
		if len(d.Changed) > 0 {
			labels := make([]string, len(d.Changed))
			for i, c := range d.Changed {
				if labels[i] = changedLabels[c]; labels[i] == "" {
					labels[i] = c
				}
			}
			why = append(why, "Changed "+strings.Join(labels, ", ")+".")
		}
		if d.Regenerated {
			why = append(why, "New value.")
		}
		if d.Impersonator != "" {
			why = append(why, "Opened by "+s.actorName(r, d.Impersonator, staff)+".")
		}
		row.Reason = strings.Join(why, " ")
		out = append(out, row)
	}
	return out
}

// actorName names who did something: staff by name, the rest as recorded.
func (s *Server) actorName(r *http.Request, actor string, cache map[string]string) string {
	if name, ok := cache[actor]; ok {
		return name
	}
	name := actor
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "staff":
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			if st, err := s.Store.FindStaffByID(r.Context(), n); err == nil {
				name = st.Name
				if name == "" {
					name = st.Email
				}
			}
		}
	case "apikey":
		name = "API key " + id
	case "login":
		name = "Sign-in page"
	case "oci":
		name = "OCI punchout"
	}
	cache[actor] = name
	return name
}
