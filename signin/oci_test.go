package signin_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestHookAllowedMatchesSchemeHostPortAndTheExactPathOrAPrefixAtASlash(t *testing.T) {
	allow := []*url.URL{
		mustURL("https://srm.acme.test/"),
		mustURL("https://srm.globex.test/sap/"),
		mustURL("http://srm.initech.test:8080/oci/"),
		// The procurement system's own HOOK_URL, as an operator copies it.
		mustURL("https://srm.hooli.test/sap/bc/gui/hook"),
		mustURL("https://srm.umbrella.test"),
	}
	cases := []struct {
		hook string
		ok   bool
	}{
		{"https://srm.acme.test/", true},
		{"https://srm.acme.test", true},
		{"https://srm.acme.test/sap/bc/hook?sap-client=100", true},
		{"https://SRM.Acme.Test/x", true},
		{"HTTPS://srm.acme.test/x", true},
		{"https://srm.acme.test:443/x", true},
		{"https://srm.acme.test/x#frag", true},
		{"https://srm.acme.test.evil.example/", false},
		{"https://srm.acme.test@evil.example/", false},
		{"https://user:pw@srm.acme.test/", false},
		{"https://evil.example/?https://srm.acme.test/", false},
		{"https://evil.example/srm.acme.test/", false},
		{"http://srm.acme.test/", false},       // scheme
		{"https://srm.acme.test:8443/", false}, // port
		{"https://srm.acme.test./", false},     // another host name
		{"https://xsrm.acme.test/", false},
		{"//srm.acme.test/", false},
		{"srm.acme.test/", false},
		{"ftp://srm.acme.test/", false},
		{"javascript://srm.acme.test/%0aalert(1)", false},
		{"https:srm.acme.test", false},
		{"", false},
		{"https://srm.globex.test/sap/", true},
		{"https://srm.globex.test/sap/bc/hook", true},
		{"https://srm.globex.test/sap", false},
		{"https://srm.globex.test/sapx", false},
		{"https://srm.globex.test/sapx/bc", false},
		{"https://srm.globex.test/", false},
		{"https://srm.globex.test/sap/../evil", false},
		{"https://srm.globex.test/sap/%2e%2e/evil", false},
		{"https://srm.globex.test/sap/./x", false},
		{"https://srm.globex.test/sap%2F..%2Fevil", false},
		{"https://srm.globex.test/sap\\..\\evil", false},
		{"https://srm.globex.test/SAP/bc", false}, // paths are case-sensitive
		{"http://srm.initech.test:8080/oci/hook", true},
		{"http://srm.initech.test:08080/oci/hook", true},
		{"http://srm.initech.test/oci/hook", false},
		{"https://srm.initech.test:8080/oci/hook", false},
		{"http://srm.initech.test:8081/oci/hook", false},
		{"https://srm.acme.test/a b", false},
		{" https://srm.acme.test/", false},
		{"https://srm.acme.test/\t", false},
		{"https://srm.acme.test/\x00", false},
		// An entry that is a hook's exact URL admits it, with any query.
		{"https://srm.hooli.test/sap/bc/gui/hook", true},
		{"https://srm.hooli.test/sap/bc/gui/hook?sap-client=100&x=1", true},
		{"https://srm.hooli.test/sap/bc/gui/hook#top", true},
		{"https://SRM.hooli.test:443/sap/bc/gui/hook", true},
		{"https://srm.hooli.test/sap/bc/gui/hook/", true},
		{"https://srm.hooli.test/sap/bc/gui/hook/receive", true},
		{"https://srm.hooli.test/sap/bc/gui/hookevil", false},
		{"https://srm.hooli.test/sap/bc/gui/hook.evil", false},
		{"https://srm.hooli.test/sap/bc/gui/hoo", false},
		{"https://srm.hooli.test/sap/bc/gui", false},
		{"https://srm.hooli.test/sap/bc/gui/", false},
		{"https://srm.hooli.test/sap/bc/gui/HOOK", false},
		{"http://srm.hooli.test/sap/bc/gui/hook", false},
		{"https://srm.hooli.test.evil.example/sap/bc/gui/hook", false},
		// An entry without a path is the whole host.
		{"https://srm.umbrella.test", true},
		{"https://srm.umbrella.test/any/path?q=1", true},
		// Path parameters: servers read /sap/..;/admin as /admin.
		{"https://srm.acme.test/sap/..;/admin", false},
		{"https://srm.hooli.test/sap/bc/gui/hook;x", false},
		{"https://srm.hooli.test/sap/bc/gui/hook/;/admin", false},
		{"https://srm.acme.test/x;jsessionid=0123", false},
		{"https://srm.acme.test/x%3Bjsessionid=0123", false},
		{"https://srm.globex.test/sap/a;b/c", false},
		{"https://srm.acme.test/x?a=1;b=2", true}, // a ; in the query is no path parameter
	}
	for _, tc := range cases {
		if got := signin.HookAllowed(tc.hook, allow); got != tc.ok {
			t.Errorf("HookAllowed(%q) = %v, want %v", tc.hook, got, tc.ok)
		}
	}
	// A default port written in the allowed URL matches a hook without it.
	if !signin.HookAllowed("https://srm.acme.test/x", []*url.URL{mustURL("https://srm.acme.test:443/")}) ||
		!signin.HookAllowed("http://srm.acme.test:80/x", []*url.URL{mustURL("http://srm.acme.test/")}) {
		t.Error("default ports are not normalised")
	}
	if signin.HookAllowed("https://srm.acme.test/", nil) {
		t.Error("an empty allow list allows a hook")
	}
}

