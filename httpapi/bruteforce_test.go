package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/internal/web"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// stoppedClock is the limiter's clock: it moves only when the test moves
// it, so a slow run cannot let a minute pass in the middle of the flood.
type stoppedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stoppedClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stoppedClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// newLimitedAPI is newAPI with the limiter on the clock, and only the
// keys this test needs.
func newLimitedAPI(t *testing.T, perMinute int, clock *stoppedClock) *testAPI {
	t.Helper()
	st := sqlstoretest.Open(t, "sqlite")
	signer := jwtsign.New(st, testPublicURL, testAudience)
	if err := signer.Load(ctx); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httpapi.New(httpapi.Config{
		Store:     st,
		Redeem:    &redeem.Service{Store: st, Issuer: signer, Limiter: redeem.NewLimiter(perMinute, clock.Now)},
		Keys:      jwksAdapter{signer},
		PublicURL: testPublicURL,
		Logger:    logger,
	})
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(web.Middleware(mux, logger))
	t.Cleanup(srv.Close)
	a := &testAPI{t: t, URL: srv.URL, API: api, Store: st, Signer: signer, Keys: map[string]string{}}
	for role, n := range map[string]lt.NewAPIKey{
		"webshop": {Name: "shop", Kind: lt.KeyWebshop},
		"all":     {Name: "all", Kind: lt.KeyAdmin, Grants: lt.AllGrants()},
		"configuration:editor": {Name: "editor", Kind: lt.KeyAdmin,
			Grants: lt.Grants{lt.AreaConfiguration: lt.LevelEditor}},
	} {
		_, value, err := st.CreateAPIKey(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		a.Keys[role] = value
	}
	return a
}

// redeemFrom redeems value for the end user at ip and answers the status,
// the problem's code and Retry-After.
func (a *testAPI) redeemFrom(ip, value string) (status int, code, retryAfter string) {
	resp := a.doResp("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": value, "clientIp": ip}, nil)
	defer resp.Body.Close()
	var p struct {
		Code string `json:"code"`
	}
	json.NewDecoder(resp.Body).Decode(&p)
	return resp.StatusCode, p.Code, resp.Header.Get("Retry-After")
}

