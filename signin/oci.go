package signin

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"

	lt "github.com/logintokens/logintokens"
)

// Bounds on an OCI punchout request. SAP systems send a dozen or two
// parameters; a hook URL with its query is rarely past a few hundred
// characters.
const (
	maxOCIBody      = 64 << 10
	maxOCIParams    = 64
	maxOCINameLen   = 64
	maxOCIValueLen  = 2048
	maxOCIShownHook = 200
)

// ociCredentials name the parameters a token may come in, in the order
// they are tried; USERNAME is the other half of SAP's login fields and is
// ignored. None of them ever reaches the assertion.
var (
	ociTokenParams  = []string{"token", "mtoken", "PASSWORD"}
	ociCredentials  = map[string]bool{"token": true, "mtoken": true, "password": true, "username": true}
	ociHookParam    = "HOOK_URL"
	ociNamedClaims  = []struct{ param, claim string }{{"~OkCode", "okCode"}, {"~TARGET", "target"}, {"~CALLER", "caller"}, {"returntarget", "returnTarget"}}
	ociReservedKeys = map[string]bool{"hookurl": true, "okcode": true, "target": true, "caller": true, "returntarget": true}
)

// punchout answers GET and POST /oci/login, the OCI punchout entry: a
// procurement system opens it with the token and its HOOK_URL. The hook
// must be allowed before anything is looked up; then the entry redeems at
// once (procurement systems open it, mail never carries it) and hands the
// assertion, with the punchout parameters in its oci claim, to the shop.
// Its pages may be framed by the allowed procurement systems, which show
// the shop in a frame of their own page.
func (s *Server) punchout(w http.ResponseWriter, r *http.Request) {
	headers(w, s.ociFrame, "'self'")
	if len(s.cfg.OCIHookAllow) == 0 {
		s.render(w, http.StatusNotFound, "message", &page{
			Title:   "OCI punchout is not enabled",
			Message: "OCI punchout is not enabled on this service.",
			Advice:  "Ask your contact at the shop to enable it for your procurement system.",
		})
		return
	}
	if r.Method == http.MethodHead {
		// A link checker's HEAD must not sign anyone in.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return
	}
	if framedElsewhere(r, s.ociFrame) {
		s.refuseFramed(w, "Ask your procurement system's administrator to open the shop in a window of its own, "+
			"or your contact at the shop to allow your procurement system's address to show it in a frame.")
		return
	}
	params, err := s.ociParams(w, r)
	if err != nil {
		s.render(w, formStatus(err), "message", &page{
			Title:   "Punchout request not readable",
			Message: "The punchout request could not be read: it has too many or too long parameters.",
			Advice:  "Ask your procurement system's administrator to check the shop catalogue's settings.",
		})
		return
	}
	hook, _ := lookup(params, ociHookParam)
	if hook == "" {
		s.render(w, http.StatusBadRequest, "message", &page{
			Title:   "Punchout request without HOOK_URL",
			Message: "The punchout request has no HOOK_URL, so the shop could not send your cart back.",
			Advice:  "Ask your procurement system's administrator to check the shop catalogue's settings.",
		})
		return
	}
	if !HookAllowed(hook, s.cfg.OCIHookAllow) {
		s.render(w, http.StatusBadRequest, "message", &page{
			Title:   "Procurement system not allowed",
			Message: "The shop does not accept carts for this procurement system's address (HOOK_URL " + showHook(hook) + ").",
			Advice:  "Ask your contact at the shop to allow your procurement system's address.",
		})
		return
	}
	var value string
	for _, name := range ociTokenParams {
		if v, _ := lookup(params, name); v != "" {
			value = strings.TrimSpace(v)
			break
		}
	}
	if value == "" {
		s.render(w, http.StatusBadRequest, "message", &page{
			Title:   "Punchout request without login token",
			Message: "The punchout request has no login token (token, mtoken or PASSWORD).",
			Advice:  "Ask your procurement system's administrator to check the shop catalogue's settings.",
		})
		return
	}
	oci := ociClaim(params, hook)
	res, err := s.redeem(r, value, "oci", oci)
	s.answer(w, r, entryOCI, res, err, "", nil, oci)
}

// ociParams reads the request's parameters: the query of a GET, the body
// (then the query) of a POST; the first value of each name. It refuses a
// request past the bounds; a body past the route's limit is an
// *http.MaxBytesError.
func (s *Server) ociParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method == http.MethodPost {
		if err := parseForm(r); err != nil {
			return nil, err
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, err
	}
	n := 0
	for name, vs := range r.Form {
		n += len(vs)
		if n > maxOCIParams || len(name) > maxOCINameLen {
			return nil, errOCIBounds
		}
		for _, v := range vs {
			if len(v) > maxOCIValueLen {
				return nil, errOCIBounds
			}
		}
	}
	return r.Form, nil
}

