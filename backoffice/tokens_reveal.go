package backoffice

import (
	"net/http"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// revealPurposes are what a reveal may say it is for, in the audit trail.
var revealPurposes = []string{"reveal", "copy login link", "copy OCI URL"}

// revealToken answers the value, audited: JSON for tokens.js, else the
// edit page with the value in it.
func (s *Server) revealToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok || s.refuseUnchangeable(w, r, tok) {
		return
	}
	purpose := r.PostFormValue("purpose")
	if purpose == "" {
		purpose = "reveal"
	}
	known := false
	for _, p := range revealPurposes {
		known = known || p == purpose
	}
	if !known {
		s.fail(w, r, lt.Invalid("purpose", "must be one of %s", strings.Join(revealPurposes, ", ")))
		return
	}
	c := currentFrom(r.Context())
	value, err := s.Store.RevealToken(r.Context(), c.actor(r, s), tok.ID, purpose)
	if err != nil {
		s.refuse(w, r, tok, err)
		return
	}
	v := s.issue("edit", value)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"value": v.Value, "loginUrl": v.LoginURL, "ociUrl": v.OCIURL})
		return
	}
	d, err := s.detail(r, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Revealed, d.RevealedFor = v, purpose
	s.renderDetail(w, r, http.StatusOK, d)
}
