package backoffice

// Settings > Shops: the relying parties of the OpenID Provider. Anyone
// with configuration:viewer reads them; only configuration:owner
// registers, changes, disables them and rotates their secrets (the route
// table says so, and the pages hide what the viewer may not do). A client
// secret is shown once, in the answer to the POST that made it, like an
// API key's. The store records every change in the audit trail.

import (
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

const shopsPath = "/admin/settings/shops"

func (s *Server) shopRoutes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return []route{
		{pattern: "GET " + shopsPath, need: cfgViewer, handler: h(s.listShops)},
		{pattern: "GET " + shopsPath + "/new", need: cfgOwner, handler: h(s.newShop)},
		{pattern: "POST " + shopsPath, need: cfgOwner, handler: h(s.createShop), maxBody: 128 << 10},
		{pattern: "GET " + shopsPath + "/{id}", need: cfgViewer, handler: h(s.showShop)},
		{pattern: "POST " + shopsPath + "/{id}", need: cfgOwner, handler: h(s.updateShop), maxBody: 128 << 10},
		{pattern: "POST " + shopsPath + "/{id}/rotate-secret", need: cfgOwner, handler: h(s.rotateShopSecret)},
		{pattern: "POST " + shopsPath + "/{id}/disable", need: cfgOwner, handler: s.setShopDisabled(true)},
		{pattern: "POST " + shopsPath + "/{id}/enable", need: cfgOwner, handler: s.setShopDisabled(false)},
	}
}

// shopsPage is the data of the shop list.
type shopsPage struct {
	Shops []*lt.Shop
	Owner bool
	// Issuer is what a shop's OpenID Connect plugin is given.
	Issuer string
}

func (s *Server) listShops(w http.ResponseWriter, r *http.Request) {
	shops, err := s.Store.FindShops(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "Shops", "shops")
	p.Message = shopNotice(r)
	p.Data = &shopsPage{Shops: shops, Owner: currentFrom(r.Context()).can(lt.AreaConfiguration, lt.LevelOwner), Issuer: s.PublicURL}
	s.render(w, r, http.StatusOK, "shops", p)
}

// shopNotice is the done= notice of the shop screens.
func shopNotice(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "disabled":
		return "Disabled: the shop can no longer sign anyone in, and its tokens' login links no longer lead there, until it is enabled again."
	case "enabled":
		return "Enabled: the shop signs people in again."
	}
	return doneNotice(r)
}

// shopPage is the data of a shop's page: its form for owners, its facts
// for everyone else.
type shopPage struct {
	Shop   *lt.Shop // nil on the new form
	Owner  bool
	Issuer string
}

// shopLabels are the form's fields, by the names the domain's errors give.
var shopLabels = map[string]string{"name": "Name", "redirectUris": "", "initiateLoginUri": "Initiate-login URI",
	"postLogoutRedirectUris": ""}

func (s *Server) renderShop(w http.ResponseWriter, r *http.Request, status int, p *pageData, sh *lt.Shop) {
	p.Title = "New shop"
	if sh != nil {
		p.Title = sh.Name
	}
	p.Data = &shopPage{Shop: sh, Owner: currentFrom(r.Context()).can(lt.AreaConfiguration, lt.LevelOwner), Issuer: s.PublicURL}
	s.render(w, r, status, "shop_form", p)
}

// shopForm is what the form shows of a shop.
func shopForm(sh *lt.Shop) map[string]string {
	f := map[string]string{"name": sh.Name, "redirectUris": strings.Join(sh.RedirectURIs, "\n"),
		"postLogoutRedirectUris": strings.Join(sh.PostLogoutRedirectURIs, "\n")}
	if sh.InitiateLoginURI != nil {
		f["initiateLoginUri"] = *sh.InitiateLoginURI
	}
	return f
}

