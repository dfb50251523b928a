package sqlstore_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// listFixture is a dozen tokens of every kind, each with a short name that
// the tests' expected lists use. The store's clock is left at t0.
//
//	name        user             created                      expires            once  succ fail lastAccessed      status at t0
//	janeA       jane (Acme)      11-20T00:00                  12-31              no    2    0    11-22T09:00       active
//	janeB       jane             11-20T23:59:59.999999        never              yes   0    0    -                 active
//	zoe         zoe (Globex)     11-21T00:00                  11-25              yes   0    1    11-22T10:00       expired
//	bobUsed     bob (customer)   11-21T12:00                  11-30              yes   1    1    11-23T12:00       used
//	bobUsedExp  bob              11-22T00:00                  11-24              yes   1    0    11-23T00:00       used (and expired)
//	ann         ann (customer)   11-22T00:00                  12-01              no    3    2    11-24T12:00       active
//	anon1       anonymous        11-23T00:00 (upd 11-26T09)   never              no    0    0    -                 active
//	anon2       anonymous        11-23T06:00                  11-26T10:00 (=t0)  yes   0    3    11-23T09:00       expired
//	anon3       anonymous        11-24T00:00                  11-27              no    1    0    11-24T06:00       active
//	zoeUpd      zoe              11-24T00:00 (upd 11-25T00)   12-10              no    0    0    -                 active
//	janeExp     jane             11-25T00:00                  11-25T12:00        no    0    1    11-25T13:00       expired
//	bobActive   bob              11-25T12:00                  12-20              yes   0    0    -                 active
type listFixture struct {
	ids      map[string]string // name -> token id
	names    map[string]string // token id -> name
	jane     *lt.Contact
	zoe      *lt.Contact
	bob, ann *lt.Customer
}

// listTime parses a fixture time; all are in November or December 2026, UTC.
func listTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, "2026-"+s+"Z")
	if err != nil {
		t.Fatalf("bad fixture time %q: %v", s, err)
	}
	return tm
}

