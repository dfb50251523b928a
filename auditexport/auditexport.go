// Package auditexport writes the login tokens' audit events as the one
// export that the admin API (GET /api/v1/login-tokens/events/export), the
// backoffice and the command line (audit export) answer: CSV with every
// cell escaped against spreadsheet formulas as the token export's are
// (tokencsv.Safe), or JSON lines.
package auditexport

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/tokencsv"
)

// Columns are the columns of the CSV export, in order.
var Columns = []string{"Id", "At", "Type", "Token Id", "Actor", "Client IP", "Details"}

// Line is one event of the JSON lines export.
type Line struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Type     string          `json:"type"`
	TokenID  string          `json:"tokenId"`
	Actor    string          `json:"actor"`
	ClientIP string          `json:"clientIp"`
	Details  json.RawMessage `json:"details"`
}

// Filename is the name an export of x is saved under: its first and last
// day and its format.
func Filename(x lt.AuditExport) string {
	return "audit-events-" + x.From.Format("20060102") + "-" + x.To.Add(-time.Microsecond).Format("20060102") + "." + x.Format
}

// Write writes the events that stream yields to w in format
// (lt.AuditFormatCSV or lt.AuditFormatJSONL); stream calls each once per
// event (sqlstore's StreamTokenEvents has that shape).
//
// start, when not nil, is called once before the first byte goes to w (an
// HTTP answer sets its headers there): with the first event, or at the
// end when there is none. An error before then comes back with started
// false and nothing written, for the caller to report its own way; one
// after comes back with started true, and half a file must not pass for a
// whole one.
func Write(w io.Writer, format string, start func() error, stream func(each func(*lt.Event) error) error) (started bool, err error) {
	bw := bufio.NewWriterSize(w, 32<<10)
	var cw *csv.Writer
	enc := json.NewEncoder(bw)
	begin := func() error {
		started = true
		if start != nil {
			if err := start(); err != nil {
				return err
			}
		}
		if format == lt.AuditFormatCSV {
			cw = csv.NewWriter(bw)
			cw.UseCRLF = true // RFC 4180
			return cw.Write(Columns)
		}
		return nil
	}
	err = stream(func(e *lt.Event) error {
		if !started {
			if err := begin(); err != nil {
				return err
			}
		}
		if cw != nil {
			return cw.Write(Row(e))
		}
		return enc.Encode(Line{ID: e.ID, At: e.At.UTC(), Type: e.Type, TokenID: e.TokenID, Actor: e.Actor, ClientIP: e.ClientIP, Details: e.Details})
	})
	if err == nil && !started {
		err = begin()
	}
	if err == nil && cw != nil {
		cw.Flush()
		err = cw.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	return started, err
}

// Row is one event as CSV cells, each escaped against formulas.
func Row(e *lt.Event) []string {
	row := []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), e.Type, e.TokenID, e.Actor, e.ClientIP, string(e.Details)}
	for i, cell := range row {
		row[i] = tokencsv.Safe(cell)
	}
	return row
}
