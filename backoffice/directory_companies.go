package backoffice

import (
	"fmt"
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
)

// companyList is the data of the companies list.
type companyList struct {
	Query   dirQuery
	Rows    []companyRow
	Pager   dirPager
	CanEdit bool
	Here    string
}

// companyRow is one row of the companies list: with its number of
// contacts, since a company that has some cannot be deleted.
type companyRow struct {
	*lt.Company
	Contacts int
}

// ContactCount says how many contacts the company has: "1 contact".
func (c companyRow) ContactCount() string { return dirCount(c.Contacts, "contact", "contacts") }

// companyJSON is a company as the contact form's company search gets it.
type companyJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request) {
	lq := readDirQuery(r)
	list, total, err := s.Store.FindCompanies(r.Context(), lq.filter())
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
	rows := make([]companyRow, len(list))
	for i, c := range list {
		rows[i].Company = c
		if _, rows[i].Contacts, err = s.Store.FindContacts(r.Context(), lt.DirectoryFilter{CompanyID: &c.ID, PageSize: 1}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p := s.page(r, "Companies", "companies")
	p.Message = doneNotice(r)
	p.Data = &companyList{Query: lq, Rows: rows, Pager: newDirPager(r.URL, lq, total), Here: r.URL.RequestURI(),
		CanEdit: currentFrom(r.Context()).can(lt.AreaUsers, lt.LevelEditor)}
	s.render(w, r, http.StatusOK, "companies", p)
}

// companyPage is the data of a company's form page.
type companyPage struct {
	Company  *lt.Company // nil on the new form
	Contacts int         // how many contacts it has
	CanEdit  bool
}

// ContactCount says how many contacts the company has: "1 contact".
func (d *companyPage) ContactCount() string { return dirCount(d.Contacts, "contact", "contacts") }

var companyLabels = map[string]string{"name": "Name", "externalId": "External id"}

func (s *Server) renderCompany(w http.ResponseWriter, r *http.Request, status int, p *pageData, c *lt.Company) {
	d := &companyPage{Company: c, CanEdit: currentFrom(r.Context()).can(lt.AreaUsers, lt.LevelEditor)}
	p.Title = "New company"
	if c != nil {
		p.Title = c.Name
		_, n, err := s.Store.FindContacts(r.Context(), lt.DirectoryFilter{CompanyID: &c.ID, PageSize: 1})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Contacts = n
	}
	p.Data = d
	s.render(w, r, status, "company_form", p)
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
	errs, status, ok := fieldMessages(err, companyLabels)
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
	p.Form = map[string]string{"name": c.Name, "externalId": derefString(c.ExternalID)}
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
		_, n, ferr := s.Store.FindContacts(r.Context(), lt.DirectoryFilter{CompanyID: &c.ID, PageSize: 1})
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		p := s.page(r, "", "companies")
		p.Form = map[string]string{"name": c.Name, "externalId": derefString(c.ExternalID)}
		p.Errors = map[string]string{"delete": fmt.Sprintf("%s cannot be deleted while it has %s. Delete them or move them to another company first.",
			c.Name, dirCount(n, "contact", "contacts"))}
		s.renderCompany(w, r, http.StatusConflict, p, c)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone(dirBackToList(r, "/admin/companies"), "deleted"), http.StatusSeeOther)
}

func dirCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
