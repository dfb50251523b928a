package logintokens

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// UserType says whom a token signs in.
type UserType string

const (
	UserContact   UserType = "contact"
	UserCustomer  UserType = "customer"
	UserAnonymous UserType = "anonymous"
)

// Valid reports whether t is one of the three user types.
func (t UserType) Valid() bool {
	return t == UserContact || t == UserCustomer || t == UserAnonymous
}

// TokenStatus is derived from a token and the time; it is never stored.
type TokenStatus string

const (
	StatusActive  TokenStatus = "active"
	StatusExpired TokenStatus = "expired"
	StatusUsed    TokenStatus = "used"
)

// Valid reports whether s is one of the three statuses.
func (s TokenStatus) Valid() bool {
	return s == StatusActive || s == StatusExpired || s == StatusUsed
}

// Limits on what a token carries.
const (
	MaxExtraLines    = 50
	MaxExtraLineLen  = 500
	MaxBulkDeleteIDs = 1000
	// MaxNetworks bounds the client networks of one token.
	MaxNetworks = 50
)

// LoginToken is a token as the API shows it: never its value.
type LoginToken struct {
	ID        string     `json:"id"`
	Type      UserType   `json:"type"`
	User      *UserRef   `json:"user"`
	ExpiresAt *time.Time `json:"expiresAt"`
	// MaxUses is how many successful sign-ins the token gives; nil = no
	// limit. OneTimeUse is its read-only alias: MaxUses == 1.
	MaxUses    *int64 `json:"maxUses"`
	OneTimeUse bool   `json:"oneTimeUse"`
	// Networks are the client networks (CIDR, normalised) a redeem must
	// come from; empty = any address.
	Networks           []string    `json:"networks"`
	Extra              []string    `json:"extra"`
	Status             TokenStatus `json:"status"`
	SuccessfulAttempts int64       `json:"successfulAttempts"`
	FailedAttempts     int64       `json:"failedAttempts"`
	LastAccessedAt     *time.Time  `json:"lastAccessedAt"`
	CreatedAt          time.Time   `json:"createdAt"`
	UpdatedAt          time.Time   `json:"updatedAt"`
	CreatedBy          string      `json:"createdBy"`
	// ImpersonatedBy names Act's staff member ("staff:1") in the API
	// resource, read-only; null for every other token.
	ImpersonatedBy *string `json:"impersonatedBy"`
	// ShopID is the shop the token is bound to: it signs in only there.
	// Null for a token that signs in at any shop.
	ShopID *int64 `json:"shopId"`
	// Act is the staff member the token was made for when staff open the
	// shop as its user; the redeem puts them in the audit trail and the
	// JWT's act claim. It is set when the token is made and never changes,
	// and a token that carries it is immutable (see Changeable).
	Act *Impersonator `json:"-"`
}

// SetAct records the impersonating staff member of a token, and with it
// the resource's impersonatedBy.
func (t *LoginToken) SetAct(act *Impersonator) {
	t.Act, t.ImpersonatedBy = act, nil
	if act != nil {
		sub := act.Sub
		t.ImpersonatedBy = &sub
	}
}

// Changeable returns nil when the token may be changed, regenerated or
// revealed, and a CONFLICT error saying why not and what to do when it
// carries an impersonator. Such a token names its staff member in every
// sign-in it makes (audit trail, the JWT's act claim): made again reusable,
// given a longer life, another user or a new value, or revealed, it would
// let whoever holds it act as that staff member. So it is immutable: it
// can only be deleted, and staff open the webshop again for a new one.
func (t *LoginToken) Changeable() error {
	if t.Act == nil {
		return nil
	}
	by := t.Act.Sub
	if t.Act.Name != "" {
		by = t.Act.Name + " (" + t.Act.Sub + ")"
	}
	return Errorf(ECONFLICT, "login token %s was made by %s with “Open webshop as” and names them in every sign-in, "+
		"so it cannot be changed, revealed or regenerated: delete it, and use “Open webshop as” again for a new one", t.ID, by)
}

// SetMaxUses sets the uses allowed and with them the oneTimeUse alias.
func (t *LoginToken) SetMaxUses(n *int64) {
	t.MaxUses, t.OneTimeUse = n, n != nil && *n == 1
}

// UsedUp reports whether the token has given all the successful sign-ins
// it allows.
func (t *LoginToken) UsedUp() bool {
	return t.MaxUses != nil && t.SuccessfulAttempts >= *t.MaxUses
}

