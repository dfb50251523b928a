package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

// The document's schemas are read from the Go types the handlers answer
// and read (bodies.go), so a field cannot be added, renamed or made
// optional without the document following: its JSON name and presence
// come from the json tag (omitempty: not required), its type from the Go
// type (a pointer field may be null; elements of a list never are; a
// struct that has a name here is a $ref). What a Go type cannot say, a
// description, a format, a pattern, bounds, an enum, is in notes, keyed by
// JSON name; a note for a field the type lacks stops the build.

// oaType is one entry of the schema table.
type oaType struct {
	name string // "" for a type described where it is used, not in components
	of   any    // a value of the Go type
	desc string
	// notes annotate fields by JSON name; a type embedded in this one
	// brings the notes of its own entry.
	notes oaNotes
	// input is a request body: the server refuses unknown fields, so the
	// schema does too. Answers may grow fields, so they stay open.
	input bool
	// schema is written out, for answers the server does not type (JWKS,
	// this document).
	schema *oaSchema
}

// oaNotes lays schemas over reflected fields: each set field of a note wins
// (its items over the items); a type it names must be the Go type's.
type oaNotes map[string]*oaSchema

func oaDesc(desc string) *oaSchema { return &oaSchema{Description: desc} }

func oaShopURIsNote(desc string) *oaSchema {
	return &oaSchema{Description: desc + "; absolute http(s) URLs without a fragment, plain http only on localhost for a public shop",
		MaxItems: oaIntp(lt.MaxShopURIs)}
}

func oaNetworksNote(desc string) *oaSchema {
	return &oaSchema{Type: oaTypes{"array"}, MaxItems: oaIntp(lt.MaxNetworks),
		Description: fmt.Sprintf("%s; at most %d IPv4 or IPv6 CIDR ranges or addresses, stored normalised (host bits cleared, an address as /32 or /128, IPv4-mapped IPv6 as IPv4)", desc, lt.MaxNetworks),
		Items:       &oaSchema{Type: oaTypes{"string"}, Examples: []any{"203.0.113.0/24", "2001:db8::/32"}, Description: "one network"}}
}

func oaPositiveID(desc string) *oaSchema {
	return &oaSchema{Type: oaTypes{"integer"}, Format: "int64", Minimum: oaIntp(1), Description: desc}
}

func oaName200(desc string) *oaSchema {
	return &oaSchema{Type: oaTypes{"string"}, MaxLength: oaIntp(200), Description: desc}
}

func oaEmail(desc string) *oaSchema {
	return &oaSchema{Type: oaTypes{"string"}, Format: "email", Description: desc}
}

type oaField struct {
	name     string
	schema   *oaSchema
	optional bool
}

func oaReq(name string, s *oaSchema) oaField { return oaField{name: name, schema: s} }
func oaOpt(name string, s *oaSchema) oaField { return oaField{name: name, schema: s, optional: true} }

// oaObject is an object schema written out: every field required unless
// optional.
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

// oaOpen lets an object have more properties than it names.
func oaOpen(s *oaSchema) *oaSchema {
	s.AdditionalProperties = new(true)
	return s
}

// oaJoin is the notes of all of ns; a later one wins.
func oaJoin(ns ...oaNotes) oaNotes {
	out := oaNotes{}
	for _, n := range ns {
		maps.Copy(out, n)
	}
	return out
}