func newListFixture(t *testing.T, s *sqlstore.Store) *listFixture {
	t.Helper()
	clock := sqlstoretest.SetClock(s, listTime(t, "11-01T00:00:00"))
	fx := &listFixture{ids: map[string]string{}, names: map[string]string{}}
	acme := mustCompany(t, s, "Acme Corp")
	globex := mustCompany(t, s, "Globex Industries")
	fx.jane = mustContact(t, s, acme.ID, "Jane", "Doe", "jane@acme.test")
	fx.zoe = mustContact(t, s, globex.ID, "Zoe", "Adams", "zoe@globex.test")
	fx.bob = mustCustomer(t, s, "Bob", "Brown", "bob@example.test")
	fx.ann = mustCustomer(t, s, "Ann", "Ample", "ann@example.test")

	values := map[string]string{}
	create := func(name, created string, n lt.NewToken, expires string) {
		t.Helper()
		clock.T = listTime(t, created)
		if expires != "" {
			n.ExpiresAt = ptr(listTime(t, expires))
		}
		tok := mustToken(t, s, n)
		fx.ids[name], fx.names[tok.ID], values[name] = tok.ID, name, tok.Value
	}
	create("janeA", "11-20T00:00:00", lt.NewToken{ContactID: &fx.jane.ID, Extra: []string{"OCI for Acme SAP SRM"}}, "12-31T00:00:00")
	create("janeB", "11-20T23:59:59.999999", lt.NewToken{ContactID: &fx.jane.ID, OneTimeUse: true}, "")
	create("zoe", "11-21T00:00:00", lt.NewToken{ContactID: &fx.zoe.ID, OneTimeUse: true}, "11-25T00:00:00")
	create("bobUsed", "11-21T12:00:00", lt.NewToken{CustomerID: &fx.bob.ID, OneTimeUse: true}, "11-30T00:00:00")
	create("bobUsedExp", "11-22T00:00:00", lt.NewToken{CustomerID: &fx.bob.ID, OneTimeUse: true}, "11-24T00:00:00")
	create("ann", "11-22T00:00:00", lt.NewToken{CustomerID: &fx.ann.ID, Extra: []string{"Percent 100% off", "under_score"}}, "12-01T00:00:00")
	create("anon1", "11-23T00:00:00", lt.NewToken{Extra: []string{"Guest Kiosk"}}, "")
	create("anon2", "11-23T06:00:00", lt.NewToken{OneTimeUse: true}, "11-26T10:00:00")
	create("anon3", "11-24T00:00:00", lt.NewToken{}, "11-27T00:00:00")
	create("zoeUpd", "11-24T00:00:00", lt.NewToken{ContactID: &fx.zoe.ID}, "12-10T00:00:00")
	create("janeExp", "11-25T00:00:00", lt.NewToken{ContactID: &fx.jane.ID}, "11-25T12:00:00")
	create("bobActive", "11-25T12:00:00", lt.NewToken{CustomerID: &fx.bob.ID, OneTimeUse: true}, "12-20T00:00:00")

	// Real redeems set the counters and lastAccessedAt; a wrong secret
	// counts as a failed attempt.
	for _, a := range []struct {
		name, when string
		good       bool
		code       string
	}{
		{"janeA", "11-21T08:00:00", true, ""},
		{"janeA", "11-22T09:00:00", true, ""},
		{"zoe", "11-22T10:00:00", false, lt.ETOKENINVALID},
		{"bobUsed", "11-22T12:00:00", true, ""},
		{"bobUsed", "11-23T12:00:00", true, lt.ETOKENUSED},
		{"bobUsedExp", "11-23T00:00:00", true, ""},
		{"ann", "11-24T08:00:00", true, ""},
		{"ann", "11-24T09:00:00", false, lt.ETOKENINVALID},
		{"ann", "11-24T10:00:00", true, ""},
		{"ann", "11-24T11:00:00", false, lt.ETOKENINVALID},
		{"ann", "11-24T12:00:00", true, ""},
		{"anon2", "11-23T07:00:00", false, lt.ETOKENINVALID},
		{"anon2", "11-23T08:00:00", false, lt.ETOKENINVALID},
		{"anon2", "11-23T09:00:00", false, lt.ETOKENINVALID},
		{"anon3", "11-24T06:00:00", true, ""},
		{"janeExp", "11-25T13:00:00", true, lt.ETOKENEXPIRED},
	} {
		clock.T = listTime(t, a.when)
		value := values[a.name]
		if !a.good {
			value += "x"
		}
		if res := redeem(t, s, value); res.Code != a.code {
			t.Fatalf("fixture: redeem %s at %s = %q, want %q", a.name, a.when, res.Code, a.code)
		}
	}
	for _, u := range []struct{ name, when, extra string }{
		{"zoeUpd", "11-25T00:00:00", "Updated later"},
		{"anon1", "11-26T09:00:00", "Guest Kiosk\nLobby"},
	} {
		clock.T = listTime(t, u.when)
		extra := strings.Split(u.extra, "\n")
		if _, _, err := s.UpdateToken(ctx, staff, fx.ids[u.name], lt.TokenUpdate{Extra: &extra}); err != nil {
			t.Fatalf("fixture: update %s: %v", u.name, err)
		}
	}
	clock.T = t0

	// The tests below rely on these; check them once so a change in the
	// fixture's mechanics fails here, not as a puzzling list.
	for _, w := range []struct {
		name       string
		succ, fail int64
		status     lt.TokenStatus
	}{
		{"janeA", 2, 0, lt.StatusActive}, {"zoe", 0, 1, lt.StatusExpired}, {"bobUsed", 1, 1, lt.StatusUsed},
		{"bobUsedExp", 1, 0, lt.StatusUsed}, {"ann", 3, 2, lt.StatusActive}, {"anon2", 0, 3, lt.StatusExpired},
		{"janeExp", 0, 1, lt.StatusExpired}, {"bobActive", 0, 0, lt.StatusActive},
	} {
		tok, err := s.FindTokenByID(ctx, fx.ids[w.name])
		if err != nil {
			t.Fatal(err)
		}
		if tok.SuccessfulAttempts != w.succ || tok.FailedAttempts != w.fail || tok.Status != w.status {
			t.Fatalf("fixture: %s = %d/%d %s, want %d/%d %s", w.name,
				tok.SuccessfulAttempts, tok.FailedAttempts, tok.Status, w.succ, w.fail, w.status)
		}
	}
	return fx
}

// want turns expected names into ids in order. "a+b" is a tie on the sort
// key: its members are ordered by id in the sort's direction.
func (fx *listFixture) want(t *testing.T, desc bool, spec []string) []string {
	t.Helper()
	out := []string{}
	for _, group := range spec {
		var ids []string
		for name := range strings.SplitSeq(group, "+") {
			id, ok := fx.ids[name]
			if !ok {
				t.Fatalf("no fixture token %q", name)
			}
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if desc {
			slices.Reverse(ids)
		}
		out = append(out, ids...)
	}
	return out
}

// nameList shows ids by their fixture names, for readable failures.
func (fx *listFixture) nameList(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = fx.names[id]
	}
	return "[" + strings.Join(names, " ") + "]"
}

