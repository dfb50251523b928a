package backoffice

import (
	"errors"
	"io"
	"net/http"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

// "Import CSV" on the contacts and customers screens: the same files the
// API's imports take as text/csv (importcsv reads both), uploaded as a
// form, with a summary of what happened.

// maxUploadFile is the largest CSV file taken, as the API's import body;
// the form around it may add a little.
const (
	maxUploadFile = 8 << 20
	maxUploadBody = maxUploadFile + 64<<10
)

// importPage is the data of the import page: the form, and after an
// upload its result.
type importPage struct {
	Kind     *dirKind
	Columns  []string
	FileName string
	Result   *lt.ImportResult
	MaxMB    int
}

// limitUpload limits the body of an upload before the session check reads
// it (for the CSRF field), and keeps it in memory. An upload that is too
// large goes back to the form, which says so.
func (s *Server) limitUpload(need lt.Grant, h http.Handler) http.Handler {
	checked := s.requireSession(need, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		if err := r.ParseMultipartForm(maxUploadBody); err != nil {
			if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
				http.Redirect(w, r, r.URL.Path+"?error=too-large", http.StatusSeeOther)
				return
			}
			// Not multipart: the form fields were still read, and the
			// handler says that no file came.
		}
		checked.ServeHTTP(w, r)
	})
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, k *personKind, status int, p *pageData, d *importPage) {
	d.Kind, d.Columns, d.MaxMB = k.dirKind, k.fields, maxUploadFile>>20
	p.Title = "Import " + k.Many
	p.Data = d
	s.render(w, r, status, k.Many+"_import", p)
}

func (s *Server) showImport(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := s.page(r, "", k.Many)
		if r.URL.Query().Get("error") == "too-large" {
			p.Errors = map[string]string{"file": "The file was larger than 8 MB. Split it into smaller files and import them one by one."}
		}
		s.renderImport(w, r, k, http.StatusOK, p, &importPage{})
	})
}

func (s *Server) runImport(k *personKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := s.page(r, "", k.Many)
		d := &importPage{}
		refuse := func(msg string) {
			p.Errors = map[string]string{"file": msg}
			s.renderImport(w, r, k, http.StatusBadRequest, p, d)
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			refuse("Choose a CSV file to import.")
			return
		}
		defer f.Close()
		d.FileName = hdr.Filename
		b, err := io.ReadAll(io.LimitReader(f, maxUploadFile+1))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(b) > maxUploadFile {
			refuse("The file is larger than 8 MB. Split it into smaller files and import them one by one.")
			return
		}
		rows, err := importcsv.Read(b, k.fields)
		if err != nil {
			if lt.ErrorCode(err) != lt.EINVALID {
				s.fail(w, r, err)
				return
			}
			refuse(fileProblem(err))
			return
		}
		if len(rows) == 0 {
			refuse("The file has a header row but no rows to import.")
			return
		}
		res, err := importcsv.Apply(r.Context(), rows, k.imports)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Result = &res
		s.renderImport(w, r, k, http.StatusOK, p, d)
	})
}

// fileProblem says in one message what is wrong with a file as a whole:
// its columns, or CSV that cannot be read.
func fileProblem(err error) string {
	var e *lt.Error
	errors.As(err, &e)
	var parts []string
	for _, f := range e.Fields {
		switch {
		case f.Field == "body" || strings.HasPrefix(f.Message, "the CSV"):
			parts = append(parts, asSentence(f.Message))
		default:
			parts = append(parts, asSentence("column “"+f.Field+"”: "+f.Message))
		}
	}
	if len(parts) == 0 {
		return asSentence(e.Message)
	}
	return "The file was not imported. " + strings.Join(parts, " ")
}
