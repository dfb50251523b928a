package backoffice

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	shops, err := s.tokenShops(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := s.newTokenForm(c, shops)
	in, ok, err := s.readTokenForm(r, f, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "New Login Token", "login-tokens")
	n := lt.NewToken{ExpiresAt: in.expiresAt, MaxUses: in.maxUses, Networks: in.networks, Extra: in.extra, ShopID: in.shopID}
	if in.user != nil {
		id := in.user.ID
		if in.user.Type == lt.UserContact {
			n.ContactID = &id
		} else {
			n.CustomerID = &id
		}
	}
	if !ok {
		// Say everything that is wrong at once, not the form's half first.
		mergeErrors(f.Errors, n.Validate(s.Now()))
	} else {
		tok, err := s.Store.CreateToken(r.Context(), c.actor(r, s), n)
		if err == nil {
			p.Title = "Login token created"
			p.Data = &newTokenView{Form: f, Created: &tokenRow{tok.LoginToken}, Issued: s.issue("new", tok.Value)}
			s.render(w, r, http.StatusCreated, "tokens_new", p)
			return
		}
		errs, ok := tokenFormErrors(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		f.Errors = errs
	}
	p.Data = &newTokenView{Form: f}
	s.render(w, r, http.StatusBadRequest, "tokens_new", p)
}
