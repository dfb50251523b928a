package backoffice

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/web"
)

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if _, err := s.Store.FindSession(r.Context(), ck.Value); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	s.renderLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, email, msg string) {
	token := lt.NewSecret()
	s.setCookie(w, loginCSRFCookie, token, 3600)
	s.render(w, r, status, "login", &pageData{Title: "Sign in", CSRF: token, Message: msg,
		Form: map[string]string{"email": email, "next": safeNext(r.FormValue("next"))}})
}

// signIn checks the password. The form's CSRF token is checked first;
// then the password check goes through the throttle (counted before it
// runs, per account and client network and per network, or per device
// cookie when the browser has one trusted for the account, with a
// bounded number running at once). Failures are audited; the answer never
// says which part was wrong. Signing in gives the browser a new device
// cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	// A form past the limit is too large however it came (chunked too);
	// one that cannot be read otherwise fails the CSRF check below.
	if err := bounds.ParseForm(r, 16<<10); errors.As(err, new(*http.MaxBytesError)) {
		s.fail(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	ck, err := r.Cookie(loginCSRFCookie)
	if err != nil || !hmac.Equal([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) {
		s.renderLogin(w, r, http.StatusForbidden, email, "The sign-in form expired. Please try again.")
		return
	}
	addr := web.ClientAddress(r, s.TrustedProxies)
	var st *lt.Staff
	v, refused, err := s.throttle.checkStep(r.Context(), email, addr, s.trustedDevice(r, email), func() (verdict, error) {
		var err error
		st, err = s.Store.AuthenticateStaff(r.Context(), email, password)
		switch {
		case lt.ErrorCode(err) == lt.EUNAUTHENTICATED:
			return wrong, nil
		case err != nil:
			return wrong, err
		case st.TwoFactor:
			return rightKeep, nil
		}
		return rightForget, nil
	})
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case refused != nil:
		w.Header().Set("Retry-After", itoa(refused.retryAfter()))
		s.renderLogin(w, r, refused.status, email, refused.message("failed sign-ins"))
		return
	case v == wrong:
		s.Store.AuditEvent(r.Context(), lt.Actor{Name: "anonymous", ClientIP: addr}, lt.EventStaffSignInFailed, map[string]any{"email": lt.RecordedText(email, 200)})
		s.renderLogin(w, r, http.StatusUnauthorized, email, "Wrong email or password.")
		return
	case st.TwoFactor:
		s.startSecondStep(w, r, st, addr)
		return
	}
	value, err := s.Store.CreateSession(r.Context(), st.ID, addr, r.UserAgent())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Store.AuditEvent(r.Context(), lt.Actor{Name: st.Actor(), ClientIP: addr}, lt.EventStaffSignedIn, nil)
	s.clearCookie(w, loginCSRFCookie)
	s.setCookie(w, sessionCookie, value, int(lt.SessionMax.Seconds()))
	s.setDevice(w, st.ID, email)
	next := safeNext(r.PostFormValue("next"))
	if st.MustChangePassword {
		next = "/admin/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	if err := s.Store.DeleteSession(r.Context(), c.value); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Store.AuditEvent(r.Context(), c.actor(r, s), lt.EventStaffSignedOut, nil)
	s.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

func (s *Server) showPassword(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", s.page(r, "Change password", ""))
}

// changePassword checks the new password first and the current one only
// when the new one is acceptable, so an answer tells whether a guessed
// current password was right only when nothing else was wrong. The check
// of the current password goes through the same throttle as signing in,
// under the same keys (the staff member's email and the client network),
// and a wrong one is audited.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	current, next, again := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
	p := s.page(r, "Change password", "")
	switch {
	case len(next) < lt.MinPasswordLen:
		p.Errors = map[string]string{"password": "The new password needs at least " + strconv.Itoa(lt.MinPasswordLen) + " characters."}
	case next == current:
		p.Errors = map[string]string{"password": "The new password is the one you have now: choose another."}
	case next != again:
		p.Errors = map[string]string{"confirm": "The two new passwords differ: type the same one twice."}
	}
	if p.Errors != nil {
		s.render(w, r, http.StatusBadRequest, "password", p)
		return
	}
	addr := web.ClientAddress(r, s.TrustedProxies)
	// The new password's hash is made under the same slot as the check.
	right, refused, err := s.throttle.check(r.Context(), c.staff.Email, addr, "", func() (bool, error) {
		_, err := s.Store.AuthenticateStaff(r.Context(), c.staff.Email, current)
		if lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return true, s.Store.SetStaffPassword(r.Context(), c.staff.ID, next, false)
	})
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case refused != nil:
		w.Header().Set("Retry-After", itoa(refused.retryAfter()))
		p.Message = refused.message("wrong passwords")
		s.render(w, r, refused.status, "password", p)
		return
	case !right:
		s.Store.AuditEvent(r.Context(), c.actor(r, s), lt.EventStaffPasswordChangeFailed, nil)
		p.Errors = map[string]string{"current": "That is not the password you have now."}
		s.render(w, r, http.StatusBadRequest, "password", p)
		return
	}
	// Other sessions end: whoever knew the old password is signed out.
	if err := s.Store.DeleteStaffSessions(r.Context(), c.staff.ID, c.value); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Store.AuditEvent(r.Context(), c.actor(r, s), lt.EventStaffPassword, nil)
	http.Redirect(w, r, "/admin/login-tokens", http.StatusSeeOther)
}
