package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/demoshop"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// bodyRoute is one route of the whole service with the most of a body it
// may read before its caller is authorised (its CSRF token checked).
type bodyRoute struct {
	pattern string
	maxBody int64
	// private routes need a session or an API key, checked before any of
	// the body is read.
	private bool
	office  bool // a backoffice route behind a session
	upload  bool
}

// serviceRoutes lists every route of the service as serve builds it (the
// API, the backoffice, sign-in and the demo shop), each from the table its
// package registers its routes from, so that a route added anywhere is
// covered.
func serviceRoutes(t *testing.T, store *sqlstore.Store) []bodyRoute {
	t.Helper()
	var out []bodyRoute
	for _, rt := range httpapi.New(httpapi.Config{Store: store}).Routes() {
		out = append(out, bodyRoute{pattern: rt.Method + " " + rt.Path, maxBody: rt.MaxBody, private: rt.Access != "public"})
	}
	office, err := backoffice.New(backoffice.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range office.Routes() {
		out = append(out, bodyRoute{pattern: rt.Pattern, maxBody: rt.MaxBody, private: !rt.Public, office: !rt.Public, upload: rt.Upload})
	}
	login, err := signin.New(signin.Config{Redeem: &redeem.Service{Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range login.Routes() {
		out = append(out, bodyRoute{pattern: rt.Pattern, maxBody: rt.MaxBody})
	}
	for _, rt := range demoshop.Routes(demoShopPath) {
		out = append(out, bodyRoute{pattern: rt.Pattern, maxBody: rt.MaxBody})
	}
	return append(out, bodyRoute{pattern: "GET /{$}", maxBody: bounds.DefaultMaxBody})
}

// countingBody is a request body of oversized bytes that counts what is
// read of it.
type countingBody struct {
	head []byte // what the body starts with
	fill byte   // and then to its end
	read int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	if left := oversized - b.read; left <= 0 {
		return 0, io.EOF
	} else if int64(len(p)) > left {
		p = p[:left]
	}
	for i := range p {
		if at := b.read + int64(i); at < int64(len(b.head)) {
			p[i] = b.head[at]
		} else {
			p[i] = b.fill
		}
	}
	b.read += int64(len(p))
	return len(p), nil
}

func (b *countingBody) Close() error { return nil }

// oversized is how large a body the test claims and sends: more than any
// route takes.
const oversized = 20 << 20

// bodyKinds are the bodies sent to each route, each as the start of an
// oversized body: a form, a multipart form whose first part is a file, a
// JSON array, a CSV file.
var bodyKinds = []struct{ name, contentType, head string }{
	{"form", "application/x-www-form-urlencoded", "csrf=&email=a%40b.test&next="},
	{"multipart", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nemail\r\n"},
	{"json", "application/json", `[{"email":"`},
	{"csv", "text/csv", "email\n"},
}

// concretePath is a path to request for a pattern: ids that name nothing.
func concretePath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.Replace(path, "{$}", "", 1)
	switch {
	case strings.Contains(path, "/login-tokens/{id}"), strings.Contains(path, "/api-keys/{id}"):
		path = strings.Replace(path, "{id}", "aaaaaaaaaaaaaaaa", 1)
	case strings.Contains(path, "{file}"):
		path = strings.Replace(path, "{file}", "nothing.css", 1)
	}
	return method, strings.Replace(path, "{id}", "999999", 1)
}

// TestNoRouteReadsMoreThanItsLimitBeforeItsCallerIsAuthorised sends every
// route of the service that takes a body a 20 MB one of each kind, with no
// credentials, and on the backoffice with a session but no CSRF token:
// each is refused with a 4xx, and has read no more than its route takes
// (an upload, only its CSRF field or a form of the ordinary size); a route
// that needs a session or an API key has read nothing without one. The
// body's length is declared (Content-Length) or not (chunked); a declared
// length over the route's limit is refused unread.
func TestNoRouteReadsMoreThanItsLimitBeforeItsCallerIsAuthorised(t *testing.T) {
	store := sqlstoretest.Open(t, "sqlite")
	// OCI on, so that /oci/login is served.
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(map[string]string{"LOGINTOKENS_OCI_HOOK_ALLOW": "https://srm.example.test/"}))
	if err != nil {
		t.Fatal(err)
	}
	const public = "http://localhost:8080"
	signer := jwtsign.New(store, public, public)
	if err := signer.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := newServer(serverDeps{Store: store, Log: newLogger(io.Discard, "text"), Config: cfg, PublicURL: public,
		Demo: true, ServiceURL: public, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := store.CreateStaff(context.Background(), lt.NewStaff{Email: "all@shop.test", Password: "a long enough password", Grants: lt.AllGrants()})
	if err != nil {
		t.Fatal(err)
	}
	session := func() string {
		v, err := store.CreateSession(context.Background(), staff.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	routes := serviceRoutes(t, store)
	tried := 0
	for _, rt := range routes {
		method, path := concretePath(rt.pattern)
		if method == "GET" || method == "HEAD" {
			continue
		}
		creds := []string{"none"}
		if rt.office {
			creds = append(creds, "session without CSRF token")
		}
		for _, cred := range creds {
			budget := rt.maxBody
			switch {
			case cred == "none" && rt.private:
				budget = 0
			case rt.upload:
				budget = bounds.DefaultMaxBody
			}
			for _, kind := range bodyKinds {
				for _, declared := range []bool{true, false} {
					name := fmt.Sprintf("%s %s, %s, %s body", method, path, cred, kind.name)
					if !declared {
						name += " without a length"
					}
					body := &countingBody{head: []byte(kind.head), fill: 'a'}
					req := httptest.NewRequest(method, path, nil)
					req.Body = body
					req.ContentLength = -1
					if declared {
						req.ContentLength = oversized
					}
					req.Header.Set("Content-Type", kind.contentType)
					req.Header.Set("Sec-Fetch-Site", "same-origin")
					if cred != "none" {
						req.AddCookie(&http.Cookie{Name: "lt_session", Value: session()})
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					tried++
					switch {
					case rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed:
						t.Errorf("%s: %d: the route is not served", name, rec.Code)
					case declared && (rec.Code < 400 || rec.Code >= 500):
						t.Errorf("%s: %d, want a 4xx", name, rec.Code)
					case !declared && (rec.Code < 300 || rec.Code >= 500):
						// Without a length, a route that reads nothing may
						// answer as it would an empty body (the shop's
						// sign-out redirects), but never take it.
						t.Errorf("%s: %d, want a redirect or a 4xx", name, rec.Code)
					}
					if body.read > budget+1 || (budget == 0 && body.read > 0) {
						t.Errorf("%s: read %d bytes, the most it may read is %d", name, body.read, budget)
					}
				}
			}
		}
	}
	if tried < 200 {
		t.Fatalf("only %d requests: the routes were not enumerated", tried)
	}
}
