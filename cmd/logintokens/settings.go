package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/ratelimit"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
)

// newSettings returns the configuration's settings in the order they are
// registered, listed in the README and checked: each with its flag, its
// help, its default and the function that checks a value and stores it in
// the config.
func newSettings() []*setting {
	return []*setting{
		{flag: "addr", help: "`HOST:PORT` to listen on (default " + defaultAddr + ")",
			def: defaultAddr, parse: parseAddr},
		{flag: "database-url", help: "`URL`: sqlite:PATH or postgres://... (default " + defaultDatabaseURL + ")",
			def: defaultDatabaseURL, parse: parseDatabaseURL, quiet: true},
		{flag: "secret-key", help: "server `KEY`, base64 of 32 bytes; required with PostgreSQL",
			parse: parseSecretKey, quiet: true},
		{flag: "secret-key-previous", help: "`KEYS`: comma-separated earlier server keys, base64 of 32 bytes each: what they sealed still opens " +
			"until secret-key rotate has sealed it anew with --secret-key; default none",
			parse: parseSecretKeyPrevious, quiet: true},
		{flag: "public-url", help: "`URL` that links are built from (default http://localhost:<port>)",
			parse: parsePublicURL},
		{flag: "log-format", help: "`FORMAT`: text or json (default text)",
			def: "text", parse: parseLogFormat},
		{flag: "admin-password", help: "`PASSWORD` of admin@localhost, created on first start",
			parse: parseAdminPassword, quiet: true},
		{flag: "shop-callback-url", help: "`URL` where sign-in posts the assertion",
			parse: parseShopCallbackURL},
		{flag: "shop-audience", help: "`AUDIENCE` (aud) of the assertion (default the callback's origin)",
			parse: parseShopAudience},
		{flag: "oci-hook-allow", help: "`URLS`: comma-separated allowed OCI HOOK_URLs; a hook is one exactly or lies under one at a /; empty = OCI off",
			parse: parseOCIHookAllow, quiet: true},
		{flag: "oci-frame-ancestors", help: "`ORIGINS`: comma-separated origins whose pages may show the OCI punchout in a frame, or none; " +
			"default the origins of --oci-hook-allow",
			parse: parseOCIFrameAncestors, quiet: true},
		{flag: "redeem-failures-per-minute", help: "`N` failed redeems per client network at once, then N a minute (default 20)",
			def: strconv.Itoa(defaultRedeemFailuresPerMinute), parse: parseCount(func(cfg *config) *int { return &cfg.RedeemFailuresPerMinute })},
		{flag: "link-autosubmit", help: "let the login page submit itself", isBool: true,
			parse: parseLinkAutosubmit},
		{flag: "provider-session", help: "`DURATION` a sign-in at the OpenID Provider lasts for its shops, 5m to 720h (default 8h)",
			def: lt.DefaultProviderSession.String(), parse: parseProviderSession},
		{flag: "trusted-proxies", help: "`ADDRS`: comma-separated proxy addresses or CIDRs whose X-Forwarded-For is trusted",
			parse: parseTrustedProxies, quiet: true},

		{flag: "rate-limit-ipv4-prefix", help: "`BITS`: IPv4 addresses that share one failure limit, 16 to 32 (default 32: each address)",
			def:   strconv.Itoa(ratelimit.DefaultPrefixes.IPv4),
			parse: parsePrefixBits(16, 32, func(cfg *config) *int { return &cfg.RateLimitPrefixes.IPv4 })},
		{flag: "rate-limit-ipv6-prefix", help: "`BITS`: IPv6 addresses that share one failure limit, 32 to 128 (default 64: each /64)",
			def:   strconv.Itoa(ratelimit.DefaultPrefixes.IPv6),
			parse: parsePrefixBits(32, 128, func(cfg *config) *int { return &cfg.RateLimitPrefixes.IPv6 })},
		{flag: "metrics-token", help: "`TOKEN` that GET /metrics then requires as Authorization: Bearer TOKEN; " +
			"16 to 256 visible ASCII characters (openssl rand -hex 32); default none: /metrics is open",
			parse: parseMetricsToken, quiet: true},
		{flag: "metrics-addr", help: "`HOST:PORT` of a listener of its own for /metrics, which the main one " +
			"then no longer serves (/healthz and /readyz stay there); default none",
			parse: parseMetricsAddr},
		{flag: "db-timeout", help: "`DURATION` a database call may take before its request answers 503 UNAVAILABLE, " +
			"100ms to 1m (default " + defaultDBTimeout.String() + "); exports have " + exportTimeout.String(),
			def: defaultDBTimeout.String(), parse: parseDBTimeout},
		{flag: "max-connections", help: "`N` client connections served at once, 1 to 1000000 (default " +
			strconv.Itoa(defaultMaxConnections) + "); more wait to be accepted",
			def: strconv.Itoa(defaultMaxConnections), parse: parseCount(func(cfg *config) *int { return &cfg.MaxConnections })},
		{flag: "shutdown-delay", help: "`DURATION` serve goes on serving after SIGTERM, with /readyz answering 503 so that a load balancer " +
			"stops sending it requests, before it stops accepting connections; 0 to 5m (default " + defaultShutdownDelay.String() + ")",
			def: defaultShutdownDelay.String(), parse: parseShutdownDelay},
		{flag: "smtp-url", help: "`URL` of the mail server login links are sent through: smtp://user:password@host:port?starttls=required|opportunistic|off, " +
			"or smtps://... for TLS from the start; default none: sending is off",
			parse: parseSMTPURL, quiet: true},
		{flag: "mail-from", help: "`ADDRESS` the mails come from, with a display name: \"Shop Team <team@example.com>\"",
			parse: parseMailFrom},
	}
}

