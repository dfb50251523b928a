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
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

const testMetricsToken = "metrics-token-0123456789abcdef"

// metricsServer runs the API with cfg's metrics settings on a fresh store
// and returns its URL, an admin key with every grant and the log.
func metricsServer(t *testing.T, cfg httpapi.Config) (*httpapi.Server, string, string, *syncBuffer) {
	t.Helper()
	st := sqlstoretest.Open(t, "sqlite")
	_, key, err := st.CreateAPIKey(ctx, lt.NewAPIKey{Name: "all", Kind: lt.KeyAdmin, Grants: lt.AllGrants()})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg.Store = st
	cfg.PublicURL = testPublicURL
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api := httpapi.New(cfg)
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(web.Middleware(mux, cfg.Logger))
	t.Cleanup(srv.Close)
	return api, srv.URL, key, logs
}

func getWith(t *testing.T, url, authorization string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestMetricsTokenGuardsMetricsAlone(t *testing.T) {
	_, url, apiKey, logs := metricsServer(t, httpapi.Config{MetricsToken: testMetricsToken})
	cases := []struct {
		name, authorization string
		ok                  bool
	}{
		{"no credentials", "", false},
		{"a wrong token", "Bearer metrics-token-0123456789abcdeX", false},
		{"the token with more after it", "Bearer " + testMetricsToken + "0", false},
		{"the start of the token", "Bearer " + testMetricsToken[:10], false},
		{"the token as Basic", "Basic " + testMetricsToken, false},
		{"the token without a scheme", testMetricsToken, false},
		{"an API key with every grant", "Bearer " + apiKey, false},
		{"the token", "Bearer " + testMetricsToken, true},
		{"the token, scheme in another case", "bearer " + testMetricsToken, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := getWith(t, url+"/metrics", tc.authorization)
			if tc.ok {
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "logintokens_redeem_total") {
					t.Fatalf("%d %s, want the metrics", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Fatalf("%d, WWW-Authenticate %q, want 401 and Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
			var p httpapi.Problem
			if err := json.Unmarshal([]byte(body), &p); err != nil || p.Code != lt.EUNAUTHENTICATED || !strings.Contains(p.Detail, "metrics token") {
				t.Fatalf("body %s, want an UNAUTHENTICATED problem that asks for the metrics token", body)
			}
			if strings.Contains(body, "logintokens_") {
				t.Fatal("the refusal holds metrics")
			}
		})
	}
	// The probes stay open: an orchestrator polls them without credentials.
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, body := getWith(t, url+path, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200 without credentials", path, resp.StatusCode, body)
		}
	}
	// API keys are bearer tokens too: their 401 says so.
	if resp, _ := getWith(t, url+"/api/v1/login-tokens", ""); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("the API without a key = %d, WWW-Authenticate %q; want 401 and Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if strings.Contains(logs.String(), testMetricsToken[:16]) {
		t.Errorf("the log holds the metrics token:\n%s", logs)
	}
}

func TestMetricsElsewhereAreOnlyOnTheirOwnHandler(t *testing.T) {
	api, url, _, _ := metricsServer(t, httpapi.Config{MetricsElsewhere: true, MetricsToken: testMetricsToken})
	for _, auth := range []string{"", "Bearer " + testMetricsToken} {
		if resp, _ := getWith(t, url+"/metrics", auth); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the API's mux (with the token: %v) = %d, want 404", auth != "", resp.StatusCode)
		}
	}
	for _, rt := range api.Routes() {
		if rt.Path == "/metrics" {
			t.Error("Routes lists /metrics")
		}
	}
	if _, doc := getWith(t, url+"/api/openapi.json", ""); strings.Contains(doc, `"/metrics"`) {
		t.Error("the OpenAPI document lists /metrics")
	}
	if resp, _ := getWith(t, url+"/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200 on the API's mux", resp.StatusCode)
	}

	own := httptest.NewServer(api.MetricsHandler())
	t.Cleanup(own.Close)
	if resp, _ := getWith(t, own.URL+"/metrics", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /metrics on its own handler without the token = %d, want 401", resp.StatusCode)
	}
	if resp, body := getWith(t, own.URL+"/metrics", "Bearer "+testMetricsToken); resp.StatusCode != http.StatusOK || !strings.Contains(body, "logintokens_redeem_total") {
		t.Errorf("GET /metrics on its own handler = %d, want the metrics", resp.StatusCode)
	}
	for _, path := range []string{"/healthz", "/api/v1/login-tokens", "/api/openapi.json"} {
		if resp, _ := getWith(t, own.URL+path, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the metrics handler = %d, want 404: it serves /metrics alone", path, resp.StatusCode)
		}
	}
}