func listIDs(toks []*lt.LoginToken) []string {
	ids := make([]string, len(toks))
	for i, tok := range toks {
		ids[i] = tok.ID
	}
	return ids
}

// listTokens parses query as the API does and lists.
func listTokens(t *testing.T, s *sqlstore.Store, query string) (lt.TokenFilter, []*lt.LoginToken, int) {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("bad query %q: %v", query, err)
	}
	f, err := lt.ParseTokenFilter(q)
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	toks, total, err := s.FindTokens(ctx, f)
	if err != nil {
		t.Fatalf("find %q: %v", query, err)
	}
	return f, toks, total
}

type listCase struct {
	query string
	want  []string // fixture names in order; "a+b" ties (see listFixture.want)
}

// checkList runs each query and asserts the exact ordered ids, and that
// itemsFound counts them (every case fits on the default page).
func checkList(t *testing.T, s *sqlstore.Store, fx *listFixture, cases []listCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			f, toks, total := listTokens(t, s, c.query)
			got, want := listIDs(toks), fx.want(t, f.Sort.Desc, c.want)
			if !slices.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", fx.nameList(got), fx.nameList(want))
			}
			if total != len(want) {
				t.Fatalf("itemsFound = %d, want %d", total, len(want))
			}
		})
	}
}

// allNewestFirst is every fixture token in the default order, newest first.
var allNewestFirst = []string{"bobActive", "janeExp", "anon3+zoeUpd", "anon2", "anon1", "ann+bobUsedExp", "bobUsed", "zoe", "janeB", "janeA"}

func TestFindTokensFiltersAlone(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		ids := func(names ...string) string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = fx.ids[n]
			}
			return strings.Join(out, ",")
		}
		n := func(id int64) string { return strconv.FormatInt(id, 10) }
		checkList(t, s, fx, []listCase{
			{"", allNewestFirst},
			{"ids=" + ids("zoe"), []string{"zoe"}},
			{"ids=" + ids("janeA", "anon2"), []string{"anon2", "janeA"}},
			{"contactIds=" + n(fx.jane.ID), []string{"janeExp", "janeB", "janeA"}},
			{"contactIds=" + n(fx.jane.ID) + "," + n(fx.zoe.ID), []string{"janeExp", "zoeUpd", "zoe", "janeB", "janeA"}},
			{"customerIds=" + n(fx.ann.ID), []string{"ann"}},
			{"type=anonymous", []string{"anon3", "anon2", "anon1"}},
			{"type=contact", []string{"janeExp", "zoeUpd", "zoe", "janeB", "janeA"}},
			{"type=customer", []string{"bobActive", "ann+bobUsedExp", "bobUsed"}},
			{"oneTimeUse=true", []string{"bobActive", "anon2", "bobUsedExp", "bobUsed", "zoe", "janeB"}},
			{"oneTimeUse=false", []string{"janeExp", "anon3+zoeUpd", "anon1", "ann", "janeA"}},
			{"status=active", []string{"bobActive", "anon3+zoeUpd", "anon1", "ann", "janeB", "janeA"}},
			{"status=expired", []string{"janeExp", "anon2", "zoe"}},
			{"status=used", []string{"bobUsedExp", "bobUsed"}},

			// successfulAttempts: 0 janeB zoe anon1 anon2 zoeUpd janeExp bobActive; 1 bobUsed bobUsedExp anon3; 2 janeA; 3 ann.
			{"successfulAttempts=eq:1", []string{"anon3", "bobUsedExp", "bobUsed"}},
			{"successfulAttempts=ne:1", []string{"bobActive", "janeExp", "zoeUpd", "anon2", "anon1", "ann", "zoe", "janeB", "janeA"}},
			{"successfulAttempts=lt:1", []string{"bobActive", "janeExp", "zoeUpd", "anon2", "anon1", "zoe", "janeB"}},
			{"successfulAttempts=le:1", []string{"bobActive", "janeExp", "anon3+zoeUpd", "anon2", "anon1", "bobUsedExp", "bobUsed", "zoe", "janeB"}},
			{"successfulAttempts=gt:1", []string{"ann", "janeA"}},
			{"successfulAttempts=ge:1", []string{"anon3", "ann+bobUsedExp", "bobUsed", "janeA"}},
			{"successfulAttempts=eq:0", []string{"bobActive", "janeExp", "zoeUpd", "anon2", "anon1", "zoe", "janeB"}},
			// failedAttempts: 0 janeA janeB bobUsedExp anon1 anon3 zoeUpd bobActive; 1 zoe bobUsed janeExp; 2 ann; 3 anon2.
			{"failedAttempts=eq:1", []string{"janeExp", "bobUsed", "zoe"}},
			{"failedAttempts=ne:1", []string{"bobActive", "anon3+zoeUpd", "anon2", "anon1", "ann+bobUsedExp", "janeB", "janeA"}},
			{"failedAttempts=lt:1", []string{"bobActive", "anon3+zoeUpd", "anon1", "bobUsedExp", "janeB", "janeA"}},
			{"failedAttempts=le:1", []string{"bobActive", "janeExp", "anon3+zoeUpd", "anon1", "bobUsedExp", "bobUsed", "zoe", "janeB", "janeA"}},
			{"failedAttempts=gt:1", []string{"anon2", "ann"}},
			{"failedAttempts=ge:1", []string{"janeExp", "anon2", "ann", "bobUsed", "zoe"}},
			{"failedAttempts=ge:4", nil},
		})
	})
}

