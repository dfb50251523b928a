package httpapi

import (
	"net/http"
	"net/netip"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/redeem"
)

// page is the list envelope of every list (docs/api.md).
type page[T any] struct {
	Items      []T `json:"items"`
	ItemsFound int `json:"itemsFound"`
	Page       int `json:"page"`
	PageSize   int `json:"pageSize"`
	Pages      int `json:"pages"`
}

func newPage[T any](items []T, found, pageNo, size int) page[T] {
	if items == nil {
		items = []T{}
	}
	return page[T]{Items: items, ItemsFound: found, Page: pageNo, PageSize: size, Pages: lt.Pages(found, size)}
}

// issuedJSON is a token with its value and the links built from it.
type issuedJSON struct {
	*lt.LoginToken
	Value    string  `json:"value"`
	LoginURL string  `json:"loginUrl"`
	OCIURL   *string `json:"ociUrl"`
}

func (s *Server) issued(tok *lt.LoginToken, value string) issuedJSON {
	return issuedJSON{LoginToken: tok, Value: value, LoginURL: web.Login.Link(s.PublicURL, value), OCIURL: s.ociLink(value)}
}

// ociLink is the OCI punchout link of value, nil while punchout is off.
func (s *Server) ociLink(value string) *string {
	return web.OCILink(s.OCIPunchout, s.PublicURL, value)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := lt.ParseTokenFilter(r.URL.Query())
	if err != nil {
		return err
	}
	leave, err := s.Gates.EnterSearch(f.Q)
	if err != nil {
		return err
	}
	defer leave()
	items, found, err := s.Store.FindTokens(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(items, found, f.Page, f.PageSize))
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, newTokenFields)
	if err != nil {
		return err
	}
	n := lt.NewToken{ContactID: o.id("contactId"), CustomerID: o.id("customerId"), ExpiresAt: o.time("expiresAt"), ShopID: o.id("shopId")}
	n.MaxUses = maxUses(o)
	if b := o.boolPtr("oneTimeUse"); b != nil {
		n.OneTimeUse = *b
	}
	if nets := o.strings("networks"); nets != nil {
		n.Networks = *nets
	}
	if e := o.strings("extra"); e != nil {
		n.Extra = *e
	}
	if err := o.err(); err != nil {
		return err
	}
	tok, err := s.Store.CreateToken(r.Context(), c.actor, n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/login-tokens/"+tok.ID)
	writeJSON(w, http.StatusCreated, s.issued(tok.LoginToken, tok.Value))
	return nil
}

// maxUses reads the uses allowed: a whole number, 1 or more; absent or
// null is nil (no limit).
func maxUses(o *object) *int64 {
	var n int64
	if !o.decode("maxUses", &n, "a whole number, 1 or more, or null for no limit") {
		return nil
	}
	if n < 1 {
		o.v.Add("maxUses", "must be a whole number, 1 or more, or null for no limit")
		return nil
	}
	return &n
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	tok, err := s.Store.FindTokenByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tok)
	return nil
}

func (s *Server) lookupToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, tokenValueFields)
	if err != nil {
		return err
	}
	o.required("value")
	value := o.str("value")
	if err := o.err(); err != nil {
		return err
	}
	tok, err := s.Store.LookupToken(r.Context(), *value)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tok)
	return nil
}

// updatedJSON is a patched token; value and links appear only when the
// user changed and the value was regenerated.
type updatedJSON struct {
	*lt.LoginToken
	Value    string  `json:"value,omitempty"`
	LoginURL string  `json:"loginUrl,omitempty"`
	OCIURL   *string `json:"ociUrl,omitempty"`
}

