package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/logintokens/logintokens/internal/web"
)

// The API reference page is rendered from the OpenAPI document itself, so
// the two say the same thing. It needs nothing from the network and runs no
// script: its one stylesheet is inline and allowed by hash.

//go:embed templates/docs.html templates/docs.css
var docsFiles embed.FS

var docsTemplate = template.Must(template.New("docs.html").ParseFS(docsFiles, "templates/docs.html"))

// docs answers the API reference page.
func (s *Server) docs(w http.ResponseWriter, r *http.Request, c *caller) error {
	d := s.openAPIDocs()
	if d.err != nil {
		return fmt.Errorf("api reference: %w", d.err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", d.csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(d.html)
	return nil
}

// The page's view of the document.
type (
	docsPage struct {
		CSS             template.CSS
		Title, Version  string
		Summary, Server string
		Auth            string
		Redeem          template.HTML
		Groups          []docsGroup
		Problems        []docsProblem
		Schemas         []docsSchema
	}
	docsGroup struct {
		ID, Name, Description string
		Ops                   []docsOp
	}
	docsOp struct {
		ID, Method, Path, Summary string
		Access                    string
		Description               template.HTML
		Params                    []docsProp
		Body                      []docsMedia
		Responses                 []docsResp
	}
	docsMedia struct {
		MediaType string
		Type      docsType
	}
	docsResp struct {
		Status, Description string
		Problem             bool
		Headers             []string
		Media               []docsMedia
	}
	docsProblem struct {
		Code, Meaning string
		Status        int
	}
	docsSchema struct {
		ID, Name, Description string
		Type                  docsType
		Closed                bool
		Props                 []docsProp
	}
	docsProp struct {
		Name, In    string
		Type        docsType
		Required    bool
		Description string
		Rules       string
	}
	// docsType is a compact type such as "array of LoginToken" or
	// "string (date-time) | null", with links to named schemas.
	docsType     []docsTypePart
	docsTypePart struct{ Text, Href string }
)

// docsRender renders the reference page of d and the Content-Security-Policy
// that lets exactly its stylesheet apply.
func docsRender(d *oaDoc) (page []byte, csp string, err error) {
	css, err := docsFiles.ReadFile("templates/docs.css")
	if err != nil {
		return nil, "", err
	}
	p := docsPage{
		CSS:     template.CSS(css),
		Title:   d.Info.Title,
		Version: d.Info.Version,
		Summary: d.Info.Summary,
		Redeem:  docsMarkdown(oaRedeemOutcomes()),
	}
	if len(d.Servers) > 0 {
		p.Server = d.Servers[0].URL
	}
	if sc, ok := d.Components.SecuritySchemes.get("bearerAuth"); ok {
		p.Auth = sc.Description
	}
	for _, c := range oaProblemCodes {
		p.Problems = append(p.Problems, docsProblem{Code: c.Code, Meaning: c.Meaning, Status: web.Status(c.Code)})
	}
	for _, t := range d.Tags {
		p.Groups = append(p.Groups, docsGroup{ID: "tag-" + docsSlug(t.Name), Name: t.Name, Description: t.Description})
	}
	for _, path := range d.Paths {
		for _, e := range path.Value {
			op := e.Value
			g := docsGroupFor(&p, op.Tags)
			g.Ops = append(g.Ops, docsOperation(d, path.Key, e.Key, op))
		}
	}
	for _, e := range d.Components.Schemas {
		s := docsSchema{ID: "schema-" + e.Key, Name: e.Key, Description: e.Value.Description, Type: docsTypeOf(e.Value)}
		s.Closed, s.Props = docsProperties(e.Value, "")
		p.Schemas = append(p.Schemas, s)
	}
	var b bytes.Buffer
	if err := docsTemplate.Execute(&b, p); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(css)
	csp = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return b.Bytes(), csp, nil
}

func docsGroupFor(p *docsPage, tags []string) *docsGroup {
	name := "Other"
	if len(tags) > 0 {
		name = tags[0]
	}
	for i := range p.Groups {
		if p.Groups[i].Name == name {
			return &p.Groups[i]
		}
	}
	p.Groups = append(p.Groups, docsGroup{ID: "tag-" + docsSlug(name), Name: name})
	return &p.Groups[len(p.Groups)-1]
}

func docsOperation(d *oaDoc, path, method string, op *oaOp) docsOp {
	o := docsOp{
		ID:          "op-" + op.OperationID,
		Method:      strings.ToUpper(method),
		Path:        path,
		Summary:     op.Summary,
		Access:      "public",
		Description: docsMarkdown(op.notes),
	}
	if op.RequiredGrant != "" {
		o.Access = op.RequiredGrant
	}
	for _, prm := range op.Parameters {
		o.Params = append(o.Params, docsProp{Name: prm.Name, In: prm.In, Type: docsTypeOf(prm.Schema),
			Required: prm.Required, Description: prm.Description, Rules: docsRules(prm.Schema)})
	}
	if op.RequestBody != nil {
		for _, m := range op.RequestBody.Content {
			o.Body = append(o.Body, docsMedia{MediaType: m.Key, Type: docsTypeOf(m.Value.Schema)})
		}
	}
	for _, e := range op.Responses {
		r := e.Value
		if r.Ref != "" {
			r, _ = d.Components.Responses.get(strings.TrimPrefix(r.Ref, "#/components/responses/"))
		}
		if r == nil {
			continue
		}
		dr := docsResp{Status: e.Key, Description: r.Description}
		for _, h := range r.Headers {
			dr.Headers = append(dr.Headers, h.Key)
		}
		for _, m := range r.Content {
			dr.Problem = dr.Problem || m.Key == "application/problem+json"
			dr.Media = append(dr.Media, docsMedia{MediaType: m.Key, Type: docsTypeOf(m.Value.Schema)})
		}
		o.Responses = append(o.Responses, dr)
	}
	return o
}

// docsTypeOf renders a schema's type compactly.
func docsTypeOf(s *oaSchema) docsType {
	if s == nil {
		return docsType{{Text: "any"}}
	}
	if s.Ref != "" {
		name := s.Ref[strings.LastIndexByte(s.Ref, '/')+1:]
		return docsType{{Text: name, Href: "#schema-" + name}}
	}
	if len(s.AnyOf) > 0 {
		var out docsType
		for i, alt := range s.AnyOf {
			if i > 0 {
				out = append(out, docsTypePart{Text: " | "})
			}
			out = append(out, docsTypeOf(alt)...)
		}
		return out
	}
	var out docsType
	for i, t := range s.Type {
		if i > 0 {
			out = append(out, docsTypePart{Text: " | "})
		}
		switch {
		case t == "array":
			out = append(out, docsTypePart{Text: "array of "})
			out = append(out, docsTypeOf(s.Items)...)
		case s.Format != "" && t != "null":
			out = append(out, docsTypePart{Text: t + " (" + s.Format + ")"})
		default:
			out = append(out, docsTypePart{Text: t})
		}
	}
	if len(out) == 0 {
		out = docsType{{Text: "any"}}
	}
	return out
}

// docsRules sums up a schema's constraints.
func docsRules(s *oaSchema) string {
	if s == nil {
		return ""
	}
	var r []string
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			if v == nil {
				vals[i] = "null"
			} else {
				vals[i] = fmt.Sprint(v)
			}
		}
		r = append(r, "one of "+strings.Join(vals, ", "))
	}
	if s.Pattern != "" {
		r = append(r, "matches "+s.Pattern)
	}
	if s.Minimum != nil {
		r = append(r, "≥ "+strconv.Itoa(*s.Minimum))
	}
	if s.Maximum != nil {
		r = append(r, "≤ "+strconv.Itoa(*s.Maximum))
	}
	if s.MinLength != nil {
		r = append(r, "at least "+strconv.Itoa(*s.MinLength)+" characters")
	}
	if s.MaxLength != nil {
		r = append(r, "at most "+strconv.Itoa(*s.MaxLength)+" characters")
	}
	if s.MinItems != nil {
		r = append(r, "at least "+strconv.Itoa(*s.MinItems)+" items")
	}
	if s.MaxItems != nil {
		r = append(r, "at most "+strconv.Itoa(*s.MaxItems)+" items")
	}
	if s.Items != nil && s.Items.Ref == "" {
		if ir := docsRules(s.Items); ir != "" {
			r = append(r, "each "+ir)
		}
	}
	return strings.Join(r, "; ")
}

