package sqlstore_test

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/seed"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// seedStore seeds n tokens at t0 and answers the values, oldest first.
func seedStore(t *testing.T, s *sqlstore.Store, n int) []string {
	t.Helper()
	sqlstoretest.SetClock(s, t0)
	var values bytes.Buffer
	res, err := seed.Run(ctx, s, seed.Options{Tokens: n, Seed: 7, Values: &values})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if res.Tokens != n || res.Contacts != max(1, n/20) || res.Customers != max(1, n/20) || res.Companies != max(1, n/200) {
		t.Fatalf("seeded %+v", res)
	}
	lines := strings.Split(strings.TrimSuffix(values.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d values for %d tokens", len(lines), n)
	}
	return lines
}

func TestSeedMakesRealTokensOfEveryKind(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		values := seedStore(t, s, 400)
		all := allTokens(t, s)
		if len(all) != 400 {
			t.Fatalf("%d tokens listed, want 400", len(all))
		}
		seen := map[string]int{}
		for _, tok := range all {
			seen[string(tok.Type)]++
			seen["status "+string(tok.StatusAt(t0))]++
			switch {
			case tok.ExpiresAt == nil:
				seen["never expires"]++
			case tok.ExpiresAt.After(t0):
				seen["expires later"]++
			default:
				seen["expired before"]++
			}
			if tok.OneTimeUse {
				seen["one-time"]++
			}
			if tok.FailedAttempts > 0 {
				seen["failed"]++
			}
			if tok.LastAccessedAt != nil {
				seen["accessed"]++
			}
			if len(tok.Extra) > 0 {
				seen["extra"]++
			}
			if (tok.Type == lt.UserAnonymous) != (tok.User == nil) || (tok.Type == lt.UserContact) != (tok.User != nil && tok.User.Company != nil) {
				t.Fatalf("token %s of type %s has user %+v", tok.ID, tok.Type, tok.User)
			}
			if tok.CreatedAt.Before(t0.AddDate(-3, 0, -1)) || tok.CreatedAt.After(t0) || tok.UpdatedAt.Before(tok.CreatedAt) {
				t.Fatalf("token %s created %s, updated %s", tok.ID, tok.CreatedAt, tok.UpdatedAt)
			}
		}
		for _, kind := range []string{"contact", "customer", "anonymous", "status active", "status expired", "status used",
			"never expires", "expires later", "expired before", "one-time", "failed", "accessed", "extra"} {
			if seen[kind] == 0 {
				t.Errorf("no seeded token is %s: %v", kind, seen)
			}
		}

		// Values reveal, look up and redeem as a created token's do.
		for _, value := range []string{values[0], values[len(values)/2], values[len(values)-1]} {
			tok, err := s.LookupToken(ctx, value)
			if err != nil {
				t.Fatalf("lookup a seeded value: %v", err)
			}
			revealed, err := s.RevealToken(ctx, staff, tok.ID, "")
			if err != nil || revealed != value {
				t.Fatalf("reveal %s = %q, %v; want the seeded value", tok.ID, revealed, err)
			}
			if res := redeem(t, s, value); res.Code == lt.ETOKENINVALID {
				t.Fatalf("redeem of a seeded value: %s", res.Code)
			}
		}

		// The indexes and the text index are back and kept in sync: a new
		// token is found by its user's email as the seeded ones are.
		seeded := all[0]
		if seeded.User == nil {
			seeded = all[1]
		}
		if seeded.User == nil {
			t.Skip("no user among the first tokens")
		}
		n := lt.NewToken{Extra: []string{"Added after the seed"}}
		if seeded.Type == lt.UserContact {
			n.ContactID = &seeded.User.ID
		} else {
			n.CustomerID = &seeded.User.ID
		}
		created := mustToken(t, s, n)
		_, found, _ := listTokens(t, s, "q="+url.QueryEscape(seeded.User.Email))
		ids := listIDs(found)
		if !slices.Contains(ids, created.ID) || !slices.Contains(ids, seeded.ID) {
			t.Fatalf("q=%s found %v, want %s and %s among them", seeded.User.Email, ids, created.ID, seeded.ID)
		}
		if _, found, _ := listTokens(t, s, "q=added+after+the"); len(found) != 1 || found[0].ID != created.ID {
			t.Fatalf("q on the new token's extra found %v", listIDs(found))
		}
	})
}

