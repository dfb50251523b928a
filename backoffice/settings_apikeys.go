package backoffice

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

// apiKeyRow is one row of the API keys list.
type apiKeyRow struct {
	*lt.APIKey
	CreatedBy string // the staff member's email where known
	// Locked says why the key holds grants above the viewer's own, who
	// may then not revoke it.
	Locked string
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.Store.FindAPIKeys(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names, err := s.staffNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mine := currentFrom(r.Context()).staff.Grants
	rows := make([]apiKeyRow, len(keys))
	for i, k := range keys {
		rows[i] = apiKeyRow{APIKey: k, CreatedBy: k.CreatedBy}
		if err := mine.CheckManage("API key", k.Grants); err != nil {
			rows[i].Locked = sentence(lt.ErrorMessage(err))
		}
		if n, ok := names[k.CreatedBy]; ok {
			rows[i].CreatedBy = n
		}
	}
	p := s.page(r, "API keys", "api-keys")
	p.Message, p.Data = doneNotice(r), rows
	s.render(w, r, http.StatusOK, "apikeys", p)
}

// staffNames maps "staff:1" to that staff member's email.
func (s *Server) staffNames(r *http.Request) (map[string]string, error) {
	staff, err := s.Store.FindStaff(r.Context())
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, st := range staff {
		names[st.Actor()] = st.Email
	}
	return names, nil
}

// apiKeyForm is the data of the new-key form.
type apiKeyForm struct {
	Grants []grantArea
	// Mine are the grants of the staff member, the most they can hand out.
	Mine string
}

var apiKeyLabels = map[string]string{"name": "Name", "kind": "Kind", "grants": "Grants"}

func (s *Server) renderAPIKeyForm(w http.ResponseWriter, r *http.Request, status int, p *pageData, gs lt.Grants) {
	p.Title = "New API key"
	p.Data = &apiKeyForm{Grants: grantChoices(gs), Mine: currentFrom(r.Context()).staff.Grants.String()}
	s.render(w, r, status, "apikeys_new", p)
}

func (s *Server) newAPIKey(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "api-keys")
	p.Form = map[string]string{"kind": string(lt.KeyAdmin)}
	s.renderAPIKeyForm(w, r, http.StatusOK, p, lt.Grants{})
}

// createdAPIKey is the data of the page that shows a new key's value once.
type createdAPIKey struct {
	Key   *lt.APIKey
	Value string
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	p := s.page(r, "", "api-keys")
	var v lt.Validation
	n := lt.NewAPIKey{Name: r.PostFormValue("name"), Kind: lt.APIKeyKind(r.PostFormValue("kind")), Grants: readGrants(r, &v), CreatedBy: c.staff.Actor()}
	p.Form = map[string]string{"name": n.Name, "kind": string(n.Kind)}
	v.Merge(n.Validate())
	err := v.Err()
	if err == nil {
		// Only grants the staff member holds themselves.
		err = c.staff.Grants.CheckHandOut(n.Grants)
	}
	var k *lt.APIKey
	var value string
	if err == nil {
		k, value, err = s.Store.CreateAPIKey(r.Context(), n)
	}
	if err != nil {
		errs, status, ok := formErrors(err, formFields{Labels: apiKeyLabels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		p.Errors = errs
		s.renderAPIKeyForm(w, r, status, p, n.Grants)
		return
	}
	s.auditChange(r, lt.EventAPIKeyCreated, map[string]any{"id": k.ID, "name": k.Name, "kind": string(k.Kind), "grants": k.Grants.Strings()})
	p.Title = "API key created"
	p.Data = &createdAPIKey{Key: k, Value: value}
	s.render(w, r, http.StatusCreated, "apikeys_created", p)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	// Only a key whose grants the staff member holds all of.
	key, err := lt.RevokeAPIKeyAs(r.Context(), s.Store, currentFrom(r.Context()).staff.Grants, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.auditChange(r, lt.EventAPIKeyRevoked, map[string]any{"id": key.ID, "name": key.Name})
	http.Redirect(w, r, "/admin/settings/api-keys?done=revoked", http.StatusSeeOther)
}
