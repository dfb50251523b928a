package sqlstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func mustShop(t *testing.T, s *sqlstore.Store, n lt.NewShop) (*lt.Shop, string) {
	t.Helper()
	if n.Name == "" {
		n.Name = "Shop"
	}
	if n.RedirectURIs == nil {
		n.RedirectURIs = []string{"https://shop.test/oidc/callback"}
	}
	sh, secret, err := s.CreateShop(ctx, staff, n)
	if err != nil {
		t.Fatalf("create shop: %v", err)
	}
	return sh, secret
}

func TestAShopsClientSecretIsShownOnceAndRotates(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sh, secret := mustShop(t, s, lt.NewShop{Name: "Acme Store", RedirectURIs: []string{"https://acme.test/cb"},
			InitiateLoginURI: ptr("https://acme.test/login"), PostLogoutRedirectURIs: []string{"https://acme.test/"}})
		if !strings.HasPrefix(secret, "ltcs_"+sh.ClientID+"_") || sh.Public || sh.Disabled {
			t.Fatalf("shop %+v, secret shaped %q", sh, lt.RedactSecrets(secret))
		}
		if lt.RedactSecrets(secret) == secret {
			t.Fatal("a client secret is not cut from messages and logs")
		}
		if got, err := s.AuthenticateShop(ctx, sh.ClientID, secret); err != nil || got.ID != sh.ID {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		for name, try := range map[string][2]string{
			"wrong secret":          {sh.ClientID, wrongSecret(secret)},
			"another client's id":   {"zzzzzzzzzzzzzzzz", secret},
			"empty":                 {sh.ClientID, ""},
			"a token value instead": {sh.ClientID, "lt_" + sh.ClientID + "_" + strings.Repeat("A", 32)},
		} {
			if _, err := s.AuthenticateShop(ctx, try[0], try[1]); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
				t.Errorf("%s: %v, want UNAUTHENTICATED", name, err)
			}
		}

		_, rotated, err := s.RotateShopSecret(ctx, staff, sh.ID)
		if err != nil || rotated == secret {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := s.AuthenticateShop(ctx, sh.ClientID, secret); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
			t.Fatalf("the old secret still works after rotation: %v", err)
		}
		if _, err := s.AuthenticateShop(ctx, sh.ClientID, rotated); err != nil {
			t.Fatalf("the new secret: %v", err)
		}

		if _, err := s.UpdateShop(ctx, staff, sh.ID, lt.ShopUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateShop(ctx, sh.ClientID, rotated); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
			t.Fatalf("a disabled shop authenticates: %v", err)
		}

		pub, none := mustShop(t, s, lt.NewShop{Name: "App", Public: true, RedirectURIs: []string{"http://127.0.0.1:7777/cb"}})
		if none != "" || !pub.Public {
			t.Fatalf("a public shop got a secret or is not public: %+v", pub)
		}
		if _, _, err := s.RotateShopSecret(ctx, staff, pub.ID); lt.ErrorCode(err) != lt.ECONFLICT {
			t.Fatalf("rotate a public shop's secret: %v", err)
		}
		got, err := s.FindShopByClientID(ctx, pub.ClientID)
		if err != nil || got.ID != pub.ID || len(got.PostLogoutRedirectURIs) != 0 {
			t.Fatalf("by client id: %+v %v", got, err)
		}
		shops, err := s.FindShops(ctx)
		if err != nil || len(shops) != 2 || shops[0].Name != "Acme Store" || *shops[0].InitiateLoginURI != "https://acme.test/login" {
			t.Fatalf("list: %+v %v", shops, err)
		}
		var n int
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type LIKE 'shop.%'`).Scan(&n); err != nil || n != 4 {
			t.Fatalf("%d shop audit events (%v), want 4 (two created, one rotated, one updated)", n, err)
		}
	})
}

func TestAShopNeedsRedirectURIsABrowserMayBeSentTo(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		cases := []struct {
			name  string
			n     lt.NewShop
			field string
		}{
			{"no name", lt.NewShop{RedirectURIs: []string{"https://a.test/cb"}}, "name"},
			{"no redirect URI", lt.NewShop{Name: "A"}, "redirectUris"},
			{"relative", lt.NewShop{Name: "A", RedirectURIs: []string{"/cb"}}, "redirectUris"},
			{"a fragment", lt.NewShop{Name: "A", RedirectURIs: []string{"https://a.test/cb#x"}}, "redirectUris"},
			{"javascript", lt.NewShop{Name: "A", RedirectURIs: []string{"javascript:alert(1)"}}, "redirectUris"},
			{"user info", lt.NewShop{Name: "A", RedirectURIs: []string{"https://u:p@a.test/cb"}}, "redirectUris"},
			{"public over plain http", lt.NewShop{Name: "A", Public: true, RedirectURIs: []string{"http://a.test/cb"}}, "redirectUris"},
			{"bad initiate-login URI", lt.NewShop{Name: "A", RedirectURIs: []string{"https://a.test/cb"}, InitiateLoginURI: ptr("ftp://a.test/")}, "initiateLoginUri"},
			{"bad post-logout URI", lt.NewShop{Name: "A", RedirectURIs: []string{"https://a.test/cb"}, PostLogoutRedirectURIs: []string{"nope"}}, "postLogoutRedirectUris"},
		}
		for _, tc := range cases {
			_, _, err := s.CreateShop(ctx, staff, tc.n)
			var e *lt.Error
			if lt.ErrorCode(err) != lt.EINVALID || !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Errorf("%s: %v, want INVALID_INPUT naming %s", tc.name, err, tc.field)
			}
		}
		// Confidential shops may use plain http (behind a proxy, in a test).
		mustShop(t, s, lt.NewShop{Name: "Dev", RedirectURIs: []string{"http://shop.internal/cb"}})
	})
}

func TestAShopWithBoundTokensCannotBeDeleted(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sh, _ := mustShop(t, s, lt.NewShop{})
		tok := mustToken(t, s, lt.NewToken{ShopID: &sh.ID})
		if tok.ShopID == nil || *tok.ShopID != sh.ID {
			t.Fatalf("token shop %v, want %d", tok.ShopID, sh.ID)
		}
		if err := s.DeleteShop(ctx, staff, sh.ID); lt.ErrorCode(err) != lt.ECONFLICT {
			t.Fatalf("delete a shop with a bound token: %v", err)
		}
		if _, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{ShopIDSet: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteShop(ctx, staff, sh.ID); err != nil {
			t.Fatalf("delete the shop once unbound: %v", err)
		}
		if _, err := s.FindShopByID(ctx, sh.ID); lt.ErrorCode(err) != lt.ENOTFOUND {
			t.Fatalf("deleted shop: %v", err)
		}
	})
}

func TestATokenIsBoundOnlyToAShopThatExists(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if _, err := s.CreateToken(ctx, staff, lt.NewToken{ShopID: ptr(int64(999))}); lt.ErrorCode(err) != lt.EINVALID || !strings.Contains(err.Error(), "shopId") {
			t.Fatalf("create with an unknown shop: %v", err)
		}
		sh, _ := mustShop(t, s, lt.NewShop{})
		tok := mustToken(t, s, lt.NewToken{})
		got, value, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{ShopIDSet: true, ShopID: &sh.ID})
		if err != nil || got.ShopID == nil || *got.ShopID != sh.ID || value != "" {
			t.Fatalf("bind: %+v %q %v", got, value, err)
		}
		if _, _, err := s.UpdateToken(ctx, staff, tok.ID, lt.TokenUpdate{ShopIDSet: true, ShopID: ptr(int64(999))}); lt.ErrorCode(err) != lt.EINVALID {
			t.Fatalf("bind to an unknown shop: %v", err)
		}
		again, err := s.FindTokenByID(ctx, tok.ID)
		if err != nil || again.ShopID == nil || *again.ShopID != sh.ID {
			t.Fatalf("read back: %+v %v", again, err)
		}
	})
}

// A token bound to a shop signs in only there: anywhere else (another
// shop, the API's form-post redeem) it is TOKEN_INVALID and counts as a
// failed attempt, with the shop in its audit event. The login link, which
// goes on to the token's own shop, takes it.
func TestABoundTokenSignsInOnlyAtItsShop(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		a, _ := mustShop(t, s, lt.NewShop{Name: "A"})
		b, _ := mustShop(t, s, lt.NewShop{Name: "B"})
		bound := mustToken(t, s, lt.NewToken{ShopID: &a.ID})
		free := mustToken(t, s, lt.NewToken{})
		try := func(value string, shop int64, any bool) lt.RedeemResult {
			t.Helper()
			res, err := s.Redeem(ctx, lt.RedeemRequest{Value: value, ClientIP: "198.51.100.7", Actor: "oidc", ShopID: shop, AnyShop: any})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if r := try(bound.Value, b.ID, false); r.Code != lt.ETOKENINVALID || r.Token != nil {
			t.Fatalf("at another shop: %+v", r)
		}
		if r := try(bound.Value, 0, false); r.Code != lt.ETOKENINVALID {
			t.Fatalf("at the form-post redeem: %+v", r)
		}
		tok, _ := s.FindTokenByID(ctx, bound.ID)
		if tok.FailedAttempts != 2 || tok.SuccessfulAttempts != 0 {
			t.Fatalf("counters %d failed, %d successful; want 2 and 0", tok.FailedAttempts, tok.SuccessfulAttempts)
		}
		if r := try(bound.Value, a.ID, false); r.Code != "" {
			t.Fatalf("at its shop: %+v", r)
		}
		if r := try(bound.Value, 0, true); r.Code != "" {
			t.Fatalf("by its login link: %+v", r)
		}
		if r := try(free.Value, b.ID, false); r.Code != "" {
			t.Fatalf("an unbound token at a shop: %+v", r)
		}
		events, _, err := s.FindTokenEvents(ctx, bound.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-2] // the refusal at shop B, after the creation
		if last.Type != lt.EventTokenRejected || !strings.Contains(string(last.Details), `"reason":"TOKEN_INVALID"`) ||
			!strings.Contains(string(last.Details), `"shopId":`) {
			t.Fatalf("audit of the refusal: %s %s", last.Type, last.Details)
		}
	})
}

// The list's shop filter keeps the tokens bound to that shop, with the
// other filters, the search, every order and paging; tokens that sign in
// at any shop are not among them.
func TestFindTokensFiltersByShop(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		a, _ := mustShop(t, s, lt.NewShop{Name: "A"})
		b, _ := mustShop(t, s, lt.NewShop{Name: "B"})
		co := mustCompany(t, s, "Acme")
		jane := mustContact(t, s, co.ID, "Jane", "Doe", "jane@acme.test")
		a1 := mustToken(t, s, lt.NewToken{ContactID: &jane.ID, ShopID: &a.ID, Extra: []string{"findme"}})
		a2 := mustToken(t, s, lt.NewToken{ShopID: &a.ID, OneTimeUse: true})
		mustToken(t, s, lt.NewToken{ContactID: &jane.ID, ShopID: &b.ID, Extra: []string{"findme"}})
		mustToken(t, s, lt.NewToken{ContactID: &jane.ID, Extra: []string{"findme"}})
		list := func(f lt.TokenFilter) []string {
			t.Helper()
			toks, total, err := s.FindTokens(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, tok := range toks {
				if tok.ShopID == nil || *tok.ShopID != *f.ShopID {
					t.Errorf("%+v: token %s of shop %v", f, tok.ID, tok.ShopID)
				}
				ids = append(ids, tok.ID)
			}
			if f.PageSize == 0 && total != len(ids) {
				t.Errorf("%+v: total %d, %d listed", f, total, len(ids))
			}
			return ids
		}
		for _, sort := range lt.SortKeys {
			for _, desc := range []bool{false, true} {
				got := list(lt.TokenFilter{ShopID: &a.ID, Sort: lt.Sort{Key: sort, Desc: desc}})
				if len(got) != 2 || !slices.Contains(got, a1.ID) || !slices.Contains(got, a2.ID) {
					t.Errorf("shop A by %s desc=%v: %v, want %s and %s", sort, desc, got, a1.ID, a2.ID)
				}
			}
		}
		if got := list(lt.TokenFilter{ShopID: &a.ID, Q: "findme"}); !slices.Equal(got, []string{a1.ID}) {
			t.Errorf("shop A with q: %v, want %s", got, a1.ID)
		}
		if got := list(lt.TokenFilter{ShopID: &a.ID, OneTimeUse: ptr(true)}); !slices.Equal(got, []string{a2.ID}) {
			t.Errorf("shop A, one time use: %v, want %s", got, a2.ID)
		}
		if got := list(lt.TokenFilter{ShopID: &a.ID, Types: []lt.UserType{lt.UserContact}, ContactIDs: []int64{jane.ID}}); !slices.Equal(got, []string{a1.ID}) {
			t.Errorf("shop A, Jane's: %v, want %s", got, a1.ID)
		}
		toks, total, err := s.FindTokens(ctx, lt.TokenFilter{ShopID: &a.ID, Page: 2, PageSize: 1})
		if err != nil || total != 2 || len(toks) != 1 {
			t.Errorf("shop A page 2 of 1: %d of %d, %v", len(toks), total, err)
		}
		if got := list(lt.TokenFilter{ShopID: ptr(int64(999))}); len(got) != 0 {
			t.Errorf("a shop that does not exist: %v", got)
		}
	})
}
