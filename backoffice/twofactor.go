package backoffice

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/web"
)

// Two-factor sign-in. A staff member with an authenticator signs in in
// two steps: the password gives a pending sign-in (its own cookie, for
// lt.SecondFactorWindow), which opens no page but the second step; a code
// of the authenticator or a recovery code turns it into a session. Codes
// go through the password's throttle, under the same keys, and a right
// password does not forget the wrong codes: only the second factor's
// success does.

// pendingCookie holds a sign-in waiting for its second factor.
const pendingCookie = "lt_pending"

func (s *Server) twoFactorRoutes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return []route{
		{pattern: "GET /admin/login/code", public: true, handler: h(s.showLoginCode)},
		{pattern: "POST /admin/login/code", public: true, handler: h(s.signInCode), maxBody: 16 << 10},
		{pattern: "GET /admin/two-factor", need: anyStaff, handler: h(s.showTwoFactor)},
		{pattern: "POST /admin/two-factor", need: anyStaff, handler: h(s.confirmTwoFactor)},
		{pattern: "POST /admin/two-factor/recovery-codes", need: anyStaff, handler: h(s.regenerateRecoveryCodes)},
		{pattern: "POST /admin/settings/staff/two-factor", need: cfgOwner, handler: h(s.setTwoFactorRequired)},
		{pattern: "POST /admin/settings/staff/{id}/two-factor/reset", need: cfgOwner, handler: h(s.resetStaffTwoFactor)},
	}
}

// twoFactorOpen is what a session without a second factor may still
// reach while one is required.
func twoFactorOpen(path string) bool {
	switch path {
	case "/admin/two-factor", "/admin/logout", "/admin/password":
		return true
	}
	return false
}

// startSecondStep answers a right password of a staff member with an
// authenticator: a pending sign-in, and the page that asks for the code.
func (s *Server) startSecondStep(w http.ResponseWriter, r *http.Request, st *lt.Staff, addr string) {
	value, err := s.Store.CreatePendingSession(r.Context(), st.ID, addr, r.UserAgent())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, pendingCookie, value, int(lt.SecondFactorWindow.Seconds()))
	http.Redirect(w, r, "/admin/login/code?next="+url.QueryEscape(safeNext(r.PostFormValue("next"))), http.StatusSeeOther)
}

func (s *Server) pendingStaff(r *http.Request) (*lt.Staff, string, error) {
	ck, err := r.Cookie(pendingCookie)
	if err != nil {
		return nil, "", errNoSession
	}
	st, err := s.Store.FindPendingSession(r.Context(), ck.Value)
	return st, ck.Value, err
}

func (s *Server) showLoginCode(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.pendingStaff(r); err != nil {
		s.clearCookie(w, pendingCookie)
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
		return
	}
	s.renderLoginCode(w, r, http.StatusOK, "")
}

func (s *Server) renderLoginCode(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token := lt.NewSecret()
	s.setCookie(w, loginCSRFCookie, token, 3600)
	s.render(w, r, status, "login_code", &pageData{Title: "Two-factor sign-in", CSRF: token, Message: msg,
		Form: map[string]string{"next": safeNext(r.FormValue("next"))}})
}

