package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
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
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
)

// logWatch is serve's stderr in a test: it keeps everything, reports the
// address from the "listening" line, text or JSON, as soon as it is
// written, and tells when a message was logged, so no test sleeps to wait
// for the server.
type logWatch struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	addr    chan string
	msgs    map[string]chan struct{} // closed once the message is logged
}

func newLogWatch() *logWatch {
	return &logWatch{addr: make(chan string, 1), msgs: map[string]chan struct{}{}}
}

var (
	listeningTextRE = regexp.MustCompile(`msg=listening addr=(\S+)`)
	msgTextRE       = regexp.MustCompile(`\bmsg=("(?:[^"\\]|\\.)*"|\S+)`)
)

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			if m := msgTextRE.FindStringSubmatch(line); m != nil {
				rec.Msg = m[1]
				if u, err := strconv.Unquote(m[1]); err == nil {
					rec.Msg = u
				}
			}
			if m := listeningTextRE.FindStringSubmatch(line); m != nil {
				rec.Addr = m[1]
			}
		}
		if rec.Msg == "listening" {
			w.addr <- rec.Addr
		}
		if rec.Msg != "" {
			w.seenLocked(rec.Msg)
		}
	}
}

// logged returns a channel closed once msg is logged.
func (w *logWatch) logged(msg string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.msgs[msg]
	if !ok {
		ch = make(chan struct{})
		w.msgs[msg] = ch
	}
	return ch
}

func (w *logWatch) seenLocked(msg string) {
	ch, ok := w.msgs[msg]
	if !ok {
		ch = make(chan struct{})
		w.msgs[msg] = ch
	}
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// serving is a serve command running in the test.
type serving struct {
	addr   string
	stderr *logWatch
	cancel context.CancelFunc
	done   chan int
}

// startServe runs "serve" with args until the test stops it (or ends),
// and returns once it listens.
func startServe(t *testing.T, env map[string]string, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{stderr: newLogWatch(), cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), io.Discard, s.stderr, mapEnv(env))
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case s.addr = <-s.stderr.addr:
		return s
	case code := <-s.done:
		t.Fatalf("serve exited %d before listening:\n%s", code, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within a minute:\n%s", s.stderr)
	}
	return nil
}

// stop cancels serve's context, as SIGTERM does, and returns its exit code.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // a second stop sees the same code
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop within a minute:\n%s", s.stderr)
		return -1
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeAnswersHealthAndReadinessAndStopsCleanly(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		srv := startServe(t, db.env)
		if !strings.HasPrefix(srv.addr, "127.0.0.1:") || strings.HasSuffix(srv.addr, ":0") {
			t.Fatalf("listening addr = %q, want the port actually bound", srv.addr)
		}
		_, port, _ := strings.Cut(srv.addr, ":")
		if !strings.Contains(srv.stderr.String(), "url=http://localhost:"+port) {
			t.Errorf("the listening line does not give the public URL on the bound port:\n%s", srv.stderr)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := get(t, "http://"+srv.addr+path); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
				t.Errorf("GET %s = %d %q, want 200 ok", path, code, body)
			}
		}
		if code := srv.stop(t); code != 0 {
			t.Fatalf("serve exited %d after cancel, want 0:\n%s", code, srv.stderr)
		}
		if _, err := http.Get("http://" + srv.addr + "/healthz"); err == nil {
			t.Error("still serving after shutdown")
		}
	})
}

func TestServeCreatesTheFirstStaffMemberOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		srv := startServe(t, db.env)
		srv.stop(t)
		m := regexp.MustCompile(`admin@localhost with password (\S+)`).FindStringSubmatch(srv.stderr.String())
		if m == nil {
			t.Fatalf("no generated password on stderr:\n%s", srv.stderr)
		}
		if strings.Count(srv.stderr.String(), m[1]) != 1 {
			t.Error("the generated password appears more than once")
		}
		s := db.open(t)
		st, err := s.AuthenticateStaff(context.Background(), "admin@localhost", m[1])
		if err != nil {
			t.Fatalf("sign in with the printed password: %v", err)
		}
		if !st.MustChangePassword || !st.Grants.Allows(lt.AreaConfiguration, lt.LevelOwner) || !st.Grants.Allows(lt.AreaUsers, lt.LevelOwner) {
			t.Errorf("first staff = %+v %v, want every grant and a forced change", st, st.Grants.Strings())
		}

		again := startServe(t, db.env)
		again.stop(t)
		if strings.Contains(again.stderr.String(), "admin@localhost with password") {
			t.Error("a second start printed a password again")
		}
		if n, _ := s.CountStaff(context.Background()); n != 1 {
			t.Errorf("%d staff after two starts, want 1", n)
		}
	})
}

