package demoshop_test

import (
	"net/http"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// Hostile strings in every claim the shop shows or posts on: a script
// element, and an attribute break-out with an event handler.
const (
	xssScript = `<script>alert(1)</script>`
	xssAttr   = `"><img src=x onerror=alert(1)>`
)

func wantNoMarkup(t *testing.T, what string, p page, mustShow ...string) {
	t.Helper()
	for _, raw := range []string{xssScript, `<img src=x onerror=alert(1)>`} {
		if strings.Contains(p.body, raw) {
			t.Errorf("%s holds the markup %s unescaped", what, raw)
		}
	}
	for _, esc := range mustShow {
		if !strings.Contains(p.body, esc) {
			t.Errorf("%s does not show %s", what, esc)
		}
	}
}

func TestHostileClaimsAreEscapedOnTheShopsPages(t *testing.T) {
	e := newEnv(t)
	tok := &lt.LoginToken{ID: "x5x5x5x5x5x5", Type: lt.UserContact, Extra: []string{xssScript, xssAttr},
		User: &lt.UserRef{Type: lt.UserContact, ID: 7, Name: xssScript + " " + xssAttr, Email: xssAttr + "@acme.test",
			Company: &lt.CompanyRef{ID: 3, Name: xssScript}}}
	hook := "https://srm.example.test/hook?x=" + xssAttr
	b := e.browser()
	b.signIn(issue(t, e.signer, lt.Assertion{Token: tok,
		Act: &lt.Impersonator{Sub: "staff:1", Name: xssScript, Email: xssAttr},
		OCI: map[string]string{"hookUrl": hook, "okCode": xssAttr, "target": xssScript, "returnTarget": xssAttr, "CUSTFIELD1": xssScript}}))

	home := b.get("/shop/")
	wantStatus(t, home, http.StatusOK)
	wantNoMarkup(t, "the home page", home, `&lt;script&gt;alert(1)&lt;/script&gt;`, `&#34;&gt;&lt;img src=x onerror=alert(1)&gt;`)

	cart := b.get("/shop/cart")
	wantStatus(t, cart, http.StatusOK)
	wantNoMarkup(t, "the cart", cart)

	// The transfer form posts the claims back: as attribute values, escaped,
	// and the hook as its action, URL-escaped.
	transfer := b.get("/shop/transfer")
	wantStatus(t, transfer, http.StatusOK)
	wantNoMarkup(t, "the transfer page", transfer, `value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`)
	if !strings.Contains(transfer.body, `action="https://srm.example.test/hook?x=%22%3e%3cimg%20src=x%20onerror=alert%281%29%3e"`) {
		t.Errorf("the transfer form's action is not the hook, escaped:\n%s", transfer.body)
	}
}
