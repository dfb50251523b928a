package signin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestLinkPageLooksNothingUpAndShowsOnlyAButton(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		e := newEnv(t, s)
		c, _ := e.people()
		tok := e.token(lt.NewToken{ContactID: &c.ID, OneTimeUse: true})
		path := "/login?token=" + url.QueryEscape(tok.Value) + "&return=" + url.QueryEscape("/cart?x=1")

		a := e.get(path)
		if a.Status != 200 {
			t.Fatalf("GET: %d\n%s", a.Status, a.Body)
		}
		f, ok := a.form(t)
		if !ok || f.Action != "/login" || f.Button != "Sign in" || f.Auto ||
			len(f.Fields) != 2 || f.Fields["token"] != tok.Value || f.Fields["return"] != "/cart?x=1" {
			t.Fatalf("the page's form = %+v, want one Sign in button posting the value and return to /login, not submitted by script", f)
		}
		for _, secret := range []string{"Jane", "Doe", "jane@acme.test", "Acme", tok.ID + "<", "contact"} {
			if strings.Contains(a.text(), secret) {
				t.Errorf("the page reveals %q about the token:\n%s", secret, a.text())
			}
		}
		if head := e.do("HEAD", path, nil); head.Status != 200 || head.Body != "" {
			t.Errorf("HEAD: %d %q", head.Status, head.Body)
		}
		e.untouched(tok.ID, "after GET and HEAD")
		if events, n, err := s.FindTokenEvents(ctx, tok.ID, 1, 10); err != nil || n != 1 || events[0].Type != lt.EventTokenCreated {
			t.Errorf("audit trail after GET and HEAD: %d events %v, want the creation only", n, err)
		}
		if got := e.Metrics.got(); len(got) != 0 {
			t.Errorf("metrics counted %v", got)
		}

		// An unknown value gets the very same page: the page tells
		// nothing about whether a token exists.
		other := e.get("/login?token=" + url.QueryEscape("lt_zzzzzzzzzzzzzzzz_NoSuchTokenNoSuchToken12") + "&return=" + url.QueryEscape("/cart?x=1"))
		if strings.ReplaceAll(other.Body, "lt_zzzzzzzzzzzzzzzz_NoSuchTokenNoSuchToken12", tok.Value) != a.Body {
			t.Errorf("an unknown token's page differs from a real one's:\n%s\n---\n%s", other.Body, a.Body)
		}
	})
}

func TestLinkPageWithoutTokenExplainsWhatToDo(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"))
	for _, path := range []string{"/login", "/login?token=", "/login?return=/cart"} {
		a := e.get(path)
		if _, hasForm := a.form(t); a.Status != 200 || hasForm || !strings.Contains(a.text(), "ask your contact at the shop for a new one") {
			t.Errorf("GET %s: %d, form %v:\n%s", path, a.Status, hasForm, a.text())
		}
	}
	a := e.post("/login", url.Values{"return": {"/cart"}})
	if _, hasForm := a.form(t); a.Status != 400 || hasForm || !strings.Contains(a.text(), "No sign-in link") {
		t.Errorf("POST without token: %d:\n%s", a.Status, a.text())
	}
	if got := e.Metrics.got(); len(got) != 0 {
		t.Errorf("metrics counted %v", got)
	}
}

func TestAutosubmitMarksTheLinkFormForTheScript(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withAutosubmit())
	tok := e.token(lt.NewToken{})
	a := e.get("/login?token=" + tok.Value)
	f, _ := a.form(t)
	if !f.Auto || f.Fields["token"] != tok.Value {
		t.Fatalf("with autosubmit the form = %+v, want it marked data-autosubmit", f)
	}
	if !strings.Contains(a.Body, `<script src="/login/static/submit.`) || strings.Contains(a.Body, "<script>") {
		t.Errorf("the page must load its script from a file, never inline:\n%s", a.Body)
	}
	e.untouched(tok.ID, "GET with autosubmit")
}

