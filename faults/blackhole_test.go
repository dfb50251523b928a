package faults

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The blackhole test's bounds.
const (
	// blackholeDBTimeout is the service's LOGINTOKENS_DB_TIMEOUT here.
	blackholeDBTimeout = "1s"
	// poolSize is the most connections sqlstore opens to PostgreSQL;
	// closeLag is how many the proxy may still count after the service has
	// closed them.
	poolSize = 32
	closeLag = 8
	// Each round sends these requests at once, while the database does
	// not answer: more than the pool holds.
	blackholeRounds   = 3
	blackholeRedeems  = 32
	blackholeAPIReads = 32
	blackholePages    = 16
	// blackholeClientTimeout is far beyond the bound: a request still
	// unanswered then was held until the operating system gave up, as it
	// was before every database wait had a bound.
	blackholeClientTimeout = 60 * time.Second
)

// PostgreSQL that stops answering without refusing (a network that drops
// its packets; here a proxy that keeps accepting and reading but forwards
// nothing) under redeems, API reads and backoffice pages: every request
// answers 503 UNAVAILABLE with Retry-After (problem+json for the API, the
// backoffice's own page) within the database bound instead of hanging;
// the service holds no more database connections than its pool, and once
// the answers are in nothing is left waiting on the silent database; the
// log reports the outage once per interval and nothing else; when the
// proxy forwards again the service recovers by itself. The service runs
// on the shared test server, in a schema of its own, through the proxy:
// nothing stops the server.
func TestPostgresBlackholeAnswers503(t *testing.T) {
	dbURL, err := url.Parse(sqlstoretest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newHangProxy(t, dbURL.Host)
	dbURL.Host = p.addr()
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"LOGINTOKENS_DATABASE_URL=" + dbURL.String(), "LOGINTOKENS_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key),
		"LOGINTOKENS_DB_TIMEOUT=" + blackholeDBTimeout}
	srv := startService(t, env)
	webshop, admin := keys(t, env)
	var tok issued
	want(t, 201, &tok, srv.LocalURL, admin, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"blackhole"}})
	office := signInToBackoffice(t, srv.LocalURL)

	c := &http.Client{Timeout: blackholeClientTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	kinds := []struct {
		name, method, path, key, body string
		client                        *http.Client
		n                             int
	}{
		{"redeem", "POST", "/api/v1/login-tokens/redeem", webshop, `{"token":"` + tok.Value + `","clientIp":"192.0.2.10"}`, c, blackholeRedeems},
		{"API read", "GET", "/api/v1/login-tokens", admin, "", c, blackholeAPIReads},
		{"backoffice page", "GET", "/admin/login-tokens", "", "", office, blackholePages},
	}
	send := func(i int) (status int, header http.Header, body []byte, err error) {
		k := kinds[i]
		req, _ := http.NewRequest(k.method, srv.LocalURL+k.path, strings.NewReader(k.body))
		if k.key != "" {
			req.Header.Set("Authorization", "Bearer "+k.key)
		}
		if k.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := k.client.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, body, err
	}
	for i := range kinds {
		if st, _, b, err := send(i); st != http.StatusOK {
			t.Fatalf("%s before the fault: %d %v %s", kinds[i].name, st, err, b)
		}
	}
	c.CloseIdleConnections()
	office.CloseIdleConnections()
	goroutinesBefore := goroutines(t, srv.LocalURL)
	p.maxOpen.Store(p.open.Load())

	// The fault: the database goes silent.
	logBefore := len(srv.Log())
	p.hang()
	hung := time.Now()
	var answers sync.Map // "kind status" → *atomic.Int64
	var problems sync.Map
	var wrong, unanswered atomic.Int64
	tally := func() (counts []string) {
		answers.Range(func(k, v any) bool {
			counts = append(counts, fmt.Sprintf("%s: %d", k, v.(*atomic.Int64).Load()))
			return true
		})
		sort.Strings(counts)
		return counts
	}
	for round := range blackholeRounds {
		var wg sync.WaitGroup
		for i, k := range kinds {
			for range k.n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, h, b, err := send(i)
					what := fmt.Sprintf("%s %d", k.name, st)
					if err != nil {
						what = k.name + ": no answer"
						unanswered.Add(1)
					}
					n, _ := answers.LoadOrStore(what, new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
					if err == nil {
						if msg := unavailableProblem(k.name == "backoffice page", st, h, b); msg != "" && wrong.Add(1) <= 5 {
							problems.Store(fmt.Sprintf("round %d, %s: %s", round, k.name, msg), true)
						}
					}
				}()
			}
		}
		wg.Wait()
		if n := unanswered.Load(); n != 0 {
			t.Fatalf("round %d: %d requests got no answer within %s with the database silent: %s",
				round, n, blackholeClientTimeout, strings.Join(tally(), ", "))
		}
	}
	answered := time.Since(hung)
	counts := tally()
	for _, c := range counts {
		if !strings.Contains(c, " 503: ") {
			t.Errorf("with the database silent, %s; want every answer 503", c)
		}
	}
	problems.Range(func(k, _ any) bool { t.Errorf("an answer %s", k); return true })
	if st, body := readyz(t, srv.LocalURL); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database silent: %d %s, want 503", st, body)
	}
	// Nothing waits on the silent database any more: the goroutines are
	// back to what they were before the fault, give or take a few.
	c.CloseIdleConnections()
	office.CloseIdleConnections()
	var goroutinesAfter int
	waitFor(t, 30*time.Second, "the service's goroutines back to their number before the fault", func() bool {
		goroutinesAfter = goroutines(t, srv.LocalURL)
		return goroutinesAfter <= goroutinesBefore+20
	})
	maxOpen, acceptedSilent := p.maxOpen.Load(), p.acceptedSilent.Load()
	logs := srv.Log()[logBefore:]

	// The database answers again; the service is left alone.
	p.forward()
	recovered := waitFor(t, 60*time.Second, "/readyz answers 200 again once the database answers", func() bool {
		st, _ := readyz(t, srv.LocalURL)
		return st == http.StatusOK
	})
	for i := range kinds {
		if st, _, b, err := send(i); st != http.StatusOK {
			t.Errorf("%s after recovery: %d %v %s", kinds[i].name, st, err, b)
		}
	}
	if !srv.Running() {
		t.Fatalf("serve exited: %v\n%s", srv.Err(), srv.Log())
	}

	// The proxy sees a close a moment after the service makes it, and the
	// service may open its next connection in that moment: a few more.
	if maxOpen > poolSize+closeLag {
		t.Errorf("%d database connections open at once, more than the pool's %d (and %d the proxy may count late)", maxOpen, poolSize, closeLag)
	}
	outageLines, otherLines := 0, 0
	for _, line := range strings.Split(logs, "\n") {
		switch {
		case strings.Contains(line, "database unavailable: answering 503"):
			outageLines++
		case strings.Contains(line, "level=ERROR"), strings.Contains(line, "level=WARN"):
			otherLines++
			if otherLines <= 5 {
				t.Logf("log: %s", line)
			}
		}
	}
	// One line when the outage begins, then at most one every 10 s.
	if most := 2 + int(answered/(10*time.Second)); outageLines < 1 || outageLines > most {
		t.Errorf("the log reports the outage in %d lines over %s, want 1 to %d", outageLines, answered.Round(time.Second), most)
	}
	if otherLines != 0 {
		t.Errorf("the log has %d other ERROR or WARN lines during the outage, want none", otherLines)
	}
	t.Logf("silent database: %d requests in %d rounds answered in %s: %s", blackholeRounds*(blackholeRedeems+blackholeAPIReads+blackholePages),
		blackholeRounds, answered.Round(time.Millisecond), strings.Join(counts, ", "))
	t.Logf("database connections open at once: at most %d (pool %d); %d opened to the silent database; goroutines %d before, %d after; "+
		"%d outage log lines; /readyz 200 again %s after the database answered", maxOpen, poolSize, acceptedSilent,
		goroutinesBefore, goroutinesAfter, outageLines, recovered.Round(time.Millisecond))
	srv.Stop()
}

