package signin_test

import (
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// With the database gone (the store's pool closed), the login link and the
// OCI entry answer 503 with Retry-After and a page that says the service is
// briefly unavailable and offers to try again; the log says so once, not
// once per sign-in, and nothing is counted as an outcome.
func TestAnUnavailableDatabaseAnswers503WithRetryAfterAndLogsOnce(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := sqlstoretest.Open(t, kind)
			e := newEnv(t, s, withOCI("https://srm.acme.test/sap/"))
			tok := e.token(lt.NewToken{})
			s.Close()
			for i := range 20 {
				path, form := "/login", url.Values{"token": {tok.Value}}
				if i%2 == 1 {
					path, form = "/oci/login", ociRequest(tok.Value)
				}
				a := e.post(path, form)
				if a.Status != 503 || a.Header.Get("Retry-After") != "5" || !strings.Contains(a.text(), "briefly unavailable") {
					t.Fatalf("%s: %d Retry-After %q:\n%s", path, a.Status, a.Header.Get("Retry-After"), a.Body)
				}
				lower := strings.ToLower(a.Body)
				for _, internal := range []string{"sql", "closed", "database", "postgres", "sqlite"} {
					if strings.Contains(lower, internal) {
						t.Fatalf("%s: the page names %q:\n%s", path, internal, a.Body)
					}
				}
				if path == "/login" {
					if f, ok := a.form(t); !ok || f.Button != "Try again" {
						t.Fatalf("no way to try again: %+v", f)
					}
				}
			}
			logs := e.logs.String()
			if n := strings.Count(logs, `msg="database unavailable`); n != 1 || strings.Contains(logs, "sign-in redeem failed") {
				t.Errorf("20 refused sign-ins: %d outage lines, want 1:\n%s", n, logs)
			}
			if got := e.Metrics.got(); len(got) != 0 {
				t.Errorf("an outage counted as an outcome: %v", got)
			}
		})
	}
}