func (s *Server) updateToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, tokenPatchFields, readOnlyTokenFields...)
	if err != nil {
		return err
	}
	var upd lt.TokenUpdate
	if o.has("expiresAt") {
		upd.ExpiresAtSet = true
		upd.ExpiresAt = o.time("expiresAt")
	}
	if o.has("oneTimeUse") {
		if upd.OneTimeUse = o.boolPtr("oneTimeUse"); upd.OneTimeUse == nil {
			o.v.Add("oneTimeUse", "must be true or false")
		}
	}
	if o.has("maxUses") {
		upd.MaxUsesSet, upd.MaxUses = true, maxUses(o)
	}
	if o.has("networks") {
		upd.Networks = o.strings("networks")
	}
	if o.has("extra") {
		upd.Extra = o.strings("extra")
	}
	upd.ContactID, upd.CustomerID = o.id("contactId"), o.id("customerId")
	if o.has("shopId") {
		upd.ShopIDSet, upd.ShopID = true, o.id("shopId")
	}
	if a := o.boolPtr("anonymous"); a != nil {
		if !*a {
			o.v.Add("anonymous", "only true is meaningful: give contactId or customerId to bind a user")
		}
		upd.Anonymous = *a
	}
	if err := o.err(); err != nil {
		return err
	}
	tok, value, err := s.Store.UpdateToken(r.Context(), c.actor, id, upd)
	if err != nil {
		return err
	}
	out := updatedJSON{LoginToken: tok}
	if value != "" {
		out.Value, out.LoginURL, out.OCIURL = value, web.Login.Link(s.PublicURL, value), s.ociLink(value)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) regenerateToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	tok, err := s.Store.RegenerateToken(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.issued(tok.LoginToken, tok.Value))
	return nil
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteToken(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deletedJSON is the answer of a bulk delete.
type deletedJSON struct {
	Deleted int `json:"deleted"`
}

func (s *Server) deleteTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, tokenIDsFields)
	if err != nil {
		return err
	}
	o.required("ids")
	ids := o.strings("ids")
	if err := o.err(); err != nil {
		return err
	}
	n, err := s.Store.DeleteTokens(r.Context(), c.actor, *ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deletedJSON{Deleted: n})
	return nil
}

// revealed is the answer of a reveal.
type revealed struct {
	Value    string  `json:"value"`
	LoginURL string  `json:"loginUrl"`
	OCIURL   *string `json:"ociUrl"`
}

func (s *Server) revealToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	value, err := s.Store.RevealToken(r.Context(), c.actor, id, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revealed{Value: value, LoginURL: web.Login.Link(s.PublicURL, value), OCIURL: s.ociLink(value)})
	return nil
}

func (s *Server) tokenEvents(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := tokenPathID(r)
	if err != nil {
		return err
	}
	pageNo, size, err := lt.ParsePaging(r.URL.Query())
	if err != nil {
		return err
	}
	events, found, err := s.Store.FindTokenEvents(r.Context(), id, pageNo, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(events, found, pageNo, size))
	return nil
}

// redeemResponse is a successful redeem.
type redeemResponse struct {
	LoginToken lt.LoginToken `json:"loginToken"`
	User       *lt.UserRef   `json:"user"`
	Assertion  string        `json:"assertion"`
}

func (s *Server) redeemToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, redeemFields)
	if err != nil {
		return err
	}
	o.required("token")
	value, clientIP, ua := o.str("token"), o.str("clientIp"), o.str("userAgent")
	addr := c.actor.ClientIP
	if clientIP != nil {
		ip, err := netip.ParseAddr(*clientIP)
		if err != nil {
			o.v.Add("clientIp", "must be an IPv4 or IPv6 address")
		} else {
			addr = ip.Unmap().String()
		}
	}
	if ua != nil && len(*ua) > 1000 {
		o.v.Add("userAgent", "at most 1000 characters")
	}
	if err := o.err(); err != nil {
		return err
	}
	req := redeem.Request{RedeemRequest: lt.RedeemRequest{Value: *value, ClientIP: addr, Actor: c.actor.Name}}
	if ua != nil {
		req.UserAgent = *ua
	}
	res, err := s.Redeem.Redeem(r.Context(), req)
	if err != nil {
		return err
	}
	s.Metrics.Redeemed(res.Code)
	switch {
	case res.Code == lt.ERATELIMITED:
		return &web.RateLimited{Wait: res.RetryAfter}
	case res.Code != "":
		return lt.Errorf(res.Code, "%s", lt.RedeemOutcomeMessage(res.Code))
	}
	writeJSON(w, http.StatusOK, redeemResponse{LoginToken: *res.Token, User: res.Token.User, Assertion: res.Assertion})
	return nil
}
