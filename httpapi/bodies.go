package httpapi

import (
	"slices"
	"time"
)

// The JSON request bodies, as Go types. Each handler accepts exactly the
// fields of its body type (the lists below, read from the types, are what
// decodeObject allows), and the OpenAPI document describes each body from
// the same type: a field without omitempty is required, a pointer may be
// null. The handlers still read the fields one by one (object), so that
// every error names its field.
type (
	newTokenBody struct {
		ContactID  *int64     `json:"contactId,omitempty"`
		CustomerID *int64     `json:"customerId,omitempty"`
		ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
		MaxUses    *int64     `json:"maxUses,omitempty"`
		OneTimeUse *bool      `json:"oneTimeUse,omitempty"`
		Networks   *[]string  `json:"networks,omitempty"`
		Extra      *[]string  `json:"extra,omitempty"`
		ShopID     *int64     `json:"shopId,omitempty"`
	}
	// tokenPatchBody is a merge patch: null clears expiresAt, maxUses (no
	// limit), networks (any address) and extra; oneTimeUse cannot be null.
	tokenPatchBody struct {
		ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
		MaxUses    *int64     `json:"maxUses,omitempty"`
		OneTimeUse bool       `json:"oneTimeUse,omitempty"`
		Networks   *[]string  `json:"networks,omitempty"`
		Extra      *[]string  `json:"extra,omitempty"`
		ContactID  *int64     `json:"contactId,omitempty"`
		CustomerID *int64     `json:"customerId,omitempty"`
		Anonymous  *bool      `json:"anonymous,omitempty"`
		ShopID     *int64     `json:"shopId,omitempty"`
	}
	tokenValueBody struct {
		Value string `json:"value"`
	}
	tokenIDsBody struct {
		IDs []string `json:"ids"`
	}
	redeemBody struct {
		Token     string  `json:"token"`
		ClientIP  *string `json:"clientIp,omitempty"`
		UserAgent *string `json:"userAgent,omitempty"`
	}

	// The directory's bodies serve create and update alike: the handlers
	// require what a create needs. externalId may be null (none).
	companyBody struct {
		Name       string  `json:"name,omitempty"`
		ExternalID *string `json:"externalId,omitempty"`
	}
	customerBody struct {
		FirstName  string  `json:"firstName,omitempty"`
		LastName   string  `json:"lastName,omitempty"`
		Email      string  `json:"email,omitempty"`
		ExternalID *string `json:"externalId,omitempty"`
		Disabled   bool    `json:"disabled,omitempty"`
		Language   string  `json:"language,omitempty"`
	}
	contactBody struct {
		CompanyID int64 `json:"companyId,omitempty"`
		customerBody
	}

	// An import row requires nothing: a row the store cannot take fails
	// alone. The import reads the fields importcsv names, for CSV and JSON
	// alike; a test checks that these types have the same.
	customerImportBody struct {
		FirstName  string  `json:"firstName,omitempty"`
		LastName   string  `json:"lastName,omitempty"`
		Email      string  `json:"email,omitempty"`
		ExternalID *string `json:"externalId,omitempty"`
		Disabled   *bool   `json:"disabled,omitempty"`
		Language   *string `json:"language,omitempty"`
	}
	contactImportBody struct {
		CompanyID         *int64  `json:"companyId,omitempty"`
		CompanyExternalID *string `json:"companyExternalId,omitempty"`
		customerImportBody
	}

	newShopBody struct {
		Name                   string    `json:"name"`
		RedirectURIs           []string  `json:"redirectUris"`
		InitiateLoginURI       *string   `json:"initiateLoginUri,omitempty"`
		PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris,omitempty"`
		Public                 *bool     `json:"public,omitempty"`
	}
	// shopPatchBody is a merge patch: null removes initiateLoginUri and
	// empties postLogoutRedirectUris.
	shopPatchBody struct {
		Name                   string    `json:"name,omitempty"`
		RedirectURIs           *[]string `json:"redirectUris,omitempty"`
		InitiateLoginURI       *string   `json:"initiateLoginUri,omitempty"`
		PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris,omitempty"`
		Disabled               bool      `json:"disabled,omitempty"`
	}

	newWebhookBody struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	// webhookPatchBody is a merge patch: absent fields stay.
	webhookPatchBody struct {
		URL     string    `json:"url,omitempty"`
		Events  *[]string `json:"events,omitempty"`
		Enabled bool      `json:"enabled,omitempty"`
	}

	newAPIKeyBody struct {
		Name   string    `json:"name"`
		Kind   string    `json:"kind"`
		Grants *[]string `json:"grants,omitempty"`
	}
)

var (
	newTokenFields     = jsonNames[newTokenBody]()
	tokenPatchFields   = jsonNames[tokenPatchBody]()
	tokenValueFields   = jsonNames[tokenValueBody]()
	tokenIDsFields     = jsonNames[tokenIDsBody]()
	redeemFields       = jsonNames[redeemBody]()
	companyFields      = jsonNames[companyBody]()
	customerFields     = jsonNames[customerBody]()
	contactFields      = jsonNames[contactBody]()
	newAPIKeyFields    = jsonNames[newAPIKeyBody]()
	newShopFields      = jsonNames[newShopBody]()
	shopPatchFields    = jsonNames[shopPatchBody]()
	newWebhookFields   = jsonNames[newWebhookBody]()
	webhookPatchFields = jsonNames[webhookPatchBody]()

	// A field that an answer carries and the body cannot set is read-only:
	// a body copied from an answer is told so, rather than of an unknown
	// field.
	readOnlyTokenFields   = readOnlyFields[issuedJSON](tokenPatchFields)
	readOnlyAPIKeyFields  = readOnlyFields[issuedAPIKeyJSON](newAPIKeyFields)
	readOnlyShopFields    = readOnlyFields[issuedShopJSON](append(slices.Clone(newShopFields), shopPatchFields...))
	readOnlyWebhookFields = readOnlyFields[issuedWebhookJSON](append(slices.Clone(newWebhookFields), webhookPatchFields...))
)
