package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/ratelimit"
	"github.com/logintokens/logintokens/sqlstore"
)

// Defaults of CONTRACT §7.
const (
	defaultAddr                    = ":8080"
	defaultDatabaseURL             = "sqlite:logintokens-data/logintokens.db"
	defaultRedeemFailuresPerMinute = 20
	envPrefix                      = "LOGINTOKENS_"
)

// config is the service's configuration after flags, environment and
// defaults, validated.
type config struct {
	Addr         string
	DatabaseURL  string
	DatabaseKind string // "sqlite" or "postgres"
	// SecretKey is the server key, nil when neither flag nor environment
	// gives one (see loadKeyring).
	SecretKey []byte
	// PublicURL is nil when unset: it is then http://localhost:<port>.
	PublicURL *url.URL
	LogFormat string // "text" or "json"
	// AdminPassword is the first staff member's password; "" generates one.
	AdminPassword string
	// ShopCallbackURL is nil when unset: serve --demo then uses its demo shop.
	ShopCallbackURL         *url.URL
	ShopAudience            string // "" = the callback's origin
	OCIHookAllow            []*url.URL
	RedeemFailuresPerMinute int
	LinkAutosubmit          bool
	TrustedProxies          []netip.Prefix
	// RateLimitPrefixes are the networks that the failure limits count as
	// one client: redeem's and the backoffice sign-in's.
	RateLimitPrefixes ratelimit.Prefixes

	// MetricsToken, when set, is the bearer token GET /metrics requires.
	// It is a secret: never logged or repeated in a message.
	MetricsToken string
	// MetricsAddr, when set, is the one listener /metrics is served on,
	// and the main one no longer serves it.
	MetricsAddr string
}

// setting is one configuration value that a flag or a LOGINTOKENS_*
// variable sets; the flag wins.
type setting struct {
	flag   string // "database-url"
	help   string
	isBool bool
	val    string
	set    bool
}

func (s *setting) String() string     { return s.val }
func (s *setting) Set(v string) error { s.val, s.set = v, true; return nil }
func (s *setting) IsBoolFlag() bool   { return s.isBool }

// env is the variable behind the flag: LOGINTOKENS_DATABASE_URL.
func (s *setting) env() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(s.flag, "-", "_"))
}

// configFlags are the settings of a command that touches the database.
type configFlags struct {
	addr            setting
	databaseURL     setting
	secretKey       setting
	publicURL       setting
	logFormat       setting
	adminPassword   setting
	shopCallbackURL setting
	shopAudience    setting
	ociHookAllow    setting
	redeemFailures  setting
	linkAutosubmit  setting
	trustedProxies  setting

	rateLimitIPv4Prefix setting
	rateLimitIPv6Prefix setting
	metricsToken        setting
	metricsAddr         setting
}

func (cf *configFlags) all() []*setting {
	return []*setting{&cf.addr, &cf.databaseURL, &cf.secretKey, &cf.publicURL, &cf.logFormat, &cf.adminPassword,
		&cf.shopCallbackURL, &cf.shopAudience, &cf.ociHookAllow, &cf.redeemFailures, &cf.linkAutosubmit, &cf.trustedProxies,
		&cf.rateLimitIPv4Prefix, &cf.rateLimitIPv6Prefix,
		&cf.metricsToken, &cf.metricsAddr}
}

