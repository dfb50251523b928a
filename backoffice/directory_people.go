package backoffice

import (
	"context"
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

// personKind is what differs between the contacts and the customers
// screens: names and store calls. Both are handled as *lt.Contact; a
// customer's CompanyID is 0.
type personKind struct {
	*dirKind
	fields []string // the import's columns

	find    func(context.Context, lt.DirectoryFilter) ([]*lt.Contact, int, error)
	byID    func(context.Context, int64) (*lt.Contact, error)
	create  func(context.Context, *lt.Contact) error
	update  func(context.Context, int64, lt.PersonUpdate) (*lt.Contact, error)
	delete  func(context.Context, int64) error
	imports func(context.Context, []lt.ContactImport) (lt.ImportResult, error)
}

func (s *Server) contactKind() *personKind {
	return &personKind{dirKind: contactsKind, fields: importcsv.ContactFields,
		find: s.Store.FindContacts, byID: s.Store.FindContactByID, create: s.Store.CreateContact,
		update: s.Store.UpdateContact, delete: s.Store.DeleteContact, imports: s.Store.ImportContacts}
}

func (s *Server) customerKind() *personKind {
	st := s.Store
	return &personKind{dirKind: customersKind, fields: importcsv.CustomerFields,
		find: func(ctx context.Context, f lt.DirectoryFilter) ([]*lt.Contact, int, error) {
			list, n, err := st.FindCustomers(ctx, f)
			out := make([]*lt.Contact, len(list))
			for i, c := range list {
				out[i] = fromCustomer(c)
			}
			return out, n, err
		},
		byID: func(ctx context.Context, id int64) (*lt.Contact, error) {
			c, err := st.FindCustomerByID(ctx, id)
			return fromCustomer(c), err
		},
		create: func(ctx context.Context, c *lt.Contact) error {
			cu := &lt.Customer{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, ExternalID: c.ExternalID, Disabled: c.Disabled}
			if err := st.CreateCustomer(ctx, cu); err != nil {
				return err
			}
			*c = *fromCustomer(cu)
			return nil
		},
		update: func(ctx context.Context, id int64, upd lt.PersonUpdate) (*lt.Contact, error) {
			c, err := st.UpdateCustomer(ctx, id, upd)
			return fromCustomer(c), err
		},
		delete: st.DeleteCustomer, imports: st.ImportCustomers}
}

func fromCustomer(c *lt.Customer) *lt.Contact {
	if c == nil {
		return nil
	}
	return &lt.Contact{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, ExternalID: c.ExternalID,
		Disabled: c.Disabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// personName is how a person is named in lists and messages.
func personName(c *lt.Contact) string {
	if n := lt.FullName(c.FirstName, c.LastName); n != "" {
		return n
	}
	return c.Email
}

// personRow is one row of a contacts or customers list.
type personRow struct {
	*lt.Contact
	Name    string
	Company *lt.Company // contacts; nil when it cannot be found
}

func (s *Server) listPeople(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirectWithoutSecrets(w, r) {
			return
		}
		ctx := r.Context()
		lq := readDirQuery(r)
		if !k.Companies {
			lq.CompanyID = 0
		}
		people, total, err := k.find(ctx, lq.filter())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d := newDirList[personRow](r, k.dirKind, lq, total)
		companies := companyCache{s: s, ctx: ctx}
		for _, c := range people {
			row := personRow{Contact: c, Name: personName(c)}
			if k.Companies {
				if row.Company, err = companies.get(c.CompanyID); err != nil {
					s.fail(w, r, err)
					return
				}
			}
			d.Rows = append(d.Rows, row)
		}
		if lq.CompanyID > 0 {
			if d.Company, err = companies.get(lq.CompanyID); err != nil {
				s.fail(w, r, err)
				return
			}
			if d.Company == nil {
				d.Company = &lt.Company{ID: lq.CompanyID, Name: "company " + strconv.FormatInt(lq.CompanyID, 10)}
			}
		}
		renderList(s, w, r, d)
	})
}

// companyCache looks up the companies of a page of contacts once each; a
// company that is gone is nil.
type companyCache struct {
	s    *Server
	ctx  context.Context
	seen map[int64]*lt.Company
}

func (c *companyCache) get(id int64) (*lt.Company, error) {
	if co, ok := c.seen[id]; ok {
		return co, nil
	}
	co, err := c.s.Store.FindCompanyByID(c.ctx, id)
	if lt.ErrorCode(err) == lt.ENOTFOUND {
		co, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.seen == nil {
		c.seen = map[int64]*lt.Company{}
	}
	c.seen[id] = co
	return co, nil
}

// personPage is the data of a contact's or customer's form page.
type personPage struct {
	dirRecord
	Person *lt.Contact // nil on the new form
	// Contacts only: the companies the select offers (the first
	// companyChoices by name, plus the contact's own), and how many exist.
	Companies      []*lt.Company
	CompaniesTotal int
	CompanyChoices int
}

// companyChoices is how many companies the contact form's select lists;
// with more, the search beside it (directory.js) narrows them down.
const companyChoices = 200

var personLabels = map[string]string{"firstName": "First name", "lastName": "Last name", "email": "Email",
	"externalId": "External id", "companyId": "Company"}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, k *personKind, status int, p *pageData, person *lt.Contact) {
	ctx := r.Context()
	d := &personPage{dirRecord: dirRecord{Kind: k.dirKind, CanEdit: canEditDirectory(r)}, Person: person, CompanyChoices: companyChoices}
	p.Title = "New " + k.One
	if person != nil {
		d.ID, d.Name = person.ID, personName(person)
		p.Title = d.Name
	}
	if k.Companies {
		var err error
		d.Companies, d.CompaniesTotal, err = s.Store.FindCompanies(ctx, lt.DirectoryFilter{PageSize: companyChoices})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// The chosen company is always an option, even past the first page.
		if id, err := strconv.ParseInt(p.Form["companyId"], 10, 64); err == nil && id > 0 {
			found := false
			for _, c := range d.Companies {
				found = found || c.ID == id
			}
			if !found {
				if c, err := s.Store.FindCompanyByID(ctx, id); err == nil {
					d.Companies = append([]*lt.Company{c}, d.Companies...)
				}
			}
		}
	}
	p.Data = d
	s.render(w, r, status, k.One+"_form", p)
}

func personForm(c *lt.Contact) map[string]string {
	f := map[string]string{"firstName": c.FirstName, "lastName": c.LastName, "email": c.Email, "externalId": derefString(c.ExternalID)}
	if c.CompanyID > 0 {
		f["companyId"] = strconv.FormatInt(c.CompanyID, 10)
	}
	return f
}

// readPerson reads the form's fields and checks what can be checked
// without the store, so one answer names every bad field.
func readPerson(r *http.Request, k *personKind) (map[string]string, lt.PersonUpdate, error) {
	form := map[string]string{}
	for name := range personLabels {
		form[name] = r.PostFormValue(name)
	}
	fields := lt.PersonFields{FirstName: form["firstName"], LastName: form["lastName"], Email: form["email"], ExternalID: optionalValue(form["externalId"])}
	fields.Normalize()
	var v lt.Validation
	fields.Validate(&v)
	upd := lt.PersonUpdate{FirstName: &fields.FirstName, LastName: &fields.LastName, Email: &fields.Email, ExternalID: &fields.ExternalID}
	if k.Companies {
		id, err := strconv.ParseInt(form["companyId"], 10, 64)
		if err != nil || id <= 0 {
			v.Add("companyId", "choose the contact's company")
		}
		upd.CompanyID = &id
	} else {
		delete(form, "companyId")
	}
	return form, upd, v.Err()
}

func (s *Server) newPerson(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirectWithoutSecrets(w, r) {
			return
		}
		p := s.page(r, "", k.Many)
		// "New contact" from a company's page arrives with its id.
		p.Form = map[string]string{"companyId": r.URL.Query().Get("companyId")}
		s.renderPerson(w, r, k, http.StatusOK, p, nil)
	})
}

