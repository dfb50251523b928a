package httpapi_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// metricLineRE is one sample of the Prometheus text format.
var metricLineRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$`)

// scrape reads /metrics into "name{labels}" -> value; labels are written as
// the registry writes them (sorted by name).
func (a *testAPI) scrape() (map[string]float64, string) {
	a.t.Helper()
	resp := a.doResp("", "GET", "/metrics", nil, nil)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		a.t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		m := metricLineRE.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			a.t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		samples[m[1]+m[2]] = v
	}
	return samples, string(body)
}

func TestMetricsCountRedeemOutcomesAndTimeRoutesByPattern(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	before, _ := a.scrape()
	for _, outcome := range []string{"success", "TOKEN_INVALID", "TOKEN_USED", "TOKEN_EXPIRED", "USER_DISABLED", "RATE_LIMITED"} {
		if v, ok := before[`logintokens_redeem_total{outcome="`+outcome+`"}`]; !ok || v != 0 {
			t.Errorf("before any redeem, outcome %s = %v (present %v), want 0", outcome, v, ok)
		}
	}

	tok, err := a.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	a.json("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": tok.Value}, 200, nil)
	wrong := lt.FormatValue(lt.TokenPrefix, tok.ID, strings.Repeat("W", 32))
	a.problem("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": wrong}, 400, lt.ETOKENINVALID)
	// A route with the token id in its path, to prove the id is no label.
	a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+tok.ID, nil, 200, nil)

	after, body := a.scrape()
	want := map[string]float64{
		`logintokens_redeem_total{outcome="success"}`:                                                                   1,
		`logintokens_redeem_total{outcome="TOKEN_INVALID"}`:                                                             1,
		`logintokens_redeem_total{outcome="TOKEN_USED"}`:                                                                0,
		`logintokens_redeem_total{outcome="RATE_LIMITED"}`:                                                              0,
		`logintokens_http_request_duration_seconds_count{code="200",method="POST",route="/api/v1/login-tokens/redeem"}`: 1,
		`logintokens_http_request_duration_seconds_count{code="400",method="POST",route="/api/v1/login-tokens/redeem"}`: 1,
		`logintokens_http_request_duration_seconds_count{code="200",method="GET",route="/api/v1/login-tokens/{id}"}`:    1,
	}
	for k, v := range want {
		if got, ok := after[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := after[`logintokens_http_request_duration_seconds_bucket{code="200",method="GET",route="/api/v1/login-tokens/{id}",le="+Inf"}`]; !ok {
		t.Error("the latency histogram has no buckets")
	}
	if _, ok := after["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	if strings.Contains(body, tok.ID) {
		t.Errorf("a token id appears in the metrics:\n%s", body)
	}
}

func TestHealthzAndReadyz(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, body := a.do("", "GET", path, nil); status != 200 || strings.TrimSpace(string(body)) != "ok" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, status, body)
		}
	}
	a.Store.Close()
	status, body := a.do("", "GET", "/readyz", nil)
	if status != http.StatusServiceUnavailable || strings.TrimSpace(string(body)) != "database unreachable" {
		t.Errorf("readyz with a closed store = %d %q, want 503 database unreachable", status, body)
	}
	if !strings.Contains(a.Logs.String(), "closed") {
		t.Errorf("the cause is not logged:\n%s", a.Logs)
	}
	if status, _ := a.do("", "GET", "/healthz", nil); status != 200 {
		t.Errorf("healthz with a closed store = %d, want 200: it checks the process, not the database", status)
	}
}

func TestJWKSPublishesOnePublicP256Key(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	resp := a.doResp("", "GET", "/.well-known/jwks.json", nil, nil)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("jwks: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" && ct != "application/jwk-set+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	cc := resp.Header.Get("Cache-Control")
	m := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(cc)
	if !strings.Contains(cc, "public") || m == nil {
		t.Errorf("Cache-Control = %q, want public with a max-age", cc)
	} else if n, _ := strconv.Atoi(m[1]); n > 300 {
		t.Errorf("max-age = %d, want at most 300: keys rotate", n)
	}
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys, want 1: %s", len(set.Keys), body)
	}
	k := set.Keys[0]
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] == "" || k["kid"] == nil ||
		k["x"] == nil || k["y"] == nil {
		t.Errorf("key = %v, want an ES256 signing key on P-256 with a kid", k)
	}
	if _, ok := k["d"]; ok {
		t.Error("the JWKS holds the private key")
	}
}

// A database outage ends by itself: /readyz answers 503 while the database
// does not answer and 200 again once it does, with nothing restarted. The
// store reaches PostgreSQL through a proxy the test can cut.
func TestReadyzRecoversWhenTheDatabaseComesBack(t *testing.T) {
	dbURL := sqlstoretest.PostgresURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr()
	st, err := sqlstore.Open(ctx, u.String(), sqlstoretest.NewKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	api := httpapi.New(httpapi.Config{Store: st, Logger: log})
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(web.Middleware(mux, log))
	t.Cleanup(srv.Close)

	readyz := func() (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := readyz(); code != 200 {
		t.Fatalf("readyz before the outage = %d %q", code, body)
	}

	// The database stops answering: connections are cut and new ones hang.
	// The first check finds its pooled connection cut; the second dials
	// and waits for an answer that never comes, until readyz gives up.
	proxy.cut()
	for i := range 2 {
		start := time.Now()
		code, body := readyz()
		if code != http.StatusServiceUnavailable || body != "database unreachable" {
			t.Errorf("readyz %d during the outage = %d %q, want 503 database unreachable", i+1, code, body)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("readyz %d took %s during the outage; it should give up after about 2 s", i+1, took)
		}
	}
	if !strings.Contains(logs.String(), "database unavailable") {
		t.Errorf("the outage is not logged:\n%s", logs)
	}

	proxy.restore()
	if code, body := readyz(); code != 200 || body != "ok" {
		t.Errorf("readyz after the outage = %d %q, want 200 ok", code, body)
	}
}

// tcpProxy forwards connections to a target; cut makes it a black hole
// (existing connections closed, new ones accepted and never answered)
// until restore.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		down := p.down
		p.mu.Unlock()
		if down {
			continue // held open, never answered
		}
		go p.forward(c)
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *tcpProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.closeAll()
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
	p.closeAll() // the held connections: their clients gave up already
}