// addConfigFlags registers every configuration flag on fs.
func addConfigFlags(fs *flag.FlagSet) *configFlags {
	cf := &configFlags{
		addr:            setting{flag: "addr", help: "`HOST:PORT` to listen on (default " + defaultAddr + ")"},
		databaseURL:     setting{flag: "database-url", help: "`URL`: sqlite:PATH or postgres://... (default " + defaultDatabaseURL + ")"},
		secretKey:       setting{flag: "secret-key", help: "server `KEY`, base64 of 32 bytes; required with PostgreSQL"},
		publicURL:       setting{flag: "public-url", help: "`URL` that links are built from (default http://localhost:<port>)"},
		logFormat:       setting{flag: "log-format", help: "`FORMAT`: text or json (default text)"},
		adminPassword:   setting{flag: "admin-password", help: "`PASSWORD` of admin@localhost, created on first start"},
		shopCallbackURL: setting{flag: "shop-callback-url", help: "`URL` where sign-in posts the assertion"},
		shopAudience:    setting{flag: "shop-audience", help: "`AUDIENCE` (aud) of the assertion (default the callback's origin)"},
		ociHookAllow:    setting{flag: "oci-hook-allow", help: "`URLS`: comma-separated allowed OCI HOOK_URLs; a hook is one exactly or lies under one at a /; empty = OCI off"},
		redeemFailures:  setting{flag: "redeem-failures-per-minute", help: "`N` failed redeems per client network at once, then N a minute (default 20)"},
		linkAutosubmit:  setting{flag: "link-autosubmit", help: "let the login page submit itself", isBool: true},
		trustedProxies:  setting{flag: "trusted-proxies", help: "`ADDRS`: comma-separated proxy addresses or CIDRs whose X-Forwarded-For is trusted"},

		rateLimitIPv4Prefix: setting{flag: "rate-limit-ipv4-prefix", help: "`BITS`: IPv4 addresses that share one failure limit, 16 to 32 (default 32: each address)"},
		rateLimitIPv6Prefix: setting{flag: "rate-limit-ipv6-prefix", help: "`BITS`: IPv6 addresses that share one failure limit, 32 to 128 (default 64: each /64)"},
		metricsToken: setting{flag: "metrics-token", help: "`TOKEN` that GET /metrics then requires as Authorization: Bearer TOKEN; " +
			"16 to 256 visible ASCII characters (openssl rand -hex 32); default none: /metrics is open"},
		metricsAddr: setting{flag: "metrics-addr", help: "`HOST:PORT` of a listener of its own for /metrics, which the main one " +
			"then no longer serves (/healthz and /readyz stay there); default none"},
	}
	for _, s := range cf.all() {
		fs.Var(s, s.flag, s.help+" ["+s.env()+"]")
	}
	return cf
}

// value returns the setting's value and where it came from (the flag or
// the variable, for error messages); source is "" when neither sets it.
func (s *setting) value(getenv func(string) string) (val, source string) {
	if s.set {
		return s.val, "--" + s.flag
	}
	if v := getenv(s.env()); v != "" {
		return v, s.env()
	}
	return "", ""
}

