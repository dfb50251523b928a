// Package backoffice is the staff UI under /admin/: sign-in, Users > Login
// Tokens, the directory screens and the settings, rendered on the server
// with html/template. Every state-changing request needs a session, the
// right grant and a CSRF token; pages carry a CSP without inline script.
package backoffice

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/outage"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/ratelimit"
)

// Store is the domain services the backoffice serves; sqlstore.Store
// implements them all.
type Store interface {
	lt.StaffService
	lt.TwoFactorService
	lt.TokenService
	lt.DirectoryService
	lt.APIKeyService
	lt.AuditService
	lt.AuditReportService
	lt.ShopService
	lt.WebhookService
}

// Config is what the backoffice is built from.
type Config struct {
	Store Store
	// Mail sends login links by e-mail; nil: sending is off, and the
	// buttons say so.
	Mail lt.MailService
	// PublicURL builds links and decides whether cookies are Secure.
	PublicURL string
	// OCIPunchout says whether OCI punchout is on: while it is off, no
	// OCI URL is offered, only how to turn it on.
	OCIPunchout    bool
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	// AddressPrefixes group client addresses into the networks that the
	// sign-in slow-down counts (zero: ratelimit.DefaultPrefixes).
	AddressPrefixes ratelimit.Prefixes
	// PasswordChecks is how many password checks may run at once, each
	// holding 19 MiB (0: from GOMAXPROCS, see defaultPasswordChecks);
	// one more is kept for sign-ins with a trusted device cookie.
	PasswordChecks int
	// DeviceKey signs the device cookies that let a browser that signed in
	// before past the sign-in slow-down of its network (device.go): the
	// server key's (lt.Keyring.Derive(DeviceKeyLabel)), so that every
	// instance trusts them. When nil, a random key of this process.
	DeviceKey []byte
	// Limiter makes the sign-in slow-down's counts of scope (one of
	// "backoffice-account", "backoffice-network", "backoffice-device"):
	// the service shares them among its instances on PostgreSQL. Nil:
	// in this instance's memory, on Now.
	Limiter func(scope string, p ratelimit.Policy) ratelimit.Limiter
	// Now is the clock (tests replace it).
	Now func() time.Time
	// Outages reports pages refused while the database is unavailable, at
	// most once per interval; one is made from Logger when nil.
	Outages *outage.Reporter
	// ShopCallback says that sign-ins form-post to a shop's callback
	// (signin.Config.ShopCallbackURL): "Open webshop as" offers it beside
	// the provider's shops.
	ShopCallback bool
	// Gates bound the imports, exports and short user searches running at
	// once; shared with the API when the service sets them, the
	// backoffice's own when nil.
	Gates *bounds.Gates
}

// Server serves the backoffice.
type Server struct {
	Config
	log      *slog.Logger
	pages    map[string]*template.Template
	assets   *assets
	throttle *throttle
	secure   bool
	// deviceKey signs the device cookies.
	deviceKey []byte
}

// New returns the backoffice.
func New(cfg Config) (*Server, error) {
	s := &Server{Config: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Outages == nil {
		s.Outages = outage.New(s.log, 0)
	}
	s.PublicURL = strings.TrimRight(s.PublicURL, "/")
	if u, err := url.Parse(s.PublicURL); err == nil && u.Scheme == "https" {
		s.secure = true
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = s.parsePages(); err != nil {
		return nil, err
	}
	s.throttle = newThrottle(s.Config)
	if s.deviceKey = cfg.DeviceKey; len(s.deviceKey) == 0 {
		s.deviceKey = newDeviceKey()
	}
	if s.Gates == nil {
		s.Gates = bounds.NewGates()
	}
	return s, nil
}

// Register adds the backoffice routes to mux, behind cross-origin
// protection and the security headers, each with its body limit set
// before anything reads the body.
func (s *Server) Register(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	for _, rt := range s.routes() {
		var h http.Handler = rt.handler
		if !rt.public {
			h = s.requireSession(rt)
		}
		// A form that says it is too large is refused unread; an upload
		// too large for its form only once its session and CSRF token are
		// checked, with the message its handler gives.
		tooLarge := s.fail
		if rt.upload {
			tooLarge = nil
		}
		mux.Handle(rt.pattern, securityHeaders(bounds.LimitBody(rt.maxBody, tooLarge, cop.Handler(h))))
	}
}

// route is one backoffice route. need is the grant it requires (zero:
// any signed-in staff member).
type route struct {
	pattern string
	public  bool
	need    lt.Grant
	handler http.Handler
	// maxBody bounds the request body; 0 is bounds.DefaultMaxBody.
	maxBody int64
	// upload marks a multipart form with a file: the session check reads
	// only its first part, the CSRF field, and the handler streams the
	// rest (uploadParts).
	upload bool
}

// securityHeaders are sent with every backoffice answer.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/admin/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// fail answers an error as a page (or as JSON to a script) with its
// code's status and message; a 500 says nothing of the cause.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := lt.ErrorCode(err)
	status, msg := web.Status(code), lt.ErrorMessage(err)
	if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
		status, msg = http.StatusRequestEntityTooLarge, "the form is too large"
	}
	web.Refused(w, r, err, s.Outages)
	switch status {
	case http.StatusServiceUnavailable:
		msg = "The backoffice is briefly unavailable. Try again in a few seconds."
	case http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "backoffice error", "path", r.URL.Path, "err", err)
	}
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"error": msg, "code": code})
		return
	}
	p := s.page(r, http.StatusText(status), "")
	p.Message = msg
	s.render(w, r, status, "error", p)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}
