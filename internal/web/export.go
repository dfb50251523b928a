package web

import (
	"context"
	"log/slog"
	"net/http"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/auditexport"
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

// EventStreamer is the store's stream of the login tokens' audit events
// in a time range.
type EventStreamer interface {
	StreamTokenEvents(ctx context.Context, x lt.AuditExport, fn func(*lt.Event) error) error
}

// ExportTokenEvents answers the login tokens' audit events of the query's
// from/to range (lt.ParseAuditExport), oldest first, in the one format of
// auditexport (CSV escaped against formulas, or JSON lines): streamed from
// the store row by row, the admin API's and the backoffice's alike.
// Errors as ExportTokens.
func ExportTokenEvents(w http.ResponseWriter, r *http.Request, store EventStreamer, gates *bounds.Gates, log *slog.Logger) error {
	x, err := lt.ParseAuditExport(r.URL.Query())
	if err != nil {
		return err
	}
	leave, err := gates.Exports.Enter()
	if err != nil {
		return err
	}
	defer leave()
	start := func() error {
		h := w.Header()
		if x.Format == lt.AuditFormatCSV {
			h.Set("Content-Type", "text/csv; charset=utf-8")
		} else {
			h.Set("Content-Type", "application/jsonl; charset=utf-8")
		}
		h.Set("Content-Disposition", `attachment; filename="`+auditexport.Filename(x)+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	started, err := auditexport.Write(w, x.Format, start, func(each func(*lt.Event) error) error {
		return store.StreamTokenEvents(r.Context(), x, each)
	})
	if err != nil && started {
		log.ErrorContext(r.Context(), "export audit events", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
