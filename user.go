package logintokens

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Company is a B2B customer organisation; contacts belong to one.
type Company struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	ExternalID *string    `json:"externalId"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	DeletedAt  *time.Time `json:"-"`
}

// Person is what contacts and customers share: someone who signs in with
// a login token. Contact and Customer embed it after their ids, so their
// JSON reads id, [companyId,] firstName, ... updatedAt.
type Person struct {
	FirstName  string  `json:"firstName"`
	LastName   string  `json:"lastName"`
	Email      string  `json:"email"`
	ExternalID *string `json:"externalId"`
	Disabled   bool    `json:"disabled"`
	// Language is the language the person reads, one of MailLanguages;
	// "" when not known (their shop's language stands for it).
	Language  string     `json:"language"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	DeletedAt *time.Time `json:"-"`
}

// Contact is a B2B user: a person of one company.
type Contact struct {
	ID        int64 `json:"id"`
	CompanyID int64 `json:"companyId"`
	Person
}

// Customer is a B2C user: a person without a company.
type Customer struct {
	ID int64 `json:"id"`
	Person
}

// PersonKind is a contact or a customer: the code that handles a person
// is written once, generic over it.
type PersonKind interface{ Contact | Customer }

// PersonParts returns pointers into r: its id, its company id (nil for a
// customer) and its person.
func PersonParts[T PersonKind](r *T) (id, companyID *int64, p *Person) {
	switch r := any(r).(type) {
	case *Contact:
		return &r.ID, &r.CompanyID, &r.Person
	case *Customer:
		return &r.ID, nil, &r.Person
	}
	panic("logintokens: not a person kind")
}

// CompanyRef is a company as a token's user shows it.
type CompanyRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// UserRef is a token's user, or a user search hit.
type UserRef struct {
	Type    UserType    `json:"type"`
	ID      int64       `json:"id"`
	Name    string      `json:"name"`
	Email   string      `json:"email"`
	Company *CompanyRef `json:"company"`
}

// FullName joins first and last name.
func FullName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

// Limits on directory fields.
const maxNameLen = 200

// Normalize trims the names and external id and lowercases the email.
func (p *Person) Normalize() {
	p.FirstName = strings.TrimSpace(p.FirstName)
	p.LastName = strings.TrimSpace(p.LastName)
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	p.ExternalID = trimOptional(p.ExternalID)
	p.Language = NormalizeLanguage(p.Language)
}

// NormalizeLanguage trims a language tag and writes it in lowercase, as
// MailLanguages are ("DE" is "de").
func NormalizeLanguage(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// LanguageProblem says what is wrong with a person's language after
// NormalizeLanguage, or "": it is empty (not known) or one of
// MailLanguages.
func LanguageProblem(s string) string {
	if s == "" || ValidMailLanguage(s) {
		return ""
	}
	return "must be one of " + strings.Join(MailLanguages, ", ") + ", or empty when not known"
}

// Validate checks a person's fields after Normalize.
func (p *Person) Validate(v *Validation) {
	if p.FirstName == "" && p.LastName == "" {
		v.Add("lastName", "a first or last name is required")
	}
	checkLen(v, "firstName", p.FirstName)
	checkLen(v, "lastName", p.LastName)
	if p.Email == "" {
		v.Add("email", "is required")
	} else if prob := StoredTextProblem(p.Email); prob != "" {
		v.Add("email", "%s", prob)
	} else if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
		v.Add("email", "is not an email address")
	}
	if p.ExternalID != nil {
		checkLen(v, "externalId", *p.ExternalID)
	}
	if prob := LanguageProblem(p.Language); prob != "" {
		v.Add("language", "%s", prob)
	}
}

// ValidateCompany normalizes and checks a company's fields.
func ValidateCompany(name *string, externalID **string) error {
	var v Validation
	*name = strings.TrimSpace(*name)
	*externalID = trimOptional(*externalID)
	if *name == "" {
		v.Add("name", "is required")
	}
	checkLen(&v, "name", *name)
	if *externalID != nil {
		checkLen(&v, "externalId", **externalID)
	}
	return v.Err()
}

// checkLen checks a one-line text field: fit to store (StoredTextProblem),
// at most maxNameLen characters.
func checkLen(v *Validation, field, s string) {
	if prob := StoredTextProblem(s); prob != "" {
		v.Add(field, "%s", prob)
	} else if utf8.RuneCountInString(s) > maxNameLen {
		v.Add(field, "is longer than %d characters", maxNameLen)
	}
}

func trimOptional(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}

// DirectoryFilter selects companies, contacts or customers.
type DirectoryFilter struct {
	Q         string // case-insensitive text in name, email or external id
	CompanyID *int64 // contacts only
	Page      int
	PageSize  int
}

// CompanyUpdate is a patch of a company: nil fields stay.
type CompanyUpdate struct {
	Name       *string
	ExternalID **string
}

// PersonUpdate is a patch of a contact or customer: nil fields stay.
// CompanyID applies to contacts only.
type PersonUpdate struct {
	CompanyID  *int64
	FirstName  *string
	LastName   *string
	Email      *string
	ExternalID **string
	Disabled   *bool
	Language   *string
}

