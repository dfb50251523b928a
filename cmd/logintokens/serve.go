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
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/demoshop"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/sqlstore"
)

// shutdownTimeout is how long serve drains in-flight requests after
// SIGTERM; below the 30 s most orchestrators wait before SIGKILL.
const shutdownTimeout = 20 * time.Second

// Bounds of the main server against slow and greedy clients.
const (
	// readHeaderTimeout: a connection that has not sent a request's
	// headers within it is closed, so a client cannot hold a connection
	// by sending nothing, or slowly.
	readHeaderTimeout = 10 * time.Second
	// writeTimeout: every answer, the CSV export included, is written
	// within it.
	writeTimeout = 60 * time.Second
	// idleTimeout: a kept-alive connection without a request is closed
	// after it.
	idleTimeout = 120 * time.Second
	// maxHeaderBytes caps a request's line and headers (431 beyond; Go
	// reads up to 4 KiB more before it decides). A request of the service
	// carries a key or a session cookie and a few ordinary headers.
	maxHeaderBytes = 16 << 10
)

// exportTimeout bounds an export's database call: the export is written
// within writeTimeout, and cannot be sent once that has passed.
const exportTimeout = writeTimeout

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
	cfg, keys, createdKey, err := c.keyedConfig(cf)
	if err != nil {
		return err
	}
	log := newLogger(c.stderr, cfg.LogFormat)
	// The OpenID Provider's library logs through slog's default logger:
	// it gets the service's, with its format and its redaction.
	slog.SetDefault(log)
	if createdKey != "" {
		log.Info("created the server key; back it up with the database, or revealing existing tokens fails", "file", createdKey)
	}

	// SIGTERM or SIGINT, like a cancelled ctx, starts a graceful shutdown;
	// after a signal, with the drain delay first.
	parent := ctx
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("database ready", "kind", cfg.DatabaseKind)
	warnDatabasePermissions(log, cfg)
	if err := ensureFirstStaff(ctx, store, cfg, c.stderr, log); err != nil {
		return err
	}

	lns, err := listen(ctx, cfg)
	if err != nil {
		return err
	}
	defer lns.Close()
	publicURL := cfg.publicURL(lns.port())
	// The other commands build their links from it (config.linkURL); a
	// failure to store it leaves them their fallback, not serve stopped.
	if err := store.SetSetting(ctx, publicURLSetting, publicURL); err != nil {
		log.Warn("could not store the public URL for the other commands' links", "err", err)
	}
	var demoOIDC *demoshop.OIDC
	if *demo {
		if err := seedDemo(ctx, store, publicURL, c.stderr, log); err != nil {
			return err
		}
		if demoOIDC, err = registerDemoShop(ctx, store, publicURL); err != nil {
			return err
		}
	}

	// The assertions' issuer is the public URL, so the signer is made once
	// the port is bound.
	signer := jwtsign.New(store, publicURL, cfg.audience(publicURL, *demo))
	signer.EnableRS256() // the OpenID Provider's ID tokens
	if err := signer.Load(ctx); err != nil {
		return err
	}
	warnSignInSetup(log, cfg, publicURL, *demo)
	logMailSetup(log, cfg)
	// The derived keys come from a root every instance shares, which a
	// rotation of the server key leaves as it is.
	root, err := store.DerivationRoot(ctx)
	if err != nil {
		return fmt.Errorf("the root of the derived keys: %w", err)
	}
	drain := new(atomic.Bool)
	handler, metricsHandler, err := newHandlers(serverDeps{Store: store, Log: log, Config: cfg, PublicURL: publicURL, Demo: *demo,
		ServiceURL: localURL(lns.main.Addr()), Signer: signer, Keys: keys, DerivationRoot: root,
		ProviderKey: [lt.KeySize]byte(lt.DeriveKey(root, "oidc provider")), DemoOIDC: demoOIDC, Draining: drain.Load})
	if err != nil {
		return err
	}
	srvs := startServers(lns, closeWhileDraining(handler, drain), metricsHandler, log)
	srvs.drainDelay = func() time.Duration {
		drain.Store(true)
		if parent.Err() != nil {
			return 0 // the caller ended serve, no balancer to tell
		}
		return cfg.ShutdownDelay
	}
	// The outbox's worker stops with the servers and ends its attempts
	// under way before the store closes.
	defer startOutbox(ctx, store, newMail(cfg, store, publicURL, log), log)()
	defer startAuditPruner(ctx, store, log)()
	announce(c, log, cfg, lns, publicURL, *demo)
	return srvs.serveUntilDone(ctx, stop, log)
}