// parseSMTPURL's messages never repeat the URL: it holds the password.
func parseSMTPURL(cfg *config, v string) error {
	c, err := mail.ParseSMTPURL(v)
	if err != nil {
		return err
	}
	cfg.SMTP = c
	return nil
}

func parseMailFrom(cfg *config, v string) error {
	a, err := mail.ParseFrom(v)
	if err != nil {
		return err
	}
	cfg.MailFrom = a
	return nil
}

func parseAddr(cfg *config, v string) error {
	if _, err := portOf(v); err != nil {
		return err
	}
	cfg.Addr = v
	return nil
}

// parseDatabaseURL also names the kind of database; a URL may hold a
// password, so its messages do not repeat it.
func parseDatabaseURL(cfg *config, v string) error {
	kind, err := sqlstore.Kind(v)
	if err == nil && kind == "sqlite" {
		_, err = sqlstore.SQLitePath(v)
	}
	if err != nil {
		return err
	}
	cfg.DatabaseURL, cfg.DatabaseKind = v, kind
	return nil
}

func parseSecretKey(cfg *config, v string) error {
	key, err := lt.ParseKey(v)
	if err != nil {
		return fmt.Errorf("%s; make one with: openssl rand -base64 32", err)
	}
	cfg.SecretKey = key
	return nil
}

// parseSecretKeyPrevious names a bad entry by its place in the list, never
// by its value.
func parseSecretKeyPrevious(cfg *config, v string) error {
	for i, s := range splitList(v) {
		key, err := lt.ParseKey(s)
		if err != nil {
			return fmt.Errorf("key %d of the list: %s", i+1, err)
		}
		cfg.SecretKeyPrevious = append(cfg.SecretKeyPrevious, key)
	}
	return nil
}

