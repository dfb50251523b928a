package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	lt "github.com/logintokens/logintokens"
)

// The OpenAPI document is generated from the route table (each route's
// access and doc) and the schema catalog below, so an operation cannot be
// added, removed or re-permissioned without the document following.

// oaMap is a JSON object that keeps its keys in insertion order, so the
// document reads in the route table's order rather than alphabetically.
type oaMap[V any] []oaEntry[V]

type oaEntry[V any] struct {
	Key   string
	Value V
}

func (o *oaMap[V]) set(key string, v V) {
	for i := range *o {
		if (*o)[i].Key == key {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, oaEntry[V]{key, v})
}

func (o oaMap[V]) get(key string) (V, bool) {
	for _, e := range o {
		if e.Key == key {
			return e.Value, true
		}
	}
	var zero V
	return zero, false
}

func (o oaMap[V]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// oaDoc is an OpenAPI 3.1 document: as much of the format as this API
// uses.
type oaDoc struct {
	OpenAPI    string              `json:"openapi"`
	Info       oaInfo              `json:"info"`
	Servers    []oaServer          `json:"servers"`
	Tags       []oaTag             `json:"tags"`
	Paths      oaMap[oaMap[*oaOp]] `json:"paths"`
	Components oaComponents        `json:"components"`
}

type oaInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description"`
}

type oaServer struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

type oaTag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type oaOp struct {
	OperationID string                `json:"operationId"`
	Tags        []string              `json:"tags,omitempty"`
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	Parameters  []*oaParam            `json:"parameters,omitempty"`
	RequestBody *oaBody               `json:"requestBody,omitempty"`
	Responses   oaMap[*oaResp]        `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
	// RequiredGrant is the route's access as the authorization check
	// reads it: "configuration:viewer", "configuration:viewer or
	// users:viewer", "webshop key".
	RequiredGrant string `json:"x-required-grant,omitempty"`
	// KeyKind is the kind of API key the route takes: admin or webshop.
	KeyKind string `json:"x-api-key-kind,omitempty"`

	method, path string
	notes        string // the description without the access sentence
}

type oaParam struct {
	Name        string    `json:"name"`
	In          string    `json:"in"`
	Description string    `json:"description,omitempty"`
	Required    bool      `json:"required,omitempty"`
	Style       string    `json:"style,omitempty"`
	Explode     *bool     `json:"explode,omitempty"`
	Schema      *oaSchema `json:"schema"`
}

type oaBody struct {
	Description string          `json:"description,omitempty"`
	Required    bool            `json:"required"`
	Content     oaMap[*oaMedia] `json:"content"`
}

type oaMedia struct {
	Schema *oaSchema `json:"schema"`
}

type oaResp struct {
	Ref         string           `json:"$ref,omitempty"`
	Description string           `json:"description,omitempty"`
	Headers     oaMap[*oaHeader] `json:"headers,omitempty"`
	Content     oaMap[*oaMedia]  `json:"content,omitempty"`
}

type oaHeader struct {
	Description string    `json:"description,omitempty"`
	Schema      *oaSchema `json:"schema"`
}

type oaComponents struct {
	Schemas         oaMap[*oaSchema]         `json:"schemas"`
	Responses       oaMap[*oaResp]           `json:"responses"`
	SecuritySchemes oaMap[*oaSecurityScheme] `json:"securitySchemes"`
}

type oaSecurityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	Description  string `json:"description,omitempty"`
}

// oaSchema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1).
type oaSchema struct {
	Ref                  string           `json:"$ref,omitempty"`
	Description          string           `json:"description,omitempty"`
	Type                 oaTypes          `json:"type,omitempty"`
	Format               string           `json:"format,omitempty"`
	Pattern              string           `json:"pattern,omitempty"`
	Enum                 []any            `json:"enum,omitempty"`
	MinLength            *int             `json:"minLength,omitempty"`
	MaxLength            *int             `json:"maxLength,omitempty"`
	Minimum              *int             `json:"minimum,omitempty"`
	Maximum              *int             `json:"maximum,omitempty"`
	Items                *oaSchema        `json:"items,omitempty"`
	MinItems             *int             `json:"minItems,omitempty"`
	MaxItems             *int             `json:"maxItems,omitempty"`
	Properties           oaMap[*oaSchema] `json:"properties,omitempty"`
	Required             []string         `json:"required,omitempty"`
	AdditionalProperties *bool            `json:"additionalProperties,omitempty"`
	AnyOf                []*oaSchema      `json:"anyOf,omitempty"`
	Default              any              `json:"default,omitempty"`
	Examples             []any            `json:"examples,omitempty"`
}

// oaTypes is a schema's type: one name, or several (["string", "null"]).
type oaTypes []string

func (t oaTypes) MarshalJSON() ([]byte, error) {
	if len(t) == 1 {
		return json.Marshal(t[0])
	}
	return json.Marshal([]string(t))
}

// Schema builders: the catalog below reads close to the JSON it produces.

func oaTyped(t, desc string) *oaSchema { return &oaSchema{Type: oaTypes{t}, Description: desc} }
func oaString(desc string) *oaSchema   { return oaTyped("string", desc) }
func oaInteger(desc string) *oaSchema  { return oaTyped("integer", desc) }
func oaBoolean(desc string) *oaSchema  { return oaTyped("boolean", desc) }
func oaDateTime(desc string) *oaSchema {
	s := oaString(desc)
	s.Format = "date-time"
	return s
}
func oaRef(name string) *oaSchema { return &oaSchema{Ref: "#/components/schemas/" + name} }
func oaArray(items *oaSchema, desc string) *oaSchema {
	s := oaTyped("array", desc)
	s.Items = items
	return s
}
func oaEnum(desc string, values ...string) *oaSchema {
	s := oaString(desc)
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}
func oaIntp(n int) *int { return &n }

// oaNullable lets s also be null: a type list for plain schemas, anyOf for
// references (a $ref cannot take a type beside it and mean a union).
func oaNullable(s *oaSchema) *oaSchema {
	if s.Ref != "" {
		return &oaSchema{AnyOf: []*oaSchema{{Ref: s.Ref}, {Type: oaTypes{"null"}}}, Description: s.Description}
	}
	c := *s
	c.Type = append(slices.Clone(s.Type), "null")
	return &c
}

// oaWith returns a copy of s with a description.
func oaWith(s *oaSchema, desc string) *oaSchema {
	c := *s
	c.Description = desc
	return &c
}

type oaField struct {
	name     string
	schema   *oaSchema
	optional bool
}

func oaReq(name string, s *oaSchema) oaField { return oaField{name: name, schema: s} }
func oaOpt(name string, s *oaSchema) oaField { return oaField{name: name, schema: s, optional: true} }

// oaObject is a response object: every field it sends, required unless
// optional. Responses may grow fields, so they stay open.
func oaObject(desc string, fields ...oaField) *oaSchema {
	s := oaTyped("object", desc)
	for _, f := range fields {
		s.Properties.set(f.name, f.schema)
		if !f.optional {
			s.Required = append(s.Required, f.name)
		}
	}
	return s
}

// oaInput is a request object: the server refuses unknown fields with a 400,
// so the schema does too.
func oaInput(desc string, fields ...oaField) *oaSchema {
	s := oaObject(desc, fields...)
	no := false
	s.AdditionalProperties = &no
	return s
}

// oaExtend returns base with more fields, as a flat object (the issued token
// is the token plus its value; clients see one plain object).
func oaExtend(base *oaSchema, desc string, fields ...oaField) *oaSchema {
	s := oaObject(desc)
	s.Properties = slices.Clone(base.Properties)
	s.Required = slices.Clone(base.Required)
	for _, f := range fields {
		s.Properties.set(f.name, f.schema)
		if !f.optional {
			s.Required = append(s.Required, f.name)
		}
	}
	return s
}

func oaPage(item, desc string) *oaSchema {
	return oaObject(desc,
		oaReq("items", oaArray(oaRef(item), "this page's items")),
		oaReq("itemsFound", oaInteger("how many items match, on every page")),
		oaReq("page", oaInteger("the page number, 1-based")),
		oaReq("pageSize", oaInteger("items per page")),
		oaReq("pages", oaInteger("how many pages there are")),
	)
}

const (
	oaIDPattern      = "^[a-z0-9]{12,26}$"
	oaTokenPattern   = "^lt_[a-z0-9]{12,26}_[A-Za-z0-9_-]+$"
	oaAPIKeyPattern  = "^ltk_[a-z0-9]{12,26}_[A-Za-z0-9_-]+$"
	oaGrantPattern   = "^(configuration|users):(viewer|editor|owner)$"
	oaExampleTokenID = "k3x9f0a2b7cq4d1e"
)

// oaSchemaCatalog is every named schema of the API, in reading order. The
// shapes follow the JSON the handlers send (the Go types' json tags); the
// tests validate real answers against them.
func oaSchemaCatalog() oaMap[*oaSchema] {
	var c oaMap[*oaSchema]
	add := func(name string, s *oaSchema) { c.set(name, s) }

	tokenID := oaString("the token id: the public part of the value, between lt_ and the second _")
	tokenID.Pattern = oaIDPattern
	tokenID.Examples = []any{oaExampleTokenID}
	positiveID := func(desc string) *oaSchema {
		s := oaInteger(desc)
		s.Format = "int64"
		s.Minimum = oaIntp(1)
		return s
	}
	name200 := func(desc string) *oaSchema {
		s := oaString(desc)
		s.MaxLength = oaIntp(200)
		return s
	}
	value := oaString("the token value, the secret that signs someone in; never shown again unless revealed")
	value.Pattern = oaTokenPattern
	value.MaxLength = oaIntp(100)
	loginURL := oaString("the login link: a page with one button that signs in with this value")
	loginURL.Format = "uri"
	ociURL := oaString("the OCI punchout link with this value")
	ociURL.Format = "uri"
	extraLine := oaString("one line")
	extraLine.MaxLength = oaIntp(lt.MaxExtraLineLen)
	extra := oaArray(extraLine, fmt.Sprintf("free lines handed to the webshop, at most %d, no line breaks", lt.MaxExtraLines))
	extra.MaxItems = oaIntp(lt.MaxExtraLines)

	add("Problem", oaObject("An RFC 9457 problem document; every error is one (application/problem+json).",
		oaReq("type", oaWith(&oaSchema{Type: oaTypes{"string"}, Format: "uri-reference"}, "/api/docs#problem-<code>: where the code is explained")),
		oaReq("title", oaString("the HTTP status text")),
		oaReq("status", oaInteger("the HTTP status")),
		oaReq("detail", oaString("what went wrong, for a person")),
		oaReq("code", oaEnum("the stable, machine-readable error code", oaProblemCodeNames()...)),
		oaOpt("errors", oaArray(oaRef("FieldError"), "with INVALID_INPUT: each invalid field or query parameter")),
	))
	add("FieldError", oaObject("One invalid input field.",
		oaReq("field", oaString("the field or query parameter")),
		oaReq("message", oaString("what is wrong with it")),
	))
	add("CompanyRef", oaObject("A contact's company, as a token's user shows it.",
		oaReq("id", positiveID("the company id")),
		oaReq("name", oaString("the company name")),
	))
	add("UserRef", oaObject("The contact or customer a token signs in; also a user search hit.",
		oaReq("type", oaEnum("contact (B2B) or customer (B2C)", string(lt.UserContact), string(lt.UserCustomer))),
		oaReq("id", positiveID("the contact or customer id")),
		oaReq("name", oaString("first and last name")),
		oaReq("email", oaString("the email address")),
		oaReq("company", oaNullable(oaWith(oaRef("CompanyRef"), "the contact's company; null for customers"))),
	))
	token := oaObject("A login token, never with its value.",
		oaReq("id", tokenID),
		oaReq("type", oaEnum("whom the token signs in; anonymous tokens have no user", string(lt.UserContact), string(lt.UserCustomer), string(lt.UserAnonymous))),
		oaReq("user", oaNullable(oaWith(oaRef("UserRef"), "the contact or customer; null for anonymous tokens"))),
		oaReq("expiresAt", oaNullable(oaDateTime("when the token stops working; null: never"))),
		oaReq("oneTimeUse", oaBoolean("whether the token works once only")),
		oaReq("extra", extra),
		oaReq("status", oaEnum("used (one-time and used once), else expired (expiresAt passed), else active", string(lt.StatusActive), string(lt.StatusExpired), string(lt.StatusUsed))),
		oaReq("successfulAttempts", oaInteger("successful redeems")),
		oaReq("failedAttempts", oaInteger("failed redeems (wrong secret, used, expired, user disabled)")),
		oaReq("lastAccessedAt", oaNullable(oaDateTime("the last attempt, successful or failed; null: never presented"))),
		oaReq("createdAt", oaDateTime("")),
		oaReq("updatedAt", oaDateTime("")),
		oaReq("createdBy", oaString("who created it: staff:<id>, apikey:<id> or cli")),
		oaReq("impersonatedBy", oaNullable(oaString("read-only: the staff member (staff:<id>) who made the token with the backoffice's \"Open webshop as\"; every sign-in with it names them. Such a token cannot be changed, regenerated or revealed (409 CONFLICT): delete it instead. null for every other token"))),
	)
	add("LoginToken", token)
	add("LoginTokenList", oaPage("LoginToken", "A page of login tokens."))
	add("NewLoginToken", oaInput("A new login token: for a contact, a customer, or (neither) an anonymous visitor; giving both ids is a 400.",
		oaOpt("contactId", oaNullable(positiveID("the contact it signs in"))),
		oaOpt("customerId", oaNullable(positiveID("the customer it signs in"))),
		oaOpt("expiresAt", oaNullable(oaDateTime("when it stops working, in the future; absent or null: never"))),
		oaOpt("oneTimeUse", oaNullable(oaBoolean("whether it works once only (default false)"))),
		oaOpt("extra", oaNullable(extra)),
	))
	add("IssuedLoginToken", oaExtend(token, "A login token with its value and links: answered when a value is created or regenerated.",
		oaReq("value", value), oaReq("loginUrl", loginURL), oaReq("ociUrl", ociURL)))
	add("LoginTokenPatch", oaInput("A JSON merge patch of a login token: absent fields stay. Giving a user (contactId, customerId or anonymous) changes it and regenerates the value. Read-only fields (counters, status, dates, impersonatedBy) are 400s. A token whose impersonatedBy is set cannot be patched (409).",
		oaOpt("expiresAt", oaNullable(oaDateTime("a new expiry; null: never; now or a past time revokes the token"))),
		oaOpt("oneTimeUse", oaBoolean("whether it works once only")),
		oaOpt("extra", oaNullable(oaWith(extra, "replaces the lines; null: none"))),
		oaOpt("contactId", oaNullable(positiveID("bind the token to this contact"))),
		oaOpt("customerId", oaNullable(positiveID("bind the token to this customer"))),
		oaOpt("anonymous", &oaSchema{Type: oaTypes{"boolean", "null"}, Enum: []any{true, nil}, Description: "true: bind the token to no user"}),
	))
	add("UpdatedLoginToken", oaExtend(token, "A patched login token; value and links only when the user changed and the value was regenerated.",
		oaOpt("value", value), oaOpt("loginUrl", loginURL), oaOpt("ociUrl", ociURL)))
	add("TokenValue", oaInput("A token value to look up.", oaReq("value", oaWith(oaString(""), "a token value, lt_<id>_<secret>"))))
	ids := oaArray(oaWith(tokenID, "a token id"), "token ids (not values)")
	ids.MinItems, ids.MaxItems = oaIntp(1), oaIntp(lt.MaxBulkDeleteIDs)
	add("TokenIDs", oaInput("Tokens to delete, all or nothing: one unknown id deletes nothing (404 naming it).", oaReq("ids", ids)))
	add("Deleted", oaObject("How many tokens were deleted.", oaReq("deleted", oaInteger(""))))
	ua := oaString("the end user's User-Agent, for the audit trail")
	ua.MaxLength = oaIntp(1000)
	add("RedeemRequest", oaInput("A token value presented by the webshop on behalf of a visitor.",
		oaReq("token", oaString("the token value")),
		oaOpt("clientIp", oaNullable(oaString("the end user's IPv4 or IPv6 address; the failure limit counts per client network: each IPv4 address, each IPv6 /64, unless configured otherwise (default: the caller's peer address)"))),
		oaOpt("userAgent", oaNullable(ua)),
	))
	add("RedeemResponse", oaObject("A successful redeem.",
		oaReq("loginToken", oaRef("LoginToken")),
		oaReq("user", oaNullable(oaWith(oaRef("UserRef"), "who signed in; null for anonymous tokens"))),
		oaReq("assertion", oaString("a signed ES256 JWT naming the user, valid for at most 120 s; verify it with /.well-known/jwks.json")),
	))
	add("RevealedValue", oaObject("A token's value and links (the reveal is audited).",
		oaReq("value", value), oaReq("loginUrl", loginURL), oaReq("ociUrl", ociURL)))
	add("Event", oaObject("One entry of a token's audit trail.",
		oaReq("id", oaInteger("")),
		oaReq("at", oaDateTime("")),
		oaReq("type", oaEnum("what happened", lt.EventTokenCreated, lt.EventTokenUpdated, lt.EventTokenRegenerated,
			lt.EventTokenDeleted, lt.EventTokenRevealed, lt.EventTokenRedeemed, lt.EventTokenRejected)),
		oaReq("actor", oaString("who did it: staff:<id>, apikey:<id>, cli, login")),
		oaReq("clientIp", oaString("the client address; empty when there was none")),
		oaReq("details", oaTyped("object", "what changed, or why an attempt failed (reason: a redeem code)")),
	))
	add("EventList", oaPage("Event", "A page of a token's audit trail, newest first."))

	externalID := oaNullable(name200("the id in another system (ERP, shop); imports upsert by it"))
	add("Company", oaObject("A B2B customer organisation.",
		oaReq("id", positiveID("")),
		oaReq("name", oaString("")),
		oaReq("externalId", externalID),
		oaReq("createdAt", oaDateTime("")),
		oaReq("updatedAt", oaDateTime("")),
	))
	add("CompanyInput", oaInput("A company's fields; on create name is required, on update absent fields stay.",
		oaOpt("name", name200("")),
		oaOpt("externalId", externalID),
	))
	add("CompanyList", oaPage("Company", "A page of companies."))
	person := []oaField{
		oaReq("firstName", oaString("")),
		oaReq("lastName", oaString("")),
		oaReq("email", oaWith(&oaSchema{Type: oaTypes{"string"}, Format: "email"}, "")),
		oaReq("externalId", externalID),
		oaReq("disabled", oaBoolean("a disabled user's tokens fail with USER_DISABLED")),
		oaReq("createdAt", oaDateTime("")),
		oaReq("updatedAt", oaDateTime("")),
	}
	personInput := []oaField{
		oaOpt("firstName", name200("a first or last name is required")),
		oaOpt("lastName", name200("a first or last name is required")),
		oaOpt("email", oaWith(&oaSchema{Type: oaTypes{"string"}, Format: "email"}, "required on create")),
		oaOpt("externalId", externalID),
		oaOpt("disabled", oaBoolean("")),
	}
	add("Contact", oaObject("A B2B user; belongs to one company.",
		append([]oaField{oaReq("id", positiveID("")), oaReq("companyId", positiveID("the contact's company"))}, person...)...))
	add("ContactInput", oaInput("A contact's fields; on create companyId, email and a name are required, on update absent fields stay.",
		append([]oaField{oaOpt("companyId", positiveID("the contact's company"))}, personInput...)...))
	add("ContactList", oaPage("Contact", "A page of contacts."))
	add("Customer", oaObject("A B2C user; no company.", append([]oaField{oaReq("id", positiveID(""))}, person...)...))
	add("CustomerInput", oaInput("A customer's fields; on create email and a name are required, on update absent fields stay.", personInput...))
	add("CustomerList", oaPage("Customer", "A page of customers."))
	// A row the store cannot take lands in failed rather than failing
	// the import, so rows require nothing.
	importRow := []oaField{
		oaOpt("firstName", oaString("")),
		oaOpt("lastName", oaString("")),
		oaOpt("email", oaString("required for a new contact or customer")),
		oaOpt("externalId", oaNullable(oaString("the upsert key; else email"))),
		oaOpt("disabled", oaNullable(oaBoolean(""))),
	}
	add("ContactImport", oaArray(oaInput("One contact; its company by companyId or companyExternalId.",
		append([]oaField{
			oaOpt("companyId", oaNullable(positiveID(""))),
			oaOpt("companyExternalId", oaNullable(oaString(""))),
		}, importRow...)...), "Contacts to upsert by externalId, else email. As text/csv: a header row with the same field names."))
	add("CustomerImport", oaArray(oaInput("One customer.", importRow...),
		"Customers to upsert by externalId, else email. As text/csv: a header row with the same field names."))
	add("ImportResult", oaObject("What an import did.",
		oaReq("created", oaInteger("")),
		oaReq("updated", oaInteger("")),
		oaReq("failed", oaArray(oaObject("A row the import could not take.",
			oaReq("row", oaInteger("the row, counted from 1, the first data row (a CSV header does not count)")),
			oaReq("message", oaString("why")),
		), "rows that were not imported")),
	))
	add("UserHits", oaArray(oaRef("UserRef"), "Contacts and customers matching the search, for the user picker."))

	grants := oaArray(oaWith(&oaSchema{Type: oaTypes{"string"}, Pattern: oaGrantPattern}, "AREA:LEVEL"), "an admin key's grants; a webshop key has none")
	key := oaObject("An API key, without its secret.",
		oaReq("id", oaWith(&oaSchema{Type: oaTypes{"string"}, Pattern: oaIDPattern}, "the public part of the key")),
		oaReq("name", oaString("")),
		oaReq("kind", oaEnum("admin keys call the API with their grants; webshop keys may only redeem", string(lt.KeyAdmin), string(lt.KeyWebshop))),
		oaReq("grants", grants),
		oaReq("createdAt", oaDateTime("")),
		oaReq("createdBy", oaString("")),
		oaReq("lastUsedAt", oaNullable(oaDateTime(""))),
		oaReq("revokedAt", oaNullable(oaDateTime("null while the key works"))),
	)
	add("APIKey", key)
	add("APIKeyList", oaObject("The API keys; not paged, but in the lists' envelope.",
		oaReq("items", oaArray(oaRef("APIKey"), ""))))
	kind := oaEnum("admin keys call the API with their grants; webshop keys may only redeem", string(lt.KeyAdmin), string(lt.KeyWebshop))
	add("NewAPIKey", oaInput("A new API key: an admin key with at least one grant, or a webshop key with none. The calling key may hand out only grants it holds itself (each area at most at its own level); any other grant is a 403 that names it.",
		oaReq("name", name200("")),
		oaReq("kind", kind),
		oaOpt("grants", oaNullable(grants)),
	))
	apiKeyValue := oaString("the key, shown this once: Authorization: Bearer <value>")
	apiKeyValue.Pattern = oaAPIKeyPattern
	add("IssuedAPIKey", oaExtend(key, "A new API key with its value.", oaReq("value", apiKeyValue)))

	jwk := oaObject("A public ES256 signing key.",
		oaReq("kty", oaEnum("", "EC")),
		oaReq("crv", oaEnum("", "P-256")),
		oaReq("x", oaString("")),
		oaReq("y", oaString("")),
		oaReq("kid", oaString("the kid of the JWT header")),
		oaOpt("use", oaEnum("", "sig")),
		oaOpt("alg", oaEnum("", "ES256")),
	)
	add("JWKS", oaObject("The public keys of the sign-in JWTs (RFC 7517).", oaReq("keys", oaArray(jwk, ""))))
	doc := oaObject("An OpenAPI 3.1 document: this one.",
		oaReq("openapi", oaString("")), oaReq("info", oaTyped("object", "")), oaReq("paths", oaTyped("object", "")))
	open := true // the rest of the document, as OpenAPI 3.1 defines it
	doc.AdditionalProperties = &open
	add("OpenAPI", doc)
	return c
}

// oaProblemCode documents one error code for the document and the reference.
type oaProblemCode struct {
	Code, Meaning string
}

// oaProblemCodes lists every code of statusOf, in the order a reader meets
// them; the tests check that it covers statusOf exactly.
var oaProblemCodes = []oaProblemCode{
	{lt.EINVALID, "The request is malformed: a bad or unknown field, query parameter or media type. errors names each field."},
	{lt.EUNAUTHENTICATED, "No API key, or one that is unknown or revoked. Send Authorization: Bearer ltk_…"},
	{lt.EFORBIDDEN, "The key lacks the grant the operation requires, or is a webshop key on an admin route (or the reverse), or asks to hand out a grant it does not hold itself."},
	{lt.ENOTFOUND, "The resource does not exist (or was deleted); a bulk delete names the unknown ids."},
	{lt.ECONFLICT, "The change clashes with existing data: a duplicate externalId or email, a company that still has contacts; or the login token was made to impersonate (impersonatedBy is set), and can only be deleted."},
	{lt.ETOOLARGE, "The request body is too large."},
	{lt.ERATELIMITED, "Too many failed redeems from this client's network; wait for Retry-After seconds. Counts nothing."},
	{lt.ETOKENINVALID, "Redeem: malformed value, unknown id or wrong secret (one answer for all three)."},
	{lt.ETOKENUSED, "Redeem: a one-time token that has been used."},
	{lt.ETOKENEXPIRED, "Redeem: the token has expired."},
	{lt.EUSERDISABLED, "Redeem: the token's contact or customer is disabled or deleted."},
	{lt.EUNAVAILABLE, "The service cannot reach its database for a moment; try again after Retry-After seconds. The detail says nothing more."},
	{lt.EINTERNAL, "Something failed on the server; the detail says nothing more and the server logs it."},
}

func oaProblemCodeNames() []string {
	out := make([]string, len(oaProblemCodes))
	for i, p := range oaProblemCodes {
		out[i] = p.Code
	}
	return out
}

// Shared problem responses, by status.
var oaProblemResponses = []struct {
	status int
	name   string
	desc   string
}{
	{http.StatusBadRequest, "BadRequest", "INVALID_INPUT: the request is malformed; errors names each bad field or query parameter"},
	{http.StatusUnauthorized, "Unauthenticated", "UNAUTHENTICATED: no API key, or an unknown or revoked one"},
	{http.StatusForbidden, "Forbidden", "FORBIDDEN: the key lacks the grant this operation requires"},
	{http.StatusNotFound, "NotFound", "NOT_FOUND: no such resource"},
	{http.StatusConflict, "Conflict", "CONFLICT: the change clashes with existing data"},
	{http.StatusRequestEntityTooLarge, "PayloadTooLarge", "PAYLOAD_TOO_LARGE: the request body is too large"},
	{http.StatusTooManyRequests, "RateLimited", "RATE_LIMITED: too many failed redeems from this client's network"},
	{http.StatusInternalServerError, "InternalError", "INTERNAL: the server failed; it logs the cause"},
	{http.StatusServiceUnavailable, "Unavailable", "UNAVAILABLE: the database does not answer for a moment; try again after Retry-After seconds"},
}

const oaRedeemRefused = "RedeemRefused"

var oaTagDescriptions = map[string]string{
	"Login tokens": "Tokens that sign people into the webshop without a password. Token ids go in paths; values only ever travel in request and response bodies.",
	"Directory":    "Companies, contacts (B2B users of one company) and customers (B2C users): the people a token can be for.",
	"API keys":     "Keys for scripts, other systems and webshops. A key's value is shown once, at creation.",
	"Operations":   "Health, readiness, metrics, the public keys of the sign-in JWTs, and this reference.",
}

// buildOpenAPI generates the document from the route table.
func (s *Server) buildOpenAPI() *oaDoc {
	d := &oaDoc{
		OpenAPI: "3.1.0",
		Info: oaInfo{
			Title:       "logintokens",
			Version:     "1.0.0",
			Summary:     "Passwordless sign-in to a webshop through login tokens that staff manage.",
			Description: oaInfoDescription(),
		},
		Servers: []oaServer{{URL: oaOr(s.PublicURL, "/")}},
	}
	d.Components.Schemas = oaSchemaCatalog()
	problem := func() oaMap[*oaMedia] {
		var c oaMap[*oaMedia]
		c.set("application/problem+json", &oaMedia{Schema: oaRef("Problem")})
		return c
	}
	for _, p := range oaProblemResponses {
		r := &oaResp{Description: p.desc, Content: problem()}
		if p.status == http.StatusTooManyRequests || p.status == http.StatusServiceUnavailable {
			retry := oaInteger("seconds to wait before trying again")
			r.Headers.set("Retry-After", &oaHeader{Description: "seconds to wait", Schema: retry})
		}
		d.Components.Responses.set(p.name, r)
	}
	d.Components.Responses.set(oaRedeemRefused, &oaResp{
		Description: "INVALID_INPUT, or the token was refused: TOKEN_INVALID, TOKEN_USED, TOKEN_EXPIRED or USER_DISABLED (see the redeem outcomes)",
		Content:     problem(),
	})
	d.Components.SecuritySchemes.set("bearerAuth", &oaSecurityScheme{
		Type: "http", Scheme: "bearer", BearerFormat: "ltk_<id>_<secret>",
		Description: "An API key. Admin keys carry grants AREA:LEVEL (areas configuration, users; levels viewer < editor < owner, a higher level includes the lower); a webshop key may only redeem tokens. The backoffice's session cookie is never accepted.",
	})

	for _, rt := range s.routes {
		op := s.operation(rt)
		item, _ := d.Paths.get(rt.path)
		item.set(strings.ToLower(rt.method), op)
		d.Paths.set(rt.path, item)
		if rt.doc.tag != "" && !slices.ContainsFunc(d.Tags, func(t oaTag) bool { return t.Name == rt.doc.tag }) {
			d.Tags = append(d.Tags, oaTag{Name: rt.doc.tag, Description: oaTagDescriptions[rt.doc.tag]})
		}
	}
	return d
}

func oaOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Server) operation(rt route) *oaOp {
	op := &oaOp{OperationID: rt.doc.id, Summary: rt.doc.summary, method: rt.method, path: rt.path}
	if rt.doc.tag != "" {
		op.Tags = []string{rt.doc.tag}
	}
	var desc []string
	switch {
	case rt.access.metrics:
		desc = append(desc, "No API key. When the server is given a metrics token, it requires `Authorization: Bearer` with that token (401 without it).")
	case rt.access.public:
		desc = append(desc, "Public: no API key.")
	case rt.access.webshop:
		op.KeyKind = string(lt.KeyWebshop)
		op.RequiredGrant = describeAccess(rt.access)
		desc = append(desc, "Requires a webshop API key; no other key may call it.")
	default:
		op.KeyKind = string(lt.KeyAdmin)
		op.RequiredGrant = describeAccess(rt.access)
		if len(rt.access.anyOf) > 1 {
			desc = append(desc, "Requires an admin API key with one of the grants `"+strings.ReplaceAll(op.RequiredGrant, " or ", "` or `")+"`.")
		} else {
			desc = append(desc, "Requires an admin API key with the grant `"+op.RequiredGrant+"` (or a higher level).")
		}
	}
	if !rt.access.public {
		op.Security = []map[string][]string{{"bearerAuth": {}}}
	}
	if rt.access.webshop {
		desc = append(desc, oaRedeemOutcomes())
	}
	if len(rt.doc.query) > 0 {
		desc = append(desc, "Unknown query parameters are 400s.")
	}
	op.Description = strings.Join(desc, "\n\n")
	op.notes = strings.Join(desc[1:], "\n\n")

	for _, name := range oaPathParams(rt.path) {
		op.Parameters = append(op.Parameters, oaPathParam(rt.path, name))
	}
	for _, p := range rt.doc.query {
		op.Parameters = append(op.Parameters, oaQueryParam(p))
	}

	if rt.doc.body != "" {
		b := &oaBody{Required: true}
		for _, mt := range oaOrSlice(rt.doc.bodyTypes, []string{"application/json"}) {
			b.Content.set(mt, &oaMedia{Schema: oaBodySchema(rt.doc.body, mt)})
		}
		op.RequestBody = b
	}

	ok := rt.doc.ok
	if ok == 0 {
		ok = http.StatusOK
	}
	res := &oaResp{Description: http.StatusText(ok)}
	switch mt := oaOr(rt.doc.respType, "application/json"); {
	case rt.doc.resp != "":
		res.Content.set(mt, &oaMedia{Schema: oaBodySchema(rt.doc.resp, mt)})
	case rt.doc.respType != "":
		res.Content.set(mt, &oaMedia{Schema: oaString("")})
	}
	op.Responses.set(fmt.Sprint(ok), res)

	statuses := []int{}
	if !rt.access.public {
		// Checking the key reads the database, which may be unavailable.
		statuses = append(statuses, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable)
	}
	if rt.doc.body != "" {
		// Every body is read through a size limit.
		statuses = append(statuses, http.StatusRequestEntityTooLarge)
	}
	statuses = append(statuses, rt.doc.errors...)
	statuses = append(statuses, http.StatusInternalServerError)
	slices.Sort(statuses)
	for _, st := range slices.Compact(statuses) {
		res := oaErrorResponse(rt, st)
		if rt.doc.respType == "text/plain" && slices.Contains(rt.doc.errors, st) && st >= 500 {
			// Probes (readyz) answer their own failures in plain text.
			res = &oaResp{Description: http.StatusText(st)}
			res.Content.set("text/plain", &oaMedia{Schema: oaString("")})
		}
		op.Responses.set(fmt.Sprint(st), res)
	}
	return op
}

func oaOrSlice(s, def []string) []string {
	if len(s) == 0 {
		return def
	}
	return s
}

// oaBodySchema is the named schema for JSON media types; other media types
// (CSV, plain text, HTML) are text.
func oaBodySchema(name, mediaType string) *oaSchema {
	if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") {
		return oaRef(name)
	}
	if mediaType == "text/csv" {
		return oaString("CSV with a header row naming the fields of " + name)
	}
	return oaString("")
}

func oaErrorResponse(rt route, status int) *oaResp {
	if status == http.StatusBadRequest && rt.access.webshop {
		return &oaResp{Ref: "#/components/responses/" + oaRedeemRefused}
	}
	for _, p := range oaProblemResponses {
		if p.status == status {
			return &oaResp{Ref: "#/components/responses/" + p.name}
		}
	}
	r := &oaResp{Description: http.StatusText(status)}
	r.Content.set("application/problem+json", &oaMedia{Schema: oaRef("Problem")})
	return r
}

// oaPathParams lists the {name} segments of a route path.
func oaPathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return out
}

// oaPathParam types a path parameter: login tokens and API keys are named by
// their public string id, directory entries by integer.
func oaPathParam(path, name string) *oaParam {
	p := &oaParam{Name: name, In: "path", Required: true}
	switch {
	case name != "id":
		p.Schema = oaString("")
	case strings.HasPrefix(path, "/api/v1/login-tokens/"):
		p.Description = "the token id (never the value: a value here is a 400)"
		p.Schema = &oaSchema{Type: oaTypes{"string"}, Pattern: oaIDPattern, Examples: []any{oaExampleTokenID}}
	case strings.HasPrefix(path, "/api/v1/api-keys/"):
		p.Description = "the API key id"
		p.Schema = oaString("")
	default:
		p.Description = "the id"
		p.Schema = &oaSchema{Type: oaTypes{"integer"}, Format: "int64", Minimum: oaIntp(1)}
	}
	return p
}

// oaQueryParam types a query parameter from the route table: "string",
// "integer", "boolean", "array" (of strings) or "[]integer".
func oaQueryParam(p param) *oaParam {
	out := &oaParam{Name: p.name, In: "query", Description: p.desc}
	switch typ := p.typ; {
	case typ == "array" || strings.HasPrefix(typ, "[]"):
		item := strings.TrimPrefix(typ, "[]")
		if item == "array" {
			item = "string"
		}
		out.Schema = oaArray(oaTyped(item, ""), "")
		out.Style = "form"
		explode := true
		out.Explode = &explode
		if !strings.Contains(p.desc, "repeat") {
			out.Description = strings.TrimSuffix(p.desc, ".") + "; repeat the parameter or separate values by commas"
		}
	case typ == "":
		out.Schema = oaString("")
	default:
		out.Schema = oaTyped(typ, "")
	}
	return out
}

func oaInfoDescription() string {
	var b strings.Builder
	b.WriteString(`The admin API of logintokens: login tokens, the directory of companies, contacts and customers, API keys, and redeem for webshops. JSON in camelCase; times are RFC 3339 in UTC. A readable reference is at /api/docs.

## Authentication

Send an API key as a bearer token: ` + "`Authorization: Bearer ltk_<id>_<secret>`" + `. Admin keys carry grants AREA:LEVEL, with areas configuration and users and levels viewer < editor < owner (a higher level includes the lower). Each operation names what it requires in its description and in ` + "`x-required-grant`" + `; ` + "`x-api-key-kind`" + ` says whether it takes an admin or a webshop key. A webshop key may only redeem tokens, and no other key may. A missing, unknown or revoked key is 401 UNAUTHENTICATED; a key without the grant is 403 FORBIDDEN. The backoffice's session cookie is never accepted.

## Errors

Every error is an RFC 9457 problem document, ` + "`application/problem+json`" + `: ` + "`{\"type\", \"title\", \"status\", \"detail\", \"code\"}`" + `, plus ` + "`\"errors\": [{\"field\", \"message\"}]`" + ` for INVALID_INPUT. ` + "`type`" + ` is ` + "`/api/docs#problem-<code>`" + `. Unknown JSON fields and unknown query parameters are 400s that name them.

| code | status | meaning |
|---|---|---|
`)
	for _, p := range oaProblemCodes {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", p.Code, StatusOf(p.Code), p.Meaning)
	}
	b.WriteString("\n## Redeem outcomes\n\n")
	b.WriteString(oaRedeemOutcomes())
	return b.String()
}

// oaRedeemOutcomes explains the order of redeem checks (CONTRACT §5).
func oaRedeemOutcomes() string {
	return `Redeem checks in this order; the first that applies answers:

1. too many failures from this client's network (each IPv4 address, each IPv6 /64, unless configured otherwise): 429 RATE_LIMITED, with Retry-After (counts nothing);
2. malformed value, unknown id or wrong secret: 400 TOKEN_INVALID;
3. one-time token already used: 400 TOKEN_USED;
4. expired: 400 TOKEN_EXPIRED;
5. the user is deleted or disabled: 400 USER_DISABLED;
6. otherwise 200, with a signed JWT (assertion) for the webshop.

Every attempt on an existing token id sets lastAccessedAt and counts a successful or failed attempt. Failures 2 to 5 count toward the limit of the client's network, at once, before the token is looked up: requests in flight cannot pass the limit; a success counts nothing. The address is clientIp when the webshop sends it, else the caller's.`
}

// oaDocs is the document and its renderings, built once per server.
type oaDocs struct {
	doc  *oaDoc
	json []byte
	html []byte
	csp  string
	err  error
}

// oaDocsCache holds each server's documents. The route table is fixed when
// New returns, so building once on first use is the same as at startup.

type oaDocsOnce struct {
	once sync.Once
	d    oaDocs
}

func (s *Server) openAPIDocs() *oaDocs {
	o := &s.apiDoc
	o.once.Do(func() {
		o.d.doc = s.buildOpenAPI()
		o.d.json, o.d.err = json.MarshalIndent(o.d.doc, "", "  ")
		if o.d.err == nil {
			o.d.html, o.d.csp, o.d.err = docsRender(o.d.doc)
		}
	})
	return &o.d
}

// openapi answers the OpenAPI document.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request, c *caller) error {
	d := s.openAPIDocs()
	if d.err != nil {
		return fmt.Errorf("openapi document: %w", d.err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(d.json)
	return nil
}