// warnSignInSetup logs what sign-in lacks: a shop to continue to, and OCI.
func warnSignInSetup(log *slog.Logger, cfg *config, publicURL string, demo bool) {
	if callback, _ := cfg.shop(publicURL, demo); callback == "" {
		log.Warn("no shop callback is configured: sign-ins succeed but have no shop to continue to; set LOGINTOKENS_SHOP_CALLBACK_URL")
	}
	if len(cfg.OCIHookAllow) == 0 {
		log.Info("OCI punchout is off: LOGINTOKENS_OCI_HOOK_ALLOW is empty")
	}
}

// listeners are serve's bound sockets: the main one and, with
// --metrics-addr, the one of /metrics (else nil).
type listeners struct{ main, metrics net.Listener }

// listen binds the configured addresses.
func listen(ctx context.Context, cfg *config) (*listeners, error) {
	var lns listeners
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	lns.main = limitListener(ln, cfg.MaxConnections)
	if cfg.MetricsAddr != "" {
		if lns.metrics, err = new(net.ListenConfig).Listen(ctx, "tcp", cfg.MetricsAddr); err != nil {
			lns.main.Close()
			return nil, fmt.Errorf("listen on %s for /metrics: %w", cfg.MetricsAddr, err)
		}
	}
	return &lns, nil
}

// port is the main listener's port, where the public URL defaults to.
func (l *listeners) port() string {
	_, port, _ := net.SplitHostPort(l.main.Addr().String())
	return port
}

func (l *listeners) Close() {
	l.main.Close()
	if l.metrics != nil {
		l.metrics.Close()
	}
}

