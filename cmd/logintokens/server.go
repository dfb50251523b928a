package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/sqlstore"
)

// serverDeps is what the HTTP side of serve is built from.
type serverDeps struct {
	Store  *sqlstore.Store
	Log    *slog.Logger
	Config *config
	// PublicURL is known only once the listener is bound when it defaults
	// to http://localhost:<port>: links and the assertions' iss use it.
	PublicURL string
	Demo      bool
	// Signer signs assertions and publishes the JWKS; loaded by the caller.
	Signer *jwtsign.Signer
}

// newServer returns the service's HTTP handler: every route on one mux,
// behind httpapi.Middleware (request ids, security headers, panics,
// redacted request logs). The redeem service, and so the per-address
// failure limit, is one for every sign-in path.
func newServer(deps serverDeps) (http.Handler, error) {
	cfg := deps.Config
	mux := http.NewServeMux()
	redeemer := &redeem.Service{
		Store:   deps.Store,
		Issuer:  deps.Signer,
		Limiter: redeem.NewLimiter(cfg.RedeemFailuresPerMinute, nil),
	}
	api := httpapi.New(httpapi.Config{
		Store:          deps.Store,
		Redeem:         redeemer,
		Keys:           jwks{deps.Signer},
		PublicURL:      deps.PublicURL,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         deps.Log,
		Metrics:        httpapi.NewMetrics(nil),
	})
	api.Register(mux)
	office, err := backoffice.New(backoffice.Config{
		Store:          deps.Store,
		PublicURL:      deps.PublicURL,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         deps.Log,
	})
	if err != nil {
		return nil, err
	}
	office.Register(mux)
	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusSeeOther))
	return httpapi.Middleware(mux, deps.Log, cfg.TrustedProxies...), nil
}

// jwks serves the signer's key set through httpapi.JWKS, which knows no
// JOSE library.
type jwks struct{ s *jwtsign.Signer }

func (j jwks) JWKS(ctx context.Context) (any, error) { return j.s.JWKS(ctx) }