func TestServeUsesTheAdminPasswordFromTheEnvironment(t *testing.T) {
	db := newSQLiteDB(t)
	const password = "admin password from env"
	srv := startServe(t, db.withEnv("LOGINTOKENS_ADMIN_PASSWORD", password, "LOGINTOKENS_LOG_FORMAT", "json"))
	srv.stop(t)
	if strings.Contains(srv.stderr.String(), password) {
		t.Error("the configured password is printed")
	}
	st, err := db.open(t).AuthenticateStaff(context.Background(), "admin@localhost", password)
	if err != nil {
		t.Fatalf("sign in with LOGINTOKENS_ADMIN_PASSWORD: %v", err)
	}
	if st.MustChangePassword {
		t.Error("a configured password need not be changed")
	}
	// JSON logs: every line is one JSON object.
	for _, line := range strings.Split(strings.TrimSpace(srv.stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("not a JSON log line: %q", line)
		}
	}
}

func TestServeDemoSeedsOnceAndPrintsALoginLink(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		env := db.withEnv("LOGINTOKENS_PUBLIC_URL", "https://demo.example.test")
		srv := startServe(t, env, "--demo")
		srv.stop(t)
		m := regexp.MustCompile(`https://demo\.example\.test/login\?token=(lt_\S+)`).FindStringSubmatch(srv.stderr.String())
		if m == nil {
			t.Fatalf("no login link on stderr:\n%s", srv.stderr)
		}
		ctx := context.Background()
		s := db.open(t)
		tok, err := s.LookupToken(ctx, m[1])
		if err != nil || tok.Status != lt.StatusActive {
			t.Fatalf("the demo link's token: %+v, %v; want an active token", tok, err)
		}
		_, companies, _ := s.FindCompanies(ctx, lt.DirectoryFilter{})
		_, contacts, _ := s.FindContacts(ctx, lt.DirectoryFilter{})
		_, customers, _ := s.FindCustomers(ctx, lt.DirectoryFilter{})
		if companies == 0 || contacts == 0 || customers == 0 {
			t.Errorf("demo data: %d companies, %d contacts, %d customers", companies, contacts, customers)
		}
		// Tokens of every kind, for the backoffice's filters to show.
		for _, query := range []string{"type=contact", "type=customer", "type=anonymous", "status=active", "status=expired",
			"oneTimeUse=true", "maxUses=gt:1", "unlimitedUses=true", "hasNetworks=true", "expiresAtTo=2999-01-01"} {
			q, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			f, err := lt.ParseTokenFilter(q)
			if err != nil {
				t.Fatal(err)
			}
			if _, n, err := s.FindTokens(ctx, f); err != nil || n == 0 {
				t.Errorf("demo data: no token for %s (%v)", query, err)
			}
		}

		// A second start seeds nothing but prints a working link again:
		// the first one's value was shown only once.
		again := startServe(t, env, "--demo")
		again.stop(t)
		m2 := regexp.MustCompile(`https://demo\.example\.test/login\?token=(lt_\S+)`).FindStringSubmatch(again.stderr.String())
		if m2 == nil {
			t.Fatalf("no login link on the second start:\n%s", again.stderr)
		}
		tok2, err := s.LookupToken(ctx, m2[1])
		if err != nil || tok2.Status != lt.StatusActive || tok2.User == nil || tok2.User.Email != "jane.doe@acme.test" {
			t.Fatalf("the second demo link's token: %+v, %v; want an active token for Jane Doe", tok2, err)
		}
		if _, n, _ := s.FindCompanies(ctx, lt.DirectoryFilter{}); n != companies {
			t.Errorf("%d companies after the second start, want %d", n, companies)
		}
		if _, n, _ := s.FindContacts(ctx, lt.DirectoryFilter{}); n != contacts {
			t.Errorf("%d contacts after the second start, want %d", n, contacts)
		}
	})
}

