package backoffice

import lt "github.com/logintokens/logintokens"

// RouteInfo describes one backoffice route, for tests and tools that must
// cover every route (the authorization table).
type RouteInfo struct {
	// Pattern is the mux pattern, such as "POST /admin/login-tokens/{id}".
	Pattern string
	// Public routes get no session check from the mux: sign-in and assets,
	// and the uploads, which check the session and grant themselves once
	// their body is limited.
	Public bool
	// Grant is the grant the session check requires, "" for any signed-in
	// staff member.
	Grant string
}

// Routes lists every route Register adds.
func (s *Server) Routes() []RouteInfo {
	rts := s.routes()
	out := make([]RouteInfo, len(rts))
	for i, rt := range rts {
		out[i] = RouteInfo{Pattern: rt.pattern, Public: rt.public}
		if rt.need.Level != lt.LevelNone {
			out[i].Grant = rt.need.String()
		}
	}
	return out
}
