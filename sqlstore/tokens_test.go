package sqlstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestCreateTokenForContactAnswersResourceAndValue(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, t0)
		co := mustCompany(t, s, "Acme")
		c := mustContact(t, s, co.ID, "Jane", "Doe", "Jane@Acme.test")
		exp := t0.Add(24 * 3600e9)
		tok := mustToken(t, s, lt.NewToken{ContactID: &c.ID, ExpiresAt: &exp, OneTimeUse: true, Extra: []string{" OCI for Acme ", ""}})
		if tok.Type != lt.UserContact || tok.User == nil || tok.User.Name != "Jane Doe" || tok.User.Email != "jane@acme.test" ||
			tok.User.Company == nil || tok.User.Company.Name != "Acme" {
			t.Fatalf("user = %+v", tok.User)
		}
		if tok.Status != lt.StatusActive || !tok.ExpiresAt.Equal(exp) || !tok.OneTimeUse || len(tok.Extra) != 1 || tok.Extra[0] != "OCI for Acme" {
			t.Fatalf("token = %+v", tok.LoginToken)
		}
		id, _, err := lt.ParseValue(lt.TokenPrefix, tok.Value)
		if err != nil || id != tok.ID {
			t.Fatalf("value %q does not carry id %s: %v", tok.Value, tok.ID, err)
		}
		got, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil || got.ID != tok.ID || got.CreatedBy != "staff:1" || !got.CreatedAt.Equal(t0) {
			t.Fatalf("find = %+v, %v", got, err)
		}
		if res := redeem(t, s, tok.Value); res.Code != "" || res.Token.SuccessfulAttempts != 1 {
			t.Fatalf("redeem = %+v", res)
		}
	})
}

func TestCreateTokenRejectsBadInputNamingTheField(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, t0)
		cu := mustCustomer(t, s, "Carl", "Cash", "carl@example.test")
		past := t0.Add(-time.Second)
		cases := []struct {
			name  string
			n     lt.NewToken
			field string
		}{
			{"both users", lt.NewToken{ContactID: ptr(int64(1)), CustomerID: &cu.ID}, "customerId"},
			{"past expiry", lt.NewToken{ExpiresAt: &past}, "expiresAt"},
			{"expiry now", lt.NewToken{ExpiresAt: &t0}, "expiresAt"},
			{"unknown contact", lt.NewToken{ContactID: ptr(int64(999))}, "contactId"},
			{"unknown customer", lt.NewToken{CustomerID: ptr(int64(999))}, "customerId"},
			{"line break in extra", lt.NewToken{Extra: []string{"a\nb"}}, "extra"},
		}
		for _, tc := range cases {
			_, err := s.CreateToken(ctx, staff, tc.n)
			var e *lt.Error
			if !errors.As(err, &e) || e.Code != lt.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Errorf("%s: %v, want INVALID_INPUT naming %s", tc.name, err, tc.field)
			}
		}
		if err := s.DeleteCustomer(ctx, cu.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.CreateToken(ctx, staff, lt.NewToken{CustomerID: &cu.ID})
		wantCode(t, err, lt.EINVALID)
	})
}

