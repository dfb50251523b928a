package httpapi

import (
	"net/http"
	"slices"

	lt "github.com/logintokens/logintokens"
)

// route is one entry of the route table. The mux, the authorization test
// and the OpenAPI document are all built from this one table, so they
// cannot drift apart.
type route struct {
	method, path string
	access       access
	handle       func(w http.ResponseWriter, r *http.Request, c *caller) error
	doc          doc
}

// doc describes a route for the OpenAPI document.
type doc struct {
	// id is the operationId: the operation's public name, which clients
	// generate code from. It is written out so that renaming a handler
	// cannot rename the operation.
	id      string
	summary string
	tag     string
	// query lists the query parameters the route reads (others are 400s).
	query []param
	// body names the request schema (a key of schemas), with its media
	// types; "" means no body.
	body      string
	bodyTypes []string
	// ok is the success status; resp names its schema ("" = no body) and
	// respType its media type (default application/json).
	ok       int
	resp     string
	respType string
	// errors lists the problem statuses the route can answer beyond
	// 400/401/403/500, which every authenticated route may.
	errors []int
	// maxBody bounds the request body; 0 is maxBody.
	maxBody int64
}

// bodyLimit is the most of a request body the route reads.
func (rt route) bodyLimit() int64 {
	if rt.doc.maxBody > 0 {
		return rt.doc.maxBody
	}
	return maxBody
}

// param is a query parameter.
type param struct {
	name, typ, desc string // typ: string, integer, boolean, array
}

var (
	cfgViewer   = grant(lt.AreaConfiguration, lt.LevelViewer)
	cfgEditor   = grant(lt.AreaConfiguration, lt.LevelEditor)
	cfgOwner    = grant(lt.AreaConfiguration, lt.LevelOwner)
	usersViewer = grant(lt.AreaUsers, lt.LevelViewer)
	usersEditor = grant(lt.AreaUsers, lt.LevelEditor)
	pickerUsers = anyGrant(lt.Grant{Area: lt.AreaConfiguration, Level: lt.LevelViewer}, lt.Grant{Area: lt.AreaUsers, Level: lt.LevelViewer})
)

var pagingParams = specParams(lt.PagingSpec)

// listPagingParams are the paging of the token list and the directory's
// lists, which page no deeper than bounds.MaxListRows.
var listPagingParams = []param{
	{"page", "integer", "1-based page; page × pageSize at most 10000 (a list shows its first 10,000 rows: a deeper page is a 400)"},
	pagingParams[1],
}

// auditExportParams are the audit export's range and format.
var auditExportParams = []param{
	{"from", "string", "required: the first time, RFC 3339 or a YYYY-MM-DD UTC day"},
	{"to", "string", "required: the last time, inclusive, RFC 3339 or a YYYY-MM-DD UTC day (the whole day); at most 366 days after from"},
	{"format", "string", "csv (the default) or jsonl"},
}

var directoryListParams = append([]param{{"q", "string", "case-insensitive text in name, email or external id: anywhere in them when it holds three letters or digits in a row, else at their start"}}, listPagingParams...)

// tokenFilterParams are the token list's filters without its paging,
// from the one spec of them (lt.TokenFilterSpec); the list adds
// listPagingParams, the export takes them alone.
var (
	tokenFilterParams = specParams(slices.DeleteFunc(slices.Clone(lt.TokenFilterSpec), func(p lt.FilterParam) bool {
		return p.Kind() == lt.FilterPage || p.Kind() == lt.FilterPageSize
	}))
)

// specParams documents the parameters of filters: lists as arrays (of
// integers for people's ids), a time range as its two ends.
func specParams(spec []lt.FilterParam) []param {
	var out []param
	for _, p := range spec {
		typ := "string"
		switch p.Kind() {
		case lt.FilterTokenIDs, lt.FilterChoice:
			typ = "array"
		case lt.FilterUserIDs:
			typ = "[]integer"
		case lt.FilterBool:
			typ = "boolean"
		case lt.FilterPage, lt.FilterPageSize, lt.FilterShop:
			typ = "integer"
		}
		for _, name := range p.Params() {
			out = append(out, param{name, typ, p.Help})
		}
	}
	return out
}

