package demoshop

import "net/http"

// signedOutPage is the data of the page a visitor without a session sees.
type signedOutPage struct {
	SignedOut bool // just signed out
	// OIDC: the shop can send the visitor to the login service's sign-in
	// page (OpenID Connect).
	OIDC bool
}

// showHome is the catalogue for a signed-in visitor, else a page saying how
// to sign in.
func (sh *shop) showHome(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.current(r)
	if !ok {
		sh.render(w, http.StatusOK, "signedout", &pageData{Title: "Not signed in",
			Data: signedOutPage{SignedOut: r.URL.Query().Has("signedout"), OIDC: sh.rp != nil}}, false)
		return
	}
	sh.render(w, http.StatusOK, "home", &pageData{Title: "Catalogue", Session: &sess, Data: catalogue}, false)
}

// signOut ends the session: POST /shop/logout with the CSRF token.
func (sh *shop) signOut(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.current(r)
	if ok {
		if !validCSRF(r, sess) {
			sh.fail(w, r, http.StatusForbidden, "Form expired", "This form is out of date. Reload the page and try again.")
			return
		}
		sh.sessions.delete(sess.id)
		sh.log.Info("demoshop: signed out", "sub", sess.Who.Subject)
	}
	sh.clearSessionCookie(w)
	http.Redirect(w, r, sh.base+"/?signedout", http.StatusSeeOther)
}