func TestUpdateTokenIsAMergePatchAndChangingTheUserRegenerates(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		co := mustCompany(t, s, "Acme")
		c := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		cu := mustCustomer(t, s, "Carl", "Cash", "carl@example.test")
		exp := t0.Add(48 * time.Hour)
		tok := mustToken(t, s, lt.NewToken{ContactID: &c.ID, ExpiresAt: &exp, Extra: []string{"a"}})

		clock.Add(time.Minute)
		got, value, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{Extra: &[]string{"b", "c"}})
		if err != nil || value != "" {
			t.Fatalf("update extra: %v, value %q", err, value)
		}
		if !slices.Equal(got.Extra, []string{"b", "c"}) || !got.ExpiresAt.Equal(exp) || got.User.ID != c.ID || !got.UpdatedAt.Equal(clock.T) {
			t.Fatalf("after extra patch: %+v", got)
		}
		// expiresAt null = never; an unchanged patch changes nothing.
		got, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{ExpiresAtSet: true})
		if err != nil || got.ExpiresAt != nil {
			t.Fatalf("clear expiry: %+v %v", got, err)
		}
		clock.Add(time.Minute)
		same, _, _ := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{OneTimeUse: ptr(false)})
		if !same.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatal("a patch that changes nothing moved updatedAt")
		}
		// Setting expiresAt to now revokes.
		got, _, _ = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: &clock.T})
		if got.Status != lt.StatusExpired {
			t.Fatalf("status after expiresAt=now: %s", got.Status)
		}
		got, _, _ = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{ExpiresAtSet: true})

		// The user changes: the value is regenerated.
		got, value, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{CustomerID: &cu.ID})
		if err != nil || value == "" || value == tok.Value || got.Type != lt.UserCustomer || got.User.Name != "Carl Cash" || got.User.Company != nil {
			t.Fatalf("change user: %+v %q %v", got, value, err)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENINVALID {
			t.Fatalf("old value after user change: %q", r.Code)
		}
		if r := redeem(t, s, value); r.Code != "" || r.Token.User.ID != cu.ID {
			t.Fatalf("new value: %+v", r)
		}
		got, value, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{Anonymous: true})
		if err != nil || value == "" || got.Type != lt.UserAnonymous || got.User != nil {
			t.Fatalf("to anonymous: %+v %v", got, err)
		}
		_, _, err = s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{Anonymous: true, ContactID: &c.ID})
		wantCode(t, err, lt.EINVALID)
		_, _, err = s.UpdateToken(ctx, staff, "zzzzzzzzzzzzzzzz", lt.TokenUpdate{Anonymous: true})
		wantCode(t, err, lt.ENOTFOUND)

		events, _, _ := s.FindTokenEvents(ctx, tok.ID, 1, 50)
		var changed []string
		for _, e := range events {
			if e.Type == lt.EventTokenUpdated {
				changed = append(changed, string(e.Details))
			}
		}
		if len(changed) != 6 || !strings.Contains(changed[len(changed)-1], `"extra"`) || !strings.Contains(changed[0], `"user"`) {
			t.Fatalf("update events (newest first): %v", changed)
		}
	})
}

func TestDeleteTokensIsAllOrNothing(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		a := mustToken(t, s, lt.NewToken{})
		b := mustToken(t, s, lt.NewToken{})
		_, err := s.DeleteTokens(ctx, staff, []string{a.ID, "zzzzzzzzzzzzzzzz", b.ID})
		wantCode(t, err, lt.ENOTFOUND)
		if !strings.Contains(err.Error(), "zzzzzzzzzzzzzzzz") || strings.Contains(err.Error(), a.ID) {
			t.Fatalf("error should name only the unknown id: %v", err)
		}
		for _, id := range []string{a.ID, b.ID} {
			if _, err := s.FindTokenByID(ctx, id); err != nil {
				t.Fatalf("%s was deleted by a failed bulk delete: %v", id, err)
			}
		}
		n, err := s.DeleteTokens(ctx, staff, []string{a.ID, b.ID, a.ID})
		if err != nil || n != 2 {
			t.Fatalf("delete = %d, %v", n, err)
		}
		_, err = s.FindTokenByID(ctx, a.ID)
		wantCode(t, err, lt.ENOTFOUND)
		wantCode(t, s.DeleteToken(ctx, staff, a.ID), lt.ENOTFOUND)
		_, err = s.DeleteTokens(ctx, staff, nil)
		wantCode(t, err, lt.EINVALID)
		_, err = s.DeleteTokens(ctx, staff, make([]string, 1001))
		wantCode(t, err, lt.EINVALID)
		// The trail of a deleted token stays.
		events, total, err := s.FindTokenEvents(ctx, a.ID, 1, 10)
		if err != nil || total != 2 || events[0].Type != lt.EventTokenDeleted || events[1].Type != lt.EventTokenCreated {
			t.Fatalf("trail after delete: %d %v", total, err)
		}
	})
}
