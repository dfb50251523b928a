package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logintokens/logintokens/signin"
)

func TestParseExpires(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"24h", now.Add(24 * time.Hour), true},
		{"90m", now.Add(90 * time.Minute), true},
		{"7d", now.Add(7 * 24 * time.Hour), true},
		{"1d12h", now.Add(36 * time.Hour), true},
		{"2026-12-31T23:00:00Z", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), true},
		{"2026-12-31T23:00:00+01:00", time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC), true},
		{"tomorrow", time.Time{}, false},
		{"", time.Time{}, false},
		{"0s", time.Time{}, false},
		{"-1h", time.Time{}, false},
		{"-1d", time.Time{}, false},
		{"d", time.Time{}, false},
		{"99999999d", time.Time{}, false},
		{"2026-12-31", time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := parseExpires(tc.in, now)
		if tc.ok && (err != nil || !got.Equal(tc.want)) {
			t.Errorf("parseExpires(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if !tc.ok && err == nil {
			t.Errorf("parseExpires(%q) = %v, want an error", tc.in, got)
		}
		if !tc.ok && err != nil && !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("parseExpires(%q) error %q does not say what is accepted", tc.in, err)
		}
	}
}

func TestLoggerRedactsMessagesAttributesAndErrors(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log := newLogger(&buf, format)
		value := "lt_abcdefghijkl0123_SECRETSECRETSECRETSECRET"
		log.Info("got "+value, "value", value, "err", errors.New("bad "+value), "url", "/login?token=whatever")
		out := buf.String()
		if strings.Contains(out, "SECRETSECRET") || strings.Contains(out, "whatever") {
			t.Errorf("%s log holds a secret: %s", format, out)
		}
		if !strings.Contains(out, "lt_abcdefghijkl0123_") {
			t.Errorf("%s log lost the token id: %s", format, out)
		}
	}
}

func TestKeyFileCreatedOnceUnderConcurrency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", keyFileName)
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], created[i], errs[i] = readOrCreateKeyFile(path) })
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got another key", i)
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers created the file, want 1", creators)
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(files) != 1 {
		t.Errorf("files beside the key: %v, want the key alone", files)
	}
}

func TestParseArgsTakesFlagsAfterArguments(t *testing.T) {
	fs := newFlagSet("x")
	j := fs.Bool("json", false, "")
	pos, err := parseArgs(fs, []string{"abc", "--json", "--", "--not-a-flag"})
	if err != nil || !*j || len(pos) != 2 || pos[0] != "abc" || pos[1] != "--not-a-flag" {
		t.Errorf("parseArgs = %v, %v (json %v)", pos, err, *j)
	}
}

