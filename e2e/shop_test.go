package e2e

import (
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/logintokens/logintokens/oci"
)

// These tests run `serve --demo` and sign people into the demo shop under
// /shop/ with a real browser: by a login link, and by an OCI punchout from
// a procurement system that the test plays itself.

// person is a contact the test creates through the admin API, with a
// login token.
type person struct {
	ContactID           int64
	Name, Company, Mail string
	TokenID             string
	Value               string // the token's value
	LoginURL            string
}

// newPerson creates a company, a contact of it and a login token for the
// contact.
func newPerson(t *testing.T, svc *service, key, first, last, company string, oneTime bool) person {
	t.Helper()
	var co struct {
		ID int64 `json:"id"`
	}
	svc.api(key, "POST", "/api/v1/companies", map[string]any{"name": company}, &co)
	email := strings.ToLower(first+"."+last) + "@example.com"
	var ct struct {
		ID int64 `json:"id"`
	}
	svc.api(key, "POST", "/api/v1/contacts", map[string]any{"companyId": co.ID, "firstName": first, "lastName": last, "email": email}, &ct)
	var tok struct {
		ID       string `json:"id"`
		Value    string `json:"value"`
		LoginURL string `json:"loginUrl"`
	}
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"contactId": ct.ID, "oneTimeUse": oneTime}, &tok)
	if tok.Value == "" || !strings.HasPrefix(tok.LoginURL, svc.URL+"/login?token=") {
		t.Fatalf("token %+v: want a value and a login URL under %s", tok, svc.URL)
	}
	return person{ContactID: ct.ID, Name: first + " " + last, Company: company, Mail: email,
		TokenID: tok.ID, Value: tok.Value, LoginURL: tok.LoginURL}
}

// counters reads the token's counters through the API.
func (s *service) counters(key, id string) tokenCounters {
	s.t.Helper()
	var st tokenCounters
	s.api(key, "GET", "/api/v1/login-tokens/"+id, nil, &st)
	return st
}

// shopBrowser is newBrowser; it closes Chromium cleanly at the end.
func shopBrowser(t *testing.T) *browser { return newBrowser(t) }

// netWatch records what the browser's pages sent and got: the requests
// (with their bodies) and the status of each document, redirects included.
type netWatch struct {
	mu        sync.Mutex
	changed   chan struct{} // closed and replaced at each event
	requests  []netRequest
	documents []netResponse
}

type netRequest struct{ Method, URL, Body string }
type netResponse struct {
	URL    string
	Status int
}

// watch starts recording the browser's network traffic.
func (b *browser) watch() *netWatch {
	w := &netWatch{changed: make(chan struct{})}
	chromedp.ListenTarget(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			var body strings.Builder
			for _, d := range e.Request.PostDataEntries {
				chunk, _ := base64.StdEncoding.DecodeString(d.Bytes)
				body.Write(chunk)
			}
			w.mu.Lock()
			if r := e.RedirectResponse; r != nil && e.Type == network.ResourceTypeDocument {
				w.documents = append(w.documents, netResponse{r.URL, int(r.Status)})
			}
			w.requests = append(w.requests, netRequest{e.Request.Method, e.Request.URL, body.String()})
			w.notify()
			w.mu.Unlock()
		case *network.EventResponseReceived:
			if e.Type == network.ResourceTypeDocument {
				w.mu.Lock()
				w.documents = append(w.documents, netResponse{e.Response.URL, int(e.Response.Status)})
				w.notify()
				w.mu.Unlock()
			}
		}
	})
	return w
}

func (w *netWatch) notify() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// await waits until found reports true for what was recorded, or fails
// the test after 10 s.
func (w *netWatch) await(t *testing.T, what string, found func() bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		ok, changed := found(), w.changed
		w.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			w.mu.Lock()
			defer w.mu.Unlock()
			t.Fatalf("the browser never %s; it requested %v and got %v", what, w.requests, w.documents)
		}
	}
}

// status is the HTTP status of the last document loaded from u.
func (w *netWatch) status(t *testing.T, u string) int {
	t.Helper()
	var status int
	w.await(t, "loaded "+u, func() bool {
		for _, d := range slices.Backward(w.documents) {
			if d.URL == u {
				status = d.Status
				return true
			}
		}
		return false
	})
	return status
}

