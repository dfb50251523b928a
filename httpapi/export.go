package httpapi

import (
	"net/http"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/tokencsv"
)

// exportTokens answers every token the list's filters match as CSV,
// streamed from the store without paging, in the backoffice's columns
// (tokencsv). The route takes the filters but not page and pageSize (the
// server refuses them as undocumented): an export is the whole selection,
// and a page of it would pass for all.
func (s *Server) exportTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := lt.ParseTokenFilter(r.URL.Query())
	if err != nil {
		return err
	}
	leave, err := s.Gates.Exports.Enter()
	if err != nil {
		return err
	}
	defer leave()
	started, err := tokencsv.Write(w, func(each func(*lt.LoginToken) error) error {
		return s.Store.StreamTokens(r.Context(), f, each)
	})
	if err != nil && started {
		// Half a file must not look like a whole one: log, and break the
		// response off instead of ending it cleanly.
		s.log.ErrorContext(r.Context(), "export login tokens", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
