// Package demoshop is the demo webshop of `serve --demo`, under /shop/. It
// trusts the login service exactly as an independent shop would: it knows
// the service only by its URL, fetches the signing keys over HTTP from
// /.well-known/jwks.json, verifies each posted assertion with golang-jwt (a
// JOSE library other than the one the service signs with), refuses a
// replayed jti and then keeps a session of its own. Registered as a shop of
// the service's OpenID Provider (Config.OIDC), it also signs people in
// through OpenID Connect with go-oidc and x/oauth2. It shows who is signed
// in, a small catalogue and a cart, and in an OCI punchout session returns
// the cart to the procurement system through package oci.
package demoshop

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/logintokens/logintokens/internal/bounds"
)

//go:embed templates static
var files embed.FS

// Config is what the shop is built from.
type Config struct {
	// ServiceURL is the base URL the shop reaches the login service at,
	// such as http://127.0.0.1:8080; the keys come from
	// ServiceURL + "/.well-known/jwks.json".
	ServiceURL string
	// Issuer is the iss the assertions must carry: the service's public URL.
	Issuer string
	// Audience is the aud the assertions must carry.
	Audience string
	// BasePath is where the shop is mounted, "/shop" when empty. The shop
	// serves the full paths (/shop/...): mount it without stripping the
	// prefix.
	BasePath string
	// SecureCookies marks the session cookie Secure; set it when the shop
	// is reached over https.
	SecureCookies bool
	// OCIFrameAncestors are the origins (scheme://host[:port]) whose pages
	// may show the shop in a frame during an OCI punchout session: the
	// procurement systems. Outside such a session no one may frame it.
	OCIFrameAncestors []string
	// HTTPClient fetches the keys; a client with a 10 s timeout when nil.
	HTTPClient *http.Client
	// Now is the clock (tests replace it); time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
	// OIDC, when set, also signs people in through the service's OpenID
	// Provider (Issuer), under BasePath + "/oidc/".
	OIDC *OIDC
}

// shop serves the demo shop.
type shop struct {
	base     string
	secure   bool
	frameOCI string // the frame-ancestors sources of an OCI session's pages
	now      func() time.Time
	log      *slog.Logger
	verifier *verifier
	sessions *sessions
	rp       *relyingParty // nil without Config.OIDC
	pages    map[string]*template.Template
	assets   map[string]string // "shop.css" -> "shop.1a2b3c4d.css"
	files    map[string]string // "shop.1a2b3c4d.css" -> "static/shop.css"
	mux      *http.ServeMux
}

// New returns the shop's handler. It fetches nothing yet: the keys are
// fetched when the first assertion arrives, so the shop may be built
// before the service listens.
func New(cfg Config) (http.Handler, error) {
	service, err := url.Parse(cfg.ServiceURL)
	if err != nil || (service.Scheme != "http" && service.Scheme != "https") || service.Host == "" {
		return nil, fmt.Errorf("demoshop: ServiceURL %q is not an absolute http or https URL", cfg.ServiceURL)
	}
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("demoshop: Issuer and Audience are required")
	}
	base := cfg.BasePath
	if base == "" {
		base = "/shop"
	}
	if !strings.HasPrefix(base, "/") || strings.HasSuffix(base, "/") || path.Clean(base) != base {
		return nil, fmt.Errorf("demoshop: BasePath %q must start with / and not end with one", base)
	}
	sh := &shop{base: base, secure: cfg.SecureCookies, now: cfg.Now, log: cfg.Logger,
		sessions: &sessions{byID: map[string]*session{}}, frameOCI: "'none'"}
	for _, o := range cfg.OCIFrameAncestors {
		if !isOrigin(o) {
			return nil, fmt.Errorf("demoshop: the OCI frame ancestor %q is not an origin such as https://srm.example.com", o)
		}
	}
	if len(cfg.OCIFrameAncestors) > 0 {
		sh.frameOCI = strings.Join(cfg.OCIFrameAncestors, " ")
	}
	if sh.now == nil {
		sh.now = time.Now
	}
	if sh.log == nil {
		sh.log = slog.Default()
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	keys := &keySet{url: strings.TrimRight(cfg.ServiceURL, "/") + "/.well-known/jwks.json", client: client, now: sh.now}
	sh.verifier = newVerifier(cfg.Issuer, cfg.Audience, keys, sh.now)
	if err := sh.loadAssets(); err != nil {
		return nil, err
	}
	if sh.pages, err = sh.parsePages(); err != nil {
		return nil, err
	}
	routes := shopRoutes
	if cfg.OIDC != nil {
		if sh.rp, err = newRelyingParty(cfg, base, sh.now); err != nil {
			return nil, err
		}
		routes = append(slices.Clone(routes), oidcRoutes...)
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := func(w http.ResponseWriter, r *http.Request) { rt.handle(sh, w, r) }
		mux.Handle(rt.method+" "+base+rt.path, bounds.LimitBody(rt.maxBody, sh.tooLarge, http.HandlerFunc(h)))
	}
	sh.mux = mux
	return sh, nil
}