func TestFindTokensDateRangesAreInclusive(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		checkList(t, s, fx, []listCase{
			// janeB was created exactly at From, ann and bobUsedExp exactly at To.
			{"createdAtFrom=2026-11-20T23:59:59.999999Z&createdAtTo=2026-11-22T00:00:00Z", []string{"ann+bobUsedExp", "bobUsed", "zoe", "janeB"}},
			{"createdAtTo=2026-11-20T23:59:59.999998Z", []string{"janeA"}},
			// A day is that whole UTC day, at both ends.
			{"createdAtFrom=2026-11-20&createdAtTo=2026-11-20", []string{"janeB", "janeA"}},
			{"createdAtTo=2026-11-21", []string{"bobUsed", "zoe", "janeB", "janeA"}},
			// Open-ended, and with an offset.
			{"createdAtFrom=2026-11-25", []string{"bobActive", "janeExp"}},
			{"createdAtFrom=2026-11-25T01:00:00%2B01:00", []string{"bobActive", "janeExp"}},
			{"createdAtFrom=2026-11-25T01:00:00.000001%2B01:00", []string{"bobActive"}},
			// Tokens that never expire lie in no expiry range.
			{"expiresAtFrom=2026-11-26T10:00:00Z&expiresAtTo=2026-11-30T00:00:00Z&sort=expiresAt", []string{"anon2", "anon3", "bobUsed"}},
			{"expiresAtFrom=2026-12-01&sort=expiresAt", []string{"ann", "zoeUpd", "bobActive", "janeA"}},
			{"expiresAtTo=2026-11-25&sort=expiresAt", []string{"bobUsedExp", "zoe", "janeExp"}},
			{"updatedAtFrom=2026-11-25&sort=updatedAt", []string{"janeExp+zoeUpd", "bobActive", "anon1"}},
			{"updatedAtTo=2026-11-24", []string{"anon3", "anon2", "ann+bobUsedExp", "bobUsed", "zoe", "janeB", "janeA"}},
			{"updatedAtFrom=2026-11-26T09:00:00Z&updatedAtTo=2026-11-26T09:00:00Z", []string{"anon1"}},
		})
	})
}