func TestTenThousandGuessesFromOneAddressAreCutOffWhileOtherClientsRedeem(t *testing.T) {
	t.Parallel() // ten thousand requests: let the package's other tests run meanwhile
	const (
		limit    = 20
		guesses  = 10_000
		attacker = "203.0.113.66"
		honest   = "198.51.100.23"
	)
	clock := &stoppedClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	a := newLimitedAPI(t, limit, clock)
	target := a.createToken(map[string]any{}) // the token the attacker knows the id of
	shopper := a.createToken(map[string]any{})

	// An honest end user of the same shop, at another address, signs in
	// again every hundred guesses, while the flood goes on.
	tick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	var honestOK, honestOther int
	wg.Go(func() {
		for range tick {
			if status, code, _ := a.redeemFrom(honest, shopper.Value); status == http.StatusOK {
				honestOK++
			} else {
				honestOther++
				t.Errorf("the honest client got %d %s during the flood", status, code)
			}
		}
	})

	// Half the guesses aim at the known id with a random secret, half are
	// random values of the right shape.
	counts := map[int]int{}
	var afterCut *lt.LoginToken
	for i := range guesses {
		value := lt.FormatValue(lt.TokenPrefix, lt.NewID(), lt.NewSecret())
		if i%2 == 0 {
			value = lt.FormatValue(lt.TokenPrefix, target.ID, lt.NewSecret())
		}
		status, code, retry := a.redeemFrom(attacker, value)
		counts[status]++
		switch {
		case i < limit:
			if status != http.StatusBadRequest || code != lt.ETOKENINVALID {
				t.Fatalf("guess %d: %d %s, want 400 %s", i+1, status, code, lt.ETOKENINVALID)
			}
		default:
			if secs, _ := strconv.Atoi(retry); status != http.StatusTooManyRequests || code != lt.ERATELIMITED || secs < 1 || secs > 60 {
				t.Fatalf("guess %d: %d %s Retry-After %q, want 429 %s", i+1, status, code, retry, lt.ERATELIMITED)
			}
		}
		if i == limit-1 {
			afterCut = a.getToken(target.ID)
		}
		if i%100 == 0 {
			select {
			case tick <- struct{}{}:
			default: // the last sign-in is still running
			}
		}
	}
	close(tick)
	wg.Wait()

	t.Logf("%d guesses: %d answered 400, %d answered 429; the honest client redeemed %d times meanwhile", guesses, counts[400], counts[429], honestOK)
	if counts[400] != limit || counts[429] != guesses-limit {
		t.Errorf("statuses %v, want exactly %d 400s and %d 429s", counts, limit, guesses-limit)
	}
	if honestOK == 0 || honestOther != 0 {
		t.Errorf("the honest client: %d successes, %d other answers", honestOK, honestOther)
	}

	// The cut counted nothing: the known token has the failures of the
	// first guesses and not one more, and no later attempt touched it.
	final := a.getToken(target.ID)
	if afterCut.FailedAttempts != limit/2 || final.FailedAttempts != afterCut.FailedAttempts || final.SuccessfulAttempts != 0 ||
		final.LastAccessedAt == nil || !final.LastAccessedAt.Equal(*afterCut.LastAccessedAt) {
		t.Errorf("after the cut: %d failed, last at %v; at the end: %d failed, %d successful, last at %v; want %d failed, untouched since",
			afterCut.FailedAttempts, afterCut.LastAccessedAt, final.FailedAttempts, final.SuccessfulAttempts, final.LastAccessedAt, limit/2)
	}
	var rejected int
	if err := a.Store.DB().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = ? AND token_id = ?`, lt.EventTokenRejected, target.ID).Scan(&rejected); err != nil {
		t.Fatal(err)
	}
	if rejected != limit/2 {
		t.Errorf("%d rejected attempts audited on the known token, want %d", rejected, limit/2)
	}
	if got := a.getToken(shopper.ID); got.SuccessfulAttempts != int64(honestOK) || got.FailedAttempts != 0 {
		t.Errorf("the honest client's token: %d successful, %d failed; want %d, 0", got.SuccessfulAttempts, got.FailedAttempts, honestOK)
	}

	// The limit is no ban: one attempt comes back every minute/limit,
	// all of them after a minute. A minute later the address gets exactly
	// the limit again, even sent all at once: each guess counts before the
	// store is asked, so none in flight gets past the limit.
	clock.Add(time.Minute)
	const atOnce = 10 * limit
	var mu sync.Mutex
	burst := map[int]int{}
	start := make(chan struct{})
	var flood sync.WaitGroup
	for range atOnce {
		flood.Go(func() {
			<-start
			status, _, _ := a.redeemFrom(attacker, lt.FormatValue(lt.TokenPrefix, target.ID, lt.NewSecret()))
			mu.Lock()
			burst[status]++
			mu.Unlock()
		})
	}
	close(start)
	flood.Wait()
	if burst[http.StatusBadRequest] != limit || burst[http.StatusTooManyRequests] != atOnce-limit {
		t.Fatalf("a minute later, %d guesses at once: %v, want exactly %d 400s and %d 429s", atOnce, burst, limit, atOnce-limit)
	}
	if status, _, _ := a.redeemFrom(attacker, target.Value); status != http.StatusTooManyRequests {
		t.Fatalf("a minute later, after %d more failures even the right value: %d, want 429", limit, status)
	}
	if got := a.getToken(target.ID); got.FailedAttempts != final.FailedAttempts+limit {
		t.Fatalf("the known token has %d failures, want %d: only the guesses within the limit reach it", got.FailedAttempts, final.FailedAttempts+limit)
	}
}

// getToken reads a token as the admin API answers it.
func (a *testAPI) getToken(id string) *lt.LoginToken {
	a.t.Helper()
	var tok lt.LoginToken
	a.json("all", "GET", "/api/v1/login-tokens/"+id, nil, http.StatusOK, &tok)
	return &tok
}
