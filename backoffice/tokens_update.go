package backoffice

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

// updateToken saves the edit form as a merge patch: the store leaves
// unchanged fields alone, and regenerates the value only when the user
// really changes.
func (s *Server) updateToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.loadToken(w, r)
	if !ok || s.refuseUnchangeable(w, r, tok) {
		return
	}
	c := currentFrom(r.Context())
	shops, err := s.tokenShops(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := s.editTokenForm(c, tok, shops)
	in, ok, err := s.readTokenForm(r, f, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	upd := lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: in.expiresAt, MaxUsesSet: true, MaxUses: in.maxUses, Networks: &in.networks, Extra: &in.extra,
		ShopIDSet: in.shopSet, ShopID: in.shopID}
	switch {
	case in.user == nil:
		upd.Anonymous = true
	case in.user.Type == lt.UserContact:
		upd.ContactID = &in.user.ID
	default:
		upd.CustomerID = &in.user.ID
	}
	var value string
	if !ok {
		mergeErrors(f.Errors, upd.Validate())
	} else {
		var saved *lt.LoginToken
		saved, value, err = s.Store.UpdateToken(r.Context(), c.actor(r, s), tok.ID, upd)
		if err == nil {
			tok = saved
		} else if errs, isForm := tokenFormErrors(err); isForm {
			f.Errors, ok = errs, false
		} else {
			s.refuse(w, r, tok, err)
			return
		}
	}
	d, err := s.detail(r, tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		d.Form = f
		s.renderDetail(w, r, http.StatusBadRequest, d)
		return
	}
	d.Saved = "Saved."
	if value != "" {
		d.Issued = s.issue("edit", value)
		d.IssuedWhy = "The contact or customer changed, so the token has a new value and the old value no longer works. Copy the new value now."
	}
	s.renderDetail(w, r, http.StatusOK, d)
}
