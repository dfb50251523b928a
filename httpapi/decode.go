package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// Body size limits: JSON requests are small; imports may be larger.
// Every route's body is limited before anything reads it (route.bodyLimit).
const (
	maxBody       = bounds.DefaultMaxBody
	maxImportBody = 8 << 20
)

// object is a decoded JSON object whose fields are read one by one, so
// that every error names its field and unknown fields are refused.
type object struct {
	fields map[string]json.RawMessage
	v      lt.Validation
}

// readBody reads a size-limited body; too large is PAYLOAD_TOO_LARGE.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, bodyError(err)
	}
	return b, nil
}

// bodyError is the error of reading or parsing a request body: a domain
// error as it is, a body past its limit as PAYLOAD_TOO_LARGE (see
// problemFor), any other error of reading it (a client gone) as invalid.
func bodyError(err error) error {
	var maxErr *http.MaxBytesError
	var e *lt.Error
	if errors.As(err, &maxErr) || errors.As(err, &e) {
		return err
	}
	return lt.Errorf(lt.EINVALID, "could not read the request body")
}

// decodeObject reads a JSON object body whose fields are all in allowed;
// readOnly fields are named as such. The body is required: {} asks for
// every default.
func decodeObject(w http.ResponseWriter, r *http.Request, allowed []string, readOnly ...string) (*object, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" && mt != "application/merge-patch+json" {
			return nil, lt.Invalid("Content-Type", "send application/json")
		}
	}
	b, err := readBody(w, r, maxBody)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, lt.Invalid("body", "is required: send a JSON object ({} for the defaults)")
	}
	return parseObject(b, allowed, readOnly)
}

// refuseBody reads the body of a route that takes none: nothing, or an
// empty object from a client that always sends one, passes; a field is
// unknown like any other; anything else is refused.
func refuseBody(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r, maxBody)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	o, err := parseObject(b, nil, nil)
	if err != nil {
		if lt.ErrorCode(err) == lt.EINVALID {
			return lt.Invalid("body", "this operation takes no body")
		}
		return err
	}
	return o.err()
}

// parseObject parses a JSON object body whose fields are all in allowed.
func parseObject(b []byte, allowed, readOnly []string) (*object, error) {
	// JSON is UTF-8; Go's decoder would quietly turn bad bytes into U+FFFD.
	if !utf8.Valid(b) {
		return nil, lt.Invalid("body", "is not valid UTF-8")
	}
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	o := &object{}
	if err := json.Unmarshal(b, &o.fields); err != nil || o.fields == nil {
		return nil, lt.Invalid("body", "must be a JSON object")
	}
	for _, name := range slices.Sorted(maps.Keys(o.fields)) {
		switch {
		case slices.Contains(readOnly, name):
			o.v.Add(name, "is read-only")
		case !slices.Contains(allowed, name):
			o.v.Add(name, "unknown field")
		}
	}
	return o, nil
}

// checkJSON refuses what encoding/json would let through silently or
// explain poorly: a syntax error is named with its line and column, and
// a key given twice in one object is refused, since parsers disagree on
// which of the two wins. The error names the body's outermost field the
// duplicate is in. It allocates nothing for a body that is fine but the
// keys of the object it is in.
func checkJSON(b []byte) error {
	if !json.Valid(b) {
		var none struct{}
		return jsonSyntaxError(b, json.Unmarshal(b, &none))
	}
	if outer, key, ok := duplicateKey(b); ok {
		if outer == "" {
			return lt.Invalid(key, "is given twice")
		}
		return lt.Invalid(outer, "has the key %s twice", lt.QuoteInput(key))
	}
	return nil
}

// jsonSyntaxError names where a body stops being JSON.
func jsonSyntaxError(b []byte, err error) error {
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		return lt.Invalid("body", "is not valid JSON")
	}
	msg, at := "is not valid JSON: "+syn.Error(), int(syn.Offset)-1
	if at >= len(b)-1 && strings.Contains(syn.Error(), "end of JSON") {
		msg, at = "is not valid JSON: it ends too early", len(b)
	}
	before := b[:min(max(at, 0), len(b))]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return lt.Invalid("body", "%s (line %d, column %d)", msg, line, col)
}

