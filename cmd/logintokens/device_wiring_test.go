package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The backoffice's device cookies are signed with a key derived from the
// server key: a cookie one instance gave is trusted by another instance
// (or the next process) with the same server key, and by none with
// another. Trusted, it lets its staff member in from a network that
// wrong passwords for their account have locked.
func TestDeviceCookiesAreSignedWithTheServerKey(t *testing.T) {
	store := sqlstoretest.Open(t, "sqlite")
	if _, err := store.CreateStaff(context.Background(), lt.NewStaff{Email: "ops@shop.test", Password: "the right password"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	const public = "http://localhost:8080"
	signer := jwtsign.New(store, public, public)
	if err := signer.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	instance := func(key byte) http.Handler {
		keys, err := lt.NewKeyring(bytes.Repeat([]byte{key}, lt.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		h, err := newServer(serverDeps{Store: store, Log: newLogger(io.Discard, "text"), Config: cfg, PublicURL: public, Signer: signer, Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// signIn answers the status and the device cookie given, from the
	// one client address of httptest requests.
	signIn := func(h http.Handler, password string, device *http.Cookie) (int, *http.Cookie) {
		form := url.Values{"email": {"ops@shop.test"}, "password": {password}, "csrf": {"double-submitted"}}
		req := httptest.NewRequest("POST", "/admin/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "lt_login_csrf", Value: "double-submitted"})
		if device != nil {
			req.AddCookie(&http.Cookie{Name: device.Name, Value: device.Value})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == "lt_device" {
				return rec.Code, c
			}
		}
		return rec.Code, nil
	}
	status, device := signIn(instance(1), "the right password", nil)
	if status != http.StatusSeeOther || device == nil {
		t.Fatalf("signing in: %d, device cookie %v", status, device)
	}
	for _, tc := range []struct {
		name string
		key  byte
		want int
	}{
		{"the same server key", 1, http.StatusSeeOther},
		{"another server key", 2, http.StatusTooManyRequests},
	} {
		h := instance(tc.key)
		for i := range 5 {
			if status, _ := signIn(h, "a wrong password", nil); status != http.StatusUnauthorized {
				t.Fatalf("%s: wrong password %d: %d", tc.name, i+1, status)
			}
		}
		if status, _ := signIn(h, "the right password", nil); status != http.StatusTooManyRequests {
			t.Fatalf("%s: the right password without the cookie: %d, want 429", tc.name, status)
		}
		if status, _ := signIn(h, "the right password", device); status != tc.want {
			t.Errorf("an instance with %s: the right password with the cookie: %d, want %d", tc.name, status, tc.want)
		}
	}
}