// resolve merges flags, environment and defaults and validates them.
func (cf *configFlags) resolve(getenv func(string) string) (*config, error) {
	cfg := &config{Addr: defaultAddr, DatabaseURL: defaultDatabaseURL, LogFormat: "text",
		RedeemFailuresPerMinute: defaultRedeemFailuresPerMinute, RateLimitPrefixes: ratelimit.DefaultPrefixes}

	if v, src := cf.addr.value(getenv); src != "" {
		if _, err := portOf(v); err != nil {
			return nil, usagef("%s %q: %s", src, v, err)
		}
		cfg.Addr = v
	}

	if v, src := cf.databaseURL.value(getenv); src != "" {
		cfg.DatabaseURL = v
	}
	kind, err := sqlstore.Kind(cfg.DatabaseURL)
	if err == nil && kind == "sqlite" {
		_, err = sqlstore.SQLitePath(cfg.DatabaseURL)
	}
	if err != nil {
		_, src := cf.databaseURL.value(getenv)
		return nil, usagef("%s: %s", orName(src, "--database-url"), err)
	}
	cfg.DatabaseKind = kind

	if v, src := cf.secretKey.value(getenv); src != "" {
		key, err := lt.ParseKey(v)
		if err != nil {
			// Never repeat the value: it is a secret.
			return nil, usagef("%s: %s; make one with: openssl rand -base64 32", src, err)
		}
		cfg.SecretKey = key
	}

	if v, src := cf.publicURL.value(getenv); src != "" {
		u, err := parseHTTPURL(v)
		if err != nil {
			return nil, usagef("%s %q: %s", src, v, err)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return nil, usagef("%s %q: want a URL without query or fragment", src, v)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		cfg.PublicURL = u
	}

	if v, src := cf.logFormat.value(getenv); src != "" {
		if v != "text" && v != "json" {
			return nil, usagef("%s %q: want text or json", src, v)
		}
		cfg.LogFormat = v
	}

	if v, src := cf.adminPassword.value(getenv); src != "" {
		if len(v) < lt.MinPasswordLen {
			return nil, usagef("%s: must be at least %d characters", src, lt.MinPasswordLen)
		}
		cfg.AdminPassword = v
	}

	if v, src := cf.shopCallbackURL.value(getenv); src != "" {
		u, err := parseHTTPURL(v)
		if err != nil {
			return nil, usagef("%s %q: %s", src, v, err)
		}
		cfg.ShopCallbackURL = u
	}

	if v, src := cf.shopAudience.value(getenv); src != "" {
		cfg.ShopAudience = strings.TrimSpace(v)
	}

	if v, src := cf.ociHookAllow.value(getenv); src != "" {
		for _, s := range splitList(v) {
			u, err := parseHTTPURL(s)
			if err != nil {
				return nil, usagef("%s: %q: %s", src, s, err)
			}
			if u.RawQuery != "" || u.Fragment != "" {
				return nil, usagef("%s: %q: want scheme, host, port and path, without query or fragment", src, s)
			}
			if strings.Contains(u.Path, ";") {
				// No hook with a path parameter is ever allowed.
				return nil, usagef("%s: %q: want a path without ;", src, s)
			}
			// The path is taken as written: a hook matches it exactly, or
			// lies under it at a "/" (signin.HookAllowed). So the
			// procurement system's own HOOK_URL is an entry that admits it.
			cfg.OCIHookAllow = append(cfg.OCIHookAllow, u)
		}
	}

	if v, src := cf.redeemFailures.value(getenv); src != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1_000_000 {
			return nil, usagef("%s %q: want a whole number from 1 to 1000000", src, v)
		}
		cfg.RedeemFailuresPerMinute = n
	}

	if v, src := cf.linkAutosubmit.value(getenv); src != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return nil, usagef("%s %q: want true or false", src, v)
		}
		cfg.LinkAutosubmit = b
	}

	if v, src := cf.trustedProxies.value(getenv); src != "" {
		for _, s := range splitList(v) {
			p, err := parsePrefix(s)
			if err != nil {
				return nil, usagef("%s: %q is not an IP address or CIDR range, such as 10.0.0.0/8", src, s)
			}
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}

	for _, pf := range []struct {
		s        *setting
		min, max int
		bits     *int
	}{
		{&cf.rateLimitIPv4Prefix, 16, 32, &cfg.RateLimitPrefixes.IPv4},
		{&cf.rateLimitIPv6Prefix, 32, 128, &cfg.RateLimitPrefixes.IPv6},
	} {
		if v, src := pf.s.value(getenv); src != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "/"))
			if err != nil || n < pf.min || n > pf.max {
				return nil, usagef("%s %q: want a prefix length from %d to %d", src, v, pf.min, pf.max)
			}
			*pf.bits = n
		}
	}

	if v, src := cf.metricsToken.value(getenv); src != "" {
		if !validMetricsToken(v) {
			// Never repeat the value: it is a secret.
			return nil, usagef("%s: want %d to %d visible ASCII characters without spaces; make one with: openssl rand -hex 32",
				src, minMetricsToken, maxMetricsToken)
		}
		cfg.MetricsToken = v
	}

	if v, src := cf.metricsAddr.value(getenv); src != "" {
		if _, err := portOf(v); err != nil {
			return nil, usagef("%s %q: %s", src, v, err)
		}
		cfg.MetricsAddr = v
	}
	return cfg, nil
}

