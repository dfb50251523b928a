package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// wiredServer is serve's handler on a real listener, built as serve
// builds it once the port is bound.
type wiredServer struct {
	t     *testing.T
	URL   string
	Store *sqlstore.Store
}

func startWired(t *testing.T, demo bool, env map[string]string) *wiredServer {
	t.Helper()
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	store := sqlstoretest.Open(t, "sqlite")
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String()
	signer := jwtsign.New(store, public, cfg.audience(public, demo))
	if err := signer.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := newServer(serverDeps{Store: store, Log: newLogger(io.Discard, "text"), Config: cfg, PublicURL: public, Demo: demo,
		ServiceURL: localURL(ts.Listener.Addr()), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return &wiredServer{t: t, URL: public, Store: store}
}

func (w *wiredServer) do(method, path, key string, body io.Reader, contentType string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.URL+path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (w *wiredServer) postForm(path string, form url.Values) (int, string) {
	w.t.Helper()
	return w.do("POST", path, "", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (w *wiredServer) token() string {
	w.t.Helper()
	tok, err := w.Store.CreateToken(context.Background(), lt.Actor{Name: "test"}, lt.NewToken{})
	if err != nil {
		w.t.Fatal(err)
	}
	return tok.Value
}

var formActionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// The sign-in pages share the API's redeem service (one failure limit per
// client address) and its redeem counter, and hand off to the configured
// shop; the OCI entry takes the configured allow list.
func TestServeMountsSignInOnTheAPIsRedeemServiceAndCounter(t *testing.T) {
	w := startWired(t, false, map[string]string{
		"LOGINTOKENS_SHOP_CALLBACK_URL":          "https://shop.example.test/auth/callback",
		"LOGINTOKENS_OCI_HOOK_ALLOW":             "https://srm.acme.test/sap/",
		"LOGINTOKENS_REDEEM_FAILURES_PER_MINUTE": "3",
	})
	value := w.token()
	if status, body := w.do("GET", "/login?token="+value, "", nil, ""); status != 200 || !strings.Contains(body, `action="/login"`) {
		t.Fatalf("GET /login: %d\n%s", status, body)
	}
	status, body := w.postForm("/login", url.Values{"token": {value}})
	if m := formActionRE.FindStringSubmatch(body); status != 200 || m == nil || m[1] != "https://shop.example.test/auth/callback" {
		t.Fatalf("POST /login: %d\n%s", status, body)
	}
	oci := url.Values{"token": {value}, "HOOK_URL": {"https://srm.acme.test/sap/bc/hook"}}
	if status, body := w.do("GET", "/oci/login?"+oci.Encode(), "", nil, ""); status != 200 || !strings.Contains(body, "assertion") {
		t.Fatalf("OCI entry: %d\n%s", status, body)
	}
	oci.Set("HOOK_URL", "https://srm.acme.test/sapx")
	if status, _ := w.do("GET", "/oci/login?"+oci.Encode(), "", nil, ""); status != 400 {
		t.Fatalf("a hook outside the allow list: %d", status)
	}

	// Two failures through the browser and one through the API use up
	// the address's limit of 3: the next try is limited on either path.
	_, key, err := w.Store.CreateAPIKey(context.Background(), lt.NewAPIKey{Name: "Shop", Kind: lt.KeyWebshop})
	if err != nil {
		t.Fatal(err)
	}
	w.postForm("/login", url.Values{"token": {"garbage"}})
	w.postForm("/oci/login", url.Values{"token": {"garbage"}, "HOOK_URL": {"https://srm.acme.test/sap/"}})
	apiRedeem := func() int {
		status, _ := w.do("POST", "/api/v1/login-tokens/redeem", key, strings.NewReader(`{"token":"garbage"}`), "application/json")
		return status
	}
	if s := apiRedeem(); s != 400 {
		t.Fatalf("third failure: %d", s)
	}
	if s := apiRedeem(); s != 429 {
		t.Errorf("the API after failures through the browser: %d, want 429 (one limit for every path)", s)
	}
	if s, _ := w.postForm("/login", url.Values{"token": {value}}); s != 429 {
		t.Errorf("/login after failures: %d, want 429", s)
	}

	_, metrics := w.do("GET", "/metrics", "", nil, "")
	for _, want := range []string{
		`logintokens_redeem_total{outcome="success"} 2`,
		`logintokens_redeem_total{outcome="TOKEN_INVALID"} 3`,
		`logintokens_redeem_total{outcome="RATE_LIMITED"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
}

func TestWithoutAllowListOrShopSignInSaysSo(t *testing.T) {
	w := startWired(t, false, nil)
	value := w.token()
	if status, body := w.postForm("/login", url.Values{"token": {value}}); status != 200 || !strings.Contains(body, "no shop is configured") {
		t.Errorf("POST /login without a shop: %d\n%s", status, body)
	}
	oci := url.Values{"token": {value}, "HOOK_URL": {"https://srm.acme.test/"}}
	if status, body := w.do("GET", "/oci/login?"+oci.Encode(), "", nil, ""); status != 404 || !strings.Contains(body, "OCI punchout is not enabled") {
		t.Errorf("OCI without an allow list: %d\n%s", status, body)
	}
}

// With --demo the login pages hand off to the demo shop's callback, and
// the shop, which fetches the keys over HTTP, signs the person in.
func TestDemoShopIsTheDefaultCallbackAndTrustsTheAssertion(t *testing.T) {
	w := startWired(t, true, nil)
	c := &lt.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}
	co := &lt.Company{Name: "Acme GmbH"}
	if err := w.Store.CreateCompany(context.Background(), co); err != nil {
		t.Fatal(err)
	}
	c.CompanyID = co.ID
	if err := w.Store.CreateContact(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	tok, err := w.Store.CreateToken(context.Background(), lt.Actor{Name: "test"}, lt.NewToken{ContactID: &c.ID})
	if err != nil {
		t.Fatal(err)
	}
	status, body := w.postForm("/login", url.Values{"token": {tok.Value}})
	m := formActionRE.FindStringSubmatch(body)
	if status != 200 || m == nil || m[1] != w.URL+demoShopPath+"/callback" {
		t.Fatalf("POST /login: %d, want a hand-off to %s/callback:\n%s", status, demoShopPath, body)
	}
	assertion := regexp.MustCompile(`name="assertion" value="([^"]+)"`).FindStringSubmatch(body)
	if assertion == nil {
		t.Fatalf("no assertion:\n%s", body)
	}
	// The browser's next step: post it to the shop, then follow it in.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(m[1], url.Values{"assertion": {assertion[1]}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Jane Doe") {
		t.Fatalf("the demo shop after the callback: %d\n%s", resp.StatusCode, page)
	}
}
