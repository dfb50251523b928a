package sqlstore_test

import (
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

// scanSearch is the user search as it was before its indexes: every
// contact and customer read, matched by LIKE and sorted. For three
// characters or more, SearchUsers must answer exactly what it answers.
const scanSearch = `SELECT * FROM (
	SELECT 'contact' AS type, c.id, c.first_name, c.last_name, c.email, co.id AS company_id, co.name AS company_name
	FROM contacts c JOIN companies co ON co.id = c.company_id
	WHERE c.deleted_at IS NULL AND (lower(c.first_name || ' ' || c.last_name) LIKE ? ESCAPE '\' OR c.email LIKE ? ESCAPE '\' OR lower(co.name) LIKE ? ESCAPE '\')
	UNION ALL
	SELECT 'customer', cu.id, cu.first_name, cu.last_name, cu.email, NULL, NULL
	FROM customers cu
	WHERE cu.deleted_at IS NULL AND (lower(cu.first_name || ' ' || cu.last_name) LIKE ? ESCAPE '\' OR cu.email LIKE ? ESCAPE '\')
) u ORDER BY lower(first_name || ' ' || last_name), type, id LIMIT ?`

// scanned runs scanSearch, or with where instead of its LIKE conditions
// (where uses each of its arguments for contacts and again for customers).
func scanned(t *testing.T, s *sqlstore.Store, limit int, args ...any) []string {
	t.Helper()
	q := scanSearch
	all := append(slices.Repeat([]any{args[0]}, 5), limit)
	if s.Dialect() == "postgres" {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
		}
	}
	rows, err := s.DB().Query(q, all...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, first, last, email string
		var id int64
		var coID, coName any
		if err := rows.Scan(&typ, &id, &first, &last, &email, &coID, &coName); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", typ, id))
	}
	return out
}

func keys(hits []*lt.UserRef) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%d", h.Type, h.ID))
	}
	return out
}

