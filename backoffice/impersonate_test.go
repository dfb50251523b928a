package backoffice_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
)

// impersonator signs in a staff member with a name and the grants.
func (w *tokWorld) impersonator(t *testing.T, name, email string, grants ...string) (*lt.Staff, *browser) {
	t.Helper()
	gs, err := lt.ParseGrants(grants)
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.Store.CreateStaff(ctx, lt.NewStaff{Name: name, Email: email, Password: testPassword, Grants: gs})
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(email)
	return st, b
}

func (w *tokWorld) tokenCount(t *testing.T) int {
	t.Helper()
	_, n, err := w.Store.FindTokens(ctx, lt.TokenFilter{Sort: lt.DefaultSort, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	impersonateForm = regexp.MustCompile(`<form method="post" action="/admin/impersonate" target="_blank"[^>]*>`)
	loginForm       = regexp.MustCompile(`(?s)<form method="post" action="/login" id="impersonate-form" data-autosubmit>\s*<input type="hidden" name="token" value="(lt_[^"]+)">`)
	urlAttr         = regexp.MustCompile(`(?:href|action|src|formaction)="([^"]*)"`)
)

func TestAnEditorOpensTheWebshopAsAContactACustomerOrATokensUser(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		sam, b := w.impersonator(t, "Sam Sales", "sam@shop.test", "configuration:editor", "users:viewer")
		contactPage := "/admin/contacts/" + strconv.FormatInt(w.contact.ID, 10)
		customerPage := "/admin/customers/" + strconv.FormatInt(w.customer.ID, 10)

		// The buttons: on the contact, the customer and a token of a user.
		for path, label := range map[string]string{contactPage: "Open webshop as Jane Doe", customerPage: "Open webshop as Carl Buyer",
			"/admin/login-tokens/" + w.contactT.ID: "Open webshop as Jane Doe", "/admin/login-tokens/" + w.customerT.ID: "Open webshop as Carl Buyer"} {
			status, body, _ := b.get(path)
			wantStatus(t, path, status, http.StatusOK, body)
			if !impersonateForm.MatchString(body) {
				t.Fatalf("%s: no form posting to /admin/impersonate in a new tab:\n%s", path, body)
			}
			mustContain(t, path, body, label)
		}
		_, body, _ := b.get("/admin/login-tokens/" + w.anonT.ID)
		mustNotContain(t, "an anonymous token", body, "/admin/impersonate")

		cases := []struct {
			name  string
			form  url.Values
			user  lt.UserType
			id    int64
			label string
		}{
			{"contact", url.Values{"type": {"contact"}, "id": {strconv.FormatInt(w.contact.ID, 10)}}, lt.UserContact, w.contact.ID, "Jane Doe"},
			{"customer", url.Values{"type": {"customer"}, "id": {strconv.FormatInt(w.customer.ID, 10)}}, lt.UserCustomer, w.customer.ID, "Carl Buyer"},
			{"token's user", url.Values{"token": {w.contactT.ID}}, lt.UserContact, w.contact.ID, "Jane Doe"},
		}
		for _, tc := range cases {
			before := time.Now()
			status, body, h := b.post("/admin/impersonate", tc.form)
			wantStatus(t, tc.name, status, http.StatusOK, body)
			if cc := h.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control %q", tc.name, cc)
			}
			mustContain(t, tc.name, body, "Opening the webshop as "+tc.label, `id="impersonate-open"`)
			m := loginForm.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("%s: no self-submitting form posting the value to /login:\n%s", tc.name, body)
			}
			value := m[1]
			if strings.Count(body, value) != 1 {
				t.Errorf("%s: the value is in the page more than once", tc.name)
			}
			id, _, _ := lt.ParseValue(lt.TokenPrefix, value)
			for _, u := range urlAttr.FindAllStringSubmatch(body, -1) {
				if strings.Contains(u[1], id) || strings.Contains(u[1], "token=") {
					t.Errorf("%s: a URL carries the token: %s", tc.name, u[1])
				}
			}

			tok, err := w.Store.LookupToken(ctx, value)
			if err != nil {
				t.Fatalf("%s: the posted value is no token: %v", tc.name, err)
			}
			if !tok.OneTimeUse || tok.Status != lt.StatusActive || tok.User == nil || tok.User.Type != tc.user || tok.User.ID != tc.id {
				t.Errorf("%s: token %+v", tc.name, tok)
			}
			if tok.ExpiresAt == nil || tok.ExpiresAt.Before(before) || tok.ExpiresAt.After(time.Now().Add(5*time.Minute)) {
				t.Errorf("%s: expires at %v, want within 5 minutes", tc.name, tok.ExpiresAt)
			}
			want := lt.Impersonator{Sub: sam.Actor(), Name: "Sam Sales", Email: "sam@shop.test"}
			if tok.Act == nil || *tok.Act != want {
				t.Errorf("%s: act %+v, want %+v", tc.name, tok.Act, want)
			}
			if tok.CreatedBy != sam.Actor() || len(tok.Extra) != 1 || tok.Extra[0] != "Impersonation by Sam Sales" {
				t.Errorf("%s: created by %q, extra %q", tc.name, tok.CreatedBy, tok.Extra)
			}
			events, _, err := w.Store.FindTokenEvents(ctx, tok.ID, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			var d map[string]any
			if len(events) != 1 || events[0].Type != lt.EventTokenCreated || events[0].Actor != sam.Actor() ||
				json.Unmarshal(events[0].Details, &d) != nil || d["impersonation"] != true {
				t.Errorf("%s: audit trail %+v", tc.name, events)
			}
		}
	})
}

