package e2e

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An owner registers a shop under Settings > Shops and sees its client
// secret once; with two shops, New Login Token's Shop field binds a token
// to it, the list's Shop column names it and the Shop filter keeps only
// its token. A viewer reads Settings > Shops with nothing to change, and
// the server refuses what the page does not offer.
func TestStaffRegistersAShopAndBindsATokenToItInTheBrowser(t *testing.T) {
	svc := startService(t)
	key := svc.apiKey()
	svc.CLI("", "shop", "create", "--name", "Beta Outlet", "--redirect-uri", "https://beta.example/cb")
	svc.staff("owner@shop.test", "configuration:owner")
	svc.staff("viewer@shop.test", "configuration:viewer")

	b := newBrowser(t)
	b.signIn(svc.URL, "owner@shop.test", adminPassword)
	b.run(
		chromedp.Navigate(svc.URL+"/admin/settings/shops"),
		chromedp.Click(`#new-shop`, chromedp.ByID),
		chromedp.WaitVisible(`#shop-form`, chromedp.ByID),
		chromedp.SendKeys(`#shop-name`, "Acme Store", chromedp.ByID),
		chromedp.SendKeys(`#shop-redirect-uris`, "https://acme.example/oidc/callback", chromedp.ByID),
		chromedp.SendKeys(`#shop-initiate-login-uri`, "https://acme.example/oidc/login", chromedp.ByID),
		chromedp.Click(`#shop-save`, chromedp.ByID),
		chromedp.WaitVisible(`#shop-secret`, chromedp.ByID),
	)
	b.shot("shop-registered")
	var secret, clientID string
	b.run(chromedp.Value(`#shop-secret`, &secret, chromedp.ByID), chromedp.Text(`#shop-created-client-id`, &clientID, chromedp.ByID))
	if !strings.HasPrefix(secret, "ltcs_"+clientID+"_") {
		t.Fatalf("secret %q for client %q", strings.SplitN(secret, "_", 3)[0], clientID)
	}
	// Once: the shop's page and the list show the client id, never the secret.
	var html string
	b.run(chromedp.Click(`#shop-secret-done`, chromedp.ByID), chromedp.WaitVisible(`#shop-form`, chromedp.ByID),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery))
	if strings.Contains(html, secret) || !strings.Contains(html, clientID) {
		t.Fatal("the shop's page shows the secret again, or not the client id")
	}
	b.run(chromedp.Navigate(svc.URL+"/admin/settings/shops"), chromedp.WaitVisible(`#shops-table`, chromedp.ByID),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery))
	if strings.Contains(html, secret) || !strings.Contains(html, "Acme Store") || !strings.Contains(html, "Beta Outlet") {
		t.Fatal("the list shows the secret, or not both shops")
	}
	var shops struct {
		Items []struct {
			ID   int64
			Name string
		}
	}
	svc.api(key, "GET", "/api/v1/shops", nil, &shops)
	var acme, beta int64
	for _, sh := range shops.Items {
		if sh.Name == "Acme Store" {
			acme = sh.ID
		} else {
			beta = sh.ID
		}
	}
	if acme == 0 || beta == 0 {
		t.Fatalf("shops %+v", shops)
	}

	// A token bound to Acme through the dialog's Shop field.
	b.run(
		chromedp.Navigate(svc.URL+"/admin/login-tokens"),
		chromedp.Click(`#new-token`, chromedp.ByID),
		chromedp.WaitVisible(`#new-shop`, chromedp.ByID),
		chromedp.SetValue(`#new-shop`, strconv.FormatInt(acme, 10), chromedp.ByID),
		chromedp.SendKeys(`#new-extra`, "for Acme only", chromedp.ByID),
	)
	b.shot("new-token-with-shop")
	var value string
	b.run(chromedp.Click(`#new-token-save`, chromedp.ByID), chromedp.WaitVisible(`#new-value`, chromedp.ByID),
		chromedp.Value(`#new-value`, &value, chromedp.ByID))
	id := strings.SplitN(value, "_", 3)[1]
	var tok struct{ ShopID *int64 }
	svc.api(key, "GET", "/api/v1/login-tokens/"+id, nil, &tok)
	if tok.ShopID == nil || *tok.ShopID != acme {
		t.Fatalf("the new token's shop is %v, want %d", tok.ShopID, acme)
	}
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"any shop"}}, nil)
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"for Beta"}, "shopId": beta}, nil)

	// The Shop filter keeps only Acme's token; its row names the shop.
	b.run(
		chromedp.Navigate(svc.URL+"/admin/login-tokens"),
		chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
		chromedp.Click(`#filters-button`, chromedp.ByID),
		chromedp.WaitVisible(`#filter-shop`, chromedp.ByID),
		chromedp.SetValue(`#filter-shop`, strconv.FormatInt(acme, 10), chromedp.ByID),
		chromedp.Click(`#filters-apply`, chromedp.ByID),
		chromedp.WaitVisible(`#active-filters`, chromedp.ByID),
	)
	b.shot("filtered-by-shop")
	if loc := b.location(); !strings.Contains(loc, "shopId="+strconv.FormatInt(acme, 10)) {
		t.Errorf("the filtered list is at %s", loc)
	}
	if rows := b.rows(); len(rows) != 1 || rows[0] != id {
		t.Fatalf("rows %v, want only %s", rows, id)
	}
	if shop := b.text(`tr[data-token-id="` + id + `"] td.col-shop`); shop != "Acme Store" {
		t.Errorf("the Shop column says %q", shop)
	}

	// A viewer reads Settings > Shops, with nothing to change.
	v := newBrowser(t)
	v.signIn(svc.URL, "viewer@shop.test", adminPassword)
	v.run(chromedp.Navigate(svc.URL+"/admin/settings/shops"), chromedp.WaitVisible(`#shops-table`, chromedp.ByID))
	v.shot("viewer-shops")
	for _, sel := range []string{"#new-shop", `#shops-table form`, `#shops-table button`} {
		if v.exists(sel) {
			t.Errorf("a viewer sees %s", sel)
		}
	}
	v.run(chromedp.Click(fmt.Sprintf(`#shop-%d a`, acme), chromedp.ByQuery), chromedp.WaitVisible(`#shop-facts`, chromedp.ByID))
	v.shot("viewer-shop")
	for _, sel := range []string{"#shop-form", "#shop-save", "#shop-rotate-secret", "#shop-disable"} {
		if v.exists(sel) {
			t.Errorf("a viewer sees %s on the shop's page", sel)
		}
	}
	path := fmt.Sprintf("/admin/settings/shops/%d", acme)
	for _, p := range []string{path, path + "/rotate-secret", path + "/disable"} {
		var status int
		v.run(chromedp.Evaluate(fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"X-CSRF-Token": document.body.dataset.csrf,
			"Content-Type": "application/x-www-form-urlencoded"}, body: %q}).then(r => r.status)`, p, url.Values{"name": {"Mine"}, "confirm": {"yes"}}.Encode()),
			&status, awaitPromise))
		if status != 403 {
			t.Errorf("a viewer's POST %s: %d, want 403", p, status)
		}
	}
}