func TestPostRedeemsAndHandsTheAssertionToTheShop(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		e := newEnv(t, s)
		c, _ := e.people()
		tok := e.token(lt.NewToken{ContactID: &c.ID, OneTimeUse: true, Extra: []string{"SAP"}})

		a := e.post("/login", url.Values{"token": {tok.Value}, "return": {"/cart?x=1&y=2"}})
		if a.Status != 200 {
			t.Fatalf("POST: %d\n%s", a.Status, a.Body)
		}
		f, ok := a.form(t)
		if !ok || f.Action != callback || !f.Auto || f.Button != "Continue to the shop" ||
			len(f.Fields) != 2 || f.Fields["return"] != "/cart?x=1&y=2" {
			t.Fatalf("hand-off form = %+v, want it posting assertion and return to the callback, submitted by script with a button as fallback", f)
		}
		claims := e.verify(f.Fields["assertion"])
		company, _ := claims["company"].(map[string]any)
		if claims["sub"] != fmt.Sprintf("contact:%d", c.ID) || claims["loginToken"] != tok.ID || claims["userType"] != "contact" ||
			claims["name"] != "Jane Doe" || claims["email"] != "jane@acme.test" || company["name"] != "Acme GmbH" || claims["jti"] == "" {
			t.Errorf("claims = %v", claims)
		}
		if _, ok := claims["oci"]; ok {
			t.Errorf("a /login assertion has an oci claim: %v", claims)
		}
		if okN, failed, last := e.counters(tok.ID); okN != 1 || failed != 0 || last == nil {
			t.Errorf("counters %d/%d, last %v; want one success", okN, failed, last)
		}
		events, _, err := s.FindTokenEvents(ctx, tok.ID, 1, 1)
		if err != nil || events[0].Type != lt.EventTokenRedeemed || events[0].Actor != "login" || events[0].ClientIP != "198.51.100.7" ||
			!strings.Contains(string(events[0].Details), "SigninTest/1.0") {
			t.Errorf("redeem event = %+v %s, want actor login from the forwarded client address with its user agent", events[0], events[0].Details)
		}
		if got := e.Metrics.got(); len(got) != 1 || got[0] != "success" {
			t.Errorf("metrics = %v, want one success", got)
		}
		// The page carries the assertion, not the value.
		if strings.Contains(a.Body, tok.Value) {
			t.Error("the hand-off page holds the token value")
		}
	})
}

func TestAHandOffWithoutReturnSendsOnlyTheAssertion(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"))
	a := e.post("/login", url.Values{"token": {e.token(lt.NewToken{}).Value}})
	f, _ := a.form(t)
	if len(f.Fields) != 1 || f.Fields["assertion"] == "" {
		t.Fatalf("fields %v, want the assertion alone", f.Fields)
	}
	claims := e.verify(f.Fields["assertion"])
	if sub, _ := claims["sub"].(string); !strings.HasPrefix(sub, "anonymous:") {
		t.Errorf("sub %v", claims["sub"])
	}
}