// handlerFor builds serve's handler on store with the default
// configuration, as serve does once it listens.
func handlerFor(t *testing.T, store *sqlstore.Store, log *slog.Logger) http.Handler {
	t.Helper()
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	const public = "http://localhost:8080"
	signer := jwtsign.New(store, public, public)
	if err := signer.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := newServer(serverDeps{Store: store, Log: log, Config: cfg, PublicURL: public, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReadyzFailsWhenTheDatabaseDoesNot(t *testing.T) {
	db := newSQLiteDB(t)
	s := db.open(t)
	var logs bytes.Buffer
	h := handlerFor(t, s, slog.New(slog.NewTextHandler(&logs, nil)))
	s.Close()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || strings.TrimSpace(rec.Body.String()) != "database unreachable" {
		t.Errorf("readyz with a closed database = %d %q, want 503 database unreachable", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("healthz = %d, want 200 whatever the database", rec.Code)
	}
}

func TestEveryPageHasAFavicon(t *testing.T) {
	h := handlerFor(t, newSQLiteDB(t).open(t), slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/favicon.ico", nil))
	b := rec.Body.Bytes()
	// An ICO file: reserved 0, type 1 (icon), one image.
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/x-icon" || len(b) < 22 || !bytes.HasPrefix(b, []byte{0, 0, 1, 0, 1, 0}) {
		t.Fatalf("GET /favicon.ico = %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), len(b))
	}
}

func TestRequestLogsRedactTheQuery(t *testing.T) {
	db := newSQLiteDB(t)
	var logs bytes.Buffer
	h := handlerFor(t, db.open(t), newLogger(&logs, "text"))
	value := "lt_abcdefghijkl0123_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/login?token="+value, nil))
	if !strings.Contains(logs.String(), `path="/login?token=…"`) || strings.Contains(logs.String(), "ABCDEFGHIJ") {
		t.Errorf("request log = %q, want the path with the token cut", logs.String())
	}
}

// serve stores the public URL it serves under, and token create builds its
// links from it; an explicit --public-url still wins.
func TestTokenCreatePrintsLinksToTheAddressServeRanOn(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		r := mustRun(t, db.env, "", "token", "create")
		if got := stdoutLines(r)[1]; !strings.HasPrefix(got, "http://localhost:8080/login?token=") {
			t.Fatalf("before serve: %q, want the fallback on the port of --addr", got)
		}
		srv := startServe(t, db.env)
		srv.stop(t)
		_, port, _ := strings.Cut(srv.addr, ":")
		want := "http://localhost:" + port + "/login?token="
		if port == "8080" {
			t.Fatalf("serve listened on the default port %s", port)
		}
		r = mustRun(t, db.env, "", "token", "create")
		if got := stdoutLines(r)[1]; !strings.HasPrefix(got, want) {
			t.Errorf("after serve: %q, want a link to %s", got, want)
		}
		m := decodeJSON(t, mustRun(t, db.env, "", "token", "create", "--json").stdout)
		if got, _ := m["loginUrl"].(string); !strings.HasPrefix(got, want) {
			t.Errorf("--json loginUrl after serve: %q, want a link to %s", got, want)
		}
		r = mustRun(t, db.env, "", "token", "create", "--public-url", "https://login.example.test")
		if got := stdoutLines(r)[1]; !strings.HasPrefix(got, "https://login.example.test/login?token=") {
			t.Errorf("with --public-url: %q, want the flag's URL", got)
		}
		// A serve with a public URL of its own stores that one.
		again := startServe(t, db.withEnv("LOGINTOKENS_PUBLIC_URL", "https://shop-login.example.test"))
		again.stop(t)
		r = mustRun(t, db.env, "", "token", "create")
		if got := stdoutLines(r)[1]; !strings.HasPrefix(got, "https://shop-login.example.test/login?token=") {
			t.Errorf("after serve with LOGINTOKENS_PUBLIC_URL: %q", got)
		}
	})
}
