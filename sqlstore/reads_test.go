package sqlstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/seed"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The bounds of every list and search read: no page deeper than
// bounds.MaxListRows, and no query that reads a table of people in full.

// TestAPagePastTenThousandRowsIsRefusedNamingPage: the token list and
// the directory's lists refuse a page that ends past row 10,000 with
// INVALID_INPUT naming page, before reading anything; the last page
// within it is a page like any other (here past the end: empty).
func TestAPagePastTenThousandRowsIsRefusedNamingPage(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		co := mustCompany(t, s, "Acme")
		mustContact(t, s, co.ID, "Anna", "Acme", "anna@example.test")
		mustCustomer(t, s, "Carl", "Buyer", "carl@example.test")
		mustToken(t, s, lt.NewToken{})
		lists := map[string]func(page, size int) (int, error){
			"tokens": func(page, size int) (int, error) {
				items, _, err := s.FindTokens(ctx, lt.TokenFilter{Page: page, PageSize: size})
				return len(items), err
			},
			"contacts": func(page, size int) (int, error) {
				items, _, err := s.FindContacts(ctx, lt.DirectoryFilter{Q: "acme", Page: page, PageSize: size})
				return len(items), err
			},
			"customers": func(page, size int) (int, error) {
				items, _, err := s.FindCustomers(ctx, lt.DirectoryFilter{Page: page, PageSize: size})
				return len(items), err
			},
			"companies": func(page, size int) (int, error) {
				items, _, err := s.FindCompanies(ctx, lt.DirectoryFilter{Q: "a", Page: page, PageSize: size})
				return len(items), err
			},
		}
		for name, find := range lists {
			for _, c := range []struct{ last, size int }{{400, 25}, {400, 0}, {20, 500}, {10000, 1}} {
				if n, err := find(c.last, c.size); err != nil || n != 0 {
					t.Errorf("%s, page %d of %d: %d rows, %v; want an empty page", name, c.last, c.size, n, err)
				}
				_, err := find(c.last+1, c.size)
				var e *lt.Error
				if !errors.As(err, &e) || e.Code != lt.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "page" ||
					!strings.Contains(e.Message, "at most "+strconv.Itoa(c.last)) {
					t.Errorf("%s, page %d of %d: %v; want INVALID_INPUT naming page, at most %d", name, c.last+1, c.size, err, c.last)
				}
			}
			if n, err := find(1, 25); err != nil || n != 1 {
				t.Errorf("%s, page 1: %d rows, %v", name, n, err)
			}
		}
	})
}

