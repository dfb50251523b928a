package backoffice_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
)

// holdPassword is a wrong password whose check waits in the store until
// the test lets it go: those checks keep the slots busy.
const holdPassword = "hold this check in its slot"

// holdingStore counts the password checks that reach the store and keeps
// the checks of holdPassword there until release is closed.
type holdingStore struct {
	backoffice.Store
	checks, held atomic.Int64
	release      chan struct{}
}

func (h *holdingStore) AuthenticateStaff(ctx context.Context, email, password string) (*lt.Staff, error) {
	h.checks.Add(1)
	if password == holdPassword {
		h.held.Add(1)
		<-h.release
	}
	return h.Store.AuthenticateStaff(ctx, email, password)
}

// siege is a backoffice under a flood: staffEmail's own network
// (homeAddr, an office behind one address, say) and other addresses
// have sent it wrong passwords for staffEmail, and held sign-ins keep
// every ordinary slot busy. Before the flood, the staff member signed in
// from home and got device; other got otherDevice, for another account.
type siege struct {
	o                   *testOffice
	store               *holdingStore
	device, otherDevice *http.Cookie
}

const (
	staffEmail = "admin@localhost"
	homeAddr   = "192.0.2.10"
	freshAddr  = "203.0.113.77"
)

func newSiege(t *testing.T, opts ...func(*backoffice.Config)) *siege {
	t.Helper()
	const slots = 2
	hs := &holdingStore{release: make(chan struct{})}
	clock := &testClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	opts = append([]func(*backoffice.Config){behindProxy, passwordChecks(slots), func(c *backoffice.Config) {
		hs.Store, c.Store, c.Now = c.Store, hs, clock.now
	}}, opts...)
	o := newOffice(t, "sqlite", opts...)
	o.staff(staffEmail, "configuration:owner")
	o.staff("ops@shop.test", "configuration:viewer")
	s := &siege{o: o, store: hs}
	var status int
	if status, _, s.device = o.signInWith(homeAddr, staffEmail, testPassword, nil); status != http.StatusSeeOther {
		t.Fatalf("signing in from home: %d", status)
	}
	if status, _, s.otherDevice = o.signInWith(homeAddr, "ops@shop.test", testPassword, nil); status != http.StatusSeeOther {
		t.Fatalf("ops signing in: %d", status)
	}

	// The flood: wrong passwords for the account from other addresses,
	// and from the staff member's own until its next one is refused.
	for i := range 4 {
		if status, _, _ := o.signInWith(fmt.Sprintf("198.51.100.%d", i+1), staffEmail, "a wrong password", nil); status != http.StatusUnauthorized {
			t.Fatalf("wrong password from address %d: %d", i+1, status)
		}
	}
	for i := range 5 {
		if status, _, _ := o.signInWith(homeAddr, staffEmail, "a wrong password", nil); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d from home: %d", i+1, status)
		}
	}
	// Every ordinary slot held by a sign-in from yet another address.
	var wg sync.WaitGroup
	for i := range slots {
		wg.Go(func() { o.signInWith(fmt.Sprintf("198.51.101.%d", i+1), staffEmail, holdPassword, nil) })
	}
	t.Cleanup(func() { close(hs.release); wg.Wait() })
	for hs.held.Load() < slots {
		runtime.Gosched()
	}
	return s
}

// try signs in with password from addr, presenting device (nil: none),
// and answers the status and how many passwords it had checked.
func (s *siege) try(addr, password string, device *http.Cookie) (status int, checked int64) {
	s.o.t.Helper()
	before := s.store.checks.Load()
	status, _, _ = s.o.signInWith(addr, staffEmail, password, device)
	return status, s.store.checks.Load() - before
}