var errOCIBounds = errors.New("too many or too long OCI parameters")

// lookup finds a parameter by its name, else by the name in another case:
// OCI's names are case-sensitive, but SAP systems vary (HOOK_URL,
// hook_url). Of several spellings, the exact one wins, then the first in
// sorted order, so the choice does not depend on map order.
func lookup(params url.Values, name string) (string, bool) {
	if vs, ok := params[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	for _, k := range sortedKeys(params) {
		if strings.EqualFold(k, name) && len(params[k]) > 0 {
			return params[k][0], true
		}
	}
	return "", false
}

func sortedKeys(params url.Values) []string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ociClaim is the assertion's oci claim: hookUrl, okCode, target, caller
// and returnTarget under their claim names, and every other parameter the
// request had under its own name, first value; never a credential. A
// parameter that would pass for one of the claim's own keys (hookUrl,
// Target, ...) is dropped, so a request cannot overwrite the hook.
func ociClaim(params url.Values, hook string) map[string]string {
	claim := map[string]string{}
	skip := map[string]bool{strings.ToLower(ociHookParam): true}
	for _, n := range ociNamedClaims {
		skip[strings.ToLower(n.param)] = true
	}
	for _, k := range sortedKeys(params) {
		lk := strings.ToLower(k)
		if k == "" || len(params[k]) == 0 || ociCredentials[lk] || skip[lk] || ociReservedKeys[lk] {
			continue
		}
		claim[k] = params[k][0]
	}
	claim["hookUrl"] = hook
	for _, n := range ociNamedClaims {
		if v, ok := lookup(params, n.param); ok {
			claim[n.claim] = v
		}
	}
	return claim
}

// HookAllowed reports whether an OCI HOOK_URL matches one of the allowed
// URLs: the same scheme, host and port (a default port written or not),
// and a path that is the allowed path exactly, or lies under it at a "/"
// (an allowed path that ends in "/" is a prefix only). So where
// https://srm.acme.test/sap/ is allowed, https://srm.acme.test/sap/bc/hook
// is too, but not https://srm.acme.test/sapx, https://srm.acme.test.evil.example/
// or https://srm.acme.test@evil.example/; where the procurement system's
// own https://srm.acme.test/sap/bc/hook is allowed, that hook is (with any
// query), and so is https://srm.acme.test/sap/bc/hook/x, but not
// https://srm.acme.test/sap/bc/hookevil or .../hook.evil. A hook with a
// user or password, a backslash, white space, an encoded slash, a "." or
// ".." segment, a ";" in its path (a path parameter: servers read
// /sap/..;/admin as /admin) or a host that is not ASCII is refused: a
// browser posting the cart, or the server receiving it, could read it as
// another address than the one matched here (Go lowers "İ" to "i", a
// browser's IDNA mapping makes another host of it).
func HookAllowed(hook string, allow []*url.URL) bool {
	if strings.ContainsFunc(hook, func(c rune) bool { return c == '\\' || unicode.IsSpace(c) || unicode.IsControl(c) }) {
		return false
	}
	u, err := url.Parse(hook)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.ContainsFunc(u.Host, func(c rune) bool { return c > unicode.MaxASCII }) {
		return false
	}
	if strings.Contains(strings.ToLower(u.EscapedPath()), "%2f") || strings.Contains(strings.ToLower(u.EscapedPath()), "%5c") {
		return false
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	if strings.Contains(p, ";") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	host, port := hostPort(u)
	for _, a := range allow {
		if a == nil || a.User != nil {
			continue
		}
		ah, ap := hostPort(a)
		if strings.EqualFold(a.Scheme, u.Scheme) && ah == host && ap == port && pathWithin(p, a.Path) {
			return true
		}
	}
	return false
}

// pathWithin reports whether a hook's path is the allowed path itself or
// lies under it at a "/". An empty allowed path is "/", the whole host.
func pathWithin(p, allowed string) bool {
	if allowed == "" {
		allowed = "/"
	}
	if p == allowed {
		return true
	}
	if !strings.HasSuffix(allowed, "/") {
		allowed += "/"
	}
	return strings.HasPrefix(p, allowed)
}

// hostPort is a URL's host in lower case and its port, the scheme's
// default when none is written.
func hostPort(u *url.URL) (string, string) {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	if n, err := strconv.Atoi(port); err == nil {
		port = strconv.Itoa(n) // ":0443" is ":443"
	}
	return strings.ToLower(u.Hostname()), port
}

// showHook is a refused hook as the page shows it: scheme, host and path,
// never a user or password nor a token value's secret, cut short.
func showHook(hook string) string {
	u, err := url.Parse(hook)
	if err != nil || u.Host == "" {
		return "(not a URL)"
	}
	shown := lt.RedactSecrets((&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String())
	if len(shown) > maxOCIShownHook {
		shown = shown[:maxOCIShownHook] + "…"
	}
	return shown
}