// StatusAt is the token's status at now: used (its uses allowed all
// spent), else expired (expiresAt reached), else active.
func (t *LoginToken) StatusAt(now time.Time) TokenStatus {
	switch {
	case t.UsedUp():
		return StatusUsed
	case ExpiredAt(t.ExpiresAt, now):
		return StatusExpired
	default:
		return StatusActive
	}
}

// ExpiredAt reports whether an expiry has been reached at now. A token
// expires at the instant expiresAt, so setting expiresAt to now revokes it.
func ExpiredAt(expiresAt *time.Time, now time.Time) bool {
	return expiresAt != nil && !now.Before(*expiresAt)
}

// RedeemCheck is what the store knows about a presented token once the id
// was found; Outcome applies the redeem outcomes' order to it (docs/api.md).
type RedeemCheck struct {
	SecretOK   bool
	Token      *LoginToken
	UserActive bool // false when the token's contact or customer is deleted or disabled
	// WrongShop: the token is bound to another shop than the sign-in's
	// (RedeemRequest.ShopAllows).
	WrongShop bool
	// ClientIP is the address the redeem came from (RedeemRequest.ClientIP),
	// checked against the token's networks.
	ClientIP string
}

// Outcome returns "" for a success, else the redeem error code, checked in
// the documented order: secret, client network, used, expired, user
// disabled. A token bound to another shop is as invalid as a wrong secret:
// elsewhere it signs nobody in, and the answer tells nothing of where it
// would. The network comes right after the secret so that a client outside
// the token's networks learns nothing more of the token (used, expired,
// its user) than that it may not use it from there.
func (c RedeemCheck) Outcome(now time.Time) string {
	switch {
	case !c.SecretOK || c.WrongShop:
		return ETOKENINVALID
	case !NetworksAllow(c.Token.Networks, c.ClientIP):
		return ENETWORKREFUSED
	case c.Token.UsedUp():
		return ETOKENUSED
	case ExpiredAt(c.Token.ExpiresAt, now):
		return ETOKENEXPIRED
	case c.Token.Type != UserAnonymous && !c.UserActive:
		return EUSERDISABLED
	}
	return ""
}

// RedeemOutcomeMessage explains a redeem failure to a person.
func RedeemOutcomeMessage(code string) string {
	switch code {
	case ETOKENINVALID:
		return "the login token is not valid"
	case ENETWORKREFUSED:
		return "the login token may not be used from this network"
	case ETOKENUSED:
		return "the login token has been used as many times as it allows"
	case ETOKENEXPIRED:
		return "the login token has expired"
	case EUSERDISABLED:
		return "the account of this login token is disabled"
	case ERATELIMITED:
		return "too many failed attempts; try again in a minute"
	}
	return code
}