// posted is the form the browser posted to u, the only one it posted there.
func (w *netWatch) posted(t *testing.T, u string) url.Values {
	t.Helper()
	var bodies []string
	w.await(t, "posted to "+u, func() bool {
		bodies = bodies[:0]
		for _, r := range w.requests {
			if r.Method == "POST" && r.URL == u {
				bodies = append(bodies, r.Body)
			}
		}
		return len(bodies) > 0
	})
	if len(bodies) != 1 {
		t.Fatalf("the browser posted %d times to %s, want once", len(bodies), u)
	}
	v, err := url.ParseQuery(bodies[0])
	if err != nil {
		t.Fatalf("the form posted to %s: %v", u, err)
	}
	return v
}

// A login link signs a contact into the demo shop: the link's page waits
// for the click, the service hands the assertion to the shop, and the shop
// shows who signed in and for which company.
func TestALoginLinkSignsAContactIntoTheDemoShop(t *testing.T) {
	svc := startServiceArgs(t, []string{"--demo"})
	key := svc.apiKey()
	ada := newPerson(t, svc, key, "Ada", "Lovelace", "Analytical Engines Ltd", false)

	b := shopBrowser(t)
	traffic := b.watch()
	var button string
	b.run(
		chromedp.Navigate(ada.LoginURL),
		chromedp.Text(`form[action="/login"] button`, &button, chromedp.ByQuery, chromedp.NodeVisible),
	)
	b.shot("login-page")
	if strings.TrimSpace(button) != "Sign in" {
		t.Fatalf("the login page's button says %q, want Sign in", button)
	}
	if st := svc.counters(key, ada.TokenID); st.SuccessfulAttempts != 0 || st.LastAccessedAt != nil {
		t.Fatalf("opening the link, before any click, touched the token: %+v", st)
	}
	b.run(
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who-name`, chromedp.ByID),
	)
	b.shot("shop")
	if loc := b.location(); loc != svc.URL+"/shop/" {
		t.Errorf("after the sign-in the browser is at %s, want %s/shop/", loc, svc.URL)
	}
	for sel, want := range map[string]string{
		"#who-name":  ada.Name,
		"#who-role":  "Contact of " + ada.Company,
		"#who-email": ada.Mail,
		"h1":         "Welcome, " + ada.Name,
		".who-name":  ada.Name,
	} {
		if got := strings.TrimSpace(b.text(sel)); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	var extras []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#impersonation, .punchout-bar")].map(e => e.outerHTML)`, &extras))
	if len(extras) != 0 {
		t.Errorf("a plain sign-in shows %v", extras)
	}
	// The shop saw one assertion, and the token counted one sign-in.
	form := traffic.posted(t, svc.URL+"/shop/callback")
	claims := verifyJWTWithJWKS(t, svc.URL, form.Get("assertion"), svc.URL)
	if claims["sub"] != fmt.Sprintf("contact:%d", ada.ContactID) || claims["loginToken"] != ada.TokenID || claims["oci"] != nil {
		t.Errorf("the assertion's claims: %v", claims)
	}
	if st := svc.counters(key, ada.TokenID); st.SuccessfulAttempts != 1 || st.FailedAttempts != 0 || st.Status != "active" {
		t.Errorf("after the sign-in the token is %+v, want one success and still active", st)
	}
}