// ociRequest is what SAP SRM sends when a buyer opens the catalogue.
func ociRequest(value string) url.Values {
	return url.Values{
		"USERNAME":     {"buyer"},
		"PASSWORD":     {value},
		"HOOK_URL":     {"https://srm.acme.test/sap/bc/bsp/sap/bbp_oci_rec/receive.htm?sap-client=100"},
		"~OkCode":      {"ADDI"},
		"~TARGET":      {"_top"},
		"~CALLER":      {"CTLG"},
		"returntarget": {"_parent"},
		"OCI_VERSION":  {"4.0"},
		"OPI_VERSION":  {"1.0"},
		"sap-client":   {"100"},
		"sap-language": {"EN"},
		"CUSTFIELD1":   {"cost center 4711"},
		"CUSTFIELD5":   {""},
	}
}

func TestOCIEntryRedeemsAndCarriesThePunchoutParametersNeverTheCredentials(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		e := newEnv(t, s, withOCI("https://srm.acme.test/sap/"))
		c, _ := e.people()
		tok := e.token(lt.NewToken{ContactID: &c.ID})
		req := ociRequest(tok.Value)
		hook := req.Get("HOOK_URL")
		wantKeys := []string{"CUSTFIELD1", "CUSTFIELD5", "OCI_VERSION", "OPI_VERSION", "caller", "hookUrl", "okCode", "returnTarget", "sap-client", "sap-language", "target"}

		check := func(what string, a answer) {
			t.Helper()
			f, ok := a.form(t)
			if a.Status != 200 || !ok || f.Action != callback || !f.Auto || len(f.Fields) != 1 {
				t.Fatalf("%s: %d, form %+v\n%s", what, a.Status, f, a.Body)
			}
			claims := e.verify(f.Fields["assertion"])
			oci, _ := claims["oci"].(map[string]any)
			var keys []string
			for k := range oci {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, " ") != strings.Join(wantKeys, " ") {
				t.Errorf("%s: oci claim keys %v, want exactly %v", what, keys, wantKeys)
			}
			if oci["hookUrl"] != hook || oci["okCode"] != "ADDI" || oci["target"] != "_top" || oci["caller"] != "CTLG" ||
				oci["returnTarget"] != "_parent" || oci["sap-client"] != "100" || oci["CUSTFIELD1"] != "cost center 4711" || oci["CUSTFIELD5"] != "" {
				t.Errorf("%s: oci claim %v", what, oci)
			}
			b, _ := json.Marshal(claims)
			_, secret, _ := lt.ParseValue(lt.TokenPrefix, tok.Value)
			if strings.Contains(string(b), secret) || strings.Contains(string(b), "buyer") {
				t.Errorf("%s: the claims hold a credential: %s", what, b)
			}
			if claims["sub"] == nil || claims["loginToken"] != tok.ID {
				t.Errorf("%s: claims %v", what, claims)
			}
		}
		check("GET with PASSWORD", e.get("/oci/login?"+req.Encode()))
		check("POST with PASSWORD", e.post("/oci/login", req))

		// token and mtoken carry it too, and SAP's other spellings of the
		// hook are accepted.
		req.Del("PASSWORD")
		req.Set("mtoken", tok.Value)
		check("GET with mtoken", e.get("/oci/login?"+req.Encode()))
		req.Del("mtoken")
		req.Set("token", tok.Value)
		req.Del("HOOK_URL")
		req.Set("hook_url", hook)
		check("POST with token and hook_url", e.post("/oci/login", req))

		if okN, _, _ := e.counters(tok.ID); okN != 4 {
			t.Errorf("%d successes, want 4", okN)
		}
		events, _, _ := s.FindTokenEvents(ctx, tok.ID, 1, 1)
		if events[0].Actor != "oci" || events[0].ClientIP != "198.51.100.7" {
			t.Errorf("event %+v", events[0])
		}
	})
}

