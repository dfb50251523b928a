package backoffice

// "Open webshop as ...": on a contact, a customer or a token's user, staff
// open the shop as that person in a new tab, with no extra click
// (docs/signin.md). Each click makes a fresh one-time token valid for five
// minutes that remembers the staff member, so the redeem names them in the
// audit trail and in the JWT's act claim; the answer is a page whose form
// posts the value to /login and submits itself (app.js). The value travels
// only in that form's body, never in a URL.

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
