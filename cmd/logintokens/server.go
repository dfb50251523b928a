package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/logintokens/logintokens/sqlstore"
)

// readyTimeout bounds the database check of /readyz: a load balancer
// would rather hear "not ready" than wait.
const readyTimeout = 2 * time.Second

// serverDeps is what the HTTP side of serve is built from.
type serverDeps struct {
	Store     *sqlstore.Store
	Log       *slog.Logger
	Config    *config
	PublicURL string
	Demo      bool
}

// server holds the routes of serve. The admin API, backoffice and sign-in
// add theirs in routes.
type server struct {
	serverDeps
	mux *http.ServeMux
}

// newServer returns the service's HTTP handler.
func newServer(deps serverDeps) http.Handler {
	s := &server{serverDeps: deps, mux: http.NewServeMux()}
	s.routes()
	return s.logRequests(s.mux)
}

func (s *server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
}

// healthz says the process serves HTTP; it checks nothing else, so an
// orchestrator does not restart an instance for a database outage.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	plain(w, http.StatusOK, "ok")
}

// readyz says whether the database answers, so that a load balancer sends
// requests only to instances that can serve them.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("not ready: the database does not answer", "err", err)
		plain(w, http.StatusServiceUnavailable, "database unreachable")
		return
	}
	plain(w, http.StatusOK, "ok")
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(body + "\n"))
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: the path only, never the query,
// which may carry a token value. Probes log at debug level so that they do
// not drown the rest.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.Log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	})
}