// The metrics token's length: long enough not to be guessed, short enough
// for a header.
const (
	minMetricsToken = 16
	maxMetricsToken = 256
)

// validMetricsToken reports whether s can be sent as a bearer token as it
// is: visible ASCII (no space or control character) of a sound length.
func validMetricsToken(s string) bool {
	if len(s) < minMetricsToken || len(s) > maxMetricsToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func orName(src, name string) string {
	if src == "" {
		return name
	}
	return src
}

// portOf returns the port of a listen address such as ":8080".
func portOf(addr string) (string, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("want host:port, such as :8080 or 127.0.0.1:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("the port must be a number from 0 to 65535")
	}
	return port, nil
}

// publicURL is where links point: the configured URL, else localhost on
// the given port.
func (cfg *config) publicURL(port string) string {
	if cfg.PublicURL != nil {
		return cfg.PublicURL.String()
	}
	return "http://localhost:" + port
}

// cliPublicURL is the public URL for commands that do not listen: the port
// is the one of the configured address.
func (cfg *config) cliPublicURL() string {
	port, _ := portOf(cfg.Addr) // validated in resolve
	return cfg.publicURL(port)
}

// shop returns the callback sign-in posts to and the audience of its
// assertions. With demo and no callback configured, the demo shop's.
func (cfg *config) shop(publicURL string, demo bool) (callback, audience string) {
	if cfg.ShopCallbackURL != nil {
		callback = cfg.ShopCallbackURL.String()
	} else if demo {
		callback = publicURL + demoShopPath + "/callback"
	}
	audience = cfg.ShopAudience
	if audience == "" && callback != "" {
		if u, err := url.Parse(callback); err == nil {
			audience = u.Scheme + "://" + u.Host
		}
	}
	return callback, audience
}

// audience is the aud of the assertions: the shop's, else, with no shop
// configured, the service itself.
func (cfg *config) audience(publicURL string, demo bool) string {
	if _, aud := cfg.shop(publicURL, demo); aud != "" {
		return aud
	}
	return publicURL
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("want an absolute http or https URL, such as https://login.example.com")
	}
	if u.User != nil {
		return nil, fmt.Errorf("want a URL without user or password")
	}
	return u, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// openStore opens and migrates the database and, given keys, refuses them
// unless they are the database's (sqlstore.Store.CheckKeyring): a wrong
// key would seal values that no one can reveal. keys may be nil for
// commands that never encrypt a token value. Every command migrates, so
// that "staff create" works on a new database before the first "serve".
func openStore(ctx context.Context, cfg *config, keys *lt.Keyring) (*sqlstore.Store, error) {
	store, err := openMigrated(ctx, cfg, keys)
	if err != nil {
		return nil, err
	}
	if err := store.CheckKeyring(ctx); err != nil {
		store.Close()
		var mismatch *sqlstore.KeyMismatchError
		if errors.As(err, &mismatch) {
			return nil, usagef("%s; give the key the database was set up with (%sSECRET_KEY or --secret-key, or with SQLite the %s beside the database)",
				mismatch, envPrefix, keyFileName)
		}
		return nil, fmt.Errorf("check the server key: %w", err)
	}
	return store, nil
}

// openMigrated opens and migrates the database, checking no key: only for
// "migrate --adopt-key", which binds the database to a new one.
func openMigrated(ctx context.Context, cfg *config, keys *lt.Keyring) (*sqlstore.Store, error) {
	store, err := sqlstore.Open(ctx, cfg.DatabaseURL, keys)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// openConfigured resolves the configuration and opens the store with the
// configured server key (nil when none is set), for the commands that need
// no more than that.
func (c *cli) openConfigured(ctx context.Context, cf *configFlags) (*config, *sqlstore.Store, error) {
	cfg, err := cf.resolve(c.getenv)
	if err != nil {
		return nil, nil, err
	}
	keys, err := configuredKeyring(cfg)
	if err != nil {
		return nil, nil, err
	}
	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return nil, nil, err
	}
	return cfg, store, nil
}
