package httpapi

import (
	"context"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"slices"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
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

func (s *Server) runImport(w http.ResponseWriter, r *http.Request, fields []string,
	store func(context.Context, []lt.ContactImport) (lt.ImportResult, error)) error {
	rows, err := readImport(w, r, fields)
	if err != nil {
		return err
	}
	res, err := importcsv.Apply(r.Context(), rows, store)
	if err != nil {
		return err
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
		read = importcsv.Read
	default:
		return nil, lt.Invalid("Content-Type", "send application/json (an array of objects) or text/csv (with a header row)")
	}
	b, err := readBody(w, r, maxImportBody)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, lt.Invalid("body", "is not valid UTF-8")
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
			rows[i].Err = lt.Invalid("row", "must be a JSON object")
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(o.fields)) {
			if !slices.Contains(fields, name) && !unknown[name] {
				unknown[name] = true
				v.Add(name, "unknown field (first in row %d)", i+1)
			}
		}
		row := &rows[i].Import
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
		rows[i].Err = o.err()
	}
	return rows, v.Err()
}
