package e2e

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	gjwt "github.com/golang-jwt/jwt/v5"
)

// callbackPost is what the fake shop's callback received.
type callbackPost struct {
	Assertion, Return, Referer string
}

// callbackRecorder is a shop's callback that takes the posted assertion and
// answers a page saying so.
func callbackRecorder(t *testing.T) (*httptest.Server, <-chan callbackPost) {
	t.Helper()
	got := make(chan callbackPost, 10)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callback", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got <- callbackPost{r.PostForm.Get("assertion"), r.PostForm.Get("return"), r.Header.Get("Referer")}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Shop</title><h1 id="welcome">Welcome to the shop</h1>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, got
}

type tokenCounters struct {
	ID                 string     `json:"id"`
	Status             string     `json:"status"`
	SuccessfulAttempts int        `json:"successfulAttempts"`
	FailedAttempts     int        `json:"failedAttempts"`
	LastAccessedAt     *time.Time `json:"lastAccessedAt"`
}

// A login link is fetched by a plain GET, then opened by a headless
// browser that runs the page's script but clicks nothing, as mail
// scanners and link previews do: neither burns the one-time link. Then a
// person opens it and presses the button, and the shop receives a valid
// assertion and the return path; the link then says it has been used.
func TestAScannerThatRunsTheLinkPageBurnsNothingAndThePersonsClickSignsIn(t *testing.T) {
	shop, posts := callbackRecorder(t)
	svc := startService(t, "LOGINTOKENS_SHOP_CALLBACK_URL="+shop.URL+"/callback")
	key := svc.apiKey()
	var created struct {
		tokenCounters
		Value    string `json:"value"`
		LoginURL string `json:"loginUrl"`
	}
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"oneTimeUse": true, "extra": []string{"e2e"}}, &created)
	link := created.LoginURL + "&return=/orders"
	unused := func(after string) {
		t.Helper()
		var st tokenCounters
		svc.api(key, "GET", "/api/v1/login-tokens/"+created.ID, nil, &st)
		if st.SuccessfulAttempts != 0 || st.FailedAttempts != 0 || st.LastAccessedAt != nil || st.Status != "active" {
			t.Fatalf("after %s the token is %+v, want it untouched", after, st)
		}
	}

	// A link checker: a plain GET.
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %d", resp.StatusCode)
	}
	unused("a plain GET")

	// A scanner with a browser: the page loads and its script runs; no
	// one clicks.
	scanner := newBrowser(t)
	var ranScript bool
	var loc string
	scanner.run(
		chromedp.Navigate(link),
		chromedp.WaitVisible(`form[action="/login"] button`, chromedp.ByQuery),
		chromedp.Evaluate(`performance.getEntriesByType("resource").some(e => e.name.includes("/login/static/submit."))`, &ranScript),
		chromedp.Location(&loc),
	)
	scanner.shot("scanner")
	if !ranScript {
		t.Fatal("the scanner's browser did not load the page's script; the test proves nothing")
	}
	if !strings.Contains(loc, "/login?token=") {
		t.Fatalf("the page went somewhere by itself: %s", loc)
	}
	select {
	case p := <-posts:
		t.Fatalf("the shop received an assertion nobody asked for: %+v", p)
	default:
	}
	unused("a browser that ran the page")

	// The person.
	person := newBrowser(t)
	var button string
	person.run(
		chromedp.Navigate(link),
		chromedp.Text(`form[action="/login"] button`, &button, chromedp.ByQuery, chromedp.NodeVisible),
	)
	person.shot("link")
	if strings.TrimSpace(button) != "Sign in" {
		t.Fatalf("button %q", button)
	}
	person.run(
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#welcome`, chromedp.ByID),
	)
	person.shot("shop")
	var p callbackPost
	select {
	case p = <-posts:
	case <-time.After(10 * time.Second):
		t.Fatal("the shop received nothing")
	}
	if p.Return != "/orders" || p.Referer != "" {
		t.Errorf("the shop got return %q and Referer %q; want /orders and no Referer", p.Return, p.Referer)
	}
	claims := verifyJWTWithJWKS(t, svc.URL, p.Assertion, shop.URL)
	if claims["loginToken"] != created.ID || claims["sub"] != "anonymous:"+created.ID {
		t.Errorf("claims %v", claims)
	}
	var st tokenCounters
	svc.api(key, "GET", "/api/v1/login-tokens/"+created.ID, nil, &st)
	if st.SuccessfulAttempts != 1 || st.FailedAttempts != 0 || st.Status != "used" {
		t.Errorf("after the click the token is %+v, want used once", st)
	}

	// The one-time link, opened again, says it has been used.
	var says string
	person.run(
		chromedp.Navigate(link),
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery, chromedp.NodeVisible),
		chromedp.WaitVisible(`.advice`, chromedp.ByQuery),
		chromedp.Text(`main`, &says, chromedp.ByQuery),
	)
	person.shot("used")
	if !strings.Contains(says, "was for one use only and has been used") {
		t.Errorf("the used link's page says %q", says)
	}
}

// verifyJWTWithJWKS checks the JWT with golang-jwt against the JWKS the
// service publishes, as a shop would.
func verifyJWTWithJWKS(t *testing.T, serviceURL, token, audience string) gjwt.MapClaims {
	t.Helper()
	resp, err := http.Get(serviceURL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	claims := gjwt.MapClaims{}
	_, err = gjwt.ParseWithClaims(token, claims, func(tok *gjwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		keys := set.Key(kid)
		if len(keys) != 1 {
			return nil, fmt.Errorf("kid %q not in the JWKS", kid)
		}
		return keys[0].Key.(*ecdsa.PublicKey), nil
	}, gjwt.WithValidMethods([]string{"ES256"}), gjwt.WithIssuer(serviceURL), gjwt.WithAudience(audience), gjwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("the assertion does not verify against the JWKS: %v", err)
	}
	return claims
}
