package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update-openapi", false, "rewrite testdata/openapi/golden.json from the current document")

const goldenDoc = "testdata/openapi/golden.json"

// openAPIGoldenChanges lists every intended difference between the golden
// document and the current one: where (a JSON pointer) and what. Rewriting
// the golden file (-update-openapi) makes them part of it: empty the list
// then.
var openAPIGoldenChanges = map[string]string{}

// TestOpenAPIDocumentIsTheGolden compares the document with the golden
// one, structurally (object keys in order, required lists as sets), so that
// no change of the document goes unnoticed: each difference must be the one
// openAPIGoldenChanges lists at its place, and each listed one must occur.
func TestOpenAPIDocumentIsTheGolden(t *testing.T) {
	s := New(Config{PublicURL: "https://lt.example.test"})
	d := s.openAPIDocs()
	if d.err != nil {
		t.Fatal(d.err)
	}
	if *updateGolden {
		if err := os.WriteFile(goldenDoc, append(d.json, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(goldenDoc)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := decodeOrdered(json.NewDecoder(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decodeOrdered(json.NewDecoder(bytes.NewReader(d.json)))
	if err != nil {
		t.Fatal(err)
	}
	var diffs []jsonDiff
	diffJSON(golden, doc, "", &diffs)
	seen := map[string]bool{}
	for _, df := range diffs {
		seen[df.ptr] = true
		if want, ok := openAPIGoldenChanges[df.ptr]; !ok || df.what != want {
			t.Errorf("unintended change at %s: %s", df.ptr, df.what)
		}
	}
	for ptr := range openAPIGoldenChanges {
		if !seen[ptr] {
			t.Errorf("the listed change at %s does not occur (any more)", ptr)
		}
	}
}

func TestDiffJSONFindsChanges(t *testing.T) {
	parse := func(s string) any {
		v, err := decodeOrdered(json.NewDecoder(strings.NewReader(s)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := parse(`{"a": 1, "b": [1, 2], "required": ["x", "y"], "c": {"d": "e", "f": null}}`)
	for _, tc := range []struct {
		b    string
		want []string
	}{
		{`{"a": 1, "b": [1, 2], "required": ["y", "x"], "c": {"d": "e", "f": null}}`, nil},
		{`{"b": [1, 2], "a": 1, "required": ["x", "y"], "c": {"d": "e", "f": null}}`, []string{""}},
		{`{"a": 2, "b": [1], "required": ["x"], "c": {"d": "e", "g": null}}`, []string{"/a", "/b", "/required", "/c/f", "/c/g"}},
	} {
		var diffs []jsonDiff
		diffJSON(a, parse(tc.b), "", &diffs)
		var got []string
		for _, d := range diffs {
			got = append(got, d.ptr)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: differences at %q, want %q", tc.b, got, tc.want)
		}
	}
}

// jsonObject is a JSON object with its keys in order.
type jsonObject struct {
	keys []string
	vals map[string]any
}

// decodeOrdered decodes one JSON value, keeping the order of object keys.
func decodeOrdered(dec *json.Decoder) (any, error) {
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := jsonObject{vals: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k.(string))
			o.vals[k.(string)] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

type jsonDiff struct{ ptr, what string }

// diffJSON lists the differences between a and b. A required list is a
// set; every other array and every object's key order count.
func diffJSON(a, b any, ptr string, out *[]jsonDiff) {
	add := func(p, format string, args ...any) { *out = append(*out, jsonDiff{p, fmt.Sprintf(format, args...)}) }
	switch a := a.(type) {
	case jsonObject:
		b, ok := b.(jsonObject)
		if !ok {
			add(ptr, "an object became %s", compact(b))
			return
		}
		var common, commonB []string
		for _, k := range a.keys {
			if _, ok := b.vals[k]; ok {
				common = append(common, k)
			}
		}
		for _, k := range b.keys {
			if _, ok := a.vals[k]; ok {
				commonB = append(commonB, k)
			}
		}
		if !slices.Equal(common, commonB) {
			add(ptr, "key order %v became %v", common, commonB)
		}
		for _, k := range a.keys {
			p := ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			if bv, ok := b.vals[k]; ok {
				diffJSON(a.vals[k], bv, p, out)
			} else {
				add(p, "removed: %s", compact(a.vals[k]))
			}
		}
		for _, k := range b.keys {
			if _, ok := a.vals[k]; !ok {
				add(ptr+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), "added: %s", compact(b.vals[k]))
			}
		}
	case []any:
		bs, ok := b.([]any)
		if strings.HasSuffix(ptr, "/required") && ok {
			if !slices.Equal(sortedStrings(a), sortedStrings(bs)) {
				add(ptr, "%s became %s", compact(a), compact(bs))
			}
			return
		}
		if !ok || len(a) != len(bs) {
			add(ptr, "%s became %s", compact(a), compact(b))
			return
		}
		for i := range a {
			diffJSON(a[i], bs[i], fmt.Sprintf("%s/%d", ptr, i), out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			add(ptr, "%s became %s", compact(a), compact(b))
		}
	}
}

func sortedStrings(a []any) []string {
	out := make([]string, len(a))
	for i, v := range a {
		out[i] = fmt.Sprint(v)
	}
	slices.Sort(out)
	return out
}

// compact renders a decoded value briefly, for messages.
func compact(v any) string {
	var b strings.Builder
	writeCompact(&b, v)
	if b.Len() > 200 {
		return b.String()[:200] + "…"
	}
	return b.String()
}

func writeCompact(w io.StringWriter, v any) {
	switch v := v.(type) {
	case jsonObject:
		w.WriteString("{")
		for i, k := range v.keys {
			if i > 0 {
				w.WriteString(",")
			}
			w.WriteString(k + ":")
			writeCompact(w, v.vals[k])
		}
		w.WriteString("}")
	case []any:
		w.WriteString("[")
		for i, e := range v {
			if i > 0 {
				w.WriteString(",")
			}
			writeCompact(w, e)
		}
		w.WriteString("]")
	default:
		b, _ := json.Marshal(v)
		w.WriteString(string(b))
	}
}
