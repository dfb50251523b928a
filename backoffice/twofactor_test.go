package backoffice_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// totpAt computes an RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) with the
// test's own few lines, not the library the service uses.
func totpAt(key string, at time.Time) string {
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(key, " ", ""))
	if err != nil {
		panic(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1000000)
}

var (
	totpKeyShown  = regexp.MustCompile(`<code id="totp-key" class="mono">([A-Z2-7 ]+)</code>`)
	recoveryShown = regexp.MustCompile(`<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>`)
)

// enrol sets up an authenticator for the signed-in browser and returns
// its key and the recovery codes.
func (b *browser) enrol(at time.Time) (string, []string) {
	b.t.Helper()
	status, body, _ := b.get("/admin/two-factor")
	m := totpKeyShown.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
		b.t.Fatalf("enrolment page: %d, want a key and an inline QR code:\n%s", status, body)
	}
	status, body, _ = b.post("/admin/two-factor", url.Values{"code": {totpAt(m[1], at)}})
	codes := recoveryShown.FindAllStringSubmatch(body, -1)
	if status != http.StatusOK || len(codes) != lt.RecoveryCodeCount {
		b.t.Fatalf("confirm: %d, %d recovery codes:\n%s", status, len(codes), body)
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c[1]
	}
	return m[1], out
}

// password sends the password step and returns where it leads.
func (b *browser) password(email string) string {
	b.t.Helper()
	b.get("/admin/login")
	status, body, h := b.post("/admin/login", url.Values{"email": {email}, "password": {testPassword}, "next": {"/admin/login-tokens"}})
	if status != http.StatusSeeOther {
		b.t.Fatalf("password step: %d %s", status, body)
	}
	return h.Get("Location")
}

func (b *browser) code(code string) (int, string, http.Header) {
	b.t.Helper()
	b.get("/admin/login/code")
	return b.post("/admin/login/code", url.Values{"code": {code}, "next": {"/admin/login-tokens"}})
}

func TestTwoFactorSignInTakesACodeOnceWithinOneStepAndRecoveryCodesOnce(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t0 := time.Date(2026, 11, 26, 10, 0, 10, 0, time.UTC)
			clock := &testClock{t: t0}
			o := newOffice(t, kind, func(c *backoffice.Config) { c.Now = clock.now })
			storeClock := sqlstoretest.SetClock(o.Store, t0)
			o.staff("ann@shop.test", "configuration:owner")
			b := o.browser()
			b.signIn("ann@shop.test")
			key, recovery := b.enrol(t0)

			// The password alone opens nothing now.
			other := o.browser()
			if loc := other.password("ann@shop.test"); !strings.HasPrefix(loc, "/admin/login/code") {
				t.Fatalf("the password step leads to %s, want the code step", loc)
			}
			if status, _, h := other.get("/admin/login-tokens"); status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/login") {
				t.Fatalf("half signed in, the tokens page: %d %s, want a redirect to sign in", status, h.Get("Location"))
			}
			// The code that confirmed the set-up is used up.
			if status, _, _ := other.code(totpAt(key, t0)); status != http.StatusUnauthorized {
				t.Fatalf("a code used already: %d, want 401", status)
			}
			// One step late is accepted, once.
			storeClock.Add(lt.TOTPPeriod)
			late := totpAt(key, t0.Add(2*lt.TOTPPeriod)) // the next step's code, from a phone ahead by one
			if status, body, h := other.code(late); status != http.StatusSeeOther || h.Get("Location") != "/admin/login-tokens" {
				t.Fatalf("a code one step ahead: %d %s", status, body)
			}
			if status, _, _ := other.get("/admin/login-tokens"); status != http.StatusOK {
				t.Fatalf("signed in with the code, the tokens page: %d", status)
			}
			third := o.browser()
			third.password("ann@shop.test")
			if status, _, _ := third.code(late); status != http.StatusUnauthorized {
				t.Fatal("the same code signed in twice")
			}
			// Two steps off is too far.
			if status, _, _ := third.code(totpAt(key, storeClock.T.Add(2*lt.TOTPPeriod))); status != http.StatusUnauthorized {
				t.Fatal("a code two steps ahead signed in")
			}
			// A recovery code, typed in capitals, signs in once.
			if status, _, _ := third.code(strings.ToUpper(recovery[0])); status != http.StatusSeeOther {
				t.Fatal("a recovery code did not sign in")
			}
			fourth := o.browser()
			fourth.password("ann@shop.test")
			if status, _, _ := fourth.code(recovery[0]); status != http.StatusUnauthorized {
				t.Fatal("a recovery code signed in twice")
			}
			// The pending sign-in ends after its window.
			storeClock.Add(lt.SecondFactorWindow)
			if status, _, _ := fourth.code(recovery[1]); status != http.StatusUnauthorized {
				t.Fatal("a pending sign-in outlived its window")
			}
			if status, _, _ := fourth.get("/admin/login-tokens"); status != http.StatusSeeOther {
				t.Fatal("an expired pending sign-in opens a page")
			}
		})
	}
}

