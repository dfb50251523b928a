package sqlstore_test

import (
	"testing"

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