func TestFindTokensFiltersCombineWithANDValuesWithOR(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		jane, zoe, bob := strconv.FormatInt(fx.jane.ID, 10), strconv.FormatInt(fx.zoe.ID, 10), strconv.FormatInt(fx.bob.ID, 10)
		checkList(t, s, fx, []listCase{
			{"ids=" + fx.ids["janeA"] + "," + fx.ids["zoe"] + "&status=expired", []string{"zoe"}},
			{"ids=" + fx.ids["janeA"] + "&ids=" + fx.ids["zoe"], []string{"zoe", "janeA"}},
			{"type=contact,customer", []string{"bobActive", "janeExp", "zoeUpd", "ann+bobUsedExp", "bobUsed", "zoe", "janeB", "janeA"}},
			{"type=contact&type=anonymous", []string{"janeExp", "anon3+zoeUpd", "anon2", "anon1", "zoe", "janeB", "janeA"}},
			// The "Contact or Customer" picker: either user.
			{"contactIds=" + jane + "&customerIds=" + bob, []string{"bobActive", "janeExp", "bobUsedExp", "bobUsed", "janeB", "janeA"}},
			{"contactIds=" + jane + "&customerIds=" + bob + "&oneTimeUse=true", []string{"bobActive", "bobUsedExp", "bobUsed", "janeB"}},
			{"contactIds=" + zoe + "&type=customer", nil},
			{"status=expired,used", []string{"janeExp", "anon2", "bobUsedExp", "bobUsed", "zoe"}},
			{"status=active&status=used", []string{"bobActive", "anon3+zoeUpd", "anon1", "ann+bobUsedExp", "bobUsed", "janeB", "janeA"}},
			{"status=active,expired,used", allNewestFirst},
			{"type=contact&status=expired", []string{"janeExp", "zoe"}},
			{"type=contact&status=expired,used", []string{"janeExp", "zoe"}},
			{"type=anonymous&q=acme", nil}, // janeA's extra says Acme
			{"type=customer&oneTimeUse=true&status=active", []string{"bobActive"}},
			{"q=jane&failedAttempts=gt:0", []string{"janeExp"}},
			{"type=anonymous&createdAtFrom=2026-11-23T06:00:00Z&successfulAttempts=eq:0", []string{"anon2"}},
			{"successfulAttempts=ge:1&failedAttempts=ge:1", []string{"ann", "bobUsed"}},
		})
	})
}

