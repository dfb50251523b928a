// Package httpapi is the JSON admin API (docs/api.md): login tokens, the
// directory, API keys and redeem, with API-key authorization by grant,
// problem+json errors, the OpenAPI document generated from the same route
// table that the mux is built from, and the ops routes.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/outage"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/redeem"
)

// Store is the domain services the API serves; sqlstore.Store implements
// them all.
type Store interface {
	lt.TokenService
	lt.DirectoryService
	lt.APIKeyService
	lt.AuditService
	lt.AuditReportService
	lt.ShopService
	lt.WebhookService
	// Ping reports whether the database answers (readiness).
	Ping(ctx context.Context) error
}

// JWKS publishes the assertion signing keys.
type JWKS interface {
	JWKS(ctx context.Context) (any, error)
}

// Config is what the API is built from; cmd/logintokens fills it.
type Config struct {
	Store  Store
	Redeem *redeem.Service
	Keys   JWKS
	// Mail sends login links by e-mail; nil: sending is off.
	Mail lt.MailService
	// PublicURL builds links; never the Host header.
	PublicURL string
	// OCIPunchout says whether OCI punchout is on: while it is off, a
	// token's ociUrl is null.
	OCIPunchout    bool
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	Metrics        *web.Metrics

	// MetricsToken, when set, is the bearer token GET /metrics requires
	// (no API key opens it); else /metrics is public.
	MetricsToken string
	// MetricsElsewhere leaves GET /metrics out of the routes (Register,
	// Routes, the OpenAPI document): MetricsHandler serves it on a
	// listener of its own.
	MetricsElsewhere bool
	// Outages reports requests refused while the database is unavailable,
	// at most once per interval; one is made from Logger when nil. The
	// service shares one among the API, the sign-in pages and the
	// backoffice.
	Outages *outage.Reporter
	// Gates bound the imports, exports and short user searches running at
	// once; shared with the backoffice when the service sets them, the
	// API's own when nil.
	Gates *bounds.Gates
	// Draining reports that the instance is shutting down: /readyz then
	// answers 503 at once, so that a load balancer sends its requests to
	// other instances while this one still serves those it gets (nil:
	// never).
	Draining func() bool
}

// Server serves the API.
type Server struct {
	Config
	log    *slog.Logger
	routes []route
	apiDoc oaDocsOnce // the OpenAPI document and reference page, built once

	// metricsRoute is GET /metrics, in routes unless MetricsElsewhere.
	metricsRoute route
}

// New returns the API server.
func New(cfg Config) *Server {
	s := &Server{Config: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.Metrics == nil {
		s.Metrics = web.NewMetrics(nil)
	}
	if s.Outages == nil {
		s.Outages = outage.New(s.log, 0)
	}
	if s.Gates == nil {
		s.Gates = bounds.NewGates()
	}
	s.PublicURL = strings.TrimRight(s.PublicURL, "/")
	s.routes = s.routeTable()
	i := slices.IndexFunc(s.routes, func(rt route) bool { return rt.access.metrics })
	s.metricsRoute = s.routes[i]
	if s.MetricsElsewhere {
		s.routes = slices.Delete(s.routes, i, i+1)
	}
	return s
}

// Register adds every API and ops route to mux, each with its body limit
// set before anything reads the body. The caller is authorised from the
// headers alone first, so a request without a valid key reads nothing.
func (s *Server) Register(mux *http.ServeMux) {
	paths := map[string]bool{}
	for _, rt := range s.routes {
		s.register(mux, rt)
		paths[rt.path] = true
	}
	// Whatever no route takes under /api/, and the other methods of the
	// operations' paths, are problems too, not the mux's plain text.
	fallbacks := map[string]bool{"/api/": true}
	for p := range paths {
		if !strings.HasPrefix(p, "/api/") && !strings.Contains(p, "{") {
			fallbacks[p] = true
		}
	}
	unrouted := s.unrouted(mux, fallbacks)
	for p := range fallbacks {
		mux.Handle(p, unrouted)
	}
}

// unroutedDetail is the detail of a path no route has.
const unroutedDetail = "no API route has this path; /api/docs lists them"

// probeMethods are the methods an Allow header may list.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unrouted answers a request no route of mux takes: 405 with the Allow
// header when its path takes other methods, else 404.
// fallbacks are the patterns that lead here. The path is not echoed: a
// misplaced token value may be in it.
func (s *Server) unrouted(mux *http.ServeMux, fallbacks map[string]bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range probeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && !fallbacks[pattern] {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, lt.Errorf(lt.EMETHOD, "this path takes %s, not %s", strings.Join(allow, ", "), lt.QuoteInput(r.Method)))
			return
		}
		s.writeError(w, r, lt.Errorf(lt.ENOTFOUND, "%s", unroutedDetail))
	})
}

// MetricsHandler answers GET /metrics, with the metrics token when one is
// set, and nothing else: for a listener of its own (MetricsElsewhere).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	s.register(mux, s.metricsRoute)
	return mux
}

func (s *Server) register(mux *http.ServeMux, rt route) {
	mux.Handle(rt.method+" "+rt.path, s.Metrics.Instrument(rt.method+" "+rt.path, bounds.LimitBody(rt.bodyLimit(), s.writeError, s.handler(rt))))
}

// caller is who calls an API route.
type caller struct {
	key   *lt.APIKey // nil on public routes
	actor lt.Actor
}

func (s *Server) handler(rt route) http.Handler {
	known := make([]string, len(rt.doc.query))
	for i, p := range rt.doc.query {
		known[i] = p.name
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authorize(r, rt.access)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// Every route refuses query parameters it does not document.
		if err := checkQuery(r.URL.Query(), known...); err != nil {
			s.writeError(w, r, err)
			return
		}
		if rt.doc.body == "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := refuseBody(w, r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if err := rt.handle(w, r, c); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// RouteInfo describes one route: for tests and tools that must cover every
// route (the authorization table, the OpenAPI document).
type RouteInfo struct {
	Method, Path, Access string
	// MaxBody is the most of a request body the route reads.
	MaxBody int64
}

// Routes lists every route the server registers.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Method: rt.method, Path: rt.path, Access: rt.access.String(), MaxBody: rt.bodyLimit()}
	}
	return out
}
