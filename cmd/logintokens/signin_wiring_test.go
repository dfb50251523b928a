package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
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
	c := &lt.Contact{Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
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

// The configured prefix lengths decide which addresses share a failure
// limit, for redeem and for the backoffice's sign-in alike.
func TestRateLimitPrefixesReachRedeemAndTheBackoffice(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		limited bool // whether other addresses of the /24 share the limit
	}{
		{"default: each IPv4 address", nil, false},
		{"configured /24", map[string]string{"LOGINTOKENS_RATE_LIMIT_IPV4_PREFIX": "24", "LOGINTOKENS_RATE_LIMIT_IPV6_PREFIX": "48"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"LOGINTOKENS_REDEEM_FAILURES_PER_MINUTE": "2", "LOGINTOKENS_TRUSTED_PROXIES": "127.0.0.1"}
			for k, v := range tc.env {
				env[k] = v
			}
			w := startWired(t, false, env)
			_, key, err := w.Store.CreateAPIKey(context.Background(), lt.NewAPIKey{Name: "Shop", Kind: lt.KeyWebshop})
			if err != nil {
				t.Fatal(err)
			}
			redeemFrom := func(ip string) int {
				status, _ := w.do("POST", "/api/v1/login-tokens/redeem", key, strings.NewReader(`{"token":"garbage","clientIp":"`+ip+`"}`), "application/json")
				return status
			}
			redeemFrom("203.0.113.1")
			redeemFrom("203.0.113.2")
			if status := redeemFrom("203.0.113.3"); (status == http.StatusTooManyRequests) != tc.limited {
				t.Errorf("redeem from a third address of the /24: %d, limited want %v", status, tc.limited)
			}

			// Five wrong passwords for one account from five addresses of
			// a /24, then the right one from a sixth.
			if _, err := w.Store.CreateStaff(context.Background(), lt.NewStaff{Email: "ops@shop.test", Password: "the right password"}); err != nil {
				t.Fatal(err)
			}
			signIn := func(ip, password string) int {
				_, page := w.do("GET", "/admin/login", "", nil, "")
				m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
				if m == nil {
					t.Fatalf("no CSRF field:\n%s", page)
				}
				form := url.Values{"email": {"ops@shop.test"}, "password": {password}, "csrf": {m[1]}}
				req, _ := http.NewRequest("POST", w.URL+"/admin/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", ip)
				req.AddCookie(&http.Cookie{Name: "lt_login_csrf", Value: m[1]})
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			for i := range 5 {
				if status := signIn("198.51.100."+strconv.Itoa(i+1), "a wrong password"); status != http.StatusUnauthorized {
					t.Fatalf("wrong password %d: %d", i+1, status)
				}
			}
			if status := signIn("198.51.100.99", "the right password"); (status == http.StatusTooManyRequests) != tc.limited || (!tc.limited && status != http.StatusSeeOther) {
				t.Errorf("the right password from a sixth address of the /24: %d, limited want %v", status, tc.limited)
			}
		})
	}
}

// Without a shop callback, serve warns once, at start; a loop of
// successful sign-ins adds no line about it.
func TestWithoutAShopServeWarnsOnceAtStartNotPerSignIn(t *testing.T) {
	db := newSQLiteDB(t)
	srv := startServe(t, db.env)
	value := stdoutLines(mustRun(t, db.env, "", "token", "create"))[0]
	for i := range 20 {
		resp, err := http.PostForm("http://"+srv.addr+"/login", url.Values{"token": {value}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "no shop is configured") {
			t.Fatalf("sign-in %d: %d\n%s", i+1, resp.StatusCode, body)
		}
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	var warnings []string
	for _, line := range strings.Split(srv.stderr.String(), "\n") {
		if strings.Contains(line, "shop callback") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "level=WARN") {
		t.Errorf("%d lines about the missing shop after 20 sign-ins, want one WARN at start:\n%s", len(warnings), strings.Join(warnings, "\n"))
	}
}
