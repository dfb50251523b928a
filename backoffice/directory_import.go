package backoffice

import (
	"errors"
	"io"
	"mime/multipart"
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
	MaxRows  int
}

func renderImport[T lt.PersonKind](s *Server, w http.ResponseWriter, r *http.Request, k *personKind[T], status int, p *pageData, d *importPage) {
	d.Kind, d.Columns, d.MaxMB, d.MaxRows = k.dirKind, k.fields, maxUploadFile>>20, importcsv.MaxRows
	p.Title = "Import " + k.Many
	p.Data = d
	s.render(w, r, status, k.Many+"_import", p)
}

func showImport[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := s.page(r, "", k.Many)
		if r.URL.Query().Get("error") == "too-large" {
			p.Errors = map[string]string{"file": "The file was larger than 8 MB. Split it into smaller files and import them one by one."}
		}
		renderImport(s, w, r, k, http.StatusOK, p, &importPage{})
	})
}

// runImport imports an uploaded file. The session check has read the
// form's first part, its CSRF field; the file is read from the next part
// as the CSV is parsed and checked to its end before any row applies
// (importcsv), never held whole, while the import holds one of the few
// places of the imports gate and has importcsv.MaxTime.
func runImport[T lt.PersonKind](s *Server, k *personKind[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := s.page(r, "", k.Many)
		d := &importPage{}
		refuse := func(msg string) {
			p.Errors = map[string]string{"file": msg}
			renderImport(s, w, r, k, http.StatusBadRequest, p, d)
		}
		// Too large, the file or the form: back to the form, which says so.
		tooLarge := func() { http.Redirect(w, r, r.URL.Path+"?error=too-large", http.StatusSeeOther) }
		isTooLarge := func(err error) bool { return errors.As(err, new(*http.MaxBytesError)) }
		if r.ContentLength > maxUploadBody {
			tooLarge()
			return
		}
		f, err := uploadedFile(r)
		switch {
		case isTooLarge(err):
			tooLarge()
			return
		case err != nil:
			refuse("Choose a CSV file to import.")
			return
		}
		d.FileName = f.FileName()
		leave, err := s.Gates.Imports.Enter()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer leave()
		ctx, cancel := importcsv.Deadline(w, r)
		defer cancel()
		file := &io.LimitedReader{R: f, N: maxUploadFile + 1}
		checked, err := importcsv.Check(file, importcsv.Read, k.fields)
		if checked != nil {
			defer checked.Close()
		}
		if err == nil || lt.ErrorCode(err) == lt.EINVALID {
			// The file's size decides first, whatever its content, as
			// when the whole file was read before it was parsed.
			if _, rest := io.Copy(io.Discard, file); rest != nil {
				err = rest
			}
		}
		switch {
		case file.N == 0 || isTooLarge(err):
			tooLarge()
			return
		case lt.ErrorCode(err) == lt.EINVALID:
			refuse(fileProblem(err))
			return
		case errors.Is(err, importcsv.ErrSpool):
			s.fail(w, r, err)
			return
		case err != nil:
			refuse("The file could not be read to its end. Try again.")
			return
		case checked.Rows() == 0:
			refuse("The file has a header row but no rows to import.")
			return
		}
		res, err := checked.Apply(ctx, k.Import)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Result = &res
		renderImport(s, w, r, k, http.StatusOK, p, d)
	})
}

// maxUploadParts bounds the parts an upload may have before its file.
const maxUploadParts = 4

// uploadedFile returns the file part of an upload, named "file", reading
// past the few small fields the form may have before it.
func uploadedFile(r *http.Request) (*multipart.Part, error) {
	parts, err := uploadParts(r)
	if err != nil {
		return nil, err
	}
	for range maxUploadParts {
		part, err := parts.NextPart()
		if err != nil {
			return nil, err
		}
		if part.FormName() == "file" && part.FileName() != "" {
			return part, nil
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(part, maxCSRFField)); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("no file in the upload")
}

// fileProblem says in one message what is wrong with a file as a whole:
// its columns, or CSV that cannot be read.
func fileProblem(err error) string {
	errs, _, _ := formErrors(err, formFields{Name: func(fe lt.FieldError) string {
		if fe.Field == "body" || strings.HasPrefix(fe.Message, "the CSV") {
			return ""
		}
		return "column “" + fe.Field + "”"
	}})
	return "The file was not imported. " + errs[""]
}
