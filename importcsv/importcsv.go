// Package importcsv reads contact and customer imports (CONTRACT §5
// "Directory") from CSV with a header row, and hands rows read from CSV
// or from the API's JSON to the store, so that the admin API and the
// backoffice's upload take the same files the same way.
//
// What is wrong with a file as a whole is an error and imports nothing: no
// header, an unknown or doubled column (a typo in a name would otherwise
// quietly drop that field from every row), CSV that cannot be parsed.
// What is wrong with one row's values fails that row alone; the other rows
// still apply. Rows count from 1, the first data row.
package importcsv

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// The fields of an import, as JSON names and CSV column names.
var (
	CustomerFields = []string{"firstName", "lastName", "email", "externalId", "disabled"}
	ContactFields  = append([]string{"companyId", "companyExternalId"}, CustomerFields...)
)

// Row is one row as read; Err says why its values could not be read (a
// companyId that is no number), and then the row fails alone.
type Row struct {
	Import lt.ContactImport
	Err    error
}

// Apply numbers the rows, sends those that could be read to store and
// returns its result with the unreadable rows added to the failures, in
// row order. Failed is never nil.
func Apply(ctx context.Context, rows []Row, store func(context.Context, []lt.ContactImport) (lt.ImportResult, error)) (lt.ImportResult, error) {
	var good []lt.ContactImport
	var bad []lt.ImportFailure
	for i, row := range rows {
		if row.Err != nil {
			bad = append(bad, lt.ImportFailure{Row: i + 1, Message: lt.ErrorMessage(row.Err)})
			continue
		}
		row.Import.Row = i + 1
		good = append(good, row.Import)
	}
	res, err := store(ctx, good)
	if err != nil {
		return lt.ImportResult{}, err
	}
	res.Failed = append(res.Failed, bad...)
	slices.SortStableFunc(res.Failed, func(a, b lt.ImportFailure) int { return cmp.Compare(a.Row, b.Row) })
	if res.Failed == nil {
		res.Failed = []lt.ImportFailure{}
	}
	return res, nil
}

// maxHeaderLine is as much of the first line as Read looks at to choose
// the separator: a header of the known columns is far shorter.
const maxHeaderLine = 64 << 10

// Read reads CSV with a header row whose columns are among fields, from r
// as it goes: the file is never held whole. Column names match ignoring
// case and surrounding spaces; a byte order mark (as Excel writes) is
// skipped, and a header with semicolons and no commas (as spreadsheets
// write in much of Europe) makes ; the separator. Empty cells are absent
// values. What is wrong with the CSV is an INVALID_INPUT error; an error
// reading r (a body past its limit, a client gone) is returned as it is.
func Read(r io.Reader, fields []string) ([]Row, error) {
	br := bufio.NewReaderSize(r, maxHeaderLine)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\uFEFF")) {
		br.Discard(3)
	}
	start, err := br.Peek(maxHeaderLine)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	cr := csv.NewReader(br)
	firstLine, _, _ := bytes.Cut(start, []byte("\n"))
	if bytes.ContainsRune(firstLine, ';') && !bytes.ContainsRune(firstLine, ',') {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1 // a row of the wrong width fails alone
	cr.ReuseRecord = true   // csvRow copies what it keeps
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
	var rows []Row
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
func csvRow(cols, rec []string) Row {
	var r Row
	if len(rec) != len(cols) {
		r.Err = lt.Invalid("row", "has %d cells, the header has %d", len(rec), len(cols))
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
			r.Import.FirstName = cell
		case "lastName":
			r.Import.LastName = cell
		case "email":
			r.Import.Email = cell
		case "externalId":
			r.Import.ExternalID = &cell
		case "companyExternalId":
			r.Import.CompanyExternalID = &cell
		case "companyId":
			n, err := strconv.ParseInt(cell, 10, 64)
			if err != nil || n <= 0 {
				v.Add(col, "must be a positive integer")
				continue
			}
			r.Import.CompanyID = &n
		case "disabled":
			b, ok := parseBool(cell)
			if !ok {
				v.Add(col, "must be true or false")
				continue
			}
			r.Import.Disabled = &b
		}
	}
	r.Err = v.Err()
	return r
}

// parseBool reads the booleans spreadsheets and people write.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1":
		return true, true
	case "false", "no", "n", "0":
		return false, true
	}
	return false, false
}

// csvError says where CSV that cannot be parsed goes wrong; an error of
// the reader underneath is returned as it is.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lt.Invalid("body", "not valid CSV at line %d: %v", pe.Line, pe.Err)
	}
	return err
}