func TestImpersonationIsRefusedWhereItMustBe(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		contactID := strconv.FormatInt(w.contact.ID, 10)
		contactPage := "/admin/contacts/" + contactID
		// A function: post fills in the CSRF token of whoever posts.
		asJane := func() url.Values { return url.Values{"type": {"contact"}, "id": {contactID}} }
		count := w.tokenCount(t)

		// A viewer sees no button and cannot post.
		_, viewer := w.impersonator(t, "Vera Viewer", "vera@shop.test", "configuration:viewer", "users:editor")
		for _, path := range []string{contactPage, "/admin/login-tokens/" + w.contactT.ID} {
			_, body, _ := viewer.get(path)
			mustNotContain(t, "viewer on "+path, body, "/admin/impersonate")
		}
		status, body, _ := viewer.post("/admin/impersonate", asJane())
		wantStatus(t, "viewer", status, http.StatusForbidden, body)

		_, ed := w.impersonator(t, "Sam Sales", "sam@shop.test", "configuration:editor", "users:editor")
		ed.get(contactPage)
		form := url.Values{"csrf": {"not the token"}, "type": {"contact"}, "id": {contactID}}
		status, body, _ = ed.post("/admin/impersonate", form)
		wantStatus(t, "without the CSRF token", status, http.StatusForbidden, body)

		status, body, _ = ed.post("/admin/impersonate", url.Values{"token": {w.anonT.ID}})
		wantStatus(t, "anonymous token", status, http.StatusBadRequest, body)
		mustContain(t, "anonymous token", body, "is anonymous")

		status, body, _ = ed.post("/admin/impersonate", url.Values{"type": {"company"}, "id": {"1"}})
		wantStatus(t, "a company", status, http.StatusBadRequest, body)

		disabled := true
		if _, err := w.Store.UpdateContact(ctx, w.contact.ID, lt.PersonUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		_, body, _ = ed.get(contactPage)
		mustNotContain(t, "a disabled contact's page", body, "/admin/impersonate")
		status, body, _ = ed.post("/admin/impersonate", asJane())
		wantStatus(t, "disabled contact", status, http.StatusBadRequest, body)
		mustContain(t, "disabled contact", body, "Jane Doe is disabled")
		status, body, _ = ed.post("/admin/impersonate", url.Values{"token": {w.contactT.ID}})
		wantStatus(t, "token of a disabled contact", status, http.StatusBadRequest, body)

		if err := w.Store.DeleteCustomer(ctx, w.customer.ID); err != nil {
			t.Fatal(err)
		}
		status, body, _ = ed.post("/admin/impersonate", url.Values{"token": {w.customerT.ID}})
		wantStatus(t, "token of a deleted customer", status, http.StatusNotFound, body)
		mustContain(t, "deleted customer", body, "has been deleted")

		if n := w.tokenCount(t); n != count {
			t.Fatalf("refusals made tokens: %d, were %d", n, count)
		}
	})
}

