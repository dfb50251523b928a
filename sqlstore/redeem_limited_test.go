package sqlstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	redeemsvc "github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

const limitedKey = "198.51.100.0/24"

// redeemLimited redeems value through l with the client network
// limitedKey and wants the limiter to have handled it.
func redeemLimited(t *testing.T, l *sqlstore.Limiter, s *sqlstore.Store, value string) (lt.RedeemResult, time.Duration) {
	t.Helper()
	res, wait, handled, err := l.RedeemLimited(ctx, s, lt.RedeemRequest{Value: value, ClientIP: "198.51.100.7", Actor: "apikey:test"}, limitedKey)
	if err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if !handled {
		t.Fatal("a redeem of an existing token on the limiter's own PostgreSQL store was not handled")
	}
	return res, wait
}

// attemptsLeft reserves attempts of limitedKey until one is refused and
// answers how many counted.
func attemptsLeft(t *testing.T, l *sqlstore.Limiter) int {
	t.Helper()
	for n := 0; n < 100; n++ {
		w, err := l.Reserve(ctx, limitedKey)
		if err != nil {
			t.Fatal(err)
		}
		if w > 0 {
			return n
		}
	}
	t.Fatal("the limiter never refused")
	return 0
}

// floodLimited presents value(i) for i in [0, clients) at once, spread
// over the instances, each with a limit of limit failures for
// limitedKey, and answers how many the store refused as invalid and how
// many the limit refused; any other answer fails the test.
func floodLimited(t *testing.T, inst []*sqlstore.Store, limit, clients int, value func(i int) string) (invalid, limited int) {
	t.Helper()
	var nInvalid, nLimited atomic.Int32
	var wg sync.WaitGroup
	for i := range clients {
		s := inst[i%len(inst)]
		l := s.Limiter("redeem", limit, time.Hour)
		v := value(i)
		wg.Go(func() {
			res, wait, handled, err := l.RedeemLimited(ctx, s, lt.RedeemRequest{Value: v, ClientIP: "198.51.100.7"}, limitedKey)
			switch {
			case err != nil || !handled:
				t.Errorf("handled %v, %v", handled, err)
			case wait > 0:
				nLimited.Add(1)
			case res.Code == lt.ETOKENINVALID:
				nInvalid.Add(1)
			default:
				t.Errorf("%+v", res)
			}
		})
	}
	wg.Wait()
	return int(nInvalid.Load()), int(nLimited.Load())
}

func counters(t *testing.T, s *sqlstore.Store, id string) (succ, fail int64) {
	t.Helper()
	got, err := s.FindTokenByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return got.SuccessfulAttempts, got.FailedAttempts
}

func TestSuccessesRedeemedWithTheLimitGiveEveryAttemptBack(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	l := s.Limiter("redeem", 2, time.Hour)
	tok := mustToken(t, s, lt.NewToken{})
	for i := range 5 {
		if r, w := redeemLimited(t, l, s, tok.Value); r.Code != "" || w != 0 || r.Token == nil || r.Token.SuccessfulAttempts != int64(i+1) {
			t.Fatalf("redeem %d: %+v, wait %v", i+1, r, w)
		}
	}
	if succ, fail := counters(t, s, tok.ID); succ != 5 || fail != 0 {
		t.Fatalf("counters %d/%d, want 5/0", succ, fail)
	}
	if got := eventTypes(t, s, tok.ID); len(got) != 6 || got[5] != lt.EventTokenRedeemed {
		t.Fatalf("events %v, want the creation and five redeems", got)
	}
	if n := attemptsLeft(t, l); n != 2 {
		t.Fatalf("after five successes the network has %d attempts left, want all 2", n)
	}
}

