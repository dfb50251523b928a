package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/mail"
	"github.com/logintokens/logintokens/ratelimit"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
)

// Defaults of the settings (README, "Configuration").
const (
	defaultAddr                    = ":8080"
	defaultDatabaseURL             = "sqlite:logintokens-data/logintokens.db"
	defaultRedeemFailuresPerMinute = 20
	defaultDBTimeout               = 5 * time.Second
	defaultShutdownDelay           = 5 * time.Second
	defaultMaxConnections          = 1024
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
	// SecretKeyPrevious are earlier server keys: what they sealed still
	// opens, nothing new is sealed with them.
	SecretKeyPrevious [][]byte
	// PublicURL is nil when unset: it is then http://localhost:<port>.
	PublicURL *url.URL
	LogFormat string // "text" or "json"
	// AdminPassword is the first staff member's password; "" generates one.
	AdminPassword string
	// ShopCallbackURL is nil when unset: serve --demo then uses its demo shop.
	ShopCallbackURL *url.URL
	ShopAudience    string // "" = the callback's origin
	OCIHookAllow    []*url.URL
	// OCIFrameAncestors is nil when unset (see ociFrameAncestors), empty
	// for none.
	OCIFrameAncestors       []string
	RedeemFailuresPerMinute int
	LinkAutosubmit          bool
	// ProviderSession bounds a sign-in's session at the OpenID Provider.
	ProviderSession time.Duration
	TrustedProxies  []netip.Prefix
	// RateLimitPrefixes are the networks that the failure limits count as
	// one client: redeem's and the backoffice sign-in's.
	RateLimitPrefixes ratelimit.Prefixes

	// MetricsToken, when set, is the bearer token GET /metrics requires.
	// It is a secret: never logged or repeated in a message.
	MetricsToken string
	// MetricsAddr, when set, is the one listener /metrics is served on,
	// and the main one no longer serves it.
	MetricsAddr string

	// DBTimeout bounds every database call but an export's
	// (sqlstore.Limits.Call).
	DBTimeout time.Duration
	// MaxConnections caps the client connections served at once.
	MaxConnections int
	// ShutdownDelay is how long serve goes on serving after SIGTERM, not
	// ready, before it drains.
	ShutdownDelay time.Duration

	// SMTP is where login links are mailed, nil when sending is off. Its
	// password is a secret: never logged or repeated in a message.
	SMTP *mail.Config
	// MailFrom is the sender of the mails, with its display name.
	MailFrom *netmail.Address
}

// setting is one configuration value that a flag or a LOGINTOKENS_*
// variable sets; the flag wins, then the default.
type setting struct {
	flag   string // "database-url"
	help   string
	isBool bool
	// def is parsed when neither the flag nor the variable sets a value;
	// "" leaves the config's zero value.
	def string
	// parse checks a value and stores it in the config. Its error is the
	// message, which resolve puts after the source and, unless quiet, the
	// quoted value: --addr "x": want host:port.
	parse func(cfg *config, v string) error
	// quiet settings' messages do not repeat the value: a secret's, or a
	// list's, whose message names the entry at fault.
	quiet bool

	val string
	set bool
}

func (s *setting) String() string     { return s.val }
func (s *setting) Set(v string) error { s.val, s.set = v, true; return nil }
func (s *setting) IsBoolFlag() bool   { return s.isBool }

// env is the variable behind the flag: LOGINTOKENS_DATABASE_URL.
func (s *setting) env() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(s.flag, "-", "_"))
}

// configFlags are the settings of a command that touches the database.
type configFlags struct{ settings []*setting }

func (cf *configFlags) all() []*setting { return cf.settings }

// addConfigFlags registers every configuration flag on fs.
func addConfigFlags(fs *flag.FlagSet) *configFlags {
	cf := &configFlags{settings: newSettings()}
	for _, s := range cf.all() {
		fs.Var(s, s.flag, s.help+" ["+s.env()+"]")
	}
	return cf
}

// addSomeConfigFlags registers the configuration flags named in only, in
// the order of the settings: a command reads and checks only the settings
// it uses, and its help lists only those.
func addSomeConfigFlags(fs *flag.FlagSet, only []string) *configFlags {
	cf := &configFlags{}
	for _, s := range newSettings() {
		if slices.Contains(only, s.flag) {
			cf.settings = append(cf.settings, s)
			fs.Var(s, s.flag, s.help+" ["+s.env()+"]")
		}
	}
	return cf
}