// duplicateKey finds a key given twice in one object of b, which is valid
// JSON: the outermost object's key it is under ("" when it is one of
// those keys) and the key.
func duplicateKey(b []byte) (outer, key string, found bool) {
	d := dupScan{b: b}
	d.value(0, "")
	return d.outer, d.key, d.found
}

// dupScan walks valid JSON for duplicateKey.
type dupScan struct {
	b          []byte
	i          int
	found      bool
	outer, key string
}

func (d *dupScan) ws() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\t' || d.b[d.i] == '\n' || d.b[d.i] == '\r') {
		d.i++
	}
}

// str reads a string at d.i and returns it unescaped.
func (d *dupScan) str() string {
	start := d.i
	d.i++
	escaped := false
	for d.i < len(d.b) && d.b[d.i] != '"' {
		if d.b[d.i] == '\\' {
			escaped = true
			d.i++
		}
		d.i++
	}
	d.i++
	raw := d.b[start:min(d.i, len(d.b))]
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid: the whole body was
	return s
}

// value walks one value at d.i; outer is the outermost key it is under.
func (d *dupScan) value(depth int, outer string) {
	d.ws()
	if d.found || d.i >= len(d.b) {
		return
	}
	switch d.b[d.i] {
	case '{':
		d.i++
		seen := map[string]bool{}
		for {
			d.ws()
			if d.i >= len(d.b) || d.b[d.i] == '}' {
				d.i++
				return
			}
			if d.b[d.i] == ',' {
				d.i++
				d.ws()
			}
			k := d.str()
			if seen[k] {
				d.found, d.outer, d.key = true, outer, k
				return
			}
			seen[k] = true
			d.ws()
			d.i++ // ':'
			in := outer
			if depth == 0 {
				in = k
			}
			d.value(depth+1, in)
			if d.found {
				return
			}
		}
	case '[':
		d.i++
		for {
			d.ws()
			if d.i >= len(d.b) || d.b[d.i] == ']' {
				d.i++
				return
			}
			if d.b[d.i] == ',' {
				d.i++
			}
			d.value(depth+1, outer)
			if d.found {
				return
			}
		}
	case '"':
		d.str()
	default:
		for d.i < len(d.b) && !strings.ContainsRune(",]} \t\r\n", rune(d.b[d.i])) {
			d.i++
		}
	}
}

// jsonNames lists the JSON names of the fields of struct type T.
func jsonNames[T any]() []string {
	var names []string
	for _, f := range jsonFieldsOf(reflect.TypeFor[T]()) {
		names = append(names, f.name)
	}
	return names
}

// readOnlyFields lists the fields of the answer type A that are not in
// settable.
func readOnlyFields[A any](settable []string) []string {
	var out []string
	for _, name := range jsonNames[A]() {
		if !slices.Contains(settable, name) {
			out = append(out, name)
		}
	}
	return out
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name      string
	typ       reflect.Type
	omitempty bool
	// via lists the embedded structs the field is promoted through,
	// outermost first.
	via []reflect.Type
}

// jsonFieldsOf lists the fields encoding/json writes for a struct type, in
// its order: each by its json tag's name, the fields of an embedded struct
// in its place. One name twice panics: encoding/json would keep only the
// shallower field, or drop both, which this does not follow.
func jsonFieldsOf(t reflect.Type) []jsonField {
	return appendJSONFields(nil, t, nil)
}

func appendJSONFields(out []jsonField, t reflect.Type, via []reflect.Type) []jsonField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer && f.Anonymous {
			ft = ft.Elem()
		}
		switch {
		case tag == "-":
			continue
		case f.Anonymous && name == "" && ft.Kind() == reflect.Struct:
			out = appendJSONFields(out, ft, append(slices.Clip(via), ft))
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		if slices.ContainsFunc(out, func(o jsonField) bool { return o.name == name }) {
			panic(fmt.Sprintf("httpapi: %s has two fields named %q", t, name))
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty")
		out = append(out, jsonField{name: name, typ: f.Type, omitempty: omit, via: via})
	}
	return out
}