// listDirectory is searchDirectory with external ids, of which some hold
// LIKE's wildcards, and the texts q is drawn from: names, emails,
// external ids and company names.
func listDirectory(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	texts := searchDirectory(t, s)
	co := mustCompany(t, s, "Externals")
	for i, ext := range []string{"ERP-4711", "erp_4712", "A%B-1", `X\Y.z`, "ÄÖ-ü 9"} {
		c := mustContact(t, s, co.ID, "Ext", "Person "+strconv.Itoa(i), fmt.Sprintf("ext%d@example.test", i))
		if _, err := s.UpdateContact(ctx, c.ID, lt.PersonUpdate{ExternalID: ptr(ptr(ext))}); err != nil {
			t.Fatal(err)
		}
		k := mustCustomer(t, s, "Ext", "Customer "+strconv.Itoa(i), fmt.Sprintf("extk%d@example.test", i))
		if _, err := s.UpdateCustomer(ctx, k.ID, lt.PersonUpdate{ExternalID: ptr(ptr("K-" + ext))}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateCompany(ctx, mustCompany(t, s, "Ext Co "+strconv.Itoa(i)).ID, lt.CompanyUpdate{ExternalID: ptr(ptr("C-" + ext))}); err != nil {
			t.Fatal(err)
		}
	}
	// A changed external id is found by its new value only.
	c := mustContact(t, s, co.ID, "Renamed", "Ext", "renamed.ext@example.test")
	for _, ext := range []string{"OLD-5150", "NEW-6160"} {
		if _, err := s.UpdateContact(ctx, c.ID, lt.PersonUpdate{ExternalID: ptr(ptr(ext))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"SELECT external_id FROM contacts", "SELECT external_id FROM customers", "SELECT external_id FROM companies"} {
		rows, err := s.DB().Query(q + " WHERE external_id IS NOT NULL")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v string
			rows.Scan(&v)
			texts = append(texts, v)
		}
		rows.Close()
	}
	return texts
}

// listQueries are fixed searches and random ones drawn from texts: parts
// of 1 to 8 characters, in their case or upper case, and the same with
// punctuation around or in them.
func listQueries(texts []string, seed uint64, n int) []string {
	qs := []string{"acme", "ACME", "100%", "%", "%%%", "___", "...", "_co", "o_c", `\\\`, "e d", "a d", "jane doe", "müller",
		"MÜLLER", "äbc", "söhne", "erp-4711", "4711", "erp_", "4712", "a%b", `x\y`, "äö-ü", "old-5150", "6160", "k-erp", "c-a%",
		"example.test", "test", "@ex", "qqxj", "a", "ä", "zz", "k-", "c-", "e", "x", "a_b", "jo d", ".", "-", "_"}
	rng := rand.New(rand.NewPCG(seed, 7))
	for range n {
		r := []rune(texts[rng.IntN(len(texts))])
		k := 1 + rng.IntN(8)
		if len(r) < k {
			continue
		}
		at := rng.IntN(len(r) - k + 1)
		q := string(r[at : at+k])
		switch rng.IntN(4) {
		case 0:
			q = strings.ToUpper(q)
		case 1:
			q = string("._%- "[rng.IntN(5)]) + q
		case 2:
			q = strings.Join(strings.Split(q, ""), string(".-_ "[rng.IntN(4)]))
		}
		qs = append(qs, q)
	}
	return qs
}

// scannedList reads every row of a list's table and keeps what q finds as
// the lists define it: Indexed text anywhere in the list's text, as the
// scan of before found it, any other text at its start; in the list's
// order, as "kind:id".
func scannedList(t *testing.T, s *sqlstore.Store, list, q string) []string {
	t.Helper()
	text := []string{`lower(first_name || ' ' || last_name)`, `email`, `lower(external_id)`}
	order := `lower(last_name), lower(first_name), id`
	if list == "companies" {
		text, order = []string{`lower(name)`, `lower(external_id)`}, `lower(name), id`
	}
	q = strings.TrimSpace(q)
	arg := strings.ToLower(q)
	var conds []string
	for _, col := range text {
		switch {
		case bounds.Indexed(q):
			arg = likeOf(q)
			conds = append(conds, col+` LIKE $1 ESCAPE '\'`)
		case s.Dialect() == "postgres":
			conds = append(conds, `left(`+col+`, char_length($1)) = $1`)
		default:
			conds = append(conds, `substr(`+col+`, 1, length($1)) = $1`)
		}
	}
	rows, err := s.DB().Query(`SELECT id FROM `+list+` WHERE deleted_at IS NULL AND (`+strings.Join(conds, ` OR `)+`) ORDER BY `+order, arg)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, list+":"+strconv.FormatInt(id, 10))
	}
	return out
}

// findList reads one page of a list, as "kind:id", and its total.
func findList(t *testing.T, s *sqlstore.Store, list string, f lt.DirectoryFilter) ([]string, int) {
	t.Helper()
	var ids []int64
	var total int
	var err error
	switch list {
	case "contacts":
		var items []*lt.Contact
		items, total, err = s.FindContacts(ctx, f)
		for _, c := range items {
			ids = append(ids, c.ID)
		}
	case "customers":
		var items []*lt.Customer
		items, total, err = s.FindCustomers(ctx, f)
		for _, c := range items {
			ids = append(ids, c.ID)
		}
	default:
		var items []*lt.Company
		items, total, err = s.FindCompanies(ctx, f)
		for _, c := range items {
			ids = append(ids, c.ID)
		}
	}
	if err != nil {
		t.Fatalf("%s %+v: %v", list, f, err)
	}
	out := []string{}
	for _, id := range ids {
		out = append(out, list+":"+strconv.FormatInt(id, 10))
	}
	return out, total
}

