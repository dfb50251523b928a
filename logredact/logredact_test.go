package logredact_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/logintokens/logintokens/logredact"
)

const (
	value  = "lt_abcdefghijkl0123_SECRETsecretSECRETsecret0123"
	apiKey = "ltk_mnopqrstuvwx4567_KEYSECRETkeysecretKEYSECRET99"
)

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"value lt_abcdefghijkl0123_ABCDEFGHIJKLMNOP0123 here", "value lt_abcdefghijkl0123_… here"},
		{"key ltk_abcdefghijkl0123_ABCDEFGHIJKLMNOP0123", "key ltk_abcdefghijkl0123_…"},
		{"percent-encoded lt_abcdefghijkl0123_ABC%44EF%2Dx tail", "percent-encoded lt_abcdefghijkl0123_… tail"},
		{"/login?token=anything&return=/x", "/login?token=…&return=/x"},
		{"/oci/login?USERNAME=u&PASSWORD=secret&HOOK_URL=h", "/oci/login?USERNAME=u&PASSWORD=…&HOOK_URL=h"},
		{"/oci/login?password=secret", "/oci/login?password=…"},
		{"mtoken=abc", "mtoken=…"},
		{"nothing secret, tokens=3", "nothing secret, tokens=3"},
		{"schema lt_test_0a1b2c3d4e5f is gone", "schema lt_test_0a1b2c3d4e5f is gone"},
		{"already lt_abcdefghijkl0123_… cut", "already lt_abcdefghijkl0123_… cut"},
	}
	for _, tc := range cases {
		if got := logredact.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestURLRedactsSecretParametersAndValuesAnywhere(t *testing.T) {
	cases := []struct{ in, want string }{
		{"/login?token=" + value + "&return=%2Fcart", "/login?return=%2Fcart&token=…"},
		{"/oci/login?USERNAME=u&PASSWORD=pw%20with%20space&HOOK_URL=https%3A%2F%2Fsrm.test%2F", "/oci/login?HOOK_URL=https%3A%2F%2Fsrm.test%2F&PASSWORD=…&USERNAME=u"},
		{"/oci/login?MToken=x", "/oci/login?MToken=…"},
		{"/api/v1/login-tokens/" + value, "/api/v1/login-tokens/lt_abcdefghijkl0123_…"},
		{"/api/v1/login-tokens/lt_abcdefghijkl0123_SECRET%53ECRET/value", "/api/v1/login-tokens/lt_abcdefghijkl0123_…/value"},
		{"/x?q=" + url.QueryEscape("find "+apiKey), "/x?q=find+ltk_mnopqrstuvwx4567_…"},
		{"/healthz", "/healthz"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := logredact.URL(u); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestQueryKeepsTheInputAndCutsEveryValue(t *testing.T) {
	in := url.Values{"token": {"a", "b"}, "q": {value}, "page": {"2"}}
	got := logredact.Query(in)
	if in.Get("q") != value {
		t.Error("Query changed its input")
	}
	if v := got["token"]; len(v) != 2 || v[0] != "…" || v[1] != "…" {
		t.Errorf("token = %q, want both values masked", v)
	}
	if got.Get("q") != "lt_abcdefghijkl0123_…" || got.Get("page") != "2" {
		t.Errorf("Query = %v", got)
	}
}

type secretStruct struct{ Value string }

type logValuer struct{}

func (logValuer) LogValue() slog.Value { return slog.StringValue("via valuer " + value) }

func TestHandlerRedactsMessagesAttributesGroupsAndErrors(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var inner slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			inner = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(logredact.NewHandler(inner)).With("key", apiKey).WithGroup("g")
		log.Info("got "+value,
			"value", value,
			"err", errors.New("bad "+value),
			"url", "/login?token=whatever",
			slog.Group("nested", "v", value),
			"struct", secretStruct{Value: value},
			"bytes", []byte(value),
			"valuer", logValuer{},
			"count", 3)
		out := buf.String()
		for _, secret := range []string{"SECRETsecret", "KEYSECRET", "whatever"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log holds %q: %s", format, secret, out)
			}
		}
		if !strings.Contains(out, "lt_abcdefghijkl0123_") || !strings.Contains(out, "ltk_mnopqrstuvwx4567_") || !strings.Contains(out, "3") {
			t.Errorf("%s log lost the ids or a number: %s", format, out)
		}
	}
}

func TestNewHandlerDoesNotWrapTwice(t *testing.T) {
	h := logredact.NewHandler(slog.NewTextHandler(&bytes.Buffer{}, nil))
	if logredact.NewHandler(h) != h {
		t.Error("a redacting handler was wrapped again")
	}
	if !h.Enabled(context.Background(), slog.LevelInfo) || h.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("Enabled does not follow the inner handler")
	}
}
