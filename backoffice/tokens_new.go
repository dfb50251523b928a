package backoffice

import "net/http"

// newTokenView is the New Login Token dialog, before and after saving.
type newTokenView struct {
	Form    *tokenForm
	Created *tokenRow
	Issued  *issued
}

func (s *Server) newToken(w http.ResponseWriter, r *http.Request) {
	shops, err := s.tokenShops(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "New Login Token", "login-tokens")
	p.Data = &newTokenView{Form: s.newTokenForm(currentFrom(r.Context()), shops)}
	s.render(w, r, http.StatusOK, "tokens_new", p)
}