// A one-time link signs in once. Opened again, in another browser, the
// click gets a 400 page that says the link has been used; a plain POST to
// /login says the same with the same status.
func TestAOneTimeLinkWorksOnceThenSaysItHasBeenUsed(t *testing.T) {
	svc := startServiceArgs(t, []string{"--demo"})
	key := svc.apiKey()
	bob := newPerson(t, svc, key, "Bob", "Builder", "Builders Cooperative", true)

	first := shopBrowser(t)
	first.run(
		chromedp.Navigate(bob.LoginURL),
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery, chromedp.NodeVisible),
		chromedp.WaitVisible(`#who-name`, chromedp.ByID),
	)
	first.shot("shop")
	if got := first.text("#who-name"); got != bob.Name {
		t.Fatalf("the shop shows %q, want %q", got, bob.Name)
	}
	if st := svc.counters(key, bob.TokenID); st.SuccessfulAttempts != 1 || st.Status != "used" {
		t.Fatalf("after the first sign-in the token is %+v, want used once", st)
	}

	// Another browser, no cookies: the same link.
	second := shopBrowser(t)
	traffic := second.watch()
	var title, says string
	second.run(
		chromedp.Navigate(bob.LoginURL),
		chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery, chromedp.NodeVisible),
		// The refusal's advice, or the shop if the link wrongly worked.
		chromedp.WaitVisible(`.advice, #who-name`, chromedp.ByQuery),
		chromedp.Text(`h1`, &title, chromedp.ByQuery),
		chromedp.Text(`main`, &says, chromedp.ByQuery),
	)
	second.shot("already-used")
	if status := traffic.status(t, svc.URL+"/login"); status != http.StatusBadRequest {
		t.Errorf("the used link's page came with status %d, want 400", status)
	}
	if title != "Sign-in link already used" || !strings.Contains(says, "was for one use only and has been used") {
		t.Errorf("the used link's page says %q: %q", title, says)
	}
	if loc := second.location(); strings.Contains(loc, "/shop/") {
		t.Errorf("the used link went on to the shop: %s", loc)
	}
	var shopPosts int
	traffic.mu.Lock()
	for _, r := range traffic.requests {
		if strings.HasPrefix(r.URL, svc.URL+"/shop/") {
			shopPosts++
		}
	}
	traffic.mu.Unlock()
	if shopPosts != 0 {
		t.Errorf("the used link reached the shop %d times", shopPosts)
	}

	// The same without a browser.
	resp, err := http.PostForm(svc.URL+"/login", url.Values{"token": {bob.Value}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "has been used") {
		t.Errorf("POST /login with the used value: %d\n%s", resp.StatusCode, body)
	}
	if st := svc.counters(key, bob.TokenID); st.SuccessfulAttempts != 1 || st.Status != "used" {
		t.Errorf("after the refused attempts the token is %+v, want still used once", st)
	}
}

// procurement is a fake procurement system (an SAP SRM, say): its start
// page opens the shop's punchout, and its hook takes the cart back.
type procurement struct {
	// Frame: the start page opens the shop in a frame of its own, as
	// procurement systems often do, rather than in the whole window.
	Frame bool
	srv   *httptest.Server
	URL   string // http://127.0.0.1:PORT
	Hook  string // URL + "/hook"
	carts chan url.Values
}

// newProcurement listens now but serves once start is called, so that
// the service, which must allow its hook, can be started in between.
func newProcurement(t *testing.T) *procurement {
	t.Helper()
	p := &procurement{carts: make(chan url.Values, 4)}
	p.srv = httptest.NewUnstartedServer(nil)
	p.URL = "http://" + p.srv.Listener.Addr().String()
	p.Hook = p.URL + "/hook"
	t.Cleanup(p.srv.Close)
	return p
}

