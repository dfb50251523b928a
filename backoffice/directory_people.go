package backoffice

import (
	"context"
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

// personKind is what differs between the contacts and the customers
// screens: their words, import columns and store calls.
type personKind[T lt.PersonKind] struct {
	*dirKind
	fields []string // the import's columns
	lt.People[T]
}

func (s *Server) contactKind() *personKind[lt.Contact] {
	return &personKind[lt.Contact]{contactsKind, importcsv.ContactFields, lt.Contacts(s.Store)}
}

func (s *Server) customerKind() *personKind[lt.Customer] {
	return &personKind[lt.Customer]{customersKind, importcsv.CustomerFields, lt.Customers(s.Store)}
}

// personName is how a person is named in lists and messages.
func personName(p *lt.Person) string {
	if n := lt.FullName(p.FirstName, p.LastName); n != "" {
		return n
	}
	return p.Email
}

// personRow is one row of a contacts or customers list.
type personRow struct {
	ID int64
	*lt.Person
	Name    string
	Company *lt.Company // contacts; nil when it cannot be found
}

func listPeople[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirectWithoutSecrets(w, r) {
			return
		}
		ctx := r.Context()
		lq := readDirQuery(r)
		if !k.Companies {
			lq.CompanyID = 0
		}
		people, total, problem, err := findDirectory(s, r, k.dirKind, &lq, k.Find)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d := newDirList[personRow](r, k.dirKind, lq, total)
		d.Problem = problem
		companies := companyCache{s: s, ctx: ctx}
		for _, c := range people {
			id, companyID, person := lt.PersonParts(c)
			row := personRow{ID: *id, Person: person, Name: personName(person)}
			if companyID != nil {
				if row.Company, err = companies.get(*companyID); err != nil {
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
type personPage[T lt.PersonKind] struct {
	dirRecord
	Person *T // nil on the new form
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
	"externalId": "External id", "companyId": "Company", "language": "Language"}

// languageChoice is one option of the form's language select.
type languageChoice struct{ Code, Name string }

// Languages are the languages a person can be said to read; the select
// also offers "not known" (empty), when the shop's language stands for it.
func (d *personPage[T]) Languages() []languageChoice {
	out := make([]languageChoice, 0, len(lt.MailLanguages))
	for _, code := range lt.MailLanguages {
		out = append(out, languageChoice{Code: code, Name: mailLanguageNames[code]})
	}
	return out
}

func renderPerson[T lt.PersonKind](s *Server, w http.ResponseWriter, r *http.Request, k *personKind[T], status int, p *pageData, person *T) {
	ctx := r.Context()
	d := &personPage[T]{dirRecord: dirRecord{Kind: k.dirKind, CanEdit: canEditDirectory(r)}, Person: person, CompanyChoices: companyChoices}
	p.Title = "New " + k.One
	if person != nil {
		id, _, pe := lt.PersonParts(person)
		d.ID, d.Name = *id, personName(pe)
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

func personForm[T lt.PersonKind](c *T) map[string]string {
	_, companyID, p := lt.PersonParts(c)
	f := map[string]string{"firstName": p.FirstName, "lastName": p.LastName, "email": p.Email, "externalId": derefString(p.ExternalID),
		"language": p.Language}
	if companyID != nil && *companyID > 0 {
		f["companyId"] = strconv.FormatInt(*companyID, 10)
	}
	return f
}

// readPerson reads the form's fields and checks what can be checked
// without the store, so one answer names every bad field.
func readPerson[T lt.PersonKind](r *http.Request, k *personKind[T]) (map[string]string, lt.PersonUpdate, error) {
	form := map[string]string{}
	for name := range personLabels {
		form[name] = r.PostFormValue(name)
	}
	fields := lt.Person{FirstName: form["firstName"], LastName: form["lastName"], Email: form["email"], ExternalID: optionalValue(form["externalId"]),
		Language: form["language"]}
	fields.Normalize()
	var v lt.Validation
	fields.Validate(&v)
	upd := lt.PersonUpdate{FirstName: &fields.FirstName, LastName: &fields.LastName, Email: &fields.Email, ExternalID: &fields.ExternalID,
		Language: &fields.Language}
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

func newPerson[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirectWithoutSecrets(w, r) {
			return
		}
		p := s.page(r, "", k.Many)
		// "New contact" from a company's page arrives with its id.
		p.Form = map[string]string{"companyId": r.URL.Query().Get("companyId")}
		renderPerson(s, w, r, k, http.StatusOK, p, nil)
	})
}

func createPerson[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, upd, err := readPerson(r, k)
		c := new(T)
		if err == nil {
			lt.ApplyPerson(c, upd)
			err = k.Create(r.Context(), c)
		}
		if err != nil {
			personFormError(s, w, r, k, err, form, nil)
			return
		}
		id, _, _ := lt.PersonParts(c)
		http.Redirect(w, r, k.Path+"/"+strconv.FormatInt(*id, 10)+"?done=created", http.StatusSeeOther)
	})
}

// personFormError answers a form that the store or the checks refused
// with the form again, its messages next to their fields.
func personFormError[T lt.PersonKind](s *Server, w http.ResponseWriter, r *http.Request, k *personKind[T], err error, form map[string]string, c *T) {
	errs, status, ok := formErrors(err, formFields{Labels: personLabels})
	if !ok {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "", k.Many)
	p.Form, p.Errors = form, errs
	renderPerson(s, w, r, k, status, p, c)
}

func showPerson[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := findPerson(r, k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.page(r, "", k.Many)
		p.Message, p.Form = doneNotice(r), personForm(c)
		renderPerson(s, w, r, k, http.StatusOK, p, c)
	})
}

func findPerson[T lt.PersonKind](r *http.Request, k *personKind[T]) (*T, error) {
	id, err := dirPathID(r, k.One)
	if err != nil {
		return nil, err
	}
	return k.FindByID(r.Context(), id)
}

func updatePerson[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := findPerson(r, k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		id, _, _ := lt.PersonParts(c)
		form, upd, err := readPerson(r, k)
		if err == nil {
			_, err = k.Update(r.Context(), *id, upd)
		}
		if err != nil {
			personFormError(s, w, r, k, err, form, c)
			return
		}
		http.Redirect(w, r, k.Path+"/"+strconv.FormatInt(*id, 10)+"?done=saved", http.StatusSeeOther)
	})
}

func setPersonDisabled[T lt.PersonKind](s *Server, k *personKind[T], disabled bool) http.Handler {
	done := map[bool]string{true: "disabled", false: "enabled"}[disabled]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := dirPathID(r, k.One)
		if err == nil {
			_, err = k.Update(r.Context(), id, lt.PersonUpdate{Disabled: &disabled})
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, withDone(dirBack(r, k.Path), done), http.StatusSeeOther)
	})
}

func deletePerson[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := dirPathID(r, k.One)
		if err == nil {
			err = k.Delete(r.Context(), id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, withDone(dirBackToList(r, k.Path), "deleted"), http.StatusSeeOther)
	})
}
