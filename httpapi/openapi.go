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
	"github.com/logintokens/logintokens/internal/web"
)

// The OpenAPI document is generated from the route table (each route's
// access and doc) and the schemas read from the Go types
// (openapi_schemas.go), so an operation cannot be added, removed or
// re-permissioned, nor a field changed, without the document following.

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

// Schema builders, for the schema table (openapi_schemas.go) and the operations.

func oaTyped(t, desc string) *oaSchema { return &oaSchema{Type: oaTypes{t}, Description: desc} }
func oaString(desc string) *oaSchema   { return oaTyped("string", desc) }
func oaInteger(desc string) *oaSchema  { return oaTyped("integer", desc) }
func oaRef(name string) *oaSchema      { return &oaSchema{Ref: "#/components/schemas/" + name} }
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

const (
	oaIDPattern      = "^[a-z0-9]{12,26}$"
	oaTokenPattern   = "^lt_[a-z0-9]{12,26}_[A-Za-z0-9_-]+$"
	oaAPIKeyPattern  = "^ltk_[a-z0-9]{12,26}_[A-Za-z0-9_-]+$"
	oaGrantPattern   = "^(configuration|users):(viewer|editor|owner)$"
	oaExampleTokenID = "k3x9f0a2b7cq4d1e"
)

// oaProblemCode documents one error code for the document and the reference.
type oaProblemCode struct {
	Code, Meaning string
}

// oaProblemCodes lists every code of the status table (web.Status), in the
// order a reader meets them; the tests check that it covers it exactly.
var oaProblemCodes = []oaProblemCode{
	{lt.EINVALID, "The request is malformed: a bad or unknown field, query parameter or media type. errors names each field."},
	{lt.EUNAUTHENTICATED, "No API key, or one that is unknown or revoked. Send Authorization: Bearer ltk_…"},
	{lt.EFORBIDDEN, "The key lacks the grant the operation requires, or is a webshop key on an admin route (or the reverse), or asks to hand out a grant it does not hold itself."},
	{lt.ENOTFOUND, "The resource does not exist (or was deleted); a bulk delete names the unknown ids."},
	{lt.ECONFLICT, "The change clashes with existing data: a duplicate externalId or email, a company that still has contacts; or the login token was made to impersonate (impersonatedBy is set), and can only be deleted."},
	{lt.EMETHOD, "The path exists, but not with this method; the Allow header lists the methods it takes."},
	{lt.ETOOLARGE, "The request body is too large."},
	{lt.ERATELIMITED, "Too many failed redeems from this client's network; wait for Retry-After seconds. Counts nothing."},
	{lt.ETOKENINVALID, "Redeem: malformed value, unknown id or wrong secret (one answer for all three)."},
	{lt.ENETWORKREFUSED, "Redeem: the token is bound to client networks (networks) and the client address is outside them."},
	{lt.ETOKENUSED, "Redeem: the token has given all the successful sign-ins it allows (maxUses; 1 for a one-time token)."},
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
	"Shops":        "Shops that sign people in through the service's OpenID Provider (issuer: the public URL; discovery at /.well-known/openid-configuration). A confidential shop's client secret is shown once, when it is registered or rotated.",
	"Webhooks":     "Receivers of events (tokens created, changed, deleted, redeemed, refused, sent; the directory's changes), POSTed as JSON signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). The signing secret is shown once, when it is made or rotated. Delivery is at least once, in order per token, retried with backoff for more than a day; see docs/webhooks.md.",
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
		Description: "INVALID_INPUT, or the token was refused: TOKEN_INVALID, NETWORK_NOT_ALLOWED, TOKEN_USED, TOKEN_EXPIRED or USER_DISABLED (see the redeem outcomes)",
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
	desc := oaAccess(op, rt.access)
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
	op.Responses = oaResponses(rt)
	return op
}

// oaAccess sets what key op takes, and returns the sentence that says so:
// the first paragraph of its description.
func oaAccess(op *oaOp, a access) []string {
	if !a.public {
		op.Security = []map[string][]string{{"bearerAuth": {}}}
	}
	switch {
	case a.metrics:
		return []string{"No API key. When the server is given a metrics token, it requires `Authorization: Bearer` with that token (401 without it)."}
	case a.public:
		return []string{"Public: no API key."}
	case a.webshop:
		op.KeyKind = string(lt.KeyWebshop)
		op.RequiredGrant = describeAccess(a)
		return []string{"Requires a webshop API key; no other key may call it."}
	}
	op.KeyKind = string(lt.KeyAdmin)
	op.RequiredGrant = describeAccess(a)
	if len(a.anyOf) > 1 {
		return []string{"Requires an admin API key with one of the grants `" + strings.ReplaceAll(op.RequiredGrant, " or ", "` or `") + "`."}
	}
	return []string{"Requires an admin API key with the grant `" + op.RequiredGrant + "` (or a higher level)."}
}

// oaResponses is a route's success answer and every problem it may answer.
func oaResponses(rt route) oaMap[*oaResp] {
	var out oaMap[*oaResp]
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
	out.set(fmt.Sprint(ok), res)

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
		out.set(fmt.Sprint(st), res)
	}
	return out
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
	case name == "deliveryId":
		p.Description = "the delivery's id"
		p.Schema = &oaSchema{Type: oaTypes{"integer"}, Format: "int64", Minimum: oaIntp(1)}
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
		fmt.Fprintf(&b, "| %s | %d | %s |\n", p.Code, web.Status(p.Code), p.Meaning)
	}
	b.WriteString("\n## Redeem outcomes\n\n")
	b.WriteString(oaRedeemOutcomes())
	return b.String()
}

// oaRedeemOutcomes explains the order of redeem checks (docs/api.md).
func oaRedeemOutcomes() string {
	return `Redeem checks in this order; the first that applies answers:

1. too many failures from this client's network (each IPv4 address, each IPv6 /64, unless configured otherwise): 429 RATE_LIMITED, with Retry-After (counts nothing);
2. malformed value, unknown id or wrong secret: 400 TOKEN_INVALID;
3. the token is bound to client networks and the client address is outside them: 400 NETWORK_NOT_ALLOWED;
4. the token has given all the successful sign-ins it allows (maxUses; a one-time token once): 400 TOKEN_USED;
5. expired: 400 TOKEN_EXPIRED;
6. the user is deleted or disabled: 400 USER_DISABLED;
7. otherwise 200, with a signed JWT (assertion) for the webshop.

Every attempt on an existing token id sets lastAccessedAt and counts a successful or failed attempt. A token of maxUses N succeeds exactly N times, however many clients present it at once. Failures 2 to 6 count toward the limit of the client's network, at once, before the token is looked up: requests in flight cannot pass the limit; a success counts nothing. The address (for the limit and for the token's networks) is clientIp when the webshop sends it, else the caller's (X-Forwarded-For only from LOGINTOKENS_TRUSTED_PROXIES).`
}

// oaDocs is the document and its renderings, built once per server.
type oaDocs struct {
	doc  *oaDoc
	json []byte
	html []byte
	csp  string
	err  error
}

// oaDocsOnce holds a server's documents. The route table is fixed when
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