func TestRefusalsRedeemedWithTheLimitKeepTheirAttemptsAndTheNextIsNotCounted(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	l := s.Limiter("redeem", 2, time.Hour)
	tok := mustToken(t, s, lt.NewToken{})
	for i := range 2 {
		if r, w := redeemLimited(t, l, s, wrongSecret(tok.Value)); r.Code != lt.ETOKENINVALID || w != 0 {
			t.Fatalf("wrong secret %d: %+v, wait %v", i+1, r, w)
		}
	}
	// No attempt left: even the right secret is refused, and nothing is
	// counted or audited on the token.
	r, w := redeemLimited(t, l, s, tok.Value)
	if w <= 0 || w > 30*time.Minute || r.Code != "" || r.Token != nil {
		t.Fatalf("third attempt: %+v, wait %v, want a wait of at most 30m and no result", r, w)
	}
	if succ, fail := counters(t, s, tok.ID); succ != 0 || fail != 2 {
		t.Fatalf("counters %d/%d, want 0/2", succ, fail)
	}
	if got := eventTypes(t, s, tok.ID); len(got) != 3 {
		t.Fatalf("events %v, want the creation and two refusals", got)
	}
}

func TestARedeemWithTheLimitOfATokenChangedMeanwhileIsDecidedLockedAndGivesItsAttemptBack(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	l := s.Limiter("redeem", 2, time.Hour)
	tok := mustToken(t, s, lt.NewToken{})
	extra := []string{"cost centre 4711"}
	// The clock's first look is the reservation's, before the read; the
	// second is the count's, after it.
	var changed atomic.Bool
	onNthNow(t, s, 2, func(ctx context.Context) error {
		changed.Store(true)
		_, _, err := s.UpdateToken(ctx, lt.Actor{Name: "staff:1"}, tok.ID, lt.TokenUpdate{Extra: &extra})
		return err
	})
	if r, w := redeemLimited(t, l, s, tok.Value); r.Code != "" || w != 0 {
		t.Fatalf("redeem of a token changed between its read and its count: %+v, wait %v", r, w)
	}
	if !changed.Load() {
		t.Fatal("the change never ran")
	}
	if succ, fail := counters(t, s, tok.ID); succ != 1 || fail != 0 {
		t.Fatalf("counters %d/%d, want 1/0", succ, fail)
	}
	if n := attemptsLeft(t, l); n != 2 {
		t.Fatalf("after a success decided in the locked transaction the network has %d attempts left, want 2", n)
	}
}

func TestAnUnknownTokenRedeemedWithTheLimitCountsAsAFailure(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	l := s.Limiter("redeem", 2, time.Hour)
	for i := range 2 {
		if r, w := redeemLimited(t, l, s, lt.FormatValue(lt.TokenPrefix, lt.NewID(), lt.NewSecret())); r.Code != lt.ETOKENINVALID || r.Token != nil || w != 0 {
			t.Fatalf("unknown token %d: %+v, wait %v", i+1, r, w)
		}
	}
	if r, w := redeemLimited(t, l, s, lt.FormatValue(lt.TokenPrefix, lt.NewID(), lt.NewSecret())); w <= 0 || r.Code != "" {
		t.Fatalf("third unknown token: %+v, wait %v, want a wait", r, w)
	}
}

