package sqlstore_test

import (
	"encoding/json"
	"strings"
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
		// The resource names the staff member, read-only, and nothing else
		// of them; a plain token names no one.
		b, _ := json.Marshal(found)
		var m map[string]any
		json.Unmarshal(b, &m)
		if _, ok := m["act"]; ok || m["impersonatedBy"] != "staff:1" {
			t.Errorf("the resource shows act or not impersonatedBy: %s", b)
		}
		b, _ = json.Marshal(plain.LoginToken)
		m = nil
		json.Unmarshal(b, &m)
		if v, ok := m["impersonatedBy"]; !ok || v != nil {
			t.Errorf("a plain token's impersonatedBy is not null: %s", b)
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

// A token made to open the shop as its user carries the staff member into
// every JWT it signs: it can be deleted, and nothing else. The test walks
// the revival of a used one (reusable, no expiry, value revealed, redeemed
// again) and the repurposing of one (another user, a new value).
func TestATokenMadeToImpersonateCannotBeChangedRegeneratedOrRevealed(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, t0)
		co := mustCompany(t, s, "Acme")
		jane := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		john := mustContact(t, s, co.ID, "John", "Roe", "john@acme.test")
		in5 := t0.Add(5 * time.Minute)
		tok := mustToken(t, s, lt.NewToken{ContactID: &jane.ID, ExpiresAt: &in5, OneTimeUse: true, Act: sam})
		if r := redeem(t, s, tok.Value); r.Code != "" {
			t.Fatalf("first redeem: %+v", r)
		}
		before, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if before.ImpersonatedBy == nil || *before.ImpersonatedBy != sam.Sub {
			t.Fatalf("impersonatedBy %v, want %s", before.ImpersonatedBy, sam.Sub)
		}

		refused := func(what string, err error) {
			t.Helper()
			wantCode(t, err, lt.ECONFLICT)
			msg := lt.ErrorMessage(err)
			for _, want := range []string{tok.ID, sam.Sub, "delete it", "Open webshop as"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: message %q does not say %q", what, msg, want)
				}
			}
			if strings.Contains(msg, tok.Value) {
				t.Errorf("%s: message holds the value", what)
			}
		}
		for name, upd := range map[string]lt.TokenUpdate{
			"reusable, never expires": {OneTimeUse: ptr(false), ExpiresAtSet: true},
			"a later expiry":          {ExpiresAtSet: true, ExpiresAt: ptr(t0.Add(time.Hour))},
			"extra":                   {Extra: &[]string{"note"}},
			"another user":            {ContactID: &john.ID},
			"anonymous":               {Anonymous: true},
			"nothing":                 {},
		} {
			_, value, err := s.UpdateToken(ctx, staff, tok.ID, upd)
			refused("update: "+name, err)
			if value != "" {
				t.Errorf("update %s answered a value", name)
			}
		}
		_, err = s.RegenerateToken(ctx, staff, tok.ID)
		refused("regenerate", err)
		value, err := s.RevealToken(ctx, staff, tok.ID, "reveal")
		refused("reveal", err)
		if value != "" {
			t.Error("a refused reveal answered the value")
		}

		after, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !after.OneTimeUse || !timeEq(after.ExpiresAt, before.ExpiresAt) || after.User.ID != jane.ID || after.Act == nil ||
			*after.Act != *sam || !after.UpdatedAt.Equal(before.UpdatedAt) || after.Status != lt.StatusUsed {
			t.Fatalf("the refused changes changed the token: %+v", after)
		}
		if r := redeem(t, s, tok.Value); r.Code != lt.ETOKENUSED {
			t.Fatalf("redeem after the refusals: %+v, want TOKEN_USED", r)
		}
		events, _, err := s.FindTokenEvents(ctx, tok.ID, 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == lt.EventTokenUpdated || e.Type == lt.EventTokenRegenerated || e.Type == lt.EventTokenRevealed {
				t.Errorf("a refused change left a %s event", e.Type)
			}
		}

		// A token without an impersonator changes as before.
		plain := mustToken(t, s, lt.NewToken{ContactID: &jane.ID})
		if plain.ImpersonatedBy != nil {
			t.Fatalf("a plain token is impersonated by %v", *plain.ImpersonatedBy)
		}
		if _, v, err := s.UpdateToken(ctx, staff, plain.ID, lt.TokenUpdate{ContactID: &john.ID}); err != nil || v == "" {
			t.Fatalf("plain token, another user: %q %v", v, err)
		}
		if _, err := s.RegenerateToken(ctx, staff, plain.ID); err != nil {
			t.Fatalf("plain token, regenerate: %v", err)
		}
		if _, err := s.RevealToken(ctx, staff, plain.ID, "reveal"); err != nil {
			t.Fatalf("plain token, reveal: %v", err)
		}

		// Deleting it is what to do, and is allowed.
		if err := s.DeleteToken(ctx, staff, tok.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		wantCode(t, func() error { _, err := s.FindTokenByID(ctx, tok.ID); return err }(), lt.ENOTFOUND)
	})
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestAnAnonymousTokenCannotImpersonate(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		_, err := s.CreateToken(ctx, staff, lt.NewToken{Act: sam})
		if lt.ErrorCode(err) != lt.EINVALID {
			t.Fatalf("anonymous with act: %v, want INVALID", err)
		}
	})
}
