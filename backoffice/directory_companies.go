package backoffice

import (
	"fmt"
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
)

// companyRow is one row of the companies list: with its number of
// contacts, since a company that has some cannot be deleted.
type companyRow struct {
	*lt.Company
	Contacts int
}

// ContactCount says how many contacts the company has: "1 contact".
func (c companyRow) ContactCount() string { return countNoun(c.Contacts, "contact", "contacts") }

// companyJSON is a company as the contact form's company search gets it.
type companyJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request) {
	if redirectWithoutSecrets(w, r) {
		return
	}
	lq := readDirQuery(r)
	list, total, problem, err := findDirectory(s, r, companiesKind, &lq, s.Store.FindCompanies)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wantsJSON(r) {
		items := make([]companyJSON, len(list))
		for i, c := range list {
			items[i] = companyJSON{ID: c.ID, Name: c.Name}
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "itemsFound": total})
		return
	}
	// One count per row: pages are short, and the store has no count of
	// several companies' contacts at once.
	d := newDirList[companyRow](r, companiesKind, lq, total)
	d.Problem = problem
	d.Rows = make([]companyRow, len(list))
	for i, c := range list {
		d.Rows[i].Company = c
		if d.Rows[i].Contacts, err = s.contactsOf(r, c.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	renderList(s, w, r, d)
}

// contactsOf counts the contacts of a company.
func (s *Server) contactsOf(r *http.Request, company int64) (int, error) {
	_, n, err := s.Store.FindContacts(r.Context(), lt.DirectoryFilter{CompanyID: &company, PageSize: 1})
	return n, err
}

// companyPage is the data of a company's form page.
type companyPage struct {
	dirRecord
	Company  *lt.Company // nil on the new form
	Contacts int         // how many contacts it has
}

// ContactCount says how many contacts the company has: "1 contact".
func (d *companyPage) ContactCount() string { return countNoun(d.Contacts, "contact", "contacts") }

var companyLabels = map[string]string{"name": "Name", "externalId": "External id"}

func (s *Server) renderCompany(w http.ResponseWriter, r *http.Request, status int, p *pageData, c *lt.Company) {
	d := &companyPage{dirRecord: dirRecord{Kind: companiesKind, CanEdit: canEditDirectory(r)}, Company: c}
	p.Title = "New company"
	if c != nil {
		d.ID, d.Name, p.Title = c.ID, c.Name, c.Name
		var err error
		if d.Contacts, err = s.contactsOf(r, c.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p.Data = d
	s.render(w, r, status, "company_form", p)
}

func companyForm(c *lt.Company) map[string]string {
	return map[string]string{"name": c.Name, "externalId": derefString(c.ExternalID)}
}

func readCompany(r *http.Request) (map[string]string, string, *string, error) {
	form := map[string]string{"name": r.PostFormValue("name"), "externalId": r.PostFormValue("externalId")}
	name, ext := form["name"], optionalValue(form["externalId"])
	return form, name, ext, lt.ValidateCompany(&name, &ext)
}

func (s *Server) newCompany(w http.ResponseWriter, r *http.Request) {
	s.renderCompany(w, r, http.StatusOK, s.page(r, "", "companies"), nil)
}

func (s *Server) createCompany(w http.ResponseWriter, r *http.Request) {
	form, name, ext, err := readCompany(r)
	c := &lt.Company{Name: name, ExternalID: ext}
	if err == nil {
		err = s.Store.CreateCompany(r.Context(), c)
	}
	if err != nil {
		s.companyFormError(w, r, err, form, nil)
		return
	}
	http.Redirect(w, r, "/admin/companies/"+strconv.FormatInt(c.ID, 10)+"?done=created", http.StatusSeeOther)
}

func (s *Server) companyFormError(w http.ResponseWriter, r *http.Request, err error, form map[string]string, c *lt.Company) {
	errs, status, ok := formErrors(err, formFields{Labels: companyLabels})
	if !ok {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "", "companies")
	p.Form, p.Errors = form, errs
	s.renderCompany(w, r, status, p, c)
}

func (s *Server) findCompany(r *http.Request) (*lt.Company, error) {
	id, err := dirPathID(r, "company")
	if err != nil {
		return nil, err
	}
	return s.Store.FindCompanyByID(r.Context(), id)
}

func (s *Server) showCompany(w http.ResponseWriter, r *http.Request) {
	c, err := s.findCompany(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "", "companies")
	p.Message = doneNotice(r)
	p.Form = companyForm(c)
	s.renderCompany(w, r, http.StatusOK, p, c)
}

func (s *Server) updateCompany(w http.ResponseWriter, r *http.Request) {
	c, err := s.findCompany(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form, name, ext, err := readCompany(r)
	if err == nil {
		_, err = s.Store.UpdateCompany(r.Context(), c.ID, lt.CompanyUpdate{Name: &name, ExternalID: &ext})
	}
	if err != nil {
		s.companyFormError(w, r, err, form, c)
		return
	}
	http.Redirect(w, r, "/admin/companies/"+strconv.FormatInt(c.ID, 10)+"?done=saved", http.StatusSeeOther)
}

// deleteCompany deletes a company without contacts. With contacts it
// answers the company's page with 409 and says what to do instead.
func (s *Server) deleteCompany(w http.ResponseWriter, r *http.Request) {
	c, err := s.findCompany(r)
	if err == nil {
		err = s.Store.DeleteCompany(r.Context(), c.ID)
	}
	if lt.ErrorCode(err) == lt.ECONFLICT {
		n, ferr := s.contactsOf(r, c.ID)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		p := s.page(r, "", "companies")
		p.Form = companyForm(c)
		p.Errors = map[string]string{"delete": fmt.Sprintf("%s cannot be deleted while it has %s. Delete them or move them to another company first.",
			c.Name, countNoun(n, "contact", "contacts"))}
		s.renderCompany(w, r, http.StatusConflict, p, c)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone(dirBackToList(r, "/admin/companies"), "deleted"), http.StatusSeeOther)
}
