package backoffice_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/ratelimit"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// countingStore counts the password checks that reach the store, and the
// most that ran at once.
type countingStore struct {
	backoffice.Store
	checks, running, peak atomic.Int64
}

func (c *countingStore) AuthenticateStaff(ctx context.Context, email, password string) (*lt.Staff, error) {
	c.checks.Add(1)
	n := c.running.Add(1)
	defer c.running.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	return c.Store.AuthenticateStaff(ctx, email, password)
}

// counting puts cs in front of the office's store.
func counting(cs *countingStore) func(*backoffice.Config) {
	return func(c *backoffice.Config) { cs.Store = c.Store; c.Store = cs }
}

// behindProxy trusts the test client as a proxy: each request names its
// client address in X-Forwarded-For.
func behindProxy(c *backoffice.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
}

func passwordChecks(n int) func(*backoffice.Config) {
	return func(c *backoffice.Config) { c.PasswordChecks = n }
}

// answers counts the statuses of a flood; noRetryAfter counts the 429s and
// 503s that came without Retry-After.
type answers struct {
	mu           sync.Mutex
	status       map[int]int
	noRetryAfter int
}

func (a *answers) add(status int, h http.Header) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status == nil {
		a.status = map[int]int{}
	}
	a.status[status]++
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && h.Get("Retry-After") == "" {
		a.noRetryAfter++
	}
}

// flood sends n sign-ins at once, the i-th as email(i) with a wrong
// password, all with one valid CSRF pair, from the one test address.
func (o *testOffice) flood(n int, email func(i int) string) *answers {
	o.t.Helper()
	b := o.browser()
	b.get("/admin/login")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	start := make(chan struct{})
	got := &answers{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			form := url.Values{"email": {email(i)}, "password": {fmt.Sprintf("wrong password %d", i)}, "csrf": {b.csrf}}
			req, _ := http.NewRequest("POST", o.URL+"/admin/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "lt_login_csrf", Value: b.csrf})
			<-start
			resp, err := client.Do(req)
			if err != nil {
				o.t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got.add(resp.StatusCode, resp.Header)
		})
	}
	close(start)
	wg.Wait()
	return got
}

// heapPeak samples the bytes of heap objects (live and not yet swept)
// until the returned function is called, which answers the highest
// sample.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			default:
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

const argonMiB = 19 << 20 // what one password check holds

// A flood of wrong sign-ins from one address cannot make the service hash
// more than the address's limit, nor hold more than a few hashes' memory:
// each attempt is counted before its check, and the checks running at
// once are bounded; the rest are answered 429 or 503 with Retry-After.
func TestAFloodOfWrongSignInsIsCountedBeforeHashingAndHoldsLittleMemory(t *testing.T) {
	const n, slots, networkLimit = 200, 2, 20
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			cs := &countingStore{}
			o := newOffice(t, kind, counting(cs), passwordChecks(slots))
			runtime.GC()
			sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			metrics.Read(sample)
			before := sample[0].Value.Uint64()
			stop := heapPeak()
			got := o.flood(n, func(i int) string { return fmt.Sprintf("nobody%d@flood.test", i) })
			peak := stop()
			growth := int64(peak) - int64(before)
			t.Logf("%d sign-ins: answers %v; %d password checks, at most %d at once; heap objects %d MiB before, peak %d MiB",
				n, got.status, cs.checks.Load(), cs.peak.Load(), before>>20, peak>>20)
			if cs.checks.Load() > networkLimit || cs.peak.Load() > slots {
				t.Errorf("%d passwords checked, %d at once; want at most %d, %d at once", cs.checks.Load(), cs.peak.Load(), networkLimit, slots)
			}
			if got.status[http.StatusUnauthorized] != int(cs.checks.Load()) ||
				got.status[http.StatusUnauthorized]+got.status[http.StatusTooManyRequests]+got.status[http.StatusServiceUnavailable] != n {
				t.Errorf("answers %v: want a 401 for each check and 429 or 503 for the rest", got.status)
			}
			if got.noRetryAfter != 0 {
				t.Errorf("%d refusals without Retry-After", got.noRetryAfter)
			}
			// The slots' hashes, twice over for garbage not yet collected,
			// and room for 200 connections.
			if bound := int64(2*slots*argonMiB + 64<<20); growth > bound {
				t.Errorf("the heap grew by %d MiB, want at most %d MiB", growth>>20, bound>>20)
			}
		})
	}
}

