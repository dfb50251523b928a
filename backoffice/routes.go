package backoffice

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
)

var (
	cfgViewer   = lt.Grant{Area: lt.AreaConfiguration, Level: lt.LevelViewer}
	cfgEditor   = lt.Grant{Area: lt.AreaConfiguration, Level: lt.LevelEditor}
	cfgOwner    = lt.Grant{Area: lt.AreaConfiguration, Level: lt.LevelOwner}
	usersViewer = lt.Grant{Area: lt.AreaUsers, Level: lt.LevelViewer}
	usersEditor = lt.Grant{Area: lt.AreaUsers, Level: lt.LevelEditor}
	anyStaff    = lt.Grant{}
)

func (s *Server) routes() []route {
	rts := []route{
		{pattern: "GET /admin/static/{file}", public: true, handler: http.HandlerFunc(s.serveAsset)},
		{pattern: "GET /admin/login", public: true, handler: http.HandlerFunc(s.showLogin)},
		{pattern: "POST /admin/login", public: true, handler: http.HandlerFunc(s.signIn), maxBody: 16 << 10},
		{pattern: "POST /admin/logout", need: anyStaff, handler: http.HandlerFunc(s.signOut)},
		{pattern: "GET /admin/password", need: anyStaff, handler: http.HandlerFunc(s.showPassword)},
		{pattern: "POST /admin/password", need: anyStaff, handler: http.HandlerFunc(s.changePassword)},
		{pattern: "GET /admin/{$}", need: anyStaff, handler: http.HandlerFunc(s.home)},
		{pattern: "GET /admin", public: true, handler: http.RedirectHandler("/admin/", http.StatusMovedPermanently)},
	}
	rts = append(rts, s.twoFactorRoutes()...)
	rts = append(rts, s.tokenRoutes()...)
	rts = append(rts, s.directoryRoutes()...)
	rts = append(rts, s.settingsRoutes()...)
	rts = append(rts, s.shopRoutes()...)
	rts = append(rts, s.webhookRoutes()...)
	rts = append(rts, s.impersonateRoutes()...)
	return rts
}

// home sends staff to the first screen their grants open.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	switch {
	case c.can(lt.AreaConfiguration, lt.LevelViewer):
		http.Redirect(w, r, "/admin/login-tokens", http.StatusSeeOther)
	case c.can(lt.AreaUsers, lt.LevelViewer):
		http.Redirect(w, r, "/admin/contacts", http.StatusSeeOther)
	default:
		s.fail(w, r, lt.Errorf(lt.EFORBIDDEN, "your account has no grant yet; ask an owner to give you one"))
	}
}