// start serves the start page, which posts the punchout parameters
// and the token to entry, and the hook.
func (p *procurement) start(t *testing.T, entry string, params url.Values) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var inputs strings.Builder
		for _, k := range slices.Sorted(maps.Keys(params)) {
			fmt.Fprintf(&inputs, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", html.EscapeString(k), html.EscapeString(params.Get(k)))
		}
		target, frame := "", ""
		if p.Frame {
			target, frame = ` target="catalogue"`, `<iframe name="catalogue" id="catalogue" title="Catalogue" width="1200" height="700"></iframe>`
		}
		fmt.Fprintf(w, `<!doctype html><html lang="en"><meta charset="utf-8"><title>SRM</title>
<h1>Fake SRM: shopping cart</h1>
<form method="post" action="%s"%s>
%s<button type="submit" id="punchout">Open the Demo Shop catalogue</button>
</form>%s`, html.EscapeString(entry), target, inputs.String(), frame)
	})
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case p.carts <- r.PostForm:
		default: // more carts than the test reads: it has failed already
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><meta charset="utf-8"><title>SRM</title><h1 id="received">received</h1>`)
	})
	p.srv.Config.Handler = mux
	p.srv.Start()
}

// An OCI punchout from a procurement system: its page opens the shop with
// the token, the shop starts an OCI session, the buyer fills a two-line
// cart and transfers it, and the procurement system's hook receives exactly
// the cart's OCI fields. The assertion's oci claim carries the punchout
// parameters and no credentials.
func TestAnOCIPunchoutTransfersTheCartToTheProcurementSystem(t *testing.T) {
	srm := newProcurement(t)
	svc := startServiceArgs(t, []string{"--demo"}, "LOGINTOKENS_OCI_HOOK_ALLOW="+srm.URL+"/")
	key := svc.apiKey()
	grace := newPerson(t, svc, key, "Grace", "Hopper", "Acme Procurement AG", false)
	punchout := url.Values{
		"HOOK_URL":     {srm.Hook},
		"~OkCode":      {"ADDI"},
		"~TARGET":      {"_top"},
		"~CALLER":      {"CTLG"},
		"returntarget": {"_top"},
		"USERNAME":     {"x"},
		"PASSWORD":     {grace.Value},
		"OCI_VERSION":  {"4.0"},
		"sap-client":   {"100"},
		"sap-language": {"EN"},
	}
	srm.start(t, svc.URL+"/oci/login", punchout)

	b := shopBrowser(t)
	traffic := b.watch()
	b.run(chromedp.Navigate(srm.URL+"/"), chromedp.WaitVisible(`#punchout`, chromedp.ByID))
	b.shot("procurement")
	b.run(
		chromedp.Click(`#punchout`, chromedp.ByID),
		chromedp.WaitVisible(`#who-name`, chromedp.ByID),
		chromedp.WaitVisible(`.punchout-bar`, chromedp.ByQuery),
	)
	b.shot("shop-oci-session")
	if got := b.text("#who-name"); got != grace.Name {
		t.Errorf("the shop shows %q, want %q", got, grace.Name)
	}
	if got := b.text("#who-role"); got != "Contact of "+grace.Company {
		t.Errorf("the shop shows the role %q", got)
	}
	if st := svc.counters(key, grace.TokenID); st.SuccessfulAttempts != 1 {
		t.Errorf("after the punchout the token is %+v, want one success", st)
	}

	// What the shop received: a verified assertion whose oci claim has the
	// punchout's parameters and nothing of the credentials.
	assertion := traffic.posted(t, svc.URL+"/shop/callback").Get("assertion")
	claims := verifyJWTWithJWKS(t, svc.URL, assertion, svc.URL)
	if claims["sub"] != fmt.Sprintf("contact:%d", grace.ContactID) || claims["loginToken"] != grace.TokenID {
		t.Errorf("the assertion's claims: %v", claims)
	}
	wantOCI := map[string]any{
		"hookUrl": srm.Hook, "okCode": "ADDI", "target": "_top", "caller": "CTLG", "returnTarget": "_top",
		"OCI_VERSION": "4.0", "sap-client": "100", "sap-language": "EN",
	}
	gotOCI, _ := claims["oci"].(map[string]any)
	if !maps.Equal(gotOCI, wantOCI) {
		t.Errorf("the oci claim is %v, want %v", claims["oci"], wantOCI)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(assertion, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(payload), grace.Value) || strings.Contains(string(payload), "PASSWORD") || strings.Contains(string(payload), "USERNAME") {
		t.Errorf("the assertion carries the credentials: %s", payload)
	}

	// The cart: 2 packs of DS-1002, 3 pairs of DS-2001. Adding one goes
	// from the catalogue to the cart; the menu leads back.
	addToCart := func(sku string, qty int) {
		t.Helper()
		b.run(
			chromedp.SetValue(`#qty-`+sku, fmt.Sprint(qty), chromedp.ByID),
			chromedp.Click(`#product-`+sku+` form.add button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#line-`+sku, chromedp.ByID), // only the cart page has lines
		)
	}
	addToCart("DS-1002", 2)
	b.run(
		chromedp.Click(`nav a[href="/shop/"]`, chromedp.ByQuery, chromedp.NodeVisible),
		chromedp.WaitVisible(`#qty-DS-2001`, chromedp.ByID), // only the catalogue has quantities
	)
	addToCart("DS-2001", 3)
	var qtys []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#cart-form tbody tr")].map(tr => tr.id + "=" + tr.querySelector("input.qty").value)`, &qtys))
	if want := []string{"line-DS-1002=2", "line-DS-2001=3"}; !slices.Equal(qtys, want) {
		t.Errorf("the cart holds %v, want %v", qtys, want)
	}
	if got := b.text("#cart-total"); got != "€21.73" { // 2 × 5.99 + 3 × 3.25
		t.Errorf("the cart's total is %q, want €21.73", got)
	}
	b.shot("cart")

	// Transfer: the transfer page posts the cart to the hook by itself.
	b.run(
		chromedp.Click(`//a[normalize-space()="Transfer cart"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#received`, chromedp.ByID),
	)
	b.shot("procurement-received")
	var cart url.Values
	select {
	case cart = <-srm.carts:
	case <-time.After(10 * time.Second):
		t.Fatal("the hook received nothing")
	}
	if loc := b.location(); loc != srm.Hook {
		t.Errorf("after the transfer the browser is at %s, want the hook %s (returntarget _top)", loc, srm.Hook)
	}

	// The expected fields, from the demo shop's catalogue (demoshop/catalog.go)
	// through package oci.
	items := []oci.Item{
		{Description: "Copy paper A4, 80 g/m², 500 sheets, bright white", Quantity: oci.Dec(2, 0), Unit: "PK",
			Price: oci.Dec(599, 2), Currency: "EUR", PriceUnit: 1, LeadTime: 3,
			LongText:  "Copy paper A4, 80 g/m², 500 sheets, bright white. Multipurpose paper for laser and inkjet printers; ISO 9706 long-life.",
			VendorMat: "DS-1002", MatGroup: "14111507", ExtProductID: "DS-1002"},
		{Description: "Nitrile safety gloves, size L", Quantity: oci.Dec(3, 0), Unit: "PR",
			Price: oci.Dec(325, 2), Currency: "EUR", PriceUnit: 1, LeadTime: 5,
			LongText:  "Powder-free nitrile gloves, chemical-resistant to EN ISO 374-1. Sold by the pair.",
			VendorMat: "DS-2001", MatGroup: "46181504", ExtProductID: "DS-2001"},
	}
	fields, err := oci.Encode(items, oci.Options{OkCode: "ADDI", Target: "_top", Caller: "CTLG", ReturnTarget: "_top"})
	if err != nil {
		t.Fatal(err)
	}
	want := oci.Values(fields)
	// What a procurement system relies on, written out rather than derived.
	for name, value := range map[string]string{
		"~OkCode": "ADDI", "~TARGET": "_top", "~CALLER": "CTLG",
		"NEW_ITEM-DESCRIPTION[1]": "Copy paper A4, 80 g/m², 500 sheets, brig", // 40 characters
		"NEW_ITEM-QUANTITY[1]":    "2", "NEW_ITEM-UNIT[1]": "PK", "NEW_ITEM-PRICE[1]": "5.99", "NEW_ITEM-CURRENCY[1]": "EUR",
		"NEW_ITEM-PRICEUNIT[1]": "1", "NEW_ITEM-VENDORMAT[1]": "DS-1002", "NEW_ITEM-MATGROUP[1]": "14111507", "NEW_ITEM-LEADTIME[1]": "3",
		"NEW_ITEM-DESCRIPTION[2]": "Nitrile safety gloves, size L",
		"NEW_ITEM-QUANTITY[2]":    "3", "NEW_ITEM-UNIT[2]": "PR", "NEW_ITEM-PRICE[2]": "3.25", "NEW_ITEM-CURRENCY[2]": "EUR",
		"NEW_ITEM-PRICEUNIT[2]": "1", "NEW_ITEM-VENDORMAT[2]": "DS-2001", "NEW_ITEM-MATGROUP[2]": "46181504", "NEW_ITEM-LEADTIME[2]": "5",
		"NEW_ITEM-LONGTEXT_1:132[]": items[0].LongText,
		"NEW_ITEM-LONGTEXT_2:132[]": items[1].LongText,
	} {
		if got := cart[name]; len(got) != 1 || got[0] != value {
			t.Errorf("the hook got %s = %q, want %q", name, got, value)
		}
	}
	for name, vs := range cart {
		for _, v := range vs {
			if n := len(utf16.Encode([]rune(v))); strings.HasPrefix(name, "NEW_ITEM-DESCRIPTION") && n > 40 {
				t.Errorf("%s is %d characters long, OCI allows 40", name, n)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !slices.Equal(cart[name], want[name]) {
			t.Errorf("the hook got %s = %q, want %q", name, cart[name], want[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cart)) {
		if _, ok := want[name]; !ok {
			t.Errorf("the hook got a field it should not: %s = %q", name, cart[name])
		}
	}

	// The transfer page itself, without its script, for the record: it
	// shows the cart and its form targets the hook.
	var action, target string
	var hidden int
	b.run(
		emulation.SetScriptExecutionDisabled(true),
		chromedp.Navigate(svc.URL+"/shop/transfer"),
		chromedp.WaitVisible(`form#oci-transfer button`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("form#oci-transfer").getAttribute("action")`, &action),
		chromedp.Evaluate(`document.querySelector("form#oci-transfer").getAttribute("target")`, &target),
		chromedp.Evaluate(`document.querySelectorAll("form#oci-transfer input[type=hidden]").length`, &hidden),
	)
	b.shot("transfer-page")
	if action != srm.Hook || target != "_top" || hidden != len(fields) {
		t.Errorf("the transfer form posts to %q in %q with %d fields; want %s, _top, %d", action, target, hidden, srm.Hook, len(fields))
	}
	select {
	case again := <-srm.carts:
		t.Errorf("the hook received a second cart: %v", again)
	default:
	}
}

// A punchout whose HOOK_URL is not allowed is refused with a 400 page,
// before the token is looked at: its counters stay 0. The same token with
// an allowed hook then signs in, so the refusal was the hook's.
func TestAPunchoutWithAHookThatIsNotAllowedIsRefusedAndCountsNothing(t *testing.T) {
	svc := startServiceArgs(t, []string{"--demo"}, "LOGINTOKENS_OCI_HOOK_ALLOW=https://srm.acme.test/")
	key := svc.apiKey()
	carl := newPerson(t, svc, key, "Carl", "Gauss", "Acme Procurement AG", false)
	entry := func(hook string) string {
		return svc.URL + "/oci/login?" + url.Values{"HOOK_URL": {hook}, "USERNAME": {"x"}, "PASSWORD": {carl.Value},
			"~OkCode": {"ADDI"}, "~TARGET": {"_top"}, "OCI_VERSION": {"4.0"}}.Encode()
	}

	b := shopBrowser(t)
	traffic := b.watch()
	for _, hook := range []string{"https://srm.acme.test.evil.example/", "https://srm.acme.test@evil.example/"} {
		var title, says string
		b.run(
			chromedp.Navigate(entry(hook)),
			// The refusal's advice, or the shop if the hook wrongly passed.
			chromedp.WaitVisible(`.advice, #who-name`, chromedp.ByQuery),
			chromedp.Text(`h1`, &title, chromedp.ByQuery),
			chromedp.Text(`main`, &says, chromedp.ByQuery),
		)
		b.shot("refused")
		if status := traffic.status(t, entry(hook)); status != http.StatusBadRequest {
			t.Errorf("HOOK_URL %s: status %d, want 400", hook, status)
		}
		if title != "Procurement system not allowed" || !strings.Contains(says, "does not accept carts for this procurement system") {
			t.Errorf("HOOK_URL %s: the page says %q: %q", hook, title, says)
		}
		if strings.Contains(says, carl.Value) {
			t.Errorf("HOOK_URL %s: the page shows the token", hook)
		}
		if st := svc.counters(key, carl.TokenID); st.SuccessfulAttempts != 0 || st.FailedAttempts != 0 || st.LastAccessedAt != nil {
			t.Fatalf("HOOK_URL %s: the refused punchout touched the token: %+v", hook, st)
		}
	}

	// The allowed hook, same token.
	b.run(
		chromedp.Navigate(entry("https://srm.acme.test/sap/bc/hook")),
		chromedp.WaitVisible(`.punchout-bar`, chromedp.ByQuery),
	)
	if got := b.text("#who-name"); got != carl.Name {
		t.Errorf("with the allowed hook the shop shows %q, want %q", got, carl.Name)
	}
	if st := svc.counters(key, carl.TokenID); st.SuccessfulAttempts != 1 || st.FailedAttempts != 0 {
		t.Errorf("with the allowed hook the token is %+v, want one success", st)
	}
}
