package sqlstore_test

import (
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/jwtsign"
	"github.com/logintokens/logintokens/ratelimit"
	redeemsvc "github.com/logintokens/logintokens/redeem"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// BenchmarkRedeemFailureLimit measures what the shared failure limit adds
// to a redeem on PostgreSQL: the whole redeem service (limit, the store's
// atomic redeem, the signed assertion) with the limit in memory, as on
// SQLite, and in the database, as several instances share it. A success
// reserves an attempt and gives it back (two statements); a failure
// reserves one and keeps it (one statement).
//
//	LOGINTOKENS_TEST_POSTGRES_URL=... go test -run '^$' -bench RedeemFailureLimit -benchtime 2000x -count 3 ./sqlstore
func BenchmarkRedeemFailureLimit(b *testing.B) {
	s := sqlstoretest.Open(b, "postgres")
	signer := jwtsign.New(s, "https://login.example.com", "https://shop.example.com")
	if err := signer.Load(ctx); err != nil {
		b.Fatal(err)
	}
	tok, err := s.CreateToken(ctx, staff, lt.NewToken{})
	if err != nil {
		b.Fatal(err)
	}
	// The highest limit the configuration allows: nothing is refused.
	policy := ratelimit.Policy{Limit: 1_000_000, Per: time.Minute}
	limiters := []struct {
		name string
		l    ratelimit.Limiter
	}{
		{"memory", ratelimit.NewMemory(policy, nil)},
		{"shared", s.Limiter("redeem", policy.Limit, policy.Per)},
	}
	cases := []struct{ name, value, code string }{
		{"success", tok.Value, ""},
		{"unknown-id", lt.FormatValue(lt.TokenPrefix, lt.NewID(), lt.NewSecret()), lt.ETOKENINVALID},
	}
	for _, tc := range cases {
		for _, lim := range limiters {
			b.Run(tc.name+"/"+lim.name, func(b *testing.B) {
				svc := &redeemsvc.Service{Store: s, Issuer: signer, Limiter: lim.l}
				req := redeemsvc.Request{RedeemRequest: lt.RedeemRequest{Value: tc.value, ClientIP: "203.0.113.66", Actor: "bench"}}
				for b.Loop() {
					res, err := svc.Redeem(ctx, req)
					if err != nil || res.Code != tc.code {
						b.Fatalf("%+v %v", res, err)
					}
				}
			})
		}
	}
}

// BenchmarkSharedLimiter is the shared limiter's own cost, without the
// redeem around it: what a failure adds (one Reserve) and what a success
// adds (a Reserve and a Release).
//
//	LOGINTOKENS_TEST_POSTGRES_URL=... go test -run '^$' -bench SharedLimiter -benchtime 5000x -count 5 ./sqlstore
func BenchmarkSharedLimiter(b *testing.B) {
	s := sqlstoretest.Open(b, "postgres")
	l := s.Limiter("redeem", 1_000_000, time.Minute)
	b.Run("failure", func(b *testing.B) {
		for b.Loop() {
			if w, err := l.Reserve(ctx, "203.0.113.66/32"); err != nil || w != 0 {
				b.Fatal(w, err)
			}
		}
	})
	b.Run("success", func(b *testing.B) {
		for b.Loop() {
			if w, err := l.Reserve(ctx, "203.0.113.67/32"); err != nil || w != 0 {
				b.Fatal(w, err)
			}
			if err := l.Release(ctx, "203.0.113.67/32"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
