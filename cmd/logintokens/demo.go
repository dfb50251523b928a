package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/demoshop"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/sqlstore"
)

// demoActor creates the sample data, so its audit trail says where it
// came from.
var demoActor = lt.Actor{Name: "demo"}

type demoPerson struct{ company, first, last, email string }

var (
	demoCompanies = []struct{ name, externalID string }{
		{"Acme GmbH", "ACME"},
		{"Globex AG", "GLOBEX"},
		{"Initech Ltd", "INITECH"},
	}
	demoContacts = []demoPerson{
		{"Acme GmbH", "Jane", "Doe", "jane.doe@acme.test"},
		{"Acme GmbH", "John", "Roe", "john.roe@acme.test"},
		{"Globex AG", "Maria", "Rossi", "maria.rossi@globex.test"},
		{"Initech Ltd", "Peter", "Gibbons", "peter.gibbons@initech.test"},
		{"Initech Ltd", "Samir", "Nagheenanajar", "samir@initech.test"},
	}
	demoCustomers = []demoPerson{
		{"", "Erika", "Mustermann", "erika@example.test"},
		{"", "Max", "Power", "max.power@example.test"},
		{"", "Lena", "Berg", "lena.berg@example.test"},
	}
)

// seedDemo fills a new database with sample companies, contacts, customers
// and tokens of every kind, once: a database that has any company is left
// alone. It prints the login link of one token to stderr.
func seedDemo(ctx context.Context, store *sqlstore.Store, publicURL string, stderr io.Writer, log *slog.Logger) error {
	_, companies, err := store.FindCompanies(ctx, lt.DirectoryFilter{PageSize: 1})
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if companies > 0 {
		log.Info("demo data: the database has companies already; seeding nothing")
		return demoLinkAgain(ctx, store, publicURL, stderr, log)
	}
	contacts, customers, err := seedDemoPeople(ctx, store)
	if err != nil {
		return err
	}
	tokens := demoTokens(contacts, customers)
	link, err := seedDemoTokens(ctx, store, tokens, customers["Lena"], publicURL)
	if err != nil {
		return err
	}
	log.Info("demo data created", "companies", len(demoCompanies), "contacts", len(demoContacts),
		"customers", len(demoCustomers), "loginTokens", len(tokens))
	// The link is printed, not logged: logs redact token values.
	fmt.Fprintf(stderr, "Demo login link for Jane Doe (Acme GmbH): %s\n", link)
	return nil
}

// seedDemoPeople creates the demo companies, their contacts and the
// customers; it returns the ids of the contacts and of the customers by
// first name.
func seedDemoPeople(ctx context.Context, store *sqlstore.Store) (contacts, customers map[string]int64, err error) {
	companyIDs := map[string]int64{}
	for _, c := range demoCompanies {
		co := &lt.Company{Name: c.name, ExternalID: &c.externalID}
		if err := store.CreateCompany(ctx, co); err != nil {
			return nil, nil, fmt.Errorf("demo company %s: %w", c.name, err)
		}
		companyIDs[c.name] = co.ID
	}
	contacts = map[string]int64{}
	for _, p := range demoContacts {
		c := &lt.Contact{CompanyID: companyIDs[p.company], Person: lt.Person{FirstName: p.first, LastName: p.last, Email: p.email}}
		if err := store.CreateContact(ctx, c); err != nil {
			return nil, nil, fmt.Errorf("demo contact %s: %w", p.email, err)
		}
		contacts[p.first] = c.ID
	}
	customers = map[string]int64{}
	for _, p := range demoCustomers {
		c := &lt.Customer{Person: lt.Person{FirstName: p.first, LastName: p.last, Email: p.email}}
		if err := store.CreateCustomer(ctx, c); err != nil {
			return nil, nil, fmt.Errorf("demo customer %s: %w", p.email, err)
		}
		customers[p.first] = c.ID
	}
	return contacts, customers, nil
}

// demoTokens are the demo tokens, of every kind; the first is Jane's.
func demoTokens(contacts, customers map[string]int64) []lt.NewToken {
	now := time.Now()
	in := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	day := 24 * time.Hour
	return []lt.NewToken{
		{ContactID: new(contacts["Jane"]), ExpiresAt: in(30 * day), Extra: []string{"Demo: Jane at Acme"}},
		{ContactID: new(contacts["John"]), ExpiresAt: in(day), OneTimeUse: true},
		{ContactID: new(contacts["Maria"]), OneTimeUse: true, Extra: []string{"OCI for Globex SAP SRM"}},
		{ContactID: new(contacts["Peter"]), ExpiresAt: in(7 * day)},
		{ContactID: new(contacts["Samir"])},
		{ContactID: new(contacts["Samir"]), MaxUses: new(int64(3)), ExpiresAt: in(14 * day), Extra: []string{"Three visits for the trade show"}},
		{ContactID: new(contacts["Peter"]), Networks: []string{"127.0.0.0/8", "::1/128"}, Extra: []string{"Signs in from this computer only"}},
		{CustomerID: new(customers["Erika"])},
		{CustomerID: new(customers["Max"]), ExpiresAt: in(time.Hour), OneTimeUse: true},
		{CustomerID: new(customers["Lena"]), ExpiresAt: in(day)},
		{ExpiresAt: in(7 * day), Extra: []string{"Guest access for the spring fair"}},
		{OneTimeUse: true, Extra: []string{"One guest visit"}},
	}
}