// unavailableProblem says what is wrong with an answer given while the
// database is silent, or "": a 503 with Retry-After, for the API a
// problem document with the UNAVAILABLE code, for the backoffice its own
// page; nothing of the cause in either.
func unavailableProblem(page bool, status int, h http.Header, body []byte) string {
	if status != http.StatusServiceUnavailable {
		return fmt.Sprintf("is %d: %.200s", status, body)
	}
	if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n < 1 || n > 60 {
		return fmt.Sprintf("has Retry-After %q", h.Get("Retry-After"))
	}
	lower := strings.ToLower(string(body))
	for _, leak := range []string{"deadline", "timeout", "pgx", "pgconn", "postgres", "dial tcp", "127.0.0.1", "sql", "goroutine", ".go:"} {
		if strings.Contains(lower, leak) {
			return fmt.Sprintf("shows %q: %.200s", leak, body)
		}
	}
	if page {
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "briefly unavailable") {
			return fmt.Sprintf("is not the backoffice's page (%s): %.200s", ct, body)
		}
		return ""
	}
	var pd struct {
		Status int
		Code   string
	}
	if err := json.Unmarshal(body, &pd); err != nil || pd.Code != lt.EUNAVAILABLE || pd.Status != status {
		return fmt.Sprintf("is not an UNAVAILABLE problem: %.200s", body)
	}
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		return "has Content-Type " + ct
	}
	return ""
}

