package httpapi

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// Problem is an RFC 9457 problem document: every error the API answers is
// one (application/problem+json).
type Problem = web.Problem

// writeError answers err as problem+json and logs internal errors.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := web.ProblemFor(err)
	web.Refused(w, r, err, s.Outages)
	if p.Status >= 500 && p.Code != lt.EUNAVAILABLE {
		s.log.ErrorContext(r.Context(), "internal error", "route", r.Pattern, "err", err)
	}
	if p.Status == http.StatusUnauthorized {
		// Every credential the API takes is a bearer token (RFC 6750).
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	web.WriteProblem(w, p)
}

// writeJSON answers v as JSON with status.
var writeJSON = web.WriteJSON
