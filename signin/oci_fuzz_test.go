package signin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/redeem"
)

// fuzzAllow is the allow list of the OCI fuzz targets: a host with a path,
// a whole host, and a host with a port.
var fuzzAllow = []string{"https://srm.acme.test/sap/", "https://srm.initech.test/", "http://srm.globex.test:8080/oci/"}

func parseAllow(tb testing.TB, raw []string) []*url.URL {
	tb.Helper()
	var out []*url.URL
	for _, s := range raw {
		u, err := url.Parse(s)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// withinEntry is the test's own reading of the rule HookAllowed applies
// (docs/signin.md): the hook is an absolute http(s) URL without a user part,
// with exactly the entry's scheme, host (ASCII, any case) and port (the
// scheme's default when unwritten), a path that is the entry's path or
// lies under it up to a "/", no "." or ".." segment, no ";" (a path
// parameter) and nothing a browser would read otherwise (white space,
// control characters, backslashes, encoded slashes).
func withinEntry(hook string, a *url.URL) bool {
	if strings.ContainsFunc(hook, func(c rune) bool { return c == '\\' || unicode.IsSpace(c) || unicode.IsControl(c) }) {
		return false
	}
	u, err := url.Parse(hook)
	if err != nil || u.User != nil || u.Opaque != "" || a.User != nil {
		return false
	}
	scheme := asciiLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || scheme != asciiLower(a.Scheme) {
		return false
	}
	host := u.Hostname()
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return false
		}
	}
	if host == "" || asciiLower(host) != asciiLower(a.Hostname()) || effectivePort(u) != effectivePort(a) {
		return false
	}
	p, entry := u.Path, a.Path
	if p == "" {
		p = "/"
	}
	if entry == "" {
		entry = "/"
	}
	prefix := entry
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	escaped := strings.ToLower(u.EscapedPath())
	if p != entry && !strings.HasPrefix(p, prefix) || strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") ||
		strings.Contains(p, ";") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func effectivePort(u *url.URL) string {
	p := u.Port()
	if p == "" {
		switch asciiLower(u.Scheme) {
		case "http":
			return "80"
		case "https":
			return "443"
		}
	}
	if n, err := strconv.Atoi(p); err == nil {
		return strconv.Itoa(n)
	}
	return p
}

// FuzzHookAllowed: HookAllowed never panics, and it accepts a hook exactly
// when the hook lies within one allow-list entry by the test's own reading
// of the rule: an entry that is the procurement system's own HOOK_URL
// admits it. The fuzzer varies the hook and one entry of the list.
func FuzzHookAllowed(f *testing.F) {
	for _, seed := range [][2]string{
		{"https://srm.acme.test/sap/bc/hook?sap-client=100", ""},
		{"https://srm.acme.test/sap", ""},
		{"https://srm.acme.test/sapx/", ""},
		{"https://srm.acme.test/sap/../evil", ""},
		{"https://srm.acme.test/sap/%2e%2e/evil", ""},
		{"https://srm.acme.test/sap%2F..%2Fevil", ""},
		{"https://srm.acme.test/sap\\..\\evil", ""},
		{"https://srm.acme.test@evil.example/sap/", ""},
		{"https://srm.acme.test.evil.example/sap/", ""},
		{"https://user:pw@srm.acme.test/sap/", ""},
		{"HTTPS://SRM.ACME.TEST:443/sap/x", ""},
		{"https://srm.acme.test:0443/sap/x", ""},
		{"https://srm.acme.test:/sap/x", ""},
		{"http://srm.globex.test:8080/oci/hook", ""},
		{"http://srm.globex.test:08080/oci/hook", ""},
		{"http://srm.globex.test/oci/hook", ""},
		{"https://srm.initech.test", ""},
		{"https://srm.\u0130nitech.test/", ""},              // dotted capital I: Go lowers it to "i", a browser's IDNA does not
		{"https://srm.%C4%B0nitech.test/", ""},              // the same, escaped
		{"https://\u212Aiosk.test/", "https://kiosk.test/"}, // Kelvin sign
		{"https://[::1]:443/x", "https://[::1]/"},
		{"https://[::1%25eth0]/x", "https://[::1]/"},
		{"javascript://srm.acme.test/%0aalert(1)", "javascript://srm.acme.test/"},
		{"//srm.acme.test/sap/", "//srm.acme.test/sap/"},
		{"https://srm.acme.test/sap/", "https://user@srm.acme.test/"},
		{"https://a/b", "https://a"},
		{"https://a/b", "https:a"},
		{"", ""},
		{"https://srm.acme.test/sap/bc/gui/hook", "https://srm.acme.test/sap/bc/gui/hook"},
		{"https://srm.acme.test/sap/bc/gui/hook?sap-client=100", "https://srm.acme.test/sap/bc/gui/hook"},
		{"https://srm.acme.test/sap/bc/gui/hook/x", "https://srm.acme.test/sap/bc/gui/hook"},
		{"https://srm.acme.test/sap/bc/gui/hookevil", "https://srm.acme.test/sap/bc/gui/hook"},
		{"https://srm.acme.test/sap/bc/gui/hook.evil", "https://srm.acme.test/sap/bc/gui/hook"},
		{"https://srm.acme.test/sap/bc/gui/hook;x", "https://srm.acme.test/sap/bc/gui/hook"},
		{"https://srm.acme.test/sap/..;/admin", ""},
		{"https://srm.acme.test/sap/x;jsessionid=1", ""},
		{"https://srm.acme.test/sap/x%3Bjsessionid=1", ""},
		{"https://srm.initech.test", "https://srm.initech.test"},
	} {
		f.Add(seed[0], seed[1])
	}
	fixed := parseAllow(f, fuzzAllow)
	f.Fuzz(func(t *testing.T, hook, extra string) {
		allow := append([]*url.URL{}, fixed...)
		if u, err := url.Parse(extra); err == nil && extra != "" {
			allow = append(allow, u)
		}
		within := false
		for _, a := range allow {
			within = within || withinEntry(hook, a)
		}
		switch allowed := HookAllowed(hook, allow); {
		case allowed && !within:
			t.Fatalf("HookAllowed(%q) with %q allowed but is within no entry", hook, extra)
		case !allowed && within:
			t.Fatalf("HookAllowed(%q) with %q refused but is within an entry", hook, extra)
		}
	})
}

// fuzzRedeemer accepts every value and records it: the OCI target fuzzes
// what the entry hands to the redeem and the assertion, not the store.
type fuzzRedeemer struct{ values []string }

func (r *fuzzRedeemer) Redeem(_ context.Context, req lt.RedeemRequest) (lt.RedeemResult, error) {
	r.values = append(r.values, req.Value)
	return lt.RedeemResult{Token: &lt.LoginToken{ID: "abcdefghijklmnop", Type: lt.UserAnonymous}}, nil
}

// fuzzIssuer records the assertions it is asked to sign.
type fuzzIssuer struct{ issued []lt.Assertion }

func (i *fuzzIssuer) Issue(_ context.Context, a lt.Assertion) (string, error) {
	i.issued = append(i.issued, a)
	return "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", nil
}

// credentialName reports whether a parameter name carries a credential
// (CONTRACT §6: token, mtoken, PASSWORD; USERNAME is ignored), in any case.
func credentialName(name string) bool {
	switch strings.ToLower(name) {
	case "token", "mtoken", "password", "username":
		return true
	}
	return false
}

// FuzzOCIEntry sends arbitrary parameters to /oci/login, as a GET query or
// a POST form, through the real handler. It never panics nor answers 500;
// it redeems only with an allowed HOOK_URL (by the test's own reading of
// the rule) and a value from token, mtoken or PASSWORD; and the assertion's
// oci claim never holds a credential parameter, nor any credential value
// that the request did not also send in another parameter.
func FuzzOCIEntry(f *testing.F) {
	sap := url.Values{
		"USERNAME": {"buyer"}, "PASSWORD": {"lt_abcdefghijklmnop_SecretSecretSecretSecret"},
		"HOOK_URL": {"https://srm.acme.test/sap/bc/bsp/sap/bbp_oci_rec/receive.htm?sap-client=100"},
		"~OkCode":  {"ADDI"}, "~TARGET": {"_top"}, "~CALLER": {"CTLG"}, "returntarget": {"_parent"},
		"OCI_VERSION": {"4.0"}, "sap-client": {"100"}, "CUSTFIELD1": {"cost center 4711"},
	}
	for _, seed := range []string{
		sap.Encode(),
		"token=tok&HOOK_URL=https://srm.initech.test/x",
		"mtoken=tok&hook_url=https://srm.initech.test/x&hookUrl=https://evil.example/",
		"Token=a&MToken=b&Password=c&username=d&HOOK_URL=https://srm.initech.test/&x=d",
		"token=a&token=b&HOOK_URL=https://srm.initech.test/&HOOK_URL=https://evil.example/",
		"HOOK_URL=https://srm.initech.test/&PASSWORD=+++",
		"HOOK_URL=https://evil.example/&token=tok",
		"HOOK_URL=https://srm.acme.test@evil.example/sap/&token=tok",
		"HOOK_URL=https://srm.%C4%B0nitech.test/&token=tok",
		"hook_url=http://srm.globex.test:08080/oci/&PASSWORD=p&USERNAME=p",
		"HOOK_URL=https://srm.initech.test/&token=tok&TOKEN=tok2&PASSWORD=tok&CUSTFIELD1=tok",
		"token=%zz&HOOK_URL=https://srm.initech.test/",
		"=x&HOOK_URL=https://srm.initech.test/&token=t",
		"HOOK_URL=https://srm.initech.test/;token=t",
	} {
		f.Add(false, seed)
		f.Add(true, seed)
	}
	allow := parseAllow(f, fuzzAllow)
	st, iss := &fuzzRedeemer{}, &fuzzIssuer{}
	srv, err := New(Config{
		Redeem:          &redeem.Service{Store: st, Issuer: iss},
		ShopCallbackURL: "https://shop.example.test/auth/callback",
		OCIHookAllow:    allow,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)

	f.Fuzz(func(t *testing.T, post bool, params string) {
		st.values, iss.issued = nil, nil
		var req *http.Request
		if post {
			req = httptest.NewRequest("POST", "/oci/login", strings.NewReader(params))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest("GET", "/oci/login", nil)
			req.URL.RawQuery = params
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)

		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("%v %q: status %d", post, params, w.Code)
		}
		if len(st.values) == 0 {
			if w.Code == http.StatusOK || len(iss.issued) > 0 {
				t.Fatalf("%v %q: signed in without a redeem", post, params)
			}
			return
		}
		if len(st.values) != 1 || len(iss.issued) != 1 || w.Code != http.StatusOK {
			t.Fatalf("%v %q: %d redeems, %d assertions, status %d", post, params, len(st.values), len(iss.issued), w.Code)
		}
		form := req.Form // what the handler read
		claim := iss.issued[0].OCI
		hook := claim["hookUrl"]
		if h, _ := lookup(form, ociHookParam); h != hook {
			t.Fatalf("%v %q: the claim's hookUrl %q is not the request's HOOK_URL %q", post, params, hook, h)
		}
		inside := false
		for _, a := range allow {
			inside = inside || withinEntry(hook, a)
		}
		if !inside {
			t.Fatalf("%v %q: redeemed with the hook %q, which no entry allows", post, params, hook)
		}

		// The value came from token, mtoken or PASSWORD, never USERNAME.
		value, fromCredential := st.values[0], false
		var others []string // every name and value of a parameter that is no credential
		for name, vs := range form {
			switch strings.ToLower(name) {
			case "token", "mtoken", "password":
				for _, v := range vs {
					fromCredential = fromCredential || strings.TrimSpace(v) == value
				}
			}
			if !credentialName(name) {
				others = append(others, name)
				others = append(others, vs...)
			}
		}
		if value == "" || !fromCredential {
			t.Fatalf("%v %q: redeemed %q, which no token, mtoken or PASSWORD parameter holds", post, params, value)
		}
		others = append(others, "hookUrl", "okCode", "target", "caller", "returnTarget")
		otherText := strings.Join(others, "\x00")

		for k := range claim {
			if credentialName(k) {
				t.Fatalf("%v %q: the oci claim has the credential parameter %q", post, params, k)
			}
		}
		for name, vs := range form {
			if !credentialName(name) {
				continue
			}
			for _, v := range vs {
				if v == "" || strings.Contains(otherText, v) {
					continue // the request sent it elsewhere too
				}
				for k, cv := range claim {
					if strings.Contains(k, v) || strings.Contains(cv, v) {
						t.Fatalf("%v %q: the oci claim %q=%q holds the %s value %q", post, params, k, cv, name, v)
					}
				}
			}
		}
	})
}
