package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	lt "github.com/logintokens/logintokens"
)

// readyTimeout bounds the database check of /readyz: a load balancer would
// rather hear "not ready" than wait.
const readyTimeout = 2 * time.Second

// jwksMaxAge is how long a shop may cache the JWKS. Keys rotate and a new
// key signs as soon as an instance loads it, so a shop that refetches only
// when its cache expires must not keep an old set for long.
const jwksMaxAge = "public, max-age=60"

// healthz says the process serves HTTP; it checks nothing else, so an
// orchestrator does not restart an instance for a database outage.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, c *caller) error {
	plain(w, http.StatusOK, "ok")
	return nil
}

// readyz says whether the database answers and the instance is not
// shutting down, so that a load balancer sends requests only to instances
// that can serve them. The cause goes to the
// log, never to the caller.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, c *caller) error {
	if s.Draining != nil && s.Draining() {
		plain(w, http.StatusServiceUnavailable, "shutting down")
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		// Probes keep asking during an outage: reported with the
		// refused requests, once per interval.
		s.Outages.Refused(r.Context(), err)
		plain(w, http.StatusServiceUnavailable, "database unreachable")
		return nil
	}
	plain(w, http.StatusOK, "ok")
	return nil
}

// metrics serves the Prometheus registry.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, c *caller) error {
	s.Metrics.ServeHTTP(w, r)
	return nil
}

// jwks publishes the public keys that verify sign-in assertions.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request, c *caller) error {
	if s.Keys == nil {
		return lt.Errorf(lt.ENOTFOUND, "this server signs no assertions")
	}
	set, err := s.Keys.JWKS(r.Context())
	if err != nil {
		return err
	}
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", jwksMaxAge)
	// Public keys: a shop's browser code may fetch them too.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(append(b, '\n'))
	return nil
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(body + "\n"))
}
