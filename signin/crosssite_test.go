package signin_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// postCrossSite posts a form as a browser does from a page of another
// site: a procurement system's punchout form, a mail client's web view.
func (e *env) postCrossSite(path string, form url.Values, origin string) answer {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// The OCI entry is cross-site by design: a procurement system posts the
// punchout form from its own origin, and the entry signs in at once.
// Unlike the backoffice's forms it has no session to protect; what stands
// in the way of abuse is the value itself and the HOOK_URL allow list.
func TestTheOCIEntryAcceptsACrossSitePost(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"), withOCI("https://srm.acme.test/sap/"))
	tok := e.token(lt.NewToken{})
	a := e.postCrossSite("/oci/login", url.Values{
		"PASSWORD": {tok.Value}, "USERNAME": {"buyer"},
		"HOOK_URL": {"https://srm.acme.test/sap/bc/hook"}, "~OkCode": {"ADDI"},
	}, "https://srm.acme.test")
	f, ok := a.form(t)
	if a.Status != http.StatusOK || !ok || f.Action != callback || f.Fields["assertion"] == "" {
		t.Fatalf("cross-site punchout: %d, form %+v\n%s", a.Status, f, a.text())
	}
	if okN, _, _ := e.counters(tok.ID); okN != 1 {
		t.Errorf("%d successes, want 1", okN)
	}
}

// POST /login takes cross-site posts too: the token value in the body is
// the credential, there is no session or cookie a forged form could ride
// on, and mail clients' web views and shops post to it from their own
// origins. (The residual risk, a page that signs a visitor in to the shop
// as the page author's own token, is in SECURITY.md.)
func TestLoginAcceptsACrossSitePost(t *testing.T) {
	e := newEnv(t, sqlstoretest.Open(t, "sqlite"))
	tok := e.token(lt.NewToken{})
	a := e.postCrossSite("/login", url.Values{"token": {tok.Value}, "return": {"/cart"}}, "https://mail.example")
	f, ok := a.form(t)
	if a.Status != http.StatusOK || !ok || f.Action != callback || f.Fields["assertion"] == "" || f.Fields["return"] != "/cart" {
		t.Fatalf("cross-site POST /login: %d, form %+v\n%s", a.Status, f, a.text())
	}
}
