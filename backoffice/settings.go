package backoffice

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

// Settings > API keys and Staff: configuration:owner only (docs/roles.md).
// An owner hands out only grants they hold themselves, and changes nothing
// of a staff member who holds a grant above their own (lt.Grants.Covers).
// Secrets made here (a key's value, a generated password) are shown once,
// in the answer to the POST that made them: never in a URL, never again.
// Every change is in the audit trail.

func (s *Server) settingsRoutes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return []route{
		{pattern: "GET /admin/settings", need: cfgOwner, handler: http.RedirectHandler("/admin/settings/api-keys", http.StatusSeeOther)},
		{pattern: "GET /admin/settings/api-keys", need: cfgOwner, handler: h(s.listAPIKeys)},
		{pattern: "GET /admin/settings/api-keys/new", need: cfgOwner, handler: h(s.newAPIKey)},
		{pattern: "POST /admin/settings/api-keys", need: cfgOwner, handler: h(s.createAPIKey)},
		{pattern: "POST /admin/settings/api-keys/{id}/revoke", need: cfgOwner, handler: h(s.revokeAPIKey)},
		{pattern: "GET /admin/settings/staff", need: cfgOwner, handler: h(s.listStaff)},
		{pattern: "GET /admin/settings/staff/new", need: cfgOwner, handler: h(s.newStaff)},
		{pattern: "POST /admin/settings/staff", need: cfgOwner, handler: h(s.createStaff)},
		{pattern: "GET /admin/settings/staff/{id}", need: cfgOwner, handler: h(s.showStaff)},
		{pattern: "POST /admin/settings/staff/{id}", need: cfgOwner, handler: h(s.updateStaff)},
		{pattern: "POST /admin/settings/staff/{id}/disable", need: cfgOwner, handler: s.setStaffDisabled(true)},
		{pattern: "POST /admin/settings/staff/{id}/enable", need: cfgOwner, handler: s.setStaffDisabled(false)},
		{pattern: "POST /admin/settings/staff/{id}/password", need: cfgOwner, handler: h(s.resetStaffPassword)},
		{pattern: "GET /admin/settings/mail", need: cfgEditor, handler: h(s.showMailSettings)},
		{pattern: "POST /admin/settings/mail", need: cfgEditor, handler: h(s.saveMailSettings), maxBody: 256 << 10},
		{pattern: "GET /admin/settings/audit", need: cfgViewer, handler: h(s.showAuditSettings)},
		{pattern: "POST /admin/settings/audit", need: cfgOwner, handler: h(s.saveAuditRetention)},
		{pattern: "GET /admin/settings/audit/export", need: cfgViewer, handler: h(s.exportAudit)},
	}
}

// grantArea is one area's row of grant checkboxes. A higher level
// includes the lower ones, so those are checked too (directory.js keeps
// them so as boxes are ticked); the highest ticked level wins.
type grantArea struct {
	Area   string
	Title  string
	Hint   string
	Levels []grantLevel
}

type grantLevel struct {
	Value   string // "users:editor"
	ID      string // "grant-users-editor"
	Label   string
	Level   int
	Checked bool
}

var grantAreas = []struct {
	area        lt.Area
	title, hint string
}{
	{lt.AreaConfiguration, "Configuration", "Login tokens. Viewer: list and view them. Editor: also create, edit, delete, reveal and impersonate. Owner: also staff and API keys."},
	{lt.AreaUsers, "Users", "Contacts, customers and companies. Viewer: list and view them. Editor: also create, edit, disable, delete and import."},
}

var levelLabels = map[lt.Level]string{lt.LevelViewer: "Viewer", lt.LevelEditor: "Editor", lt.LevelOwner: "Owner"}

func grantChoices(gs lt.Grants) []grantArea {
	var out []grantArea
	for _, a := range grantAreas {
		ga := grantArea{Area: string(a.area), Title: a.title, Hint: a.hint}
		for l := lt.LevelViewer; l <= lt.LevelOwner; l++ {
			g := lt.Grant{Area: a.area, Level: l}
			ga.Levels = append(ga.Levels, grantLevel{Value: g.String(), ID: "grant-" + string(a.area) + "-" + l.String(),
				Label: levelLabels[l], Level: int(l), Checked: gs.Allows(a.area, l)})
		}
		out = append(out, ga)
	}
	return out
}

// readGrants reads the grants checkboxes; v names a bad one.
func readGrants(r *http.Request, v *lt.Validation) lt.Grants {
	gs, err := lt.ParseGrants(r.PostForm["grants"])
	if err != nil {
		v.Add("grants", "%s", err)
		return lt.Grants{}
	}
	return gs
}

// audit records a settings change. The change is made by then, and its
// secret may be on its way to the only screen that shows it, so a failure
// to record it is logged rather than answered.
func (s *Server) auditChange(r *http.Request, typ string, details map[string]any) {
	c := currentFrom(r.Context())
	if err := s.Store.AuditEvent(r.Context(), c.actor(r, s), typ, details); err != nil {
		s.log.ErrorContext(r.Context(), "audit", "type", typ, "err", err)
	}
}
