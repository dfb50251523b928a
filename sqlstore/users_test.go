package sqlstore_test

import (
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// FindUsers answers the people of a set of ids in one call, as the user
// picker shows them (contacts with their company), leaving out the
// deleted and the unknown; more ids than it takes are refused.
func TestFindUsersAnswersThePeopleOfTheIDs(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		acme := mustCompany(t, s, "Acme Corp")
		jane := mustContact(t, s, acme.ID, "Jane", "Doe", "jane@acme.test")
		gone := mustContact(t, s, acme.ID, "Gone", "Away", "gone@acme.test")
		carl := mustCustomer(t, s, "Carl", "Buyer", "carl@home.test")
		left := mustCustomer(t, s, "Left", "Shop", "left@home.test")
		if err := s.DeleteContact(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCustomer(ctx, left.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindUsers(ctx, []int64{jane.ID, gone.ID, 9999}, []int64{carl.ID, left.ID, jane.ID + 9999})
		if err != nil {
			t.Fatal(err)
		}
		byType := map[lt.UserType]*lt.UserRef{}
		for _, u := range got {
			byType[u.Type] = u
		}
		c, cu := byType[lt.UserContact], byType[lt.UserCustomer]
		if len(got) != 2 || c == nil || cu == nil {
			t.Fatalf("found %+v, want Jane Doe and Carl Buyer", got)
		}
		if c.ID != jane.ID || c.Name != "Jane Doe" || c.Email != "jane@acme.test" || c.Company == nil || *c.Company != (lt.CompanyRef{ID: acme.ID, Name: "Acme Corp"}) {
			t.Errorf("the contact %+v", c)
		}
		if cu.ID != carl.ID || cu.Name != "Carl Buyer" || cu.Email != "carl@home.test" || cu.Company != nil {
			t.Errorf("the customer %+v", cu)
		}
		if got, err := s.FindUsers(ctx, nil, nil); err != nil || len(got) != 0 {
			t.Errorf("no ids: %v, %v", got, err)
		}
		if got, err := s.FindUsers(ctx, []int64{jane.ID}, nil); err != nil || len(got) != 1 || got[0].Type != lt.UserContact {
			t.Errorf("contacts only: %+v, %v", got, err)
		}
		// Up to the bound in all, unknown ids among them.
		ids := make([]int64, lt.MaxFindUsers+1)
		for i := range ids {
			ids[i] = int64(10000 + i)
		}
		ids[0], ids[50] = jane.ID, carl.ID
		_, err = s.FindUsers(ctx, ids[:50], ids[50:])
		wantCode(t, err, lt.EINVALID)
		if got, err := s.FindUsers(ctx, ids[:50], ids[50:lt.MaxFindUsers]); err != nil || len(got) != 2 {
			t.Errorf("%d ids: %d people, %v", lt.MaxFindUsers, len(got), err)
		}
	})
}
