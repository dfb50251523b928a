package sqlstore_test

import (
	"context"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var (
	ctx   = context.Background()
	staff = lt.Actor{Name: "staff:1", ClientIP: "192.0.2.1"}
	// t0 is the tests' fixed "now".
	t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
)

func mustCompany(t *testing.T, s *sqlstore.Store, name string) *lt.Company {
	t.Helper()
	c := &lt.Company{Name: name}
	if err := s.CreateCompany(ctx, c); err != nil {
		t.Fatalf("create company %q: %v", name, err)
	}
	return c
}

func mustContact(t *testing.T, s *sqlstore.Store, companyID int64, first, last, email string) *lt.Contact {
	t.Helper()
	c := &lt.Contact{CompanyID: companyID, Person: lt.Person{FirstName: first, LastName: last, Email: email}}
	if err := s.CreateContact(ctx, c); err != nil {
		t.Fatalf("create contact %q: %v", email, err)
	}
	return c
}

func mustCustomer(t *testing.T, s *sqlstore.Store, first, last, email string) *lt.Customer {
	t.Helper()
	c := &lt.Customer{Person: lt.Person{FirstName: first, LastName: last, Email: email}}
	if err := s.CreateCustomer(ctx, c); err != nil {
		t.Fatalf("create customer %q: %v", email, err)
	}
	return c
}

func mustToken(t *testing.T, s *sqlstore.Store, n lt.NewToken) *lt.IssuedToken {
	t.Helper()
	tok, err := s.CreateToken(ctx, staff, n)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return tok
}

func redeem(t *testing.T, s *sqlstore.Store, value string) lt.RedeemResult {
	t.Helper()
	res, err := s.Redeem(ctx, lt.RedeemRequest{Value: value, ClientIP: "198.51.100.7", Actor: "apikey:test"})
	if err != nil {
		t.Fatalf("redeem: %v", err)
	}
	return res
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := lt.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func ptr[T any](v T) *T { return &v }

var _ = sqlstoretest.Kinds