// ApplyPerson sets the fields of upd that are not nil on r; CompanyID
// applies to a contact only.
func ApplyPerson[T PersonKind](r *T, upd PersonUpdate) {
	_, companyID, p := PersonParts(r)
	set(&p.FirstName, upd.FirstName)
	set(&p.LastName, upd.LastName)
	set(&p.Email, upd.Email)
	set(&p.ExternalID, upd.ExternalID)
	set(&p.Disabled, upd.Disabled)
	set(&p.Language, upd.Language)
	if companyID != nil {
		set(companyID, upd.CompanyID)
	}
}

// set sets *dst to *v unless v is nil.
func set[V any](dst *V, v *V) {
	if v != nil {
		*dst = *v
	}
}

// ContactImport is one row of a contact or customer import. Rows upsert by
// externalId, else by email. Contacts name their company by CompanyID or
// CompanyExternalID; customers leave both empty.
type ContactImport struct {
	Row               int     `json:"-"`
	CompanyID         *int64  `json:"companyId"`
	CompanyExternalID *string `json:"companyExternalId"`
	FirstName         string  `json:"firstName"`
	LastName          string  `json:"lastName"`
	Email             string  `json:"email"`
	ExternalID        *string `json:"externalId"`
	Disabled          *bool   `json:"disabled"`
	Language          *string `json:"language"`
}

// ImportFailure is a row an import could not take; rows count from 1, the
// first data row (a CSV header is not counted).
type ImportFailure struct {
	Row     int    `json:"row"`
	Message string `json:"message"`
}

// ImportResult sums up an import.
type ImportResult struct {
	Created int             `json:"created"`
	Updated int             `json:"updated"`
	Failed  []ImportFailure `json:"failed"`
}

// DirectoryService keeps the directory: companies, the people who sign in
// (contacts and customers), their imports and the user search. Nothing in
// it is removed: a delete hides the record, so tokens and their history
// keep their user.
type DirectoryService interface {
	CreateCompany(ctx context.Context, c *Company) error
	FindCompanyByID(ctx context.Context, id int64) (*Company, error)
	FindCompanies(ctx context.Context, f DirectoryFilter) ([]*Company, int, error)
	UpdateCompany(ctx context.Context, id int64, upd CompanyUpdate) (*Company, error)
	// DeleteCompany deletes a company without contacts, else CONFLICT.
	DeleteCompany(ctx context.Context, id int64) error

	CreateContact(ctx context.Context, c *Contact) error
	FindContactByID(ctx context.Context, id int64) (*Contact, error)
	FindContacts(ctx context.Context, f DirectoryFilter) ([]*Contact, int, error)
	UpdateContact(ctx context.Context, id int64, upd PersonUpdate) (*Contact, error)
	DeleteContact(ctx context.Context, id int64) error

	CreateCustomer(ctx context.Context, c *Customer) error
	FindCustomerByID(ctx context.Context, id int64) (*Customer, error)
	FindCustomers(ctx context.Context, f DirectoryFilter) ([]*Customer, int, error)
	UpdateCustomer(ctx context.Context, id int64, upd PersonUpdate) (*Customer, error)
	DeleteCustomer(ctx context.Context, id int64) error

	// ImportContacts and ImportCustomers upsert rows by externalId, else
	// by email; a bad row fails alone.
	ImportContacts(ctx context.Context, rows []ContactImport) (ImportResult, error)
	ImportCustomers(ctx context.Context, rows []ContactImport) (ImportResult, error)

	// SearchUsers finds contacts and customers by name, email or company,
	// for the user picker.
	SearchUsers(ctx context.Context, q string, limit int) ([]*UserRef, error)
	// FindUsers returns the contacts and customers of the ids, at most
	// MaxFindUsers in all, as the user picker shows them, in no given
	// order: one call for a page's people. The deleted and the unknown are
	// left out.
	FindUsers(ctx context.Context, contactIDs, customerIDs []int64) ([]*UserRef, error)
}

// MaxFindUsers bounds the ids of one FindUsers call.
const MaxFindUsers = 100

// People are the directory's calls for one kind of person, so that code
// handling a person is written once for contacts and customers.
type People[T PersonKind] struct {
	Find     func(ctx context.Context, f DirectoryFilter) ([]*T, int, error)
	FindByID func(ctx context.Context, id int64) (*T, error)
	Create   func(ctx context.Context, p *T) error
	Update   func(ctx context.Context, id int64, upd PersonUpdate) (*T, error)
	Delete   func(ctx context.Context, id int64) error
	Import   func(ctx context.Context, rows []ContactImport) (ImportResult, error)
}

// Contacts are the calls of ds for contacts.
func Contacts(ds DirectoryService) People[Contact] {
	return People[Contact]{ds.FindContacts, ds.FindContactByID, ds.CreateContact, ds.UpdateContact, ds.DeleteContact, ds.ImportContacts}
}

// Customers are the calls of ds for customers.
func Customers(ds DirectoryService) People[Customer] {
	return People[Customer]{ds.FindCustomers, ds.FindCustomerByID, ds.CreateCustomer, ds.UpdateCustomer, ds.DeleteCustomer, ds.ImportCustomers}
}