// formURIs reads a list of URIs, one a line; blank lines are left out.
func formURIs(r *http.Request, name string) []string {
	out := []string{}
	for _, line := range strings.Split(r.PostFormValue(name), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// formOptional is a field whose empty value means none.
func formOptional(r *http.Request, name string) *string {
	if v := strings.TrimSpace(r.PostFormValue(name)); v != "" {
		return &v
	}
	return nil
}

// postedShopForm is the form as posted, to show it again.
func postedShopForm(r *http.Request) map[string]string {
	f := map[string]string{}
	for _, k := range []string{"name", "redirectUris", "initiateLoginUri", "postLogoutRedirectUris", "public"} {
		f[k] = r.PostFormValue(k)
	}
	return f
}

func (s *Server) newShop(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "shops")
	p.Form = map[string]string{}
	s.renderShop(w, r, http.StatusOK, p, nil)
}

// issuedShop is the data of the page that shows a client secret once.
type issuedShop struct {
	Shop    *lt.Shop
	Secret  string // "" for a public shop
	Rotated bool
	Issuer  string
}

func (s *Server) createShop(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	p := s.page(r, "", "shops")
	p.Form = postedShopForm(r)
	n := lt.NewShop{Name: r.PostFormValue("name"), RedirectURIs: formURIs(r, "redirectUris"),
		InitiateLoginURI: formOptional(r, "initiateLoginUri"), PostLogoutRedirectURIs: formURIs(r, "postLogoutRedirectUris"),
		Public: r.PostFormValue("public") == "true"}
	sh, secret, err := s.Store.CreateShop(r.Context(), c.actor(r, s), n)
	if err != nil {
		s.shopFormFailed(w, r, p, nil, err)
		return
	}
	p.Title = "Shop registered"
	p.Data = &issuedShop{Shop: sh, Secret: secret, Issuer: s.PublicURL}
	s.render(w, r, http.StatusCreated, "shops_secret", p)
}

// shopFormFailed shows the form again with the messages of err by its
// fields, or fails with an error no field explains.
func (s *Server) shopFormFailed(w http.ResponseWriter, r *http.Request, p *pageData, sh *lt.Shop, err error) {
	errs, status, ok := formErrors(err, formFields{Labels: shopLabels})
	if !ok {
		s.fail(w, r, err)
		return
	}
	p.Errors = errs
	s.renderShop(w, r, status, p, sh)
}

func (s *Server) findShop(r *http.Request) (*lt.Shop, error) {
	id, err := dirPathID(r, "shop")
	if err != nil {
		return nil, err
	}
	return s.Store.FindShopByID(r.Context(), id)
}

func shopURL(sh *lt.Shop) string { return shopsPath + "/" + strconv.FormatInt(sh.ID, 10) }

func (s *Server) showShop(w http.ResponseWriter, r *http.Request) {
	sh, err := s.findShop(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "", "shops")
	p.Message = shopNotice(r)
	p.Form = shopForm(sh)
	s.renderShop(w, r, http.StatusOK, p, sh)
}

func (s *Server) updateShop(w http.ResponseWriter, r *http.Request) {
	sh, err := s.findShop(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := currentFrom(r.Context())
	p := s.page(r, "", "shops")
	p.Form = postedShopForm(r)
	name, redirects, postLogout := r.PostFormValue("name"), formURIs(r, "redirectUris"), formURIs(r, "postLogoutRedirectUris")
	upd := lt.ShopUpdate{Name: &name, RedirectURIs: &redirects, InitiateLoginURISet: true,
		InitiateLoginURI: formOptional(r, "initiateLoginUri"), PostLogoutRedirectURIs: &postLogout}
	updated, err := s.Store.UpdateShop(r.Context(), c.actor(r, s), sh.ID, upd)
	if err != nil {
		s.shopFormFailed(w, r, p, sh, err)
		return
	}
	http.Redirect(w, r, shopURL(updated)+"?done=saved", http.StatusSeeOther)
}

const rotateShopWarning = "The shop's current client secret stops working at once: the shop signs nobody in until its " +
	"OpenID Connect settings hold the new one, which is shown once, on the next page."

// rotateShopSecret asks first (a page of its own, so that it works
// without JavaScript), then shows the new secret once.
func (s *Server) rotateShopSecret(w http.ResponseWriter, r *http.Request) {
	sh, err := s.findShop(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := currentFrom(r.Context())
	if r.PostFormValue("confirm") != "yes" {
		p := s.page(r, "Rotate the client secret of "+sh.Name+"?", "shops")
		p.Data = &confirmView{Heading: p.Title, Text: rotateShopWarning, Button: "Rotate secret",
			Action: shopURL(sh) + "/rotate-secret", CancelURL: shopURL(sh), CSRF: c.csrf}
		s.render(w, r, http.StatusOK, "tokens_confirm", p)
		return
	}
	sh, secret, err := s.Store.RotateShopSecret(r.Context(), c.actor(r, s), sh.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "New client secret", "shops")
	p.Data = &issuedShop{Shop: sh, Secret: secret, Rotated: true, Issuer: s.PublicURL}
	s.render(w, r, http.StatusOK, "shops_secret", p)
}

func (s *Server) setShopDisabled(disabled bool) http.Handler {
	done := map[bool]string{true: "disabled", false: "enabled"}[disabled]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sh, err := s.findShop(r)
		if err == nil {
			_, err = s.Store.UpdateShop(r.Context(), currentFrom(r.Context()).actor(r, s), sh.ID, lt.ShopUpdate{Disabled: &disabled})
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, withDone(dirBack(r, shopsPath), done), http.StatusSeeOther)
	})
}
