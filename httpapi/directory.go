package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// The directory (CONTRACT §5 "Directory"): companies, contacts and
// customers. The answers are the domain types themselves: ids, the
// editable fields, createdAt and updatedAt.

// readOnlyDirectoryFields may appear in a body copied from an answer, but
// cannot be set.
var readOnlyDirectoryFields = []string{"id", "createdAt", "updatedAt"}

// maxDirectoryQueryLen bounds the q of the directory lists and the user search.
const maxDirectoryQueryLen = 200

// directoryFilter reads q, page, pageSize and, for contacts, companyId
// (the server has refused the parameters the route does not document).
func directoryFilter(q url.Values) (lt.DirectoryFilter, error) {
	var f lt.DirectoryFilter
	var v lt.Validation // one answer names every bad parameter
	var err error
	if f.Page, f.PageSize, err = lt.ParsePaging(q); err != nil {
		v.Merge(err)
	}
	f.Q = singleParam(&v, q, "q", maxDirectoryQueryLen)
	if s := singleParam(&v, q, "companyId", 20); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
			v.Add("companyId", "must be a positive integer")
		} else {
			f.CompanyID = &n
		}
	}
	return f, v.Err()
}

// singleParam returns a query parameter given at most once, trimmed. A
// token value or API key in it is refused, without being repeated: no
// directory search looks for one.
func singleParam(v *lt.Validation, q url.Values, name string, maxLen int) string {
	vals := q[name]
	switch {
	case len(vals) == 0:
		return ""
	case len(vals) > 1:
		v.Add(name, "give it once")
		return ""
	}
	s := strings.TrimSpace(vals[0])
	if lt.HoldsSecret(s) {
		v.Add(name, "holds a login token value or API key, which is never searched for")
		return ""
	}
	if len(s) > maxLen {
		v.Add(name, "at most %d characters", maxLen)
		return ""
	}
	return s
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

// personUpdate reads the fields of a contact (withCompany) or customer;
// absent fields stay nil. externalId may be null (none); the others not.
func personUpdate(o *object, withCompany bool) lt.PersonUpdate {
	refuseNull(o, "firstName", "lastName", "email", "disabled")
	u := lt.PersonUpdate{
		FirstName:  o.str("firstName"),
		LastName:   o.str("lastName"),
		Email:      o.str("email"),
		ExternalID: o.optStr("externalId"),
		Disabled:   o.boolPtr("disabled"),
	}
	if withCompany {
		refuseNull(o, "companyId")
		u.CompanyID = o.id("companyId")
	}
	return u
}

// newPerson is a contact or customer created from the fields of u.
func newPerson(u lt.PersonUpdate) *lt.Contact {
	f := u.Apply(lt.PersonFields{})
	c := &lt.Contact{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, ExternalID: f.ExternalID}
	if u.CompanyID != nil {
		c.CompanyID = *u.CompanyID
	}
	if u.Disabled != nil {
		c.Disabled = *u.Disabled
	}
	return c
}

func writeCreated(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	writeJSON(w, http.StatusCreated, v)
}

// --- companies

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := directoryFilter(r.URL.Query())
	if err != nil {
		return err
	}
	items, found, err := s.Store.FindCompanies(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(items, found, f.Page, f.PageSize))
	return nil
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

// --- contacts

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := directoryFilter(r.URL.Query())
	if err != nil {
		return err
	}
	items, found, err := s.Store.FindContacts(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(items, found, f.Page, f.PageSize))
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, contactFields, readOnlyDirectoryFields...)
	if err != nil {
		return err
	}
	if !o.has("companyId") {
		o.v.Add("companyId", "is required")
	}
	ct := newPerson(personUpdate(o, true))
	if err := o.err(); err != nil {
		return err
	}
	if err := s.Store.CreateContact(r.Context(), ct); err != nil {
		return err
	}
	writeCreated(w, fmt.Sprintf("/api/v1/contacts/%d", ct.ID), ct)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "contact")
	if err != nil {
		return err
	}
	ct, err := s.Store.FindContactByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ct)
	return nil
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "contact")
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, contactFields, readOnlyDirectoryFields...)
	if err != nil {
		return err
	}
	upd := personUpdate(o, true)
	if err := o.err(); err != nil {
		return err
	}
	ct, err := s.Store.UpdateContact(r.Context(), id, upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ct)
	return nil
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "contact")
	if err != nil {
		return err
	}
	if err := s.Store.DeleteContact(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- customers

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := directoryFilter(r.URL.Query())
	if err != nil {
		return err
	}
	items, found, err := s.Store.FindCustomers(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(items, found, f.Page, f.PageSize))
	return nil
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := decodeObject(w, r, customerFields, readOnlyDirectoryFields...)
	if err != nil {
		return err
	}
	p := newPerson(personUpdate(o, false))
	if err := o.err(); err != nil {
		return err
	}
	cu := &lt.Customer{FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, ExternalID: p.ExternalID, Disabled: p.Disabled}
	if err := s.Store.CreateCustomer(r.Context(), cu); err != nil {
		return err
	}
	writeCreated(w, fmt.Sprintf("/api/v1/customers/%d", cu.ID), cu)
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "customer")
	if err != nil {
		return err
	}
	cu, err := s.Store.FindCustomerByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cu)
	return nil
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "customer")
	if err != nil {
		return err
	}
	o, err := decodeObject(w, r, customerFields, readOnlyDirectoryFields...)
	if err != nil {
		return err
	}
	upd := personUpdate(o, false)
	if err := o.err(); err != nil {
		return err
	}
	cu, err := s.Store.UpdateCustomer(r.Context(), id, upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cu)
	return nil
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "customer")
	if err != nil {
		return err
	}
	if err := s.Store.DeleteCustomer(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- the user picker

// Bounds of the user search's limit.
const (
	defaultSearchLimit = 20
	maxSearchLimit     = 100
)

func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	q := r.URL.Query()
	var v lt.Validation
	text := singleParam(&v, q, "q", maxDirectoryQueryLen)
	limit := defaultSearchLimit
	if s := singleParam(&v, q, "limit", 20); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSearchLimit {
			v.Add("limit", "must be an integer from 1 to %d", maxSearchLimit)
		}
		limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	leave, err := s.Gates.EnterSearch(text)
	if err != nil {
		return err
	}
	defer leave()
	hits, err := s.Store.SearchUsers(r.Context(), text, limit)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []*lt.UserRef{}
	}
	writeJSON(w, http.StatusOK, hits)
	return nil
}
