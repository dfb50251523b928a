package backoffice_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var shopSecretValue = regexp.MustCompile(`id="shop-secret" value="([^"]+)"`)

// An owner registers a shop, sees its client secret once (never again on
// any page), edits it, rotates the secret after confirming, disables and
// enables it; a bad field re-renders the form naming it.
func TestSettingsShopsOwnerRegistersEditsRotatesAndDisables(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("owner@shop.test", "configuration:owner")
			b := o.browser()
			b.signIn("owner@shop.test")

			status, body, _ := b.get("/admin/settings/shops")
			wantStatus(t, "list", status, 200, body)
			mustContain(t, "list", body, `id="new-shop"`, "No shops yet", `aria-current="page">Shops`)
			status, body, _ = b.get("/admin/settings/shops/new")
			wantStatus(t, "form", status, 200, body)
			mustContain(t, "form", body, `id="shop-name"`, `id="shop-redirect-uris"`, `id="shop-initiate-login-uri"`, `id="shop-post-logout-uris"`, `id="shop-kind-public"`)

			// Errors name their fields, and the form keeps what was typed.
			status, body, _ = b.post("/admin/settings/shops", url.Values{"name": {""}, "redirectUris": {"https://acme.test/cb#x"},
				"initiateLoginUri": {"ftp://acme.test/"}})
			wantStatus(t, "invalid", status, http.StatusBadRequest, body)
			mustContain(t, "invalid", body, `id="shop-name-error">Name is required.`, `id="shop-redirect-uris-error">URI 1 must not have a fragment`,
				`id="shop-initiate-login-uri-error">`, `value="ftp://acme.test/"`, `aria-invalid="true"`)
			status, body, _ = b.post("/admin/settings/shops", url.Values{"name": {"App"}, "redirectUris": {"http://app.example/cb"}, "public": {"true"}})
			wantStatus(t, "public over http", status, http.StatusBadRequest, body)
			mustContain(t, "public over http", body, `id="shop-redirect-uris-error">URI 1 must use https`, `id="shop-kind-public" checked`)

			status, body, _ = b.post("/admin/settings/shops", url.Values{"name": {"Acme Store"},
				"redirectUris": {"https://acme.test/cb\r\n\r\nhttps://acme.test/cb2\r\n"}, "initiateLoginUri": {" https://acme.test/login "},
				"postLogoutRedirectUris": {"https://acme.test/"}})
			wantStatus(t, "create", status, http.StatusCreated, body)
			m := shopSecretValue.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no secret on the page\n%s", body)
			}
			secret := html.UnescapeString(m[1])
			mustContain(t, "create", body, "shown only this once", `data-copy-from="shop-secret"`)
			shops, _ := o.Store.FindShops(ctx)
			if len(shops) != 1 {
				t.Fatalf("shops %+v", shops)
			}
			sh := shops[0]
			if got, err := o.Store.AuthenticateShop(ctx, sh.ClientID, secret); err != nil || got.ID != sh.ID {
				t.Fatalf("the secret shown does not authenticate: %v", err)
			}
			if len(sh.RedirectURIs) != 2 || sh.InitiateLoginURI == nil || *sh.InitiateLoginURI != "https://acme.test/login" || len(sh.PostLogoutRedirectURIs) != 1 {
				t.Fatalf("stored %+v", sh)
			}
			path := fmt.Sprintf("/admin/settings/shops/%d", sh.ID)
			for _, p := range []string{"/admin/settings/shops", path} {
				_, body, _ = b.get(p)
				mustContain(t, p, body, sh.ClientID, "Acme Store")
				mustNotContain(t, p, body, secret)
			}

			// Edit: the initiate-login URI removed, a name changed.
			status, body, h := b.post(path, url.Values{"name": {"Acme Shop"}, "redirectUris": {"https://acme.test/cb"}, "initiateLoginUri": {""},
				"postLogoutRedirectUris": {""}})
			wantStatus(t, "save", status, http.StatusSeeOther, body)
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "saved", body, "Saved.", `value="Acme Shop"`)
			got, _ := o.Store.FindShopByID(ctx, sh.ID)
			if got.Name != "Acme Shop" || got.InitiateLoginURI != nil || len(got.RedirectURIs) != 1 || len(got.PostLogoutRedirectURIs) != 0 {
				t.Fatalf("updated %+v", got)
			}
			status, body, _ = b.post(path, url.Values{"name": {"Acme Shop"}, "redirectUris": {""}})
			wantStatus(t, "save without redirect URIs", status, http.StatusBadRequest, body)
			mustContain(t, "save without redirect URIs", body, `id="shop-redirect-uris-error">Give at least one redirect URI.`)

			// Rotation asks first; only the confirmed request rotates.
			status, body, _ = b.post(path+"/rotate-secret", url.Values{})
			wantStatus(t, "rotate asks", status, http.StatusOK, body)
			mustContain(t, "rotate asks", body, `name="confirm" value="yes"`, "stops working at once")
			if _, err := o.Store.AuthenticateShop(ctx, sh.ClientID, secret); err != nil {
				t.Fatalf("the secret rotated without confirmation: %v", err)
			}
			status, body, _ = b.post(path+"/rotate-secret", url.Values{"confirm": {"yes"}})
			wantStatus(t, "rotate", status, http.StatusOK, body)
			m = shopSecretValue.FindStringSubmatch(body)
			if m == nil || html.UnescapeString(m[1]) == secret {
				t.Fatalf("no new secret on the page\n%s", body)
			}
			if _, err := o.Store.AuthenticateShop(ctx, sh.ClientID, html.UnescapeString(m[1])); err != nil {
				t.Fatalf("the rotated secret: %v", err)
			}
			if _, err := o.Store.AuthenticateShop(ctx, sh.ClientID, secret); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
				t.Fatalf("the old secret after rotation: %v", err)
			}

			status, _, h = b.post(path+"/disable", url.Values{"next": {path}})
			if got, _ := o.Store.FindShopByID(ctx, sh.ID); status != http.StatusSeeOther || !got.Disabled || !strings.HasPrefix(h.Get("Location"), path) {
				t.Fatalf("disable: %d %s %+v", status, h.Get("Location"), got)
			}
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "disabled", body, `id="shop-status">Disabled`, `id="shop-enable"`)
			b.post(path+"/enable", url.Values{})
			if got, _ := o.Store.FindShopByID(ctx, sh.ID); got.Disabled {
				t.Fatal("enable left the shop disabled")
			}
		})
	}
}

