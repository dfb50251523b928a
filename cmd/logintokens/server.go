package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/demoshop"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/outage"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/oidc"
	"github.com/logintokens/logintokens/ratelimit"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/signin"
	"github.com/logintokens/logintokens/sqlstore"
)

// demoShopPath is where serve --demo mounts the demo shop; its callback is
// demoShopPath + "/callback".
const demoShopPath = "/shop"

// serverDeps is what the HTTP side of serve is built from.
type serverDeps struct {
	Store  *sqlstore.Store
	Log    *slog.Logger
	Config *config
	// PublicURL is known only once the listener is bound when it defaults
	// to http://localhost:<port>: links and the assertions' iss use it.
	PublicURL string
	// Demo adds the demo shop under /shop/.
	Demo bool
	// ServiceURL is where the demo shop reaches the service over HTTP for
	// its keys, as an independent shop would: the bound address, which
	// answers even where the public URL is a proxy's that this host cannot
	// reach. The public URL when empty.
	ServiceURL string
	// Signer signs assertions and publishes the JWKS; loaded by the caller.
	Signer *jwtsign.Signer
	// Keys is the server key, which the backoffice's device cookies are
	// signed with a key derived from unless DerivationRoot is set; nil
	// (and no root): a key of this process.
	Keys *lt.Keyring
	// ProviderKey seals the OpenID Provider's codes and access tokens,
	// derived from the server key so that every instance has the same.
	// Zero (tests) makes a random one.
	ProviderKey [32]byte
	// DemoOIDC is the demo shop's registration at the OpenID Provider
	// (Demo); nil signs it in by the form-post hand-off alone.
	DemoOIDC *demoshop.OIDC
	// DerivationRoot is what the derived keys come from (the store's
	// DerivationRoot); nil: from Keys.
	DerivationRoot []byte
	// Draining reports that serve is shutting down: /readyz answers 503
	// (nil: never).
	Draining func() bool
}

// newServer returns the service's HTTP handler: every route on one mux,
// behind web.Middleware (request ids, security headers, panics,
// redacted request logs). The redeem service, and so the per-network
// failure limit, is one for every sign-in path: the API's redeem, /login
// and the OCI entry.
func newServer(deps serverDeps) (http.Handler, error) {
	h, _, err := newHandlers(deps)
	return h, err
}

// newHandlers returns newServer's handler and, when the configuration
// gives /metrics a listener of its own, that listener's handler, which
// serves /metrics alone (else nil, and the main handler serves it).
func newHandlers(deps serverDeps) (main, metricsOnly http.Handler, err error) {
	cfg := deps.Config
	mux := http.NewServeMux()
	redeemer := newRedeemer(deps)
	metrics := web.NewMetrics(nil)
	// One report of a database outage for the whole service, once per
	// interval, whichever part refused the requests.
	outages := outage.New(deps.Log, 0)
	// The API and the backoffice share one bound on imports, exports and
	// short user searches running at once.
	gates := bounds.NewGates()

	mailer := newMail(cfg, deps.Store, deps.PublicURL, deps.Log)
	api := newAPI(deps, redeemer, metrics, outages, gates, mailer)
	api.Register(mux)
	if cfg.MetricsAddr != "" {
		metricsOnly = web.Middleware(api.MetricsHandler(), deps.Log, cfg.TrustedProxies...)
	}
	office, err := newBackoffice(deps, outages, gates, mailer)
	if err != nil {
		return nil, nil, err
	}
	office.Register(mux)
	provider, err := newProvider(deps)
	if err != nil {
		return nil, nil, err
	}
	provider.Register(mux)
	login, err := newSignin(deps, redeemer, metrics, outages, provider)
	if err != nil {
		return nil, nil, err
	}
	login.Register(mux)
	if deps.Demo {
		shop, err := newDemoShop(deps)
		if err != nil {
			return nil, nil, err
		}
		// The shop serves its full paths: no prefix is stripped.
		mux.Handle(demoShopPath+"/", shop)
	}

	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusSeeOther))
	mux.HandleFunc("GET /favicon.ico", web.Favicon)
	return web.Middleware(mux, deps.Log, cfg.TrustedProxies...), metricsOnly, nil
}

// newRedeemer is the one redeem service, and so the one per-network
// failure limit, of every sign-in path.
func newRedeemer(deps serverDeps) *redeem.Service {
	cfg := deps.Config
	return &redeem.Service{
		Store:   deps.Store,
		Issuer:  deps.Signer,
		Limiter: newLimiter(deps, "redeem", ratelimit.Policy{Limit: cfg.RedeemFailuresPerMinute, Per: time.Minute}),
		// The same networks count as one client for the backoffice.
		Prefixes: cfg.RateLimitPrefixes,
	}
}

