package httpapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// exportColumns are the backoffice's column names, in its order, with the
// token id first (never the value) and status and times after.
var exportColumns = []string{"Id", "Name", "Type", "Email", "Company", "Expires At", "Last Accessed At",
	"Successful Attempts", "Failed Attempts", "One Time Use", "Extra", "Status", "Created At", "Updated At"}

// exportTokens answers every token the list's filters match as CSV,
// streamed from the store without paging. The route takes the filters but
// not page and pageSize (the server refuses them as undocumented): an
// export is the whole selection, and a page of it would pass for all.
func (s *Server) exportTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := lt.ParseTokenFilter(r.URL.Query())
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	started := false
	start := func() error {
		started = true
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="login-tokens.csv"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return cw.Write(exportColumns)
	}
	// The header is written with the first row, so that an error before
	// any row (a bad filter the store refuses) is still a problem answer.
	err = s.Store.StreamTokens(r.Context(), f, func(tok *lt.LoginToken) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		return cw.Write(exportRow(tok))
	})
	if err == nil && !started {
		err = start()
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil && started {
		// Half a file must not look like a whole one: log, and break the
		// response off instead of ending it cleanly.
		s.log.ErrorContext(r.Context(), "export login tokens", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// exportRow is one token as CSV cells, each escaped against formulas.
func exportRow(tok *lt.LoginToken) []string {
	var name, email, company string
	if u := tok.User; u != nil {
		name, email = u.Name, u.Email
		if u.Company != nil {
			company = u.Company.Name
		}
	}
	oneTime := "No"
	if tok.OneTimeUse {
		oneTime = "Yes"
	}
	row := []string{
		tok.ID,
		name,
		titleCase(string(tok.Type)),
		email,
		company,
		csvTime(tok.ExpiresAt),
		csvTime(tok.LastAccessedAt),
		strconv.FormatInt(tok.SuccessfulAttempts, 10),
		strconv.FormatInt(tok.FailedAttempts, 10),
		oneTime,
		// One entry per line, as the backoffice edits them; a spreadsheet
		// shows a quoted line break as a line break in the cell.
		strings.Join(tok.Extra, "\n"),
		titleCase(string(tok.Status)),
		csvTime(&tok.CreatedAt),
		csvTime(&tok.UpdatedAt),
	}
	for i, cell := range row {
		row[i] = csvSafe(cell)
	}
	return row
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (OWASP CSV
// injection): a cell starting with = + - @, tab or carriage return gets a
// leading single quote, which spreadsheets show as text.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// titleCase turns "contact" into "Contact", as the backoffice shows types
// and statuses.
func titleCase(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
