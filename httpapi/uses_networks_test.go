package httpapi_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	lt "github.com/logintokens/logintokens"
)

// 64 webshop calls at once on a token of 3 uses bound to one network:
// the half from outside it are NETWORK_NOT_ALLOWED, of the half from
// inside exactly 3 succeed and the others are TOKEN_USED; each refusal is
// a 400 with its code, counted as a failure.
func TestNUseNetworkBoundTokenOverTheAPIUnderConcurrency(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken(map[string]any{"maxUses": 3, "networks": []string{"203.0.113.0/24", "2001:db8:42::/48"}})
		if tok.MaxUses == nil || *tok.MaxUses != 3 || tok.OneTimeUse || len(tok.Networks) != 2 {
			t.Fatalf("created %+v", tok.LoginToken)
		}
		const n = 64
		codes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			ip := fmt.Sprintf("203.0.113.%d", i)
			switch {
			case i%2 == 1:
				ip = fmt.Sprintf("198.51.100.%d", i) // outside
			case i%4 == 2:
				ip = fmt.Sprintf("2001:db8:42::%x", i) // inside, IPv6
			}
			wg.Go(func() {
				<-start
				status, body := a.do("webshop", "POST", "/api/v1/login-tokens/redeem", map[string]any{"token": tok.Value, "clientIp": ip})
				var p struct{ Code string }
				json.Unmarshal(body, &p)
				if (status == 200) != (p.Code == "") || (status != 200 && status != 400) {
					t.Errorf("from %s: status %d %s", ip, status, body)
				}
				codes[i] = p.Code
			})
		}
		close(start)
		wg.Wait()
		count := map[string]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[""] != 3 || count[lt.ETOKENUSED] != n/2-3 || count[lt.ENETWORKREFUSED] != n/2 {
			t.Fatalf("outcomes %v, want 3 successes, %d %s, %d %s", count, n/2-3, lt.ETOKENUSED, n/2, lt.ENETWORKREFUSED)
		}
		var got tokenJSON
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+tok.ID, nil, 200, &got)
		if got.SuccessfulAttempts != 3 || got.FailedAttempts != n-3 || got.Status != lt.StatusUsed {
			t.Fatalf("counters %d/%d status %s", got.SuccessfulAttempts, got.FailedAttempts, got.Status)
		}
	})
}

// maxUses and networks on create, patch and list: bad values are 400s
// naming the field; oneTimeUse stays an alias of maxUses 1.
func TestTokenUsesAndNetworksOverTheAPI(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"maxUses": 0}, "maxUses"},
			{map[string]any{"maxUses": 1.5}, "maxUses"},
			{map[string]any{"maxUses": "3"}, "maxUses"},
			{map[string]any{"maxUses": 2, "oneTimeUse": true}, "oneTimeUse"},
			{map[string]any{"networks": []string{"10.0.0.0/33"}}, "networks"},
			{map[string]any{"networks": "10.0.0.0/8"}, "networks"},
			{map[string]any{"networks": manyNetworks(lt.MaxNetworks + 1)}, "networks"},
		} {
			p := a.problem("configuration:editor", "POST", "/api/v1/login-tokens", tc.body, 400, lt.EINVALID)
			wantFieldError(t, p, tc.field)
		}
		one := a.createToken(map[string]any{"oneTimeUse": true})
		if one.MaxUses == nil || *one.MaxUses != 1 || !one.OneTimeUse {
			t.Fatalf("oneTimeUse true made maxUses %v", one.MaxUses)
		}
		five := a.createToken(map[string]any{"maxUses": 5, "networks": []string{"192.0.2.9/24", "::ffff:198.51.100.1"}})
		if five.Networks[0] != "192.0.2.0/24" || five.Networks[1] != "198.51.100.1/32" {
			t.Fatalf("networks %q, want them normalised", five.Networks)
		}
		free := a.createToken(map[string]any{})
		if free.MaxUses != nil || free.OneTimeUse || len(free.Networks) != 0 {
			t.Fatalf("default token %+v", free.LoginToken)
		}

		var patched tokenJSON
		a.json("configuration:editor", "PATCH", "/api/v1/login-tokens/"+five.ID, map[string]any{"maxUses": nil, "networks": nil}, 200, &patched)
		if patched.MaxUses != nil || len(patched.Networks) != 0 {
			t.Fatalf("patched to no limit and any address: %+v", patched.LoginToken)
		}
		a.json("configuration:editor", "PATCH", "/api/v1/login-tokens/"+five.ID, map[string]any{"maxUses": 1}, 200, &patched)
		if !patched.OneTimeUse {
			t.Fatal("maxUses 1 is not oneTimeUse")
		}
		p := a.problem("configuration:editor", "PATCH", "/api/v1/login-tokens/"+five.ID, map[string]any{"maxUses": -1}, 400, lt.EINVALID)
		wantFieldError(t, p, "maxUses")
		p = a.problem("configuration:editor", "PATCH", "/api/v1/login-tokens/"+five.ID, map[string]any{"networks": []string{"nope"}}, 400, lt.EINVALID)
		wantFieldError(t, p, "networks")
		a.json("configuration:editor", "PATCH", "/api/v1/login-tokens/"+five.ID, map[string]any{"maxUses": 5, "networks": []string{"2001:db8::/32"}}, 200, &patched)

		for _, tc := range []struct {
			query string
			want  string
		}{
			{"maxUses=eq:5", five.ID},
			{"maxUses=lt:5", one.ID},
			{"unlimitedUses=true", free.ID},
			{"hasNetworks=true", five.ID},
			{"oneTimeUse=true", one.ID},
		} {
			var list listJSON[tokenJSON]
			a.json("configuration:viewer", "GET", "/api/v1/login-tokens?"+tc.query, nil, 200, &list)
			if list.ItemsFound != 1 || list.Items[0].ID != tc.want {
				t.Errorf("%s: found %d, want %s", tc.query, list.ItemsFound, tc.want)
			}
		}
		wantFieldError(t, a.problem("configuration:viewer", "GET", "/api/v1/login-tokens?maxUses=3", nil, 400, lt.EINVALID), "maxUses")
	})
}

func manyNetworks(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.%d.0.0/16", i)
	}
	return out
}
