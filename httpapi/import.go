package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Imports (CONTRACT §5 "Directory") take a JSON array of objects or CSV
// with a header row, with the same names: firstName, lastName, email,
// externalId, disabled and, for contacts, companyId or companyExternalId.
//
// What is wrong with the request as a whole is a 400 and imports nothing:
// a body that is not an array or not CSV, an unknown field or column (a
// typo in a name would otherwise quietly drop that field from every row).
// What is wrong with one row's values fails that row alone, with its
// message in "failed"; the other rows still apply. Rows count from 1, the
// first data row. A row updating someone changes only the values it gives:
// an empty or missing one leaves the field as it is (see sqlstore's
// import).

var (
	customerImportFields = []string{"firstName", "lastName", "email", "externalId", "disabled"}
	contactImportFields  = append([]string{"companyId", "companyExternalId"}, customerImportFields...)
)

func (s *Server) importContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.runImport(w, r, contactImportFields, s.Store.ImportContacts)
}

func (s *Server) importCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.runImport(w, r, customerImportFields, s.Store.ImportCustomers)
}

// importRow is one row as read; err says why its values could not be
// read (a companyId that is no number), and then the row fails alone.
type importRow struct {
	row lt.ContactImport
	err error
}

func (s *Server) runImport(w http.ResponseWriter, r *http.Request, fields []string,
	store func(context.Context, []lt.ContactImport) (lt.ImportResult, error)) error {
	rows, err := readImport(w, r, fields)
	if err != nil {
		return err
	}
	var good []lt.ContactImport
	var bad []lt.ImportFailure
	for i, row := range rows {
		if row.err != nil {
			bad = append(bad, lt.ImportFailure{Row: i + 1, Message: lt.ErrorMessage(row.err)})
			continue
		}
		row.row.Row = i + 1
		good = append(good, row.row)
	}
	res, err := store(r.Context(), good)
	if err != nil {
		return err
	}
	res.Failed = append(res.Failed, bad...)
	slices.SortStableFunc(res.Failed, func(a, b lt.ImportFailure) int { return cmp.Compare(a.Row, b.Row) })
	if res.Failed == nil {
		res.Failed = []lt.ImportFailure{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// readImport reads the rows of a JSON or CSV import body.
func readImport(w http.ResponseWriter, r *http.Request, fields []string) ([]importRow, error) {
	mt := "application/json"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ = mime.ParseMediaType(ct)
	}
	var read func([]byte, []string) ([]importRow, error)
	switch mt {
	case "application/json":
		read = readJSONImport
	case "text/csv":
		read = readCSVImport
	default:
		return nil, lt.Invalid("Content-Type", "send application/json (an array of objects) or text/csv (with a header row)")
	}
	b, err := readBody(w, r, maxImportBody)
	if err != nil {
		return nil, err
	}
	return read(b, fields)
}

func readJSONImport(b []byte, fields []string) ([]importRow, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, lt.Invalid("body", "must be a JSON array of objects")
	}
	var v lt.Validation
	unknown := map[string]bool{}
	rows := make([]importRow, len(raw))
	for i, elem := range raw {
		o := &object{}
		if err := json.Unmarshal(elem, &o.fields); err != nil || o.fields == nil {
			rows[i].err = lt.Invalid("row", "must be a JSON object")
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(o.fields)) {
			if !slices.Contains(fields, name) && !unknown[name] {
				unknown[name] = true
				v.Add(name, "unknown field (first in row %d)", i+1)
			}
		}
		row := &rows[i].row
		row.CompanyID = o.id("companyId")
		row.CompanyExternalID = o.str("companyExternalId")
		row.ExternalID = o.str("externalId")
		row.Disabled = o.boolPtr("disabled")
		for _, f := range []struct {
			name string
			dst  *string
		}{{"firstName", &row.FirstName}, {"lastName", &row.LastName}, {"email", &row.Email}} {
			if s := o.str(f.name); s != nil {
				*f.dst = *s
			}
		}
		rows[i].err = o.err()
	}
	return rows, v.Err()
}

// readCSVImport reads CSV with a header row. Column names match the JSON
// fields ignoring case and surrounding spaces; a byte order mark (as Excel
// writes) is skipped, and a header with semicolons and no commas (as
// spreadsheets write in much of Europe) makes ; the separator. Empty cells
// are absent values.
func readCSVImport(b []byte, fields []string) ([]importRow, error) {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(b))
	firstLine, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.ContainsRune(firstLine, ';') && !bytes.ContainsRune(firstLine, ',') {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1 // a row of the wrong width fails alone
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, lt.Invalid("body", "the CSV needs a header row naming its columns")
	} else if err != nil {
		return nil, csvError(err)
	}
	var v lt.Validation
	cols := make([]string, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		for _, f := range fields {
			if strings.EqualFold(name, f) {
				cols[i] = f
			}
		}
		switch {
		case cols[i] == "":
			v.Add(name, "unknown column; the columns are %s", strings.Join(fields, ", "))
		case slices.Contains(cols[:i], cols[i]):
			v.Add(name, "the column is given twice")
		}
	}
	if !slices.Contains(cols, "email") {
		v.Add("email", "the CSV needs an email column")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		} else if err != nil {
			return nil, csvError(err)
		}
		rows = append(rows, csvRow(cols, rec))
	}
}

// csvRow reads one record by the header's columns.
func csvRow(cols, rec []string) importRow {
	var r importRow
	if len(rec) != len(cols) {
		r.err = lt.Invalid("row", "has %d cells, the header has %d", len(rec), len(cols))
		return r
	}
	var v lt.Validation
	for i, col := range cols {
		cell := strings.TrimSpace(rec[i])
		if cell == "" {
			continue
		}
		switch col {
		case "firstName":
			r.row.FirstName = cell
		case "lastName":
			r.row.LastName = cell
		case "email":
			r.row.Email = cell
		case "externalId":
			r.row.ExternalID = &cell
		case "companyExternalId":
			r.row.CompanyExternalID = &cell
		case "companyId":
			n, err := strconv.ParseInt(cell, 10, 64)
			if err != nil || n <= 0 {
				v.Add(col, "must be a positive integer")
				continue
			}
			r.row.CompanyID = &n
		case "disabled":
			b, ok := csvBool(cell)
			if !ok {
				v.Add(col, "must be true or false")
				continue
			}
			r.row.Disabled = &b
		}
	}
	r.err = v.Err()
	return r
}

// csvBool reads the booleans spreadsheets and people write.
func csvBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1":
		return true, true
	case "false", "no", "n", "0":
		return false, true
	}
	return false, false
}

// csvError says where CSV that cannot be parsed goes wrong.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lt.Invalid("body", "not valid CSV at line %d: %v", pe.Line, pe.Err)
	}
	return lt.Invalid("body", "not valid CSV: %v", err)
}
