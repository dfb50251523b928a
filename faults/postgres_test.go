package faults

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

// Phases of the PostgreSQL restart, for the load's counts.
const (
	pgUp        = 0 // before the fault
	pgStopping  = 1 // while pg_ctl stop -m fast runs
	pgDown      = 2 // from its end until pg_ctl start
	pgStarting  = 3 // from pg_ctl start until /readyz answers 200 again
	pgRecovered = 4 // after that
)

// PostgreSQL stopped and started again under redeem load, on a cluster of
// the test's own: /readyz answers 503 while it is down and 200 again by
// itself afterwards; every redeem that fails during the outage answers 503
// UNAVAILABLE with Retry-After, as problem+json with nothing of the driver,
// the SQL or the secrets in the body, and they succeed again without
// restarting the service; the log reports the outage in a handful of lines,
// not one per request; the outage counts no failed attempts and trips no
// rate limit; the success counter holds every success the clients saw.
func TestPostgresRestartUnderRedeemLoad(t *testing.T) {
	pg := newPGCluster(t)
	key := make([]byte, 32)
	rand.Read(key)
	secretKey := base64.StdEncoding.EncodeToString(key)
	env := []string{"LOGINTOKENS_DATABASE_URL=" + pg.url(), "LOGINTOKENS_SECRET_KEY=" + secretKey}
	srv := startService(t, env)
	webshop, admin := keys(t, env)
	var tok issued
	want(t, 201, &tok, srv.LocalURL, admin, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"postgres restart load"}})
	_, tokSecret, err := lt.ParseValue(lt.TokenPrefix, tok.Value)
	if err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{"the token value": tok.Value, "the token's secret": tokSecret,
		"the webshop key": webshop, "the admin key": admin, "the server key": secretKey}
	// Lowercase marks of what a failure must not show: the driver and
	// its errors, SQL, the database's address, Go's panics and stacks.
	leaks := []string{"sqlstate", "pq:", "pgx", "pgconn", "postgres", "goroutine", "panic", ".go:",
		"dial tcp", "connection refused", "127.0.0.1:" + strconv.Itoa(pg.port), "shutting down",
		"terminating connection", "fatal", "select ", "update ", "insert ", "login_tokens", "audit_events"}
	// leak says what a body shows that it must not.
	leak := func(status int, body []byte) string {
		for what, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				return "carries " + what
			}
		}
		if status == http.StatusOK {
			// A 200 carries a signed assertion: random base64 in which
			// short marks would turn up by chance.
			return ""
		}
		lower := strings.ToLower(string(body))
		for _, l := range leaks {
			if strings.Contains(lower, l) {
				return fmt.Sprintf("shows %q", l)
			}
		}
		return ""
	}
	check := func(phase int32, status int, header http.Header, body []byte) string {
		if p := leak(status, body); p != "" || status == http.StatusOK {
			return p
		}
		var p struct {
			Status int
			Code   string
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Code == "" || p.Status != status {
			return "is not a problem document with a code"
		}
		if ct := header.Get("Content-Type"); ct != "application/problem+json" {
			return "has Content-Type " + ct
		}
		if status == http.StatusServiceUnavailable {
			if p.Code != lt.EUNAVAILABLE {
				return "is a 503 with code " + p.Code
			}
			if n, err := strconv.Atoi(header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
				return fmt.Sprintf("is a 503 with Retry-After %q", header.Get("Retry-After"))
			}
		}
		return ""
	}

	l := startLoad(srv.LocalURL, webshop, tok.Value, check)
	t.Cleanup(l.stop) // before the service and the cluster stop, if the test fails early
	waitFor(t, 30*time.Second, "200 successes before the fault", func() bool { return l.ok[pgUp].Load() >= 200 })
	probes := map[int]int{} // /readyz answers by status
	ready := func() int {
		t.Helper()
		st, body := readyz(t, srv.LocalURL)
		probes[st]++
		if p := leak(st, body); p != "" {
			t.Errorf("/readyz answered %d that %s: %s", st, p, body)
		}
		return st
	}

	// The outage.
	l.phase.Store(pgStopping)
	logBefore := len(srv.Log()) // what the log held before the outage
	stopping := time.Now()
	pg.stop()
	l.phase.Store(pgDown)
	down := time.Now()
	stopTook := down.Sub(stopping)
	notReady := waitFor(t, 15*time.Second, "/readyz answers 503 once PostgreSQL is down",
		func() bool { return ready() == http.StatusServiceUnavailable })
	// LOGINTOKENS_FAULTS_HOLD_DOWN (a duration) keeps PostgreSQL down at
	// least that long, to measure the log over a longer outage.
	holdDown, _ := time.ParseDuration(os.Getenv("LOGINTOKENS_FAULTS_HOLD_DOWN"))
	waitFor(t, 15*time.Second+holdDown, "1000 redeems answered while PostgreSQL is down",
		func() bool { return l.notOK(pgDown) >= 1000 && time.Since(down) >= holdDown })
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with PostgreSQL still down, want 503", st)
	}

	// PostgreSQL back; the service is left alone.
	l.phase.Store(pgStarting)
	restart := time.Now()
	outage := restart.Sub(down)
	pg.start()
	startTook := time.Since(restart)
	readyAgain := waitFor(t, 30*time.Second, "/readyz answers 200 again after PostgreSQL is back",
		func() bool { return ready() == http.StatusOK })
	l.phase.Store(pgRecovered)
	resumed := waitFor(t, 30*time.Second, "200 successes after recovery", func() bool { return l.ok[pgRecovered].Load() >= 200 })
	l.stop()

	if !srv.Running() {
		t.Fatalf("serve exited during the outage: %v\n%s", srv.Err(), srv.Log())
	}
	for _, p := range l.foundProblems() {
		t.Errorf("an answer %s", p)
	}
	// Before the fault and after recovery every redeem succeeds, but for
	// those in flight when PostgreSQL stopped: it aborted them. A 429
	// would mean the outage's errors counted toward the client's limit.
	for _, phase := range []int32{pgUp, pgRecovered} {
		if n := l.notOK(phase) - l.lateNotOK[phase].Load(); n != 0 {
			t.Errorf("phase %d: %d redeems failed (%v), want only 200 but for those in flight when the phase ended: %v",
				phase, n, l.statusesIn(phase), l.distinctBodies())
		}
	}
	// While PostgreSQL is down nothing succeeds; during the whole outage
	// every failure is a 503 (checked above: UNAVAILABLE, Retry-After,
	// problem+json), never a 500, nor a 4xx that blames the caller's key
	// or token.
	if n := l.ok[pgDown].Load(); n != 0 {
		t.Errorf("%d redeems succeeded with PostgreSQL down", n)
	}
	for _, phase := range []int32{pgStopping, pgDown, pgStarting} {
		for st, n := range l.statusesIn(phase) {
			if st != http.StatusOK && st != http.StatusServiceUnavailable {
				t.Errorf("phase %d: %d answers %d during the outage, want 503: %v", phase, n, st, l.distinctBodies())
			}
		}
	}
	if l.notOK(pgDown) == 0 {
		t.Error("no redeem failed while PostgreSQL was down")
	}
	var sent, seen, failed, noAnswer int64
	for p := range l.sent {
		sent += l.sent[p].Load()
		seen += l.ok[p].Load()
		failed += l.notOK(int32(p))
		noAnswer += l.noAnswer[p].Load() + l.refused[p].Load()
	}
	if noAnswer != 0 {
		t.Errorf("%d redeems got no answer: the service must answer during an outage", noAnswer)
	}
	after := getToken(t, srv.LocalURL, admin, tok.ID)
	if after.SuccessfulAttempts < seen {
		t.Errorf("successfulAttempts = %d, fewer than the %d successes the clients saw", after.SuccessfulAttempts, seen)
	}
	// A commit whose answer PostgreSQL's shutdown cut off may have
	// happened: those redeems answered 503 and may count.
	if after.SuccessfulAttempts > seen+failed {
		t.Errorf("successfulAttempts = %d, more than the %d successes seen plus %d failures", after.SuccessfulAttempts, seen, failed)
	}
	if after.FailedAttempts != 0 {
		t.Errorf("failedAttempts = %d, want 0: an outage is not the client's failure", after.FailedAttempts)
	}
	logs := srv.Log()
	for what, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the service's log carries %s", what)
		}
	}
	// The outage is reported at most once per interval (10 s), with the
	// count of refused requests, not once per request: the outage here
	// lasts a few seconds, so a line when it begins and at most a few
	// more. Nothing else is logged at ERROR or WARN from then on.
	outageLines, errorLines := 0, 0
	for _, line := range strings.Split(logs[logBefore:], "\n") {
		switch {
		case strings.Contains(line, "database unavailable"):
			outageLines++
		case strings.Contains(line, "level=ERROR"), strings.Contains(line, "level=WARN"):
			errorLines++
			if errorLines <= 5 {
				t.Logf("log: %s", line)
			}
		}
	}
	if outageLines < 1 || outageLines > 5 {
		t.Errorf("the log reports the outage in %d lines, want 1 to 5", outageLines)
	}
	if errorLines != 0 {
		t.Errorf("the log has %d other ERROR or WARN lines, want none", errorLines)
	}
	window := restart.Add(startTook + readyAgain).Sub(stopping) // from pg_ctl stop to /readyz 200

	t.Logf("requests: %d sent, %d succeeded, %d failed; answers by phase: up %v, stopping %v, down %v, starting %v, recovered %v",
		sent, seen, failed, l.statusesIn(pgUp), l.statusesIn(pgStopping), l.statusesIn(pgDown), l.statusesIn(pgStarting), l.statusesIn(pgRecovered))
	t.Logf("pg_ctl stop took %s, /readyz 503 %s after it; down for %s; pg_ctl start took %s, /readyz 200 %s after it, 200 successes %s after that",
		stopTook.Round(time.Millisecond), notReady.Round(time.Millisecond), outage.Round(time.Millisecond),
		startTook.Round(time.Millisecond), readyAgain.Round(time.Millisecond), resumed.Round(time.Millisecond))
	t.Logf("successfulAttempts %d for %d successes seen (%d more); the service logged %d internal errors and %d not-ready warnings",
		after.SuccessfulAttempts, seen, after.SuccessfulAttempts-seen, strings.Count(logs, `msg="internal error"`), strings.Count(logs, "not ready"))
	t.Logf("log lines about the outage: %d outage reports, %d other ERROR/WARN lines in the %s from pg_ctl stop to /readyz 200: %.2f lines a second",
		outageLines, errorLines, window.Round(time.Millisecond), float64(outageLines+errorLines)/window.Seconds())
	t.Logf("/readyz answers by status: %v", probes)
	for _, b := range l.distinctBodies() {
		t.Logf("answer during the outage: %s", b)
	}
	srv.Stop()
}

