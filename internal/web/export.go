package web

import (
	"context"
	"log/slog"
	"net/http"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/tokencsv"
)

// TokenStreamer is the store's stream of the tokens a filter matches.
type TokenStreamer interface {
	StreamTokens(ctx context.Context, f lt.TokenFilter, fn func(*lt.LoginToken) error) error
}

// ExportTokens answers every token the query's filters match as CSV
// (tokencsv), streamed from the store without paging: the admin API's
// export and the backoffice's alike. A page and pageSize that the caller
// lets through are ignored: an export is the whole selection, and a page
// of it would pass for all. An error before the answer starts is the
// caller's to answer; one after is logged and breaks the answer off, so
// that half a file cannot look like a whole one.
func ExportTokens(w http.ResponseWriter, r *http.Request, store TokenStreamer, gates *bounds.Gates, log *slog.Logger) error {
	f, err := lt.ParseTokenFilter(r.URL.Query())
	if err != nil {
		return err
	}
	leave, err := gates.Exports.Enter()
	if err != nil {
		return err
	}
	defer leave()
	f.Page, f.PageSize = 0, 0
	started, err := tokencsv.Write(w, func(each func(*lt.LoginToken) error) error {
		return store.StreamTokens(r.Context(), f, each)
	})
	if err != nil && started {
		log.ErrorContext(r.Context(), "export login tokens", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