var (
	oaTokenIDNote = &oaSchema{Type: oaTypes{"string"}, Pattern: oaIDPattern, Examples: []any{oaExampleTokenID},
		Description: "the token id: the public part of the value, between lt_ and the second _"}
	oaExtraNote = &oaSchema{Type: oaTypes{"array"}, MaxItems: oaIntp(lt.MaxExtraLines),
		Description: fmt.Sprintf("free lines handed to the webshop, at most %d, no line breaks", lt.MaxExtraLines),
		Items:       &oaSchema{MaxLength: oaIntp(lt.MaxExtraLineLen), Description: "one line"}}
	oaValueNotes = oaNotes{
		"value": {Pattern: oaTokenPattern, MaxLength: oaIntp(100),
			Description: "the token value, the secret that signs someone in; never shown again unless revealed"},
		"loginUrl": {Format: "uri", Description: "the login link: a page with one button that signs in with this value"},
		"ociUrl":   {Format: "uri", Description: "the OCI punchout link with this value; null while OCI punchout is off (LOGINTOKENS_OCI_HOOK_ALLOW is empty)"},
	}
	oaPageNotes = oaNotes{
		"items":      oaDesc("this page's items"),
		"itemsFound": oaDesc("how many items match, on every page"),
		"page":       oaDesc("the page number, 1-based"),
		"pageSize":   oaDesc("items per page"),
		"pages":      oaDesc("how many pages there are"),
	}
	oaExternalIDNote = oaName200("the id in another system (ERP, shop); imports upsert by it")
	oaPersonNotes    = oaNotes{
		"id":         oaPositiveID(""),
		"email":      oaEmail(""),
		"externalId": oaExternalIDNote,
		"disabled":   oaDesc("a disabled user's tokens fail with USER_DISABLED"),
		"language":   oaPersonLanguage,
	}
	oaPersonLanguage = oaEnum("the language the person reads (mail is written in it); empty when not known, then the shop's language stands for it",
		append([]string{""}, lt.MailLanguages...)...)
	oaGrantsNote = &oaSchema{Description: "an admin key's grants; a webshop key has none",
		Items: &oaSchema{Pattern: oaGrantPattern, Description: "AREA:LEVEL"}}
	oaKeyKindNote = oaEnum("admin keys call the API with their grants; webshop keys may only redeem", string(lt.KeyAdmin), string(lt.KeyWebshop))
	oaImportNote  = fmt.Sprintf("upsert by externalId, else email; at most %d rows (more is a 400 and imports nothing). As text/csv: a header row with the same field names.", importcsv.MaxRows)
)

