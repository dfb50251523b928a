// Package signin is sign-in in the browser (docs/signin.md): the login link's
// page at /login, which looks nothing up until a person presses its
// button, the redeem behind it, the OCI punchout entry at /oci/login, and
// the hand-off page that form-posts the signed assertion to the shop.
// Every redeem goes through the one redeem.Service the API uses, so the
// outcomes and the per-network failure limit are the same everywhere.
package signin

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/outage"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/redeem"
)

//go:embed templates static
var files embed.FS

// Metrics counts redeem outcomes: code is "" for a success, else the
// refusal's code. The API's metrics implement it, so the browser's redeems
// land in the same counter as the API's.
type Metrics interface {
	Redeemed(code string)
}

// Config is what sign-in is built from.
type Config struct {
	// Redeem is the service every sign-in path shares.
	Redeem *redeem.Service
	// ShopCallbackURL is where a success form-posts the assertion; ""
	// means no shop is configured.
	ShopCallbackURL string
	// OCIHookAllow are the HOOK_URL prefixes the OCI entry accepts (see
	// HookAllowed); empty turns OCI punchout off.
	OCIHookAllow []*url.URL
	// OCIFrameAncestors are the origins (scheme://host[:port]) whose pages
	// may show the OCI entry in a frame: procurement systems open the
	// catalogue in a frame of their own page. Empty: no one may.
	OCIFrameAncestors []string
	// LinkAutosubmit lets the login link's page submit itself, for shops
	// that accept that a mail scanner running JavaScript burns the link.
	LinkAutosubmit bool
	TrustedProxies []netip.Prefix
	Metrics        Metrics // nil counts nothing
	Logger         *slog.Logger
	// Outages reports sign-ins refused while the database is unavailable,
	// at most once per interval; one is made from Logger when nil.
	Outages *outage.Reporter
	// Provider is the OpenID Provider; nil serves no provider pages and
	// hands every sign-in to the callback.
	Provider Provider
}

// Server serves the sign-in routes.
type Server struct {
	cfg      Config
	ociFrame frame // who may frame the OCI entry's pages
	log      *slog.Logger
	pages    map[string]*template.Template
	assets   map[string]string // "submit.js" -> "submit.1a2b3c4d.js"
	files    map[string]string // "submit.1a2b3c4d.js" -> "static/submit.js"
	callback *url.URL
	outages  *outage.Reporter
}

// New returns the sign-in server.
func New(cfg Config) (*Server, error) {
	if cfg.Redeem == nil {
		return nil, fmt.Errorf("signin: no redeem service")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, outages: cfg.Outages}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.outages == nil {
		s.outages = outage.New(s.log, 0)
	}
	if cfg.ShopCallbackURL != "" {
		u, err := url.Parse(cfg.ShopCallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("signin: the shop callback %q is not an absolute http or https URL", cfg.ShopCallbackURL)
		}
		s.callback = u
	}
	for _, o := range cfg.OCIFrameAncestors {
		if !IsOrigin(o) {
			return nil, fmt.Errorf("signin: the OCI frame ancestor %q is not an origin such as https://srm.example.com", o)
		}
		s.ociFrame.ancestors = append(s.ociFrame.ancestors, o)
	}
	if cfg.Provider != nil {
		cfg.Provider.PostFormsWith(s.postForm)
	}
	if err := s.loadAssets(); err != nil {
		return nil, err
	}
	if err := s.parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// staticPrefix is where the pages' stylesheet and script are served.
const staticPrefix = "/login/static/"

// route is one sign-in route; maxBody bounds its request body (0 is
// bounds.DefaultMaxBody).
type route struct {
	pattern string
	handler http.HandlerFunc
	maxBody int64
}

func (s *Server) routes() []route {
	rts := []route{
		{"GET /login", s.showLink, 0},
		{"POST /login", s.redeemLink, maxLoginBody},
		{"GET /oci/login", s.punchout, 0},
		{"POST /oci/login", s.punchout, maxOCIBody},
		{"GET " + staticPrefix + "{file}", s.serveAsset, 0},
	}
	if s.cfg.Provider != nil {
		rts = append(rts,
			route{"GET " + shopSignInPath, s.showShopSignIn, 0},
			route{"POST " + shopSignInPath, s.shopSignIn, maxLoginBody},
			route{"GET " + signedOutPath, s.showSignedOut, 0})
	}
	return rts
}

// Register adds the sign-in routes to mux, each with its body limit set
// before anything reads the body. A GET pattern also answers HEAD.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, bounds.LimitBody(rt.maxBody, nil, rt.handler))
	}
}