// has reports whether the field is present (null included).
func (o *object) has(name string) bool { _, ok := o.fields[name]; return ok }

// isNull reports whether the field is present and null.
func (o *object) isNull(name string) bool {
	raw, ok := o.fields[name]
	return ok && string(bytes.TrimSpace(raw)) == "null"
}

func (o *object) decode(name string, dst any, want string) bool {
	raw, ok := o.fields[name]
	if !ok || o.isNull(name) {
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		o.v.Add(name, "must be %s", want)
		return false
	}
	return true
}

// id reads a positive integer id (absent or null: nil).
func (o *object) id(name string) *int64 {
	var n int64
	if !o.decode(name, &n, "a positive integer") {
		return nil
	}
	if n <= 0 {
		o.v.Add(name, "must be a positive integer")
		return nil
	}
	return &n
}

func (o *object) boolPtr(name string) *bool {
	var b bool
	if !o.decode(name, &b, "true or false") {
		return nil
	}
	return &b
}

// str reads a string; like every string of a body, it must be fit text
// (lt.TextProblem: no control character, valid UTF-8).
func (o *object) str(name string) *string {
	var s string
	if !o.decode(name, &s, "a string") {
		return nil
	}
	if p := lt.TextProblem(s); p != "" {
		o.v.Add(name, "%s", p)
		return nil
	}
	return &s
}

// optStr reads a string that may be null: the outer pointer says present.
func (o *object) optStr(name string) **string {
	if !o.has(name) {
		return nil
	}
	var out *string
	if !o.isNull(name) {
		out = o.str(name)
	}
	return &out
}

func (o *object) strings(name string) *[]string {
	var s []string
	if !o.decode(name, &s, "a list of strings") {
		if o.isNull(name) {
			return &[]string{}
		}
		return nil
	}
	for i, item := range s {
		if p := lt.TextProblem(item); p != "" {
			o.v.Add(name, "item %d %s", i+1, p)
			return nil
		}
	}
	return &s
}

func (o *object) time(name string) *time.Time {
	var s string
	if !o.decode(name, &s, "an RFC 3339 time string") {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.v.Add(name, "must be an RFC 3339 time such as 2026-12-31T23:00:00Z")
		return nil
	}
	t = t.UTC()
	return &t
}

func (o *object) required(name string) {
	if !o.has(name) || o.isNull(name) {
		o.v.Add(name, "is required")
	}
}

func (o *object) err() error { return o.v.Err() }

// checkQuery refuses query parameters the route does not know, and any
// parameter whose name or value is not fit text (lt.CheckQueryText).
func checkQuery(q url.Values, allowed ...string) error {
	var v lt.Validation
	v.Merge(lt.CheckQueryText(q))
	var names []string
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			v.Add(name, "unknown query parameter")
		}
	}
	return v.Err()
}

// pathID reads an integer path id; a malformed one cannot name anything,
// and says so.
func pathID(r *http.Request, what string) (int64, error) {
	s := r.PathValue("id")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, lt.Invalid("id", "%s is not a valid %s id: ids are positive whole numbers", lt.QuoteInput(s), what)
	}
	return n, nil
}

// tokenPathID reads a token id from the path. Values never belong in
// paths: one is refused without being echoed.
func tokenPathID(r *http.Request) (string, error) {
	return secretPathID(r, lt.TokenPrefix, "login token")
}

// secretPathID reads the id of a login token or an API key from the path:
// the public part of a value <prefix>_<id>_<secret>. A whole value is
// refused without being echoed.
func secretPathID(r *http.Request, prefix, what string) (string, error) {
	id := r.PathValue("id")
	if strings.HasPrefix(id, prefix+"_") {
		return "", lt.Invalid("id", "pass the %s's id, not its value: the id is the part between %s_ and the second _", what, prefix)
	}
	if !lt.ValidID(id) {
		return "", lt.Invalid("id", "%s is not a valid %s id (%s)", lt.QuoteInput(id), what, lt.IDShape)
	}
	return id, nil
}
