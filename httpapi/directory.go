package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// The directory (docs/api.md, "Directory"): companies, contacts and
// customers. The answers are the domain types themselves: ids, the
// editable fields, createdAt and updatedAt.

// readOnlyDirectoryFields may appear in a body copied from an answer, but
// cannot be set.
var readOnlyDirectoryFields = []string{"id", "createdAt", "updatedAt"}

// directoryFilter reads q, page, pageSize and, for contacts, companyId
// (the server has refused the parameters the route does not document).
func directoryFilter(q url.Values) (lt.DirectoryFilter, error) {
	var f lt.DirectoryFilter
	var v lt.Validation // one answer names every bad parameter
	var err error
	if f.Page, f.PageSize, err = lt.ParsePaging(q); err != nil {
		v.Merge(err)
	}
	f.Q = web.QueryValue(&v, q, "q", web.MaxSearchLen)
	if s := web.QueryValue(&v, q, "companyId", 20); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
			v.Add("companyId", "must be a positive integer")
		} else {
			f.CompanyID = &n
		}
	}
	return f, v.Err()
}

// refuseNull records an error for each field that is present as null but
// cannot be emptied.
func refuseNull(o *object, names ...string) {
	for _, name := range names {
		if o.isNull(name) {
			o.v.Add(name, "must not be null")
		}
	}
}

func writeCreated(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	writeJSON(w, http.StatusCreated, v)
}

// --- companies

// listDirectory answers a list of the directory: the filter from the
// query, then a page of find. A q that no trigram index serves takes a
// place of the short searches' gate first; find refuses a page deeper
// than bounds.MaxListRows.
func listDirectory[T any](s *Server, w http.ResponseWriter, r *http.Request,
	find func(context.Context, lt.DirectoryFilter) ([]*T, int, error)) error {
	f, err := directoryFilter(r.URL.Query())
	if err != nil {
		return err
	}
	leave, err := s.Gates.EnterSearch(f.Q)
	if err != nil {
		return err
	}
	defer leave()
	items, found, err := find(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(items, found, f.Page, f.PageSize))
	return nil
}

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request, c *caller) error {
	return listDirectory(s, w, r, s.Store.FindCompanies)
}

func (s *Server) createCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, companyFields, readOnlyDirectoryFields...)
	if err != nil {
		return err
	}
	o.required("name")
	co := &lt.Company{}
	if name := o.str("name"); name != nil {
		co.Name = *name
	}
	if ext := o.optStr("externalId"); ext != nil {
		co.ExternalID = *ext
	}
	if err := o.err(); err != nil {
		return err
	}
	if err := s.Store.CreateCompany(r.Context(), co); err != nil {
		return err
	}
	writeCreated(w, fmt.Sprintf("/api/v1/companies/%d", co.ID), co)
	return nil
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "company")
	if err != nil {
		return err
	}
	co, err := s.Store.FindCompanyByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, co)
	return nil
}

func (s *Server) updateCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "company")
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, companyFields, readOnlyDirectoryFields...)
	if err != nil {
		return err
	}
	refuseNull(o, "name")
	upd := lt.CompanyUpdate{Name: o.str("name"), ExternalID: o.optStr("externalId")}
	if err := o.err(); err != nil {
		return err
	}
	co, err := s.Store.UpdateCompany(r.Context(), id, upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, co)
	return nil
}

func (s *Server) deleteCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "company")
	if err != nil {
		return err
	}
	if err := s.Store.DeleteCompany(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- contacts and customers: one set of handlers for either kind of
// person. The route table names a method for each route (its operationId
// comes from it), so each kind keeps its methods, one line each.

// people is the API of one kind of person.
type people[T lt.PersonKind] struct {
	lt.People[T]
	what   string   // "contact": the path's and the messages' word
	fields []string // what a body may set
}

func (s *Server) contacts() people[lt.Contact] {
	return people[lt.Contact]{lt.Contacts(s.Store), "contact", contactFields}
}

func (s *Server) customers() people[lt.Customer] {
	return people[lt.Customer]{lt.Customers(s.Store), "customer", customerFields}
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return listDirectory(s, w, r, s.contacts().Find)
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.contacts().create(w, r)
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.contacts().get(w, r)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.contacts().update(w, r)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.contacts().delete(w, r)
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	return listDirectory(s, w, r, s.customers().Find)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.customers().create(w, r)
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.customers().get(w, r)
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.customers().update(w, r)
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.customers().delete(w, r)
}

// read reads a body into an update: absent fields stay nil; externalId
// may be null (none), the others not. A new contact needs companyId.
func (p people[T]) read(w http.ResponseWriter, r *http.Request, create bool) (lt.PersonUpdate, error) {
	o, err := decodeObject(w, r, p.fields, readOnlyDirectoryFields...)
	if err != nil {
		return lt.PersonUpdate{}, err
	}
	withCompany := slices.Contains(p.fields, "companyId")
	if create && withCompany && !o.has("companyId") {
		o.v.Add("companyId", "is required")
	}
	refuseNull(o, "firstName", "lastName", "email", "disabled", "language")
	u := lt.PersonUpdate{
		FirstName:  o.str("firstName"),
		LastName:   o.str("lastName"),
		Email:      o.str("email"),
		ExternalID: o.optStr("externalId"),
		Disabled:   o.boolPtr("disabled"),
		Language:   o.str("language"),
	}
	if withCompany {
		refuseNull(o, "companyId")
		u.CompanyID = o.id("companyId")
	}
	return u, o.err()
}

func (p people[T]) create(w http.ResponseWriter, r *http.Request) error {
	upd, err := p.read(w, r, true)
	if err != nil {
		return err
	}
	rec := new(T)
	lt.ApplyPerson(rec, upd)
	if err := p.Create(r.Context(), rec); err != nil {
		return err
	}
	id, _, _ := lt.PersonParts(rec)
	writeCreated(w, fmt.Sprintf("/api/v1/%ss/%d", p.what, *id), rec)
	return nil
}

func (p people[T]) get(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, p.what)
	if err != nil {
		return err
	}
	rec, err := p.FindByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (p people[T]) update(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, p.what)
	if err != nil {
		return err
	}
	upd, err := p.read(w, r, false)
	if err != nil {
		return err
	}
	rec, err := p.Update(r.Context(), id, upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (p people[T]) delete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, p.what)
	if err != nil {
		return err
	}
	if err := p.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- the user picker

// searchUsers is the user picker's search (web.SearchUsers).
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	return web.SearchUsers(w, r, s.Store, s.Gates)
}