// shopRoute is one route of the shop, under its base path; maxBody bounds
// its request body (0 is bounds.DefaultMaxBody).
type shopRoute struct {
	method, path string
	handle       func(*shop, http.ResponseWriter, *http.Request)
	maxBody      int64
}

// shopRoutes are the shop's routes. Its forms are a few fields; the
// callback's assertion a few KB.
var shopRoutes = []shopRoute{
	{"GET", "/{$}", (*shop).showHome, 0},
	{"POST", "/callback", (*shop).signIn, maxCallbackBody},
	{"GET", "/cart", (*shop).showCart, 0},
	{"POST", "/cart", (*shop).updateCart, maxFormBody},
	{"POST", "/cart/add", (*shop).addToCart, maxFormBody},
	{"POST", "/cart/remove", (*shop).removeFromCart, maxFormBody},
	{"GET", "/transfer", (*shop).showTransfer, 0},
	{"POST", "/logout", (*shop).signOut, maxFormBody},
	{"GET", "/static/{file}", (*shop).serveAsset, 0},
}

// oidcRoutes sign in through OpenID Connect: start, the initiate-login
// URI, and the redirect URI.
var oidcRoutes = []shopRoute{
	{"GET", "/oidc/start", (*shop).startOIDC, 0},
	{"GET", "/oidc/login", (*shop).startOIDC, 0},
	{"GET", "/oidc/callback", (*shop).finishOIDC, 0},
}

// maxFormBody bounds the shop's own forms: a cart of a few lines.
const maxFormBody = 16 << 10

// RouteInfo describes one route of the shop, for tests that must cover
// every route.
type RouteInfo struct {
	Pattern string
	// MaxBody is the most of a request body the route reads.
	MaxBody int64
}

// Routes lists the routes of a shop mounted at basePath ("/shop" when
// empty).
func Routes(basePath string) []RouteInfo {
	base := cmp.Or(basePath, "/shop")
	var out []RouteInfo
	for _, rt := range shopRoutes {
		out = append(out, RouteInfo{Pattern: rt.method + " " + base + rt.path, MaxBody: cmp.Or(rt.maxBody, bounds.DefaultMaxBody)})
	}
	return out
}

// tooLarge answers a request whose body is larger than its route takes.
func (sh *shop) tooLarge(w http.ResponseWriter, r *http.Request, _ error) {
	sh.fail(w, r, http.StatusRequestEntityTooLarge, "Too large", "The form is larger than the shop takes.")
}

func (sh *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// Pages set their own policy in render; this one covers the rest.
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	sh.mux.ServeHTTP(w, r)
}

// pageData is what every page template gets.
type pageData struct {
	Title   string
	Base    string
	Session *session // nil when not signed in
	Data    any
}

func (sh *shop) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset": func(name string) string { return sh.base + "/static/" + sh.assets[name] },
		"money": func(cents int64) string { return "€" + price(cents).String() },
		"mul":   func(cents int64, qty int) int64 { return cents * int64(qty) },
	}
	layout, err := fs.ReadFile(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("demoshop: layout: %w", err)
		}
		if _, err := t.ParseFS(files, name); err != nil {
			return nil, fmt.Errorf("demoshop: %s: %w", name, err)
		}
		pages[page] = t
	}
	return pages, nil
}

// render writes a page. The policy allows the shop's own scripts and
// styles only. No one may frame the shop, but in an OCI session the
// procurement systems may (Config.OCIFrameAncestors). Forms post to the shop only, except
// on a page that postsAway (the cart transfer): browsers apply form-action
// to the redirects after a post too, and where the procurement system
// redirects is not the shop's to know.
func (sh *shop) render(w http.ResponseWriter, status int, name string, p *pageData, postsAway bool) {
	p.Base = sh.base
	var buf bytes.Buffer
	if err := sh.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		sh.log.Error("demoshop: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	ancestors := "'none'"
	if p.Session != nil && p.Session.OCI != nil {
		ancestors = sh.frameOCI
	}
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors " + ancestors
	if !postsAway {
		csp += "; form-action 'self'"
	}
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// isOrigin reports whether s is scheme://host[:port] and nothing more, in
// the characters of a host name: it goes into the policy as written.
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Scheme+"://"+u.Host != s {
		return false
	}
	return !strings.ContainsFunc(u.Host, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c))
	})
}

// fail shows the error page.
func (sh *shop) fail(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	sess, ok := sh.current(r)
	p := &pageData{Title: title, Data: errorPage{Message: message}}
	if ok {
		p.Session = &sess
	}
	sh.render(w, status, "error", p, false)
}

// loadAssets names each static file by a hash of its content, so it can be
// cached for a year and a new build changes its URL.
func (sh *shop) loadAssets() error {
	sh.assets, sh.files = map[string]string{}, map[string]string{}
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
		sh.assets[name], sh.files[hashed] = hashed, p
		return nil
	})
}

func (sh *shop) serveAsset(w http.ResponseWriter, r *http.Request) {
	p, ok := sh.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, _ := fs.ReadFile(files, p)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(b))
}
