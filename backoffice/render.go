package backoffice

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

//go:embed all:templates static
var files embed.FS

// pageData is what every page template gets; screens put their own data
// in Data.
type pageData struct {
	Title   string
	Nav     string // the active navigation entry
	Staff   *lt.Staff
	CSRF    string
	Message string
	Status  int
	Errors  map[string]string // field -> message
	Form    map[string]string
	Data    any
}

// page starts the page data of a signed-in request.
func (s *Server) page(r *http.Request, title, nav string) *pageData {
	p := &pageData{Title: title, Nav: nav}
	if c := currentFrom(r.Context()); c != nil {
		p.Staff, p.CSRF = c.staff, c.csrf
	}
	return p
}

// parsePages parses each page template together with the layout, so pages
// can define the same blocks without clashing.
func (s *Server) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset": s.assets.url,
		"can": func(st *lt.Staff, grant string) bool {
			g, err := lt.ParseGrant(grant)
			return err == nil && st != nil && st.Grants.Allows(g.Area, g.Level)
		},
		"iso": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format(time.RFC3339)
			case *time.Time:
				if v != nil {
					return v.UTC().Format(time.RFC3339)
				}
			}
			return ""
		},
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"join": strings.Join,
		"add":  func(a, b int) int { return a + b },
	}
	layout, err := fs.ReadFile(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range entries {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t := template.New("layout").Funcs(funcs)
		if _, err := t.Parse(string(layout)); err != nil {
			return nil, fmt.Errorf("layout: %w", err)
		}
		partials, _ := fs.Glob(files, "templates/_*.html")
		if len(partials) > 0 {
			if _, err := t.ParseFS(files, partials...); err != nil {
				return nil, err
			}
		}
		if _, err := t.ParseFS(files, name); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes a page with status. A template that fails renders nothing
// half-way: it goes to a buffer first.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *pageData) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.Status = status
	// A form comes back without the secrets it was given: a refused
	// value is shown cut to its id, never echoed.
	for k, v := range p.Form {
		p.Form[k] = lt.RedactSecrets(v)
	}
	var buf bytes.Buffer
	tmpl := "layout"
	if t.Lookup("fragment") != nil && r.Header.Get("X-Fragment") == "1" {
		tmpl = "fragment"
	}
	if err := t.ExecuteTemplate(&buf, tmpl, p); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeJSON answers v as JSON with status.
var writeJSON = web.WriteJSON

func itoa(n int) string { return strconv.Itoa(n) }

// assets serves the embedded static files under checksummed URLs, cached
// for a year: a new build changes the URL.
type assets struct {
	byName map[string]string // "app.js" -> "app.3f2a9c1d.js"
	files  map[string]string // "app.3f2a9c1d.js" -> "static/app.js"
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]string{}, files: map[string]string{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.byName[name], a.files[hashed] = hashed, p
		return nil
	})
	return a, err
}

func (a *assets) url(name string) string { return "/admin/static/" + a.byName[name] }

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	p, ok := s.assets.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, _ := fs.ReadFile(files, p)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(b))
}
