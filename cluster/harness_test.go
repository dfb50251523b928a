// Package cluster runs several instances of the service behind a real
// load balancer: it builds cmd/logintokens, starts three `serve`
// processes on one PostgreSQL schema and Debian's HAProxy in front of
// them with deploy/haproxy.cfg, all on loopback ports the test picks, and
// drives redeem load through HAProxy while instances are revoked,
// rotated, restarted and killed. Without haproxy or PostgreSQL the tests
// skip; with CI=true they fail instead.
package cluster

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/servicetest"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// binary is the logintokens every test runs, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	var cleanup func()
	binary, cleanup = servicetest.Build()
	defer cleanup()
	m.Run()
}

// instances is how many serve processes the cluster runs.
const instances = 3

// Settings of every instance.
const (
	// failuresPerMinute is each client network's failure limit, summed
	// over the instances.
	failuresPerMinute = 12
	// shutdownDelay outlasts HAProxy's two failed checks one second apart
	// (deploy/haproxy.cfg) with room for a busy machine.
	shutdownDelay = "4s"
	adminPassword = "cluster admin password"
)

// cluster is three instances on one database behind HAProxy.
type cluster struct {
	t testing.TB
	// front is HAProxy's address, the service's public URL.
	front string
	// env is every instance's and command's configuration but the
	// address and the server keys.
	env   []string
	keys  []string // LOGINTOKENS_SECRET_KEY=..., LOGINTOKENS_SECRET_KEY_PREVIOUS=...
	addrs [instances]string
	inst  [instances]*servicetest.Service
	dbURL string

	socket  string
	haproxy *exec.Cmd
	hlog    *lockedBuffer
	hdone   chan struct{}
}

// requireHAProxy returns the haproxy binary, skipping the test without
// one, or failing it in CI, which installs Debian's.
func requireHAProxy(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("haproxy is not installed: CI runs the cluster tests (apt-get install haproxy)")
		}
		t.Skip("the cluster tests need haproxy (apt-get install haproxy)")
	}
	return path
}

// freePort returns a loopback address no one listens on now. An instance
// restarts on the same one, which HAProxy's configuration names.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newKey() string {
	key := make([]byte, lt.KeySize)
	rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// startCluster migrates a fresh schema once, starts three instances on it
// and HAProxy in front, and returns once HAProxy sees every instance up.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	haproxy := requireHAProxy(t)
	c := &cluster{t: t, dbURL: sqlstoretest.PostgresURL(t)}
	c.front = "http://" + freePort(t)
	for i := range c.addrs {
		c.addrs[i] = freePort(t)
	}
	c.env = []string{
		"LOGINTOKENS_DATABASE_URL=" + c.dbURL,
		"LOGINTOKENS_PUBLIC_URL=" + c.front,
		"LOGINTOKENS_ADMIN_PASSWORD=" + adminPassword,
		// HAProxy, and the test that stands for a proxy in front of it,
		// connect from the loopback: X-Forwarded-For names the client.
		"LOGINTOKENS_TRUSTED_PROXIES=127.0.0.1",
		fmt.Sprintf("LOGINTOKENS_REDEEM_FAILURES_PER_MINUTE=%d", failuresPerMinute),
		"LOGINTOKENS_SHUTDOWN_DELAY=" + shutdownDelay,
	}
	c.keys = []string{"LOGINTOKENS_SECRET_KEY=" + newKey()}
	// Migrations run once, before any instance starts.
	c.run("migrate")
	for i := range c.inst {
		c.start(i)
	}
	c.startHAProxy(haproxy)
	c.waitUp(-1)
	return c
}

// config is the configuration of instances and commands now.
func (c *cluster) config() []string {
	return append(append([]string{}, c.env...), c.keys...)
}

// run runs a logintokens command on the cluster's database and returns
// its standard output.
func (c *cluster) run(args ...string) string {
	c.t.Helper()
	return servicetest.Run(c.t, binary, c.config(), "", args...)
}

// start starts instance i on its address.
func (c *cluster) start(i int) {
	c.t.Helper()
	c.inst[i] = servicetest.Start(c.t, binary, nil, append(c.config(), "LOGINTOKENS_ADDR="+c.addrs[i]))
}

// local is instance i's own address, past HAProxy.
func (c *cluster) local(i int) string { return "http://" + c.addrs[i] }

func (c *cluster) startHAProxy(bin string) {
	t := c.t
	t.Helper()
	cfg, err := filepath.Abs(filepath.Join("..", "deploy", "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	c.socket = filepath.Join(t.TempDir(), "haproxy.sock")
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Env = append(os.Environ(),
		"LT_FRONTEND="+strings.TrimPrefix(c.front, "http://"),
		"LT_HAPROXY_SOCKET="+c.socket,
		"LT_APP1="+c.addrs[0], "LT_APP2="+c.addrs[1], "LT_APP3="+c.addrs[2])
	c.hlog = &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = c.hlog, c.hlog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.haproxy, c.hdone = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(c.hdone) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGUSR1) // soft stop
		select {
		case <-c.hdone:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-c.hdone
		}
	})
}

// serverStates asks HAProxy's runtime API for each instance's check
// status ("UP", "DOWN", "UP 1/2", ...), by server name app1..app3.
func (c *cluster) serverStates() (map[string]string, error) {
	conn, err := net.DialTimeout("unix", c.socket, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "show stat\n"); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("# "))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("show stat: %v: %q", err, out)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	states := map[string]string{}
	for _, row := range rows[1:] {
		if len(row) > col["status"] && row[col["pxname"]] == "instances" && strings.HasPrefix(row[col["svname"]], "app") {
			states[row[col["svname"]]] = row[col["status"]]
		}
	}
	return states, nil
}

// waitUp waits until HAProxy's checks find instance i up (every instance
// with -1), polling its runtime API, or fails the test after a minute.
func (c *cluster) waitUp(i int) {
	c.t.Helper()
	c.waitState(i, "UP")
}

// waitDown waits until HAProxy has taken instance i out.
func (c *cluster) waitDown(i int) {
	c.t.Helper()
	c.waitState(i, "DOWN")
}

func (c *cluster) waitState(i int, want string) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		states, err := c.serverStates()
		ok := err == nil && len(states) == instances
		for n := range instances {
			if i < 0 || n == i {
				ok = ok && states[fmt.Sprintf("app%d", n+1)] == want
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("HAProxy did not see instance %d %s within a minute: %v %v\nHAProxy:\n%s", i+1, want, states, err, c.hlog)
		}
		select {
		case <-c.hdone:
			c.t.Fatalf("HAProxy exited:\n%s", c.hlog)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// restart stops instance i with SIGTERM, checks that it exits 0, and
// starts it again with the cluster's configuration now; it returns once
// HAProxy sees it up again.
func (c *cluster) restart(i int) {
	c.t.Helper()
	c.inst[i].Stop()
	c.start(i)
	c.waitUp(i)
}

// lockedBuffer is a bytes.Buffer that a process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// firstLine is a command's first line of output: the secret, for scripts.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// client sends the test's requests: keep-alive connections, as a shop's
// back end or a browser keeps them to the balancer.
func newClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// logTail is the end of a log, for failure messages.
func logTail(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}
