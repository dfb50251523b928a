package httpapi

// Placeholders: the ops routes, metrics and API documents are being
// written; this file goes away when they land.

import "net/http"

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, c *caller) error  { return errTODO }
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) jwks(w http.ResponseWriter, r *http.Request, c *caller) error    { return errTODO }

// Metrics will count redeem outcomes and time requests by route.
type Metrics struct{}

// NewMetrics returns the metrics.
func NewMetrics(any) *Metrics { return &Metrics{} }

func (m *Metrics) instrument(route string, h http.Handler) http.Handler { return h }
func (m *Metrics) redeemed(code string)                                 {}

// Middleware will log requests (redacted), recover panics and set headers.
func Middleware(h http.Handler, _ any) http.Handler { return h }
