package backoffice

import (
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
)

// staffRow is one row of the staff list.
type staffRow struct {
	*lt.Staff
	Self bool
}

func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) {
	staff, err := s.Store.FindStaff(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	me := currentFrom(r.Context()).staff.ID
	rows := make([]staffRow, len(staff))
	for i, st := range staff {
		rows[i] = staffRow{Staff: st, Self: st.ID == me}
	}
	p := s.page(r, "Staff", "staff")
	required, err := s.Store.TwoFactorRequired(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Message, p.Data = staffNotice(r), rows
	if required {
		p.Form = map[string]string{"required": "yes"}
	}
	s.render(w, r, http.StatusOK, "staff", p)
}

// staffNotice is the done= notice of the staff screens: disabling staff
// is about signing in, not about login tokens.
func staffNotice(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "disabled":
		return "Disabled: they are signed out and cannot sign in until they are enabled again."
	case "enabled":
		return "Enabled: they can sign in again."
	case "two-factor-reset":
		return "Second factor reset: they are signed out and set up two-factor sign-in again."
	}
	return doneNotice(r)
}

// staffPage is the data of a staff member's form page.
type staffPage struct {
	Member *lt.Staff // nil on the new form
	Self   bool
	Grants []grantArea
	// Mine are the grants of the staff member at the screen, the most
	// they can hand out.
	Mine string
	// Locked says why the member holds grants above the viewer's own, who
	// may then change nothing of theirs.
	Locked string
}

var staffLabels = map[string]string{"email": "Email", "name": "Name", "grants": "Grants"}

func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, status int, p *pageData, st *lt.Staff, gs lt.Grants) {
	me := currentFrom(r.Context()).staff
	d := &staffPage{Member: st, Grants: grantChoices(gs), Mine: me.Grants.String()}
	p.Title = "New staff member"
	if st != nil {
		p.Title = st.Email
		d.Self = st.ID == me.ID
		if err := me.Grants.CheckManage("staff member", st.Grants); err != nil {
			d.Locked = sentence(lt.ErrorMessage(err))
		}
	}
	p.Data = d
	s.render(w, r, status, "staff_form", p)
}

func (s *Server) newStaff(w http.ResponseWriter, r *http.Request) {
	s.renderStaff(w, r, http.StatusOK, s.page(r, "", "staff"), nil, lt.Grants{})
}

// staffPassword is the data of the page that shows a generated password
// once.
type staffPassword struct {
	Member   *lt.Staff
	Password string
	Reset    bool
}

func (s *Server) createStaff(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "staff")
	var v lt.Validation
	n := lt.NewStaff{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Grants: readGrants(r, &v),
		Password: lt.GeneratePassword(), MustChangePassword: true}
	p.Form = map[string]string{"email": n.Email, "name": n.Name}
	v.Merge(n.Validate())
	err := v.Err()
	if err == nil {
		// Only grants the staff member holds themselves.
		err = currentFrom(r.Context()).staff.Grants.CheckHandOut(n.Grants)
	}
	var st *lt.Staff
	if err == nil {
		st, err = s.Store.CreateStaff(r.Context(), n)
	}
	if err != nil {
		errs, status, ok := formErrors(err, formFields{Labels: staffLabels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		p.Errors = errs
		s.renderStaff(w, r, status, p, nil, n.Grants)
		return
	}
	s.auditChange(r, lt.EventStaffCreated, map[string]any{"staffId": st.ID, "email": st.Email, "grants": st.Grants.Strings()})
	p.Title = "Staff member created"
	p.Data = &staffPassword{Member: st, Password: n.Password}
	s.render(w, r, http.StatusCreated, "staff_password", p)
}

func (s *Server) findStaff(r *http.Request) (*lt.Staff, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, lt.Errorf(lt.ENOTFOUND, "staff member %s not found", r.PathValue("id"))
	}
	return s.Store.FindStaffByID(r.Context(), id)
}

func (s *Server) showStaff(w http.ResponseWriter, r *http.Request) {
	st, err := s.findStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "", "staff")
	p.Message = staffNotice(r)
	p.Form = map[string]string{"email": st.Email, "name": st.Name}
	s.renderStaff(w, r, http.StatusOK, p, st, st.Grants)
}