// Viewers and editors of the configuration read the shops, without a form
// or a button to change them, and the server refuses their changes.
func TestSettingsShopsAreReadOnlyBelowOwner(t *testing.T) {
	o := newOffice(t, "sqlite")
	sh, _, err := o.Store.CreateShop(ctx, lt.Actor{Name: "test"}, lt.NewShop{Name: "Acme Store", RedirectURIs: []string{"https://acme.test/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/settings/shops/%d", sh.ID)
	for _, role := range []string{"configuration:viewer", "configuration:editor"} {
		email := strings.ReplaceAll(role, ":", ".") + "@shop.test"
		o.staff(email, role)
		b := o.browser()
		b.signIn(email)
		_, body, _ := b.get("/admin/login-tokens")
		mustContain(t, role+" menu", body, `href="/admin/settings/shops"`)
		mustNotContain(t, role+" menu", body, `href="/admin/settings/api-keys"`)
		status, body, _ := b.get("/admin/settings/shops")
		wantStatus(t, role+" list", status, 200, body)
		mustContain(t, role+" list", body, "Acme Store", sh.ClientID, `id="shops-read-only"`)
		mustNotContain(t, role+" list", body, `id="new-shop"`, "/disable", "/enable")
		status, body, _ = b.get(path)
		wantStatus(t, role+" shop", status, 200, body)
		mustContain(t, role+" shop", body, `id="shop-redirect-uris"`, "https://acme.test/cb")
		mustNotContain(t, role+" shop", body, `id="shop-form"`, `id="shop-save"`, `id="shop-rotate-secret"`, `id="shop-disable"`)
		for _, p := range []string{path, path + "/rotate-secret", path + "/disable", "/admin/settings/shops"} {
			if status, _, _ := b.post(p, url.Values{"name": {"Mine"}, "redirectUris": {"https://x.test/cb"}, "confirm": {"yes"}}); status != http.StatusForbidden {
				t.Errorf("%s: POST %s: %d, want 403", role, p, status)
			}
		}
	}
	if got, _ := o.Store.FindShopByID(ctx, sh.ID); got.Name != "Acme Store" || got.Disabled {
		t.Fatalf("changed by a non-owner: %+v", got)
	}
}

// A hostile shop name is text on every screen that shows it: the shop
// list, the shop's page, the token dialogs' Shop field, the list's column
// and filter chip, and the token's details.
func TestHostileShopNamesAreEscaped(t *testing.T) {
	o := newOffice(t, "sqlite")
	var shops []*lt.Shop
	for _, name := range []string{xssScript, xssAttr} {
		sh, _, err := o.Store.CreateShop(ctx, lt.Actor{Name: "cli"}, lt.NewShop{Name: name, RedirectURIs: []string{"https://acme.test/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		shops = append(shops, sh)
	}
	tok, err := o.Store.CreateToken(ctx, lt.Actor{Name: "cli"}, lt.NewToken{ShopID: &shops[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	o.staff("all@shop.test", "configuration:owner")
	b := o.browser()
	b.signIn("all@shop.test")
	for _, path := range []string{"/admin/settings/shops", fmt.Sprintf("/admin/settings/shops/%d", shops[0].ID),
		"/admin/login-tokens", "/admin/login-tokens/new", "/admin/login-tokens/" + tok.ID} {
		status, body, _ := b.get(path)
		wantStatus(t, path, status, http.StatusOK, body)
		for _, raw := range rawForms {
			if strings.Contains(body, raw) {
				t.Errorf("%s holds the markup %s unescaped", path, raw)
			}
		}
		if !strings.Contains(body, escapedForms[0]) {
			t.Errorf("%s does not show the shop's name escaped", path)
		}
	}
	_, body, _ := b.get(fmt.Sprintf("/admin/login-tokens?shopId=%d", shops[1].ID))
	wantEscaped(t, "the filtered list", body)
}
