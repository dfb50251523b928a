package logintokens

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Area is what a grant is about.
type Area string

const (
	AreaConfiguration Area = "configuration"
	AreaUsers         Area = "users"
)

// Holds says what an area's grant is about, for the messages that refuse
// one: login tokens are configuration, though the backoffice lists them
// under Users.
func (a Area) Holds() string {
	switch a {
	case AreaConfiguration:
		return "login tokens, shops, API keys, webhooks and settings"
	case AreaUsers:
		return "companies, contacts and customers"
	}
	return ""
}

// Level orders what a grant allows; a higher level includes the lower ones.
type Level int

const (
	LevelNone Level = iota
	LevelViewer
	LevelEditor
	LevelOwner
)

var levelNames = map[Level]string{LevelViewer: "viewer", LevelEditor: "editor", LevelOwner: "owner"}

func (l Level) String() string { return levelNames[l] }

// Grant is one AREA:LEVEL permission.
type Grant struct {
	Area  Area
	Level Level
}

func (g Grant) String() string { return string(g.Area) + ":" + g.Level.String() }

// ParseGrant parses "configuration:editor" and the like.
func ParseGrant(s string) (Grant, error) {
	area, level, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Grant{}, fmt.Errorf("grant %s: want AREA:LEVEL, such as configuration:editor", QuoteInput(s))
	}
	g := Grant{Area: Area(area)}
	if g.Area != AreaConfiguration && g.Area != AreaUsers {
		return Grant{}, fmt.Errorf("grant %s: area must be configuration or users", QuoteInput(s))
	}
	for l, name := range levelNames {
		if name == level {
			g.Level = l
		}
	}
	if g.Level == LevelNone {
		return Grant{}, fmt.Errorf("grant %s: level must be viewer, editor or owner", QuoteInput(s))
	}
	return g, nil
}

// Grants is a set of grants, at most one level per area.
type Grants map[Area]Level

// ParseGrants parses a list of grant strings; the highest level per area wins.
func ParseGrants(list []string) (Grants, error) {
	gs := Grants{}
	for _, s := range list {
		g, err := ParseGrant(s)
		if err != nil {
			return nil, err
		}
		gs.Add(g)
	}
	return gs, nil
}

// Add adds g, keeping the higher level of an area.
func (gs Grants) Add(g Grant) {
	if g.Level > gs[g.Area] {
		gs[g.Area] = g.Level
	}
}

// Allows reports whether the grants include the area at least at level.
func (gs Grants) Allows(area Area, level Level) bool { return gs[area] >= level }

// Covers reports whether gs holds every grant of other at the same or a
// higher level. It is the one rule for handing out grants: a caller (an
// API key or a staff member) may give an API key or a staff member only
// grants it holds itself, and may change, disable, enable or reset the
// password of only a staff member whose grants it covers, and revoke only
// an API key whose grants it covers (CheckManage). The CLI runs as the
// operator and is not bound by it.
func (gs Grants) Covers(other Grants) bool { return len(gs.Beyond(other)) == 0 }

// Beyond is the grants of other above gs's level in their area.
func (gs Grants) Beyond(other Grants) Grants {
	out := Grants{}
	for a, l := range other {
		if l > gs[a] {
			out[a] = l
		}
	}
	return out
}

// CheckHandOut returns nil when a caller holding gs may hand out other,
// else a FORBIDDEN error that names the grants it cannot hand out, as a
// field error of "grants".
func (gs Grants) CheckHandOut(other Grants) error {
	beyond := gs.Beyond(other)
	if len(beyond) == 0 {
		return nil
	}
	msg := fmt.Sprintf("you cannot hand out %s: you may only give grants you hold yourself, and yours are %s", beyond, gs)
	return &Error{Code: EFORBIDDEN, Message: "grants: " + msg, Fields: []FieldError{{Field: "grants", Message: msg}}}
}

// CheckManage returns nil when a caller holding gs may act on another
// principal holding target: change the grants of, disable, enable or reset
// the password of a staff member, revoke an API key. Else it is a
// FORBIDDEN error naming the grants above the caller's; what names the
// principal ("staff member", "API key").
func (gs Grants) CheckManage(what string, target Grants) error {
	beyond := gs.Beyond(target)
	if len(beyond) == 0 {
		return nil
	}
	return Errorf(EFORBIDDEN, "this %s holds %s, above your own grants (%s): only someone who holds all of its grants can change, disable, enable or revoke it or reset its password",
		what, beyond, gs)
}

