package signin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/redeem"
)

// Bounds on what POST /login reads: a token value is at most 100
// characters and a return path a URL's path and query.
const (
	maxLoginBody  = 16 << 10
	maxReturnPath = 2048
)

// showLink answers GET and HEAD /login?token=VALUE: a page whose one
// button posts the value to POST /login. It looks nothing up and counts
// nothing, so a mail scanner or link preview that follows the link, even
// one that runs the page's script, burns nothing; and the page says
// nothing of the token, not even whether it exists.
func (s *Server) showLink(w http.ResponseWriter, r *http.Request) {
	headers(w, noFrame, "'self'")
	q := r.URL.Query()
	value := q.Get("token")
	if value == "" {
		s.render(w, http.StatusOK, "message", &page{
			Title:   "Sign in with your link",
			Message: "This page signs you in to the shop with your personal sign-in link.",
			Advice:  "Open the link from your email or message again. If you have no link, or it does not work, ask your contact at the shop for a new one.",
		})
		return
	}
	ret, _ := ReturnPath(q.Get("return"))
	s.render(w, http.StatusOK, "message", &page{
		Title:   "Sign in",
		Message: "Press the button to sign in to the shop.",
		Form:    loginForm(value, ret, "Sign in", s.cfg.LinkAutosubmit),
	})
}

// loginForm posts a value to POST /login. It is built from the value and
// the return path alone, never from the page's own URL.
func loginForm(value, ret, button string, auto bool) *form {
	f := &form{Action: "/login", Fields: []field{{"token", value}}, Button: button, Auto: auto}
	if ret != "" {
		f.Fields = append(f.Fields, field{"return", ret})
	}
	return f
}

// redeemLink answers POST /login: it redeems the value and hands the
// assertion to the shop, or says why it cannot. There is no CSRF token:
// there is no session to protect, the value itself is the credential, and
// the backoffice's "Open webshop as ..." posts here directly.
func (s *Server) redeemLink(w http.ResponseWriter, r *http.Request) {
	headers(w, noFrame, "'self'")
	if framedElsewhere(r, noFrame) {
		s.refuseFramed(w, "Open your sign-in link in a window of its own.")
		return
	}
	if err := parseForm(r); err != nil {
		s.render(w, formStatus(err), "message", &page{
			Title:   "The sign-in could not be read",
			Message: "The sign-in could not be read.",
			Advice:  "Open your sign-in link again.",
		})
		return
	}
	value := strings.TrimSpace(r.PostForm.Get("token"))
	ret, _ := ReturnPath(r.PostForm.Get("return"))
	if value == "" {
		s.render(w, http.StatusBadRequest, "message", &page{
			Title:   "No sign-in link",
			Message: "No sign-in link came with this request.",
			Advice:  "Open the link from your email or message again. If you have no link, ask your contact at the shop for a new one.",
		})
		return
	}
	res, err := s.redeem(r, value, "login", nil)
	s.answer(w, r, entryLink, res, err, ret, loginForm(value, ret, "Try again", false), nil)
}

// parseForm reads a form body, URL-encoded or multipart; one past the
// route's limit is an *http.MaxBytesError, chunked or not.
func parseForm(r *http.Request) error { return bounds.ParseForm(r, maxLoginBody) }

