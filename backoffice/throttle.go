package backoffice

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/ratelimit"
)

// The slow-down of the backoffice's password checks (signing in and
// changing one's password). Per account and client network: 5 wrong
// passwords at once, then one a minute; signing in forgets them. Per
// client network, whatever the account: 20 at once, then one every three
// minutes. Nothing counts per account alone, so wrong passwords sent from
// elsewhere never keep a staff member out. A sign-in with a trusted device
// cookie counts per cookie instead: 5 wrong passwords at once, then one
// every 12 minutes; past them the cookie is not trusted and the sign-in
// counts like any other.
var (
	accountPolicy = ratelimit.Policy{Limit: 5, Per: 5 * time.Minute}
	networkPolicy = ratelimit.Policy{Limit: 20, Per: time.Hour}
	devicePolicy  = ratelimit.Policy{Limit: 5, Per: time.Hour}
)

// reservedChecks is how many password checks, beyond the configured
// number, only sign-ins with a trusted device cookie may run: a flood of
// other sign-ins that keeps every other slot busy does not keep them out.
const reservedChecks = 1

// throttle is what every password check of the backoffice goes
// through. It reserves the attempt before the check, so requests in
// flight count at once; then it takes one of a few slots, since an
// argon2id check holds 19 MiB: with every slot busy it answers at once
// that the service is busy, nothing waits in a queue.
type throttle struct {
	accounts ratelimit.Limiter // key: account and network
	networks ratelimit.Limiter // key: network
	devices  ratelimit.Limiter // key: a trusted device cookie's
	prefixes ratelimit.Prefixes
	slots    chan struct{}
	reserved chan struct{} // for sign-ins with a trusted device cookie
}

// defaultPasswordChecks is how many password checks may run at once when
// the configuration says nothing: half the CPUs, at least 2 and at most 8.
func defaultPasswordChecks() int {
	return min(max(runtime.GOMAXPROCS(0)/2, 2), 8)
}

func newThrottle(cfg Config) *throttle {
	n := cfg.PasswordChecks
	if n <= 0 {
		n = defaultPasswordChecks()
	}
	limiter := cfg.Limiter
	if limiter == nil {
		limiter = func(_ string, p ratelimit.Policy) ratelimit.Limiter { return ratelimit.NewMemory(p, cfg.Now) }
	}
	return &throttle{
		accounts: limiter("backoffice-account", accountPolicy),
		networks: limiter("backoffice-network", networkPolicy),
		devices:  limiter("backoffice-device", devicePolicy),
		prefixes: cfg.AddressPrefixes,
		slots:    make(chan struct{}, n),
		reserved: make(chan struct{}, reservedChecks),
	}
}

// refusal is a password check that did not run: 429 when the attempts
// are used up, 503 when every slot is busy. Wait is the Retry-After.
type refusal struct {
	status int
	wait   time.Duration
}

// tooMany is the refusal of a reservation that must wait; nil when
// there is no wait (the reservation failed with an error).
func tooMany(wait time.Duration) *refusal {
	if wait <= 0 {
		return nil
	}
	return &refusal{http.StatusTooManyRequests, wait}
}

// retryAfter is the whole seconds to wait, at least 1.
func (r *refusal) retryAfter() int {
	return web.RetryAfter(r.wait)
}

// message is the page's explanation of the refusal; what names the
// failures counted ("failed sign-ins", "wrong passwords").
func (r *refusal) message(what string) string {
	if r.status == http.StatusServiceUnavailable {
		return "Too many password checks are running at once. Please try again in a moment."
	}
	return "Too many " + what + ". Please wait " + itoa(r.retryAfter()) + " seconds and try again."
}

// busy is the refusal when every slot is taken.
var busy = &refusal{http.StatusServiceUnavailable, time.Second}

// check runs fn, a password check of the account email from addr, when
// the attempt is granted. fn reports whether the password was right; a
// wrong one stays counted, a right one forgets the account's failures
// from that network and gives the network's attempt back, and an error
// (not the client's failure) gives both back. device is the key of a
// device cookie trusted for email ("" when there is none): while it has
// attempts left, the attempt is counted on it alone, and may take a
// reserved slot.
func (g *throttle) check(ctx context.Context, email, addr, device string, fn func() (bool, error)) (right bool, refused *refusal, err error) {
	v, refused, err := g.checkStep(ctx, email, addr, device, func() (verdict, error) {
		right, err := fn()
		if right {
			return rightForget, err
		}
		return wrong, err
	})
	return v != wrong, refused, err
}

// verdict is what a check found: wrong (it stays counted), right and the
// sign-in is done (the account's failures are forgotten), or right but a
// second factor is still due (the attempt is given back, the failures
// stay: only the second factor's success forgets them, so a known
// password does not wipe the count of wrong codes).
type verdict int

const (
	wrong verdict = iota
	rightForget
	rightKeep
)

// checkStep is check for a step whose success may not end the sign-in.
func (g *throttle) checkStep(ctx context.Context, email, addr, device string, fn func() (verdict, error)) (v verdict, refused *refusal, err error) {
	// A release or reset that fails only leaves an attempt counted.
	giveBack := context.WithoutCancel(ctx)
	if device != "" {
		wait, err := g.devices.Reserve(ctx, device)
		if err != nil {
			return wrong, nil, err
		}
		if wait <= 0 {
			v, ran, err := g.run(true, fn)
			switch {
			case !ran || err != nil || v == rightKeep:
				_ = g.devices.Release(giveBack, device)
			case v == rightForget:
				_ = g.devices.Reset(giveBack, device)
			}
			if !ran {
				return wrong, busy, nil
			}
			return v, nil, err
		}
		// Its wrong passwords are used up: the cookie is not trusted.
	}
	network := g.prefixes.Key(addr)
	account := strings.ToLower(strings.TrimSpace(email)) + "\x00" + network
	wait, err := g.networks.Reserve(ctx, network)
	if err != nil || wait > 0 {
		return wrong, tooMany(wait), err
	}
	if wait, err = g.accounts.Reserve(ctx, account); err != nil || wait > 0 {
		_ = g.networks.Release(giveBack, network)
		return wrong, tooMany(wait), err
	}
	v, ran, err := g.run(false, fn)
	switch {
	case !ran || err != nil || v == rightKeep:
		_ = g.accounts.Release(giveBack, account)
		_ = g.networks.Release(giveBack, network)
	case v == rightForget:
		_ = g.accounts.Reset(giveBack, account)
		_ = g.networks.Release(giveBack, network)
	}
	if !ran {
		return wrong, busy, nil
	}
	return v, nil, err
}

// run runs fn in a free slot, or in a reserved one when trusted and the
// others are busy; ran is false when there was none.
func (g *throttle) run(trusted bool, fn func() (verdict, error)) (v verdict, ran bool, err error) {
	var slot chan struct{}
	select {
	case g.slots <- struct{}{}:
		slot = g.slots
	default:
		if !trusted {
			return wrong, false, nil
		}
		select {
		case g.reserved <- struct{}{}:
			slot = g.reserved
		default:
			return wrong, false, nil
		}
	}
	defer func() { <-slot }()
	v, err = fn()
	return v, true, err
}
