package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

type (
	testRef struct {
		N int `json:"n"`
	}
	testBase struct {
		ID   int64  `json:"id"`
		Note string `json:"note,omitempty"`
	}
	testThing struct {
		testBase
		When  *time.Time      `json:"when"`
		Ref   *testRef        `json:"ref"`
		Refs  []*testRef      `json:"refs"`
		Tags  *[]string       `json:"tags,omitempty"`
		Extra json.RawMessage `json:"extra"`
		Skip  string          `json:"-"`
	}
)

// The schemas follow the Go types: names and presence from the json tags,
// null from pointers (never for list elements), references for types that
// have a name, notes of an embedded type's entry, closed inputs.
func TestOASchemasAreReadFromTheGoTypes(t *testing.T) {
	c := oaSchemas([]oaType{
		{name: "Ref", of: testRef{}},
		{of: testBase{}, notes: oaNotes{"id": oaPositiveID("the id")}},
		{name: "Thing", of: testThing{}, input: true, desc: "A thing.", notes: oaNotes{
			"ref": oaDesc("a ref"), "extra": oaTyped("object", ""), "tags": {Items: oaDesc("a tag")},
		}},
	})
	thing, _ := c.get("Thing")
	got, err := json.Marshal(thing)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"description":"A thing.","type":"object","properties":{` +
		`"id":{"description":"the id","type":"integer","format":"int64","minimum":1},` +
		`"note":{"type":"string"},` +
		`"when":{"type":["string","null"],"format":"date-time"},` +
		`"ref":{"description":"a ref","anyOf":[{"$ref":"#/components/schemas/Ref"},{"type":"null"}]},` +
		`"refs":{"type":"array","items":{"$ref":"#/components/schemas/Ref"}},` +
		`"tags":{"type":["array","null"],"items":{"description":"a tag","type":"string"}},` +
		`"extra":{"type":"object"}},` +
		`"required":["id","when","ref","refs","extra"],"additionalProperties":false}`
	if string(got) != want {
		t.Errorf("schema\n%s\nwant\n%s", got, want)
	}
	if len(c) != 2 {
		t.Errorf("%d named schemas, want Ref and Thing (an entry without a name is described in place)", len(c))
	}
}

// A note that cannot apply stops the build rather than vanish.
func TestOASchemaNotesMustFitTheType(t *testing.T) {
	for name, notes := range map[string]oaNotes{
		"a field the type lacks": {"colour": oaDesc("")},
		"another type":           {"n": oaString("")},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			oaSchemas([]oaType{{name: "Ref", of: testRef{}, notes: notes}})
		}()
	}
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "two fields") {
			t.Errorf("one JSON name twice: %v", p)
		}
	}()
	jsonFieldsOf(reflect.TypeOf(struct {
		testRef
		M int `json:"n"`
	}{}))
}
