package backoffice

import "net/http"

func (s *Server) showToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok {
		return
	}
	d, err := s.detail(r, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderDetail(w, r, http.StatusOK, d)
}
