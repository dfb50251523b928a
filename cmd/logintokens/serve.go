package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
)

// shutdownTimeout is how long serve drains in-flight requests after
// SIGTERM; below the 30 s most orchestrators wait before SIGKILL.
const shutdownTimeout = 20 * time.Second

// The first staff member, created when there is none.
const (
	firstStaffEmail = "admin@localhost"
	firstStaffName  = "Administrator"
)

func runServe(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("serve")
	demo := fs.Bool("demo", false, "serve the demo shop at /shop/ and seed sample data on a new database")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(c.getenv)
	if err != nil {
		return err
	}
	log := newLogger(c.stderr, cfg.LogFormat)

	// SIGTERM or SIGINT, like a cancelled ctx, starts a graceful shutdown.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	keys, createdKey, err := loadKeyring(cfg)
	if err != nil {
		return err
	}
	if createdKey != "" {
		log.Info("created the server key; back it up with the database, or revealing existing tokens fails", "file", createdKey)
	}
	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("database ready", "kind", cfg.DatabaseKind)

	if err := ensureFirstStaff(ctx, store, cfg, c.stderr, log); err != nil {
		return err
	}

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = new(net.ListenConfig).Listen(ctx, "tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on %s for /metrics: %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	publicURL := cfg.publicURL(port)

	if *demo {
		if err := seedDemo(ctx, store, publicURL, c.stderr, log); err != nil {
			return err
		}
	}

	// The assertions' issuer is the public URL, so the signer is made once
	// the port is bound.
	callback, _ := cfg.shop(publicURL, *demo)
	audience := cfg.audience(publicURL, *demo)
	signer := jwtsign.New(store, publicURL, audience)
	if err := signer.Load(ctx); err != nil {
		return err
	}
	if callback == "" {
		log.Warn("no shop callback is configured: sign-ins succeed but have no shop to continue to; set LOGINTOKENS_SHOP_CALLBACK_URL")
	}
	if len(cfg.OCIHookAllow) == 0 {
		log.Info("OCI punchout is off: LOGINTOKENS_OCI_HOOK_ALLOW is empty")
	}

	handler, metricsHandler, err := newHandlers(serverDeps{Store: store, Log: log, Config: cfg, PublicURL: publicURL, Demo: *demo,
		ServiceURL: localURL(ln.Addr()), Signer: signer})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: handler,
		// Bounds against slow clients: requests carry small bodies, and an
		// answer (the CSV export included) is written within a minute.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	servers := []*http.Server{srv}
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	if metricsLn != nil {
		// A scrape is a GET without a body, answered at once.
		msrv := &http.Server{
			Handler:           metricsHandler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          srv.ErrorLog,
		}
		servers = append(servers, msrv)
		go func() { served <- msrv.Serve(metricsLn) }()
		log.Info("metrics listening", "addr", metricsLn.Addr().String(), "tokenRequired", cfg.MetricsToken != "")
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", publicURL, "audience", audience, "shopCallback", callback)
	if *demo {
		fmt.Fprintf(c.stderr, "Demo shop: %s%s/\n", publicURL, demoShopPath)
	}

	select {
	case err := <-served:
		for _, s := range servers {
			s.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// A second signal now ends the process at once.
	stop()
	log.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	// Both listeners drain at once, within the one timeout.
	shut := make(chan struct{}, len(servers))
	for _, s := range servers {
		go func() {
			defer func() { shut <- struct{}{} }()
			if err := s.Shutdown(sctx); err != nil {
				log.Warn("requests still running at the shutdown timeout were cut off", "err", err)
				s.Close()
			}
		}()
	}
	var serveErr error
	for range servers {
		<-shut
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = fmt.Errorf("serve: %w", err)
		}
	}
	if serveErr != nil {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

// localURL is the service's bound address as an http URL; an unspecified
// address (":8080") is reached on the loopback.
func localURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// ensureFirstStaff creates admin@localhost with every grant when there is
// no staff member yet, so that someone can sign in to the backoffice. A
// generated password is printed once, outside the log, and must be changed
// at the first sign-in.
func ensureFirstStaff(ctx context.Context, store *sqlstore.Store, cfg *config, stderr io.Writer, log *slog.Logger) error {
	n, err := store.CountStaff(ctx)
	if err != nil {
		return fmt.Errorf("count staff: %w", err)
	}
	if n > 0 {
		return nil
	}
	password, generated := cfg.AdminPassword, false
	if password == "" {
		password, generated = lt.GeneratePassword(), true
	}
	st, err := store.CreateStaff(ctx, lt.NewStaff{Email: firstStaffEmail, Name: firstStaffName, Grants: lt.AllGrants(),
		Password: password, MustChangePassword: generated})
	if lt.ErrorCode(err) == lt.ECONFLICT {
		return nil // another instance starting at the same time created it
	}
	if err != nil {
		return fmt.Errorf("create the first staff member: %w", err)
	}
	log.Info("created the first staff member", "email", st.Email, "staff", st.Actor())
	if generated {
		fmt.Fprintf(stderr, "First sign-in: %s with password %s (shown only now; it must be changed at the first sign-in)\n", st.Email, password)
	}
	return nil
}
