package sqlstore_test

import (
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestDeletedOrDisabledUserStaysButCannotSignIn(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		c := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		tok := mustToken(t, s, lt.NewToken{ContactID: &c.ID})

		if _, err := s.UpdateContact(ctx, c.ID, lt.PersonUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.EUSERDISABLED {
			t.Fatalf("disabled contact: %q", r.Code)
		}
		if _, err := s.UpdateContact(ctx, c.ID, lt.PersonUpdate{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if r := redeem(t, s, tok.Value); r.Code != "" {
			t.Fatalf("enabled again: %q", r.Code)
		}
		wantCode(t, s.DeleteCompany(ctx, co.ID), lt.ECONFLICT)
		if err := s.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.EUSERDISABLED {
			t.Fatalf("deleted contact: %q", r.Code)
		}
		// Gone from lists, search and lookups, but the token keeps its user.
		if _, err := s.FindContactByID(ctx, c.ID); lt.ErrorCode(err) != lt.ENOTFOUND {
			t.Fatalf("find deleted contact: %v", err)
		}
		if list, n, _ := s.FindContacts(ctx, lt.DirectoryFilter{}); n != 0 || len(list) != 0 {
			t.Fatalf("deleted contact listed: %d", n)
		}
		if hits, _ := s.SearchUsers(ctx, "jane", 10); len(hits) != 0 {
			t.Fatalf("deleted contact found by search: %+v", hits)
		}
		got, _ := s.FindTokenByID(ctx, tok.ID)
		if got.User == nil || got.User.Name != "Jane Doe" {
			t.Fatalf("token lost its deleted user: %+v", got.User)
		}
		wantCode(t, s.DeleteContact(ctx, c.ID), lt.ENOTFOUND)
		// The email is free again for a new contact.
		mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		empty := mustCompany(t, s, "Empty")
		if err := s.DeleteCompany(ctx, empty.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteCompany(ctx, empty.ID), lt.ENOTFOUND)
	})
}

func TestRenamingAUserOrCompanyUpdatesItsTokens(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		c := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		tok := mustToken(t, s, lt.NewToken{ContactID: &c.ID})
		if _, err := s.UpdateCompany(ctx, co.ID, lt.CompanyUpdate{Name: ptr("Globex")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateContact(ctx, c.ID, lt.PersonUpdate{LastName: ptr("Roe")}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.FindTokenByID(ctx, tok.ID)
		if got.User.Name != "Jane Roe" || got.User.Company.Name != "Globex" {
			t.Fatalf("token user %+v %+v", got.User, got.User.Company)
		}
		for q, want := range map[string]int{"globex": 1, "acme": 1, "roe": 1, "doe": 0} {
			// "acme" still matches: the email is jane@acme.test.
			_, n, err := s.FindTokens(ctx, lt.TokenFilter{Q: q})
			if err != nil || n != want {
				t.Errorf("q=%s found %d (%v), want %d", q, n, err, want)
			}
		}
	})
}

func TestDirectoryUniquenessAndValidationNameTheField(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		err := s.CreateContact(ctx, &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "J", Email: "JANE@acme.test"}})
		wantField(t, err, lt.ECONFLICT, "email")
		err = s.CreateContact(ctx, &lt.Contact{CompanyID: 999, Person: lt.Person{FirstName: "J", Email: "j@acme.test"}})
		wantField(t, err, lt.EINVALID, "companyId")
		err = s.CreateCustomer(ctx, &lt.Customer{Person: lt.Person{FirstName: "J", Email: "not an email"}})
		wantField(t, err, lt.EINVALID, "email")
		ext := "C-1"
		if err := s.CreateCompany(ctx, &lt.Company{Name: "One", ExternalID: &ext}); err != nil {
			t.Fatal(err)
		}
		wantField(t, s.CreateCompany(ctx, &lt.Company{Name: "Two", ExternalID: &ext}), lt.ECONFLICT, "externalId")
		wantField(t, s.CreateCompany(ctx, &lt.Company{Name: "  "}), lt.EINVALID, "name")
	})
}

func TestSearchUsersFindsContactsAndCustomersByNameEmailOrCompany(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme Corp")
		jane := mustContact(t, s, co.ID, "Jane", "Doe", "jane@example.test")
		carl := mustCustomer(t, s, "Carl", "Acmeson", "carl@example.test")
		mustCustomer(t, s, "Zed", "Zulu", "zed@other.test")
		hits, err := s.SearchUsers(ctx, "ACME", 10)
		if err != nil || len(hits) != 2 {
			t.Fatalf("search acme: %+v %v", hits, err)
		}
		// Sorted by name: Carl Acmeson, then Jane Doe (found by company).
		if hits[0].Type != lt.UserCustomer || hits[0].ID != carl.ID || hits[1].Type != lt.UserContact || hits[1].ID != jane.ID ||
			hits[1].Company == nil || hits[1].Company.Name != "Acme Corp" {
			t.Fatalf("hits %+v %+v", hits[0], hits[1])
		}
		if hits, _ := s.SearchUsers(ctx, "example.test", 1); len(hits) != 1 {
			t.Fatalf("limit 1 gave %d", len(hits))
		}
		if hits, _ := s.SearchUsers(ctx, "%", 10); len(hits) != 0 {
			t.Fatalf("%% is literal, got %d hits", len(hits))
		}
	})
}

func wantField(t *testing.T, err error, code, field string) {
	t.Helper()
	e, ok := err.(*lt.Error)
	if !ok || e.Code != code || len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Fatalf("got %v, want %s naming %s", err, code, field)
	}
}

func TestConflictNamesTheFieldThatIsTaken(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		ext := "E-1"
		err := s.CreateContact(ctx, &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "J", Email: "jane@acme.test", ExternalID: &ext}})
		wantField(t, err, lt.ECONFLICT, "email")
		if err := s.CreateContact(ctx, &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "K", Email: "k@acme.test", ExternalID: &ext}}); err != nil {
			t.Fatal(err)
		}
		err = s.CreateContact(ctx, &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "L", Email: "l@acme.test", ExternalID: &ext}})
		wantField(t, err, lt.ECONFLICT, "externalId")
		// Updating a row to its own values is no conflict.
		cs, _, _ := s.FindContacts(ctx, lt.DirectoryFilter{Q: "k@acme"})
		if _, err := s.UpdateContact(ctx, cs[0].ID, lt.PersonUpdate{Email: ptr("k@acme.test")}); err != nil {
			t.Fatal(err)
		}
	})
}