// The list on seeded data answers what the same filter, order and page
// say when applied in Go to every token: broad filters take the other
// path on SQLite (walking the index of the order, see sqliteWalkOrder),
// and q goes through the text indexes.
func TestSeededListAnswersAsTheFilterInGo(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		seedStore(t, s, 3000)
		all := allTokens(t, s)
		var contact, customer int64
		for _, tok := range all {
			switch {
			case tok.Type == lt.UserContact && contact == 0:
				contact = tok.User.ID
			case tok.Type == lt.UserCustomer && customer == 0:
				customer = tok.User.ID
			}
		}
		day := func(d int) string { return t0.AddDate(0, 0, d).Format("2006-01-02") }
		queries := []string{
			"",
			"page=7&pageSize=50",
			fmt.Sprintf("contactIds=%d", contact),
			fmt.Sprintf("contactIds=%d&customerIds=%d&sort=name", contact, customer),
			"type=contact", "type=contact&sort=name", "type=contact&sort=-name&page=3",
			"type=anonymous", "type=customer,anonymous&sort=expiresAt",
			"expiresAtFrom=" + day(0) + "&expiresAtTo=" + day(30),
			"expiresAtFrom=" + day(0) + "&expiresAtTo=" + day(30) + "&sort=createdAt",
			"expiresAtFrom=" + day(-30) + "&sort=-expiresAt", "expiresAtTo=" + day(30) + "&sort=expiresAt&page=3",
			"createdAtFrom=" + day(-90) + "&createdAtTo=" + day(-60),
			"updatedAtFrom=" + day(-30) + "&sort=-updatedAt",
			"successfulAttempts=eq:0", "successfulAttempts=gt:3&sort=-successfulAttempts",
			"failedAttempts=ge:1&sort=failedAttempts", "oneTimeUse=true", "oneTimeUse=false&sort=-lastAccessedAt",
			"status=active", "status=active&sort=-expiresAt", "status=active&sort=expiresAt&page=2",
			"status=expired", "status=expired&sort=name", "status=used", "status=used&sort=lastAccessedAt",
			"status=active,used", "status=expired,used&sort=-oneTimeUse",
			"q=" + url.QueryEscape(strings.ToUpper(firstUser(all).Name[:4])),
			"q=" + url.QueryEscape(firstUser(all).Email),
			"q=ticket", "q=cost+centre&sort=-createdAt", "q=mü", "q=a", "q=" + url.QueryEscape(`100%`), "q=" + url.QueryEscape(`o"m`),
			"q=" + url.QueryEscape(strings.ToUpper(firstUser(all).Name+"\n"+firstUser(all).Email)), // more than a dozen trigrams
			"type=contact&status=active&oneTimeUse=false",
			"type=contact&status=active&oneTimeUse=false&sort=name&page=2",
			"q=gmbh&status=expired&type=contact",
			"q=gmbh&status=active&sort=-lastAccessedAt",
			"q=gmbh&type=contact&page=3&pageSize=10", "q=gmbh&type=contact&page=400", // past the end
		}
		for _, key := range lt.SortKeys {
			queries = append(queries, "sort="+key, "sort=-"+key+"&page=4&pageSize=10", "status=expired&sort="+key)
		}
		for _, query := range queries {
			t.Run(query, func(t *testing.T) {
				f, got, total := listTokens(t, s, query)
				want := filterInGo(all, f, t0)
				page, size := f.Paging()
				wantPage := want[min(len(want), (page-1)*size):min(len(want), page*size)]
				if total != len(want) || !slices.Equal(listIDs(got), listIDs(wantPage)) {
					t.Fatalf("found %d, want %d\ngot  %v\nwant %v", total, len(want), listIDs(got), listIDs(wantPage))
				}
			})
		}
	})
}

func firstUser(all []*lt.LoginToken) *lt.UserRef {
	for _, tok := range all {
		if tok.User != nil && tok.User.Company != nil {
			return tok.User
		}
	}
	return nil
}