// newLimiter is the failure limit of scope: on PostgreSQL in the
// database, shared by every instance (several instances must not give a
// client several budgets); on SQLite, whose one instance owns the
// database, in memory.
func newLimiter(deps serverDeps, scope string, p ratelimit.Policy) ratelimit.Limiter {
	if deps.Store.Dialect() == "postgres" {
		return deps.Store.Limiter(scope, p.Limit, p.Per)
	}
	return ratelimit.NewMemory(p, nil)
}

func newAPI(deps serverDeps, redeemer *redeem.Service, metrics *web.Metrics, outages *outage.Reporter, gates *bounds.Gates, mailer lt.MailService) *httpapi.Server {
	cfg := deps.Config
	return httpapi.New(httpapi.Config{
		Mail:           mailer,
		Store:          deps.Store,
		Redeem:         redeemer,
		Keys:           jwks{deps.Signer},
		PublicURL:      deps.PublicURL,
		OCIPunchout:    len(cfg.OCIHookAllow) > 0,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         deps.Log,
		Metrics:        metrics,
		// The token is handed over, never logged.
		MetricsToken:     cfg.MetricsToken,
		MetricsElsewhere: cfg.MetricsAddr != "",
		Outages:          outages,
		Gates:            gates,
		Draining:         deps.Draining,
	})
}

func newBackoffice(deps serverDeps, outages *outage.Reporter, gates *bounds.Gates, mailer lt.MailService) (*backoffice.Server, error) {
	cfg := deps.Config
	var deviceKey []byte
	switch {
	case deps.DerivationRoot != nil:
		deviceKey = lt.DeriveKey(deps.DerivationRoot, backoffice.DeviceKeyLabel)
	case deps.Keys != nil:
		deviceKey = deps.Keys.Derive(backoffice.DeviceKeyLabel)
	}
	callback, _ := cfg.shop(deps.PublicURL, deps.Demo)
	return backoffice.New(backoffice.Config{
		Store:          deps.Store,
		Mail:           mailer,
		ShopCallback:   callback != "",
		PublicURL:      deps.PublicURL,
		OCIPunchout:    len(cfg.OCIHookAllow) > 0,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         deps.Log,
		// The same networks count as one client as for redeem.
		AddressPrefixes: cfg.RateLimitPrefixes,
		DeviceKey:       deviceKey,
		Limiter:         func(scope string, p ratelimit.Policy) ratelimit.Limiter { return newLimiter(deps, scope, p) },
		Outages:         outages,
		Gates:           gates,
	})
}

// newProvider is the OpenID Provider of the shops (lt.Shop).
func newProvider(deps serverDeps) (*oidc.Provider, error) {
	key := deps.ProviderKey
	if key == ([32]byte{}) {
		rand.Read(key[:])
	}
	return oidc.New(oidc.Config{
		Issuer:          deps.PublicURL,
		Store:           deps.Store,
		Keys:            deps.Signer,
		CryptoKey:       key,
		SessionLifetime: deps.Config.ProviderSession,
		Logger:          deps.Log,
	})
}

func newSignin(deps serverDeps, redeemer *redeem.Service, metrics *web.Metrics, outages *outage.Reporter, provider *oidc.Provider) (*signin.Server, error) {
	cfg := deps.Config
	callback, _ := cfg.shop(deps.PublicURL, deps.Demo)
	return signin.New(signin.Config{
		Redeem:            redeemer,
		ShopCallbackURL:   callback,
		OCIHookAllow:      cfg.OCIHookAllow,
		OCIFrameAncestors: cfg.ociFrameAncestors(),
		LinkAutosubmit:    cfg.LinkAutosubmit,
		TrustedProxies:    cfg.TrustedProxies,
		Metrics:           metrics,
		Logger:            deps.Log,
		Outages:           outages,
		Provider:          provider,
	})
}

// newDemoShop is the demo shop of serve --demo, under demoShopPath.
func newDemoShop(deps serverDeps) (http.Handler, error) {
	cfg := deps.Config
	serviceURL := deps.ServiceURL
	if serviceURL == "" {
		serviceURL = deps.PublicURL
	}
	return demoshop.New(demoshop.Config{
		ServiceURL:        serviceURL,
		Issuer:            deps.PublicURL,
		Audience:          cfg.audience(deps.PublicURL, deps.Demo),
		BasePath:          demoShopPath,
		SecureCookies:     strings.HasPrefix(deps.PublicURL, "https://"),
		OCIFrameAncestors: cfg.ociFrameAncestors(),
		Logger:            deps.Log,
		OIDC:              deps.DemoOIDC,
	})
}

// jwks serves the signer's key set through httpapi.JWKS, which knows no
// JOSE library.
type jwks struct{ s *jwtsign.Signer }

func (j jwks) JWKS(ctx context.Context) (any, error) { return j.s.JWKS(ctx) }