// RouteInfo describes one route, for tests that must cover every route.
type RouteInfo struct {
	Pattern string
	// MaxBody is the most of a request body the route reads.
	MaxBody int64
}

// Routes lists every route Register adds.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes() {
		out = append(out, RouteInfo{Pattern: rt.pattern, MaxBody: cmp.Or(rt.maxBody, bounds.DefaultMaxBody)})
	}
	return out
}

// page is what every page template gets.
type page struct {
	Title   string
	Message string
	Advice  string
	// Form, when set, is the one form of the page.
	Form *form
	// NoShop: signed in, but there is no shop to hand the assertion to.
	NoShop bool
}

// form is a page's form: its action, hidden fields in order, its button.
type form struct {
	Action string
	// Method is "post" when empty.
	Method string
	Fields []field
	Button string
	// Auto marks the form for submit.js to submit once the page loads.
	Auto bool
}

type field struct{ Name, Value string }

// frame says who may frame a page: the origins in ancestors, no one when
// there are none. /login's pages are never framed; the OCI entry's pages
// are framed by the procurement systems allowed to (Config.OCIFrameAncestors).
type frame struct{ ancestors []string }

// noFrame is for every page no one may frame.
var noFrame = frame{}

// headers are sent with every sign-in page. The pages carry a token value
// or an assertion, so nothing caches them and no Referer leaves them; the
// CSP allows only the service's own script, never an inline one.
// formAction is the origin the page's form may post to, "" for no
// restriction: the hand-off to the shop posts to the callback, which may
// answer with a redirect anywhere in the shop, and browsers apply
// form-action to redirects too. A page that may be framed sends no
// X-Frame-Options: it cannot name origins, frame-ancestors does.
func headers(w http.ResponseWriter, fr frame, formAction string) {
	h := w.Header()
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'"
	if formAction != "" {
		csp += "; form-action " + formAction
	}
	if len(fr.ancestors) == 0 {
		csp += "; frame-ancestors 'none'"
		h.Set("X-Frame-Options", "DENY")
	} else {
		csp += "; frame-ancestors " + strings.Join(fr.ancestors, " ")
		h.Del("X-Frame-Options")
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("X-Content-Type-Options", "nosniff")
}

// framedElsewhere reports whether r is the navigation of a frame (as the
// browser tells: Sec-Fetch-Dest) that fr does not let show the answer: fr
// lets no one frame it, or the page that started it (its Origin, else its
// Referer) is not among fr's ancestors. The browser would leave such a
// frame blank (frame-ancestors), so the request must sign no one in and
// spend no use of a token. A framing page that cannot be told (a strict
// Referrer-Policy sends Origin null and no Referer) is refused only where
// no one may frame: an allowed procurement system may well set such a
// policy, and frame-ancestors still decides what its frame shows. A
// request that is no frame's, or from a client that does not say, is not
// refused here.
func framedElsewhere(r *http.Request, fr frame) bool {
	switch r.Header.Get("Sec-Fetch-Dest") {
	case "iframe", "frame", "embed", "object":
	case "fencedframe":
		// A fenced frame shows only an answer that opts in to it
		// (Supports-Loading-Mode: fenced-frame), which none here does.
		return true
	default:
		return false
	}
	if len(fr.ancestors) == 0 {
		return true
	}
	origin := ""
	for _, s := range []string{r.Header.Get("Origin"), r.Referer()} {
		if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			origin = Origin(u)
			break
		}
	}
	if origin == "" {
		return false
	}
	// A source of frame-ancestors that names http matches https too, on
	// the same port or from its default port to the other's.
	upgraded, isHTTPS := strings.CutPrefix(origin, "https://")
	return !slices.Contains(fr.ancestors, origin) && !(isHTTPS && slices.Contains(fr.ancestors, "http://"+upgraded))
}

