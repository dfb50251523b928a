package demoshop

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// maxCallbackBody bounds the callback form: an assertion is a few KB.
const maxCallbackBody = 64 << 10

// maxReturn bounds the return path the callback redirects to, as the
// login service bounds the one it passes on.
const maxReturn = 2048

// errorPage is the error template's data.
type errorPage struct {
	Reason     string
	Message    string
	SignInHint bool // suggest opening the login link again
}

// signIn takes the assertion the login service's page posts, verifies it
// and starts a shop session: POST /shop/callback with assertion and return.
func (sh *shop) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		sh.refuse(w, r, &refusal{status: http.StatusBadRequest, reason: "Unreadable form", message: "the sign-in form could not be read.", err: err})
		return
	}
	c, ref := sh.verifier.verify(r.Context(), r.PostFormValue("assertion"))
	if ref != nil {
		sh.refuse(w, r, ref)
		return
	}
	p, err := punchoutFrom(c.OCI)
	if err != nil {
		sh.refuse(w, r, &refusal{status: http.StatusBadRequest, reason: "Bad OCI claim", message: err.Error(), err: err})
		return
	}
	// A new sign-in always gets a new session id, whatever the browser had.
	for _, old := range r.CookiesNamed(cookieName) {
		sh.sessions.delete(old.Value)
	}
	who := identity{Subject: c.Subject, UserType: c.UserType, Name: c.Name, Email: c.Email,
		Company: c.Company, Act: c.Act, LoginToken: c.LoginToken}
	sess := sh.sessions.create(who, p, sh.now())
	sh.setSessionCookie(w, r, sess)
	attrs := []any{"sub", c.Subject, "loginToken", c.LoginToken, "oci", p != nil}
	if c.Act != nil {
		attrs = append(attrs, "act", c.Act.Sub)
	}
	sh.log.Info("demoshop: signed in", attrs...)
	http.Redirect(w, r, sh.safeReturn(r.PostFormValue("return")), http.StatusSeeOther)
}

func (sh *shop) refuse(w http.ResponseWriter, r *http.Request, ref *refusal) {
	sh.log.Info("demoshop: sign-in refused", "reason", ref.reason, "err", ref.err)
	p := &pageData{Title: "Sign-in refused", Data: errorPage{Reason: ref.reason, Message: ref.message, SignInHint: true}}
	sh.render(w, ref.status, "error", p, false)
}

// punchoutFrom reads the oci claim. A claim without hookUrl is no punchout
// session; a hookUrl that is not an absolute http(s) URL is refused, as the
// cart would be posted to it.
func punchoutFrom(m map[string]string) (*punchout, error) {
	hook := m["hookUrl"]
	if hook == "" {
		return nil, nil
	}
	u, err := url.Parse(hook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, errors.New("the oci claim's hookUrl is not an absolute http or https URL.")
	}
	p := &punchout{HookURL: hook}
	p.Options.OkCode, p.Options.Target, p.Options.Caller, p.Options.ReturnTarget = m["okCode"], m["target"], m["caller"], m["returnTarget"]
	return p, nil
}

// safeReturn is ret when it is a local path inside the shop, else the
// shop's home: the return parameter travels through the browser and must
// not redirect anywhere else.
func (sh *shop) safeReturn(ret string) string {
	home := sh.base + "/"
	if len(ret) > maxReturn || !strings.HasPrefix(ret, home) || strings.ContainsAny(ret, "\\") || strings.ContainsFunc(ret, isControl) {
		return home
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return home
	}
	// No way out through dot segments, percent-encoded or not.
	if p := path.Clean(u.Path); p != sh.base && !strings.HasPrefix(p, home) {
		return home
	}
	return ret
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
