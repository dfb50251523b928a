package logintokens

import (
	"context"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Shop is a webshop registered as an OpenID Connect relying party: it
// sends people to the service's provider, which signs them in with a
// login token and sends them back with an authorization code. A
// confidential shop authenticates with its client secret (stored hashed,
// shown once); a public one (a browser or mobile app) has none and must
// use PKCE with S256.
type Shop struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	ClientID string `json:"clientId"`
	Public   bool   `json:"public"`
	// RedirectURIs are matched exactly against an authorization request's
	// redirect_uri.
	RedirectURIs []string `json:"redirectUris"`
	// InitiateLoginURI is where a login link of a token bound to this shop
	// continues, so that the shop starts its own authorization request
	// (OpenID Connect Core §4); null for none.
	InitiateLoginURI       *string   `json:"initiateLoginUri"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	Disabled               bool      `json:"disabled"`
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
}

// ShopSecretPrefix starts a shop's client secret: ltcs_<client id>_<secret>,
// shaped like a token value so that every log and message cuts it the same
// way.
const ShopSecretPrefix = "ltcs"

// Limits on what a shop carries.
const (
	MaxShopURIs   = 20
	MaxShopURILen = 2000
)

// NewShop holds what a shop is registered from.
type NewShop struct {
	Name                   string   `json:"name"`
	RedirectURIs           []string `json:"redirectUris"`
	InitiateLoginURI       *string  `json:"initiateLoginUri"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	Public                 bool     `json:"public"`
}

// Validate normalizes and checks a new shop: a name, at least one
// redirect URI, and URIs a browser may be sent to.
func (n *NewShop) Validate() error {
	var v Validation
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		v.Add("name", "is required")
	}
	checkLen(&v, "name", n.Name)
	n.InitiateLoginURI = trimOptional(n.InitiateLoginURI)
	validateShopURIs(&v, n.Public, n.RedirectURIs, n.InitiateLoginURI, n.PostLogoutRedirectURIs)
	return v.Err()
}

// ShopUpdate is a patch of a shop: nil fields stay as they are.
// InitiateLoginURISet with a nil InitiateLoginURI removes it. Whether a
// shop is public is fixed when it is registered: a confidential shop
// needs a secret that a public one never had.
type ShopUpdate struct {
	Name                   *string
	RedirectURIs           *[]string
	InitiateLoginURISet    bool
	InitiateLoginURI       *string
	PostLogoutRedirectURIs *[]string
	Disabled               *bool
}

// Apply changes shop by the update and checks the result.
func (u *ShopUpdate) Apply(shop *Shop) error {
	var v Validation
	if u.Name != nil {
		shop.Name = strings.TrimSpace(*u.Name)
		if shop.Name == "" {
			v.Add("name", "is required")
		}
		checkLen(&v, "name", shop.Name)
	}
	if u.RedirectURIs != nil {
		shop.RedirectURIs = *u.RedirectURIs
	}
	if u.InitiateLoginURISet {
		shop.InitiateLoginURI = trimOptional(u.InitiateLoginURI)
	}
	if u.PostLogoutRedirectURIs != nil {
		shop.PostLogoutRedirectURIs = *u.PostLogoutRedirectURIs
	}
	if u.Disabled != nil {
		shop.Disabled = *u.Disabled
	}
	validateShopURIs(&v, shop.Public, shop.RedirectURIs, shop.InitiateLoginURI, shop.PostLogoutRedirectURIs)
	return v.Err()
}

func validateShopURIs(v *Validation, public bool, redirects []string, initiate *string, postLogout []string) {
	if len(redirects) == 0 {
		v.Add("redirectUris", "give at least one redirect URI")
	}
	if len(redirects) > MaxShopURIs {
		v.Add("redirectUris", "at most %d", MaxShopURIs)
	}
	for i, u := range redirects {
		if prob := ShopURIProblem(u, public); prob != "" {
			v.Add("redirectUris", "URI %d %s", i+1, prob)
		}
	}
	if initiate != nil {
		if prob := ShopURIProblem(*initiate, false); prob != "" {
			v.Add("initiateLoginUri", "%s", prob)
		}
	}
	if len(postLogout) > MaxShopURIs {
		v.Add("postLogoutRedirectUris", "at most %d", MaxShopURIs)
	}
	for i, u := range postLogout {
		if prob := ShopURIProblem(u, public); prob != "" {
			v.Add("postLogoutRedirectUris", "URI %d %s", i+1, prob)
		}
	}
}