// seedDemoTokens creates the tokens and returns the login link of the
// first. The token of the customer whose id is expired is expired at once:
// it shows what an expired token looks like, and expiring a token now is
// how staff revoke one.
func seedDemoTokens(ctx context.Context, store *sqlstore.Store, tokens []lt.NewToken, expired int64, publicURL string) (link string, err error) {
	for i, n := range tokens {
		tok, err := store.CreateToken(ctx, demoActor, n)
		if err != nil {
			return "", fmt.Errorf("demo token: %w", err)
		}
		switch {
		case i == 0:
			link = web.Login.Link(publicURL, tok.Value)
		case n.CustomerID != nil && *n.CustomerID == expired:
			upd := lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: new(time.Now())}
			if _, _, err := store.UpdateToken(ctx, demoActor, tok.ID, upd); err != nil {
				return "", fmt.Errorf("demo token: %w", err)
			}
		}
	}
	return link, nil
}

// demoShopName names the demo shop's registration at the OpenID Provider.
const demoShopName = "Demo shop"

// registerDemoShop registers the demo shop at the OpenID Provider, or
// brings its registration up to date with this start's public URL, and
// gives it a new client secret: the secret is shown once, so the shop of
// this process gets a fresh one at every start.
func registerDemoShop(ctx context.Context, store *sqlstore.Store, publicURL string) (*demoshop.OIDC, error) {
	base := strings.TrimSuffix(publicURL, "/") + demoShopPath
	redirects, initiate, postLogout := []string{base + "/oidc/callback"}, base+"/oidc/login", []string{base + "/"}
	shops, err := store.FindShops(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo shop: %w", err)
	}
	for _, sh := range shops {
		if sh.Name != demoShopName || sh.Public {
			continue
		}
		upd := lt.ShopUpdate{RedirectURIs: &redirects, InitiateLoginURISet: true, InitiateLoginURI: &initiate,
			PostLogoutRedirectURIs: &postLogout, Disabled: new(bool)}
		if _, err := store.UpdateShop(ctx, demoActor, sh.ID, upd); err != nil {
			return nil, fmt.Errorf("demo shop: %w", err)
		}
		_, secret, err := store.RotateShopSecret(ctx, demoActor, sh.ID)
		if err != nil {
			return nil, fmt.Errorf("demo shop: %w", err)
		}
		return &demoshop.OIDC{ClientID: sh.ClientID, ClientSecret: secret}, nil
	}
	sh, secret, err := store.CreateShop(ctx, demoActor, lt.NewShop{Name: demoShopName, RedirectURIs: redirects,
		InitiateLoginURI: &initiate, PostLogoutRedirectURIs: postLogout})
	if err != nil {
		return nil, fmt.Errorf("demo shop: %w", err)
	}
	return &demoshop.OIDC{ClientID: sh.ClientID, ClientSecret: secret}, nil
}

// demoLinkAgain prints a working demo login link on a database seeded
// before: the first link's value was shown only once, so Jane Doe gets a
// fresh token, as the first one (30 days, reusable). A database whose
// companies are not the demo's gets none.
func demoLinkAgain(ctx context.Context, store *sqlstore.Store, publicURL string, stderr io.Writer, log *slog.Logger) error {
	jane := demoContacts[0]
	users, err := store.SearchUsers(ctx, jane.email, 10)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	for _, u := range users {
		if u.Type != lt.UserContact || !strings.EqualFold(u.Email, jane.email) {
			continue
		}
		expires := time.Now().Add(30 * 24 * time.Hour)
		tok, err := store.CreateToken(ctx, demoActor, lt.NewToken{ContactID: &u.ID, ExpiresAt: &expires, Extra: []string{"Demo: Jane at Acme"}})
		if err != nil {
			return fmt.Errorf("demo token: %w", err)
		}
		fmt.Fprintf(stderr, "Demo login link for Jane Doe (Acme GmbH): %s\n", web.Login.Link(publicURL, tok.Value))
		return nil
	}
	log.Info("demo data: no demo contact to make a login link for")
	return nil
}