// The settings of the commands that use fewer than serve: a command that
// opens the database (the URL, the server key, the bound on each call),
// and one that also prints links (the public URL, else the address's
// port, and whether OCI punchout is on).
var (
	databaseSettings = []string{"database-url", "secret-key", "secret-key-previous", "db-timeout"}
	linkSettings     = append(slices.Clip(databaseSettings), "addr", "public-url", "oci-hook-allow")
	// mailSettings are token create's: it may mail the link (--send).
	mailSettings = append(slices.Clip(linkSettings), "smtp-url", "mail-from", "log-format")
)

// commandSettings names the settings of each command that does not use
// them all; a command not named here registers every one.
var commandSettings = map[string][]string{
	"migrate":              databaseSettings,
	"staff create":         databaseSettings,
	"apikey create":        databaseSettings,
	"apikey revoke":        databaseSettings,
	"shop create":          databaseSettings,
	"dev seed":             databaseSettings,
	"token create":         mailSettings,
	"staff list":           databaseSettings,
	"staff reset-password": databaseSettings,
	"staff reset-2fa":      databaseSettings,
	"audit export":         databaseSettings,
	"apikey list":          databaseSettings,
	"token show":           databaseSettings,
	"user find":            databaseSettings,
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

// resolve merges flags, environment and defaults and validates them, in
// the order of the settings.
func (cf *configFlags) resolve(getenv func(string) string) (*config, error) {
	cfg := &config{}
	for _, s := range cf.all() {
		if err := s.resolve(cfg, getenv); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.SMTP != nil && cfg.MailFrom == nil:
		return nil, usagef("%sSMTP_URL is set but %sMAIL_FROM is not: set both to send mail, or neither", envPrefix, envPrefix)
	case cfg.SMTP == nil && cfg.MailFrom != nil:
		return nil, usagef("%sMAIL_FROM is set but %sSMTP_URL is not: set both to send mail, or neither", envPrefix, envPrefix)
	case cfg.SMTP != nil:
		cfg.SMTP.From = cfg.MailFrom
	}
	return cfg, nil
}

// resolve parses the setting's value, or its default, into cfg. A bad
// value is a usage error that names where it came from.
func (s *setting) resolve(cfg *config, getenv func(string) string) error {
	v, src := s.value(getenv)
	if src == "" {
		if s.def == "" {
			return nil
		}
		v, src = s.def, "--"+s.flag
	}
	err := s.parse(cfg, v)
	switch {
	case err == nil:
		return nil
	case s.quiet:
		return usagef("%s: %s", src, err)
	default:
		return usagef("%s %q: %s", src, v, err)
	}
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

// publicURLSetting is the row of the settings table where serve keeps the
// public URL it serves under, so that the other commands print links that
// work without repeating --public-url or --addr.
const publicURLSetting = "public_url"

// linkURL is the public URL that the links a command prints are built
// from: the configured one, else the one serve stored last, else
// localhost on the port of --addr.
func (cfg *config) linkURL(ctx context.Context, store *sqlstore.Store) (string, error) {
	if cfg.PublicURL != nil {
		return cfg.PublicURL.String(), nil
	}
	v, ok, err := store.Setting(ctx, publicURLSetting)
	if err != nil {
		return "", fmt.Errorf("read the stored public URL: %w", err)
	}
	if ok {
		if u, err := parseHTTPURL(v); err == nil {
			return u.String(), nil
		}
	}
	return cfg.cliPublicURL(), nil
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

// ociFrameAncestors are the origins that may frame the OCI punchout: the
// configured ones, else those of the allowed hooks, since a procurement
// system shows the catalogue in a frame of the page its HOOK_URL belongs to.
func (cfg *config) ociFrameAncestors() []string {
	if cfg.OCIFrameAncestors != nil {
		return cfg.OCIFrameAncestors
	}
	var out []string
	for _, u := range cfg.OCIHookAllow {
		if o := signin.Origin(u); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
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
	store, err := sqlstore.OpenWithLimits(ctx, cfg.DatabaseURL, keys, sqlstore.Limits{Call: cfg.DBTimeout, Export: exportTimeout})
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

// keyedConfig resolves the configuration and loads the server key: the
// configured one, else (SQLite) secret.key beside the database, created
// on first use. createdKey names the file when this call created it.
func (c *cli) keyedConfig(cf *configFlags) (cfg *config, keys *lt.Keyring, createdKey string, err error) {
	if cfg, err = cf.resolve(c.getenv); err != nil {
		return nil, nil, "", err
	}
	if keys, createdKey, err = loadKeyring(cfg); err != nil {
		return nil, nil, "", err
	}
	return cfg, keys, createdKey, nil
}