func TestWrongCodesAreThrottledWithThePasswordsAndARightPasswordForgetsNone(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t0 := time.Date(2026, 11, 26, 10, 0, 10, 0, time.UTC)
			clock := &testClock{t: t0}
			o := newOffice(t, kind, func(c *backoffice.Config) { c.Now = clock.now })
			sqlstoretest.SetClock(o.Store, t0)
			o.staff("ann@shop.test", "configuration:owner")
			b := o.browser()
			b.signIn("ann@shop.test")
			key, _ := b.enrol(t0)
			attacker := o.browser()
			// 3 wrong codes, the password again, 2 more: the 5 of the
			// account are used up whatever the right password did.
			attacker.password("ann@shop.test")
			for range 3 {
				if status, _, _ := attacker.code("000000"); status != http.StatusUnauthorized {
					t.Fatalf("a wrong code: %d", status)
				}
			}
			attacker.password("ann@shop.test")
			for range 2 {
				attacker.code("000000")
			}
			status, _, h := attacker.code(totpAt(key, t0.Add(lt.TOTPPeriod)))
			if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
				t.Fatalf("the sixth code: %d, want 429 with Retry-After", status)
			}
			// The password is refused too, counted on the same keys.
			attacker.get("/admin/login")
			if status, _, _ := attacker.post("/admin/login", url.Values{"email": {"ann@shop.test"}, "password": {testPassword}}); status != http.StatusTooManyRequests {
				t.Fatalf("the password after the wrong codes: %d, want 429", status)
			}
			if n := countEvents(t, o, lt.EventStaffTwoFactorFailed); n != 5 {
				t.Fatalf("%d two_factor_failed events, want 5", n)
			}
		})
	}
}

func TestRequiredTwoFactorSendsStaffToEnrolAndAnOwnerCanResetIt(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t0 := time.Date(2026, 11, 26, 10, 0, 10, 0, time.UTC)
			o := newOffice(t, kind)
			clock := sqlstoretest.SetClock(o.Store, t0)
			o.staff("owner@shop.test", "configuration:owner", "users:owner")
			bob := o.staff("bob@shop.test", "configuration:editor")
			owner := o.browser()
			owner.signIn("owner@shop.test")
			owner.get("/admin/settings/staff")
			if status, body, _ := owner.post("/admin/settings/staff/two-factor", url.Values{"required": {"maybe"}}); status != http.StatusBadRequest || !strings.Contains(body, "required") {
				t.Fatalf("a bad required: %d", status)
			}
			if status, _, _ := owner.post("/admin/settings/staff/two-factor", url.Values{"required": {"true"}}); status != http.StatusSeeOther {
				t.Fatalf("require: %d", status)
			}
			// The owner too is held at the enrolment page.
			if status, _, h := owner.get("/admin/login-tokens"); status != http.StatusSeeOther || h.Get("Location") != "/admin/two-factor" {
				t.Fatalf("without a second factor while required: %d %s", status, h.Get("Location"))
			}
			owner.enrol(t0)

			b := o.browser()
			if loc := b.password("bob@shop.test"); loc != "/admin/login-tokens" {
				t.Fatalf("bob's password leads to %s", loc)
			}
			if status, _, h := b.get("/admin/login-tokens"); status != http.StatusSeeOther || h.Get("Location") != "/admin/two-factor" {
				t.Fatalf("bob without a second factor: %d %s, want the enrolment page", status, h.Get("Location"))
			}
			b.get("/admin/two-factor")
			if status, _, _ := b.post("/admin/login-tokens/delete", url.Values{"ids": {"x"}}); status != http.StatusForbidden {
				t.Fatalf("bob without a second factor posts: %d, want 403", status)
			}
			clock.Add(lt.TOTPPeriod)
			b.enrol(clock.T)
			if status, _, _ := b.get("/admin/login-tokens"); status != http.StatusOK {
				t.Fatalf("bob enrolled: %d", status)
			}

			// The owner resets bob's second factor: bob is signed out.
			owner.get("/admin/settings/staff/" + fmt.Sprint(bob.ID))
			if status, _, _ := owner.post(fmt.Sprintf("/admin/settings/staff/%d/two-factor/reset", bob.ID), url.Values{}); status != http.StatusSeeOther {
				t.Fatalf("reset: %d", status)
			}
			if status, _, _ := b.get("/admin/login-tokens"); status != http.StatusSeeOther {
				t.Fatal("bob's session survived the reset")
			}
			if st, _ := o.Store.FindStaffByID(ctx, bob.ID); st.TwoFactor {
				t.Fatal("bob's second factor survived the reset")
			}
			if countEvents(t, o, lt.EventStaffTwoFactorReset) != 1 || countEvents(t, o, lt.EventTwoFactorRequirement) != 1 {
				t.Fatal("the reset or the requirement is not audited")
			}
		})
	}
}

func countEvents(t *testing.T, o *testOffice, typ string) int {
	t.Helper()
	var n int
	if err := o.Store.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = '` + typ + `'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