func TestShopDefaults(t *testing.T) {
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cb, aud := cfg.shop("http://localhost:8080", false); cb != "" || aud != "" {
		t.Errorf("without --demo: %q %q, want no shop", cb, aud)
	}
	if cb, aud := cfg.shop("http://localhost:8080", true); cb != "http://localhost:8080/shop/callback" || aud != "http://localhost:8080" {
		t.Errorf("with --demo: %q %q, want the demo shop", cb, aud)
	}
	cfg, err = addConfigFlags(newFlagSet("x")).resolve(mapEnv(map[string]string{"LOGINTOKENS_SHOP_CALLBACK_URL": "https://shop.example.test:8443/auth/callback"}))
	if err != nil {
		t.Fatal(err)
	}
	if cb, aud := cfg.shop("http://localhost:8080", true); cb != "https://shop.example.test:8443/auth/callback" || aud != "https://shop.example.test:8443" {
		t.Errorf("configured: %q %q, want the callback and its origin", cb, aud)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.DatabaseURL != "sqlite:logintokens-data/logintokens.db" || cfg.DatabaseKind != "sqlite" ||
		cfg.RedeemFailuresPerMinute != 20 || cfg.LinkAutosubmit || cfg.LogFormat != "text" || cfg.SecretKey != nil ||
		len(cfg.OCIHookAllow) != 0 || len(cfg.TrustedProxies) != 0 || cfg.cliPublicURL() != "http://localhost:8080" {
		t.Errorf("defaults = %+v", cfg)
	}
	fs := newFlagSet("x")
	cf := addConfigFlags(fs)
	if _, err := parseArgs(fs, []string{"--link-autosubmit", "--oci-hook-allow", "https://srm.example.test/sap/bc, https://b.example.test/",
		"--trusted-proxies", "10.0.0.0/8,192.0.2.7", "--public-url", "https://login.example.test/base/"}); err != nil {
		t.Fatal(err)
	}
	cfg, err = cf.resolve(mapEnv(map[string]string{"LOGINTOKENS_LINK_AUTOSUBMIT": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.LinkAutosubmit || len(cfg.OCIHookAllow) != 2 || cfg.OCIHookAllow[0].Path != "/sap/bc" || len(cfg.TrustedProxies) != 2 ||
		cfg.TrustedProxies[1].Bits() != 32 || cfg.cliPublicURL() != "https://login.example.test/base" {
		t.Errorf("parsed = %+v", cfg)
	}
}

// LOGINTOKENS_OCI_HOOK_ALLOW takes the procurement system's own HOOK_URL
// as an entry, as written, and the sign-in then admits that hook (with or
// without a query) and nothing beside it; an entry with a path parameter
// (;), which no hook may carry, is refused at start.
func TestOCIHookAllowTakesTheExactHookURL(t *testing.T) {
	const hook = "https://srm.example.test/sap/bc/gui/hook"
	cfg, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(map[string]string{
		"LOGINTOKENS_OCI_HOOK_ALLOW": hook + ", https://srm.other.test/oci/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.OCIHookAllow) != 2 || cfg.OCIHookAllow[0].String() != hook || cfg.OCIHookAllow[1].Path != "/oci/" {
		t.Fatalf("entries = %v", cfg.OCIHookAllow)
	}
	for h, want := range map[string]bool{
		hook: true, hook + "?sap-client=100": true, hook + "/receive": true,
		hook + "evil": false, hook + ".evil": false, hook + ";x": false, "https://srm.example.test/sap/..;/admin": false,
		"https://srm.other.test/oci/hook": true, "https://srm.other.test/oci": false,
	} {
		if got := signin.HookAllowed(h, cfg.OCIHookAllow); got != want {
			t.Errorf("HookAllowed(%q) = %v, want %v", h, got, want)
		}
	}
	for _, bad := range []string{"https://srm.example.test/sap;x/hook", "https://srm.example.test/hook?sap-client=100", "srm.example.test/hook"} {
		if _, err := addConfigFlags(newFlagSet("x")).resolve(mapEnv(map[string]string{"LOGINTOKENS_OCI_HOOK_ALLOW": bad})); err == nil {
			t.Errorf("the entry %q was accepted", bad)
		}
	}
}

// The OCI punchout may be framed by the origins of the allowed hooks
// unless LOGINTOKENS_OCI_FRAME_ANCESTORS names others, or none; an entry
// that is not an origin is refused at start.
func TestOCIFrameAncestorsDefaultToTheHooksOrigins(t *testing.T) {
	resolve := func(env map[string]string) (*config, error) {
		return addConfigFlags(newFlagSet("x")).resolve(mapEnv(env))
	}
	hooks := "https://SRM.example.test:443/sap/bc/hook, https://srm.example.test/other/, http://127.0.0.1:8081/hook"
	for _, tc := range []struct {
		frame string
		want  string
	}{
		{"", "https://srm.example.test http://127.0.0.1:8081"},
		{"https://portal.example.test, https://srm.example.test:8443/", "https://portal.example.test https://srm.example.test:8443"},
		{"none", ""},
	} {
		env := map[string]string{"LOGINTOKENS_OCI_HOOK_ALLOW": hooks}
		if tc.frame != "" {
			env["LOGINTOKENS_OCI_FRAME_ANCESTORS"] = tc.frame
		}
		cfg, err := resolve(env)
		if err != nil {
			t.Fatalf("%q: %v", tc.frame, err)
		}
		if got := strings.Join(cfg.ociFrameAncestors(), " "); got != tc.want {
			t.Errorf("%q: frame ancestors %q, want %q", tc.frame, got, tc.want)
		}
	}
	for _, bad := range []string{"https://srm.example.test/sap", "srm.example.test", "*", "https://*.example.test", "https://a.test?x=1", ","} {
		if _, err := resolve(map[string]string{"LOGINTOKENS_OCI_FRAME_ANCESTORS": bad}); err == nil {
			t.Errorf("the frame ancestors %q were taken", bad)
		}
	}
}
