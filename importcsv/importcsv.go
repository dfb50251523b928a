// Package importcsv reads contact and customer imports (docs/api.md, "Directory") from CSV with a header row, and hands rows read from CSV
// or from the API's JSON to the store, so that the admin API and the
// backoffice's upload take the same files the same way.
//
// What is wrong with a file as a whole is an error and imports nothing: no
// header, an unknown or doubled column (a typo in a name would otherwise
// quietly drop that field from every row), CSV that cannot be parsed,
// more than MaxRows rows. What is wrong with one row's values fails that
// row alone; the other rows still apply. Rows count from 1, the first data
// row.
//
// So a file is read and checked to its end before any row applies (Check),
// kept meanwhile in a temporary file, not in memory, and then read again
// and applied BatchRows rows at a time (File.Apply): an import holds one
// batch of rows, whatever the size of its file. The store applies each row
// in a transaction of its own, as before, not the whole file in one: that
// one would hold SQLite's only writer, which every redeem and sign-in
// waits for, for the minutes a large import takes.
package importcsv

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// The fields of an import, as JSON names and CSV column names.
var (
	CustomerFields = []string{"firstName", "lastName", "email", "externalId", "disabled", "language"}
	ContactFields  = append([]string{"companyId", "companyExternalId"}, CustomerFields...)
)

// Row is one row as read; Err says why its values could not be read (a
// companyId that is no number), and then the row fails alone.
type Row struct {
	Import lt.ContactImport
	Err    error
}

// ReadFunc reads an import's rows from r in order, calling each with every
// row; an error of each stops the reading and is returned as it is. What
// is wrong with the file as a whole is an INVALID_INPUT error naming the
// body or a column; an error reading r is returned as it is. Read reads
// CSV; the API reads JSON with a ReadFunc of its own.
type ReadFunc func(r io.Reader, fields []string, each func(Row) error) error

// Store applies rows to the directory and answers what became of them
// (sqlstore's ImportContacts and ImportCustomers); lt.ContactImport.Row
// numbers them.
type Store func(context.Context, []lt.ContactImport) (lt.ImportResult, error)

// The bounds of one import. The body limits (8 MiB) bound the bytes; these
// bound the rows, the rows held at once and the time.
const (
	// MaxRows is the most rows one import takes; a file with more is
	// refused whole, before any row is applied.
	MaxRows = 100_000
	// BatchRows is how many rows are read and handed to the store at
	// once: all an import holds of its rows, however large its file.
	BatchRows = 500
	// MaxTime is the longest an import may take once authorised, reading
	// its body and applying its rows; Deadline gives it that instead of
	// the server's timeouts. MaxRows took 1 minute on SQLite and 3 to 5
	// on PostgreSQL on 2 shared cores, more under load. An import past it
	// stops where it is (an internal error): the rows before stay
	// applied, and running the file again is safe, imports upsert.
	MaxTime = 30 * time.Minute
	// answerTime is what the answer of an import may take to write after
	// MaxTime: the failures of up to MaxRows rows.
	answerTime = time.Minute
)

// File is an import read to its end and checked as a whole, kept in a
// temporary file until it is applied: never in memory.
type File struct {
	f      *os.File
	read   ReadFunc
	fields []string
	rows   int
}

// ErrSpool is what the errors of an import's temporary file wrap: an
// internal error, not one of the body it reads.
var ErrSpool = errors.New("spool the import")

// spoolWriter writes the temporary file and marks its errors.
type spoolWriter struct{ f *os.File }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return n, err
}