// NewToken holds what a new token is created from.
type NewToken struct {
	ContactID  *int64     `json:"contactId"`
	CustomerID *int64     `json:"customerId"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	// MaxUses is the successful sign-ins the token gives (nil: no limit).
	MaxUses *int64 `json:"maxUses"`
	// OneTimeUse is the older way to say MaxUses 1, still taken.
	OneTimeUse bool `json:"oneTimeUse"`
	// Networks are CIDR ranges a redeem must come from (empty: any).
	Networks []string `json:"networks"`
	Extra    []string `json:"extra"`
	// ShopID binds the token to one shop (nil: any shop).
	ShopID    *int64 `json:"shopId"`
	CreatedBy string `json:"-"`
	// Act, when staff open the shop as the user: never from API input.
	Act *Impersonator `json:"-"`
}

// Validate checks a new token at now: at most one user, an expiry in the
// future, a bounded extra.
func (n *NewToken) Validate(now time.Time) error {
	var v Validation
	if n.ContactID != nil && n.CustomerID != nil {
		v.Add("customerId", "give contactId or customerId, not both")
	}
	if n.ContactID != nil && *n.ContactID <= 0 {
		v.Add("contactId", "must be a positive id")
	}
	if n.CustomerID != nil && *n.CustomerID <= 0 {
		v.Add("customerId", "must be a positive id")
	}
	if n.ShopID != nil && *n.ShopID <= 0 {
		v.Add("shopId", "must be a positive id")
	}
	if n.ExpiresAt != nil && !n.ExpiresAt.After(now) {
		v.Add("expiresAt", "must be in the future")
	}
	validateExpiry(&v, n.ExpiresAt)
	validateMaxUses(&v, n.MaxUses)
	if n.OneTimeUse && n.MaxUses != nil && *n.MaxUses != 1 {
		v.Add("oneTimeUse", "true means maxUses 1, which conflicts with maxUses %d: give maxUses alone", *n.MaxUses)
	}
	if _, err := NormalizeNetworks(n.Networks); err != nil {
		v.Merge(err)
	}
	if n.Act != nil && (n.Act.Sub == "" || n.Type() == UserAnonymous) {
		v.Add("act", "impersonation needs the staff member and a contact or customer")
	}
	validateExtra(&v, n.Extra)
	return v.Err()
}

// Uses is the uses allowed the new token will have: MaxUses, or 1 for
// OneTimeUse.
func (n *NewToken) Uses() *int64 {
	if n.MaxUses == nil && n.OneTimeUse {
		return new(int64(1))
	}
	return n.MaxUses
}

// Type is the user type the new token will have.
func (n *NewToken) Type() UserType {
	switch {
	case n.ContactID != nil:
		return UserContact
	case n.CustomerID != nil:
		return UserCustomer
	}
	return UserAnonymous
}

func validateExtra(v *Validation, extra []string) {
	if len(extra) > MaxExtraLines {
		v.Add("extra", "at most %d lines", MaxExtraLines)
	}
	for i, line := range extra {
		switch {
		case !utf8.ValidString(line):
			v.Add("extra", "line %d is not valid UTF-8", i+1)
		case utf8.RuneCountInString(line) > MaxExtraLineLen:
			v.Add("extra", "line %d is longer than %d characters", i+1, MaxExtraLineLen)
		case strings.ContainsAny(line, "\r\n"):
			v.Add("extra", "line %d holds a line break: give one entry per line", i+1)
		case StoredTextProblem(line) != "":
			v.Add("extra", "line %d %s", i+1, StoredTextProblem(line))
		}
	}
}

// NormalizeExtra trims lines and drops empty ones: the backoffice edits
// extra one entry per line, so blank lines carry nothing.
func NormalizeExtra(extra []string) []string {
	out := make([]string, 0, len(extra))
	for _, line := range extra {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// TokenUpdate is a merge patch of a token: nil fields stay as they are.
// ExpiresAtSet with a nil ExpiresAt means "never expires".
type TokenUpdate struct {
	ExpiresAtSet bool
	ExpiresAt    *time.Time
	// MaxUsesSet with a nil MaxUses means "no limit".
	MaxUsesSet bool
	MaxUses    *int64
	// OneTimeUse is the older way to change the uses allowed: true sets
	// them to 1, false lifts a limit of 1 (another limit stays).
	OneTimeUse *bool
	// Networks replaces the token's networks; an empty list binds it to
	// none (any address).
	Networks *[]string
	Extra    *[]string
	// The user: at most one of these; changing the user regenerates the value.
	ContactID  *int64
	CustomerID *int64
	Anonymous  bool
	// ShopIDSet with a nil ShopID unbinds the token from its shop.
	ShopIDSet bool
	ShopID    *int64
}

// Validate checks the update.
func (u *TokenUpdate) Validate() error {
	var v Validation
	n := 0
	if u.ContactID != nil {
		n++
		if *u.ContactID <= 0 {
			v.Add("contactId", "must be a positive id")
		}
	}
	if u.CustomerID != nil {
		n++
		if *u.CustomerID <= 0 {
			v.Add("customerId", "must be a positive id")
		}
	}
	if u.Anonymous {
		n++
	}
	if n > 1 {
		v.Add("user", "give only one of contactId, customerId and anonymous")
	}
	if u.Extra != nil {
		validateExtra(&v, *u.Extra)
	}
	if u.ShopID != nil && *u.ShopID <= 0 {
		v.Add("shopId", "must be a positive id")
	}
	validateExpiry(&v, u.ExpiresAt)
	validateMaxUses(&v, u.MaxUses)
	if u.OneTimeUse != nil && u.MaxUsesSet && *u.OneTimeUse != (u.MaxUses != nil && *u.MaxUses == 1) {
		v.Add("oneTimeUse", "conflicts with maxUses: oneTimeUse true is maxUses 1; give maxUses alone")
	}
	if u.Networks != nil {
		if _, err := NormalizeNetworks(*u.Networks); err != nil {
			v.Merge(err)
		}
	}
	return v.Err()
}

func validateMaxUses(v *Validation, n *int64) {
	if n != nil && *n < 1 {
		v.Add("maxUses", "must be a whole number, 1 or more, or null for no limit")
	}
}

// validateExpiry refuses an expiry RFC 3339 cannot write (a UTC year
// outside 0 to 9999): neither the token's JSON nor its audit event could
// carry it.
func validateExpiry(v *Validation, t *time.Time) {
	if t != nil && (t.UTC().Year() < 0 || t.UTC().Year() > 9999) {
		v.Add("expiresAt", "must be a time between the years 0 and 9999 (UTC)")
	}
}

// ChangesUser reports whether the update names a user.
func (u *TokenUpdate) ChangesUser() bool {
	return u.ContactID != nil || u.CustomerID != nil || u.Anonymous
}

// IssuedToken is a token together with its value, answered only when a value
// is created, regenerated or revealed.
type IssuedToken struct {
	*LoginToken
	Value string `json:"value"`
}

// TokenValue is the answer of a reveal.
type TokenValue struct {
	ID    string
	Value string
}

// RedeemRequest is one presentation of a token value.
type RedeemRequest struct {
	Value     string
	ClientIP  string
	UserAgent string
	Actor     string // who presents it: "apikey:<id>", "login" (the browser's /login) or "oci" (the punchout entry)
	// Impersonator, when staff open the shop as the token's user.
	Impersonator string
	// ShopID is the shop the sign-in is for: an OpenID Connect shop's id,
	// or 0 for the form-post integration (the API's redeem). AnyShop is
	// set where the sign-in goes on to the token's own shop, whichever it
	// is (the login link and the OCI entry).
	ShopID  int64
	AnyShop bool
}

// ShopAllows reports whether tok may sign in for this request: a token
// bound to a shop signs in only at that shop, an unbound one anywhere.
func (r RedeemRequest) ShopAllows(tok *LoginToken) bool {
	return tok.ShopID == nil || r.AnyShop || *tok.ShopID == r.ShopID
}

// RedeemResult is the outcome of a redeem. Code is "" on success; Token is
// set whenever the id existed (success or failure).
type RedeemResult struct {
	Code  string
	Token *LoginToken
}

// IsRedeemCode reports whether code is one of the redeem refusals.
func IsRedeemCode(code string) bool {
	switch code {
	case ETOKENINVALID, ENETWORKREFUSED, ETOKENUSED, ETOKENEXPIRED, EUSERDISABLED, ERATELIMITED:
		return true
	}
	return false
}

// TokenService keeps the login tokens and their audit trails. A token's
// value is answered only where a value is made or revealed (IssuedToken,
// RevealToken); every change is audited as actor.
type TokenService interface {
	// FindTokens lists the tokens matching f, with the total found.
	FindTokens(ctx context.Context, f TokenFilter) ([]*LoginToken, int, error)
	// StreamTokens calls fn for every token matching f, in f's order,
	// without paging (for exports).
	StreamTokens(ctx context.Context, f TokenFilter, fn func(*LoginToken) error) error
	FindTokenByID(ctx context.Context, id string) (*LoginToken, error)
	CreateToken(ctx context.Context, actor Actor, n NewToken) (*IssuedToken, error)
	// UpdateToken applies a merge patch; when the user changes, the value
	// is regenerated and answered, else value is "".
	UpdateToken(ctx context.Context, actor Actor, id string, upd TokenUpdate) (tok *LoginToken, value string, err error)
	RegenerateToken(ctx context.Context, actor Actor, id string) (*IssuedToken, error)
	DeleteToken(ctx context.Context, actor Actor, id string) error
	// DeleteTokens deletes all of ids or, when one is unknown, none.
	DeleteTokens(ctx context.Context, actor Actor, ids []string) (int, error)
	RevealToken(ctx context.Context, actor Actor, id string, purpose string) (string, error)
	// LookupToken finds the token a value belongs to.
	LookupToken(ctx context.Context, value string) (*LoginToken, error)
	// FindTokenEvents lists a token's audit trail, newest first, with the
	// total.
	FindTokenEvents(ctx context.Context, tokenID string, page, size int) ([]*Event, int, error)
}