// docsProperties lists an object's properties, and those of inline objects
// inside it (ImportResult's failed[].row), with dotted names.
func docsProperties(s *oaSchema, prefix string) (closed bool, out []docsProp) {
	if s == nil || s.Ref != "" {
		return false, nil
	}
	if s.Items != nil && len(s.Properties) == 0 {
		if prefix != "" {
			prefix += "[]"
		}
		return docsProperties(s.Items, prefix)
	}
	closed = s.AdditionalProperties != nil && !*s.AdditionalProperties
	for _, e := range s.Properties {
		name := e.Key
		if prefix != "" {
			name = prefix + "." + e.Key
		}
		p := e.Value
		out = append(out, docsProp{Name: name, Type: docsTypeOf(p), Required: slices.Contains(s.Required, e.Key),
			Description: docsDescription(p), Rules: docsRules(p)})
		_, inner := docsProperties(p, name)
		out = append(out, inner...)
	}
	return closed, out
}

// docsDescription is a property's description, or its items'.
func docsDescription(s *oaSchema) string {
	if s.Description != "" {
		return s.Description
	}
	if s.Items != nil {
		return s.Items.Description
	}
	return ""
}

var docsNonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func docsSlug(s string) string {
	return strings.Trim(docsNonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

var docsCodeSpan = regexp.MustCompile("`([^`]+)`")
var docsListItem = regexp.MustCompile(`^\d+\. `)

// docsMarkdown renders the little Markdown the descriptions use:
// paragraphs, numbered lists and `code`. Everything is escaped first.
func docsMarkdown(s string) template.HTML {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		lines := strings.Split(para, "\n")
		var items, text []string
		for _, l := range lines {
			if docsListItem.MatchString(l) {
				items = append(items, docsListItem.ReplaceAllString(l, ""))
			} else {
				text = append(text, l)
			}
		}
		if len(text) > 0 {
			b.WriteString("<p>" + docsInline(strings.Join(text, " ")) + "</p>\n")
		}
		if len(items) > 0 {
			b.WriteString("<ol>\n")
			for _, it := range items {
				b.WriteString("<li>" + docsInline(it) + "</li>\n")
			}
			b.WriteString("</ol>\n")
		}
	}
	return template.HTML(b.String())
}

func docsInline(s string) string {
	return docsCodeSpan.ReplaceAllString(template.HTMLEscapeString(s), "<code>$1</code>")
}