// Guesses at one account from one address sent at once: at most the
// account's 5 are checked, however many slots are free.
func TestConcurrentGuessesAtOneAccountCheckAtMostFive(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			cs := &countingStore{}
			o := newOffice(t, kind, counting(cs), passwordChecks(64))
			o.staff("ops@shop.test", "configuration:viewer")
			got := o.flood(30, func(int) string { return "ops@shop.test" })
			if cs.checks.Load() != 5 || got.status[http.StatusUnauthorized] != 5 || got.status[http.StatusTooManyRequests] != 25 || got.noRetryAfter != 0 {
				t.Fatalf("%d checked; answers %v (%d without Retry-After); want 5 checked, 5 × 401 and 25 × 429", cs.checks.Load(), got.status, got.noRetryAfter)
			}
			var audited int
			if err := o.Store.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = 'staff.sign_in_failed'`).Scan(&audited); err != nil || audited != 5 {
				t.Fatalf("%d failures audited (%v), want 5", audited, err)
			}
		})
	}
}

// signInFrom posts the sign-in form from addr (through the trusted proxy)
// and answers the status.
func (b *browser) signInFrom(addr, email, password string) (int, http.Header) {
	b.t.Helper()
	b.get("/admin/login")
	status, _, h := b.post("/admin/login", url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", addr)
	return status, h
}

// Wrong passwords for an account sent from elsewhere slow down those
// addresses, never the staff member at theirs: nothing counts per account
// alone.
func TestWrongPasswordsFromElsewhereNeverLockAStaffMemberOut(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind, behindProxy)
			o.staff("admin@localhost", "configuration:owner")
			b := o.browser()
			// Wrong passwords from ten addresses, and a flood from one more.
			for i := range 10 {
				if status, _ := b.signInFrom(fmt.Sprintf("198.51.100.%d", i+1), "admin@localhost", "a wrong password"); status != http.StatusUnauthorized {
					t.Fatalf("wrong password from address %d: %d", i+1, status)
				}
			}
			for i := range 8 {
				status, h := b.signInFrom("192.0.2.66", "admin@localhost", "a wrong password")
				if want := http.StatusUnauthorized; i >= 5 {
					if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
						t.Fatalf("guess %d from one address: %d, want 429 with Retry-After", i+1, status)
					}
				} else if status != want {
					t.Fatalf("guess %d from one address: %d, want 401", i+1, status)
				}
			}
			// The staff member, from their own address, signs in.
			if status, _ := b.signInFrom("203.0.113.77", "admin@localhost", testPassword); status != http.StatusSeeOther {
				t.Fatalf("the right password from a fresh address: %d, want 303", status)
			}
		})
	}
}

// An address that fails for many accounts is slowed down for every
// account, and IPv6 counts per /64 (or the configured prefix), IPv4 per
// address: moving within one's network gives no fresh budget.
func TestSignInFailuresCountPerNetwork(t *testing.T) {
	type probe struct {
		addr string // the right password from here
		want int
	}
	cases := []struct {
		name     string
		prefixes ratelimit.Prefixes
		fails    func(i int) string // the address of the i-th wrong password
		probes   []probe
	}{
		{"IPv4 per address", ratelimit.Prefixes{}, func(int) string { return "198.51.100.7" },
			[]probe{{"198.51.100.8", http.StatusSeeOther}, {"198.51.100.7", http.StatusTooManyRequests}, {"::ffff:198.51.100.7", http.StatusTooManyRequests}}},
		{"IPv6 per /64", ratelimit.Prefixes{}, func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) },
			[]probe{{"2001:db8:1:3::1", http.StatusSeeOther}, {"2001:db8:1:2:ffff::1", http.StatusTooManyRequests}}},
		{"a configured IPv6 /128", ratelimit.Prefixes{IPv6: 128}, func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) },
			[]probe{{"2001:db8:1:2:ffff::1", http.StatusSeeOther}}},
		{"a configured IPv4 /24", ratelimit.Prefixes{IPv4: 24}, func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) },
			[]probe{{"198.51.101.1", http.StatusSeeOther}, {"198.51.100.200", http.StatusTooManyRequests}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := newOffice(t, "sqlite", behindProxy, func(c *backoffice.Config) { c.AddressPrefixes = tc.prefixes })
			o.staff("ops@shop.test", "configuration:viewer")
			b := o.browser()
			// 20 wrong passwords, each for another account (none of them
			// reaches an account's own limit).
			for i := range 20 {
				if status, _ := b.signInFrom(tc.fails(i), fmt.Sprintf("guess%d@shop.test", i), "a wrong password"); status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i+1, status)
				}
			}
			for _, p := range tc.probes {
				if status, _ := o.browser().signInFrom(p.addr, "ops@shop.test", testPassword); status != p.want {
					t.Errorf("then the right password from %s: %d, want %d", p.addr, status, p.want)
				}
			}
		})
	}
}

// Changing the password checks the new one first: while it is not
// acceptable the answer is the same whatever the current password, and
// only then is the current one checked, counted with the sign-ins of the
// same account and network, and a wrong one audited.
func TestChangingThePasswordIsThrottledAuditedAndNoOracle(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clock := &testClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
			cs := &countingStore{}
			o := newOffice(t, kind, counting(cs), func(c *backoffice.Config) { c.Now = clock.now })
			st := o.staff("ops@shop.test", "configuration:viewer")
			b := o.browser()
			b.signIn("ops@shop.test")
			b.get("/admin/password")
			signInChecks := cs.checks.Load()

			// Unacceptable new passwords: the same answer with the right
			// and a wrong current password, and nothing checked.
			for _, bad := range []url.Values{
				{"password": {"short"}, "confirm": {"short"}},
				{"password": {"a new long password"}, "confirm": {"something else entirely"}},
			} {
				var answers [2]string
				for i, current := range []string{testPassword, "a wrong guess here"} {
					bad.Set("current", current)
					status, body, _ := b.post("/admin/password", bad)
					answers[i] = errorsOf(body)
					if status != http.StatusBadRequest || answers[i] == "" || strings.Contains(answers[i], "not the password you have now") {
						t.Fatalf("new %q, current %q: %d\n%s", bad.Get("password"), current, status, answers[i])
					}
				}
				if answers[0] != answers[1] {
					t.Fatalf("new %q: the answer with the right current password\n%s\ndiffers from the one with a wrong one\n%s", bad.Get("password"), answers[0], answers[1])
				}
			}
			// A new password equal to the (guessed) current one.
			if status, body, _ := b.post("/admin/password", url.Values{"current": {"a guess at it"}, "password": {"a guess at it"}, "confirm": {"a guess at it"}}); status != http.StatusBadRequest ||
				!strings.Contains(errorsOf(body), "is the one you have now") || strings.Contains(errorsOf(body), "not the password you have now") {
				t.Fatalf("new equal to current: %d\n%s", status, errorsOf(body))
			}
			if n := cs.checks.Load() - signInChecks; n != 0 {
				t.Fatalf("%d current passwords checked while the new one was not acceptable", n)
			}

			// An acceptable new password and a wrong current one: said
			// plainly, audited, counted.
			valid := url.Values{"password": {"my new long password"}, "confirm": {"my new long password"}}
			for i := range 5 {
				form := url.Values{"current": {fmt.Sprintf("guess number %d", i)}, "password": valid["password"], "confirm": valid["confirm"]}
				status, body, _ := b.post("/admin/password", form)
				if status != http.StatusBadRequest || !strings.Contains(body, "That is not the password you have now.") {
					t.Fatalf("wrong current password %d: %d\n%s", i+1, status, errorsOf(body))
				}
			}
			var audited int
			if err := o.Store.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = 'staff.password_change_failed' AND actor = '` + st.Actor() + `'`).Scan(&audited); err != nil || audited != 5 {
				t.Fatalf("%d wrong current passwords audited (%v), want 5", audited, err)
			}
			// The sixth try waits, even with the right current password,
			// and so does signing in again from here.
			form := url.Values{"current": {testPassword}, "password": valid["password"], "confirm": valid["confirm"]}
			status, body, h := b.post("/admin/password", form)
			if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "Too many wrong passwords") {
				t.Fatalf("after 5 wrong current passwords: %d Retry-After %q\n%s", status, h.Get("Retry-After"), errorsOf(body))
			}
			if n := cs.checks.Load() - signInChecks; n != 5 {
				t.Fatalf("%d current passwords checked, want 5", n)
			}
			other := o.browser()
			other.get("/admin/login")
			if status, _, _ := other.post("/admin/login", url.Values{"email": {"ops@shop.test"}, "password": {testPassword}}); status != http.StatusTooManyRequests {
				t.Fatalf("signing in from the same address meanwhile: %d, want 429", status)
			}

			// A minute later one attempt is back: the right current
			// password changes it.
			clock.add(time.Minute)
			if status, body, _ := b.post("/admin/password", form); status != http.StatusSeeOther {
				t.Fatalf("a minute later: %d\n%s", status, errorsOf(body))
			}
			if _, err := o.Store.AuthenticateStaff(ctx, "ops@shop.test", "my new long password"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// errorsOf is the messages of a page: its alert and field errors.
func errorsOf(body string) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if strings.Contains(line, `class="field-error"`) || strings.Contains(line, `class="alert"`) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}