// String is the grants as a person reads them: "configuration:owner,
// users:viewer", or "none".
func (gs Grants) String() string {
	if s := gs.Strings(); len(s) > 0 {
		return strings.Join(s, ", ")
	}
	return "none"
}

// Strings lists the grants sorted, as "area:level".
func (gs Grants) Strings() []string {
	out := make([]string, 0, len(gs))
	for a, l := range gs {
		if l > LevelNone {
			out = append(out, Grant{a, l}.String())
		}
	}
	sort.Strings(out)
	return out
}

// AllGrants is every area at owner level, as the first admin has.
func AllGrants() Grants {
	return Grants{AreaConfiguration: LevelOwner, AreaUsers: LevelOwner}
}

// Staff is a backoffice user.
type Staff struct {
	ID                 int64  `json:"id"`
	Email              string `json:"email"`
	Name               string `json:"name"`
	Grants             Grants `json:"-"`
	MustChangePassword bool   `json:"mustChangePassword"`
	Disabled           bool   `json:"disabled"`
	// TwoFactor says whether the staff member signs in with an
	// authenticator's code after the password.
	TwoFactor    bool       `json:"twoFactor"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	LastSignInAt *time.Time `json:"lastSignInAt"`
}

// Actor names staff in the audit trail and in createdBy.
func (s *Staff) Actor() string { return fmt.Sprintf("staff:%d", s.ID) }

// NewStaff holds what a staff member is created from; Password is hashed by
// the store and never kept.
type NewStaff struct {
	Email              string
	Name               string
	Grants             Grants
	Password           string
	MustChangePassword bool
}

// APIKeyKind says what an API key is for.
type APIKeyKind string

const (
	// KeyAdmin keys call the admin API with their grants.
	KeyAdmin APIKeyKind = "admin"
	// KeyWebshop keys may only redeem tokens.
	KeyWebshop APIKeyKind = "webshop"
)

// APIKey is an API key without its secret.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Kind       APIKeyKind `json:"kind"`
	Grants     Grants     `json:"-"`
	CreatedAt  time.Time  `json:"createdAt"`
	CreatedBy  string     `json:"createdBy"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// Actor names the key in the audit trail.
func (k *APIKey) Actor() string { return "apikey:" + k.ID }

// NewAPIKey holds what an API key is created from.
type NewAPIKey struct {
	Name      string
	Kind      APIKeyKind
	Grants    Grants
	CreatedBy string
}

// Validate checks a new key: webshop keys carry no grants, admin keys some.
func (n *NewAPIKey) Validate() error {
	var v Validation
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		v.Add("name", "is required")
	}
	checkLen(&v, "name", n.Name)
	switch n.Kind {
	case KeyWebshop:
		if len(n.Grants) > 0 {
			v.Add("grants", "a webshop key may only redeem tokens and takes no grants")
		}
	case KeyAdmin:
		if len(n.Grants) == 0 {
			v.Add("grants", "an admin key needs at least one grant")
		}
	default:
		v.Add("kind", "must be admin or webshop")
	}
	return v.Err()
}

// ValidateStaff normalizes and checks a new staff member.
func (n *NewStaff) Validate() error {
	var v Validation
	p := Person{LastName: n.Name, Email: n.Email}
	p.Normalize()
	n.Email, n.Name = p.Email, p.LastName
	if n.Name == "" {
		n.Name = n.Email
	}
	if n.Email == "" {
		v.Add("email", "is required")
	} else if prob := StoredTextProblem(n.Email); prob != "" {
		v.Add("email", "%s", prob)
	} else if !strings.Contains(n.Email, "@") || strings.ContainsAny(n.Email, " <>") {
		v.Add("email", "is not an email address")
	}
	checkLen(&v, "name", n.Name)
	if len(n.Password) < MinPasswordLen {
		v.Add("password", "must be at least %d characters", MinPasswordLen)
	}
	if slices.Contains([]string{"password", "changeme"}, strings.ToLower(n.Password)) {
		v.Add("password", "is too common")
	}
	return v.Err()
}

