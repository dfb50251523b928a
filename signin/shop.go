package signin

import (
	"net/http"
	"net/url"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// Provider is the OpenID Provider (package oidc) as the sign-in pages
// use it: the page of an authorization request redeems a token for the
// request's shop and hands it back to the provider, and a login link of a
// token bound to a shop continues at that shop.
type Provider interface {
	// Begin returns the shop of the authorization request id if this
	// browser started it (else NOT_FOUND). With resume it answers the
	// request at once where the browser's session or prompt=none decide
	// it, and reports that it did (handled).
	Begin(w http.ResponseWriter, r *http.Request, id string, resume bool) (shop *lt.Shop, handled bool, err error)
	// Finish signs the browser in with tok, just redeemed for the
	// request's shop, and answers the request with a code.
	Finish(w http.ResponseWriter, r *http.Request, id string, tok *lt.LoginToken) error
	// ContinueAtShop starts a provider session for tok and answers its
	// shop's initiate-login URI to send the browser to; nil when tok is
	// bound to no shop or to one without that URI.
	ContinueAtShop(w http.ResponseWriter, r *http.Request, tok *lt.LoginToken, oci map[string]string, returnPath string) (*url.URL, error)
	// PostFormsWith gives the provider the page that answers a shop
	// asking for its code by a form post (response_mode=form_post).
	PostFormsWith(fp func(w http.ResponseWriter, action string, fields [][2]string))
}

// Paths of the provider's pages that the sign-in server serves.
const (
	shopSignInPath = "/oidc/login"
	signedOutPath  = "/oidc/signed-out"
)

// shopForm is the sign-in page's form for the authorization request id.
func shopForm(id string) *form {
	return &form{Action: shopSignInPath, Fields: []field{{"id", id}}, Button: "Sign in"}
}

// continueAtShop answers a sign-in that goes on at the shop's
// initiate-login URI: a page whose form, sent by itself, takes the
// browser there. A page rather than a redirect: the login link's page
// restricts form-action to this origin, which browsers apply to the
// redirects of its form too. The shop's URI redirects on to the provider
// and back to wherever the shop's sign-in goes, so this page, like the
// form-post hand-off, does not restrict form-action.
func (s *Server) continueAtShop(w http.ResponseWriter, target *url.URL, fr frame) {
	q := target.Query()
	action := *target
	action.RawQuery = ""
	f := &form{Action: action.String(), Method: "get", Button: "Continue to the shop", Auto: true}
	for _, k := range sortedKeys(q) {
		f.Fields = append(f.Fields, field{k, q.Get(k)})
	}
	headers(w, fr, "")
	s.render(w, http.StatusOK, "handoff", &page{Title: "Signed in", Message: "You are signed in. Taking you to the shop…", Form: f})
}

// postForm answers a sign-in whose shop asks for its code by a form post
// (response_mode=form_post), or its error: the hand-off page, whose form posts the
// fields to the shop's redirect URI by itself, or by its button where no
// script runs. Like continueAtShop's, it does not restrict form-action:
// the shop may redirect on from there.
func (s *Server) postForm(w http.ResponseWriter, action string, fields [][2]string) {
	f := &form{Action: action, Button: "Continue to the shop", Auto: true}
	pg := &page{Title: "Signed in", Message: "You are signed in. Taking you to the shop…", Form: f}
	for _, kv := range fields {
		f.Fields = append(f.Fields, field{kv[0], kv[1]})
		if kv[0] == "error" {
			// An error response: no one was signed in.
			pg.Title, pg.Message = "Back to the shop", "Taking you back to the shop…"
		}
	}
	headers(w, noFrame, "")
	s.render(w, http.StatusOK, "handoff", pg)
}

// shopPage is the sign-in page of an authorization request of shop.
func shopPage(shop *lt.Shop, id string) *page {
	return &page{Title: "Sign in", Message: "Sign in to " + shop.Name + " with your login token.", Form: shopForm(id)}
}

// showShopSignIn answers GET /oidc/login?id=…, where the provider sends a
// browser with no session that may answer the shop's request: a page with
// one field, the login token.
func (s *Server) showShopSignIn(w http.ResponseWriter, r *http.Request) {
	headers(w, noFrame, "'self'")
	id := r.URL.Query().Get("id")
	shop, handled, err := s.cfg.Provider.Begin(w, r, id, true)
	if handled {
		return
	}
	if err != nil {
		s.shopRequestFailed(w, r, err)
		return
	}
	// The form's success is a redirect to the shop, which may redirect
	// anywhere in the shop: browsers apply form-action to every redirect
	// of the form's navigation, so the page may not restrict it.
	headers(w, noFrame, "")
	s.render(w, http.StatusOK, "shop", shopPage(shop, id))
}

// shopSignIn answers the sign-in page's form: it redeems the token for the
// request's shop, through the one redeem service with its messages and
// limits, and on success hands the token to the provider.
func (s *Server) shopSignIn(w http.ResponseWriter, r *http.Request) {
	headers(w, noFrame, "'self'")
	if framedElsewhere(r, noFrame) {
		s.refuseFramed(w, "Go back to the shop and sign in in a window of its own.")
		return
	}
	if err := parseForm(r); err != nil {
		s.render(w, http.StatusBadRequest, "message", &page{Title: "The sign-in could not be read",
			Message: "The sign-in could not be read.", Advice: "Go back to the shop and sign in again."})
		return
	}
	id := r.PostForm.Get("id")
	shop, _, err := s.cfg.Provider.Begin(w, r, id, false)
	if err != nil {
		s.shopRequestFailed(w, r, err)
		return
	}
	headers(w, noFrame, "") // as showShopSignIn's
	p := shopPage(shop, id)
	value := PastedToken(r.PostForm.Get("token"))
	if value == "" {
		p.Advice = "Enter your login token."
		s.render(w, http.StatusBadRequest, "shop", p)
		return
	}
	res, err := s.redeemAt(r, value, "oidc", nil, shop.ID)
	if err == nil && res.Code == "" {
		err = s.cfg.Provider.Finish(w, r, id, res.Token)
		if err == nil {
			return
		}
	}
	if err != nil {
		if lt.ErrorCode(err) == lt.ENOTFOUND {
			s.shopRequestFailed(w, r, err)
			return
		}
		s.failed(w, r, err, entryShop, p.Form)
		return
	}
	msg, advice := explain(res.Code, entryShop, res.RetryAfter, res.Token)
	if res.Code == lt.ERATELIMITED {
		web.Refused(w, r, &web.RateLimited{Wait: res.RetryAfter}, s.outages)
	}
	p.Message, p.Advice = msg, advice
	s.render(w, web.Status(res.Code), "shop", p)
}

// shopRequestFailed says that the authorization request cannot go on:
// expired, unknown, started in another browser, or an error of ours.
func (s *Server) shopRequestFailed(w http.ResponseWriter, r *http.Request, err error) {
	if lt.ErrorCode(err) != lt.ENOTFOUND {
		s.failed(w, r, err, entryShop, nil)
		return
	}
	s.render(w, http.StatusBadRequest, "message", &page{Title: "Sign-in expired",
		Message: "This sign-in has expired or was started in another browser.",
		Advice:  "Go back to the shop and sign in again."})
}

// showSignedOut is where a shop's sign-out ends when it names no page of
// its own to return to.
func (s *Server) showSignedOut(w http.ResponseWriter, r *http.Request) {
	headers(w, noFrame, "'self'")
	s.render(w, http.StatusOK, "message", &page{Title: "Signed out", Message: "You are signed out.",
		Advice: "You can close this page."})
}

// PastedToken is the token value of what a person pasted into the sign-in
// page: the value itself, or a whole login link (or OCI link) holding it
// in its token parameter.
func PastedToken(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "?") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	q := u.Query()
	for _, name := range []string{"token", "mtoken", "PASSWORD"} {
		if v := q.Get(name); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return s
}
