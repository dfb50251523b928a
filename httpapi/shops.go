package httpapi

import (
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
)

// issuedShopJSON is a shop with its client secret: answered when a
// confidential shop is registered or its secret rotated, this once.
type issuedShopJSON struct {
	*lt.Shop
	ClientSecret string `json:"clientSecret,omitempty"`
}

// shopList is the answer of the shop list: not paged (a handful of
// shops), but in the lists' envelope.
type shopList struct {
	Items []*lt.Shop `json:"items"`
}

func (s *Server) listShops(w http.ResponseWriter, r *http.Request, c *caller) error {
	shops, err := s.Store.FindShops(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, shopList{Items: shops})
	return nil
}

func (s *Server) getShop(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "shop")
	if err != nil {
		return err
	}
	shop, err := s.Store.FindShopByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, shop)
	return nil
}

func (s *Server) createShop(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, newShopFields, readOnlyShopFields...)
	if err != nil {
		return err
	}
	o.required("name")
	o.required("redirectUris")
	var n lt.NewShop
	if name := o.str("name"); name != nil {
		n.Name = *name
	}
	if uris := o.strings("redirectUris"); uris != nil {
		n.RedirectURIs = *uris
	}
	if uri := o.optStr("initiateLoginUri"); uri != nil {
		n.InitiateLoginURI = *uri
	}
	if uris := o.strings("postLogoutRedirectUris"); uris != nil {
		n.PostLogoutRedirectURIs = *uris
	}
	if b := o.boolPtr("public"); b != nil {
		n.Public = *b
	}
	if err := o.err(); err != nil {
		return err
	}
	shop, secret, err := s.Store.CreateShop(r.Context(), c.actor, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/shops/"+strconv.FormatInt(shop.ID, 10))
	writeJSON(w, http.StatusCreated, issuedShopJSON{Shop: shop, ClientSecret: secret})
	return nil
}

func (s *Server) updateShop(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "shop")
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, shopPatchFields, readOnlyShopFields...)
	if err != nil {
		return err
	}
	var upd lt.ShopUpdate
	upd.Name = o.str("name")
	if o.has("name") && upd.Name == nil && o.isNull("name") {
		o.v.Add("name", "is required")
	}
	if o.has("redirectUris") {
		upd.RedirectURIs = o.strings("redirectUris")
	}
	if uri := o.optStr("initiateLoginUri"); uri != nil {
		upd.InitiateLoginURISet, upd.InitiateLoginURI = true, *uri
	}
	if o.has("postLogoutRedirectUris") {
		upd.PostLogoutRedirectURIs = o.strings("postLogoutRedirectUris")
	}
	if o.has("disabled") {
		if upd.Disabled = o.boolPtr("disabled"); upd.Disabled == nil {
			o.v.Add("disabled", "must be true or false")
		}
	}
	if err := o.err(); err != nil {
		return err
	}
	shop, err := s.Store.UpdateShop(r.Context(), c.actor, id, upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, shop)
	return nil
}

func (s *Server) rotateShopSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "shop")
	if err != nil {
		return err
	}
	shop, secret, err := s.Store.RotateShopSecret(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, issuedShopJSON{Shop: shop, ClientSecret: secret})
	return nil
}

func (s *Server) deleteShop(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "shop")
	if err != nil {
		return err
	}
	if err := s.Store.DeleteShop(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
