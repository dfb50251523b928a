package sqlstore_test

import (
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// BenchmarkRedeemRejects measures how long the store takes to refuse a
// value: malformed (no query), an unknown id (one indexed read, nothing
// written) and a known id with a wrong secret (the row locked, the hash
// compared in constant time, the failure counted and audited in one
// write). The last two differ a good deal, and may: the id is public, so
// an answer's time says nothing an attacker could not read from the id.
// What must not leak is how much of a secret was right; see
// BenchmarkSecretMatches in the root package.
//
//	go test -run '^$' -bench RedeemRejects -benchtime 2000x -count 3 ./sqlstore
//
// (PostgreSQL too with LOGINTOKENS_TEST_POSTGRES_URL set.)
func BenchmarkRedeemRejects(b *testing.B) {
	for _, kind := range sqlstoretest.Kinds {
		b.Run(kind, func(b *testing.B) {
			s := sqlstoretest.Open(b, kind)
			tok, err := s.CreateToken(ctx, staff, lt.NewToken{})
			if err != nil {
				b.Fatal(err)
			}
			cases := []struct{ name, value string }{
				{"malformed", "lt_not-a-value"},
				{"unknown-id", lt.FormatValue(lt.TokenPrefix, lt.NewID(), lt.NewSecret())},
				{"wrong-secret", lt.FormatValue(lt.TokenPrefix, tok.ID, lt.NewSecret())},
			}
			for _, tc := range cases {
				b.Run(tc.name, func(b *testing.B) {
					req := lt.RedeemRequest{Value: tc.value, ClientIP: "203.0.113.66", Actor: "bench"}
					for b.Loop() {
						res, err := s.Redeem(ctx, req)
						if err != nil || res.Code != lt.ETOKENINVALID {
							b.Fatalf("%s: %+v %v", tc.name, res, err)
						}
					}
				})
			}
		})
	}
}
