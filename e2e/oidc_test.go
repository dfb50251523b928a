package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/logintokens/logintokens/internal/rptest"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The demo shop signs a contact in through OpenID Connect: its sign-in
// button leads to the provider's page, where the person pastes the login
// token and presses Sign in; the shop then shows who signed in.
func TestAShopStartedOpenIDConnectSignInInTheBrowser(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) { shopStartedSignIn(t, startServiceOn(t, kind, []string{"--demo"})) })
	}
}

func shopStartedSignIn(t *testing.T, svc *service) {
	key := svc.apiKey()
	ada := newPerson(t, svc, key, "Ada", "Lovelace", "Analytical Engines Ltd", false)

	b := shopBrowser(t)
	b.run(
		chromedp.Navigate(svc.URL+"/shop/"),
		chromedp.Click(`#oidc-sign-in`, chromedp.ByID),
		chromedp.WaitVisible(`#token`, chromedp.ByID),
	)
	b.shot("sign-in-page")
	if label := strings.TrimSpace(b.text(`label[for="token"]`)); label != "Login token" {
		t.Fatalf("the field is labelled %q, want Login token", label)
	}
	// A wrong token first: the page says why, as /login does, and stays.
	b.run(
		chromedp.SendKeys(`#token`, "lt_aaaaaaaaaaaaaaaa_"+strings.Repeat("A", 32), chromedp.ByID),
		chromedp.Click(`form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.advice`, chromedp.ByQuery),
	)
	if msg := b.text(`.message`); !strings.Contains(msg, "not valid") {
		t.Fatalf("a wrong token: the page says %q", msg)
	}
	// The whole login link may be pasted.
	b.run(
		chromedp.SendKeys(`#token`, ada.LoginURL, chromedp.ByID),
		chromedp.Click(`form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who-name`, chromedp.ByID),
	)
	b.shot("shop")
	if got := strings.TrimSpace(b.text("#who-name")); got != ada.Name {
		t.Errorf("the shop shows %q, want %q", got, ada.Name)
	}
	if loc := b.location(); loc != svc.URL+"/shop/" {
		t.Errorf("after the sign-in the browser is at %s", loc)
	}
	if st := svc.counters(key, ada.TokenID); st.SuccessfulAttempts != 1 {
		t.Errorf("the token counted %+v, want one success", st)
	}
}

// The login link of a token bound to the demo shop signs in at the
// provider and continues at the shop's initiate-login URI; the shop's own
// authorization request is answered by the new session at once.
func TestALinkStartedOpenIDConnectSignInInTheBrowser(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) { linkStartedSignIn(t, startServiceOn(t, kind, []string{"--demo"})) })
	}
}

func linkStartedSignIn(t *testing.T, svc *service) {
	key := svc.apiKey()
	var shops struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	svc.api(key, "GET", "/api/v1/shops", nil, &shops)
	if len(shops.Items) != 1 {
		t.Fatalf("serve --demo registered %+v, want the demo shop", shops.Items)
	}
	ada := newPerson(t, svc, key, "Ada", "Lovelace", "Analytical Engines Ltd", true)
	svc.api(key, "PATCH", "/api/v1/login-tokens/"+ada.TokenID, map[string]any{"shopId": shops.Items[0].ID}, nil)

	b := shopBrowser(t)
	b.run(
		chromedp.Navigate(ada.LoginURL),
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who-name`, chromedp.ByID),
	)
	b.shot("shop")
	if got := strings.TrimSpace(b.text("#who-role")); got != "Contact of "+ada.Company {
		t.Errorf("the shop shows %q", got)
	}
	if loc := b.location(); !strings.HasPrefix(loc, svc.URL+"/shop/") {
		t.Errorf("after the sign-in the browser is at %s", loc)
	}
	if st := svc.counters(key, ada.TokenID); st.SuccessfulAttempts != 1 || st.Status != "used" {
		t.Errorf("the one-time token is %+v, want used once", st)
	}
}

// A shop on another origin (a go-oidc relying party on 127.0.0.1, the
// service on localhost) gets its code in the browser for both flows, and
// by a form post when it asks for one: the pages' Content-Security-Policy
// lets the sign-in go on to the shop.
func TestOpenIDConnectSignInsReachAShopOnAnotherOrigin(t *testing.T) {
	svc := startService(t)
	key := svc.apiKey()
	rp := rptest.New(t, svc.URL)
	var shop struct {
		ID           int64  `json:"id"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	svc.api(key, "POST", "/api/v1/shops", map[string]any{"name": "Other origin", "redirectUris": []string{rp.RedirectURI()},
		"initiateLoginUri": rp.InitiateLoginURI()}, &shop)
	rp.Register(t, shop.ClientID, shop.ClientSecret)
	ada := newPerson(t, svc, key, "Ada", "Lovelace", "Analytical Engines Ltd", false)
	svc.api(key, "PATCH", "/api/v1/login-tokens/"+ada.TokenID, map[string]any{"shopId": shop.ID}, nil)

	signedIn := func(b *browser) rptest.SignedIn {
		t.Helper()
		var body string
		// Chromium shows a JSON answer in a <pre>.
		b.run(chromedp.Text(`body > pre`, &body, chromedp.ByQuery, chromedp.NodeVisible))
		if loc := b.location(); !strings.HasPrefix(loc, rp.Server.URL+"/callback") {
			t.Fatalf("the browser is at %s, want the shop's callback", loc)
		}
		var got rptest.SignedIn
		if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error != "" || got.IDToken["loginToken"] != ada.TokenID {
			b.shot("callback")
			t.Fatalf("the shop's callback answered %q (%v)", body, err)
		}
		return got
	}

	// Shop-started: the person types the token on the provider's page;
	// the code comes in the redirect's query, or, with
	// response_mode=form_post, the hand-off page posts it to the shop by
	// itself.
	for _, start := range []string{"/start", "/start?response_mode=form_post"} {
		b := shopBrowser(t)
		b.run(
			chromedp.Navigate(rp.Server.URL+start),
			chromedp.WaitVisible(`#token`, chromedp.ByID),
			chromedp.SendKeys(`#token`, ada.Value, chromedp.ByID),
			chromedp.Click(`form button`, chromedp.ByQuery),
		)
		if got := signedIn(b); got.IDToken["name"] != ada.Name || got.Userinfo["name"] != ada.Name {
			t.Errorf("%s: ID token %v, userinfo %v", start, got.IDToken, got.Userinfo)
		}
	}

	// Link-started, in a new browser: the link's page, its button, then the
	// shop's initiate-login URI.
	b := shopBrowser(t)
	b.run(
		chromedp.Navigate(ada.LoginURL),
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery),
	)
	signedIn(b)
}