func TestARedeemWithTheLimitLeavesWhatItCannotDoToReserveAndRedeem(t *testing.T) {
	inst := openInstances(t, 2, time.Now)
	s := inst[0]
	warmRedeem(t, s)
	l := s.Limiter("redeem", 2, time.Hour)
	tok := mustToken(t, s, lt.NewToken{})
	cases := []struct {
		name  string
		st    lt.Redeemer
		l     *sqlstore.Limiter
		value string
	}{
		{"a malformed value", s, l, "lt_nonsense"},
		{"another store", inst[1], l, tok.Value},
		{"the limit turned off", s, s.Limiter("redeem", 0, time.Hour), tok.Value},
	}
	for _, c := range cases {
		res, wait, handled, err := c.l.RedeemLimited(ctx, c.st, lt.RedeemRequest{Value: c.value, ClientIP: "198.51.100.7"}, limitedKey)
		if err != nil || handled || wait != 0 || res.Code != "" || res.Token != nil {
			t.Fatalf("%s: %+v, wait %v, handled %v, %v; want nothing done", c.name, res, wait, handled, err)
		}
	}
	var rows int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM rate_limits`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Fatalf("%d attempts reserved by redeems that were left to the caller", rows)
	}
	if succ, fail := counters(t, s, tok.ID); succ != 0 || fail != 0 {
		t.Fatalf("counters %d/%d, want 0/0", succ, fail)
	}
	sl := sqlstoretest.Open(t, "sqlite")
	if _, _, handled, err := sl.Limiter("redeem", 2, time.Hour).RedeemLimited(ctx, sl, lt.RedeemRequest{Value: tok.Value}, limitedKey); handled || err != nil {
		t.Fatalf("on SQLite: handled %v, %v", handled, err)
	}
}

func TestRefusalsRedeemedWithTheLimitAtOnceOnSeveralInstancesGetExactlyTheLimit(t *testing.T) {
	inst := openInstances(t, 2, time.Now)
	warmRedeem(t, inst[0])
	warmRedeem(t, inst[1])
	tok := mustToken(t, inst[0], lt.NewToken{})
	const limit, clients = 10, 48
	invalid, limited := floodLimited(t, inst, limit, clients, func(int) string { return wrongSecret(tok.Value) })
	if invalid != limit || limited != clients-limit {
		t.Fatalf("%d refused by the store and %d by the limit, want %d and %d", invalid, limited, limit, clients-limit)
	}
	if succ, fail := counters(t, inst[0], tok.ID); succ != 0 || fail != limit {
		t.Fatalf("counters %d/%d, want 0/%d", succ, fail, limit)
	}
}

type plainIssuer struct{}

func (plainIssuer) Issue(context.Context, lt.Assertion) (string, error) { return "assertion", nil }

func TestTheRedeemServiceOnPostgreSQLCountsOnlyFailuresAgainstTheSharedLimit(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	warmRedeem(t, s)
	svc := &redeemsvc.Service{Store: s, Issuer: plainIssuer{}, Limiter: s.Limiter("redeem", 2, time.Hour)}
	tok := mustToken(t, s, lt.NewToken{})
	try := func(value string) redeemsvc.Result {
		t.Helper()
		res, err := svc.Redeem(ctx, redeemsvc.Request{RedeemRequest: lt.RedeemRequest{Value: value, ClientIP: "198.51.100.9", Actor: "apikey:test"}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i := range 3 {
		if r := try(tok.Value); r.Code != "" || r.Assertion != "assertion" {
			t.Fatalf("success %d: %+v", i+1, r)
		}
	}
	for i := range 2 {
		if r := try(wrongSecret(tok.Value)); r.Code != lt.ETOKENINVALID {
			t.Fatalf("failure %d: %+v", i+1, r)
		}
	}
	if r := try(tok.Value); r.Code != lt.ERATELIMITED || r.RetryAfter <= 0 || r.RetryAfter > 30*time.Minute {
		t.Fatalf("after two failures: %+v, want %s with a wait of at most 30m", r, lt.ERATELIMITED)
	}
	if succ, fail := counters(t, s, tok.ID); succ != 3 || fail != 2 {
		t.Fatalf("counters %d/%d, want 3/2", succ, fail)
	}
}

// An N-use token redeemed with its right secret by many requests at once on
// two instances: exactly N successes; every other is a refusal (used) that
// keeps its attempt; counters and audit events exact.
func TestAnNUseTokenRedeemedWithTheLimitOnTwoInstancesAtOnceSucceedsNTimes(t *testing.T) {
	inst := openInstances(t, 2, time.Now)
	warmRedeem(t, inst[0])
	warmRedeem(t, inst[1])
	three := int64(3)
	tok := mustToken(t, inst[0], lt.NewToken{MaxUses: &three})
	const limit, clients = 60, 24
	var ok, used atomic.Int32
	var wg sync.WaitGroup
	for i := range clients {
		s := inst[i%2]
		l := s.Limiter("redeem", limit, time.Hour)
		wg.Go(func() {
			res, wait, handled, err := l.RedeemLimited(ctx, s, lt.RedeemRequest{Value: tok.Value, ClientIP: "198.51.100.7", Actor: "apikey:test"}, limitedKey)
			switch {
			case err != nil || !handled || wait != 0:
				t.Errorf("handled %v, wait %v, %v", handled, wait, err)
			case res.Code == "":
				ok.Add(1)
			case res.Code == lt.ETOKENUSED || res.Code == lt.ETOKENINVALID:
				used.Add(1)
			default:
				t.Errorf("%+v", res)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 3 || used.Load() != clients-3 {
		t.Fatalf("%d successes, %d refusals; want 3 and %d", ok.Load(), used.Load(), clients-3)
	}
	if succ, fail := counters(t, inst[0], tok.ID); succ != 3 || fail != clients-3 {
		t.Fatalf("counters %d/%d", succ, fail)
	}
	if got := eventTypes(t, inst[0], tok.ID); len(got) != 1+clients {
		t.Fatalf("%d events, want %d", len(got), 1+clients)
	}
	if n := attemptsLeft(t, inst[0].Limiter("redeem", limit, time.Hour)); n != limit-(clients-3) {
		t.Fatalf("attempts left %d, want %d", n, limit-(clients-3))
	}
}

// Unknown ids and wrong secrets from one network at once: exactly the limit
// of failures, whichever kind.
func TestUnknownIdsAndWrongSecretsRedeemedWithTheLimitAtOnceGetExactlyTheLimit(t *testing.T) {
	inst := openInstances(t, 2, time.Now)
	warmRedeem(t, inst[0])
	warmRedeem(t, inst[1])
	tok := mustToken(t, inst[0], lt.NewToken{})
	const limit, clients = 10, 48
	invalid, limited := floodLimited(t, inst, limit, clients, func(i int) string {
		if i%3 == 0 {
			return lt.FormatValue(lt.TokenPrefix, lt.NewID(), lt.NewSecret())
		}
		return wrongSecret(tok.Value)
	})
	if invalid != limit || limited != clients-limit {
		t.Fatalf("%d invalid, %d limited; want %d and %d", invalid, limited, limit, clients-limit)
	}
}

// token.rejected subscribed (token.redeemed not): the limiter handles the
// redeem and the refusal still emits its webhook.
func TestARefusalRedeemedWithTheLimitStillTellsItsWebhook(t *testing.T) {
	s := sqlstoretest.Open(t, "postgres")
	if _, _, err := s.CreateWebhook(ctx, staff, lt.NewWebhook{URL: "https://crm.example.com/", Events: []string{lt.WebhookTokenRejected}}); err != nil {
		t.Fatal(err)
	}
	warmRedeem(t, s)
	l := s.Limiter("redeem", 5, time.Hour)
	tok := mustToken(t, s, lt.NewToken{})
	before := outboxCount(t, s)
	if r, _ := redeemLimited(t, l, s, wrongSecret(tok.Value)); r.Code != lt.ETOKENINVALID {
		t.Fatalf("%+v", r)
	}
	if got := outboxCount(t, s); got != before+1 {
		t.Fatalf("outbox %d -> %d, want one token.rejected", before, got)
	}
}

// A revoked API key is refused at once on every reader connection that
// has the prepared lookup (SQLite).
func TestARevokedAPIKeyIsRefusedAtOnceOnEveryPreparedReader(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	k, value, err := s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop, CreatedBy: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	parallel := func(want string) {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				_, err := s.AuthenticateAPIKey(ctx, value)
				if got := lt.ErrorCode(err); got != want {
					t.Errorf("authenticate: %q (%v), want %q", got, err, want)
				}
			})
		}
		wg.Wait()
	}
	parallel("")
	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	parallel(lt.EUNAUTHENTICATED)
	// A change of the schema under the prepared statement.
	if _, err := s.DB().ExecContext(ctx, `ALTER TABLE api_keys ADD COLUMN prepared_probe TEXT`); err != nil {
		t.Fatal(err)
	}
	parallel(lt.EUNAUTHENTICATED)
	k2, value2, err := s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop2", Kind: lt.KeyWebshop, CreatedBy: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.AuthenticateAPIKey(ctx, value2); err != nil || got.ID != k2.ID {
		t.Fatalf("after the schema change: %+v, %v", got, err)
	}
}
