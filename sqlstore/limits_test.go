package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// holdWriters takes every connection of the store's writer pool, as calls
// stuck on a database that does not answer would, and returns them to
// the pool when the test calls the function it returns.
func holdWriters(t *testing.T, s *sqlstore.Store) (release func()) {
	t.Helper()
	var held []*sql.Conn
	for range s.DB().Stats().MaxOpenConnections {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			for _, c := range held {
				c.Close()
			}
		})
	}
	t.Cleanup(release)
	return release
}

// A call that waits for a pooled connection longer than the call bound
// fails UNAVAILABLE, with the cause kept for the log and none of it in
// the message, instead of waiting as long as its caller does; a call its
// caller gives up on first stays an internal error (no outage); once
// connections are free again, calls succeed.
func TestACallPastItsBoundIsUnavailable(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := sqlstoretest.Open(t, kind)
			tok := mustToken(t, s, lt.NewToken{})
			s.SetLimits(sqlstore.Limits{Call: 100 * time.Millisecond, Export: time.Minute})
			release := holdWriters(t, s)

			// The caller allows far longer than the bound: only the bound
			// can end these calls.
			long, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			calls := map[string]func() error{
				"Redeem": func() error {
					_, err := s.Redeem(long, lt.RedeemRequest{Value: tok.Value, ClientIP: "198.51.100.7", Actor: "apikey:test"})
					return err
				},
				"CreateCompany": func() error { return s.CreateCompany(long, &lt.Company{Name: "Acme"}) },
			}
			for name, call := range calls {
				err := call()
				if lt.ErrorCode(err) != lt.EUNAVAILABLE {
					t.Errorf("%s with the pool held: %v (%s), want UNAVAILABLE", name, err, lt.ErrorCode(err))
					continue
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s: the cause is lost: %v", name, err)
				}
				if msg := strings.ToLower(lt.ErrorMessage(err)); strings.Contains(msg, "sql") || strings.Contains(msg, "deadline") {
					t.Errorf("%s: the message names the cause: %q", name, msg)
				}
			}

			// The caller's own, shorter deadline is not the database's
			// fault.
			short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
			defer cancelShort()
			if err := s.CreateCompany(short, &lt.Company{Name: "Acme"}); lt.ErrorCode(err) != lt.EINTERNAL {
				t.Errorf("a call out of its caller's time: %v (%s), want INTERNAL", err, lt.ErrorCode(err))
			}

			release()
			s.SetLimits(sqlstore.Limits{Call: time.Minute}) // at ease again: a busy machine
			if res := redeem(t, s, tok.Value); res.Code != "" {
				t.Errorf("redeem once the pool is free: %s", res.Code)
			}
			mustCompany(t, s, "Acme")
		})
	}
}

// A statement inside a transaction that waits past the bound (here for a
// row another connection holds locked, as it would for a database that
// stopped answering mid-transaction) fails UNAVAILABLE at the bound,
// however long its caller would wait, and leaves no lock behind.
func TestAStatementWaitingPastTheBoundIsUnavailable(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	tok := mustToken(t, s, lt.NewToken{})
	lock, err := s.DB().BeginTx(ctx, nil) // on a connection of its own
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `SELECT 1 FROM login_tokens WHERE id = $1 FOR UPDATE`, tok.ID); err != nil {
		t.Fatal(err)
	}

	s.SetLimits(sqlstore.Limits{Call: 200 * time.Millisecond})
	long, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = s.Redeem(long, lt.RedeemRequest{Value: tok.Value, ClientIP: "198.51.100.7", Actor: "apikey:test"})
	if lt.ErrorCode(err) != lt.EUNAVAILABLE || long.Err() != nil {
		t.Fatalf("redeem of a locked token: %v (%s), caller's context %v; want UNAVAILABLE from the bound", err, lt.ErrorCode(err), long.Err())
	}

	lock.Rollback()
	s.SetLimits(sqlstore.Limits{Call: time.Minute}) // at ease again: a busy machine
	if res := redeem(t, s, tok.Value); res.Code != "" {
		t.Errorf("redeem once the lock is gone: %s", res.Code)
	}
}

// An export streams under its own, longer bound: one whose reader takes
// several times the call bound still delivers every token.
func TestAnExportRunsUnderTheExportBound(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			const call = 50 * time.Millisecond
			s := sqlstoretest.Open(t, kind)
			for range 3 {
				mustToken(t, s, lt.NewToken{})
			}
			s.SetLimits(sqlstore.Limits{Call: call, Export: time.Minute})
			n := 0
			err := s.StreamTokens(ctx, lt.TokenFilter{}, func(*lt.LoginToken) error {
				n++
				time.Sleep(call) // three tokens: three times the call bound
				return nil
			})
			if err != nil || n != 3 {
				t.Fatalf("export: %d tokens, %v", n, err)
			}
		})
	}
}

// A PostgreSQL that accepts connections and never answers (a proxy that
// does not forward) fails Open within the call bound, UNAVAILABLE,
// instead of hanging until the operating system gives up.
func TestOpeningASilentPostgresIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	// Only the bound can end the wait: the caller allows a minute.
	long, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := sqlstore.OpenWithLimits(long, "postgres://nobody@"+ln.Addr().String()+"/db?sslmode=disable", nil,
		sqlstore.Limits{Call: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("opened a database that never answered")
	}
	if lt.ErrorCode(err) != lt.EUNAVAILABLE || long.Err() != nil {
		t.Fatalf("open: %v (%s), caller's context: %v; want UNAVAILABLE from the bound", err, lt.ErrorCode(err), long.Err())
	}
}
