package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// redeemAnswer is the redeem route's answer, success or problem.
type redeemAnswer struct {
	Assertion string `json:"assertion"`
	Code      string `json:"code"`
}

// redeem presents value at base as the webshop key, for the client at
// addr (X-Forwarded-For; "" for none), and returns the status, the
// answer and the instance that served it (HAProxy's X-Served-By).
func redeem(hc *http.Client, base, key, value, addr string) (int, redeemAnswer, string, error) {
	body, _ := json.Marshal(map[string]string{"token": value})
	req, err := http.NewRequest("POST", base+"/api/v1/login-tokens/redeem", bytes.NewReader(body))
	if err != nil {
		return 0, redeemAnswer{}, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, redeemAnswer{}, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, redeemAnswer{}, "", err
	}
	var a redeemAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return resp.StatusCode, a, resp.Header.Get("X-Served-By"), fmt.Errorf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	return resp.StatusCode, a, resp.Header.Get("X-Served-By"), nil
}

// load redeems reusable tokens through HAProxy with workers at once until
// stopped, counting every answer; every assertion goes to the verifier.
type load struct {
	requests, ok atomic.Int64
	mu           sync.Mutex
	failures     []string // the first few answers that were not 2xx
	failed       int
	byServer     map[string]int
	stop         chan struct{}
	wg           sync.WaitGroup
	start        time.Time
	elapsed      time.Duration
}

func (c *cluster) startLoad(workers int, key string, values []string, v *verifier) *load {
	l := &load{stop: make(chan struct{}), byServer: map[string]int{}, start: time.Now()}
	hc := newClient()
	for w := range workers {
		l.wg.Go(func() {
			addr := fmt.Sprintf("198.18.%d.%d", w/200, w%200+1)
			for n := w; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				status, a, server, err := redeem(hc, c.front, key, values[n%len(values)], addr)
				l.requests.Add(1)
				l.mu.Lock()
				l.byServer[server]++
				l.mu.Unlock()
				if err != nil || status != http.StatusOK || a.Assertion == "" {
					l.fail(fmt.Sprintf("%s: %d %s (%v)", time.Now().Format("15:04:05.000"), status, a.Code, err))
					continue
				}
				l.ok.Add(1)
				v.add(a.Assertion)
			}
		})
	}
	return l
}

func (l *load) fail(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed++
	if len(l.failures) < 10 {
		l.failures = append(l.failures, what)
	}
}

// end stops the load and waits for the requests in flight.
func (l *load) end() {
	close(l.stop)
	l.wg.Wait()
	l.elapsed = time.Since(l.start)
}

func (l *load) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d requests in %s (%.0f/s), %d answered 200 with an assertion, %d not (first: %s); served by %v",
		l.requests.Load(), l.elapsed.Round(time.Millisecond), float64(l.requests.Load())/l.elapsed.Seconds(), l.ok.Load(), l.failed,
		strings.Join(l.failures, "; "), l.byServer)
}

// verifier checks every assertion against the JWKS of every instance, as a
// shop would: each instance's keys are cached and fetched again when an
// assertion names a kid the cache lacks. An instance that does not answer
// (restarting) is asked again later, while the assertion is still valid.
type verifier struct {
	c       *cluster
	hc      *http.Client
	in      chan string
	done    chan struct{}
	mu      sync.Mutex
	keys    [instances]map[string]jose.JSONWebKey
	pending []string
	checked int
	kids    map[string]int // assertions per signing key
	errs    []string
}

func (c *cluster) newVerifier() *verifier {
	v := &verifier{c: c, hc: newClient(), in: make(chan string, 4096), done: make(chan struct{}), kids: map[string]int{}}
	for i := range v.keys {
		v.keys[i] = map[string]jose.JSONWebKey{}
	}
	go v.loop()
	return v
}

func (v *verifier) add(assertion string) { v.in <- assertion }

func (v *verifier) loop() {
	defer close(v.done)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case a, ok := <-v.in:
			if !ok {
				// The end: every instance must answer now.
				for _, p := range v.takePending() {
					v.check(p, true)
				}
				return
			}
			v.check(a, false)
		case <-tick.C:
			for _, p := range v.takePending() {
				v.check(p, false)
			}
		}
	}
}

func (v *verifier) takePending() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.pending
	v.pending = nil
	return p
}

// check verifies a on every instance; one that does not answer leaves a
// pending unless final.
func (v *verifier) check(a string, final bool) {
	sig, err := jose.ParseSigned(a, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(sig.Signatures) != 1 {
		v.errorf("an assertion that is not one ES256 JWS: %v", err)
		return
	}
	kid := sig.Signatures[0].Header.KeyID
	for i := range instances {
		key, ok := v.keys[i][kid]
		if !ok {
			if err := v.fetch(i); err != nil {
				if final {
					v.errorf("instance %d's JWKS: %v", i+1, err)
					return
				}
				v.mu.Lock()
				v.pending = append(v.pending, a)
				v.mu.Unlock()
				return
			}
			if key, ok = v.keys[i][kid]; !ok {
				v.errorf("instance %d does not publish kid %s of an assertion it may be shown", i+1, kid)
				return
			}
		}
		payload, err := sig.Verify(key)
		if err != nil {
			v.errorf("an assertion does not verify with instance %d's key %s: %v", i+1, kid, err)
			return
		}
		var claims jwt.Claims
		if err := json.Unmarshal(payload, &claims); err != nil || claims.Issuer != v.c.front {
			v.errorf("claims %s: iss is not the balancer's URL %s (%v)", payload, v.c.front, err)
			return
		}
	}
	v.mu.Lock()
	v.checked++
	v.kids[kid]++
	v.mu.Unlock()
}

// fetch loads instance i's JWKS into its cache.
func (v *verifier) fetch(i int) error {
	resp, err := v.hc.Get(v.c.local(i) + "/.well-known/jwks.json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return err
	}
	for _, k := range set.Keys {
		v.keys[i][k.KeyID] = k
	}
	return nil
}

func (v *verifier) errorf(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.errs) < 10 {
		v.errs = append(v.errs, fmt.Sprintf(format, args...))
	}
}

// kidsSeen returns how many assertions each signing key signed so far.
func (v *verifier) kidsSeen() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]int{}
	for k, n := range v.kids {
		out[k] = n
	}
	return out
}

// finish verifies what is left, with every instance up, and fails t for
// any assertion that did not verify everywhere.
func (v *verifier) finish(t *testing.T) int {
	t.Helper()
	close(v.in)
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.errs) > 0 {
		t.Errorf("assertions that do not verify on every instance's JWKS:\n%s", strings.Join(v.errs, "\n"))
	}
	return v.checked
}