// TestDirectoryListsFindWhatTheirScanFinds: the lists of contacts,
// customers and companies answer q exactly as scannedList defines it, on
// both databases, whichever way they find the page (sorted from the
// search's indexes, or a walk of the order's index when q matches many),
// for random searches of 1 to 8 characters with punctuation and case.
func TestDirectoryListsFindWhatTheirScanFinds(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		texts := listDirectory(t, s)
		for _, q := range listQueries(texts, 1, 150) {
			for _, list := range []string{"contacts", "customers", "companies"} {
				want := scannedList(t, s, list, q)
				got, total := findList(t, s, list, lt.DirectoryFilter{Q: q, PageSize: 500})
				if total != len(want) || !slices.Equal(got, want[:min(len(want), 500)]) {
					t.Errorf("%s q=%q: %d found\n got %v\nwant %v", list, q, total, got, want)
					continue
				}
				// A later page, found the same way as a deep one.
				got, _ = findList(t, s, list, lt.DirectoryFilter{Q: q, Page: 3, PageSize: 7})
				if page := want[min(len(want), 14):min(len(want), 21)]; !slices.Equal(got, page) {
					t.Errorf("%s q=%q, page 3 of 7:\n got %v\nwant %v", list, q, got, page)
				}
			}
		}
	})
}

// TestListsAndPickerReadNoTableOfPeopleInFull checks the plans of every
// query that the directory's lists and the user picker run, for random
// searches of 1 to 8 characters with punctuation, on both databases: each
// starts from an index that finds what q matches (a trigram index for
// Indexed text, a range of a prefix index for the rest), never from a
// read of a whole table of people.
//
// SQLite says so in its plan: no step is "SCAN contacts" (a list may walk
// its order's index, "SCAN contacts USING INDEX contacts_list_order", when
// q matches so many that the walk ends early, and read the table when its
// trigram candidates are more than half of it: see listRead.run). On
// PostgreSQL a plan does not say it: a GIN index asked for a pattern
// without a trigram reads every entry, under the same "Bitmap Index Scan"
// as any other. So there the queries run (EXPLAIN ANALYZE) on a directory
// large enough for the planner to choose as it would for a real one
// (20,000 contacts and as many customers, analysed), and for a q that
// matches at most one row in twenty of a table, no step may read the whole
// table nor more than half of its rows from one of its indexes; except a
// trigram index asked for Indexed text, which reads the rows that hold
// its trigrams (all of them, for "-p00" where every external id holds
// "p00"), no more. Companies are few (one for ten contacts): PostgreSQL
// may read them all.
func TestListsAndPickerReadNoTableOfPeopleInFull(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if s.Dialect() == "postgres" {
			if _, err := seed.Run(ctx, s, seed.Options{Tokens: 20, Contacts: 20000, Customers: 20000, Seed: 5}); err != nil {
				t.Fatal(err)
			}
		}
		texts := listDirectory(t, s)
		if s.Dialect() == "postgres" {
			if _, err := s.DB().Exec(`ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		fullRead := regexp.MustCompile(`^SCAN (c|cu|co|contacts|customers|companies)$`)
		walk := regexp.MustCompile(`^SCAN (contacts|customers|companies) USING INDEX (contacts_list_order|customers_list_order|companies_search_name)$`)
		rows := map[string]int{}
		for _, table := range []string{"contacts", "customers", "companies"} {
			var n int
			if err := s.DB().QueryRow(`SELECT COUNT(*) FROM ` + table + ` WHERE deleted_at IS NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			rows[table] = n
		}
		// check reports a step of plan that reads a whole table of
		// people, where matches says how many rows of each table q
		// finds; list is the list's table ("" for the picker).
		check := func(list, q, what string, plan []string, matches map[string]int) {
			t.Helper()
			fail := func(step string) {
				t.Errorf("%s (%v found) reads a whole table or index: %s\n%s", what, matches, step, strings.Join(plan, "\n"))
			}
			// PostgreSQL's steps that read a table of people: the table
			// and the rows read.
			type read struct {
				table       string
				rows, loops int
				trigrams    bool // a trigram index's candidates
			}
			var reads []read
			for _, step := range plan {
				step = strings.TrimSpace(step)
				if m := fullRead.FindStringSubmatch(step); m != nil {
					inOrder, err := s.ReadsListInOrder(ctx, list, q)
					if err != nil {
						t.Fatal(err)
					}
					if _, known := matches[sqliteTable(m[1])]; known && !(m[1] == list && inOrder) {
						fail(step)
						return
					}
				}
				if m := walk.FindStringSubmatch(step); m != nil && (m[1] != list || 2*25*rows[list] >= matches[list]*matches[list]) {
					fail(step)
					return
				}
				switch m, seq := pgRead.FindStringSubmatch(step), pgSeqScan.FindStringSubmatch(step); {
				case seq != nil:
					reads = append(reads, read{seq[1], rows[seq[1]], 1, false})
				case m != nil:
					n, _ := strconv.Atoi(m[2])
					loops, _ := strconv.Atoi(m[3])
					reads = append(reads, read{strings.SplitN(m[1], "_", 2)[0], n * loops, loops, strings.HasSuffix(m[1], "_trgm")})
				case strings.Contains(step, "(actual rows="):
					reads = append(reads, read{}) // a step that reads no table of people
				case strings.HasPrefix(step, "Rows Removed by Filter: ") && len(reads) > 0:
					// Read, then left out: per loop, as the rows.
					n, _ := strconv.Atoi(strings.TrimPrefix(step, "Rows Removed by Filter: "))
					reads[len(reads)-1].rows += n * reads[len(reads)-1].loops
				}
			}
			for _, r := range reads {
				if r.trigrams && bounds.Indexed(strings.TrimSpace(q)) {
					continue // the rows that hold q's trigrams, which the LIKE checks
				}
				if m, known := matches[r.table]; known && rows[r.table] >= 10000 && 20*m <= rows[r.table] && 2*r.rows > rows[r.table] {
					t.Errorf("%s (%d of %d %s found) reads %d of them:\n%s", what, m, rows[r.table], r.table, r.rows, strings.Join(plan, "\n"))
					return
				}
			}
		}
		for _, q := range listQueries(texts, 2, 80) {
			for _, list := range []string{"contacts", "customers", "companies"} {
				f := lt.DirectoryFilter{Q: q}
				plan, err := s.ExplainList(ctx, list, f, true)
				if err != nil {
					t.Fatalf("explain %s q=%q: %v", list, q, err)
				}
				_, total := findList(t, s, list, f)
				check(list, q, fmt.Sprintf("%s q=%q", list, q), plan, map[string]int{list: total})
			}
			plan, err := s.ExplainSearchUsers(ctx, q, 10, true)
			if err != nil {
				t.Fatalf("explain the search for %q: %v", q, err)
			}
			var found []string
			if bounds.Indexed(strings.TrimSpace(q)) {
				found = scanned(t, s, 1<<20, likeOf(strings.TrimSpace(q)))
			} else {
				found = prefixScanned(t, s, strings.TrimSpace(q), 1<<20)
			}
			matches := map[string]int{"contacts": 0, "customers": 0}
			for _, key := range found {
				kind, _, _ := strings.Cut(key, ":")
				matches[kind+"s"]++
			}
			check("", q, fmt.Sprintf("search %q", q), plan, matches)
		}
	})
}

