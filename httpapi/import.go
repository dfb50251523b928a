package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

// Imports (docs/api.md, "Directory") take a JSON array of objects or CSV
// with a header row, with the same names: firstName, lastName, email,
// externalId, disabled and, for contacts, companyId or companyExternalId.
//
// What is wrong with the request as a whole is a 400 and imports nothing:
// a body that is not an array or not CSV, an unknown field or column (a
// typo in a name would otherwise quietly drop that field from every row),
// more than importcsv.MaxRows rows.
// What is wrong with one row's values fails that row alone, with its
// message in "failed"; the other rows still apply. Rows count from 1, the
// first data row. A row updating someone changes only the values it gives:
// an empty or missing one leaves the field as it is (see sqlstore's
// import).

var (
	customerImportFields = importcsv.CustomerFields
	contactImportFields  = importcsv.ContactFields
)

func (s *Server) importContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.runImport(w, r, contactImportFields, s.Store.ImportContacts)
}

func (s *Server) importCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.runImport(w, r, customerImportFields, s.Store.ImportCustomers)
}

// importRow is one row as read (importcsv reads CSV, this file JSON).
type importRow = importcsv.Row

// runImport reads and checks the whole body before it applies a row, so
// that a body refused as a whole imports nothing, then applies it a batch
// at a time (importcsv). It holds a place of the imports gate, and has
// importcsv.MaxTime for both instead of the server's timeouts.
func (s *Server) runImport(w http.ResponseWriter, r *http.Request, fields []string, store importcsv.Store) error {
	read, err := importReader(r)
	if err != nil {
		return err
	}
	leave, err := s.Gates.Imports.Enter()
	if err != nil {
		return err
	}
	defer leave()
	ctx, cancel := importcsv.Deadline(w, r)
	defer cancel()
	f, err := importcsv.Check(&utf8Reader{r: r.Body}, read, fields)
	if errors.Is(err, importcsv.ErrSpool) {
		return err
	} else if err != nil {
		return bodyError(err)
	}
	defer f.Close()
	res, err := f.Apply(ctx, store)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// importReader chooses the reader of an import body by its Content-Type.
// The body is read as it is parsed, never held whole; the route's limit
// (maxImportBody) bounds it.
func importReader(r *http.Request) (importcsv.ReadFunc, error) {
	mt := "application/json"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ = mime.ParseMediaType(ct)
	}
	switch mt {
	case "application/json":
		return readJSONImport, nil
	case "text/csv":
		return importcsv.Read, nil
	}
	return nil, lt.Invalid("Content-Type", "send application/json (an array of objects) or text/csv (with a header row)")
}

func errNotAnArray() error { return lt.Invalid("body", "must be a JSON array of objects") }

// readJSONImport reads a JSON array of objects element by element: an
// importcsv.ReadFunc.
func readJSONImport(body io.Reader, fields []string, each func(importRow) error) error {
	dec := json.NewDecoder(body)
	if tok, err := dec.Token(); err != nil {
		return jsonImportError(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errNotAnArray()
	}
	var v lt.Validation
	unknown := map[string]bool{}
	for i := 0; dec.More(); i++ {
		var elem json.RawMessage
		if err := dec.Decode(&elem); err != nil {
			return jsonImportError(err)
		}
		var r importRow
		o := &object{}
		if err := checkJSON(elem); err != nil {
			r.Err = err
		} else if err := json.Unmarshal(elem, &o.fields); err != nil || o.fields == nil {
			r.Err = lt.Invalid("row", "must be a JSON object")
		} else {
			for _, name := range slices.Sorted(maps.Keys(o.fields)) {
				if !slices.Contains(fields, name) && !unknown[name] {
					unknown[name] = true
					v.Add(name, "unknown field (first in row %d)", i+1)
				}
			}
			row := &r.Import
			row.CompanyID = o.id("companyId")
			row.CompanyExternalID = o.str("companyExternalId")
			row.ExternalID = o.str("externalId")
			row.Disabled = o.boolPtr("disabled")
			row.Language = o.str("language")
			for _, f := range []struct {
				name string
				dst  *string
			}{{"firstName", &row.FirstName}, {"lastName", &row.LastName}, {"email", &row.Email}} {
				if s := o.str(f.name); s != nil {
					*f.dst = *s
				}
			}
			r.Err = o.err()
		}
		if err := each(r); err != nil {
			return err
		}
	}
	// The closing bracket, and nothing after it.
	if _, err := dec.Token(); err != nil {
		return jsonImportError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return errNotAnArray()
		}
		return jsonImportError(err)
	}
	return v.Err()
}

// jsonImportError is a JSON body's error: what was wrong with the JSON,
// or the error of reading the body as it is.
func jsonImportError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		// The body streams past: its position is a byte count, not a line.
		return lt.Invalid("body", "is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset+1)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return lt.Invalid("body", "is not valid JSON: it ends too early")
	case errors.As(err, &typ) || errors.Is(err, io.EOF):
		return errNotAnArray()
	}
	return err
}

// utf8Reader passes a body through while checking that it is valid UTF-8:
// JSON decoding would otherwise turn invalid bytes into U+FFFD silently.
// A rune split between two reads is checked once it is whole.
type utf8Reader struct {
	r       io.Reader
	pending []byte // the start of a rune the last read cut
}

var errNotUTF8 = lt.Invalid("body", "is not valid UTF-8")

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	chunk := append(u.pending, p[:n]...)
	// Keep an incomplete rune at the end for the next read.
	cut := len(chunk)
	for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(chunk[i]) {
			if !utf8.FullRune(chunk[i:]) {
				cut = i
			}
			break
		}
	}
	if err != nil {
		cut = len(chunk) // nothing more comes: what is left must be whole
	}
	if !utf8.Valid(chunk[:cut]) {
		return 0, errNotUTF8
	}
	u.pending = append(u.pending[:0], chunk[cut:]...)
	return n, err
}