// Check reads body to its end with read and checks it as a whole, keeping
// it in a temporary file (removed from its folder at once, so it is gone
// when closed, or if the process dies). Whatever is wrong with the file as
// a whole, more than MaxRows rows included, is found here, before any row
// is applied: a refused file imports nothing. An error of the temporary
// file wraps ErrSpool. Close the File when done.
func Check(body io.Reader, read ReadFunc, fields []string) (*File, error) {
	f, err := os.CreateTemp("", "logintokens-import-*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	os.Remove(f.Name())
	file := &File{f: f, read: read, fields: fields}
	spool := bufio.NewWriterSize(spoolWriter{f}, 64<<10)
	err = read(io.TeeReader(body, spool), fields, func(Row) error {
		if file.rows++; file.rows > MaxRows {
			return lt.Invalid("body", "has more rows than the %d an import takes (row %d is one too many); split it into smaller files", MaxRows, file.rows)
		}
		return nil
	})
	if err == nil {
		err = spool.Flush()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return file, nil
}

// Rows is how many rows the file has.
func (f *File) Rows() int { return f.rows }

// Close removes the file.
func (f *File) Close() error { return f.f.Close() }

// Apply reads the checked file again and hands its rows to store
// BatchRows at a time, in order, numbered from 1. It returns the sums of
// the store's results with the unreadable rows added to the failures, in
// row order; Failed is never nil. An error of store stops it: the batches
// before stay applied, as the rows before a store error within a batch do.
func (f *File) Apply(ctx context.Context, store Store) (lt.ImportResult, error) {
	res := lt.ImportResult{Failed: []lt.ImportFailure{}}
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	batch := make([]Row, 0, BatchRows)
	first := 1 // the number of batch[0]
	flush := func() error {
		r, err := applyBatch(ctx, batch, first, store)
		if err != nil {
			return err
		}
		res.Created += r.Created
		res.Updated += r.Updated
		res.Failed = append(res.Failed, r.Failed...)
		first += len(batch)
		batch = batch[:0]
		return nil
	}
	err := f.read(bufio.NewReaderSize(f.f, 64<<10), f.fields, func(r Row) error {
		if batch = append(batch, r); len(batch) == BatchRows {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err != nil {
		return lt.ImportResult{}, err
	}
	return res, nil
}

// applyBatch numbers rows from first, sends those that could be read to
// store and returns its result with the unreadable rows added to the
// failures, in row order.
func applyBatch(ctx context.Context, rows []Row, first int, store Store) (lt.ImportResult, error) {
	good := make([]lt.ContactImport, 0, len(rows))
	var bad []lt.ImportFailure
	for i, row := range rows {
		if row.Err != nil {
			bad = append(bad, lt.ImportFailure{Row: first + i, Message: lt.ErrorMessage(row.Err)})
			continue
		}
		row.Import.Row = first + i
		good = append(good, row.Import)
	}
	res, err := store(ctx, good)
	if err != nil {
		return lt.ImportResult{}, err
	}
	res.Failed = append(res.Failed, bad...)
	slices.SortStableFunc(res.Failed, func(a, b lt.ImportFailure) int { return cmp.Compare(a.Row, b.Row) })
	return res, nil
}

// Deadline gives an import that is authorised and holds its place in the
// imports gate MaxTime from now to read its body and apply its rows, in
// place of the server's read and write timeouts, which are meant for
// ordinary requests: with them a large import would be cut off while it
// applies, its answer lost. It moves the connection's deadlines (the
// write's by answerTime more, for the answer) where the server has
// shorter ones, which it sets again for the connection's next request,
// and returns the import's context, which ends at MaxTime.
func Deadline(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc) {
	end := time.Now().Add(MaxTime)
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok {
		rc := http.NewResponseController(w)
		if srv.ReadTimeout > 0 && srv.ReadTimeout < MaxTime {
			rc.SetReadDeadline(end)
		}
		if srv.WriteTimeout > 0 && srv.WriteTimeout < MaxTime+answerTime {
			rc.SetWriteDeadline(end.Add(answerTime))
		}
	}
	return context.WithDeadline(r.Context(), end)
}

// maxHeaderLine is as much of the first line as Read looks at to choose
// the separator: a header of the known columns is far shorter.
const maxHeaderLine = 64 << 10

// Read reads CSV with a header row whose columns are among fields, from r
// as it goes: the file is never held whole. Column names match ignoring
// case and surrounding spaces; a byte order mark (as Excel writes) is
// skipped, and a header with semicolons and no commas (as spreadsheets
// write in much of Europe) makes ; the separator. Empty cells are absent
// values. It is a ReadFunc: what is wrong with the CSV is an INVALID_INPUT
// error; an error reading r (a body past its limit, a client gone) or of
// each is returned as it is.
func Read(r io.Reader, fields []string, each func(Row) error) error {
	br := bufio.NewReaderSize(r, maxHeaderLine)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\uFEFF")) {
		br.Discard(3)
	}
	start, err := br.Peek(maxHeaderLine)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
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
		return lt.Invalid("body", "the CSV needs a header row naming its columns")
	} else if err != nil {
		return csvError(err)
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
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return csvError(err)
		}
		if err := each(csvRow(cols, rec)); err != nil {
			return err
		}
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
		case "language":
			r.Import.Language = &cell
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
