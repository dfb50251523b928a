package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var ctx = context.Background()

var _ httpapi.Store = (*sqlstore.Store)(nil)

// testAPI is a running API on a real store.
type testAPI struct {
	t      *testing.T
	URL    string
	API    *httpapi.Server
	Store  *sqlstore.Store
	Signer *jwtsign.Signer
	Logs   *syncBuffer // every log line of the server
	// keys by role: "webshop", "configuration:viewer", ... and "all" (every grant).
	Keys map[string]string
}

type jwksAdapter struct{ s *jwtsign.Signer }

func (a jwksAdapter) JWKS(ctx context.Context) (any, error) { return a.s.JWKS(ctx) }

// Public and audience of the test API's assertions.
const (
	testPublicURL = "https://lt.example.test"
	testAudience  = "https://shop.example.test"
)

// apiOption changes the API's configuration (its store) or the timeouts
// of its server before it starts.
type apiOption func(*httpapi.Config, *http.Server)

// newAPI starts the API on a fresh store of the kind, with a limiter of
// failuresPerMinute (0 = off) and one key per role.
func newAPI(t *testing.T, kind string, failuresPerMinute int, opts ...apiOption) *testAPI {
	t.Helper()
	st := sqlstoretest.Open(t, kind)
	signer := jwtsign.New(st, testPublicURL, testAudience)
	if err := signer.Load(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := httpapi.Config{
		Store:       st,
		Redeem:      &redeem.Service{Store: st, Issuer: signer, Limiter: redeem.NewLimiter(failuresPerMinute, nil)},
		Keys:        jwksAdapter{signer},
		PublicURL:   testPublicURL,
		OCIPunchout: true,
		Logger:      logger,
		Metrics:     web.NewMetrics(nil),
	}
	timeouts := &http.Server{}
	for _, o := range opts {
		o(&cfg, timeouts)
	}
	api := httpapi.New(cfg)
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewUnstartedServer(web.Middleware(mux, logger))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeouts.ReadTimeout, timeouts.WriteTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	a := &testAPI{t: t, URL: srv.URL, API: api, Store: st, Signer: signer, Logs: logs, Keys: map[string]string{}}
	roles := map[string]lt.NewAPIKey{
		"webshop": {Name: "shop", Kind: lt.KeyWebshop},
		"all":     {Name: "all", Kind: lt.KeyAdmin, Grants: lt.AllGrants()},
	}
	for _, area := range []lt.Area{lt.AreaConfiguration, lt.AreaUsers} {
		for _, level := range []lt.Level{lt.LevelViewer, lt.LevelEditor, lt.LevelOwner} {
			g := lt.Grant{Area: area, Level: level}
			roles[g.String()] = lt.NewAPIKey{Name: g.String(), Kind: lt.KeyAdmin, Grants: lt.Grants{area: level}}
		}
	}
	for role, n := range roles {
		_, value, err := st.CreateAPIKey(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		a.Keys[role] = value
	}
	return a
}

// do sends a request with the role's key ("" = no key) and a JSON body
// (a string is sent as is), and returns the status and the body.
func (a *testAPI) do(role, method, path string, body any) (int, []byte) {
	a.t.Helper()
	resp := a.doResp(role, method, path, body, nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b
}

func (a *testAPI) doResp(role, method, path string, body any, header http.Header) *http.Response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if role != "" {
		key, ok := a.Keys[role]
		if !ok {
			key = role // a literal key
		}
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp
}

// json sends a request that must answer want, and decodes the answer into out.
func (a *testAPI) json(role, method, path string, body any, want int, out any) {
	a.t.Helper()
	status, b := a.do(role, method, path, body)
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// problem decodes a problem answer and checks status and code.
func (a *testAPI) problem(role, method, path string, body any, status int, code string) httpapi.Problem {
	a.t.Helper()
	resp := a.doResp(role, method, path, body, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p httpapi.Problem
	if resp.StatusCode != status || json.Unmarshal(b, &p) != nil || p.Code != code || p.Status != status {
		a.t.Fatalf("%s %s: %d %s, want %d %s", method, path, resp.StatusCode, b, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		a.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	return p
}

// syncBuffer collects log lines written by concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