// signInWith posts the sign-in form from addr (through the trusted
// proxy) with device as the device cookie (nil: none), and answers the
// status, the headers and the device cookie it was given. It may run on
// any goroutine.
func (o *testOffice) signInWith(addr, email, password string, device *http.Cookie) (int, http.Header, *http.Cookie) {
	const csrf = "a double-submitted sign-in token"
	form := url.Values{"email": {email}, "password": {password}, "csrf": {csrf}}
	req, _ := http.NewRequest("POST", o.URL+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	req.AddCookie(&http.Cookie{Name: "lt_login_csrf", Value: csrf})
	if device != nil {
		req.AddCookie(&http.Cookie{Name: device.Name, Value: device.Value})
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		o.t.Error(err)
		return 0, nil, nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "lt_device" {
			return resp.StatusCode, resp.Header, c
		}
	}
	return resp.StatusCode, resp.Header, nil
}

// Under a flood of wrong passwords for their account, with every
// ordinary password check busy, a staff member whose browser signed in
// before gets in with the right password, from their own network or any
// other; without the device cookie, the same password is refused
// unchecked, as is a cookie that is forged, altered or another account's.
func TestADeviceCookieLetsItsStaffMemberInThroughAFlood(t *testing.T) {
	s := newSiege(t)
	for _, addr := range []string{homeAddr, freshAddr} {
		if status, checked := s.try(addr, testPassword, s.device); status != http.StatusSeeOther || checked != 1 {
			t.Errorf("the right password with the device cookie from %s: %d, %d checked; want 303, 1", addr, status, checked)
		}
	}
	if s.device == nil || s.otherDevice == nil {
		t.Fatalf("signing in gave device cookies %v and %v", s.device, s.otherDevice)
	}
	altered := func(f func(id, nonce, mac string) string) *http.Cookie {
		parts := strings.SplitN(s.device.Value, ".", 3)
		if len(parts) != 3 {
			t.Fatalf("device cookie %q: want id.nonce.mac", s.device.Value)
		}
		return &http.Cookie{Name: s.device.Name, Value: f(parts[0], parts[1], parts[2])}
	}
	flip := func(v string) string {
		if v[0] == 'A' {
			return "B" + v[1:]
		}
		return "A" + v[1:]
	}
	untrusted := []struct {
		name   string
		cookie *http.Cookie
	}{
		{"none", nil},
		{"another account's", s.otherDevice},
		{"another MAC", altered(func(id, nonce, mac string) string { return id + "." + nonce + "." + flip(mac) })},
		{"another nonce", altered(func(id, nonce, mac string) string { return id + "." + flip(nonce) + "." + mac })},
		{"another id", altered(func(id, nonce, mac string) string { return id + "1." + nonce + "." + mac })},
		{"without its MAC", altered(func(id, nonce, _ string) string { return id + "." + nonce })},
		{"overlong", altered(func(id, nonce, mac string) string { return id + "." + nonce + strings.Repeat("x", 200) + "." + mac })},
		{"garbage", &http.Cookie{Name: "lt_device", Value: "garbage"}},
	}
	for _, u := range untrusted {
		for addr, want := range map[string]int{homeAddr: http.StatusTooManyRequests, freshAddr: http.StatusServiceUnavailable} {
			if status, checked := s.try(addr, testPassword, u.cookie); status != want || checked != 0 {
				t.Errorf("the right password with device cookie %s from %s: %d, %d checked; want %d, none checked", u.name, addr, status, checked, want)
			}
		}
	}
}

// A device cookie is trusted for 5 wrong passwords: they are checked
// whatever the flood, and after them the cookie counts for nothing, so
// that a stolen cookie is worth 5 guesses (then one every 12 minutes).
func TestWrongPasswordsWithADeviceCookieStopTrustingIt(t *testing.T) {
	s := newSiege(t)
	if status, checked := s.try(freshAddr, testPassword, s.device); status != http.StatusSeeOther || checked != 1 {
		t.Fatalf("the right password with the device cookie: %d, %d checked; want 303, 1", status, checked)
	}
	for i := range 5 {
		if status, checked := s.try(freshAddr, fmt.Sprintf("wrong guess %d", i), s.device); status != http.StatusUnauthorized || checked != 1 {
			t.Fatalf("wrong password %d with the device cookie: %d, %d checked; want 401, 1", i+1, status, checked)
		}
	}
	for addr, want := range map[string]int{homeAddr: http.StatusTooManyRequests, freshAddr: http.StatusServiceUnavailable} {
		if status, checked := s.try(addr, testPassword, s.device); status != want || checked != 0 {
			t.Errorf("then the right password with the cookie from %s: %d, %d checked; want %d, none checked", addr, status, checked, want)
		}
	}
}

// The device cookie is sent with the sign-in alone, never to scripts or
// other sites, for a year, over https only behind https; it names the
// staff member by id, not by email.
func TestSigningInSetsTheDeviceCookie(t *testing.T) {
	for _, public := range []string{"http://127.0.0.1", "https://office.example"} {
		t.Run(public, func(t *testing.T) {
			o := newOffice(t, "sqlite", func(c *backoffice.Config) { c.PublicURL = public })
			st := o.staff("ops@shop.test", "configuration:viewer")
			_, h, device := o.signInWith("", "ops@shop.test", testPassword, nil)
			if device == nil {
				t.Fatalf("no device cookie: %q", h.Values("Set-Cookie"))
			}
			if !device.HttpOnly || device.SameSite != http.SameSiteStrictMode || device.Path != "/admin/login" ||
				device.MaxAge != 365*24*60*60 || device.Secure != strings.HasPrefix(public, "https:") {
				t.Errorf("device cookie %s", device)
			}
			if !strings.HasPrefix(device.Value, fmt.Sprintf("%d.", st.ID)) || strings.Contains(device.Value, "shop.test") {
				t.Errorf("device cookie value %q: want the staff id, not the email", device.Value)
			}
			if _, _, none := o.signInWith("", "ops@shop.test", "a wrong password", nil); none != nil {
				t.Errorf("a wrong password set device cookie %s", none)
			}
		})
	}
}
