package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A request whose headers pass the 16 KiB cap is refused with 431 before
// any handler runs; one with a large but ordinary cookie is served, and
// the server serves on.
func TestHeadersBeyondTheCapAre431(t *testing.T) {
	srv := startServe(t, newSQLiteDB(t).env)
	get := func(header int) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+srv.addr+"/healthz", nil)
		req.Header.Set("Cookie", "filler="+strings.Repeat("a", header))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET /healthz with %d bytes of header: %v", header, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(12 << 10); st != http.StatusOK {
		t.Errorf("12 KiB of header: %d, want 200", st)
	}
	if st := get(32 << 10); st != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("32 KiB of header: %d, want 431", st)
	}
	if st := get(0); st != http.StatusOK {
		t.Errorf("after a 431: %d, want 200", st)
	}
}

// With a cap of 2 connections, a third connection is not served while two
// kept-alive ones stay open (it waits in the kernel's queue), and is
// served once one of them closes; the server keeps serving throughout and
// stops cleanly with the cap full.
func TestConnectionsBeyondTheCapWaitForAFreeOne(t *testing.T) {
	srv := startServe(t, newSQLiteDB(t).withEnv("LOGINTOKENS_MAX_CONNECTIONS", "2"))
	type conn struct {
		net.Conn
		r *bufio.Reader
	}
	dial := func() *conn {
		t.Helper()
		c, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return &conn{c, bufio.NewReader(c)}
	}
	send := func(c *conn) {
		t.Helper()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	status := func(c *conn) (int, error) {
		resp, err := http.ReadResponse(c.r, nil)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// Two connections served and kept alive hold both places.
	var held []*conn
	for range 2 {
		c := dial()
		send(c)
		if st, err := status(c); st != http.StatusOK {
			t.Fatalf("a connection within the cap: %d, %v", st, err)
		}
		held = append(held, c)
	}
	third := dial() // the kernel completes the handshake; serve does not accept it yet
	send(third)
	answered := make(chan int, 1)
	go func() {
		st, err := status(third)
		if err != nil {
			st = -1
		}
		answered <- st
	}()
	// The window gives a broken cap the time to serve the third; a slow
	// machine can only hide a failure here, never make one up.
	select {
	case st := <-answered:
		t.Fatalf("a third connection was answered (%d) while the cap of 2 was held", st)
	case <-time.After(500 * time.Millisecond):
	}
	held[0].Close()
	select {
	case st := <-answered:
		if st != http.StatusOK {
			t.Fatalf("the third connection, once a place was free: %d", st)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the third connection was not served after a place was freed")
	}
	send(held[1])
	if st, err := status(held[1]); st != http.StatusOK {
		t.Fatalf("a held connection after all that: %d, %v", st, err)
	}
	// Both places are taken again: the shutdown still ends the wait for
	// a third.
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d with the cap full:\n%s", code, srv.stderr)
	}
}

// Serve warns once at start when the SQLite database file or its folder
// is open to other users, and says nothing when both are private.
func TestServeWarnsOfADatabaseOpenToOthers(t *testing.T) {
	db := newSQLiteDB(t)
	file := filepath.Join(db.dir, "lt.db")
	const warning = "can be read or written by other users"
	for _, tc := range []struct {
		name              string
		fileMode, dirMode os.FileMode
		warn              bool
	}{
		{"private", 0o600, 0o700, false},
		{"file readable by others", 0o644, 0o700, true},
		{"folder writable by the group", 0o600, 0o770, true},
		{"both open", 0o666, 0o777, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chmod(db.dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(file); err == nil {
				if err := os.Chmod(file, tc.fileMode); err != nil {
					t.Fatal(err)
				}
			} else if tc.fileMode != 0o600 {
				t.Fatal("the database does not exist yet")
			}
			srv := startServe(t, db.env)
			srv.stop(t)
			n := strings.Count(srv.stderr.String(), warning)
			switch {
			case tc.warn && n != 1:
				t.Errorf("%d warnings, want one:\n%s", n, srv.stderr)
			case tc.warn && !strings.Contains(srv.stderr.String(), "level=WARN"):
				t.Errorf("the warning is not a WARN:\n%s", srv.stderr)
			case !tc.warn && n != 0:
				t.Errorf("a private database warned:\n%s", srv.stderr)
			}
		})
	}
}
