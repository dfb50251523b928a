package sqlstore_test

import (
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// wantImport checks the counts and that exactly the rows of failed (row ->
// text its message must hold) failed.
func wantImport(t *testing.T, res lt.ImportResult, err error, created, updated int, failed map[int]string) {
	t.Helper()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.Created != created || res.Updated != updated || len(res.Failed) != len(failed) {
		t.Fatalf("import: created %d updated %d failed %+v; want %d, %d, rows %v", res.Created, res.Updated, res.Failed, created, updated, failed)
	}
	for _, f := range res.Failed {
		want, ok := failed[f.Row]
		if !ok || !strings.Contains(f.Message, want) {
			t.Errorf("row %d failed with %q; want rows %v", f.Row, f.Message, failed)
		}
	}
}

func findContactByEmail(t *testing.T, s *sqlstore.Store, email string) *lt.Contact {
	t.Helper()
	list, _, err := s.FindContacts(ctx, lt.DirectoryFilter{Q: email})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Email == email {
			return c
		}
	}
	t.Fatalf("no contact %s", email)
	return nil
}

func TestImportContactsUpsertsByExternalIDElseEmailAndBadRowsFailAlone(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		acme := &lt.Company{Name: "Acme", ExternalID: ptr("ACME")}
		if err := s.CreateCompany(ctx, acme); err != nil {
			t.Fatal(err)
		}
		globex := mustCompany(t, s, "Globex")
		jane := mustContact(t, s, acme.ID, "Jane", "Doe", "jane@acme.test")
		tok := mustToken(t, s, lt.NewToken{ContactID: &jane.ID})

		res, err := s.ImportContacts(ctx, []lt.ContactImport{
			{ExternalID: ptr("C-1"), FirstName: "Bob", LastName: "Smith", Email: "bob@acme.test", CompanyExternalID: ptr("ACME")},
			{FirstName: "Janet", LastName: "Doe", Email: " JANE@acme.test ", CompanyID: &globex.ID},  // by email, moves company
			{ExternalID: ptr("C-1"), FirstName: "Robert", LastName: "Smith", Email: "bob@acme.test"}, // by externalId, keeps company
			{FirstName: "Bad", Email: "not an email", CompanyID: &acme.ID},
			{FirstName: "Nope", Email: "nope@acme.test", CompanyExternalID: ptr("NOPE")},
			{FirstName: "Homeless", Email: "homeless@acme.test"},
			{ExternalID: ptr("C-2"), FirstName: "Janet", LastName: "Doe", Email: "jane@acme.test"}, // links Jane, who had no externalId
			{ExternalID: ptr("C-3"), FirstName: "Janet", LastName: "Doe", Email: "jane@acme.test"}, // Jane is C-2 now
			{FirstName: "Carl", Email: "carl@acme.test", CompanyID: &acme.ID, Disabled: ptr(true)},
			{FirstName: "Both", Email: "both@acme.test", CompanyID: &globex.ID, CompanyExternalID: ptr("ACME")},
		})
		wantImport(t, res, err, 2, 3, map[int]string{4: "email", 5: "companyExternalId", 6: "companyId", 8: "email", 10: "companyId"})

		bob := findContactByEmail(t, s, "bob@acme.test")
		if bob.FirstName != "Robert" || bob.CompanyID != acme.ID || bob.ExternalID == nil || *bob.ExternalID != "C-1" {
			t.Errorf("bob %+v", bob)
		}
		got, _ := s.FindContactByID(ctx, jane.ID)
		if got.FirstName != "Janet" || got.CompanyID != globex.ID || got.ExternalID == nil || *got.ExternalID != "C-2" {
			t.Errorf("jane %+v", got)
		}
		if carl := findContactByEmail(t, s, "carl@acme.test"); !carl.Disabled {
			t.Errorf("carl imported enabled")
		}
		if _, n, _ := s.FindContacts(ctx, lt.DirectoryFilter{}); n != 3 {
			t.Errorf("%d contacts, want 3", n)
		}
		// The updated contact's token follows its new name and company.
		tk, _ := s.FindTokenByID(ctx, tok.ID)
		if tk.User.Name != "Janet Doe" || tk.User.Company.Name != "Globex" {
			t.Errorf("token user %+v", tk.User)
		}
		if _, n, _ := s.FindTokens(ctx, lt.TokenFilter{Q: "janet"}); n != 1 {
			t.Errorf("token not found by the imported name: %d", n)
		}
	})
}

func TestImportIgnoresDeletedPeopleAndRerunsUpdateOnly(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		old := mustCustomer(t, s, "Old", "One", "old@example.test")
		if err := s.DeleteCustomer(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		rows := []lt.ContactImport{
			{Row: 1, FirstName: "Old", LastName: "Again", Email: "old@example.test"},
			{Row: 2, ExternalID: ptr("K-9"), FirstName: "Kay", Email: "kay@example.test"},
			{Row: 3, FirstName: "Co", Email: "co@example.test", CompanyID: ptr(int64(1))},
		}
		res, err := s.ImportCustomers(ctx, rows)
		wantImport(t, res, err, 2, 0, map[int]string{3: "companyId"})
		list, n, _ := s.FindCustomers(ctx, lt.DirectoryFilter{Q: "old@"})
		if n != 1 || list[0].ID == old.ID || list[0].LastName != "Again" {
			t.Fatalf("the deleted customer was revived or matched: %+v", list)
		}
		res, err = s.ImportCustomers(ctx, rows)
		wantImport(t, res, err, 0, 2, map[int]string{3: "companyId"})
		if _, n, _ := s.FindCustomers(ctx, lt.DirectoryFilter{}); n != 2 {
			t.Fatalf("rerun left %d customers, want 2", n)
		}
	})
}

func TestImportUpdatesLeaveWhatARowLeavesEmpty(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		c := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test", ExternalID: ptr("C-1"), Disabled: true}}
		if err := s.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		res, err := s.ImportContacts(ctx, []lt.ContactImport{
			{ExternalID: ptr("C-1"), LastName: "Roe"},
			{Email: "JANE@acme.test", FirstName: " ", ExternalID: ptr(" ")},
		})
		wantImport(t, res, err, 0, 2, nil)
		got, _ := s.FindContactByID(ctx, c.ID)
		if got.FirstName != "Jane" || got.LastName != "Roe" || got.Email != "jane@acme.test" || !got.Disabled ||
			got.CompanyID != co.ID || got.ExternalID == nil || *got.ExternalID != "C-1" {
			t.Fatalf("after import %+v", got)
		}
		// A new person still needs what creating one needs.
		res, err = s.ImportContacts(ctx, []lt.ContactImport{{ExternalID: ptr("C-2"), Email: "x@acme.test", CompanyID: &co.ID}})
		wantImport(t, res, err, 0, 0, map[int]string{1: "name"})
	})
}

func TestImportOfNothingAnswersAnEmptyFailureList(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		res, err := s.ImportContacts(ctx, nil)
		if err != nil || res.Created != 0 || res.Updated != 0 || res.Failed == nil {
			t.Fatalf("%+v %v", res, err)
		}
	})
}