// An "Open webshop as" token carries the staff member into every JWT it
// signs, so it can be deleted and nothing else: the edit dialog says whose
// impersonation it is and offers delete only, and every other action of
// the screen is refused with a message that says why and what to do, as a
// page and as JSON for tokens.js. The token stays as it was: used.
func TestAnImpersonationTokenCanOnlyBeDeletedInTheBackoffice(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		sam, b := w.impersonator(t, "Sam Sales", "sam@shop.test", "configuration:editor", "users:viewer")
		status, body, _ := b.post("/admin/impersonate", url.Values{"type": {"contact"}, "id": {strconv.FormatInt(w.contact.ID, 10)}})
		wantStatus(t, "impersonate", status, http.StatusOK, body)
		m := loginForm.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no value in the impersonation page:\n%s", body)
		}
		value := m[1]
		if res, err := w.Store.Redeem(ctx, lt.RedeemRequest{Value: value, ClientIP: "198.51.100.7", Actor: "login"}); err != nil || res.Code != "" {
			t.Fatalf("redeem: %+v %v", res, err)
		}
		before, err := w.Store.LookupToken(ctx, value)
		if err != nil {
			t.Fatal(err)
		}
		path := "/admin/login-tokens/" + before.ID

		// The dialog, as a page and as tokens.js's fragment.
		for _, fragment := range []bool{false, true} {
			var page string
			if fragment {
				page = b.fetch("GET", path, "X-Fragment", "1")
			} else {
				page = b.mustGet(path, http.StatusOK)
			}
			mustContain(t, "the dialog", page, `id="token-impersonation"`, "Sam Sales", "Jane Doe", "cannot be changed, revealed or regenerated",
				`action="/admin/login-tokens/delete"`, `name="ids" value="`+before.ID+`"`, `id="token-delete"`)
			mustNotContain(t, "the dialog", page, `id="token-edit-form"`, `id="token-save"`, `id="reveal-value"`, `id="copy-login-link"`,
				`id="copy-oci-url"`, `id="regenerate"`, `action="`+path+`/reveal"`, `action="`+path+`/regenerate"`)
		}

		refusedPage := func(what string, status int, body string) {
			t.Helper()
			wantStatus(t, what, status, http.StatusConflict, body)
			mustContain(t, what, body, "Sam Sales", "delete it", "Open webshop as")
			mustNotContain(t, what, body, value)
		}
		// Save: made reusable, never expiring, for another user.
		status, body, _ = b.post(path, url.Values{"user": {"contact:" + strconv.FormatInt(w.contact.ID, 10)}, "expiresAtLocal": {""}, "extra": {"x"}})
		refusedPage("save", status, body)
		status, body, _ = b.post(path, url.Values{"user": {"customer:" + strconv.FormatInt(w.customer.ID, 10)}, "oneTimeUse": {"true"}})
		refusedPage("save with another user", status, body)
		for _, purpose := range []string{"reveal", "copy login link", "copy OCI URL"} {
			status, body, _ = b.post(path+"/reveal", url.Values{"purpose": {purpose}}, "Accept", "application/json")
			var got map[string]string
			if status != http.StatusConflict || json.Unmarshal([]byte(body), &got) != nil || got["code"] != lt.ECONFLICT ||
				!strings.Contains(got["error"], "delete it") || got["value"] != "" || strings.Contains(body, value) {
				t.Fatalf("%s by fetch: %d %s", purpose, status, body)
			}
		}
		status, body, _ = b.post(path+"/reveal", url.Values{"purpose": {"reveal"}})
		refusedPage("reveal without JavaScript", status, body)
		status, body, _ = b.post(path+"/regenerate", url.Values{})
		refusedPage("regenerate, before its confirmation", status, body)
		status, body, _ = b.post(path+"/regenerate", url.Values{"confirm": {"yes"}})
		refusedPage("regenerate", status, body)

		after, err := w.Store.LookupToken(ctx, value)
		if err != nil {
			t.Fatalf("the value changed: %v", err)
		}
		if !after.OneTimeUse || after.Status != lt.StatusUsed || after.ExpiresAt == nil || !after.ExpiresAt.Equal(*before.ExpiresAt) ||
			after.User.ID != w.contact.ID || after.Act == nil || after.Act.Sub != sam.Actor() || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("the refusals changed the token: %+v", after)
		}
		if res, err := w.Store.Redeem(ctx, lt.RedeemRequest{Value: value, ClientIP: "198.51.100.7", Actor: "login"}); err != nil || res.Code != lt.ETOKENUSED {
			t.Fatalf("a second redeem: %+v %v", res, err)
		}

		// Delete is what the dialog offers, and it works.
		status, _, h := b.post("/admin/login-tokens/delete", url.Values{"ids": {before.ID}, "confirm": {"yes"}, "back": {"/admin/login-tokens"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/admin/login-tokens" {
			t.Fatalf("delete: %d %s", status, h.Get("Location"))
		}
		if _, err := w.Store.FindTokenByID(ctx, before.ID); lt.ErrorCode(err) != lt.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
		// Other tokens keep their editing controls.
		mustContain(t, "a plain token", b.mustGet("/admin/login-tokens/"+w.contactT.ID, http.StatusOK), `id="token-save"`, `id="reveal-value"`, `id="regenerate"`)
	})
}