// oaSchemaTable is every schema of the API, in reading order.
var oaSchemaTable = []oaType{
	{name: "Problem", of: Problem{}, desc: "An RFC 9457 problem document; every error is one (application/problem+json).", notes: oaNotes{
		"type":   {Format: "uri-reference", Description: "/api/docs#problem-<code>: where the code is explained"},
		"title":  oaDesc("the HTTP status text"),
		"status": oaDesc("the HTTP status"),
		"detail": oaDesc("what went wrong, for a person"),
		"code":   oaEnum("the stable, machine-readable error code", oaProblemCodeNames()...),
		"errors": oaDesc("with INVALID_INPUT: each invalid field or query parameter"),
	}},
	{name: "FieldError", of: lt.FieldError{}, desc: "One invalid input field.", notes: oaNotes{
		"field":   oaDesc("the field or query parameter"),
		"message": oaDesc("what is wrong with it"),
	}},
	{name: "CompanyRef", of: lt.CompanyRef{}, desc: "A contact's company, as a token's user shows it.", notes: oaNotes{
		"id":   oaPositiveID("the company id"),
		"name": oaDesc("the company name"),
	}},
	{name: "UserRef", of: lt.UserRef{}, desc: "The contact or customer a token signs in; also a user search hit.", notes: oaNotes{
		"type":    oaEnum("contact (B2B) or customer (B2C)", string(lt.UserContact), string(lt.UserCustomer)),
		"id":      oaPositiveID("the contact or customer id"),
		"name":    oaDesc("first and last name"),
		"email":   oaDesc("the email address"),
		"company": oaDesc("the contact's company; null for customers"),
	}},
	{name: "LoginToken", of: lt.LoginToken{}, desc: "A login token, never with its value.", notes: oaNotes{
		"id":                 oaTokenIDNote,
		"type":               oaEnum("whom the token signs in; anonymous tokens have no user", string(lt.UserContact), string(lt.UserCustomer), string(lt.UserAnonymous)),
		"user":               oaDesc("the contact or customer; null for anonymous tokens"),
		"expiresAt":          oaDesc("when the token stops working; null: never"),
		"maxUses":            {Minimum: oaIntp(1), Description: "how many successful sign-ins the token gives; then its status is used (TOKEN_USED). null: no limit"},
		"oneTimeUse":         oaDesc("alias of maxUses: true exactly when maxUses is 1"),
		"networks":           oaNetworksNote("the client networks a redeem must come from (else NETWORK_NOT_ALLOWED); empty: any address"),
		"extra":              oaExtraNote,
		"status":             oaEnum("used (successfulAttempts reached maxUses), else expired (expiresAt passed), else active", string(lt.StatusActive), string(lt.StatusExpired), string(lt.StatusUsed)),
		"successfulAttempts": oaDesc("successful redeems"),
		"failedAttempts":     oaDesc("failed redeems (wrong secret, network not allowed, used, expired, user disabled)"),
		"lastAccessedAt":     oaDesc("the last attempt, successful or failed; null: never presented"),
		"createdBy":          oaDesc("who created it: staff:<id>, apikey:<id> or cli"),
		"shopId":             oaDesc("the shop the token is bound to: it signs in only there (elsewhere TOKEN_INVALID); null: any shop"),
		"impersonatedBy":     oaDesc("read-only: the staff member (staff:<id>) who made the token with the backoffice's \"Open webshop as\"; every sign-in with it names them. Such a token cannot be changed, regenerated or revealed (409 CONFLICT): delete it instead. null for every other token"),
	}},
	{name: "LoginTokenList", of: page[*lt.LoginToken]{}, desc: "A page of login tokens.", notes: oaPageNotes},
	{name: "NewLoginToken", of: newTokenBody{}, input: true, desc: "A new login token: for a contact, a customer, or (neither) an anonymous visitor; giving both ids is a 400.", notes: oaNotes{
		"contactId":  oaPositiveID("the contact it signs in"),
		"customerId": oaPositiveID("the customer it signs in"),
		"expiresAt":  oaDesc("when it stops working, in the future; absent or null: never"),
		"maxUses":    {Minimum: oaIntp(1), Description: "how many successful sign-ins it gives; absent or null: no limit"},
		"oneTimeUse": oaDesc("true is maxUses 1 (kept for compatibility; with a maxUses other than 1 a 400)"),
		"networks":   oaNetworksNote("bind the token to these client networks: a redeem from elsewhere is refused (NETWORK_NOT_ALLOWED); absent, null or empty: any address"),
		"extra":      oaExtraNote,
		"shopId":     oaPositiveID("bind the token to this shop: it signs in only there; absent or null: any shop"),
	}},
	{name: "IssuedLoginToken", of: issuedJSON{}, desc: "A login token with its value and links: answered when a value is created or regenerated.", notes: oaValueNotes},
	{name: "LoginTokenPatch", of: tokenPatchBody{}, input: true, desc: "A JSON merge patch of a login token: absent fields stay. Giving a user (contactId, customerId or anonymous) changes it and regenerates the value. Read-only fields (counters, status, dates, impersonatedBy) are 400s. A token whose impersonatedBy is set cannot be patched (409).", notes: oaNotes{
		"expiresAt":  oaDesc("a new expiry; null: never; now or a past time revokes the token"),
		"maxUses":    {Minimum: oaIntp(1), Description: "the successful sign-ins it gives in all (those made count); null: no limit"},
		"oneTimeUse": oaDesc("true sets maxUses to 1; false lifts a limit of 1 (kept for compatibility; a 400 when it contradicts maxUses)"),
		"networks":   oaNetworksNote("replaces the client networks; null or empty: any address"),
		"extra":      oaWith(oaExtraNote, "replaces the lines; null: none"),
		"contactId":  oaPositiveID("bind the token to this contact"),
		"customerId": oaPositiveID("bind the token to this customer"),
		"anonymous":  {Enum: []any{true, nil}, Description: "true: bind the token to no user"},
		"shopId":     oaPositiveID("bind the token to this shop; null: any shop"),
	}},
	{name: "UpdatedLoginToken", of: updatedJSON{}, desc: "A patched login token; value and links only when the user changed and the value was regenerated.", notes: oaValueNotes},
	{name: "TokenValue", of: tokenValueBody{}, input: true, desc: "A token value to look up.", notes: oaNotes{
		"value": oaDesc("a token value, lt_<id>_<secret>"),
	}},
	{name: "TokenIDs", of: tokenIDsBody{}, input: true, desc: "Tokens to delete, all or nothing: one unknown id deletes nothing (404 naming it).", notes: oaNotes{
		"ids": {Description: "token ids (not values)", MinItems: oaIntp(1), MaxItems: oaIntp(lt.MaxBulkDeleteIDs), Items: oaWith(oaTokenIDNote, "a token id")},
	}},
	{name: "Deleted", of: deletedJSON{}, desc: "How many tokens were deleted."},
	{name: "SendMail", of: sendBody{}, input: true, desc: "Optional adjustments of the mail that carries a token's login link (the scanner-safe sign-in page). 409 when sending e-mail is off, when the token has no contact or customer with an e-mail address and no to is given, or when its link signs nobody in (expired, used, made to impersonate).", notes: oaNotes{
		"to":      oaEmail("the recipient; default: the token's contact or customer"),
		"subject": {MaxLength: oaIntp(lt.MaxMailSubjectLen), Description: "one line; default: the template's subject"},
		"note":    {MaxLength: oaIntp(lt.MaxMailNoteLen), Description: "a personal note, put into the mail as text"},
	}},
	{name: "MailQueued", of: queuedJSON{}, desc: "A mail queued (status queued), or a token of a bulk send that was not (status refused, with code and message). The outcome follows as the token's event mail.sent (with the server's answer) or mail.failed (with the reason).", notes: oaNotes{
		"status":   oaEnum("queued or refused", "queued", "refused"),
		"language": oaEnum("the language of the template", lt.MailLanguages...),
	}},
	{name: "BulkSend", of: bulkSendBody{}, input: true, desc: "Tokens whose links to send, each to its own contact or customer.", notes: oaNotes{
		"ids":     {Description: "token ids (not values)", MinItems: oaIntp(1), MaxItems: oaIntp(lt.MaxBulkSendIDs), Items: oaWith(oaTokenIDNote, "a token id")},
		"subject": {MaxLength: oaIntp(lt.MaxMailSubjectLen), Description: "one line for every mail; default: the template's subject"},
		"note":    {MaxLength: oaIntp(lt.MaxMailNoteLen), Description: "a personal note for every mail"},
	}},
	{name: "BulkSent", of: bulkSentJSON{}, desc: "One result per id, in the order given: queued, or refused with the reason."},
	{name: "RedeemRequest", of: redeemBody{}, input: true, desc: "A token value presented by the webshop on behalf of a visitor.", notes: oaNotes{
		"token":     oaDesc("the token value"),
		"clientIp":  oaDesc("the end user's IPv4 or IPv6 address; the failure limit counts per client network: each IPv4 address, each IPv6 /64, unless configured otherwise (default: the caller's peer address)"),
		"userAgent": {MaxLength: oaIntp(1000), Description: "the end user's User-Agent, for the audit trail"},
	}},
	{name: "RedeemResponse", of: redeemResponse{}, desc: "A successful redeem.", notes: oaNotes{
		"user":      oaDesc("who signed in; null for anonymous tokens"),
		"assertion": oaDesc("a signed ES256 JWT naming the user, valid for at most 120 s; verify it with /.well-known/jwks.json"),
	}},
	{name: "RevealedValue", of: revealed{}, desc: "A token's value and links (the reveal is audited).", notes: oaValueNotes},
	{name: "Event", of: lt.Event{}, desc: "One entry of a token's audit trail.", notes: oaNotes{
		"type": oaEnum("what happened", lt.EventTokenCreated, lt.EventTokenUpdated, lt.EventTokenRegenerated,
			lt.EventTokenDeleted, lt.EventTokenRevealed, lt.EventTokenRedeemed, lt.EventTokenRejected,
			lt.EventMailQueued, lt.EventMailSent, lt.EventMailFailed),
		"actor":    oaDesc("who did it: staff:<id>, apikey:<id>, cli, login"),
		"clientIp": oaDesc("the client address; empty when there was none"),
		"details":  oaTyped("object", "what changed, or why an attempt failed (reason: a redeem code)"),
	}},
	{name: "EventList", of: page[*lt.Event]{}, desc: "A page of a token's audit trail, newest first.", notes: oaPageNotes},
	{name: "AttemptDay", of: lt.AttemptDay{}, desc: "A token's sign-in attempts of one UTC day.", notes: oaNotes{
		"day":        oaDesc("the UTC day, YYYY-MM-DD"),
		"successful": oaDesc("successful sign-ins (token.redeemed events)"),
		"failed":     oaDesc("failed sign-ins (token.rejected events)"),
	}},
	{name: "AttemptDays", of: attemptDays{}, desc: "A token's sign-in attempts per UTC day, the last 90 days (today the last), oldest first, from its audit trail."},
	{name: "AuditRetention", of: auditRetention{}, input: true, desc: "How long the audit trail keeps its events.", notes: oaNotes{
		"auditRetentionDays": oaDesc("days, 1 to 36500; 0 (the default) keeps the events forever"),
	}},

	{name: "Company", of: lt.Company{}, desc: "A B2B customer organisation.", notes: oaNotes{
		"id":         oaPositiveID(""),
		"externalId": oaExternalIDNote,
	}},
	{name: "CompanyInput", of: companyBody{}, input: true, desc: "A company's fields; on create name is required, on update absent fields stay.", notes: oaNotes{
		"name":       oaName200(""),
		"externalId": oaExternalIDNote,
	}},
	{name: "CompanyList", of: page[*lt.Company]{}, desc: "A page of companies.", notes: oaPageNotes},
	{name: "Contact", of: lt.Contact{}, desc: "A B2B user; belongs to one company.", notes: oaJoin(oaPersonNotes, oaNotes{
		"companyId": oaPositiveID("the contact's company"),
	})},
	{name: "ContactInput", of: contactBody{}, input: true, desc: "A contact's fields; on create companyId, email and a name are required, on update absent fields stay.", notes: oaNotes{
		"companyId": oaPositiveID("the contact's company"),
	}},
	{name: "ContactList", of: page[*lt.Contact]{}, desc: "A page of contacts.", notes: oaPageNotes},
	{name: "Customer", of: lt.Customer{}, desc: "A B2C user; no company.", notes: oaPersonNotes},
	{name: "CustomerInput", of: customerBody{}, input: true, desc: "A customer's fields; on create email and a name are required, on update absent fields stay.", notes: oaNotes{
		"firstName":  oaName200("a first or last name is required"),
		"lastName":   oaName200("a first or last name is required"),
		"email":      oaEmail("required on create"),
		"externalId": oaExternalIDNote,
	}},
	{name: "CustomerList", of: page[*lt.Customer]{}, desc: "A page of customers.", notes: oaPageNotes},
	{name: "ContactImport", of: []contactImportBody{}, desc: "Contacts to " + oaImportNote},
	{of: contactImportBody{}, input: true, desc: "One contact; its company by companyId or companyExternalId.", notes: oaNotes{
		"companyId": oaPositiveID(""),
	}},
	{name: "CustomerImport", of: []customerImportBody{}, desc: "Customers to " + oaImportNote},
	{of: customerImportBody{}, input: true, desc: "One customer.", notes: oaNotes{
		"email":      oaDesc("required for a new contact or customer"),
		"externalId": oaDesc("the upsert key; else email"),
	}},
	{name: "ImportResult", of: lt.ImportResult{}, desc: "What an import did.", notes: oaNotes{
		"failed": oaDesc("rows that were not imported"),
	}},
	{of: lt.ImportFailure{}, desc: "A row the import could not take.", notes: oaNotes{
		"row":     oaDesc("the row, counted from 1, the first data row (a CSV header does not count)"),
		"message": oaDesc("why"),
	}},
	{name: "UserHits", of: []*lt.UserRef{}, desc: "Contacts and customers matching the search, for the user picker."},

	{name: "APIKey", of: apiKeyJSON{}, desc: "An API key, without its secret.", notes: oaNotes{
		"id":        {Pattern: oaIDPattern, Description: "the public part of the key"},
		"kind":      oaKeyKindNote,
		"grants":    oaGrantsNote,
		"revokedAt": oaDesc("null while the key works"),
	}},
	{name: "APIKeyList", of: apiKeyList{}, desc: "The API keys; not paged, but in the lists' envelope."},
	{name: "NewAPIKey", of: newAPIKeyBody{}, input: true, desc: "A new API key: an admin key with at least one grant, or a webshop key with none. The calling key may hand out only grants it holds itself (each area at most at its own level); any other grant is a 403 that names it.", notes: oaNotes{
		"name":   oaName200(""),
		"kind":   oaKeyKindNote,
		"grants": oaGrantsNote,
	}},
	{name: "IssuedAPIKey", of: issuedAPIKeyJSON{}, desc: "A new API key with its value.", notes: oaNotes{
		"value": {Pattern: oaAPIKeyPattern, Description: "the key, shown this once: Authorization: Bearer <value>"},
	}},

	{name: "Shop", of: lt.Shop{}, desc: "A shop that signs people in through the OpenID Provider (a relying party), without its secret.", notes: oaNotes{
		"id":                     oaPositiveID(""),
		"name":                   oaName200(""),
		"clientId":               {Pattern: oaIDPattern, Description: "the OpenID Connect client_id"},
		"public":                 oaDesc("a public shop (a browser or mobile app) has no client secret and must use PKCE with S256; a confidential one authenticates with client_secret_basic or client_secret_post. Fixed at registration"),
		"redirectUris":           oaShopURIsNote("the redirect_uri values it may use, matched exactly"),
		"initiateLoginUri":       oaDesc("where a login link of a token bound to this shop continues (OpenID Connect Core §4), with iss, target_link_uri and login_hint; null: none"),
		"postLogoutRedirectUris": oaShopURIsNote("the post_logout_redirect_uri values it may use at end_session"),
		"disabled":               oaDesc("a disabled shop signs nobody in"),
	}},
	{name: "ShopList", of: shopList{}, desc: "The shops by name; not paged, but in the lists' envelope."},
	{name: "NewShop", of: newShopBody{}, input: true, desc: "A shop to register.", notes: oaNotes{
		"name":                   oaName200(""),
		"redirectUris":           oaShopURIsNote("at least one redirect_uri, matched exactly"),
		"initiateLoginUri":       oaDesc("an absolute http(s) URL; null: none"),
		"postLogoutRedirectUris": oaShopURIsNote("post_logout_redirect_uri values"),
		"public":                 oaDesc("true: no client secret, PKCE with S256 required (default false)"),
	}},
	{name: "ShopPatch", of: shopPatchBody{}, input: true, desc: "A JSON merge patch of a shop: absent fields stay; whether it is public cannot change.", notes: oaNotes{
		"name":                   oaName200(""),
		"redirectUris":           oaShopURIsNote("replaces the list; at least one"),
		"initiateLoginUri":       oaDesc("an absolute http(s) URL; null removes it"),
		"postLogoutRedirectUris": oaShopURIsNote("replaces the list; null: none"),
		"disabled":               oaDesc("true: the shop signs nobody in"),
	}},
	{name: "IssuedShop", of: issuedShopJSON{}, desc: "A shop with its client secret, answered when a confidential shop is registered or its secret rotated.", notes: oaNotes{
		"clientSecret": {Pattern: "^ltcs_[a-z0-9]{12,26}_[A-Za-z0-9]{16,}$", Description: "the client secret, shown this once; absent for a public shop"},
	}},

	{name: "Webhook", of: lt.Webhook{}, desc: "A receiver of events, without its signing secret.", notes: oaNotes{
		"id":             oaPositiveID(""),
		"url":            {MaxLength: oaIntp(lt.MaxWebhookURLLen), Description: "where events are POSTed: https, or http to a loopback host"},
		"events":         {Items: oaEnum("", lt.WebhookEvents...), Description: "the events it receives"},
		"enabled":        oaDesc("a disabled webhook receives nothing; its pending deliveries are cancelled"),
		"disabledReason": oaDesc("why the service disabled it itself (its deliveries kept failing); null otherwise"),
		"disabledAt":     oaDesc("when the service disabled it itself; null otherwise"),
	}},
	{name: "WebhookList", of: webhookList{}, desc: "The webhooks by id; not paged, but in the lists' envelope."},
	{name: "NewWebhook", of: newWebhookBody{}, input: true, desc: "A webhook to create.", notes: oaNotes{
		"url":    {MaxLength: oaIntp(lt.MaxWebhookURLLen), Description: "https, or http to a loopback host (development); no user info or fragment"},
		"events": {Items: oaEnum("", lt.WebhookEvents...), Description: "at least one event"},
	}},
	{name: "WebhookPatch", of: webhookPatchBody{}, input: true, desc: "A JSON merge patch of a webhook: absent fields stay. Enabling clears the notice of an automatic disabling.", notes: oaNotes{
		"url":     {MaxLength: oaIntp(lt.MaxWebhookURLLen), Description: "https, or http to a loopback host"},
		"events":  {Items: oaEnum("", lt.WebhookEvents...), Description: "replaces the list; at least one"},
		"enabled": oaDesc("false cancels its pending deliveries"),
	}},
	{name: "IssuedWebhook", of: issuedWebhookJSON{}, desc: "A webhook with its signing secret, answered when it is created or its secret rotated.", notes: oaNotes{
		"secret": {Pattern: "^whsec_[A-Za-z0-9+/]+={0,2}$", Description: "the signing secret, shown this once: whsec_ and the base64 of the HMAC-SHA256 key (Standard Webhooks)"},
	}},
	{name: "WebhookDelivery", of: lt.OutboxMessage{}, desc: "One delivery of an event to a webhook, and its state.", notes: oaNotes{
		"id":             oaPositiveID(""),
		"kind":           oaEnum("", lt.OutboxWebhook),
		"eventId":        oaDesc("the webhook-id header: the same for every attempt and redelivery of the event"),
		"type":           oaEnum("the event", lt.WebhookEvents...),
		"status":         oaEnum("pending: waiting for its next attempt; delivered; failed: its last attempt failed; cancelled: the webhook was disabled first", lt.OutboxPending, lt.OutboxDelivered, lt.OutboxFailed, lt.OutboxCancelled),
		"attempts":       oaDesc("attempts begun"),
		"nextAttemptAt":  oaDesc("when it is tried next; null unless pending"),
		"lastAttemptAt":  oaDesc("when it was last tried"),
		"lastAnswer":     oaDesc("the receiver's status to the last attempt (HTTP 200, HTTP 503), or why it could not be reached: connection refused, timeout, TLS error, host not found, host unreachable, connection reset, connection closed without an answer, connection failed"),
		"lastDurationMs": oaDesc("how long the receiver took to answer the last attempt"),
		"deliveredAt":    oaDesc("when the receiver took it"),
		"redeliveryOf":   oaDesc("the delivery this one sends again, by hand"),
	}},
	{name: "WebhookDeliveryList", of: page[*lt.OutboxMessage]{}, desc: "A page of a webhook's delivery log, newest first.", notes: oaPageNotes},

	{name: "JWKS", schema: oaObject("The public keys of the sign-in JWTs (ES256) and of the OpenID Provider's ID tokens (RS256), RFC 7517.", oaReq("keys", oaArray(oaObject("A public signing key: EC P-256 for ES256, RSA for RS256.",
		oaReq("kty", oaEnum("", "EC", "RSA")),
		oaOpt("crv", oaEnum("EC keys", "P-256")),
		oaOpt("x", oaString("EC keys")),
		oaOpt("y", oaString("EC keys")),
		oaOpt("n", oaString("RSA keys")),
		oaOpt("e", oaString("RSA keys")),
		oaReq("kid", oaString("the kid of the JWT header")),
		oaOpt("use", oaEnum("", "sig")),
		oaOpt("alg", oaEnum("", "ES256", "RS256")),
	), "")))},
	// The rest of the document, as OpenAPI 3.1 defines it.
	{name: "OpenAPI", schema: oaOpen(oaObject("An OpenAPI 3.1 document: this one.",
		oaReq("openapi", oaString("")), oaReq("info", oaTyped("object", "")), oaReq("paths", oaTyped("object", ""))))},
}

