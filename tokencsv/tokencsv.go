// Package tokencsv writes login tokens as the one CSV export that both the
// admin API (GET /api/v1/login-tokens.csv) and the backoffice answer: the
// backoffice's column names, one row per token, never a value, every cell
// escaped against spreadsheet formulas.
package tokencsv

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// Columns are the backoffice's column names, in its order, with the token
// id first (never the value) and status and times after.
var Columns = []string{"Id", "Name", "Type", "Email", "Company", "Expires At", "Last Accessed At",
	"Successful Attempts", "Failed Attempts", "Uses Allowed", "One Time Use", "Networks", "Extra", "Status", "Created At", "Updated At"}

// Filename is the name the download is saved under.
const Filename = "login-tokens.csv"

// Write answers the tokens that stream yields as a CSV download; stream
// calls each once per token (sqlstore's StreamTokens has that shape).
//
// The header goes out with the first row, so an error before any row (a
// filter the store refuses) comes back with nothing written: started is
// false and the caller answers the error its own way. An error after the
// first row comes back with started true: half a file must not pass for a
// whole one, so the caller should log it and break the response off
// (panic(http.ErrAbortHandler)) instead of ending it cleanly.
func Write(w http.ResponseWriter, stream func(each func(*lt.LoginToken) error) error) (started bool, err error) {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	start := func() error {
		started = true
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+Filename+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return cw.Write(Columns)
	}
	err = stream(func(tok *lt.LoginToken) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		return cw.Write(Row(tok))
	})
	if err == nil && !started {
		err = start()
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	return started, err
}

// Row is one token as CSV cells, each escaped against formulas.
func Row(tok *lt.LoginToken) []string {
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
	uses := "" // no limit
	if tok.MaxUses != nil {
		uses = strconv.FormatInt(*tok.MaxUses, 10)
	}
	row := []string{
		tok.ID,
		name,
		titleCase(string(tok.Type)),
		email,
		company,
		formatTime(tok.ExpiresAt),
		formatTime(tok.LastAccessedAt),
		strconv.FormatInt(tok.SuccessfulAttempts, 10),
		strconv.FormatInt(tok.FailedAttempts, 10),
		uses,
		oneTime,
		strings.Join(tok.Networks, "\n"),
		// One entry per line, as the backoffice edits them; a spreadsheet
		// shows a quoted line break as a line break in the cell.
		strings.Join(tok.Extra, "\n"),
		titleCase(string(tok.Status)),
		formatTime(&tok.CreatedAt),
		formatTime(&tok.UpdatedAt),
	}
	for i, cell := range row {
		row[i] = Safe(cell)
	}
	return row
}

// Safe keeps a spreadsheet from reading a cell as a formula (OWASP CSV
// injection): a cell starting with = + - @, tab or carriage return gets a
// leading single quote, which spreadsheets show as text.
func Safe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func formatTime(t *time.Time) string {
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