// formStatus is the status of a form that could not be read: 413 for one
// past the route's limit, else 400.
func formStatus(err error) int {
	if errors.As(err, new(*http.MaxBytesError)) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// entry is the way a person came in: it words the failure pages.
type entry int

const (
	entryLink entry = iota // a login link, /login
	entryOCI               // a procurement system, /oci/login
	entryShop              // a shop's sign-in page, /oidc/login
)

// explain says in plain words why a redeem failed and what to do. tok is
// the refused token where the store says which (nil otherwise).
func explain(code string, e entry, retryAfter time.Duration, tok *lt.LoginToken) (message, advice string) {
	what, ask := "This sign-in link", "Ask your contact at the shop for a new link."
	switch e {
	case entryOCI:
		what = "The login token of this shop catalogue"
		ask = "Ask your procurement system's administrator to check the catalogue's settings, or your contact at the shop for a new login token."
	case entryShop:
		what, ask = "This login token", "Ask your contact at the shop for a new login token."
	}
	switch code {
	case lt.ETOKENINVALID:
		switch e {
		case entryLink:
			return what + " is not valid.", "Check that you opened the whole link: some mail programs cut long links. If it still does not work, ask your contact at the shop for a new link."
		case entryShop:
			return what + " is not valid.", "Check that you entered the whole token. If it still does not work, ask your contact at the shop for a new one."
		}
		return what + " is not valid.", ask
	case lt.ENETWORKREFUSED:
		return what + " may only be used from certain networks, and this one is not among them.",
			"Sign in from your company's network (or its VPN), or ask your contact at the shop to allow the network you are on."
	case lt.ETOKENUSED:
		if tok != nil && tok.MaxUses != nil && *tok.MaxUses > 1 {
			return what + " was for " + strconv.FormatInt(*tok.MaxUses, 10) + " uses, and all have been used.", ask
		}
		return what + " was for one use only and has been used.", ask
	case lt.ETOKENEXPIRED:
		return what + " has expired.", ask
	case lt.EUSERDISABLED:
		return "The account of " + lowerFirst(what) + " is disabled.", "If you think it should not be, ask your contact at the shop to enable it or to give you a new link."
	case lt.ERATELIMITED:
		return "There were too many failed sign-in attempts from your network.", "Wait " + seconds(retryAfter) + ", then try again."
	case lt.EUNAVAILABLE:
		return "The sign-in service is briefly unavailable.", "Try again in a few seconds."
	}
	return "Something went wrong on our side.", "Try again in a moment. If it keeps happening, tell your contact at the shop."
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func seconds(d time.Duration) string {
	n := web.RetryAfter(d)
	if n == 1 {
		return "a second"
	}
	if n >= 55 && n <= 60 {
		return "a minute"
	}
	return strconv.Itoa(n) + " seconds"
}

// titles are the pages' titles by outcome.
var titles = map[string]string{
	lt.ETOKENINVALID:   "Sign-in link not valid",
	lt.ENETWORKREFUSED: "Not allowed from this network",
	lt.ETOKENUSED:      "Sign-in link already used",
	lt.ETOKENEXPIRED:   "Sign-in link expired",
	lt.EUSERDISABLED:   "Account disabled",
	lt.ERATELIMITED:    "Too many attempts",
}

// answer answers a redeem: on success, for a token bound to a shop with
// an initiate-login URI, a redirect there through the provider, else the
// hand-off page that form-posts the assertion (and the return path) to
// the shop's callback; on a refusal, with the API's status, a page that
// says why and what to do. retry is offered where trying again can help:
// after a wait, or after an error of ours. oci is the punchout's
// parameters, which a shop of the provider gets in its ID token.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, e entry, res redeem.Result, err error, ret string, retry *form, oci map[string]string) {
	fr := noFrame
	if e == entryOCI {
		fr = s.ociFrame
	}
	if err == nil && res.Code == "" && s.cfg.Provider != nil {
		var target *url.URL
		if target, err = s.cfg.Provider.ContinueAtShop(w, r, res.Token, oci, ret); target != nil && err == nil {
			s.continueAtShop(w, target, fr)
			return
		}
	}
	if err != nil {
		s.failed(w, r, err, e, retry)
		return
	}
	if res.Code != "" {
		msg, advice := explain(res.Code, e, res.RetryAfter, res.Token)
		p := &page{Title: titles[res.Code], Message: msg, Advice: advice}
		if e == entryOCI && res.Code != lt.ERATELIMITED {
			p.Title = "Shop catalogue sign-in failed"
		}
		if res.Code == lt.ERATELIMITED {
			web.Refused(w, r, &web.RateLimited{Wait: res.RetryAfter}, s.outages)
			p.Form = retry
		}
		s.render(w, web.Status(res.Code), "message", p)
		return
	}
	if s.callback == nil {
		// Said once, at start (serve), not once a sign-in: the page tells
		// the person, the redeem is audited.
		s.render(w, http.StatusOK, "handoff", &page{Title: "Signed in", NoShop: true,
			Message: "You are signed in, but no shop is configured to continue to.",
			Advice:  "Please tell your contact at the shop."})
		return
	}
	// The page posts to the shop's callback: its CSP may not restrict
	// form-action to this origin (see headers).
	headers(w, fr, "")
	f := &form{Action: s.callback.String(), Fields: []field{{"assertion", res.Assertion}}, Button: "Continue to the shop", Auto: true}
	if ret != "" {
		f.Fields = append(f.Fields, field{"return", ret})
	}
	s.render(w, http.StatusOK, "handoff", &page{Title: "Signed in", Message: "You are signed in. Taking you to the shop…", Form: f})
}

// failed answers an error of ours (or the database's) during a sign-in.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error, e entry, retry *form) {
	code, title := lt.EUNAVAILABLE, "Briefly unavailable"
	if lt.ErrorCode(err) == lt.EUNAVAILABLE {
		web.Refused(w, r, err, s.outages)
	} else {
		code, title = lt.EINTERNAL, "Something went wrong"
		s.log.ErrorContext(r.Context(), "sign-in failed", "route", r.Pattern, "err", err)
	}
	msg, advice := explain(code, e, 0, nil)
	tmpl := "message"
	if e == entryShop && retry != nil {
		tmpl = "shop"
	}
	s.render(w, web.Status(code), tmpl, &page{Title: title, Message: msg, Advice: advice, Form: retry})
}

// ReturnPath accepts a return path that travels to the shop: a path on
// the shop's own site, starting with exactly one "/". It refuses what a
// browser could read as another site ("//evil", "/\evil", a scheme),
// control characters (browsers drop tabs and line breaks, so "/\t/evil"
// is "//evil"), and invalid UTF-8. A refused path is dropped, not an
// error: the sign-in goes on to the shop's default page.
func ReturnPath(s string) (string, bool) {
	if s == "" || len(s) > maxReturnPath || s[0] != '/' || !utf8.ValidString(s) {
		return "", false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return "", false
	}
	for _, c := range s {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) || unicode.IsSpace(c) {
			return "", false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return s, true
}