func TestFindTokensSearchesNameEmailCompanyAndExtra(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		q := func(text string) string { return "q=" + url.QueryEscape(text) }
		checkList(t, s, fx, []listCase{
			{q("jane"), []string{"janeExp", "janeB", "janeA"}},
			{q("JANE DOE"), []string{"janeExp", "janeB", "janeA"}},
			{q("doe jane"), nil}, // one string, not split into words
			{q("  Zoe Adams "), []string{"zoeUpd", "zoe"}},
			{q("zoe@GLOBEX"), []string{"zoeUpd", "zoe"}},
			{q("example.test"), []string{"bobActive", "ann+bobUsedExp", "bobUsed"}},
			{q("industries"), []string{"zoeUpd", "zoe"}}, // company
			{q("Acme Corp"), []string{"janeExp", "janeB", "janeA"}},
			{q("sap srm"), []string{"janeA"}}, // extra
			{q("guest KIOSK"), []string{"anon1"}},
			{q("lobby"), []string{"anon1"}},          // extra as updated
			{q("updated later"), []string{"zoeUpd"}}, // extra as updated
			{q("kiosk\nlobby"), []string{"anon1"}},   // lines are joined by a newline
			// % and _ are literal, not wildcards.
			{q("%"), []string{"ann"}},
			{q("100%"), []string{"ann"}},
			{q("_"), []string{"ann"}},
			{q("r_s"), []string{"ann"}},
			{q("a%e"), nil},
			{q(`\`), nil},
			{q("nobody"), nil},
		})
	})
}

func TestFindTokensSortsEveryKeyBothWaysEmptyLastTiesByID(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		checkList(t, s, fx, []listCase{
			// Anonymous tokens have no name: last both ways.
			{"sort=name", []string{"ann", "bobActive+bobUsed+bobUsedExp", "janeA+janeB+janeExp", "zoe+zoeUpd", "anon1+anon2+anon3"}},
			{"sort=-name", []string{"zoe+zoeUpd", "janeA+janeB+janeExp", "bobActive+bobUsed+bobUsedExp", "ann", "anon1+anon2+anon3"}},
			{"sort=type", []string{"anon1+anon2+anon3", "janeA+janeB+zoe+zoeUpd+janeExp", "bobUsed+bobUsedExp+ann+bobActive"}},
			{"sort=-type", []string{"bobUsed+bobUsedExp+ann+bobActive", "janeA+janeB+zoe+zoeUpd+janeExp", "anon1+anon2+anon3"}},
			// Tokens that never expire: last both ways.
			{"sort=expiresAt", []string{"bobUsedExp", "zoe", "janeExp", "anon2", "anon3", "bobUsed", "ann", "zoeUpd", "bobActive", "janeA", "janeB+anon1"}},
			{"sort=-expiresAt", []string{"janeA", "bobActive", "zoeUpd", "ann", "bobUsed", "anon3", "anon2", "janeExp", "zoe", "bobUsedExp", "janeB+anon1"}},
			// Tokens never accessed: last both ways.
			{"sort=lastAccessedAt", []string{"janeA", "zoe", "bobUsedExp", "anon2", "bobUsed", "anon3", "ann", "janeExp", "janeB+anon1+zoeUpd+bobActive"}},
			{"sort=-lastAccessedAt", []string{"janeExp", "ann", "anon3", "bobUsed", "anon2", "bobUsedExp", "zoe", "janeA", "janeB+anon1+zoeUpd+bobActive"}},
			{"sort=successfulAttempts", []string{"janeB+zoe+anon1+anon2+zoeUpd+janeExp+bobActive", "bobUsed+bobUsedExp+anon3", "janeA", "ann"}},
			{"sort=-successfulAttempts", []string{"ann", "janeA", "bobUsed+bobUsedExp+anon3", "janeB+zoe+anon1+anon2+zoeUpd+janeExp+bobActive"}},
			{"sort=failedAttempts", []string{"janeA+janeB+bobUsedExp+anon1+anon3+zoeUpd+bobActive", "zoe+bobUsed+janeExp", "ann", "anon2"}},
			{"sort=-failedAttempts", []string{"anon2", "ann", "zoe+bobUsed+janeExp", "janeA+janeB+bobUsedExp+anon1+anon3+zoeUpd+bobActive"}},
			{"sort=oneTimeUse", []string{"janeA+ann+anon1+anon3+zoeUpd+janeExp", "janeB+zoe+bobUsed+bobUsedExp+anon2+bobActive"}},
			{"sort=-oneTimeUse", []string{"janeB+zoe+bobUsed+bobUsedExp+anon2+bobActive", "janeA+ann+anon1+anon3+zoeUpd+janeExp"}},
			{"sort=createdAt", []string{"janeA", "janeB", "zoe", "bobUsed", "ann+bobUsedExp", "anon1", "anon2", "anon3+zoeUpd", "janeExp", "bobActive"}},
			{"sort=-createdAt", allNewestFirst},
			{"sort=updatedAt", []string{"janeA", "janeB", "zoe", "bobUsed", "ann+bobUsedExp", "anon2", "anon3", "janeExp+zoeUpd", "bobActive", "anon1"}},
			{"sort=-updatedAt", []string{"anon1", "bobActive", "janeExp+zoeUpd", "anon3", "anon2", "ann+bobUsedExp", "bobUsed", "zoe", "janeB", "janeA"}},
			{"sort=", allNewestFirst},
		})
	})
}

func TestFindTokensZeroFilterListsNewestFirst(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		toks, total, err := s.FindTokens(ctx, lt.TokenFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := listIDs(toks), fx.want(t, true, allNewestFirst); !slices.Equal(got, want) || total != 12 {
			t.Fatalf("got %s (%d found)\nwant %s", fx.nameList(got), total, fx.nameList(want))
		}
	})
}

func TestFindTokensAnswersWholeTokens(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		_, toks, _ := listTokens(t, s, "sort=createdAt&pageSize=2")
		if len(toks) != 2 {
			t.Fatalf("got %d tokens", len(toks))
		}
		a, b := toks[0], toks[1]
		if a.ID != fx.ids["janeA"] || a.Type != lt.UserContact || a.User == nil || a.User.Name != "Jane Doe" ||
			a.User.Email != "jane@acme.test" || a.User.Company == nil || a.User.Company.Name != "Acme Corp" ||
			!slices.Equal(a.Extra, []string{"OCI for Acme SAP SRM"}) || a.Status != lt.StatusActive ||
			a.SuccessfulAttempts != 2 || a.LastAccessedAt == nil || !a.LastAccessedAt.Equal(listTime(t, "11-22T09:00:00")) ||
			!a.CreatedAt.Equal(listTime(t, "11-20T00:00:00")) || a.ExpiresAt == nil || !a.ExpiresAt.Equal(listTime(t, "12-31T00:00:00")) ||
			a.CreatedBy != staff.Name {
			t.Fatalf("janeA = %+v, user %+v", a, a.User)
		}
		if b.ID != fx.ids["janeB"] || b.ExpiresAt != nil || b.LastAccessedAt != nil || !b.OneTimeUse ||
			!b.CreatedAt.Equal(listTime(t, "11-20T23:59:59.999999")) || b.Extra == nil || len(b.Extra) != 0 {
			t.Fatalf("janeB = %+v", b)
		}
	})
}

func TestFindTokensPages(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		full := fx.want(t, false, []string{"janeA", "janeB", "zoe", "bobUsed", "ann+bobUsedExp", "anon1", "anon2", "anon3+zoeUpd", "janeExp", "bobActive"})
		contacts := fx.want(t, false, []string{"janeA", "janeB", "zoe", "zoeUpd", "janeExp"})
		for _, c := range []struct {
			query string
			want  []string
			total int
		}{
			{"sort=createdAt&pageSize=5", full[:5], 12},
			{"sort=createdAt&pageSize=5&page=2", full[5:10], 12},
			{"sort=createdAt&pageSize=5&page=3", full[10:], 12}, // the last page is partial
			{"sort=createdAt&pageSize=5&page=4", nil, 12},       // past the end: empty, total still known
			{"sort=createdAt&pageSize=5&page=1000", nil, 12},
			{"sort=createdAt&pageSize=1", full[:1], 12},
			{"sort=createdAt&pageSize=1&page=5", full[4:5], 12}, // inside a tie on createdAt
			{"sort=createdAt&pageSize=1&page=6", full[5:6], 12},
			{"sort=createdAt&pageSize=1&page=12", full[11:], 12},
			{"sort=createdAt&pageSize=1&page=13", nil, 12},
			{"sort=createdAt&pageSize=500", full, 12},
			{"sort=createdAt&pageSize=12", full, 12},
			{"sort=createdAt&pageSize=11&page=2", full[11:], 12},
			{"type=contact&sort=createdAt&pageSize=2&page=3", contacts[4:], 5},
			{"type=contact&sort=createdAt&pageSize=2&page=4", nil, 5},
			{"q=nobody&page=2", nil, 0},
		} {
			t.Run(c.query, func(t *testing.T) {
				_, toks, total := listTokens(t, s, c.query)
				if got := listIDs(toks); !slices.Equal(got, c.want) || total != c.total {
					t.Fatalf("got %s (%d found)\nwant %s (%d found)", fx.nameList(got), total, fx.nameList(c.want), c.total)
				}
			})
		}
	})
}

// A token that is one-time, used and expired is used only: the status
// filter follows the same order as the status the token shows.
func TestFindTokensStatusUsedWinsOverExpired(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		for _, c := range []struct {
			now   time.Time
			query string
			want  []string
		}{
			{t0, "status=used", []string{"bobUsedExp", "bobUsed"}},
			{t0, "status=expired", []string{"janeExp", "anon2", "zoe"}},
			{t0, "status=expired&ids=" + fx.ids["bobUsedExp"], nil},
			// anon2 expires at t0 exactly: a token expires at the instant expiresAt.
			{t0.Add(-time.Microsecond), "status=expired", []string{"janeExp", "zoe"}},
			{t0.Add(-time.Microsecond), "status=active&type=anonymous", []string{"anon3", "anon2", "anon1"}},
			{t0, "status=active&type=anonymous", []string{"anon3", "anon1"}},
			// Much later only the tokens that never expire are active, and
			// the used ones still are used, not expired.
			{listTime(t, "12-31T00:00:00"), "status=active", []string{"anon1", "janeB"}},
			{listTime(t, "12-31T00:00:00"), "status=used", []string{"bobUsedExp", "bobUsed"}},
			{listTime(t, "12-31T00:00:00"), "status=expired", []string{"bobActive", "janeExp", "anon3+zoeUpd", "anon2", "ann", "zoe", "janeA"}},
		} {
			t.Run(c.now.Format(time.RFC3339Nano)+" "+c.query, func(t *testing.T) {
				sqlstoretest.SetClock(s, c.now)
				f, toks, total := listTokens(t, s, c.query)
				got, want := listIDs(toks), fx.want(t, true, c.want)
				if !slices.Equal(got, want) || total != len(want) {
					t.Fatalf("got %s (%d found)\nwant %s", fx.nameList(got), total, fx.nameList(want))
				}
				for _, tok := range toks {
					if !slices.Contains(f.Statuses, tok.Status) {
						t.Errorf("%s shows status %s, outside the filter %v", fx.names[tok.ID], tok.Status, f.Statuses)
					}
				}
			})
		}
	})
}

func TestFindTokensRejectsBadFilters(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		for name, f := range map[string]lt.TokenFilter{
			"sort key": {Sort: lt.Sort{Key: "value"}},
			"operator": {FailedAttempts: &lt.CountCondition{Op: "like", N: 1}},
			"status":   {Statuses: []lt.TokenStatus{"revoked"}},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := s.FindTokens(ctx, f)
				wantCode(t, err, lt.EINVALID)
			})
		}
	})
}

// Search and sort by name read denormalised columns: they follow renames
// of the user and the company, and a token's change of user.
func TestFindTokensFollowsUserChanges(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		fx := newListFixture(t, s)
		if _, err := s.UpdateContact(ctx, fx.zoe.ID, lt.PersonUpdate{FirstName: ptr("Aaron")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateCompany(ctx, fx.zoe.CompanyID, lt.CompanyUpdate{Name: ptr("Initech")}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UpdateToken(ctx, staff, fx.ids["janeA"], lt.TokenUpdate{Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		checkList(t, s, fx, []listCase{
			{"q=initech", []string{"zoeUpd", "zoe"}},
			{"q=globex+industries", nil},
			{"q=aaron+adams", []string{"zoeUpd", "zoe"}},
			{"q=jane", []string{"janeExp", "janeB"}},
			{"q=sap+srm", []string{"janeA"}}, // its extra stays
			{"sort=name", []string{"zoe+zoeUpd", "ann", "bobActive+bobUsed+bobUsedExp", "janeB+janeExp", "janeA+anon1+anon2+anon3"}},
			{"sort=-name", []string{"janeB+janeExp", "bobActive+bobUsed+bobUsedExp", "ann", "zoe+zoeUpd", "janeA+anon1+anon2+anon3"}},
			{"type=anonymous", []string{"anon3", "anon2", "anon1", "janeA"}},
			{"contactIds=" + strconv.FormatInt(fx.jane.ID, 10), []string{"janeExp", "janeB"}},
		})
	})
}

func TestExplainTokensGivesThePlanOfEachQueryTheListRuns(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		newListFixture(t, s)
		f, err := lt.ParseTokenFilter(url.Values{"type": {"contact"}, "status": {"expired"}, "sort": {"name"}})
		if err != nil {
			t.Fatal(err)
		}
		lines, err := s.ExplainTokens(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(lines, "\n")
		wants := []string{"-- SELECT COUNT(*) FROM login_tokens t WHERE", "-- SELECT t.id FROM login_tokens t WHERE"}
		if strings.Contains(text, onePassHead) {
			wants = []string{onePassHead} // PostgreSQL's count and sort at once
		}
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("plans lack %q:\n%s", want, text)
			}
		}
		if len(lines) < 4 {
			t.Errorf("want each query headed and explained, got:\n%s", text)
		}
	})
}

// TestPeopleOfATypeTheListLeavesOutFindNone: a contact's tokens are of
// type contact and a customer's of type customer, so that people filtered
// by a type their tokens are not of find none of them, on both databases,
// and the other people of the filter still find theirs.
func TestPeopleOfATypeTheListLeavesOutFindNone(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		contact := mustContact(t, s, co.ID, "Anna", "Acme", "anna@example.test")
		customer := mustCustomer(t, s, "Carl", "Buyer", "carl@example.test")
		for range 3 {
			mustToken(t, s, lt.NewToken{ContactID: &contact.ID})
		}
		for range 2 {
			mustToken(t, s, lt.NewToken{CustomerID: &customer.ID})
		}
		mustToken(t, s, lt.NewToken{})
		both := []int64{contact.ID}
		for _, c := range []struct {
			contacts, customers []int64
			types               []lt.UserType
			want                int
		}{
			{both, nil, []lt.UserType{lt.UserCustomer}, 0},
			{both, nil, []lt.UserType{lt.UserCustomer, lt.UserAnonymous}, 0},
			{both, []int64{customer.ID}, []lt.UserType{lt.UserAnonymous}, 0},
			{both, []int64{customer.ID}, []lt.UserType{lt.UserCustomer}, 2},
			{both, []int64{customer.ID}, []lt.UserType{lt.UserContact, lt.UserAnonymous}, 3},
			{both, []int64{customer.ID}, nil, 5},
			{nil, []int64{customer.ID}, []lt.UserType{lt.UserContact}, 0},
		} {
			f := lt.TokenFilter{ContactIDs: c.contacts, CustomerIDs: c.customers, Types: c.types}
			items, total, err := s.FindTokens(ctx, f)
			if err != nil || total != c.want || len(items) != c.want {
				t.Errorf("contacts %v, customers %v, types %v: %d tokens of %d, %v; want %d", c.contacts, c.customers, c.types,
					len(items), total, err, c.want)
			}
			for _, tok := range items {
				if !slices.Contains(c.types, tok.Type) && c.types != nil {
					t.Errorf("types %v: a token of type %s", c.types, tok.Type)
				}
			}
		}
	})
}
