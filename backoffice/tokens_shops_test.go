package backoffice_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

func (w *tokWorld) shop(name string) *lt.Shop {
	w.t.Helper()
	sh, _, err := w.Store.CreateShop(ctx, cliActor, lt.NewShop{Name: name, RedirectURIs: []string{"https://" + strings.ToLower(name) + ".test/cb"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return sh
}

// With none or one shop the token screens offer no shop: no field, no
// column, no filter.
func TestTokenScreensOfferNoShopUnlessThereAreSeveral(t *testing.T) {
	w := newTokWorld(t, "sqlite")
	b := w.editor()
	for _, shops := range []int{0, 1} {
		if shops == 1 {
			w.shop("Acme")
		}
		for _, path := range []string{"/admin/login-tokens", "/admin/login-tokens/new", "/admin/login-tokens/" + w.contactT.ID, "/admin/login-tokens/filters"} {
			body := b.mustGet(path, 200)
			mustNotContain(t, path, body, `name="shopId"`, ">Shop</th>", `id="token-shop"`)
		}
	}
	// Saving the edit form without the field leaves a token's shop alone.
	sh, _ := w.Store.FindShops(ctx)
	if _, _, err := w.Store.UpdateToken(ctx, cliActor, w.anonT.ID, lt.TokenUpdate{ShopIDSet: true, ShopID: &sh[0].ID}); err != nil {
		t.Fatal(err)
	}
	status, body, _ := b.post("/admin/login-tokens/"+w.anonT.ID, url.Values{"extra": {"walk-in"}})
	if got, _ := w.Store.FindTokenByID(ctx, w.anonT.ID); status != 200 || got.ShopID == nil || *got.ShopID != sh[0].ID {
		t.Fatalf("save without a Shop field: %d %+v\n%s", status, got, body)
	}
	mustContain(t, "a bound token's detail", body, `id="token-shop">Acme</dd>`)
}

// With several shops, New Login Token and the edit dialog have a Shop
// field (Any shop and each shop), the list a Shop column and a Shop
// filter, and the token's page names its shop.
func TestTokenScreensBindTokensToAShopOnceThereAreSeveral(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		a, bShop := w.shop("Acme"), w.shop("Beta")
		br := w.editor()
		aID, bID := strconv.FormatInt(a.ID, 10), strconv.FormatInt(bShop.ID, 10)

		body := br.mustGet("/admin/login-tokens/new", 200)
		mustContain(t, "new", body, `<label for="new-shop">Shop</label>`, `<option value="" selected>Any shop</option>`,
			`<option value="`+aID+`">Acme</option>`, `<option value="`+bID+`">Beta</option>`)
		status, body, _ := br.post("/admin/login-tokens", url.Values{"user": {""}, "shopId": {aID}, "extra": {"bound to acme"}}, "X-Fragment", "1")
		if status != http.StatusCreated {
			t.Fatalf("create bound: %d\n%s", status, body)
		}
		toks, _, _ := w.Store.FindTokens(ctx, lt.TokenFilter{ShopID: &a.ID})
		if len(toks) != 1 || toks[0].Extra[0] != "bound to acme" {
			t.Fatalf("tokens of Acme: %+v", toks)
		}
		bound := toks[0]
		status, body, _ = br.post("/admin/login-tokens", url.Values{"user": {""}, "shopId": {"x"}}, "X-Fragment", "1")
		if status != http.StatusBadRequest {
			t.Fatalf("a bad shop: %d", status)
		}
		mustContain(t, "a bad shop", body, `id="new-shop-error">Choose a shop from the list`)
		status, body, _ = br.post("/admin/login-tokens", url.Values{"user": {""}, "shopId": {"999999"}}, "X-Fragment", "1")
		if status != http.StatusBadRequest {
			t.Fatalf("a shop that does not exist: %d\n%s", status, body)
		}
		mustContain(t, "a shop that does not exist", body, `id="new-shop-error">`)

		// The list: a Shop column, and the filter keeps only Acme's token.
		body = br.mustGet("/admin/login-tokens", 200)
		mustContain(t, "list", body, ">Shop</th>", `<td class="col-shop">Acme</td>`, `<td class="col-shop">Any shop</td>`,
			`<select id="filter-shop" name="shopId">`)
		body = br.mustGet("/admin/login-tokens?shopId="+aID, 200)
		mustContain(t, "filtered", body, bound.ID, `<span class="chip-label">Shop:</span>`, `<span class="chip-text">Acme</span>`,
			`<option value="`+aID+`" selected>Acme</option>`)
		mustNotContain(t, "filtered", body, w.contactT.ID, w.anonT.ID)
		status, body, _ = br.post("/admin/login-tokens/filter", url.Values{"shopId": {bID}})
		if status != http.StatusSeeOther {
			t.Fatalf("filter panel: %d %s", status, body)
		}
		_, _, h := br.post("/admin/login-tokens/filter", url.Values{"shopId": {bID}})
		if loc := h.Get("Location"); loc != "/admin/login-tokens?shopId="+bID {
			t.Fatalf("the panel's shop goes to %s", loc)
		}
		status, body, _ = br.get("/admin/login-tokens?shopId=abc")
		if status != http.StatusBadRequest || !strings.Contains(body, "Shop: ") {
			t.Fatalf("a bad shopId: %d", status)
		}

		// The edit dialog: the token's shop selected; moved to Beta, then
		// to any shop.
		body = br.mustGet("/admin/login-tokens/"+bound.ID, 200)
		mustContain(t, "edit", body, `<label for="edit-shop">Shop</label>`, `<option value="`+aID+`" selected>Acme</option>`, `id="token-shop">Acme</dd>`)
		br.post("/admin/login-tokens/"+bound.ID, url.Values{"user": {""}, "shopId": {bID}, "extra": {"bound to acme"}})
		if got, _ := w.Store.FindTokenByID(ctx, bound.ID); got.ShopID == nil || *got.ShopID != bShop.ID {
			t.Fatalf("moved to Beta: %+v", got.ShopID)
		}
		br.post("/admin/login-tokens/"+bound.ID, url.Values{"user": {""}, "shopId": {""}, "extra": {"bound to acme"}})
		if got, _ := w.Store.FindTokenByID(ctx, bound.ID); got.ShopID != nil {
			t.Fatalf("to any shop: %+v", *got.ShopID)
		}
		body = w.viewer().mustGet("/admin/login-tokens/"+bound.ID, 200)
		mustContain(t, "viewer's detail", body, `id="token-shop">Any shop</dd>`)
	})
}
