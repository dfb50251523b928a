package httpapi

import (
	"net/http"

	"github.com/logintokens/logintokens/internal/web"
)

// exportTokens answers the filtered tokens as CSV (web.ExportTokens). The
// route takes the filters but not page and pageSize (the server refuses
// them as undocumented): an export is the whole selection.
func (s *Server) exportTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	return web.ExportTokens(w, r, s.Store, s.Gates, s.log)
}