// signInToBackoffice signs in as the first staff member (the harness
// gives its password) and returns a client that holds the session.
func signInToBackoffice(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: blackholeClientTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 100},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page:\n%s", page)
	}
	resp, err = c.PostForm(base+"/admin/login", url.Values{"email": {"admin@localhost"}, "password": {faultsAdminPassword}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("backoffice sign-in: %d", resp.StatusCode)
	}
	return c
}

// goroutines is the service's go_goroutines from /metrics.
func goroutines(t *testing.T, base string) int {
	t.Helper()
	resp, err := readyClient.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^go_goroutines (\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("/metrics has no go_goroutines: %d %.300s", resp.StatusCode, b)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// hangProxy forwards TCP connections to a target until it is told to
// hang: then it keeps accepting connections and reading what arrives, but
// forwards nothing either way, and opens no connection to the target.
// Nothing is refused or reset: a database behind a network that drops its
// packets, or a proxy that accepts and never forwards. Told to forward
// again, it forwards on the connections it had forwarded (the service
// closes those whose messages it dropped) and on new ones. It counts the
// connections open at once.
type hangProxy struct {
	ln      net.Listener
	target  string
	hanging atomic.Bool
	// open is the connections accepted and not yet closed, maxOpen the
	// most at once, acceptedSilent those accepted while hanging.
	open, maxOpen, acceptedSilent atomic.Int64

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newHangProxy(t *testing.T, target string) *hangProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &hangProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *hangProxy) addr() string { return p.ln.Addr().String() }
func (p *hangProxy) hang()        { p.hanging.Store(true) }
func (p *hangProxy) forward()     { p.hanging.Store(false) }

func (p *hangProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		var up net.Conn
		if p.hanging.Load() {
			p.acceptedSilent.Add(1)
		} else if up, err = net.Dial("tcp", p.target); err != nil {
			c.Close()
			continue
		}
		n := p.open.Add(1)
		for m := p.maxOpen.Load(); n > m && !p.maxOpen.CompareAndSwap(m, n); m = p.maxOpen.Load() {
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		if up != nil {
			p.conns = append(p.conns, up)
		}
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pipe(up, c) // until the service closes its end
			c.Close()
			if up != nil {
				up.Close()
			}
			p.open.Add(-1)
		}()
		if up != nil {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(c, up)
				c.Close()
			}()
		}
	}
}

// pipe copies src to dst until src ends, dropping what it reads while the
// proxy hangs, and everything when there is no dst.
func (p *hangProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && dst != nil && !p.hanging.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *hangProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
