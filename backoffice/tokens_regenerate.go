package backoffice

import "net/http"

const regenerateWarning = "The old value stops working at once: login links and OCI URLs that carry it will no longer sign anyone in."

func (s *Server) regenerateToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok || s.refuseUnchangeable(w, r, tok) {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.confirm(w, r, &confirmView{Heading: "Regenerate the value of login token " + tok.ID + "?", Text: regenerateWarning,
			Button: "Regenerate", Action: tokensPath + "/" + tok.ID + "/regenerate", CancelURL: tokensPath + "/" + tok.ID})
		return
	}
	c := currentFrom(r.Context())
	iss, err := s.Store.RegenerateToken(r.Context(), c.actor(r, s), tok.ID)
	if err != nil {
		s.refuse(w, r, tok, err)
		return
	}
	d, err := s.detail(r, iss.LoginToken)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Issued = s.issue("edit", iss.Value)
	d.IssuedWhy = "The token has a new value; the old value no longer works. Copy the new value now."
	s.renderDetail(w, r, http.StatusOK, d)
}
