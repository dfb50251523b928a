package sqlstore_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The filters on the uses allowed, merged into one condition on max_uses,
// find exactly the tokens they give in every combination: maxUses with
// each operator at, between and beyond the limits the tokens have (none,
// 1, 3 and 50), and the largest number; unlimitedUses and oneTimeUse
// either way or not at all; without a status, with status=used alone
// (which keeps only limited tokens) and with used and expired, as status
// reads max_uses too.
func TestEveryCombinationOfTheUsesFiltersFindsExactlyItsTokens(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 400)
		execAll(t, s,
			`UPDATE login_tokens SET max_uses = 3 WHERE id IN (SELECT id FROM (SELECT id FROM login_tokens ORDER BY id LIMIT 40) f)`,
			`UPDATE login_tokens SET max_uses = 50 WHERE id IN (SELECT id FROM (SELECT id FROM login_tokens ORDER BY id DESC LIMIT 40) f)`)
		all := allTokens(t, s)
		limits := map[string]bool{}
		for _, tok := range all {
			if tok.MaxUses == nil {
				limits["none"] = true
			} else {
				limits[strconv.FormatInt(*tok.MaxUses, 10)] = true
			}
		}
		for _, l := range []string{"none", "1", "3", "50"} {
			if !limits[l] {
				t.Fatalf("no token has the limit %s: %v", l, limits)
			}
		}
		maxUses := []string{""}
		for _, op := range []string{"eq", "ne", "lt", "le", "gt", "ge"} {
			for _, n := range []string{"0", "1", "2", "3", "50", "51", "9223372036854775807"} {
				maxUses = append(maxUses, "maxUses="+op+":"+n)
			}
		}
		n := 0
		for _, mu := range maxUses {
			for _, unl := range []string{"", "unlimitedUses=true", "unlimitedUses=false"} {
				for _, one := range []string{"", "oneTimeUse=true", "oneTimeUse=false"} {
					for _, st := range []string{"", "status=used", "status=used,expired"} {
						var parts []string
						for _, p := range []string{mu, unl, one, st} {
							if p != "" {
								parts = append(parts, p)
							}
						}
						checkSeededPage(t, s, all, strings.Join(append(parts, "pageSize=100"), "&"))
						n++
					}
				}
			}
		}
		if n != 43*3*3*3 {
			t.Fatalf("checked %d combinations", n)
		}
	})
}

// Each attempt count's condition, with every operator at 0 (the least
// count), at and between the counts the tokens have and at the largest
// number, and below 0 where the store is called without the parser,
// finds exactly the tokens it gives: a count is never below 0, so "lt:0"
// keeps none, "ge:0" all and "ne:0" those from 1.
func TestEveryCountConditionFindsExactlyItsTokens(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 400)
		execAll(t, s,
			`UPDATE login_tokens SET successful_attempts = 0, failed_attempts = 0 WHERE id IN (SELECT id FROM (SELECT id FROM login_tokens ORDER BY id LIMIT 60) f)`,
			`UPDATE login_tokens SET successful_attempts = 3, failed_attempts = 1 WHERE id IN (SELECT id FROM (SELECT id FROM login_tokens ORDER BY id DESC LIMIT 40) f)`)
		all := allTokens(t, s)
		counts := map[string]int{}
		for _, tok := range all {
			counts["successful "+strconv.FormatInt(tok.SuccessfulAttempts, 10)]++
			counts["failed "+strconv.FormatInt(tok.FailedAttempts, 10)]++
		}
		for _, c := range []string{"successful 0", "successful 3", "failed 0", "failed 1"} {
			if counts[c] == 0 || counts[c] == len(all) {
				t.Fatalf("want some but not all tokens with %s: %v", c, counts)
			}
		}
		ops := []lt.CompareOp{lt.OpEq, lt.OpNe, lt.OpLt, lt.OpLe, lt.OpGt, lt.OpGe}
		n := 0
		for _, field := range []string{"successfulAttempts", "failedAttempts"} {
			for _, op := range ops {
				for _, v := range []string{"0", "1", "2", "3", "4", "9223372036854775807"} {
					checkSeededPage(t, s, all, field+"="+string(op)+":"+v+"&pageSize=100")
					n++
				}
				for _, v := range []int64{-1, math.MinInt64} {
					f := lt.TokenFilter{PageSize: 100}
					c := &lt.CountCondition{Op: op, N: v}
					if field == "successfulAttempts" {
						f.SuccessfulAttempts = c
					} else {
						f.FailedAttempts = c
					}
					got, total, err := s.FindTokens(ctx, f)
					if err != nil {
						t.Fatalf("%s %s %d: %v", field, op, v, err)
					}
					if want := filterInGo(all, f, t0); total != len(want) || len(got) != min(len(want), 100) {
						t.Fatalf("%s %s %d: found %d (page %d), want %d", field, op, v, total, len(got), len(want))
					}
					n++
				}
			}
		}
		// Both counts at once, "not 0" with each operator of the other.
		for _, op := range ops {
			checkSeededPage(t, s, all, "successfulAttempts=ne:0&failedAttempts="+string(op)+":1&pageSize=100")
			checkSeededPage(t, s, all, "failedAttempts=ne:0&successfulAttempts="+string(op)+":0&pageSize=100")
			n += 2
		}
		if n != 2*6*8+12 {
			t.Fatalf("checked %d conditions", n)
		}
	})
}