// signInCode checks the second factor of a pending sign-in.
func (s *Server) signInCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := bounds.ParseForm(r, 16<<10); errors.As(err, new(*http.MaxBytesError)) {
		s.fail(w, r, err)
		return
	}
	ck, err := r.Cookie(loginCSRFCookie)
	if err != nil || !hmac.Equal([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) {
		s.renderLoginCode(w, r, http.StatusForbidden, "The form expired. Please try again.")
		return
	}
	st, pending, err := s.pendingStaff(r)
	if lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
		s.clearCookie(w, pendingCookie)
		s.renderLogin(w, r, http.StatusUnauthorized, "", "The sign-in took too long. Please enter your password again.")
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	addr := web.ClientAddress(r, s.TrustedProxies)
	left := -1
	v, refused, err := s.throttle.checkStep(r.Context(), st.Email, addr, s.trustedDevice(r, st.Email), func() (verdict, error) {
		var err error
		left, err = s.Store.CheckSecondFactor(r.Context(), st.ID, r.PostFormValue("code"))
		if lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
			return wrong, nil
		}
		if err != nil {
			return wrong, err
		}
		return rightForget, nil
	})
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case refused != nil:
		w.Header().Set("Retry-After", itoa(refused.retryAfter()))
		s.renderLoginCode(w, r, refused.status, refused.message("wrong codes"))
		return
	case v == wrong:
		s.Store.AuditEvent(r.Context(), lt.Actor{Name: st.Actor(), ClientIP: addr}, lt.EventStaffTwoFactorFailed, nil)
		s.renderLoginCode(w, r, http.StatusUnauthorized, "Wrong or already used code.")
		return
	}
	if err := s.Store.DeleteSession(r.Context(), pending); err != nil {
		s.fail(w, r, err)
		return
	}
	value, err := s.Store.CreateSession(r.Context(), st.ID, addr, r.UserAgent())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	actor := lt.Actor{Name: st.Actor(), ClientIP: addr}
	if left >= 0 {
		s.Store.AuditEvent(r.Context(), actor, lt.EventStaffRecoveryCodeUsed, map[string]any{"left": left})
	}
	s.Store.AuditEvent(r.Context(), actor, lt.EventStaffSignedIn, map[string]any{"secondFactor": map[bool]string{true: "recovery code", false: "authenticator"}[left >= 0]})
	s.clearCookie(w, pendingCookie)
	s.clearCookie(w, loginCSRFCookie)
	s.setCookie(w, sessionCookie, value, int(lt.SessionMax.Seconds()))
	s.setDevice(w, st.ID, st.Email)
	next := safeNext(r.PostFormValue("next"))
	if st.MustChangePassword {
		next = "/admin/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// twoFactorPage is the data of the Two-factor page.
type twoFactorPage struct {
	Active       bool
	Required     bool
	RecoveryLeft int
	QR           template.URL // a data: URI of the PNG, so no other site sees the key
	Key          string
}

func (s *Server) showTwoFactor(w http.ResponseWriter, r *http.Request) {
	s.renderTwoFactor(w, r, http.StatusOK, s.page(r, "Two-factor sign-in", ""))
}

func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int, p *pageData) {
	c := currentFrom(r.Context())
	d := &twoFactorPage{Active: c.staff.TwoFactor}
	var err error
	if d.Active {
		d.RecoveryLeft, err = s.Store.RecoveryCodesLeft(r.Context(), c.staff.ID)
	} else {
		var secret []byte
		if secret, err = s.Store.StartTOTP(r.Context(), c.staff.ID); err == nil {
			var png []byte
			png, err = lt.TOTPQRCode(secret, c.staff.Email)
			d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
			d.Key = lt.TOTPKeyText(secret)
		}
		if err == nil {
			d.Required, err = s.Store.TwoFactorRequired(r.Context())
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = d
	// The key is on this page: no cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "two_factor", p)
}

// checkOwnCode runs a check of the signed-in staff member's code through
// the password's throttle; it answers the refusal or the wrong code itself
// and returns false then.
func (s *Server) checkOwnCode(w http.ResponseWriter, r *http.Request, fn func() error) bool {
	c := currentFrom(r.Context())
	addr := web.ClientAddress(r, s.TrustedProxies)
	right, refused, err := s.throttle.check(r.Context(), c.staff.Email, addr, "", func() (bool, error) {
		err := fn()
		if lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
			return false, nil
		}
		return err == nil, err
	})
	p := s.page(r, "Two-factor sign-in", "")
	switch {
	case err != nil:
		s.fail(w, r, err)
		return false
	case refused != nil:
		w.Header().Set("Retry-After", itoa(refused.retryAfter()))
		p.Message = refused.message("wrong codes")
		s.renderTwoFactor(w, r, refused.status, p)
		return false
	case !right:
		s.Store.AuditEvent(r.Context(), c.actor(r, s), lt.EventStaffTwoFactorFailed, nil)
		p.Errors = map[string]string{"code": "That is not the code your app shows now, or it was used already. Check the app and the time of your device."}
		s.renderTwoFactor(w, r, http.StatusBadRequest, p)
		return false
	}
	return true
}

// confirmTwoFactor turns the authenticator being set up on with its
// current code and shows the recovery codes once.
func (s *Server) confirmTwoFactor(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	var codes []string
	if !s.checkOwnCode(w, r, func() (err error) {
		codes, err = s.Store.ConfirmTOTP(r.Context(), c.staff.ID, r.PostFormValue("code"))
		return err
	}) {
		return
	}
	s.auditChange(r, lt.EventStaffTwoFactorEnabled, map[string]any{"staffId": c.staff.ID})
	s.showRecoveryCodes(w, r, "Two-factor sign-in is on", codes)
}

// regenerateRecoveryCodes replaces the recovery codes, confirmed with a
// code of the authenticator: a session alone does not give new ones.
func (s *Server) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	if !s.checkOwnCode(w, r, func() error {
		_, err := s.Store.CheckSecondFactor(r.Context(), c.staff.ID, r.PostFormValue("code"))
		return err
	}) {
		return
	}
	codes, err := s.Store.RegenerateRecoveryCodes(r.Context(), c.staff.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.auditChange(r, lt.EventStaffRecoveryCodesRegenerated, map[string]any{"staffId": c.staff.ID})
	s.showRecoveryCodes(w, r, "New recovery codes", codes)
}

func (s *Server) showRecoveryCodes(w http.ResponseWriter, r *http.Request, title string, codes []string) {
	p := s.page(r, title, "")
	p.Data = codes
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "two_factor_codes", p)
}

// setTwoFactorRequired turns the requirement of a second factor for all
// staff on or off.
func (s *Server) setTwoFactorRequired(w http.ResponseWriter, r *http.Request) {
	required, err := strconv.ParseBool(r.PostFormValue("required"))
	if err != nil {
		s.fail(w, r, lt.Invalid("required", "must be true or false"))
		return
	}
	if err := s.Store.SetTwoFactorRequired(r.Context(), required); err != nil {
		s.fail(w, r, err)
		return
	}
	s.auditChange(r, lt.EventTwoFactorRequirement, map[string]any{"required": required})
	http.Redirect(w, r, "/admin/settings/staff?done=saved", http.StatusSeeOther)
}

// resetStaffTwoFactor removes another staff member's second factor, for
// one who lost their device: they are signed out and set it up again.
func (s *Server) resetStaffTwoFactor(w http.ResponseWriter, r *http.Request) {
	st, err := s.findStaff(r)
	if err == nil && st.ID == currentFrom(r.Context()).staff.ID {
		err = lt.Errorf(lt.EINVALID, "another owner can reset your own second factor, or the command staff reset-2fa")
	}
	if err == nil {
		err = currentFrom(r.Context()).staff.Grants.CheckManage("staff member", st.Grants)
	}
	if err == nil {
		err = s.Store.ResetTwoFactor(r.Context(), st.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.auditChange(r, lt.EventStaffTwoFactorReset, map[string]any{"staffId": st.ID, "email": st.Email})
	http.Redirect(w, r, "/admin/settings/staff/"+strconv.FormatInt(st.ID, 10)+"?done=two-factor-reset", http.StatusSeeOther)
}
