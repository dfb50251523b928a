package backoffice

import (
	"net/http"
	"strconv"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// Settings > Audit: the export of the login tokens' audit events of a
// date range (whoever may read the trails: configuration:viewer), and
// how many days the trail keeps its events (owners).

type auditSettingsView struct {
	CSRF      string
	Owner     bool
	Retention string // days, "" = forever
	From, To  string
	Format    string
	Errors    map[string]string
	Saved     string
}

// Error is the message of a field ("" for the form's own).
func (v *auditSettingsView) Error(field string) string { return v.Errors[field] }

var auditLabels = map[string]string{lt.AuditRetentionField: "Keep events", "from": "From", "to": "To", "format": "Format"}

func (s *Server) auditView(r *http.Request) (*auditSettingsView, error) {
	c := currentFrom(r.Context())
	v := &auditSettingsView{CSRF: c.csrf, Owner: c.can(lt.AreaConfiguration, lt.LevelOwner), Format: lt.AuditFormatCSV}
	days, err := s.Store.AuditRetention(r.Context())
	if err != nil {
		return nil, err
	}
	if days > 0 {
		v.Retention = strconv.Itoa(days)
	}
	return v, nil
}

func (s *Server) showAuditSettings(w http.ResponseWriter, r *http.Request) {
	v, err := s.auditView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderAuditSettings(w, r, http.StatusOK, v)
}

func (s *Server) saveAuditRetention(w http.ResponseWriter, r *http.Request) {
	v, err := s.auditView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Retention = r.PostFormValue(lt.AuditRetentionField)
	days, err := lt.ParseAuditRetention(v.Retention)
	if err == nil {
		err = s.Store.SetAuditRetention(r.Context(), currentFrom(r.Context()).actor(r, s), days)
	}
	if err != nil {
		errs, status, ok := formErrors(err, formFields{Labels: auditLabels})
		if !ok {
			s.fail(w, r, err)
			return
		}
		v.Errors = errs
		s.renderAuditSettings(w, r, status, v)
		return
	}
	v.Saved = "Audit events are kept forever."
	if days > 0 {
		v.Saved = "Audit events are kept " + strconv.Itoa(days) + " days; older ones are deleted in the background."
	}
	s.renderAuditSettings(w, r, http.StatusOK, v)
}

// exportAudit answers the download, or the page with what is wrong with
// the range.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) {
	err := web.ExportTokenEvents(w, r, s.Store, s.Gates, s.log)
	if err == nil {
		return
	}
	v, verr := s.auditView(r)
	if verr != nil {
		s.fail(w, r, verr)
		return
	}
	q := r.URL.Query()
	v.From, v.To, v.Format = q.Get("from"), q.Get("to"), q.Get("format")
	errs, status, ok := formErrors(err, formFields{Labels: auditLabels})
	if !ok {
		s.fail(w, r, err)
		return
	}
	v.Errors = errs
	s.renderAuditSettings(w, r, status, v)
}

func (s *Server) renderAuditSettings(w http.ResponseWriter, r *http.Request, status int, v *auditSettingsView) {
	p := s.page(r, "Audit", "audit")
	p.Data = v
	s.render(w, r, status, "settings_audit", p)
}