func TestFailuresSayWhyAndWhatToDoWithTheAPIStatus(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		e := newEnv(t, s)
		c, _ := e.people()
		used := e.token(lt.NewToken{OneTimeUse: true})
		if a := e.post("/login", url.Values{"token": {used.Value}}); a.Status != 200 {
			t.Fatalf("first use: %d", a.Status)
		}
		expired := e.token(lt.NewToken{ContactID: &c.ID})
		now := time.Now()
		if _, _, err := s.UpdateToken(ctx, lt.Actor{Name: "test"}, expired.ID, lt.TokenUpdate{ExpiresAtSet: true, ExpiresAt: &now}); err != nil {
			t.Fatal(err)
		}
		disabled := e.token(lt.NewToken{ContactID: &c.ID})
		if err := s.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		wrongSecret := lt.FormatValue(lt.TokenPrefix, used.ID, "WrongSecretWrongSecretWrongSecret1")

		cases := []struct {
			name, value, code, says string
		}{
			{"malformed", "not a token", lt.ETOKENINVALID, "This sign-in link is not valid."},
			{"unknown id", "lt_zzzzzzzzzzzzzzzz_NoSuchTokenNoSuchToken12", lt.ETOKENINVALID, "This sign-in link is not valid."},
			{"wrong secret", wrongSecret, lt.ETOKENINVALID, "This sign-in link is not valid."},
			{"used", used.Value, lt.ETOKENUSED, "This sign-in link was for one use only and has been used."},
			{"expired", expired.Value, lt.ETOKENEXPIRED, "This sign-in link has expired."},
			{"disabled", disabled.Value, lt.EUSERDISABLED, "The account of this sign-in link is disabled."},
		}
		for _, tc := range cases {
			a := e.post("/login", url.Values{"token": {tc.value}, "return": {"/cart"}})
			if want := web.Status(tc.code); a.Status != want || want != 400 {
				t.Errorf("%s: status %d, want the API's %d", tc.name, a.Status, want)
			}
			text := a.text()
			if !strings.Contains(text, tc.says) {
				t.Errorf("%s: the page does not say %q:\n%s", tc.name, tc.says, text)
			}
			if !strings.Contains(strings.ToLower(text), "ask your contact at the shop") {
				t.Errorf("%s: the page does not say what to do:\n%s", tc.name, text)
			}
			if _, hasForm := a.form(t); hasForm || strings.Contains(a.Body, "assertion") {
				t.Errorf("%s: a failure page has a form:\n%s", tc.name, a.Body)
			}
			if strings.Contains(text, "Jane") || strings.Contains(text, tc.code) {
				t.Errorf("%s: the page shows the user or the code:\n%s", tc.name, text)
			}
		}
		want := []string{"success", lt.ETOKENINVALID, lt.ETOKENINVALID, lt.ETOKENINVALID, lt.ETOKENUSED, lt.ETOKENEXPIRED, lt.EUSERDISABLED}
		if got := e.Metrics.got(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("metrics = %v, want %v", got, want)
		}
		if okN, failed, _ := e.counters(used.ID); okN != 1 || failed != 2 {
			t.Errorf("used token: %d/%d, want 1 success and 2 failures (used, wrong secret)", okN, failed)
		}
	})
}

func TestTooManyFailuresAnswer429WithRetryAfterAndCountNothing(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withLimit(2))
	good := e.token(lt.NewToken{})
	bad := lt.FormatValue(lt.TokenPrefix, good.ID, "WrongSecretWrongSecretWrongSecret1")
	for i := range 2 {
		if a := e.post("/login", url.Values{"token": {bad}}); a.Status != 400 {
			t.Fatalf("failure %d: %d", i+1, a.Status)
		}
	}
	a := e.post("/login", url.Values{"token": {good.Value}, "return": {"/cart"}})
	secs, err := strconv.Atoi(a.Header.Get("Retry-After"))
	if a.Status != http.StatusTooManyRequests || a.Status != web.Status(lt.ERATELIMITED) || err != nil || secs < 1 || secs > 60 {
		t.Fatalf("limited: %d Retry-After %q", a.Status, a.Header.Get("Retry-After"))
	}
	if !strings.Contains(a.text(), "too many failed sign-in attempts") || !strings.Contains(a.text(), "then try again") {
		t.Errorf("the page does not say why and what to do:\n%s", a.text())
	}
	// A person may try again after the wait without the link.
	if f, ok := a.form(t); !ok || f.Action != "/login" || f.Fields["token"] != good.Value || f.Fields["return"] != "/cart" || f.Auto {
		t.Errorf("retry form = %+v", f)
	}
	if okN, failed, _ := e.counters(good.ID); okN != 0 || failed != 2 {
		t.Errorf("counters %d/%d: a limited try must count nothing", okN, failed)
	}
	if got := e.Metrics.got(); len(got) != 3 || got[2] != lt.ERATELIMITED {
		t.Errorf("metrics = %v", got)
	}
}