func (s *Server) updateStaff(w http.ResponseWriter, r *http.Request) {
	st, err := s.findStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	me := currentFrom(r.Context()).staff
	p := s.page(r, "", "staff")
	var v lt.Validation
	name, gs := r.PostFormValue("name"), readGrants(r, &v)
	p.Form = map[string]string{"email": st.Email, "name": name}
	// A member above the caller's grants is not theirs to change.
	if err := me.Grants.CheckManage("staff member", st.Grants); err != nil {
		p.Errors = map[string]string{"": sentence(lt.ErrorMessage(err))}
		s.renderStaff(w, r, http.StatusForbidden, p, st, st.Grants)
		return
	}
	// An owner who could take away their own owner grant could leave the
	// service with nobody to manage staff.
	if st.ID == me.ID && !gs.Allows(lt.AreaConfiguration, lt.LevelOwner) {
		v.Add("grants", "you cannot take away your own configuration:owner grant; another owner can")
	}
	err = v.Err()
	if err == nil {
		// Only grants the caller holds themselves.
		err = me.Grants.CheckHandOut(gs)
	}
	updated := st
	if err == nil {
		updated, err = s.Store.UpdateStaff(r.Context(), st.ID, lt.StaffUpdate{Name: &name, Grants: &gs})
	}
	if err != nil {
		errs, status, ok := formErrors(err, formFields{Labels: staffLabels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		p.Errors = errs
		s.renderStaff(w, r, status, p, st, gs)
		return
	}
	s.auditChange(r, lt.EventStaffUpdated, map[string]any{"staffId": updated.ID, "email": updated.Email, "name": updated.Name, "grants": updated.Grants.Strings()})
	http.Redirect(w, r, "/admin/settings/staff/"+strconv.FormatInt(updated.ID, 10)+"?done=saved", http.StatusSeeOther)
}

func (s *Server) setStaffDisabled(disabled bool) http.Handler {
	done := map[bool]string{true: "disabled", false: "enabled"}[disabled]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.findStaff(r)
		if err == nil && disabled && st.ID == currentFrom(r.Context()).staff.ID {
			err = lt.Errorf(lt.EINVALID, "you cannot disable your own account; another owner can")
		}
		if err == nil {
			err = currentFrom(r.Context()).staff.Grants.CheckManage("staff member", st.Grants)
		}
		if err == nil {
			_, err = s.Store.UpdateStaff(r.Context(), st.ID, lt.StaffUpdate{Disabled: &disabled})
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.auditChange(r, lt.EventStaffUpdated, map[string]any{"staffId": st.ID, "email": st.Email, "disabled": disabled})
		http.Redirect(w, r, withDone(dirBack(r, "/admin/settings/staff"), done), http.StatusSeeOther)
	})
}

// resetStaffPassword gives a staff member a generated password, shown
// once, which they must change at their next sign-in; their sessions end.
// Staff change their own password under Password instead.
func (s *Server) resetStaffPassword(w http.ResponseWriter, r *http.Request) {
	st, err := s.findStaff(r)
	if err == nil && st.ID == currentFrom(r.Context()).staff.ID {
		err = lt.Errorf(lt.EINVALID, "change your own password under Password at the top of the page")
	}
	if err == nil {
		// Resetting the password of someone above you would let you
		// sign in with their grants.
		err = currentFrom(r.Context()).staff.Grants.CheckManage("staff member", st.Grants)
	}
	password := lt.GeneratePassword()
	if err == nil {
		err = s.Store.SetStaffPassword(r.Context(), st.ID, password, true)
	}
	if err == nil {
		err = s.Store.DeleteStaffSessions(r.Context(), st.ID, "")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.auditChange(r, lt.EventStaffUpdated, map[string]any{"staffId": st.ID, "email": st.Email, "password": "reset"})
	p := s.page(r, "New password for "+st.Email, "staff")
	st.MustChangePassword = true
	p.Data = &staffPassword{Member: st, Password: password, Reset: true}
	s.render(w, r, http.StatusOK, "staff_password", p)
}
