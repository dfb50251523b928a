package httpapi

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// jsonFields lists the JSON names a Go type encodes, following embedded
// structs, and which of them are always present (no omitempty).
func jsonFields(t reflect.Type) (names, always []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			n, a := jsonFields(f.Type)
			names, always = append(names, n...), append(always, a...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	return names, always
}

// TestOpenAPISchemasMatchTheGoTypes compares each answer schema with the
// Go type the handlers encode: the same fields, required exactly when the
// encoder always writes them. A field added to a type without the document
// fails here.
func TestOpenAPISchemasMatchTheGoTypes(t *testing.T) {
	schemas := oaSchemaCatalog()
	get := func(path string) *oaSchema {
		t.Helper()
		parts := strings.Split(path, ".")
		s, ok := schemas.get(parts[0])
		for _, p := range parts[1:] {
			if !ok {
				break
			}
			if p == "[]" {
				s, ok = s.Items, s.Items != nil
				continue
			}
			s, ok = s.Properties.get(p)
		}
		if !ok {
			t.Fatalf("no schema %s", path)
		}
		return s
	}
	for _, tc := range []struct {
		schema string
		value  any
		input  bool // request: the names must match, required is the handler's business
	}{
		{"Problem", Problem{}, false},
		{"FieldError", lt.FieldError{}, false},
		{"CompanyRef", lt.CompanyRef{}, false},
		{"UserRef", lt.UserRef{}, false},
		{"LoginToken", lt.LoginToken{}, false},
		{"LoginTokenList", page[*lt.LoginToken]{}, false},
		{"IssuedLoginToken", issuedJSON{}, false},
		{"UpdatedLoginToken", updatedJSON{}, false},
		{"RevealedValue", revealed{}, false},
		{"RedeemResponse", redeemResponse{}, false},
		{"Event", lt.Event{}, false},
		{"EventList", page[*lt.Event]{}, false},
		{"Company", lt.Company{}, false},
		{"CompanyList", page[*lt.Company]{}, false},
		{"Contact", lt.Contact{}, false},
		{"ContactList", page[*lt.Contact]{}, false},
		{"Customer", lt.Customer{}, false},
		{"CustomerList", page[*lt.Customer]{}, false},
		{"ImportResult", lt.ImportResult{}, false},
		{"ImportResult.failed.[]", lt.ImportFailure{}, false},
		{"ContactImport.[]", lt.ContactImport{}, true},
		{"APIKey", apiKeyJSON{}, false},
		{"APIKeyList", apiKeyList{}, false},
		{"IssuedAPIKey", issuedAPIKeyJSON{}, false},
	} {
		s := get(tc.schema)
		names, always := jsonFields(reflect.TypeOf(tc.value))
		var props []string
		for _, e := range s.Properties {
			props = append(props, e.Key)
		}
		slices.Sort(names)
		slices.Sort(props)
		if !slices.Equal(names, props) {
			t.Errorf("%s: the schema has %v, the Go type %T encodes %v", tc.schema, props, tc.value, names)
		}
		if tc.input {
			continue
		}
		req := slices.Sorted(slices.Values(s.Required))
		slices.Sort(always)
		if !slices.Equal(req, always) {
			t.Errorf("%s: the schema requires %v, the Go type %T always writes %v", tc.schema, req, tc.value, always)
		}
	}
}

// The request schemas name the fields the handlers accept.
func TestOpenAPIRequestSchemasNameTheAcceptedFields(t *testing.T) {
	schemas := oaSchemaCatalog()
	for name, fields := range map[string][]string{
		"NewLoginToken":   newTokenFields,
		"CompanyInput":    companyFields,
		"ContactInput":    contactFields,
		"CustomerInput":   customerFields,
		"ContactImport":   contactImportFields,
		"CustomerImport":  customerImportFields,
		"LoginTokenPatch": {"expiresAt", "maxUses", "oneTimeUse", "networks", "extra", "contactId", "customerId", "anonymous", "shopId"},
		"NewShop":         newShopFields,
		"ShopPatch":       shopPatchFields,
	} {
		s, _ := schemas.get(name)
		if s.Items != nil {
			s = s.Items
		}
		var props []string
		for _, e := range s.Properties {
			props = append(props, e.Key)
		}
		if !slices.Equal(slices.Sorted(slices.Values(props)), slices.Sorted(slices.Values(fields))) {
			t.Errorf("%s: the schema has %v, the handler accepts %v", name, props, fields)
		}
		if s.AdditionalProperties == nil || *s.AdditionalProperties {
			t.Errorf("%s: the schema allows unknown fields, the handler refuses them", name)
		}
	}
}

func TestOpenAPIProblemCodesAreTheStatusTable(t *testing.T) {
	var codes []string
	for _, p := range oaProblemCodes {
		if p.Meaning == "" {
			t.Errorf("%s has no meaning", p.Code)
		}
		codes = append(codes, p.Code)
	}
	if want := web.Codes(); !slices.Equal(slices.Sorted(slices.Values(codes)), want) {
		t.Errorf("the documented codes %v are not the status table's %v", codes, want)
	}
}

// Every route names its operation: a unique identifier, written in the
// route table rather than derived from the handler's Go name.
func TestOpenAPIOperationIDsAreExplicit(t *testing.T) {
	s := New(Config{PublicURL: "https://lt.example.test/"})
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	seen := map[string]bool{}
	for _, rt := range s.routeTable() {
		if id := rt.doc.id; seen[id] || !ident.MatchString(id) {
			t.Errorf("%s %s: operationId %q is a duplicate or not an identifier", rt.method, rt.path, id)
		}
		seen[rt.doc.id] = true
	}
	doc := s.buildOpenAPI()
	if op, _ := doc.Paths[0].Value.get("get"); op.OperationID != "listTokens" {
		t.Errorf("the first route's operationId is %q, want listTokens", op.OperationID)
	}
	if doc.Servers[0].URL != "https://lt.example.test" {
		t.Errorf("servers = %v, want the public URL", doc.Servers)
	}
}
