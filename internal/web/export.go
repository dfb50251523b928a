package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

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

// EventStreamer is the store's stream of the login tokens' audit events
// in a time range.
type EventStreamer interface {
	StreamTokenEvents(ctx context.Context, x lt.AuditExport, fn func(*lt.Event) error) error
}

// eventColumns are the columns of the audit export's CSV.
var eventColumns = []string{"Id", "At", "Type", "Token Id", "Actor", "Client IP", "Details"}

// eventLine is one event of the JSON lines export.
type eventLine struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Type     string          `json:"type"`
	TokenID  string          `json:"tokenId"`
	Actor    string          `json:"actor"`
	ClientIP string          `json:"clientIp"`
	Details  json.RawMessage `json:"details"`
}

// ExportTokenEvents answers the login tokens' audit events of the query's
// from/to range (lt.ParseAuditExport), oldest first, as CSV (each cell
// escaped against formulas as the token export's are, tokencsv.Safe) or
// JSON lines: streamed from the store row by row, the admin API's and
// the backoffice's alike. Errors as ExportTokens.
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
	name := "audit-events-" + x.From.Format("20060102") + "-" + x.To.Add(-time.Microsecond).Format("20060102") + "." + x.Format
	started := false
	var cw *csv.Writer
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	start := func() error {
		started = true
		h := w.Header()
		if x.Format == lt.AuditFormatCSV {
			h.Set("Content-Type", "text/csv; charset=utf-8")
		} else {
			h.Set("Content-Type", "application/jsonl; charset=utf-8")
		}
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if x.Format == lt.AuditFormatCSV {
			cw = csv.NewWriter(bw)
			cw.UseCRLF = true
			return cw.Write(eventColumns)
		}
		return nil
	}
	err = store.StreamTokenEvents(r.Context(), x, func(e *lt.Event) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		if cw != nil {
			row := []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), e.Type, e.TokenID, e.Actor, e.ClientIP, string(e.Details)}
			for i, cell := range row {
				row[i] = tokencsv.Safe(cell)
			}
			return cw.Write(row)
		}
		return enc.Encode(eventLine{ID: e.ID, At: e.At.UTC(), Type: e.Type, TokenID: e.TokenID, Actor: e.Actor, ClientIP: e.ClientIP, Details: e.Details})
	})
	if err == nil && !started {
		err = start()
	}
	if err == nil && cw != nil {
		cw.Flush()
		err = cw.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil && started {
		log.ErrorContext(r.Context(), "export audit events", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
