package sqlstore_test

import (
	"encoding/json"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var sam = &lt.Impersonator{Sub: "staff:1", Name: "Sam Sales", Email: "sam@shop.test"}

// eventDetails decodes the newest event of a token's trail of type typ.
func eventDetails(t *testing.T, s *sqlstore.Store, tokenID, typ string) map[string]any {
	t.Helper()
	events, _, err := s.FindTokenEvents(ctx, tokenID, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Type == typ {
			d := map[string]any{}
			if len(e.Details) > 0 {
				if err := json.Unmarshal(e.Details, &d); err != nil {
					t.Fatal(err)
				}
			}
			return d
		}
	}
	t.Fatalf("token %s has no %s event", tokenID, typ)
	return nil
}

func TestATokenMadeToImpersonateKeepsItsStaffMember(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, t0)
		c := mustContact(t, s, mustCompany(t, s, "Acme").ID, "Jane", "Doe", "jane@acme.test")
		in5 := t0.Add(5 * time.Minute)
		tok := mustToken(t, s, lt.NewToken{ContactID: &c.ID, ExpiresAt: &in5, OneTimeUse: true, Act: sam})
		plain := mustToken(t, s, lt.NewToken{ContactID: &c.ID})

		if tok.Act == nil || *tok.Act != *sam {
			t.Fatalf("created token act %+v, want %+v", tok.Act, sam)
		}
		found, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if found.Act == nil || *found.Act != *sam {
			t.Fatalf("found token act %+v", found.Act)
		}
		looked, err := s.LookupToken(ctx, tok.Value)
		if err != nil || looked.Act == nil || *looked.Act != *sam {
			t.Fatalf("looked-up token act %+v, %v", looked, err)
		}
		list, _, err := s.FindTokens(ctx, lt.TokenFilter{Sort: lt.DefaultSort, PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range list {
			if want := l.ID == tok.ID; (l.Act != nil) != want {
				t.Errorf("listed token %s act %+v", l.ID, l.Act)
			}
		}
		if d := eventDetails(t, s, tok.ID, lt.EventTokenCreated); d["impersonation"] != true {
			t.Errorf("created event details %v, want impersonation", d)
		}
		if d := eventDetails(t, s, plain.ID, lt.EventTokenCreated); d["impersonation"] != nil {
			t.Errorf("a plain token's created event says impersonation: %v", d)
		}
		// The API resource does not carry it.
		b, _ := json.Marshal(found)
		var m map[string]any
		json.Unmarshal(b, &m)
		if _, ok := m["act"]; ok {
			t.Errorf("the resource shows act: %s", b)
		}
	})
}

func TestRedeemOfAnImpersonationTokenNamesTheStaffMemberInTheAuditTrail(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, t0)
		cu := mustCustomer(t, s, "Carl", "Cash", "carl@example.test")
		in5 := t0.Add(5 * time.Minute)
		tok := mustToken(t, s, lt.NewToken{CustomerID: &cu.ID, ExpiresAt: &in5, OneTimeUse: true, Act: sam})

		if r := redeem(t, s, wrongSecret(tok.Value)); r.Code != lt.ETOKENINVALID {
			t.Fatalf("wrong secret: %+v", r)
		}
		if d := eventDetails(t, s, tok.ID, lt.EventTokenRejected); d["impersonator"] != nil {
			t.Errorf("a wrong secret's attempt is put on the staff member: %v", d)
		}
		res := redeem(t, s, tok.Value)
		if res.Code != "" || res.Token.Act == nil || *res.Token.Act != *sam {
			t.Fatalf("redeem: %+v", res)
		}
		if d := eventDetails(t, s, tok.ID, lt.EventTokenRedeemed); d["impersonator"] != "staff:1" {
			t.Errorf("redeemed event details %v, want impersonator staff:1", d)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENUSED {
			t.Fatalf("second use: %+v", r)
		}
	})
}

func TestANewValueOrUserDropsTheImpersonation(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, t0)
		co := mustCompany(t, s, "Acme")
		jane := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		john := mustContact(t, s, co.ID, "John", "Roe", "john@acme.test")

		regen := mustToken(t, s, lt.NewToken{ContactID: &jane.ID, Act: sam})
		iss, err := s.RegenerateToken(ctx, staff, regen.ID)
		if err != nil {
			t.Fatal(err)
		}
		if iss.Act != nil {
			t.Errorf("a regenerated value still impersonates: %+v", iss.Act)
		}

		moved := mustToken(t, s, lt.NewToken{ContactID: &jane.ID, Act: sam})
		kept, _, err := s.UpdateToken(ctx, staff, moved.ID, lt.TokenUpdate{Extra: &[]string{"note"}})
		if err != nil || kept.Act == nil {
			t.Fatalf("an edit that keeps the user lost act: %+v, %v", kept, err)
		}
		changed, _, err := s.UpdateToken(ctx, staff, moved.ID, lt.TokenUpdate{ContactID: &john.ID})
		if err != nil {
			t.Fatal(err)
		}
		if changed.Act != nil {
			t.Errorf("a token moved to another user still impersonates: %+v", changed.Act)
		}
	})
}

func TestAnAnonymousTokenCannotImpersonate(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		_, err := s.CreateToken(ctx, staff, lt.NewToken{Act: sam})
		if lt.ErrorCode(err) != lt.EINVALID {
			t.Fatalf("anonymous with act: %v, want INVALID", err)
		}
	})
}
