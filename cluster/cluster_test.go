package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/servicetest"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
)

// loadWorkers is how many clients redeem at once through HAProxy.
const loadWorkers = 8

type issued struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

type tokenState struct {
	SuccessfulAttempts int64 `json:"successfulAttempts"`
	FailedAttempts     int64 `json:"failedAttempts"`
}

// call sends a JSON request that must answer status, decoding the answer
// into out (unless nil).
func call(t *testing.T, status int, out any, base, key, method, path string, body any) {
	t.Helper()
	got, b := servicetest.Call(t, base, key, method, path, body)
	if got != status {
		t.Fatalf("%s %s%s = %d, want %d: %s", method, base, path, got, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// TestThreeInstancesBehindHAProxy is the whole story of several instances:
// each part runs on the same cluster, in order.
func TestThreeInstancesBehindHAProxy(t *testing.T) {
	c := startCluster(t)
	webshop := firstLine(c.run("apikey", "create", "--name", "cluster shop", "--webshop"))
	admin := firstLine(c.run("apikey", "create", "--name", "cluster admin", "--grant", "configuration:owner", "--grant", "users:owner"))
	newToken := func(body map[string]any) issued {
		t.Helper()
		var tok issued
		call(t, http.StatusCreated, &tok, c.front, admin, "POST", "/api/v1/login-tokens", body)
		return tok
	}
	var loadTokens []issued
	var values []string
	for range 20 {
		tok := newToken(map[string]any{"extra": []string{"cluster load"}})
		loadTokens = append(loadTokens, tok)
		values = append(values, tok.Value)
	}

	t.Run("a one-time token presented on every instance at once signs in once", func(t *testing.T) {
		tok := newToken(map[string]any{"oneTimeUse": true})
		// Ten presentations straight to each instance and ten through
		// HAProxy, released together.
		var bases []string
		for i := range instances {
			for range 10 {
				bases = append(bases, c.local(i))
			}
		}
		for range 10 {
			bases = append(bases, c.front)
		}
		type answer struct {
			status int
			code   string
			err    error
		}
		answers := make([]answer, len(bases))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for n, base := range bases {
			hc := newClient()
			wg.Go(func() {
				<-start
				status, a, _, err := redeem(hc, base, webshop, tok.Value, fmt.Sprintf("198.19.0.%d", n+1))
				answers[n] = answer{status, a.Code, err}
			})
		}
		close(start)
		wg.Wait()
		succeeded, used := 0, 0
		for _, a := range answers {
			switch {
			case a.err == nil && a.status == http.StatusOK:
				succeeded++
			case a.err == nil && a.code == lt.ETOKENUSED:
				used++
			default:
				t.Errorf("an answer that is neither a sign-in nor TOKEN_USED: %+v", a)
			}
		}
		var state tokenState
		call(t, http.StatusOK, &state, c.local(2), admin, "GET", "/api/v1/login-tokens/"+tok.ID, nil)
		if succeeded != 1 || used != len(bases)-1 || state.SuccessfulAttempts != 1 {
			t.Fatalf("%d sign-ins and %d TOKEN_USED of %d presentations, %d successful attempts stored; want exactly one sign-in",
				succeeded, used, len(bases), state.SuccessfulAttempts)
		}
		t.Logf("one-time token: %d presentations on 3 instances and HAProxy at once, 1 sign-in, %d TOKEN_USED", len(bases), used)
	})

	t.Run("the failure limit counts an address's failures on every instance together", func(t *testing.T) {
		hc := newClient()
		wrong := lt.FormatValue(lt.TokenPrefix, loadTokens[0].ID, lt.NewSecret())
		// One after the other through HAProxy, which spreads them over
		// the instances: the limit holds for the sum.
		counted, servers := 0, map[string]int{}
		for n := range 3 * failuresPerMinute {
			status, a, server, err := redeem(hc, c.front, webshop, wrong, "203.0.113.50")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case a.Code == lt.ETOKENINVALID && n < failuresPerMinute:
				counted++
				servers[server]++
			case status == http.StatusTooManyRequests && a.Code == lt.ERATELIMITED && n >= failuresPerMinute:
			default:
				t.Fatalf("failure %d: %d %s; want %d TOKEN_INVALID, then RATE_LIMITED", n+1, status, a.Code, failuresPerMinute)
			}
		}
		if len(servers) != instances {
			t.Fatalf("the failures were served by %v, want every instance", servers)
		}
		// At once, on every instance straight: still the limit.
		limited, refused := 0, 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		for n := range 3 * failuresPerMinute {
			hc := newClient()
			wg.Go(func() {
				status, a, _, err := redeem(hc, c.local(n%instances), webshop, wrong, "2001:db8:77:1::9")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case a.Code == lt.ETOKENINVALID:
					refused++
				case status == http.StatusTooManyRequests:
					limited++
				default:
					t.Errorf("%d %s", status, a.Code)
				}
			})
		}
		wg.Wait()
		if refused != failuresPerMinute || limited != 2*failuresPerMinute {
			t.Fatalf("%d failures counted and %d rate limited of %d at once on 3 instances, want %d and %d",
				refused, limited, 3*failuresPerMinute, failuresPerMinute, 2*failuresPerMinute)
		}
		t.Logf("failure limit %d/min: %d in a row through HAProxy (served by %v) and %d at once on the instances: %d counted, the rest RATE_LIMITED",
			failuresPerMinute, 3*failuresPerMinute, servers, 3*failuresPerMinute, refused)
	})

	t.Run("an API key revoked on one instance is refused by the others at once", func(t *testing.T) {
		key := firstLine(c.run("apikey", "create", "--name", "to revoke", "--webshop"))
		id, _, _ := lt.ParseValue(lt.APIKeyPrefix, key)
		hc := newClient()
		for i := range instances {
			if status, _, _, err := redeem(hc, c.local(i), key, values[0], ""); err != nil || status != http.StatusOK {
				t.Fatalf("instance %d before the revocation: %d %v", i+1, status, err)
			}
		}
		call(t, http.StatusNoContent, nil, c.local(0), admin, "DELETE", "/api/v1/api-keys/"+id, nil)
		for i := range instances {
			if status, _, _, err := redeem(hc, c.local(i), key, values[0], ""); err != nil || status != http.StatusUnauthorized {
				t.Fatalf("instance %d right after the revocation on instance 1: %d %v, want 401", i+1, status, err)
			}
		}
	})

	t.Run("a backoffice session works on every instance and ends on all when its staff member is disabled", func(t *testing.T) {
		const password = "a long ops passphrase"
		servicetest.Run(t, binary, c.config(), password+"\n", "staff", "create", "--email", "ops@example.test", "--grant", "configuration:viewer")
		sessionOn := signIn(t, c.local(0), "ops@example.test", password)
		for i := range instances {
			if status := sessionOn(c.local(i)); status != http.StatusOK {
				t.Fatalf("the session made on instance 1 on instance %d: %d, want 200", i+1, status)
			}
		}
		// Another instance (here the store, as any instance writes it)
		// disables the member.
		st := c.store(t)
		members, err := st.FindStaff(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		disabled := true
		for _, m := range members {
			if m.Email == "ops@example.test" {
				if _, err := st.UpdateStaff(context.Background(), m.ID, lt.StaffUpdate{Disabled: &disabled}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := range instances {
			if status := sessionOn(c.local(i)); status != http.StatusSeeOther {
				t.Fatalf("the disabled member's session on instance %d: %d, want 303 to the sign-in", i+1, status)
			}
		}
	})

	t.Run("rolling restarts, a server key rotation and a signing key rotation under load", func(t *testing.T) {
		v := c.newVerifier()
		l := c.startLoad(loadWorkers, webshop, values, v)
		started := time.Now()

		// Each instance in turn: SIGTERM (it drains), then started again
		// with the new server key, the old one as previous.
		oldKey := strings.TrimPrefix(c.keys[0], "LOGINTOKENS_SECRET_KEY=")
		newKeyText := newKey()
		c.keys = []string{"LOGINTOKENS_SECRET_KEY=" + newKeyText, "LOGINTOKENS_SECRET_KEY_PREVIOUS=" + oldKey}
		for i := range instances {
			c.restart(i)
		}
		afterRestarts := l.requests.Load()

		// Everything is sealed anew while the load flows.
		if left := firstLine(c.run("secret-key", "rotate", "--batch", "7")); left != "0" {
			t.Fatalf("secret-key rotate left %s values under the old key", left)
		}
		c.run("secret-key", "rotate", "--check")

		// New signing keys: published at once, signing after the delay.
		before := v.kidsSeen()
		newKids := strings.Fields(c.run("signing-key", "rotate"))
		if len(newKids) != 2 {
			t.Fatalf("signing-key rotate printed %v", newKids)
		}
		deadline := time.Now().Add(jwtsign.RotationDelay + time.Minute)
		for v.kidsSeen()[newKids[0]] == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no assertion signed with the new key %s within %s of the rotation (seen %v)", newKids[0], jwtsign.RotationDelay+time.Minute, v.kidsSeen())
			}
			time.Sleep(100 * time.Millisecond)
		}

		// The old key is dropped: each instance restarts with the new one
		// alone.
		c.keys = c.keys[:1]
		for i := range instances {
			c.restart(i)
		}
		l.end()
		checked := v.finish(t)
		t.Logf("load: %s", l)
		t.Logf("%d restarts (SIGTERM, drain, start), a server key rotation and a signing key rotation in %s; %d assertions verified on the JWKS of all 3 instances, by signing key %v (before the rotation: %v)",
			2*instances, time.Since(started).Round(time.Millisecond), checked, v.kidsSeen(), before)
		if l.failed > 0 || l.ok.Load() != l.requests.Load() {
			t.Fatalf("clients saw answers other than 2xx: %s", l)
		}
		if afterRestarts == 0 || checked != int(l.ok.Load()) {
			t.Fatalf("%d assertions verified of %d", checked, l.ok.Load())
		}
	})

	t.Run("an instance killed with SIGKILL and started again loses nothing", func(t *testing.T) {
		before := c.successes(t, admin, loadTokens)
		v := c.newVerifier()
		l := c.startLoad(loadWorkers, webshop, values, v)
		// Some load first, so the kill cuts requests in flight.
		for l.ok.Load() < 200 {
			time.Sleep(10 * time.Millisecond)
		}
		c.inst[1].Kill()
		c.waitDown(1)
		c.start(1)
		c.waitUp(1)
		for l.ok.Load() < 400 {
			time.Sleep(10 * time.Millisecond)
		}
		l.end()
		checked := v.finish(t)
		after := c.successes(t, admin, loadTokens)
		t.Logf("load: %s", l)
		t.Logf("SIGKILL: %d sign-ins answered, %d stored (%d assertions verified)", l.ok.Load(), after-before, checked)
		if after-before < l.ok.Load() {
			t.Fatalf("%d sign-ins were answered but only %d are stored", l.ok.Load(), after-before)
		}
	})
}

// successes sums the successful attempts stored for tokens.
func (c *cluster) successes(t *testing.T, admin string, tokens []issued) int64 {
	t.Helper()
	var sum int64
	for _, tok := range tokens {
		var state tokenState
		call(t, http.StatusOK, &state, c.front, admin, "GET", "/api/v1/login-tokens/"+tok.ID, nil)
		sum += state.SuccessfulAttempts
	}
	return sum
}

// store opens the cluster's database as one more instance would.
func (c *cluster) store(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), c.dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in to the backoffice at base and returns a function that
// asks another instance for a page with the session, returning the
// status.
func signIn(t *testing.T, base, email, password string) func(base string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := newClient()
	hc.Jar = jar
	resp, err := hc.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page: %s", page)
	}
	resp, err = hc.PostForm(base+"/admin/login", url.Values{"email": {email}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	u, _ := url.Parse(base + "/admin/")
	cookies := jar.Cookies(u)
	return func(other string) int {
		req, _ := http.NewRequest("GET", other+"/admin/login-tokens", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := newClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
}