// ShopURIProblem says what is wrong with a URI a shop registers for the
// browser to be sent to, or "" when nothing is: it must be an absolute
// http or https URL without a fragment or user info. Plain http is taken
// only on a loopback host for a public shop, whose code has no secret to
// protect it on the way.
func ShopURIProblem(s string, public bool) string {
	if prob := TextProblem(s); prob != "" {
		return prob
	}
	if len(s) > MaxShopURILen {
		return "is longer than " + strconv.Itoa(MaxShopURILen) + " characters"
	}
	if s != strings.TrimSpace(s) || strings.ContainsAny(s, " \t") {
		return "holds a space"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "must be an absolute http or https URL"
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return "must not have a fragment (#)"
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return "must not hold a user name or password"
	}
	if prob := urlAuthorityProblem(u); prob != "" {
		return prob
	}
	if u.Scheme == "http" && public && !loopbackHost(u.Hostname()) {
		return "must use https (plain http only on localhost for a public shop)"
	}
	return ""
}

// loopbackHost reports whether h, a URL's host without port or brackets,
// names this machine: "localhost" in any case, or an address of 127.0.0.0/8
// or ::1, written as IPv4, IPv6 or IPv4-mapped IPv6 (::ffff:127.0.0.1).
// Other names that may resolve to this machine (localhost., x.localhost)
// are not taken: where they lead is the resolver's choice, not the URL's.
func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}

// urlAuthorityProblem says what is wrong with the host and port of an
// absolute URL, or "": a host is named, without an IPv6 zone (which names
// an interface of the sender's machine), and a port is between 1 and 65535.
func urlAuthorityProblem(u *url.URL) string {
	h := u.Hostname()
	switch {
	case h == "":
		return "must name a host"
	case strings.Contains(h, "%"):
		return "must not name an IPv6 zone"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port out of range (1 to 65535)"
		}
	}
	return ""
}

// Audit events about shops (token_id empty; details name the shop).
const (
	EventShopCreated       = "shop.created"
	EventShopUpdated       = "shop.updated"
	EventShopSecretRotated = "shop.secret_rotated"
	EventShopDeleted       = "shop.deleted"
)

// ShopService keeps the shops that sign people in through the service's
// OpenID Provider.
type ShopService interface {
	FindShops(ctx context.Context) ([]*Shop, error)
	FindShopByID(ctx context.Context, id int64) (*Shop, error)
	// FindShopByClientID returns the shop of an OpenID Connect client id,
	// disabled or not, or NOT_FOUND.
	FindShopByClientID(ctx context.Context, clientID string) (*Shop, error)
	// CreateShop registers a shop; a confidential one's client secret is
	// answered this once ("" for a public shop).
	CreateShop(ctx context.Context, actor Actor, n NewShop) (*Shop, string, error)
	UpdateShop(ctx context.Context, actor Actor, id int64, upd ShopUpdate) (*Shop, error)
	// RotateShopSecret gives a confidential shop a new client secret; the
	// old one stops working at once. A public shop has none (CONFLICT).
	RotateShopSecret(ctx context.Context, actor Actor, id int64) (*Shop, string, error)
	// DeleteShop removes a shop that no token is bound to (else CONFLICT:
	// its tokens would sign in everywhere).
	DeleteShop(ctx context.Context, actor Actor, id int64) error
	// AuthenticateShop checks a client id and secret: an unknown client,
	// a wrong secret, a public or a disabled shop are one UNAUTHENTICATED
	// answer.
	AuthenticateShop(ctx context.Context, clientID, secret string) (*Shop, error)
}
