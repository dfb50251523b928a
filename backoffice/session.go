package backoffice

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/web"
)

const (
	sessionCookie = "lt_session"
	// loginCSRFCookie protects the sign-in form itself (before a session
	// exists) as a double-submit token.
	loginCSRFCookie = "lt_login_csrf"
)

var errNoSession = lt.Errorf(lt.EUNAUTHENTICATED, "sign in first")

type ctxKey int

const sessionKey ctxKey = 1

// current is the signed-in staff member of a request.
type current struct {
	staff *lt.Staff
	value string // the session cookie value
	csrf  string
}

func currentFrom(ctx context.Context) *current {
	c, _ := ctx.Value(sessionKey).(*current)
	return c
}

// actor names the staff member in the audit trail.
func (c *current) actor(r *http.Request, s *Server) lt.Actor {
	return lt.Actor{Name: c.staff.Actor(), ClientIP: web.ClientAddress(r, s.TrustedProxies)}
}

func (c *current) can(area lt.Area, level lt.Level) bool { return c.staff.Grants.Allows(area, level) }

// csrfFor derives the session's CSRF token: an HMAC of a fixed label keyed
// by the session value, so it needs no storage and dies with the session.
func csrfFor(sessionValue string) string {
	m := hmac.New(sha256.New, []byte(sessionValue))
	m.Write([]byte("logintokens backoffice csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// requireSession lets a request through with a live session and the
// route's grant (zero = any staff member); state-changing methods also need
// the CSRF token. Without a session, pages redirect to sign-in. The
// session is found by its cookie alone, before anything of the body is
// read: a request without one costs nothing however large its body.
func (s *Server) requireSession(rt route) http.Handler {
	need, h := rt.need, rt.handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sess *lt.Session
		ck, err := r.Cookie(sessionCookie)
		if err != nil {
			ck, err = &http.Cookie{}, errNoSession
		} else {
			sess, err = s.Store.FindSession(r.Context(), ck.Value)
		}
		if err != nil {
			if lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
				s.fail(w, r, err)
				return
			}
			s.clearCookie(w, sessionCookie)
			if r.Method == http.MethodGet && !wantsJSON(r) {
				http.Redirect(w, r, signInURL(r), http.StatusSeeOther)
				return
			}
			s.fail(w, r, lt.Errorf(lt.EUNAUTHENTICATED, "sign in first"))
			return
		}
		c := &current{staff: sess.Staff, value: ck.Value, csrf: csrfFor(ck.Value)}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey, c))
		if !isSafe(r.Method) {
			if r, err = checkCSRF(w, r, c, rt.upload); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		// The first admin's generated password must be changed before
		// anything else.
		if sess.Staff.MustChangePassword && r.URL.Path != "/admin/password" && r.URL.Path != "/admin/logout" {
			http.Redirect(w, r, "/admin/password", http.StatusSeeOther)
			return
		}
		// While a second factor is required, who has none sets one up
		// before anything else.
		if !sess.Staff.TwoFactor && !twoFactorOpen(r.URL.Path) {
			required, err := s.Store.TwoFactorRequired(r.Context())
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if required {
				if r.Method == http.MethodGet && !wantsJSON(r) {
					http.Redirect(w, r, "/admin/two-factor", http.StatusSeeOther)
					return
				}
				s.fail(w, r, lt.Errorf(lt.EFORBIDDEN, "two-factor sign-in is required: set it up under Two-factor first"))
				return
			}
		}
		if need.Level != lt.LevelNone && !c.can(need.Area, need.Level) {
			s.fail(w, r, lt.Errorf(lt.EFORBIDDEN, "this page needs the %s grant (%s holds %s), which your account does not have; ask an owner", need, need.Area, need.Area.Holds()))
			return
		}
		// What a URL's query gives every page must be text: no control
		// character (PostgreSQL refuses NUL), valid UTF-8.
		if err := lt.CheckQueryText(r.URL.Query()); err != nil {
			s.fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

var errCSRF = lt.Errorf(lt.EFORBIDDEN, "the form has expired or did not come from this site; reload the page and try again")

// maxCSRFField bounds what is read of an upload's CSRF field: the token is
// 43 characters.
const maxCSRFField = 256

// checkCSRF checks the session's CSRF token, from the X-CSRF-Token header
// or the form, and reads no more of the body than that needs. A form is
// parsed here, within the route's body limit, so that one too large is
// refused (413) before the handler runs. An upload is not parsed: its
// token must come first, as the form's first field, and only that part is
// read; a file before it is refused. The handler reads the rest from
// uploadParts. (An upload's route that gets an ordinary form reads it as
// one, within the ordinary limit.)
func checkCSRF(w http.ResponseWriter, r *http.Request, c *current, upload bool) (*http.Request, error) {
	inHeader := hmac.Equal([]byte(r.Header.Get("X-CSRF-Token")), []byte(c.csrf))
	if upload {
		if inHeader {
			return r, nil
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
			// No file then: an ordinary form, of an ordinary size.
			r.Body = http.MaxBytesReader(w, r.Body, bounds.DefaultMaxBody)
			return checkCSRF(w, r, c, false)
		}
		parts, err := r.MultipartReader()
		if err != nil {
			return r, errCSRF
		}
		first, err := parts.NextPart()
		if err != nil {
			if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
				return r, err
			}
			return r, errCSRF
		}
		if first.FormName() != "csrf" || first.FileName() != "" {
			return r, errCSRF
		}
		token, err := io.ReadAll(io.LimitReader(first, maxCSRFField))
		if err != nil || !hmac.Equal(token, []byte(c.csrf)) {
			return r, errCSRF
		}
		return r.WithContext(context.WithValue(r.Context(), partsKey, parts)), nil
	}
	if err := bounds.ParseForm(r, bounds.DefaultMaxBody); err != nil {
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			return r, err
		}
		return r, lt.Errorf(lt.EINVALID, "the form could not be read")
	}
	if inHeader || hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(c.csrf)) {
		return r, nil
	}
	return r, errCSRF
}

