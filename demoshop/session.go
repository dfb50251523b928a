package demoshop

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/logintokens/logintokens/oci"
)

const (
	cookieName = "demoshop_session"
	// sessionLifetime is how long a shop session lasts after sign-in; the
	// shop does not extend it, a new login link starts a new one.
	sessionLifetime = 8 * time.Hour
	maxQuantity     = 999
)

// identity is who the assertion signed in.
type identity struct {
	Subject    string
	UserType   string // contact, customer or anonymous
	Name       string
	Email      string
	Company    *company
	Act        *actor // set when staff opened the shop as the user
	LoginToken string
}

// Role is how the shop describes the user: "Contact of Acme", "Customer"
// or "Anonymous guest".
func (id identity) Role() string {
	switch id.UserType {
	case "contact":
		if id.Company != nil && id.Company.Name != "" {
			return "Contact of " + id.Company.Name
		}
		return "Contact"
	case "customer":
		return "Customer"
	}
	return "Anonymous guest"
}

// punchout is the OCI context of a session opened by a procurement system.
type punchout struct {
	HookURL string
	Options oci.Options
}

// cartLine is a product and how many of it, in the order it was added.
type cartLine struct {
	SKU string
	Qty int
}

// session is one signed-in visitor. Handlers work on copies; the store
// holds the original.
type session struct {
	id      string
	CSRF    string
	Who     identity
	OCI     *punchout
	Cart    []cartLine
	expires time.Time
}

// sessions is the shop's server-side session store.
type sessions struct {
	mu      sync.Mutex
	byID    map[string]*session
	sweptAt time.Time
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session and returns a copy.
func (s *sessions) create(who identity, p *punchout, now time.Time) session {
	sess := &session{id: randomToken(), CSRF: randomToken(), Who: who, OCI: p, expires: now.Add(sessionLifetime)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.sweptAt) >= time.Minute {
		for id, old := range s.byID {
			if !now.Before(old.expires) {
				delete(s.byID, id)
			}
		}
		s.sweptAt = now
	}
	s.byID[sess.id] = sess
	return sess.copy()
}

func (sess *session) copy() session {
	c := *sess
	c.Cart = slices.Clone(sess.Cart)
	return c
}

// get returns a copy of the live session with the id.
func (s *sessions) get(id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[id]
	if !ok || !now.Before(sess.expires) {
		return session{}, false
	}
	return sess.copy(), true
}

// update changes the session's cart under the store's lock.
func (s *sessions) update(id string, fn func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.byID[id]; ok {
		fn(sess)
	}
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// current is the request's session, if it has a live one. A browser may
// send two cookies of the name, the frame-safe one of a punchout and the
// ordinary one (sessionCookie): the first live session wins.
func (sh *shop) current(r *http.Request) (session, bool) {
	for _, c := range r.CookiesNamed(cookieName) {
		if c.Value == "" {
			continue
		}
		if sess, ok := sh.sessions.get(c.Value, sh.now()); ok {
			return sess, true
		}
	}
	return session{}, false
}

// sessionCookie is the session cookie, value "" to clear it. An ordinary
// session's is SameSite=Lax. An OCI session's must also work where the
// procurement system shows the shop in a frame of its own page, another
// site: SameSite=None, which browsers take only with Secure, and
// Partitioned (CHIPS), so that browsers that block third-party cookies
// keep it, for this procurement system's pages only. Browsers take Secure
// cookies over https, and over http from localhost.
func (sh *shop) sessionCookie(value string, expires time.Time, oci bool) *http.Cookie {
	c := &http.Cookie{Name: cookieName, Value: value, Path: sh.base, Expires: expires,
		HttpOnly: true, Secure: sh.secure, SameSite: http.SameSiteLaxMode}
	if oci {
		c.Secure, c.SameSite, c.Partitioned = true, http.SameSiteNoneMode, true
	}
	if value == "" {
		c.Expires, c.MaxAge = time.Time{}, -1
	}
	return c
}

// setSessionCookie starts the session's cookie and clears the other kind,
// which would name an older session.
func (sh *shop) setSessionCookie(w http.ResponseWriter, r *http.Request, sess session) {
	oci := sess.OCI != nil
	if _, err := r.Cookie(cookieName); err == nil {
		http.SetCookie(w, sh.sessionCookie("", time.Time{}, !oci))
	}
	http.SetCookie(w, sh.sessionCookie(sess.id, sess.expires, oci))
}

// clearSessionCookie clears both kinds of session cookie.
func (sh *shop) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, sh.sessionCookie("", time.Time{}, false))
	http.SetCookie(w, sh.sessionCookie("", time.Time{}, true))
}

// validCSRF reports whether the posted form carries the session's token.
func validCSRF(r *http.Request, sess session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// CartCount is the number of units in the cart.
func (sess session) CartCount() int {
	n := 0
	for _, l := range sess.Cart {
		n += l.Qty
	}
	return n
}