// likeOf is the pattern the scan matches q with: lowercased, % and _ literal.
func likeOf(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// searchDirectory seeds a directory of a few hundred people and adds the
// awkward ones: names that hold LIKE's wildcards, quotes, a backslash,
// letters beyond ASCII in either case, a name whose match spans first and
// last name, a contact found both by name and by company, deleted people,
// renamed people and companies (the indexes follow).
func searchDirectory(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	if _, err := seed.Run(ctx, s, seed.Options{Tokens: 20, Contacts: 300, Customers: 300, Companies: 30, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	acme := mustCompany(t, s, "Acme 100% Tools_Co")
	other := mustCompany(t, s, `O"Brien & Söhne`)
	for i, p := range [][3]string{
		{"Anna", "Acme", "anna.acme@example.test"},
		{"Per%cent", "Under_score", "pct@example.test"},
		{`Back\slash`, `"Quoted"`, "quote@example.test"},
		{"Jürgen", "MÜLLER", "juergen@example.test"},
		{"ÄBC", "Straße", "abc@example.test"},
		{"Jane", "Doe", "jane.doe@example.test"},
	} {
		co := acme
		if i%2 == 1 {
			co = other
		}
		mustContact(t, s, co.ID, p[0], p[1], "c-"+p[2])
		mustCustomer(t, s, p[0], p[1], "k-"+p[2])
	}
	gone := mustContact(t, s, acme.ID, "Gone", "Person", "gone@example.test")
	if err := s.DeleteContact(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	goneToo := mustCustomer(t, s, "Gone", "Customer", "gone.customer@example.test")
	if err := s.DeleteCustomer(ctx, goneToo.ID); err != nil {
		t.Fatal(err)
	}
	renamed := mustCustomer(t, s, "Before", "Rename", "before@example.test")
	if _, err := s.UpdateCustomer(ctx, renamed.ID, lt.PersonUpdate{FirstName: ptr("Zebediah"), Email: ptr("zeb@example.test")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCompany(ctx, other.ID, lt.CompanyUpdate{Name: ptr(`O"Brien & Töchter`)}); err != nil {
		t.Fatal(err)
	}
	// The texts searches are drawn from.
	var texts []string
	for _, q := range []string{"SELECT first_name || ' ' || last_name FROM contacts", "SELECT email FROM contacts",
		"SELECT first_name || ' ' || last_name FROM customers", "SELECT email FROM customers", "SELECT name FROM companies"} {
		rows, err := s.DB().Query(q)
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

// TestSearchUsersOfThreeLettersInARowAnswersAsTheScanDid: text that holds
// three letters or digits in a row (bounds.Indexed) is found anywhere, as
// the scan of before found it; the rest of the searches below, of three
// characters or more too, find what starts with them (the next test).
func TestSearchUsersOfThreeLettersInARowAnswersAsTheScanDid(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		texts := searchDirectory(t, s)
		qs := []string{"acme", "ACME", "100%", "%", "%%%", "_co", "s_Co", "o_c", `"br`, `k\s`, `\\\`, "e d", "a d", "jane doe",
			"müller", "MÜLLER", "ürg", "äbc", "ÄBC", "traße", "söhne", "töchter", "zebediah", "before", "gone", "example.test",
			"test", "@ex", "qqxj", "  anna  ", "ann"}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 150 {
			r := []rune(texts[rng.IntN(len(texts))])
			n := 3 + rng.IntN(6)
			if len(r) < n {
				continue
			}
			at := rng.IntN(len(r) - n + 1)
			q := string(r[at : at+n])
			if rng.IntN(3) == 0 {
				q = strings.ToUpper(q)
			}
			qs = append(qs, q)
		}
		for _, q := range qs {
			if !bounds.Indexed(q) {
				continue
			}
			for _, limit := range []int{1, 7, 20, 100} {
				got, err := s.SearchUsers(ctx, q, limit)
				if err != nil {
					t.Fatalf("search %q: %v", q, err)
				}
				want := scanned(t, s, limit, likeOf(strings.TrimSpace(q)))
				if !slices.Equal(keys(got), want) {
					t.Errorf("search %q, limit %d:\n got %v\nwant %v", q, limit, keys(got), want)
				}
			}
		}
	})
}

// TestSearchUsersWithoutThreeLettersInARowFindsWhatStartsWithThem: text
// in which no trigram index finds a trigram of its own (one or two
// characters; punctuation, "a_b", "jo d" of any length) finds a name,
// email or company that starts with it, in the order of names, on both
// databases; nothing finds everyone.
func TestSearchUsersWithoutThreeLettersInARowFindsWhatStartsWithThem(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		texts := searchDirectory(t, s)
		qs := []string{"", "a", "A", " an ", "c-", "k-", "%", "_", "zz", "o\"", "ac", "be", "ze", "gu", "jü", "Ä",
			"%%%", "___", "...", "10%", "s_Co", "o_c", `"br`, `k\s`, `\\\`, "e d", "a d", "@ex", "jane d", "c-an", "o\"b",
			"pe%", "un_s", "ja ", "k-j"}
		// And the starts of the directory's own texts, cut where they
		// stop holding three letters in a row.
		rng := rand.New(rand.NewPCG(3, 4))
		for len(qs) < 80 {
			r := []rune(texts[rng.IntN(len(texts))])
			q := string(r[:min(len(r), 1+rng.IntN(6))])
			if !bounds.Indexed(q) {
				qs = append(qs, q)
			}
		}
		for _, q := range qs {
			for _, limit := range []int{1, 7, 100} {
				got, err := s.SearchUsers(ctx, q, limit)
				if err != nil {
					t.Fatalf("search %q: %v", q, err)
				}
				// The scan, with prefix patterns: the name, the email and
				// the company each start with q.
				want := prefixScanned(t, s, strings.TrimSpace(q), limit)
				if !slices.Equal(keys(got), want) {
					t.Errorf("search %q, limit %d:\n got %v\nwant %v", q, limit, keys(got), want)
				}
			}
		}
	})
}

// prefixScanned reads every person and keeps those whose name, email or
// company starts with q (lowercased as each database's lower() does, so
// compared through the database), in the search's order.
func prefixScanned(t *testing.T, s *sqlstore.Store, q string, limit int) []string {
	t.Helper()
	cond := func(col string) string {
		if s.Dialect() == "postgres" {
			return "position(lower($1) in " + col + ") = 1"
		}
		return "substr(" + col + ", 1, length(?1)) = lower(?1)"
	}
	if s.Dialect() == "sqlite" {
		// SQLite's lower() knows ASCII only; the store lowercases q in Go.
		q = strings.ToLower(q)
	}
	query := `SELECT type, id FROM (
		SELECT 'contact' AS type, c.id, lower(c.first_name || ' ' || c.last_name) AS k FROM contacts c JOIN companies co ON co.id = c.company_id
		WHERE c.deleted_at IS NULL AND (` + cond("lower(c.first_name || ' ' || c.last_name)") + ` OR ` + cond("c.email") + ` OR ` + cond("lower(co.name)") + `)
		UNION ALL
		SELECT 'customer', cu.id, lower(cu.first_name || ' ' || cu.last_name) FROM customers cu
		WHERE cu.deleted_at IS NULL AND (` + cond("lower(cu.first_name || ' ' || cu.last_name)") + ` OR ` + cond("cu.email") + `)
	) u ORDER BY k, type, id LIMIT ` + strconv.Itoa(limit)
	rows, err := s.DB().Query(query, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		var id int64
		if err := rows.Scan(&typ, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", typ, id))
	}
	return out
}

// TestSearchUsersReadsIndexesNotEveryone checks the plans of searches
// that few people match, of every length: no query reads a table of
// people in full, as the scan of before did; each starts from an index
// that finds its candidates. Searches that match many people (and
// no q at all) may walk the index of the order instead, which stops once
// it has enough. PostgreSQL's planner chooses by its statistics, so there
// the directory is large enough (20,000 contacts and as many customers)
// for the choice to be the one a real directory gets.
func TestSearchUsersReadsIndexesNotEveryone(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if s.Dialect() == "postgres" {
			if _, err := seed.Run(ctx, s, seed.Options{Tokens: 20, Contacts: 20000, Customers: 20000, Seed: 3}); err != nil {
				t.Fatal(err)
			}
		} else {
			searchDirectory(t, s)
		}
		// Companies are few: PostgreSQL may read them all.
		fullScan := regexp.MustCompile(`^SCAN (c|cu|contacts|customers)( USING .*)?$|Seq Scan on (contacts|customers)\b`)
		walk := regexp.MustCompile(`^SCAN (c|cu) USING INDEX (contacts|customers)_search_name$|Index Scan using (contacts|customers)_search_name on`)
		for _, c := range []struct {
			q     string
			walks bool // may walk the order
		}{
			{"", true}, {"q", false}, {"zq", false}, {"qqxj", false}, {"xyz", false}, {"zebediah", false}, {"töchter", false},
		} {
			plan, err := s.ExplainSearchUsers(ctx, c.q, 10)
			if err != nil {
				t.Fatalf("explain %q: %v", c.q, err)
			}
			for _, step := range plan {
				step = strings.TrimSpace(step)
				if fullScan.MatchString(step) && !(c.walks && walk.MatchString(step)) || !c.walks && walk.MatchString(step) {
					t.Errorf("search %q reads a whole table or index: %s\n%s", c.q, step, strings.Join(plan, "\n"))
					break
				}
			}
		}
	})
}
