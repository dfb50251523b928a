package backoffice

// One login token: New Login Token, the edit dialog (also a page of its
// own without JavaScript), reveal, regenerate and bulk delete. Forms post
// as forms; tokens.js sends the same forms by fetch with X-Fragment: 1 and
// swaps the answer into the open dialog, so each handler has one answer
// for both. A token made by "Open webshop as" can only be deleted
// (lt.LoginToken.Changeable): its dialog offers delete only, and save,
// reveal and regenerate answer 409 saying why.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
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
	// MaxUses is the Uses allowed field ("" = no limit); Networks the
	// networks, one per line.
	MaxUses  string
	Networks string
	// Shops are the choices of the Shop field, the token's selected; nil
	// when no choice is offered (tokenShops.Offered).
	Shops  []option
	shops  tokenShops
	Errors map[string]string
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

func (s *Server) newTokenForm(c *current, shops tokenShops) *tokenForm {
	f := &tokenForm{Prefix: "new", Action: tokensPath, CSRF: c.csrf, User: newUserPicker("new"), shops: shops, Shops: shops.options("")}
	f.User.Autofocus = true
	return f
}

func newUserPicker(prefix string) *picker {
	return &picker{ID: prefix + "-user", Label: "Select contact or customer", Name: "user",
		Hint: "Search by name, email or company. Leave empty for an anonymous token."}
}

func (s *Server) editTokenForm(c *current, tok *lt.LoginToken, shops tokenShops) *tokenForm {
	f := &tokenForm{Prefix: "edit", Action: tokensPath + "/" + tok.ID, CSRF: c.csrf, User: newUserPicker("edit"),
		Extra: strings.Join(tok.Extra, "\n"), OneTimeUse: tok.OneTimeUse, Networks: strings.Join(tok.Networks, "\n"), shops: shops, Shops: shops.options(shopValue(tok.ShopID))}
	if tok.User != nil {
		f.User.Selected = []pickedUser{pickedFrom(tok.User)}
	}
	if tok.MaxUses != nil {
		f.MaxUses = strconv.FormatInt(*tok.MaxUses, 10)
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
	maxUses    *int64 // nil: no limit
	networks   []string
	// shopID is the shop chosen (nil: any); shopSet is false when the
	// form offered no choice.
	shopID  *int64
	shopSet bool
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
		u, err := s.findUser(r.Context(), typ, id)
		if err != nil {
			return in, false, err
		}
		if u == nil {
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
	f.MaxUses = strings.TrimSpace(r.PostFormValue("maxUses"))
	if f.MaxUses != "" {
		n, err := strconv.ParseInt(f.MaxUses, 10, 64)
		if err != nil || n < 1 {
			errs["maxUses"] = "Enter a whole number, 1 or more, or leave the field empty for no limit."
		} else {
			in.maxUses = &n
		}
	}
	// One time use is Uses allowed 1. Ticked, it asks for that (a
	// different number is a contradiction); unticked on a one-time token,
	// it lifts the limit of 1 left in the field.
	wasOneTime := old != nil && old.OneTimeUse
	switch {
	case in.oneTimeUse && in.maxUses == nil:
		in.maxUses = new(int64(1))
	case in.oneTimeUse && *in.maxUses != 1:
		errs["oneTimeUse"] = "One time use is Uses allowed 1: clear it, or set Uses allowed to 1."
	case !in.oneTimeUse && wasOneTime && in.maxUses != nil && *in.maxUses == 1:
		in.maxUses = nil
	}
	f.Networks = strings.ReplaceAll(r.PostFormValue("networks"), "\r\n", "\n")
	in.networks = strings.Split(f.Networks, "\n")
	in.shopID, in.shopSet = readShopField(r, f, errs)
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

// tokenFormFields are where the token form shows the messages of an
// error: the user picker those about the user, whatever the error calls it.
var tokenFormFields = formFields{
	Labels: map[string]string{"user": "", "expiresAt": "", "extra": "", "oneTimeUse": "", "maxUses": "", "networks": "", "shopId": ""},
	As:     map[string]string{"contactId": "user", "customerId": "user", "anonymous": "user"},
}

// tokenFormErrors places a validation error on the token form; ok is false
// for any other error.
func tokenFormErrors(err error) (map[string]string, bool) {
	if lt.ErrorCode(err) != lt.EINVALID {
		return nil, false
	}
	errs, _, ok := formErrors(err, tokenFormFields)
	return errs, ok
}

// mergeErrors adds the field errors of err to errs, keeping those it has.
func mergeErrors(errs map[string]string, err error) {
	more, _ := tokenFormErrors(err)
	for field, msg := range more {
		if errs[field] == "" {
			errs[field] = msg
		}
	}
}

// issued is a token value shown in the page: just created, regenerated,
// or revealed without JavaScript.
type issued struct {
	Prefix          string // element ids: "new" or "edit"
	Value, LoginURL string
	// OCIURL is nil while OCI punchout is off; OCIOff says so then.
	OCIURL *string
	OCIOff string
}

func (s *Server) issue(prefix, value string) *issued {
	return &issued{Prefix: prefix, Value: value, LoginURL: web.Login.Link(s.PublicURL, value),
		OCIURL: web.OCILink(s.OCIPunchout, s.PublicURL, value), OCIOff: web.OCIOff}
}