func parsePublicURL(cfg *config, v string) error {
	u, err := parseHTTPURL(v)
	if err != nil {
		return err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want a URL without query or fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	cfg.PublicURL = u
	return nil
}

func parseLogFormat(cfg *config, v string) error {
	if v != "text" && v != "json" {
		return errors.New("want text or json")
	}
	cfg.LogFormat = v
	return nil
}

func parseAdminPassword(cfg *config, v string) error {
	if len(v) < lt.MinPasswordLen {
		return fmt.Errorf("must be at least %d characters", lt.MinPasswordLen)
	}
	cfg.AdminPassword = v
	return nil
}

func parseShopCallbackURL(cfg *config, v string) error {
	u, err := parseHTTPURL(v)
	if err != nil {
		return err
	}
	cfg.ShopCallbackURL = u
	return nil
}

func parseShopAudience(cfg *config, v string) error {
	cfg.ShopAudience = strings.TrimSpace(v)
	return nil
}

// parseOCIHookAllow takes each entry's path as written: a hook matches it
// exactly, or lies under it at a "/" (signin.HookAllowed). So the
// procurement system's own HOOK_URL is an entry that admits it.
func parseOCIHookAllow(cfg *config, v string) error {
	for _, s := range splitList(v) {
		u, err := parseHTTPURL(s)
		if err != nil {
			return fmt.Errorf("%q: %s", s, err)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%q: want scheme, host, port and path, without query or fragment", s)
		}
		if strings.Contains(u.Path, ";") {
			// No hook with a path parameter is ever allowed.
			return fmt.Errorf("%q: want a path without ;", s)
		}
		cfg.OCIHookAllow = append(cfg.OCIHookAllow, u)
	}
	return nil
}

// parseOCIFrameAncestors takes origins (scheme://host[:port]) or "none".
func parseOCIFrameAncestors(cfg *config, v string) error {
	cfg.OCIFrameAncestors = []string{}
	if strings.TrimSpace(v) == "none" {
		return nil
	}
	for _, s := range splitList(v) {
		u, err := parseHTTPURL(s)
		if err != nil {
			return fmt.Errorf("%q: %s", s, err)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || !signin.IsOrigin(signin.Origin(u)) {
			return fmt.Errorf("%q: want an origin, scheme://host[:port], such as https://srm.example.com", s)
		}
		cfg.OCIFrameAncestors = append(cfg.OCIFrameAncestors, signin.Origin(u))
	}
	if len(cfg.OCIFrameAncestors) == 0 {
		return errors.New("want origins, or none")
	}
	return nil
}

// parseCount parses a whole number from 1 to 1,000,000 into the field
// that count returns.
func parseCount(count func(*config) *int) func(*config, string) error {
	return func(cfg *config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1_000_000 {
			return errors.New("want a whole number from 1 to 1000000")
		}
		*count(cfg) = n
		return nil
	}
}

func parseProviderSession(cfg *config, v string) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 5*time.Minute || d > 720*time.Hour {
		return errors.New("want a duration from 5m to 720h, such as 8h")
	}
	cfg.ProviderSession = d
	return nil
}

func parseLinkAutosubmit(cfg *config, v string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return errors.New("want true or false")
	}
	cfg.LinkAutosubmit = b
	return nil
}

func parseTrustedProxies(cfg *config, v string) error {
	for _, s := range splitList(v) {
		p, err := parsePrefix(s)
		if err != nil {
			return fmt.Errorf("%q is not an IP address or CIDR range, such as 10.0.0.0/8", s)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	return nil
}

// parsePrefixBits parses a prefix length ("24" or "/24") from lo to hi
// into the field that bits returns.
func parsePrefixBits(lo, hi int, bits func(*config) *int) func(*config, string) error {
	return func(cfg *config, v string) error {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "/"))
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a prefix length from %d to %d", lo, hi)
		}
		*bits(cfg) = n
		return nil
	}
}

func parseMetricsToken(cfg *config, v string) error {
	if !validMetricsToken(v) {
		return fmt.Errorf("want %d to %d visible ASCII characters without spaces; make one with: openssl rand -hex 32",
			minMetricsToken, maxMetricsToken)
	}
	cfg.MetricsToken = v
	return nil
}

func parseMetricsAddr(cfg *config, v string) error {
	if _, err := portOf(v); err != nil {
		return err
	}
	cfg.MetricsAddr = v
	return nil
}

// parseDBTimeout takes a Go duration: long enough for any ordinary call
// on a busy database, short enough that requests do not pile up while it
// does not answer.
func parseDBTimeout(cfg *config, v string) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 100*time.Millisecond || d > time.Minute {
		return errors.New("want a duration from 100ms to 1m, such as 5s")
	}
	cfg.DBTimeout = d
	return nil
}

// parseShutdownDelay takes a Go duration: a few seconds let a balancer
// that checks /readyz every second or two notice; 0 stops at once.
func parseShutdownDelay(cfg *config, v string) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 || d > 5*time.Minute {
		return errors.New("want a duration from 0s to 5m, such as 5s")
	}
	cfg.ShutdownDelay = d
	return nil
}
