package sqlstore_test

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// calls are store calls of every kind a request makes: the API key check
// (outside a transaction), redeem, a list, a write, an import.
func outageCalls(s *sqlstore.Store, value, key string) map[string]func() error {
	return map[string]func() error{
		"AuthenticateAPIKey": func() error { _, err := s.AuthenticateAPIKey(ctx, key); return err },
		"Redeem": func() error {
			_, err := s.Redeem(ctx, lt.RedeemRequest{Value: value, ClientIP: "198.51.100.7", Actor: "apikey:test"})
			return err
		},
		"FindTokens":    func() error { _, _, err := s.FindTokens(ctx, lt.TokenFilter{}); return err },
		"SearchUsers":   func() error { _, err := s.SearchUsers(ctx, "acme", 10); return err },
		"CreateCompany": func() error { return s.CreateCompany(ctx, &lt.Company{Name: "Acme"}) },
		// An import stops at its first row instead of failing every row alone.
		"ImportCustomers": func() error {
			_, err := s.ImportCustomers(ctx, []lt.ContactImport{{FirstName: "A", Email: "a@example.test"}, {FirstName: "B", Email: "b@example.test"}})
			return err
		},
	}
}

func wantUnavailable(t *testing.T, calls map[string]func() error) {
	t.Helper()
	for name, call := range calls {
		err := call()
		if lt.ErrorCode(err) != lt.EUNAVAILABLE {
			t.Errorf("%s: %v (%s), want UNAVAILABLE", name, err, lt.ErrorCode(err))
			continue
		}
		if msg := lt.ErrorMessage(err); strings.Contains(strings.ToLower(msg), "sql") {
			t.Errorf("%s: the message names the cause: %q", name, msg)
		}
	}
}

// A store whose pool is closed (a shutdown) is UNAVAILABLE on every call,
// on both databases.
func TestAClosedStoreIsUnavailable(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := sqlstoretest.Open(t, kind)
			tok := mustToken(t, s, lt.NewToken{})
			_, key, err := s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			wantUnavailable(t, outageCalls(s, tok.Value, key))
		})
	}
}

// PostgreSQL out of reach (its connections cut, then refused: what a
// restart looks like from the service) is UNAVAILABLE on every call. The
// store reaches the test server through a proxy of the test's own, which
// the test cuts: the shared server is never stopped.
func TestAnUnreachablePostgresIsUnavailable(t *testing.T) {
	base, err := url.Parse(sqlstoretest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newCutProxy(t, base.Host)
	base.Host = p.addr()
	s, err := sqlstore.Open(ctx, base.String(), sqlstoretest.NewKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tok := mustToken(t, s, lt.NewToken{})
	_, key, err := s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop})
	if err != nil {
		t.Fatal(err)
	}
	if res := redeem(t, s, tok.Value); res.Code != "" {
		t.Fatalf("redeem before the cut: %s", res.Code)
	}
	p.cut()
	wantUnavailable(t, outageCalls(s, tok.Value, key))
}

// Text PostgreSQL cannot store or compare (NUL) that reaches the store
// past the request checks is INVALID_INPUT, never an internal error; SQLite
// takes it.
func TestUnstorableTextIsInvalidInput(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := sqlstoretest.Open(t, kind)
			calls := map[string]func() error{
				"SearchUsers":  func() error { _, err := s.SearchUsers(ctx, "ab\x00c", 10); return err },
				"FindContacts": func() error { _, _, err := s.FindContacts(ctx, lt.DirectoryFilter{Q: "ab\x00c"}); return err },
				"FindTokens":   func() error { _, _, err := s.FindTokens(ctx, lt.TokenFilter{Q: "ab\x00c"}); return err },
				"AuthenticateStaff": func() error {
					_, err := s.AuthenticateStaff(ctx, "a\x00@example.test", "whatever password")
					if lt.ErrorCode(err) == lt.EUNAUTHENTICATED {
						err = nil // SQLite finds no one
					}
					return err
				},
			}
			for name, call := range calls {
				err := call()
				code := lt.ErrorCode(err)
				if kind == "postgres" && code != lt.EINVALID || kind == "sqlite" && code == lt.EINTERNAL {
					t.Errorf("%s: %v (%s)", name, err, code)
				}
			}
		})
	}
}

// cutProxy forwards TCP connections to a target until cut: then it closes
// every connection and stops listening, so new ones are refused.
type cutProxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *cutProxy) cut() {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