// pgRead is a step of PostgreSQL's EXPLAIN ANALYZE that reads an index
// (whose name starts with its table's): the index, and the rows it found
// in each of its loops; a filter may remove some of them (its next
// lines say how many).
var pgRead = regexp.MustCompile(`(?:Index Scan using|Index Only Scan using|Bitmap Index Scan on) (\S+).*\(actual rows=(\d+) loops=(\d+)\)`)

// sqliteTable is the table an alias of SQLite's plans stands for.
func sqliteTable(alias string) string {
	return map[string]string{"c": "contacts", "cu": "customers", "co": "companies"}[alias] + map[bool]string{true: alias}[len(alias) > 2]
}

// pgSeqScan is a step of PostgreSQL's plan that reads a whole table.
var pgSeqScan = regexp.MustCompile(`Seq Scan on (\S+)( (c|cu|co))? \(`)

// TestAReadSeesTheStoreAsItWasAtItsFirstStatement: a list counts its
// tokens and reads its page in two statements of one read; a token
// created between them is in neither, so that the count and the page
// agree (at PostgreSQL's default isolation, READ COMMITTED, the second
// statement would see it: a page of more tokens than its total).
func TestAReadSeesTheStoreAsItWasAtItsFirstStatement(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		mustToken(t, s, lt.NewToken{})
		first, second, err := s.CountTokensTwice(ctx, func() { mustToken(t, s, lt.NewToken{}) })
		if err != nil || first != 1 || second != 1 {
			t.Fatalf("counts in one read around a token's creation: %d, %d, %v; want 1, 1", first, second, err)
		}
		items, total, err := s.FindTokens(ctx, lt.TokenFilter{})
		if err != nil || total != 2 || len(items) != 2 {
			t.Fatalf("list after the read: %d tokens of %d, %v; want 2 of 2", len(items), total, err)
		}
	})
}