var readyClient = &http.Client{Timeout: 10 * time.Second}

// readyz returns the status and body of /readyz, 0 without an answer.
func readyz(t *testing.T, base string) (int, []byte) {
	t.Helper()
	resp, err := readyClient.Get(base + "/readyz")
	if err != nil {
		t.Logf("/readyz: %v", err)
		return 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// pgCluster is a PostgreSQL cluster of the test's own: its own folder,
// port and socket, so that the shared server on 5432 is never touched.
type pgCluster struct {
	t       *testing.T
	bin     string // the folder of initdb and pg_ctl
	dir     string // the cluster's folder: data/, the log and the socket
	port    int
	runuser string // as root: runuser, to run as the postgres user
}

// newPGCluster creates and starts a cluster, or skips (fails with
// CI=true) when PostgreSQL's server binaries are not installed. It is
// stopped and removed at cleanup.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	c := &pgCluster{t: t, bin: postgresBin()}
	if c.bin == "" {
		skipOrFail(t, "the PostgreSQL fault test needs initdb and pg_ctl (apt-get install postgresql, or set LOGINTOKENS_PG_BIN to their folder)")
	}
	dir, err := os.MkdirTemp("", "logintokens-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		// -m fast: the service is already stopped; the cluster may be
		// down already if the test failed during the outage.
		if out, err := c.command("pg_ctl", "stop", "-D", c.data(), "-m", "fast", "-w", "-t", "60").CombinedOutput(); err != nil &&
			!bytes.Contains(out, []byte("Is server running?")) {
			t.Logf("pg_ctl stop: %v: %s", err, out)
		}
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			skipOrFail(t, "running as root, the PostgreSQL fault test needs a postgres user to run the cluster as")
		}
		if c.runuser, err = exec.LookPath("runuser"); err != nil {
			skipOrFail(t, "running as root, the PostgreSQL fault test needs runuser (util-linux)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")
	c.port = freePort(t)
	c.start()
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the cluster and waits (pg_ctl -w) until it accepts
// connections. fsync is off: this cluster is about outages, not
// durability, and is thrown away.
func (c *pgCluster) start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	c.run("pg_ctl", "start", "-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"), "-w", "-t", "60", "-o", opts)
}

// stop shuts the cluster down the way an operator's restart does: fast,
// aborting open transactions and closing every connection.
func (c *pgCluster) stop() {
	c.t.Helper()
	c.run("pg_ctl", "stop", "-D", c.data(), "-m", "fast", "-w", "-t", "60")
}

func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runuser != "" {
		cmd = exec.Command(c.runuser, append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	// The postgres user may not enter the test's working folder.
	cmd.Dir = c.dir
	return cmd
}

func (c *pgCluster) run(name string, args ...string) {
	c.t.Helper()
	out, err := c.command(name, args...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
		c.t.Fatalf("%s %v: %v\n%s\npostgres.log:\n%s", name, args, err, out, log)
	}
}

// postgresBin finds the folder of initdb and pg_ctl: LOGINTOKENS_PG_BIN,
// else the newest /usr/lib/postgresql/*/bin, else PATH.
func postgresBin() string {
	if dir := os.Getenv("LOGINTOKENS_PG_BIN"); dir != "" {
		return dir
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(matches, func(i, j int) bool { return pgVersion(matches[i]) > pgVersion(matches[j]) })
	for _, m := range matches {
		if _, err := os.Stat(filepath.Join(filepath.Dir(m), "initdb")); err == nil {
			return filepath.Dir(m)
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	return ""
}

// pgVersion is the major version in /usr/lib/postgresql/N/bin/pg_ctl.
func pgVersion(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// freePort asks the kernel for a free loopback port (never 5432, the
// shared server's).
func freePort(t *testing.T) int {
	t.Helper()
	for range 10 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port != 5432 {
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// skipOrFail skips, except in CI, where a missing tool is a failure.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
