package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

const testMetricsToken = "scrape-0123456789abcdef0123456789"

func getAuth(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var metricsListeningRE = regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)

func TestServeRestrictsMetricsByTokenAndListener(t *testing.T) {
	cases := []struct {
		name         string
		token, addr  string
		ownListener  bool
		tokenWanted  bool
		metricsOnAPI bool
	}{
		{name: "a token", token: testMetricsToken, tokenWanted: true, metricsOnAPI: true},
		{name: "a listener of their own", addr: "127.0.0.1:0", ownListener: true},
		{name: "both", token: testMetricsToken, addr: "127.0.0.1:0", ownListener: true, tokenWanted: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := newSQLiteDB(t)
			srv := startServe(t, db.withEnv("LOGINTOKENS_METRICS_TOKEN", tc.token, "LOGINTOKENS_METRICS_ADDR", tc.addr))
			main := "http://" + srv.addr
			metrics := main
			if tc.ownListener {
				m := metricsListeningRE.FindStringSubmatch(srv.stderr.String())
				if m == nil {
					t.Fatalf("no metrics listening line:\n%s", srv.stderr)
				}
				metrics = "http://" + m[1]
				for _, token := range []string{"", testMetricsToken} {
					if resp, _ := getAuth(t, main+"/metrics", token); resp.StatusCode != http.StatusNotFound {
						t.Errorf("GET /metrics on the main listener = %d, want 404", resp.StatusCode)
					}
				}
				if resp, _ := getAuth(t, metrics+"/healthz", ""); resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET /healthz on the metrics listener = %d, want 404: it serves /metrics alone", resp.StatusCode)
				}
			}
			for _, path := range []string{"/healthz", "/readyz"} {
				if resp, _ := getAuth(t, main+path, ""); resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s on the main listener = %d, want 200 without credentials", path, resp.StatusCode)
				}
			}
			resp, body := getAuth(t, metrics+"/metrics", "")
			switch {
			case tc.tokenWanted && (resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer"):
				t.Errorf("GET /metrics without the token = %d (WWW-Authenticate %q), want 401 Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			case !tc.tokenWanted && resp.StatusCode != http.StatusOK:
				t.Errorf("GET /metrics without a token configured = %d, want 200", resp.StatusCode)
			}
			if tc.tokenWanted {
				if resp, _ := getAuth(t, metrics+"/metrics", testMetricsToken+"x"); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("GET /metrics with a wrong token = %d, want 401", resp.StatusCode)
				}
				resp, body = getAuth(t, metrics+"/metrics", testMetricsToken)
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "logintokens_redeem_total") {
				t.Errorf("GET /metrics = %d, want the metrics:\n%s", resp.StatusCode, body)
			}

			if code := srv.stop(t); code != 0 {
				t.Fatalf("serve exited %d, want 0:\n%s", code, srv.stderr)
			}
			if _, err := http.Get(metrics + "/metrics"); err == nil {
				t.Error("/metrics is still served after shutdown")
			}
			if tc.token != "" && strings.Contains(srv.stderr.String(), tc.token[:16]) {
				t.Errorf("the log holds the metrics token:\n%s", srv.stderr)
			}
		})
	}
}

// serve checks the metrics settings before it opens anything; the other
// commands do not read them.
func TestMetricsSettingsAreCheckedAndDocumented(t *testing.T) {
	db := newSQLiteDB(t)
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"short token", []string{"LOGINTOKENS_METRICS_TOKEN", "tooshort"}, nil, []string{"LOGINTOKENS_METRICS_TOKEN", "16"}},
		{"token with a space", nil, []string{"--metrics-token", "sixteen chars and more"}, []string{"--metrics-token", "without spaces"}},
		{"token with a control character", nil, []string{"--metrics-token", "0123456789abcdef\x7f"}, []string{"--metrics-token"}},
		{"token too long", nil, []string{"--metrics-token", strings.Repeat("a", 257)}, []string{"--metrics-token", "256"}},
		{"address without a port", []string{"LOGINTOKENS_METRICS_ADDR", "9090"}, nil, []string{"LOGINTOKENS_METRICS_ADDR", "host:port"}},
		{"address with a bad port", nil, []string{"--metrics-addr", "127.0.0.1:99999"}, []string{"--metrics-addr", "65535"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, db.withEnv(tc.env...), "", append([]string{"serve"}, tc.args...)...)
			wantExit(t, r, 2, tc.want...)
			if strings.Contains(r.stderr, "tooshort") || strings.Contains(r.stderr, "sixteen chars") {
				t.Error("the message repeats the token")
			}
		})
	}
	help := mustRun(t, nil, "", "serve", "-h").stdout
	for _, want := range []string{"--metrics-token TOKEN", "[LOGINTOKENS_METRICS_TOKEN]", "--metrics-addr HOST:PORT", "[LOGINTOKENS_METRICS_ADDR]"} {
		if !strings.Contains(help, want) {
			t.Errorf("serve -h does not document %q:\n%s", want, help)
		}
	}
}