// With the form-post callback and a provider's shop with an
// initiate-login URI, "Open webshop as" first asks which shop, making no
// token; the choice makes one, bound to the provider's shop chosen (which
// /login continues at its initiate-login URI) or to none for the
// callback. Disabled shops and shops without an initiate-login URI are
// not offered; with one place only, it goes straight on.
func TestOpenWebshopAsAsksWhichShopWhenThereAreSeveral(t *testing.T) {
	w := &tokWorld{testOffice: newOffice(t, "sqlite", func(c *backoffice.Config) { c.ShopCallback = true })}
	w.contact = &lt.Contact{CompanyID: mustCompanyID(t, w), Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
	if err := w.Store.CreateContact(ctx, w.contact); err != nil {
		t.Fatal(err)
	}
	_, b := w.impersonator(t, "Sam Sales", "sam@shop.test", "configuration:editor", "users:viewer")
	asJane := func(shop string) url.Values {
		v := url.Values{"type": {"contact"}, "id": {strconv.FormatInt(w.contact.ID, 10)}}
		if shop != "" {
			v.Set("shop", shop)
		}
		return v
	}
	b.get("/admin/contacts/" + strconv.FormatInt(w.contact.ID, 10))

	// The callback alone: straight on, unbound.
	status, body, _ := b.post("/admin/impersonate", asJane(""))
	wantStatus(t, "callback only", status, http.StatusOK, body)
	m := loginForm.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("callback only: no form to /login\n%s", body)
	}
	if tok, _ := w.Store.LookupToken(ctx, m[1]); tok == nil || tok.ShopID != nil {
		t.Fatalf("callback only: token %+v, want one bound to no shop", tok)
	}

	initiate := "https://acme.test/oidc/login"
	acme, _, err := w.Store.CreateShop(ctx, cliActor, lt.NewShop{Name: "Acme Store", RedirectURIs: []string{"https://acme.test/cb"}, InitiateLoginURI: &initiate})
	if err != nil {
		t.Fatal(err)
	}
	w.shop("NoInitiate")
	off, _, _ := w.Store.CreateShop(ctx, cliActor, lt.NewShop{Name: "Off", RedirectURIs: []string{"https://off.test/cb"}, InitiateLoginURI: &initiate})
	disabled := true
	w.Store.UpdateShop(ctx, cliActor, off.ID, lt.ShopUpdate{Disabled: &disabled})
	acmeID := strconv.FormatInt(acme.ID, 10)

	before := w.tokenCount(t)
	status, body, _ = b.post("/admin/impersonate", asJane(""))
	wantStatus(t, "choice", status, http.StatusOK, body)
	mustContain(t, "choice", body, "Open the webshop as Jane Doe", `id="impersonate-shop-callback"`, `id="impersonate-shop-`+acmeID+`"`,
		`name="shop" value="`+acmeID+`"`, `name="type" value="contact"`, `name="csrf"`)
	mustNotContain(t, "choice", body, "NoInitiate", ">Off<", `action="/login"`)
	if w.tokenCount(t) != before {
		t.Fatal("asking which shop made a token")
	}
	// A shop that is not offered is asked about again.
	status, body, _ = b.post("/admin/impersonate", asJane(strconv.FormatInt(off.ID, 10)))
	wantStatus(t, "a disabled shop", status, http.StatusOK, body)
	mustContain(t, "a disabled shop", body, `id="impersonate-shop-callback"`)

	for shop, want := range map[string]*int64{acmeID: &acme.ID, "callback": nil} {
		status, body, _ = b.post("/admin/impersonate", asJane(shop))
		wantStatus(t, shop, status, http.StatusOK, body)
		m := loginForm.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no form to /login\n%s", shop, body)
		}
		tok, err := w.Store.LookupToken(ctx, m[1])
		if err != nil || (want == nil) != (tok.ShopID == nil) || want != nil && *tok.ShopID != *want || tok.Act == nil {
			t.Fatalf("%s: token %+v %v", shop, tok, err)
		}
	}
}

func mustCompanyID(t *testing.T, w *tokWorld) int64 {
	t.Helper()
	c := &lt.Company{Name: "Acme Industries"}
	if err := w.Store.CreateCompany(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}