func (s *Server) routeTable() []route {
	tokens, dir, keys, shops, hooks, ops := "Login tokens", "Directory", "API keys", "Shops", "Webhooks", "Operations"
	nf := []int{http.StatusNotFound}
	// A token made to impersonate can only be deleted: 409 on the rest.
	nfOrImmutable := []int{http.StatusNotFound, http.StatusConflict}
	return []route{
		// Login tokens.
		{"GET", "/api/v1/login-tokens", cfgViewer, s.listTokens, doc{id: "listTokens", summary: "List login tokens", tag: tokens,
			query: slices.Concat(tokenFilterParams, listPagingParams), ok: 200, resp: "LoginTokenList", errors: []int{429}}},
		{"POST", "/api/v1/login-tokens", cfgEditor, s.createToken, doc{id: "createToken", summary: "Create a login token", tag: tokens,
			body: "NewLoginToken", ok: 201, resp: "IssuedLoginToken"}},
		{"GET", "/api/v1/login-tokens.csv", cfgViewer, s.exportTokens, doc{id: "exportTokens", summary: "Export the filtered login tokens as CSV", tag: tokens,
			query: tokenFilterParams, ok: 200, respType: "text/csv", errors: []int{429}}},
		{"POST", "/api/v1/login-tokens/lookup", cfgViewer, s.lookupToken, doc{id: "lookupToken", summary: "Find the login token a value belongs to", tag: tokens,
			body: "TokenValue", ok: 200, resp: "LoginToken", errors: nf}},
		{"POST", "/api/v1/login-tokens/delete", cfgEditor, s.deleteTokens, doc{id: "deleteTokens", summary: "Delete login tokens, all or nothing", tag: tokens,
			body: "TokenIDs", ok: 200, resp: "Deleted", errors: nf}},
		{"POST", "/api/v1/login-tokens/send", cfgEditor, s.sendTokens, doc{id: "sendTokens", summary: "Send the login links of tokens by e-mail, each to its own person (queued)", tag: tokens,
			body: "BulkSend", ok: 202, resp: "BulkSent", errors: []int{http.StatusConflict}}},
		{"POST", "/api/v1/login-tokens/redeem", webshop(), s.redeemToken, doc{id: "redeemToken", summary: "Redeem a login token (webshop key)", tag: tokens,
			body: "RedeemRequest", ok: 200, resp: "RedeemResponse", errors: []int{http.StatusTooManyRequests}}},
		{"GET", "/api/v1/login-tokens/{id}", cfgViewer, s.getToken, doc{id: "getToken", summary: "Get a login token", tag: tokens,
			ok: 200, resp: "LoginToken", errors: nf}},
		{"PATCH", "/api/v1/login-tokens/{id}", cfgEditor, s.updateToken, doc{id: "updateToken", summary: "Update a login token (merge patch)", tag: tokens,
			body: "LoginTokenPatch", bodyTypes: []string{"application/merge-patch+json", "application/json"}, ok: 200, resp: "UpdatedLoginToken", errors: nfOrImmutable}},
		{"DELETE", "/api/v1/login-tokens/{id}", cfgEditor, s.deleteToken, doc{id: "deleteToken", summary: "Delete a login token", tag: tokens,
			ok: 204, errors: nf}},
		{"POST", "/api/v1/login-tokens/{id}/regenerate", cfgEditor, s.regenerateToken, doc{id: "regenerateToken", summary: "Give a login token a new value", tag: tokens,
			ok: 200, resp: "IssuedLoginToken", errors: nfOrImmutable}},
		{"GET", "/api/v1/login-tokens/{id}/value", cfgEditor, s.revealToken, doc{id: "revealToken", summary: "Reveal a login token's value (audited)", tag: tokens,
			ok: 200, resp: "RevealedValue", errors: nfOrImmutable}},
		{"POST", "/api/v1/login-tokens/{id}/send", cfgEditor, s.sendToken, doc{id: "sendToken", summary: "Send a login token's link by e-mail (queued; the outcome is in its events)", tag: tokens,
			body: "SendMail", ok: 202, resp: "MailQueued", errors: nfOrImmutable}},
		{"GET", "/api/v1/login-tokens/{id}/events", cfgViewer, s.tokenEvents, doc{id: "tokenEvents", summary: "A login token's audit trail, newest first", tag: tokens,
			query: pagingParams, ok: 200, resp: "EventList", errors: nf}},
		{"GET", "/api/v1/login-tokens/{id}/attempts", cfgViewer, s.tokenAttempts, doc{id: "tokenAttempts", summary: "A login token's successful and failed sign-ins per UTC day, the last 90 days, oldest first", tag: tokens,
			ok: 200, resp: "AttemptDays"}},
		{"GET", "/api/v1/login-tokens/events/export", cfgViewer, s.exportTokenEvents, doc{id: "exportTokenEvents", summary: "Export the login tokens' audit events of a time range, oldest first, as CSV or JSON lines (streamed)", tag: tokens,
			query: auditExportParams, ok: 200, respType: "text/csv", errors: []int{429}}},
		{"GET", "/api/v1/settings/audit-retention", cfgViewer, s.getAuditRetention, doc{id: "getAuditRetention", summary: "How many days the audit trail keeps its events (0: forever)", tag: tokens,
			ok: 200, resp: "AuditRetention"}},
		{"PUT", "/api/v1/settings/audit-retention", cfgOwner, s.setAuditRetention, doc{id: "setAuditRetention", summary: "Keep the audit trail's events N days (0: forever); older ones are pruned in the background", tag: tokens,
			body: "AuditRetention", ok: 200, resp: "AuditRetention"}},

		// Directory.
		{"GET", "/api/v1/companies", usersViewer, s.listCompanies, doc{id: "listCompanies", summary: "List companies", tag: dir, query: directoryListParams, ok: 200, resp: "CompanyList", errors: []int{429}}},
		{"POST", "/api/v1/companies", usersEditor, s.createCompany, doc{id: "createCompany", summary: "Create a company", tag: dir, body: "CompanyInput", ok: 201, resp: "Company", errors: []int{409}}},
		{"GET", "/api/v1/companies/{id}", usersViewer, s.getCompany, doc{id: "getCompany", summary: "Get a company", tag: dir, ok: 200, resp: "Company", errors: nf}},
		{"PATCH", "/api/v1/companies/{id}", usersEditor, s.updateCompany, doc{id: "updateCompany", summary: "Update a company", tag: dir, body: "CompanyInput", ok: 200, resp: "Company", errors: []int{404, 409}}},
		{"DELETE", "/api/v1/companies/{id}", usersEditor, s.deleteCompany, doc{id: "deleteCompany", summary: "Delete a company without contacts", tag: dir, ok: 204, errors: []int{404, 409}}},
		{"GET", "/api/v1/contacts", usersViewer, s.listContacts, doc{id: "listContacts", summary: "List contacts", tag: dir,
			query: append([]param{{"companyId", "integer", "only the contacts of this company"}}, directoryListParams...), ok: 200, resp: "ContactList", errors: []int{429}}},
		{"POST", "/api/v1/contacts", usersEditor, s.createContact, doc{id: "createContact", summary: "Create a contact", tag: dir, body: "ContactInput", ok: 201, resp: "Contact", errors: []int{409}}},
		{"POST", "/api/v1/contacts/import", usersEditor, s.importContacts, doc{id: "importContacts", summary: "Import contacts (upsert by externalId, else email)", tag: dir,
			body: "ContactImport", bodyTypes: []string{"application/json", "text/csv"}, ok: 200, resp: "ImportResult", errors: []int{413, 429}, maxBody: maxImportBody}},
		{"GET", "/api/v1/contacts/{id}", usersViewer, s.getContact, doc{id: "getContact", summary: "Get a contact", tag: dir, ok: 200, resp: "Contact", errors: nf}},
		{"PATCH", "/api/v1/contacts/{id}", usersEditor, s.updateContact, doc{id: "updateContact", summary: "Update a contact", tag: dir, body: "ContactInput", ok: 200, resp: "Contact", errors: []int{404, 409}}},
		{"DELETE", "/api/v1/contacts/{id}", usersEditor, s.deleteContact, doc{id: "deleteContact", summary: "Delete a contact (soft: its tokens then fail with USER_DISABLED)", tag: dir, ok: 204, errors: nf}},
		{"GET", "/api/v1/customers", usersViewer, s.listCustomers, doc{id: "listCustomers", summary: "List customers", tag: dir, query: directoryListParams, ok: 200, resp: "CustomerList", errors: []int{429}}},
		{"POST", "/api/v1/customers", usersEditor, s.createCustomer, doc{id: "createCustomer", summary: "Create a customer", tag: dir, body: "CustomerInput", ok: 201, resp: "Customer", errors: []int{409}}},
		{"POST", "/api/v1/customers/import", usersEditor, s.importCustomers, doc{id: "importCustomers", summary: "Import customers (upsert by externalId, else email)", tag: dir,
			body: "CustomerImport", bodyTypes: []string{"application/json", "text/csv"}, ok: 200, resp: "ImportResult", errors: []int{413, 429}, maxBody: maxImportBody}},
		{"GET", "/api/v1/customers/{id}", usersViewer, s.getCustomer, doc{id: "getCustomer", summary: "Get a customer", tag: dir, ok: 200, resp: "Customer", errors: nf}},
		{"PATCH", "/api/v1/customers/{id}", usersEditor, s.updateCustomer, doc{id: "updateCustomer", summary: "Update a customer", tag: dir, body: "CustomerInput", ok: 200, resp: "Customer", errors: []int{404, 409}}},
		{"DELETE", "/api/v1/customers/{id}", usersEditor, s.deleteCustomer, doc{id: "deleteCustomer", summary: "Delete a customer (soft: its tokens then fail with USER_DISABLED)", tag: dir, ok: 204, errors: nf}},
		{"GET", "/api/v1/users/search", pickerUsers, s.searchUsers, doc{id: "searchUsers", summary: "Search contacts and customers for the user picker", tag: dir,
			query: []param{{"q", "string", "name, email or company: anywhere in them when q holds three letters or digits in a row, else at their start"}, {"limit", "integer", "at most this many hits, 1 to 100 (default 20)"}}, ok: 200, resp: "UserHits", errors: []int{429}}},

		// API keys.
		{"GET", "/api/v1/api-keys", cfgOwner, s.listAPIKeys, doc{id: "listAPIKeys", summary: "List API keys", tag: keys, ok: 200, resp: "APIKeyList"}},
		{"POST", "/api/v1/api-keys", cfgOwner, s.createAPIKey, doc{id: "createAPIKey", summary: "Create an API key (its value is shown once)", tag: keys, body: "NewAPIKey", ok: 201, resp: "IssuedAPIKey"}},
		{"DELETE", "/api/v1/api-keys/{id}", cfgOwner, s.revokeAPIKey, doc{id: "revokeAPIKey", summary: "Revoke an API key", tag: keys, ok: 204, errors: nf}},

		// Shops: the OpenID Connect relying parties.
		{"GET", "/api/v1/shops", cfgViewer, s.listShops, doc{id: "listShops", summary: "List shops", tag: shops, ok: 200, resp: "ShopList"}},
		{"POST", "/api/v1/shops", cfgOwner, s.createShop, doc{id: "createShop", summary: "Register a shop (a confidential shop's client secret is shown once)", tag: shops,
			body: "NewShop", ok: 201, resp: "IssuedShop"}},
		{"GET", "/api/v1/shops/{id}", cfgViewer, s.getShop, doc{id: "getShop", summary: "Get a shop", tag: shops, ok: 200, resp: "Shop", errors: nf}},
		{"PATCH", "/api/v1/shops/{id}", cfgOwner, s.updateShop, doc{id: "updateShop", summary: "Update a shop (merge patch)", tag: shops,
			body: "ShopPatch", bodyTypes: []string{"application/merge-patch+json", "application/json"}, ok: 200, resp: "Shop", errors: nf}},
		{"DELETE", "/api/v1/shops/{id}", cfgOwner, s.deleteShop, doc{id: "deleteShop", summary: "Delete a shop no login token is bound to", tag: shops,
			ok: 204, errors: []int{404, 409}}},
		{"POST", "/api/v1/shops/{id}/rotate-secret", cfgOwner, s.rotateShopSecret, doc{id: "rotateShopSecret", summary: "Give a confidential shop a new client secret (the old one stops at once)", tag: shops,
			ok: 200, resp: "IssuedShop", errors: []int{404, 409}}},

		// Webhooks: receivers of events, signed per Standard Webhooks.
		{"GET", "/api/v1/webhooks", cfgOwner, s.listWebhooks, doc{id: "listWebhooks", summary: "List webhooks", tag: hooks, ok: 200, resp: "WebhookList"}},
		{"POST", "/api/v1/webhooks", cfgOwner, s.createWebhook, doc{id: "createWebhook", summary: "Create a webhook (its signing secret is shown once)", tag: hooks,
			body: "NewWebhook", ok: 201, resp: "IssuedWebhook", errors: []int{409}}},
		{"GET", "/api/v1/webhooks/{id}", cfgOwner, s.getWebhook, doc{id: "getWebhook", summary: "Get a webhook", tag: hooks, ok: 200, resp: "Webhook", errors: nf}},
		{"PATCH", "/api/v1/webhooks/{id}", cfgOwner, s.updateWebhook, doc{id: "updateWebhook", summary: "Update a webhook (merge patch)", tag: hooks,
			body: "WebhookPatch", bodyTypes: []string{"application/merge-patch+json", "application/json"}, ok: 200, resp: "Webhook", errors: nf}},
		{"DELETE", "/api/v1/webhooks/{id}", cfgOwner, s.deleteWebhook, doc{id: "deleteWebhook", summary: "Delete a webhook and its delivery log", tag: hooks, ok: 204, errors: nf}},
		{"POST", "/api/v1/webhooks/{id}/rotate-secret", cfgOwner, s.rotateWebhookSecret, doc{id: "rotateWebhookSecret", summary: "Give a webhook a new signing secret (the old one signs nothing more)", tag: hooks,
			ok: 200, resp: "IssuedWebhook", errors: nf}},
		{"GET", "/api/v1/webhooks/{id}/deliveries", cfgOwner, s.webhookDeliveries, doc{id: "listWebhookDeliveries", summary: "A webhook's delivery log, newest first", tag: hooks,
			query: pagingParams, ok: 200, resp: "WebhookDeliveryList", errors: nf}},
		{"POST", "/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", cfgOwner, s.redeliverWebhook, doc{id: "redeliverWebhook", summary: "Send a delivery again (a new delivery with the same webhook-id)", tag: hooks,
			ok: 202, resp: "WebhookDelivery", errors: []int{404, 409}}},

		// Operations and documents.
		{"GET", "/healthz", public(), s.healthz, doc{id: "healthz", summary: "Liveness", tag: ops, ok: 200, respType: "text/plain"}},
		{"GET", "/readyz", public(), s.readyz, doc{id: "readyz", summary: "Readiness: the database answers", tag: ops, ok: 200, respType: "text/plain", errors: []int{503}}},
		{"GET", "/metrics", metricsScrape(), s.metrics, doc{id: "metrics", summary: "Prometheus metrics", tag: ops, ok: 200, respType: "text/plain",
			errors: []int{http.StatusUnauthorized}}},
		{"GET", "/.well-known/jwks.json", public(), s.jwks, doc{id: "jwks", summary: "Public keys of the sign-in JWTs", tag: ops, ok: 200, resp: "JWKS", errors: nf}},
		{"GET", "/api/openapi.json", public(), s.openapi, doc{id: "openapi", summary: "This document", tag: ops, ok: 200, resp: "OpenAPI"}},
		{"GET", "/api/docs", public(), s.docs, doc{id: "docs", summary: "The API reference, readable offline", tag: ops, ok: 200, respType: "text/html"}},
	}
}
