package backoffice

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

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
	// Attempts charts the sign-ins of the last lt.AttemptDays UTC days.
	Attempts *attemptsChart
	Saved    string
	// Issued is a new value (regenerated, or the user changed); Revealed
	// the value revealed without JavaScript.
	Issued      *issued
	IssuedWhy   string
	Revealed    *issued
	RevealedFor string
	// OCIPunchout is off when no procurement system's hook is allowed:
	// then OCIOff says how to turn it on, instead of an OCI URL.
	OCIPunchout bool
	OCIOff      string
	// Shop names the token's shop: anyShop when it has none and there is
	// a choice of shops, "" when there is none.
	Shop string
	// MailOff says why the login link cannot be mailed ("" when it can).
	MailOff string
}

// Mailable reports whether the dialog offers Send login link: to an
// editor, for a token that may leave the backoffice and whose contact or
// customer has an e-mail address.
func (d *tokenDetail) Mailable() bool {
	return d.Changeable() && d.Token.User != nil && d.Token.User.Email != ""
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
	d := &tokenDetail{Token: tokenRow{tok}, Editor: c.can(lt.AreaConfiguration, lt.LevelEditor), CSRF: c.csrf,
		OCIPunchout: s.OCIPunchout, OCIOff: web.OCIOff, MailOff: s.mailOff()}
	if act := tok.Act; act != nil {
		d.ImpersonatedBy = act.Name
		if d.ImpersonatedBy == "" {
			d.ImpersonatedBy = act.Email
		}
		if d.ImpersonatedBy == "" {
			d.ImpersonatedBy = act.Sub
		}
	}
	shops, err := s.tokenShops(r.Context())
	if err != nil {
		return nil, err
	}
	if d.Shop = shops.Name(tok.ShopID); d.Shop == "" && shops.Offered() {
		d.Shop = anyShop
	}
	if d.Changeable() {
		d.Form = s.editTokenForm(c, tok, shops)
	}
	events, found, err := s.Store.FindTokenEvents(r.Context(), tok.ID, 1, activityShown)
	if err != nil {
		return nil, err
	}
	d.ActivityFound = found
	d.Activity = s.activity(r, events)
	days, err := s.Store.TokenAttemptDays(r.Context(), tok.ID, lt.AttemptDays)
	if err != nil {
		return nil, err
	}
	d.Attempts = newAttemptsChart(days)
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