func (s *Server) createPerson(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, upd, err := readPerson(r, k)
		c := &lt.Contact{}
		if err == nil {
			f := upd.Apply(lt.PersonFields{})
			c = &lt.Contact{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, ExternalID: f.ExternalID}
			if upd.CompanyID != nil {
				c.CompanyID = *upd.CompanyID
			}
			err = k.create(r.Context(), c)
		}
		if err != nil {
			s.personFormError(w, r, k, err, form, nil)
			return
		}
		http.Redirect(w, r, k.Path+"/"+strconv.FormatInt(c.ID, 10)+"?done=created", http.StatusSeeOther)
	})
}

// personFormError answers a form that the store or the checks refused
// with the form again, its messages next to their fields.
func (s *Server) personFormError(w http.ResponseWriter, r *http.Request, k *personKind, err error, form map[string]string, c *lt.Contact) {
	errs, status, ok := fieldMessages(err, personLabels)
	if !ok {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "", k.Many)
	p.Form, p.Errors = form, errs
	s.renderPerson(w, r, k, status, p, c)
}

func (s *Server) showPerson(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.findPerson(r, k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.page(r, "", k.Many)
		p.Message, p.Form = doneNotice(r), personForm(c)
		s.renderPerson(w, r, k, http.StatusOK, p, c)
	})
}

func (s *Server) findPerson(r *http.Request, k *personKind) (*lt.Contact, error) {
	id, err := dirPathID(r, k.One)
	if err != nil {
		return nil, err
	}
	return k.byID(r.Context(), id)
}

func (s *Server) updatePerson(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.findPerson(r, k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		form, upd, err := readPerson(r, k)
		if err == nil {
			_, err = k.update(r.Context(), c.ID, upd)
		}
		if err != nil {
			s.personFormError(w, r, k, err, form, c)
			return
		}
		http.Redirect(w, r, k.Path+"/"+strconv.FormatInt(c.ID, 10)+"?done=saved", http.StatusSeeOther)
	})
}

func (s *Server) setPersonDisabled(k *personKind, disabled bool) http.Handler {
	done := map[bool]string{true: "disabled", false: "enabled"}[disabled]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := dirPathID(r, k.One)
		if err == nil {
			_, err = k.update(r.Context(), id, lt.PersonUpdate{Disabled: &disabled})
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, withDone(dirBack(r, k.Path), done), http.StatusSeeOther)
	})
}

func (s *Server) deletePerson(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := dirPathID(r, k.One)
		if err == nil {
			err = k.delete(r.Context(), id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, withDone(dirBackToList(r, k.Path), "deleted"), http.StatusSeeOther)
	})
}