func allTokens(t *testing.T, s *sqlstore.Store) []*lt.LoginToken {
	t.Helper()
	var all []*lt.LoginToken
	if err := s.StreamTokens(ctx, lt.TokenFilter{}, func(tok *lt.LoginToken) error {
		all = append(all, tok)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return all
}

// filterInGo is the token list's filters (docs/api.md) applied to every token in Go.
func filterInGo(all []*lt.LoginToken, f lt.TokenFilter, now time.Time) []*lt.LoginToken {
	var out []*lt.LoginToken
	for _, tok := range all {
		var userType lt.UserType
		var userID int64
		search := ""
		if tok.User != nil {
			userType, userID = tok.User.Type, tok.User.ID
			parts := []string{tok.User.Name, tok.User.Email}
			if tok.User.Company != nil {
				parts = append(parts, tok.User.Company.Name)
			}
			search = strings.ToLower(strings.Join(parts, "\n"))
		}
		q := strings.ToLower(f.Q)
		switch {
		case len(f.IDs) > 0 && !slices.Contains(f.IDs, tok.ID),
			(len(f.ContactIDs) > 0 || len(f.CustomerIDs) > 0) &&
				!(userType == lt.UserContact && slices.Contains(f.ContactIDs, userID)) &&
				!(userType == lt.UserCustomer && slices.Contains(f.CustomerIDs, userID)),
			len(f.Types) > 0 && !slices.Contains(f.Types, tok.Type),
			!f.ExpiresAt.Contains(tok.ExpiresAt), !f.CreatedAt.Contains(&tok.CreatedAt), !f.UpdatedAt.Contains(&tok.UpdatedAt),
			f.SuccessfulAttempts != nil && !f.SuccessfulAttempts.Matches(tok.SuccessfulAttempts),
			f.FailedAttempts != nil && !f.FailedAttempts.Matches(tok.FailedAttempts),
			f.OneTimeUse != nil && *f.OneTimeUse != tok.OneTimeUse,
			f.MaxUses != nil && (tok.MaxUses == nil || !f.MaxUses.Matches(*tok.MaxUses)),
			f.UnlimitedUses != nil && *f.UnlimitedUses != (tok.MaxUses == nil),
			f.HasNetworks != nil && *f.HasNetworks != (len(tok.Networks) > 0),
			f.ShopID != nil && (tok.ShopID == nil || *tok.ShopID != *f.ShopID),
			len(f.Statuses) > 0 && !slices.Contains(f.Statuses, tok.StatusAt(now)),
			q != "" && !strings.Contains(search, q) && !strings.Contains(strings.ToLower(strings.Join(tok.Extra, "\n")), q):
			continue
		}
		out = append(out, tok)
	}
	sort := f.Sort
	if sort.Key == "" {
		sort = lt.DefaultSort
	}
	// Each key as a comparable value; ok is false for an empty value,
	// which sorts last in both directions.
	key := func(tok *lt.LoginToken) (v string, ok bool) {
		ts := func(t *time.Time) (string, bool) {
			if t == nil {
				return "", false
			}
			return t.UTC().Format("2006-01-02T15:04:05.000000"), true
		}
		switch sort.Key {
		case lt.SortName:
			if tok.User == nil {
				return "", false
			}
			return strings.ToLower(tok.User.Name), true
		case lt.SortType:
			return string(tok.Type), true
		case lt.SortExpiresAt:
			return ts(tok.ExpiresAt)
		case lt.SortLastAccessedAt:
			return ts(tok.LastAccessedAt)
		case lt.SortSuccessfulAttempts:
			return fmt.Sprintf("%020d", tok.SuccessfulAttempts), true
		case lt.SortFailedAttempts:
			return fmt.Sprintf("%020d", tok.FailedAttempts), true
		case lt.SortMaxUses:
			if tok.MaxUses == nil {
				return "", false
			}
			return fmt.Sprintf("%020d", *tok.MaxUses), true
		case lt.SortOneTimeUse:
			return fmt.Sprint(tok.OneTimeUse), true // "false" < "true"
		case lt.SortCreatedAt:
			return ts(&tok.CreatedAt)
		case lt.SortUpdatedAt:
			return ts(&tok.UpdatedAt)
		}
		panic("sort key " + sort.Key)
	}
	slices.SortFunc(out, func(a, b *lt.LoginToken) int {
		ka, oka := key(a)
		kb, okb := key(b)
		if oka != okb {
			if oka {
				return -1
			}
			return 1
		}
		c := cmp.Or(strings.Compare(ka, kb), strings.Compare(a.ID, b.ID))
		if sort.Desc {
			return -c
		}
		return c
	})
	return out
}
