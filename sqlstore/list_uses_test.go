package sqlstore_test

import (
	"strconv"
	"strings"
	"testing"

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
