package backoffice

import "net/http"

// confirmView asks before something that cannot be undone (tokens.js asks
// in a dialog and sends confirm=yes at once).
type confirmView struct {
	Heading, Text, Button, Action, CancelURL, CSRF string
	Items                                          []string
	Fields                                         []field
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request, v *confirmView) {
	v.CSRF = currentFrom(r.Context()).csrf
	p := s.page(r, v.Heading, "login-tokens")
	p.Data = v
	s.render(w, r, http.StatusOK, "tokens_confirm", p)
}