func TestOCIParametersCannotPassForTheClaimsOwnKeys(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"))
	tok := e.token(lt.NewToken{})
	req := url.Values{
		"token":    {tok.Value},
		"HOOK_URL": {"https://srm.acme.test/hook"},
		"hookUrl":  {"https://evil.example/"},
		"Target":   {"evil"},
		"MToken":   {"lt_zzzzzzzzzzzzzzzz_AnotherSecretAnotherSecret"},
		"Password": {"pw"},
		"username": {"buyer"},
	}
	a := e.post("/oci/login", req)
	f, _ := a.form(t)
	oci, _ := e.verify(f.Fields["assertion"])["oci"].(map[string]any)
	if len(oci) != 1 || oci["hookUrl"] != "https://srm.acme.test/hook" {
		t.Errorf("oci claim %v, want the real hook alone", oci)
	}
}

func TestARefusedHookCountsNothing(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"))
	tok := e.token(lt.NewToken{OneTimeUse: true})
	for _, hook := range []string{
		"https://srm.acme.test.evil.example/",
		"https://srm.acme.test@evil.example/",
		"https://evil.example/",
		"https://evil.example/" + tok.Value + "/receive", // the refusal names the hook, never a value in it
	} {
		req := url.Values{"token": {tok.Value}, "HOOK_URL": {hook}}
		for what, a := range map[string]answer{"GET": e.get("/oci/login?" + req.Encode()), "POST": e.post("/oci/login", req)} {
			if _, hasForm := a.form(t); a.Status != 400 || hasForm || !strings.Contains(a.text(), "does not accept carts for this procurement system") {
				t.Errorf("%s %s: %d\n%s", what, hook, a.Status, a.text())
			}
			if strings.Contains(a.Body, "srm.acme.test@") || strings.Contains(a.Body, tok.Value) {
				t.Errorf("%s %s: the page repeats the user part or the value:\n%s", what, hook, a.Body)
			}
		}
	}
	e.untouched(tok.ID, "refused hooks")
	if got := e.Metrics.got(); len(got) != 0 {
		t.Errorf("metrics counted %v", got)
	}
	// The token still works with an allowed hook.
	a := e.get("/oci/login?" + url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/x"}}.Encode())
	if a.Status != 200 {
		t.Fatalf("allowed hook: %d\n%s", a.Status, a.text())
	}
}

func TestOCIRequestsThatCannotBeServedCountNothing(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"))
	off := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI())
	tok := e.token(lt.NewToken{})
	many := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}}
	for i := range 70 {
		many.Set("CUSTFIELD"+strings.Repeat("X", i), "x")
	}
	cases := []struct {
		name   string
		e      *env
		req    url.Values
		status int
		says   string
	}{
		{"OCI off", off, url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}}, 404, "OCI punchout is not enabled"},
		{"no hook", e, url.Values{"token": {tok.Value}}, 400, "has no HOOK_URL"},
		{"no token", e, url.Values{"USERNAME": {"buyer"}, "HOOK_URL": {"https://srm.acme.test/"}}, 400, "has no login token"},
		{"too many parameters", e, many, 400, "too many or too long parameters"},
		{"too long a value", e, url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/" + strings.Repeat("a", 3000)}}, 400, "too many or too long parameters"},
		{"too long a name", e, url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}, strings.Repeat("N", 100): {"x"}}, 400, "too many or too long parameters"},
	}
	for _, tc := range cases {
		for what, a := range map[string]answer{"GET": tc.e.get("/oci/login?" + tc.req.Encode()), "POST": tc.e.post("/oci/login", tc.req)} {
			if a.Status != tc.status || !strings.Contains(a.text(), tc.says) {
				t.Errorf("%s %s: %d, want %d saying %q:\n%s", tc.name, what, a.Status, tc.status, tc.says, a.text())
			}
		}
	}
	if head := e.do("HEAD", "/oci/login?"+url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}}.Encode(), nil); head.Status != 200 {
		t.Errorf("HEAD: %d", head.Status)
	}
	e.untouched(tok.ID, "requests that cannot be served, and a HEAD")
	if got := append(e.Metrics.got(), off.Metrics.got()...); len(got) != 0 {
		t.Errorf("metrics counted %v", got)
	}
}

func TestOCIFailuresSayWhyWithTheAPIStatus(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/"), withLimit(2))
	tok := e.token(lt.NewToken{OneTimeUse: true})
	req := url.Values{"token": {tok.Value}, "HOOK_URL": {"https://srm.acme.test/"}}
	if a := e.get("/oci/login?" + req.Encode()); a.Status != 200 {
		t.Fatalf("first: %d", a.Status)
	}
	a := e.get("/oci/login?" + req.Encode())
	if a.Status != 400 || !strings.Contains(a.text(), "was for one use only and has been used") {
		t.Errorf("used: %d\n%s", a.Status, a.text())
	}
	req.Set("token", "garbage")
	if a := e.post("/oci/login", req); a.Status != 400 || !strings.Contains(a.text(), "is not valid") {
		t.Errorf("invalid: %d\n%s", a.Status, a.text())
	}
	if a := e.post("/oci/login", req); a.Status != 429 || a.Header.Get("Retry-After") == "" {
		t.Errorf("limited: %d %q", a.Status, a.Header.Get("Retry-After"))
	}
}