// oaSchemaCatalog is every named schema of the API, in the table's order.
func oaSchemaCatalog() oaMap[*oaSchema] { return oaSchemas(oaSchemaTable) }

// oaSchemas builds the named schemas of a table.
func oaSchemas(table []oaType) oaMap[*oaSchema] {
	r := oaReflector{byType: map[reflect.Type]*oaType{}}
	for i, e := range table {
		if e.of == nil {
			continue
		}
		t := reflect.TypeOf(e.of)
		if r.byType[t] != nil {
			panic(fmt.Sprintf("httpapi: two schemas of Go type %s", t))
		}
		r.byType[t] = &table[i]
	}
	var c oaMap[*oaSchema]
	for _, e := range table {
		switch {
		case e.name == "":
		case e.schema != nil:
			c.set(e.name, e.schema)
		default:
			s := r.shape(reflect.TypeOf(e.of))
			s.Description = e.desc
			c.set(e.name, s)
		}
	}
	return c
}

// oaReflector reads schemas from Go types.
type oaReflector struct {
	byType map[reflect.Type]*oaType
}

var (
	oaTimeType = reflect.TypeFor[time.Time]()
	oaRawType  = reflect.TypeFor[json.RawMessage]()
)

// object is the schema of struct type t, described by its entry e.
func (r *oaReflector) object(t reflect.Type, e *oaType) *oaSchema {
	s := oaTyped("object", e.desc)
	fields := jsonFieldsOf(t)
	for _, f := range fields {
		ft, nullable := f.typ, f.typ.Kind() == reflect.Pointer
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fs := oaMerge(r.value(ft), r.note(e, f))
		if nullable {
			fs = oaNullable(fs)
		}
		s.Properties.set(f.name, fs)
		if !f.omitempty {
			s.Required = append(s.Required, f.name)
		}
	}
	for name := range e.notes {
		if !slices.ContainsFunc(fields, func(f jsonField) bool { return f.name == name }) {
			panic(fmt.Sprintf("httpapi: a schema note for %s.%s, which %s does not have", e.name, name, t))
		}
	}
	if e.input {
		s.AdditionalProperties = new(bool)
	}
	return s
}

