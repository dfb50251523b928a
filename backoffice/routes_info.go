package backoffice

import (
	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// RouteInfo describes one backoffice route, for tests and tools that must
// cover every route (the authorization table).
type RouteInfo struct {
	// Pattern is the mux pattern, such as "POST /admin/login-tokens/{id}".
	Pattern string
	// Public routes get no session check: sign-in and assets.
	Public bool
	// Grant is the grant the session check requires, "" for any signed-in
	// staff member.
	Grant string
	// MaxBody is the most of a request body the route reads.
	MaxBody int64
	// Upload routes take a file: before the session and the CSRF token
	// are checked, they read only the form's first part (the token), or
	// an ordinary form within bounds.DefaultMaxBody.
	Upload bool
}

// Routes lists every route Register adds.
func (s *Server) Routes() []RouteInfo {
	rts := s.routes()
	out := make([]RouteInfo, len(rts))
	for i, rt := range rts {
		out[i] = RouteInfo{Pattern: rt.pattern, Public: rt.public, MaxBody: rt.maxBody, Upload: rt.upload}
		if out[i].MaxBody <= 0 {
			out[i].MaxBody = bounds.DefaultMaxBody
		}
		if rt.need.Level != lt.LevelNone {
			out[i].Grant = rt.need.String()
		}
	}
	return out
}