func TestReturnPathAcceptsOnlyAPathOnTheShopsSite(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"/", true},
		{"/cart", true},
		{"/ok?x=1", true},
		{"/a/b?c=d&e=f#top", true},
		{"/%2F%2Fevil", true}, // escaped: a path segment on the shop's site
		{"", false},
		{"cart", false},
		{"//evil", false},
		{"//evil.example/x", false},
		{"/\\evil", false},
		{"\\\\evil", false},
		{"https://evil", false},
		{"http:/evil", false},
		{"javascript:alert(1)", false},
		{"/\t/evil", false},
		{"/\n/evil", false},
		{"/a\x00b", false},
		{"/a b", false},
		{"/\u202e", false},
		{"/\xff", false},
		{"/" + strings.Repeat("a", 3000), false},
	}
	for _, tc := range cases {
		got, ok := signin.ReturnPath(tc.in)
		if ok != tc.ok || (ok && got != tc.in) || (!ok && got != "") {
			t.Errorf("ReturnPath(%q) = %q, %v; want ok %v", tc.in, got, ok, tc.ok)
		}
	}

	// Through the pages: a refused return is dropped, not an error.
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"))
	tok := e.token(lt.NewToken{})
	for _, tc := range cases {
		link := e.get("/login?token=" + tok.Value + "&return=" + url.QueryEscape(tc.in))
		handoff := e.post("/login", url.Values{"token": {tok.Value}, "return": {tc.in}})
		for what, a := range map[string]answer{"GET": link, "POST": handoff} {
			f, ok := a.form(t)
			ret, has := f.Fields["return"]
			if a.Status != 200 || !ok || has != (tc.ok && tc.in != "") || (has && ret != tc.in) {
				t.Errorf("%s with return %q: %d, fields %v", what, tc.in, a.Status, f.Fields)
			}
		}
	}
}

// Without a shop, every successful sign-in's page says so; the log does
// not, once a sign-in (serve warns once at start): a loop of sign-ins
// logs nothing.
func TestWithoutAShopTheSuccessPageSaysSoAndTheLogDoesNotRepeatIt(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withoutShop())
	tok := e.token(lt.NewToken{})
	for range 20 {
		a := e.post("/login", url.Values{"token": {tok.Value}})
		if _, hasForm := a.form(t); a.Status != 200 || hasForm || !strings.Contains(a.text(), "You are signed in, but no shop is configured") {
			t.Fatalf("%d:\n%s", a.Status, a.text())
		}
	}
	if got, _ := e.Store.FindTokenByID(ctx, tok.ID); got.SuccessfulAttempts != 20 {
		t.Fatalf("%d sign-ins, want 20", got.SuccessfulAttempts)
	}
	if logs := e.logs.String(); strings.Contains(logs, "shop") {
		t.Errorf("the sign-ins logged about the missing shop:\n%s", logs)
	}
}

type brokenStore struct{}

func (brokenStore) Redeem(ctx context.Context, req lt.RedeemRequest) (lt.RedeemResult, error) {
	return lt.RedeemResult{}, errors.New("connection refused to db.internal:5432")
}

func TestAnErrorOfOursSaysNothingOfItsCause(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	signer := jwtsign.New(s, publicURL, audience)
	if err := signer.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, s, func(c *signin.Config) {
		c.Redeem = &redeem.Service{Store: brokenStore{}, Issuer: signer}
	})
	a := e.post("/login", url.Values{"token": {"lt_abcdefghijklmnop_SomeSecretSomeSecret12"}})
	if a.Status != 500 || strings.Contains(a.Body, "db.internal") || !strings.Contains(a.text(), "Something went wrong on our side") {
		t.Fatalf("%d:\n%s", a.Status, a.Body)
	}
	if f, ok := a.form(t); !ok || f.Button != "Try again" {
		t.Errorf("no way to try again: %+v", f)
	}
	if !strings.Contains(e.logs.String(), "db.internal") || strings.Contains(e.logs.String(), "SomeSecret") {
		t.Errorf("log = %s, want the cause and never the value", e.logs)
	}
	if got := e.Metrics.got(); len(got) != 0 {
		t.Errorf("an error counted as an outcome: %v", got)
	}
}

// A form past its route's limit is refused 413 without a redeem, however
// it is sent: with a Content-Length or chunked. Before, the form was read
// as empty, and the page said no sign-in link came with the request.
func TestAFormPastItsLimitIs413SentChunkedOrNot(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"))
	tok := e.token(lt.NewToken{})
	form := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/sap/hook"}, "pad": {strings.Repeat("x", 70<<10)}}.Encode()
	for _, path := range []string{"/login", "/oci/login"} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(form)
			if chunked {
				body = io.MultiReader(body)
			}
			req, _ := http.NewRequest("POST", e.URL+path, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("POST %s, %d bytes, chunked: %v: %d, want 413\n%.400s", path, len(form), chunked, resp.StatusCode, page)
			}
		}
	}
	e.untouched(tok.ID, "an oversized form")
}
