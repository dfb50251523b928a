package backoffice

// "Open webshop as ...": on a contact, a customer or a token's user, staff
// open the shop as that person in a new tab, with no extra click
// (docs/signin.md). Each click makes a fresh one-time token valid for five
// minutes that remembers the staff member, so the redeem names them in the
// audit trail and in the JWT's act claim; the answer is a page whose form
// posts the value to /login and submits itself (app.js). The value travels
// only in that form's body, never in a URL.
//
// Where the shop opens: the form-post callback, when the service has one,
// and each enabled shop of the OpenID Provider with an initiate-login URI.
// With several, the new tab first asks which; with one (or none: /login
// then says that no shop is configured) it goes straight on. For a
// provider's shop the token is bound to it, and /login continues such a
// token, as it does any login link of a shop-bound token, by signing in at
// the provider and going on to the shop's initiate-login URI.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// impersonationLifetime is how long the token of one "Open webshop as"
// works: long enough to reach the shop, too short to be worth keeping.
const impersonationLifetime = 5 * time.Minute

func (s *Server) impersonateRoutes() []route {
	return []route{{pattern: "POST /admin/impersonate", need: cfgEditor, handler: http.HandlerFunc(s.impersonate), maxBody: 16 << 10}}
}

// impersonation is the page that takes the new tab on to the shop.
type impersonation struct {
	Name      string // whom the shop opens as
	Type      string // "contact" or "customer", as the page says it
	Value     string // the new token's value: only in the form's body
	ExpiresAt time.Time
}

func (s *Server) impersonate(w http.ResponseWriter, r *http.Request) {
	typ, id, err := s.impersonationTarget(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, err := s.impersonable(r, typ, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dests, err := s.webshops(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dest, chosen := impersonationDestination(r, dests)
	if !chosen {
		s.askWhichShop(w, r, name, dests)
		return
	}
	c := currentFrom(r.Context())
	by := c.staff.Name
	if by == "" {
		by = c.staff.Email
	}
	expires := s.Now().Add(impersonationLifetime)
	n := lt.NewToken{ExpiresAt: &expires, OneTimeUse: true, Extra: []string{"Impersonation by " + by},
		Act: &lt.Impersonator{Sub: c.staff.Actor(), Name: c.staff.Name, Email: c.staff.Email}}
	if typ == lt.UserContact {
		n.ContactID = &id
	} else {
		n.CustomerID = &id
	}
	n.ShopID = dest.shopID
	tok, err := s.Store.CreateToken(r.Context(), c.actor(r, s), n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "Opening the webshop as "+name, "")
	p.Data = &impersonation{Name: name, Type: strings.ToLower(typeLabel(typ)), Value: tok.Value, ExpiresAt: *tok.ExpiresAt}
	s.render(w, r, http.StatusOK, "impersonate", p)
}

// impersonationTarget reads whom to open the shop as: a token's user
// (token = its id), or type and id of a contact or customer.
func (s *Server) impersonationTarget(r *http.Request) (lt.UserType, int64, error) {
	if tokenID := strings.TrimSpace(r.PostFormValue("token")); tokenID != "" {
		if !lt.ValidID(tokenID) {
			return "", 0, lt.Errorf(lt.ENOTFOUND, "no such login token")
		}
		tok, err := s.Store.FindTokenByID(r.Context(), tokenID)
		if err != nil {
			return "", 0, err
		}
		if tok.User == nil {
			return "", 0, lt.Errorf(lt.EINVALID, "Login token %s is anonymous: it signs in no one in particular, so there is no one to open the webshop as.", tok.ID)
		}
		return tok.User.Type, tok.User.ID, nil
	}
	typ := lt.UserType(r.PostFormValue("type"))
	if typ != lt.UserContact && typ != lt.UserCustomer {
		return "", 0, lt.Errorf(lt.EINVALID, "Say whom to open the webshop as: a contact or a customer.")
	}
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", 0, lt.Errorf(lt.EINVALID, "Say which %s to open the webshop as.", typ)
	}
	return typ, id, nil
}

// impersonable returns the person's name, or why the shop cannot be
// opened as them: deleted or disabled people cannot sign in, so a token
// for them would only fail in the new tab.
func (s *Server) impersonable(r *http.Request, typ lt.UserType, id int64) (string, error) {
	var p *lt.Person
	var err error
	switch typ {
	case lt.UserContact:
		var c *lt.Contact
		if c, err = s.Store.FindContactByID(r.Context(), id); err == nil {
			p = &c.Person
		}
	case lt.UserCustomer:
		var c *lt.Customer
		if c, err = s.Store.FindCustomerByID(r.Context(), id); err == nil {
			p = &c.Person
		}
	}
	if lt.ErrorCode(err) == lt.ENOTFOUND {
		return "", lt.Errorf(lt.ENOTFOUND, "This %s has been deleted (or never existed), so the webshop cannot be opened as them.", typ)
	}
	if err != nil {
		return "", err
	}
	name := personName(p)
	if p.Disabled {
		return "", lt.Errorf(lt.EINVALID, "%s is disabled and cannot sign in to the webshop, so it cannot be opened as them either. Enable the %s first.", name, typ)
	}
	return name, nil
}

// callbackDestination is the form-post callback among the places "Open
// webshop as" opens.
const callbackDestination = "callback"

// webshop is a place "Open webshop as" opens: a provider's shop (shopID)
// or the form-post callback (shopID nil).
type webshop struct {
	Value, Label, Detail string
	shopID               *int64
}

// webshops are the places "Open webshop as" can open: the form-post
// callback when the service has one, then each enabled shop with an
// initiate-login URI, where a sign-in at the provider goes on to.
func (s *Server) webshops(r *http.Request) ([]webshop, error) {
	var out []webshop
	if s.ShopCallback {
		out = append(out, webshop{Value: callbackDestination, Label: "The webshop", Detail: "the form-post integration"})
	}
	shops, err := s.Store.FindShops(r.Context())
	if err != nil {
		return nil, err
	}
	for _, sh := range shops {
		if sh.Disabled || sh.InitiateLoginURI == nil {
			continue
		}
		out = append(out, webshop{Value: strconv.FormatInt(sh.ID, 10), Label: sh.Name, Detail: "OpenID Connect", shopID: &sh.ID})
	}
	return out, nil
}

// impersonationDestination is the place the form's shop field names;
// with one place or none, that one (or the callback's way: /login
// explains that there is none). chosen is false when there are several
// and the field names none of them.
func impersonationDestination(r *http.Request, dests []webshop) (dest webshop, chosen bool) {
	if len(dests) <= 1 {
		if len(dests) == 1 {
			return dests[0], true
		}
		return webshop{}, true
	}
	want := r.PostFormValue("shop")
	for _, d := range dests {
		if d.Value == want {
			return d, true
		}
	}
	return webshop{}, false
}

// impersonationChoice is the page that asks which shop to open.
type impersonationChoice struct {
	Name   string
	Shops  []webshop
	Fields []field // whom to open the shop as, posted again
}

func (s *Server) askWhichShop(w http.ResponseWriter, r *http.Request, name string, dests []webshop) {
	v := &impersonationChoice{Name: name, Shops: dests}
	for _, k := range []string{"token", "type", "id"} {
		if val := strings.TrimSpace(r.PostFormValue(k)); val != "" {
			v.Fields = append(v.Fields, field{k, val})
		}
	}
	p := s.page(r, "Open the webshop as "+name, "")
	p.Data = v
	s.render(w, r, http.StatusOK, "impersonate_choose", p)
}