// limitListener returns ln accepting at most n connections at once: once
// n are open, Accept waits for one of them to close before it takes the
// next from the operating system's queue. A flood of connections then
// holds at most n connections' goroutines and buffers; those beyond wait
// in the kernel's backlog, or are refused when it is full, and the
// server stays up for the ones it serves.
func limitListener(ln net.Listener, n int) net.Listener {
	return &limitedListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

type limitedListener struct {
	net.Listener
	slots     chan struct{} // one per open connection
	closed    chan struct{} // closed by Close, which ends a waiting Accept
	closeOnce sync.Once
}

func (l *limitedListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when it closes, once.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// CloseWrite lets the HTTP server half-close the connection, as it does
// before it closes one it refused (431, 400), so that the client reads the
// refusal instead of a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// warnDatabasePermissions warns, once, when the SQLite database file or
// its folder is open to other users of the host: the file holds the
// staff's password hashes, the API keys' hashes and the sealed token
// values, and whoever can write the folder can replace the database.
func warnDatabasePermissions(log *slog.Logger, cfg *config) {
	if cfg.DatabaseKind != "sqlite" {
		return
	}
	path, err := sqlstore.SQLitePath(cfg.DatabaseURL)
	if err != nil {
		return
	}
	file, errFile := os.Stat(path)
	folder, errFolder := os.Stat(filepath.Dir(path))
	if errFile != nil || errFolder != nil {
		return
	}
	const groupOrOthers = 0o066 // read or write by group or others
	if file.Mode().Perm()&groupOrOthers == 0 && folder.Mode().Perm()&groupOrOthers == 0 {
		return
	}
	log.Warn("the database file or its folder can be read or written by other users: make the file 0600 and its folder 0700",
		"file", path, "fileMode", file.Mode().Perm().String(), "folder", filepath.Dir(path), "folderMode", folder.Mode().Perm().String())
}

// servers are serve's HTTP servers, each on its listener; served receives
// what each one's Serve returns.
type servers struct {
	list   []*http.Server
	served chan error
	// drainDelay, when set, starts the drain (/readyz answers 503) and
	// says how long to go on serving before the servers shut down.
	drainDelay func() time.Duration
}

// closeWhileDraining answers every request with Connection: close once
// the drain has begun: a balancer's pooled connections to this instance
// end with the answers they carry, instead of being cut while idle when
// the server shuts down, when a request may already be on its way.
func closeWhileDraining(next http.Handler, drain *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if drain.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// startServers serves handler on the main listener and metricsHandler on
// the one of /metrics, if there is one.
func startServers(lns *listeners, handler, metricsHandler http.Handler, log *slog.Logger) *servers {
	srv := &http.Server{
		Handler: handler,
		// Bounds against slow clients: requests carry small bodies, and an
		// answer (the CSV export included) is written within a minute.
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s := &servers{served: make(chan error, 2)}
	s.start(srv, lns.main)
	if lns.metrics != nil {
		// A scrape is a GET without a body, answered at once.
		s.start(&http.Server{
			Handler:           metricsHandler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          srv.ErrorLog,
		}, lns.metrics)
	}
	return s
}

func (s *servers) start(srv *http.Server, ln net.Listener) {
	s.list = append(s.list, srv)
	go func() { s.served <- srv.Serve(ln) }()
}

// announce says where serve listens: in the log and, for --demo, the demo
// shop's address on stderr.
func announce(c *cli, log *slog.Logger, cfg *config, lns *listeners, publicURL string, demo bool) {
	if lns.metrics != nil {
		log.Info("metrics listening", "addr", lns.metrics.Addr().String(), "tokenRequired", cfg.MetricsToken != "")
	}
	callback, _ := cfg.shop(publicURL, demo)
	log.Info("listening", "addr", lns.main.Addr().String(), "url", publicURL, "audience", cfg.audience(publicURL, demo), "shopCallback", callback)
	if demo {
		fmt.Fprintf(c.stderr, "Demo shop: %s%s/\n", publicURL, demoShopPath)
	}
}

// serveUntilDone serves until a server fails, which closes them all, or
// until ctx is done (a signal, or the caller), which drains them; stop
// ends the signal handling.
func (s *servers) serveUntilDone(ctx context.Context, stop context.CancelFunc, log *slog.Logger) error {
	select {
	case err := <-s.served:
		for _, srv := range s.list {
			srv.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// A second signal now ends the process at once.
	stop()
	if s.drainDelay != nil {
		if d := s.drainDelay(); d > 0 {
			// Not ready, still serving: the balancer's health check sees
			// the 503 and sends the requests elsewhere.
			log.Info("draining: /readyz answers 503; serving on until the delay has passed", "delay", d)
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case err := <-s.served:
				t.Stop()
				s.served <- err // drain reads it
			}
		}
	}
	return s.drain(ctx, log)
}

// drain shuts every server down at once, within the one timeout: requests
// in flight finish, those still running at the timeout are cut off.
func (s *servers) drain(ctx context.Context, log *slog.Logger) error {
	log.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	shut := make(chan struct{}, len(s.list))
	for _, srv := range s.list {
		go func() {
			defer func() { shut <- struct{}{} }()
			if err := srv.Shutdown(sctx); err != nil {
				log.Warn("requests still running at the shutdown timeout were cut off", "err", err)
				srv.Close()
			}
		}()
	}
	var serveErr error
	for range s.list {
		<-shut
		if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
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