// MinPasswordLen is the shortest staff password accepted.
const MinPasswordLen = 12

// Session is a signed-in staff member's backoffice session.
type Session struct {
	Staff      *Staff
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// Session lifetimes: a session ends after SessionIdle without use, and
// after SessionMax in any case.
const (
	SessionIdle = 2 * time.Hour
	SessionMax  = 12 * time.Hour
)

// StaffUpdate is a patch of a staff member: nil fields stay.
type StaffUpdate struct {
	Name     *string
	Grants   *Grants
	Disabled *bool
}

// Validate trims the name and checks it as a new staff member's.
func (u *StaffUpdate) Validate() error {
	if u.Name == nil {
		return nil
	}
	var v Validation
	name := strings.TrimSpace(*u.Name)
	u.Name = &name
	if name == "" {
		v.Add("name", "is required")
	}
	checkLen(&v, "name", name)
	return v.Err()
}

// Audit event types about staff and keys (token_id empty).
const (
	EventStaffSignedIn     = "staff.signed_in"
	EventStaffSignInFailed = "staff.sign_in_failed"
	EventStaffSignedOut    = "staff.signed_out"
	EventStaffPassword     = "staff.password_changed"
	EventStaffCreated      = "staff.created"
	EventStaffUpdated      = "staff.updated"
	EventAPIKeyCreated     = "apikey.created"
	EventAPIKeyRevoked     = "apikey.revoked"

	// EventStaffPasswordChangeFailed is a change of password refused
	// because the current password was wrong.
	EventStaffPasswordChangeFailed = "staff.password_change_failed"
)

// StaffService keeps the backoffice's staff members, their passwords and
// their sessions.
type StaffService interface {
	FindStaff(ctx context.Context) ([]*Staff, error)
	FindStaffByID(ctx context.Context, id int64) (*Staff, error)
	CreateStaff(ctx context.Context, n NewStaff) (*Staff, error)
	UpdateStaff(ctx context.Context, id int64, upd StaffUpdate) (*Staff, error)
	// AuthenticateStaff checks an email and password: an unknown email, a
	// wrong password and a disabled account are one UNAUTHENTICATED answer.
	AuthenticateStaff(ctx context.Context, email, password string) (*Staff, error)
	SetStaffPassword(ctx context.Context, id int64, password string, mustChange bool) error

	// CreateSession starts a session and returns its cookie value.
	CreateSession(ctx context.Context, staffID int64, clientIP, userAgent string) (string, error)
	// FindSession returns the live session of a cookie value.
	FindSession(ctx context.Context, value string) (*Session, error)
	DeleteSession(ctx context.Context, value string) error
	// DeleteStaffSessions ends every session of a staff member but keep
	// (a cookie value, "" for none).
	DeleteStaffSessions(ctx context.Context, staffID int64, keep string) error
}

// APIKeyService keeps the API keys.
type APIKeyService interface {
	// AuthenticateAPIKey returns the active key a value belongs to, or
	// UNAUTHENTICATED.
	AuthenticateAPIKey(ctx context.Context, value string) (*APIKey, error)
	// CreateAPIKey returns the new key with its value, shown this once.
	CreateAPIKey(ctx context.Context, n NewAPIKey) (*APIKey, string, error)
	FindAPIKeys(ctx context.Context) ([]*APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
}

// RevokeAPIKeyAs revokes the key id for a caller holding by, and returns
// it: only a key whose grants by covers (CheckManage), so that nobody can
// cut off a key above their own grants. An unknown id is NOT_FOUND. A
// key's grants never change, so checking them before the revoke is safe.
func RevokeAPIKeyAs(ctx context.Context, keys APIKeyService, by Grants, id string) (*APIKey, error) {
	all, err := keys.FindAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(k *APIKey) bool { return k.ID == id })
	if i < 0 {
		return nil, Errorf(ENOTFOUND, "no API key with id %s", QuoteInput(id))
	}
	if err := by.CheckManage("API key", all[i].Grants); err != nil {
		return nil, err
	}
	if err := keys.RevokeAPIKey(ctx, id); err != nil {
		return nil, err
	}
	return all[i], nil
}
