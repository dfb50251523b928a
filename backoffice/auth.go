package backoffice

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"sync"
	"time"

	lt "github.com/logintokens/logintokens"
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

// signIn checks the password. Failures are audited and slow down per
// email and per address; the answer never says which part was wrong.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	ck, err := r.Cookie(loginCSRFCookie)
	if err != nil || !hmac.Equal([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) {
		s.renderLogin(w, r, http.StatusForbidden, email, "The sign-in form expired. Please try again.")
		return
	}
	addr := s.clientAddress(r)
	if wait := s.throttle.wait(email, addr); wait > 0 {
		w.Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
		s.renderLogin(w, r, http.StatusTooManyRequests, email,
			"Too many failed sign-ins. Please wait "+itoa(int(wait.Seconds())+1)+" seconds and try again.")
		return
	}
	st, err := s.Store.AuthenticateStaff(r.Context(), email, password)
	if err != nil {
		if lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
			s.fail(w, r, err)
			return
		}
		s.throttle.fail(email, addr)
		s.Store.AuditEvent(r.Context(), lt.Actor{Name: "anonymous", ClientIP: addr}, lt.EventStaffSignInFailed, map[string]any{"email": truncate(email, 200)})
		s.renderLogin(w, r, http.StatusUnauthorized, email, "Wrong email or password.")
		return
	}
	s.throttle.success(email, addr)
	value, err := s.Store.CreateSession(r.Context(), st.ID, addr, r.UserAgent())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Store.AuditEvent(r.Context(), lt.Actor{Name: st.Actor(), ClientIP: addr}, lt.EventStaffSignedIn, nil)
	s.clearCookie(w, loginCSRFCookie)
	s.setCookie(w, sessionCookie, value, int(lt.SessionMax.Seconds()))
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

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	current, next, again := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
	p := s.page(r, "Change password", "")
	var v lt.Validation
	if _, err := s.Store.AuthenticateStaff(r.Context(), c.staff.Email, current); err != nil {
		v.Add("current", "is not your current password")
	}
	switch {
	case len(next) < lt.MinPasswordLen:
		v.Add("password", "must be at least %d characters", lt.MinPasswordLen)
	case next == current:
		v.Add("password", "must differ from the current password")
	case next != again:
		v.Add("confirm", "does not match the new password")
	}
	if err := v.Err(); err != nil {
		p.Errors = fieldErrors(err)
		s.render(w, r, http.StatusBadRequest, "password", p)
		return
	}
	if err := s.Store.SetStaffPassword(r.Context(), c.staff.ID, next, false); err != nil {
		s.fail(w, r, err)
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

// throttle slows down repeated sign-in failures per email and per client
// address: after freeFailures, each further try must wait twice as long as
// the one before, up to maxWait. A success clears the email's record.
type throttle struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

const (
	freeFailures = 5
	maxWait      = 5 * time.Minute
	forgetAfter  = 30 * time.Minute
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, seen: map[string]*failures{}}
}

func (t *throttle) wait(email, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var longest time.Duration
	for _, k := range []string{"e:" + email, "a:" + addr} {
		f := t.seen[k]
		if f == nil || f.n < freeFailures {
			continue
		}
		if now.Sub(f.last) > forgetAfter {
			delete(t.seen, k)
			continue
		}
		d := min(time.Second<<min(f.n-freeFailures, 16), maxWait)
		if left := f.last.Add(d).Sub(now); left > longest {
			longest = left
		}
	}
	return longest
}

func (t *throttle) fail(email, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range []string{"e:" + email, "a:" + addr} {
		f := t.seen[k]
		if f == nil || now.Sub(f.last) > forgetAfter {
			f = &failures{}
			t.seen[k] = f
		}
		f.n++
		f.last = now
	}
	if len(t.seen) > 100_000 {
		for k, f := range t.seen {
			if now.Sub(f.last) > forgetAfter {
				delete(t.seen, k)
			}
		}
	}
}

func (t *throttle) success(email, _ string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.seen, "e:"+email)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