// refuseFramed answers a request framedElsewhere refuses: nothing was
// looked up or counted. advice says how to open the page instead.
func (s *Server) refuseFramed(w http.ResponseWriter, advice string) {
	s.render(w, http.StatusForbidden, "message", &page{
		Title:   "Not signed in inside another page",
		Message: "This sign-in was opened inside another site's page, which may not show it, so it was refused: no one was signed in and the token was not used.",
		Advice:  advice,
	})
}

// IsOrigin reports whether s is an origin as a frame-ancestors source
// names one: http or https, a host, a port only where it is not the
// scheme's default, lower case, nothing after. Anything else could carry
// another directive into the policy.
func IsOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err != nil && strings.ContainsFunc(host, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-')
	}) {
		return false // a wildcard or a character no DNS name has
	}
	return Origin(u) == s
}

// Origin is the origin of an http or https URL as IsOrigin wants it.
func Origin(u *url.URL) string {
	host, port := hostPort(u)
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	o := strings.ToLower(u.Scheme) + "://" + host
	if port != "" {
		o += ":" + port
	}
	return o
}

// render writes a page with status. A template that fails renders nothing
// half-way: it goes to a buffer first.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render sign-in page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// parsePages parses each page template together with the layout.
func (s *Server) parsePages() error {
	layout, err := fs.ReadFile(files, "templates/layout.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t := template.New("layout").Funcs(template.FuncMap{"asset": s.assetURL})
		if _, err := t.Parse(string(layout)); err != nil {
			return fmt.Errorf("signin layout: %w", err)
		}
		if _, err := t.ParseFS(files, name); err != nil {
			return fmt.Errorf("signin %s: %w", name, err)
		}
		s.pages[base] = t
	}
	return nil
}

// loadAssets names each static file by a checksum of its content, so the
// files can be cached for good: a new build changes their URLs.
func (s *Server) loadAssets() error {
	s.assets, s.files = map[string]string{}, map[string]string{}
	return fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		s.assets[name], s.files[hashed] = hashed, p
		return nil
	})
}

func (s *Server) assetURL(name string) (string, error) {
	hashed, ok := s.assets[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return staticPrefix + hashed, nil
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	p, ok := s.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, _ := fs.ReadFile(files, p)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(b))
}

// redeem presents value through the shared service with the request's
// client address and user agent, and counts the outcome. The login link
// and the OCI entry take a token of any shop: they go on to its shop.
func (s *Server) redeem(r *http.Request, value, actor string, oci map[string]string) (redeem.Result, error) {
	return s.redeemAt(r, value, actor, oci, 0)
}

// redeemAt is redeem for the sign-in page of shop shopID (0: any shop).
func (s *Server) redeemAt(r *http.Request, value, actor string, oci map[string]string, shopID int64) (redeem.Result, error) {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	res, err := s.cfg.Redeem.Redeem(r.Context(), redeem.Request{
		RedeemRequest: lt.RedeemRequest{
			Value:     value,
			ClientIP:  web.ClientAddress(r, s.cfg.TrustedProxies),
			UserAgent: ua,
			Actor:     actor,
			ShopID:    shopID,
			AnyShop:   shopID == 0,
		},
		OCI: oci,
	})
	if err == nil && s.cfg.Metrics != nil {
		s.cfg.Metrics.Redeemed(res.Code)
	}
	return res, err
}

// maxUserAgent is as much of the User-Agent as a redeem records, as the
// API allows.
const maxUserAgent = 1000
