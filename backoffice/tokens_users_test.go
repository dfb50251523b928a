package backoffice_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// lookupStore counts how the backoffice looks people up, and fails
// FindUsers while failing is set.
type lookupStore struct {
	*sqlstore.Store
	batches, singles atomic.Int64
	failing          atomic.Bool
}

func (s *lookupStore) FindUsers(ctx context.Context, contactIDs, customerIDs []int64) ([]*lt.UserRef, error) {
	s.batches.Add(1)
	if s.failing.Load() {
		return nil, errors.New("the database is gone")
	}
	return s.Store.FindUsers(ctx, contactIDs, customerIDs)
}

func (s *lookupStore) FindContactByID(ctx context.Context, id int64) (*lt.Contact, error) {
	s.singles.Add(1)
	return s.Store.FindContactByID(ctx, id)
}

func (s *lookupStore) FindCustomerByID(ctx context.Context, id int64) (*lt.Customer, error) {
	s.singles.Add(1)
	return s.Store.FindCustomerByID(ctx, id)
}

func (s *lookupStore) FindCompanyByID(ctx context.Context, id int64) (*lt.Company, error) {
	s.singles.Add(1)
	return s.Store.FindCompanyByID(ctx, id)
}

// The Contact or Customer filter and the token form look their people up
// in one store call, however many there are, and a failed lookup is an
// error page, not a list of ids passed off as names.
func TestTheTokenScreenLooksUpItsPeopleInOneCall(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			var st *lookupStore
			o := newOffice(t, kind, func(c *backoffice.Config) {
				st = &lookupStore{Store: c.Store.(*sqlstore.Store)}
				c.Store = st
			})
			o.staff("editor@shop.test", "configuration:editor")
			b := o.browser()
			b.signIn("editor@shop.test")
			acme := o.company("Acme Corp")
			q := url.Values{}
			for i := range 30 {
				n := strconv.Itoa(i)
				c := &lt.Contact{CompanyID: acme.ID, Person: lt.Person{FirstName: "Contact", LastName: "No" + n, Email: "c" + n + "@acme.test"}}
				cu := &lt.Customer{Person: lt.Person{FirstName: "Customer", LastName: "No" + n, Email: "u" + n + "@home.test"}}
				if err := o.Store.CreateContact(ctx, c); err != nil {
					t.Fatal(err)
				}
				if err := o.Store.CreateCustomer(ctx, cu); err != nil {
					t.Fatal(err)
				}
				q.Add("contactIds", strconv.FormatInt(c.ID, 10))
				q.Add("customerIds", strconv.FormatInt(cu.ID, 10))
			}
			st.batches.Store(0)
			st.singles.Store(0)
			body := b.mustGet("/admin/login-tokens?"+q.Encode(), 200)
			if got := st.batches.Load(); got != 1 || st.singles.Load() != 0 {
				t.Fatalf("the filter of 60 people took %d batched and %d single lookups, want 1 and 0", got, st.singles.Load())
			}
			for _, name := range []string{"Contact No0", "Contact No29", "Customer No0", "Customer No29"} {
				if !strings.Contains(body, `<span class="chip-name">`+name+`</span>`) {
					t.Errorf("the picker lacks %s", name)
				}
			}

			// The token form: the chosen user, in one call too.
			b.get("/admin/login-tokens/new")
			st.batches.Store(0)
			status, body, _ := b.post("/admin/login-tokens", url.Values{"user": {"contact:" + q["contactIds"][3]}})
			if status != 201 || st.batches.Load() != 1 || st.singles.Load() != 0 || !strings.Contains(body, "Contact No3") {
				t.Fatalf("create for a contact: %d, %d batched and %d single lookups", status, st.batches.Load(), st.singles.Load())
			}

			st.failing.Store(true)
			if status, body, _ := b.get("/admin/login-tokens?" + q.Encode()); status != 500 || strings.Contains(body, "chip-name") {
				t.Fatalf("a failed lookup: %d, want the error page", status)
			}
			if status, _, _ := b.post("/admin/login-tokens", url.Values{"user": {"contact:" + q["contactIds"][4]}, "csrf": {b.csrf}}); status != 500 {
				t.Fatalf("a failed lookup in the form: %d, want the error page", status)
			}
		})
	}
}