// note is a field's note: its entry's own, else that of the outermost
// embedded type it is promoted through that has one.
func (r *oaReflector) note(e *oaType, f jsonField) *oaSchema {
	if n := e.notes[f.name]; n != nil {
		return n
	}
	for _, t := range f.via {
		if n := r.byType[t]; n != nil && n.notes[f.name] != nil {
			return n.notes[f.name]
		}
	}
	return nil
}

// value is the schema of a value of Go type t, never null: a reference
// when t has a name in the table.
func (r *oaReflector) value(t reflect.Type) *oaSchema {
	if e := r.byType[t]; e != nil && e.name != "" {
		return oaRef(e.name)
	}
	return r.shape(t)
}

// shape is the schema of Go type t itself.
func (r *oaReflector) shape(t reflect.Type) *oaSchema {
	switch t {
	case oaTimeType:
		return &oaSchema{Type: oaTypes{"string"}, Format: "date-time"}
	case oaRawType:
		return &oaSchema{} // any JSON: a note says which
	}
	switch t.Kind() {
	case reflect.String:
		return oaTyped("string", "")
	case reflect.Bool:
		return oaTyped("boolean", "")
	case reflect.Int, reflect.Int32, reflect.Int64:
		return oaTyped("integer", "")
	case reflect.Slice:
		elem := t.Elem()
		for elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		return oaArray(r.value(elem), "")
	case reflect.Struct:
		e := r.byType[t]
		if e == nil {
			e = &oaType{}
		}
		return r.object(t, e)
	}
	panic(fmt.Sprintf("httpapi: no schema for Go type %s", t))
}

// oaMerge lays note over s: each field the note sets wins, and its items
// merge into s's items. The note may name no other type than s has.
func oaMerge(s, note *oaSchema) *oaSchema {
	if note == nil {
		return s
	}
	if len(note.Type) > 0 && len(s.Type) > 0 && !slices.Equal(note.Type, s.Type) {
		panic(fmt.Sprintf("httpapi: a schema note of type %v for a field of type %v", note.Type, s.Type))
	}
	out := *s
	dst, src := reflect.ValueOf(&out).Elem(), reflect.ValueOf(note).Elem()
	for i := range src.NumField() {
		if !src.Field(i).IsZero() {
			dst.Field(i).Set(src.Field(i))
		}
	}
	if note.Items != nil && s.Items != nil {
		out.Items = oaMerge(s.Items, note.Items)
	}
	return &out
}