const partsKey ctxKey = 2

// uploadParts returns the reader of an upload's parts after its CSRF
// field, which the session check has read; or from the first part when
// the token came in the X-CSRF-Token header.
func uploadParts(r *http.Request) (*multipart.Reader, error) {
	if parts, ok := r.Context().Value(partsKey).(*multipart.Reader); ok {
		return parts, nil
	}
	return r.MultipartReader()
}

// signInURL is where a page asked for without a session sends the
// browser: sign-in, then back to the page, unless its address is too long
// to carry along.
func signInURL(r *http.Request) string {
	if next := withoutSecret(r.URL.RequestURI(), "/admin/"); len(next) <= maxReturnAddress {
		return "/admin/login?next=" + url.QueryEscape(next)
	}
	return "/admin/login"
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) { s.setCookie(w, name, "", -1) }

// maxReturnAddress bounds an address a form or a URL asks to return to
// (next, back): a longer one is not followed, so that no request can make
// a redirect carry a value of any size.
const maxReturnAddress = 2048

// safeNext keeps a post-sign-in redirect inside the backoffice.
func safeNext(next string) string {
	if len(next) > maxReturnAddress || !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/login-tokens"
	}
	return withoutSecret(next, "/admin/login-tokens")
}

// redirectWithoutSecrets answers a request whose query holds a token value
// or API key (in a parameter's name or value) with a redirect to the same
// page without those parameters, and reports whether it did. Pages that
// show their query back (in links, forms, the search box) call it first:
// no directory search or filter looks for a value, and none is shown.
func redirectWithoutSecrets(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	clean := url.Values{}
	for k, vs := range q {
		if !lt.HoldsSecret(k) && !slices.ContainsFunc(vs, lt.HoldsSecret) {
			clean[k] = vs
		}
	}
	if len(clean) == len(q) {
		return false
	}
	target := r.URL.Path
	if e := clean.Encode(); e != "" {
		target += "?" + e
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return true
}

// withoutSecret keeps a token value or API key out of a redirect built
// from a request: target without its query when the query holds one (as
// written or percent-decoded), fallback when its path does.
func withoutSecret(target, fallback string) string {
	holds := func(s string) bool {
		dec, err := url.QueryUnescape(s)
		return lt.HoldsSecret(s) || (err == nil && lt.HoldsSecret(dec))
	}
	if !holds(target) {
		return target
	}
	path, _, _ := strings.Cut(target, "?")
	if holds(path) {
		return fallback
	}
	return path
}
