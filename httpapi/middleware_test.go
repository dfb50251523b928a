package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/web"
)

// serveWith runs handler behind Middleware and returns the server's URL
// and its log.
func serveWith(t *testing.T, pattern string, handler http.HandlerFunc) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.Handle(pattern, handler)
	srv := httptest.NewServer(web.Middleware(mux, log))
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

func TestAPanicIsA500ProblemAndItsStackIsLoggedOnly(t *testing.T) {
	const secretPanic = "boom: the database password is hunter2"
	url, logs := serveWith(t, "GET /api/v1/crash/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", "attachment; filename=half.csv")
		panic(secretPanic)
	})
	resp, err := http.Get(url + "/api/v1/crash/7")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic answered %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Status != 500 || p.Code != lt.EINTERNAL {
		t.Errorf("problem = %+v (%v), want status 500 code INTERNAL", p, err)
	}
	if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "goroutine") || strings.Contains(string(body), ".go:") {
		t.Errorf("the answer tells of the panic: %s", body)
	}
	if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the answer lost the middleware's headers: %v", resp.Header)
	}
	if resp.Header.Get("Content-Disposition") != "" {
		t.Error("the answer keeps a header the handler set before it panicked")
	}
	out := logs.String()
	for _, want := range []string{"hunter2", "middleware_test.go", "requestId=" + resp.Header.Get("X-Request-Id"),
		`route="GET /api/v1/crash/{id}"`, "status=500"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

func TestPanicAfterTheAnswerBeganCutsTheConnection(t *testing.T) {
	url, logs := serveWith(t, "GET /stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic("late")
	})
	resp, err := http.Get(url + "/stream")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a truncated answer was read as whole")
	}
	if !strings.Contains(logs.String(), "late") {
		t.Errorf("the panic is not logged:\n%s", logs)
	}
}

func TestRequestLogRedactsTheQueryAndNamesTheRoute(t *testing.T) {
	url, logs := serveWith(t, "GET /login", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })
	value := "lt_abcdefghijkl0123_SECRETsecretSECRETsecret0123"
	req, _ := http.NewRequest("GET", url+"/login?token="+value+"&PASSWORD=pw-secret&mtoken=m-secret&return=/cart", nil)
	req.Header.Set("Authorization", "Bearer ltk_mnopqrstuvwx4567_KEYSECRETkeysecretKEYSECRET99")
	req.Header.Set("X-Request-Id", "from-proxy-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "from-proxy-42" {
		t.Errorf("X-Request-Id = %q, want the proxy's", resp.Header.Get("X-Request-Id"))
	}
	out := logs.String()
	for _, secret := range []string{"SECRETsecret", "pw-secret", "m-secret", "KEYSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{`route="GET /login"`, "status=200", "bytes=4", "method=GET", "client=127.0.0.1",
		"requestId=from-proxy-42", "return=%2Fcart", "token=…"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	url, _ := serveWith(t, "/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	for _, tc := range []struct {
		path, cache string
	}{{"/api/v1/anything", "no-store"}, {"/static/app.css", ""}} {
		resp, err := http.Get(url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != tc.cache {
			t.Errorf("%s: headers %v", tc.path, h)
		}
	}
}
