// Package combos draws random combinations of the token list's filters
// from its filter table (lt.TokenFilterSpec), with values picked from a
// database: for the benchmark of random combinations (bench/cmd/listcombos)
// and the store's test that every combination finds exactly its tokens.
package combos

import (
	"context"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// Pool holds values picked from the data.
type Pool struct {
	ids, contacts, customers, shops []string
	words                           []string
}

// Samples picks token ids, users (the busiest first: they have the most
// tokens) and shops from the database.
func Samples(ctx context.Context, s *sqlstore.Store) (*Pool, error) {
	db := s.DB()
	p := &Pool{words: []string{"hoffmann", "müller", "schmidt", "nordwind", "logistics", "mia.kim", "ticket", "cost centre",
		"anna", "weber", "gmbh", "example", "campaign", "oci", "zo", "er", "sales"}}
	for _, q := range []struct {
		dst *[]string
		sql string
	}{
		{&p.ids, `SELECT id FROM login_tokens ORDER BY id LIMIT 1000`},
		{&p.contacts, `SELECT contact_id FROM login_tokens WHERE contact_id IS NOT NULL GROUP BY contact_id ORDER BY COUNT(*) DESC LIMIT 20`},
		{&p.contacts, `SELECT DISTINCT contact_id FROM login_tokens WHERE contact_id IS NOT NULL ORDER BY contact_id DESC LIMIT 200`},
		{&p.customers, `SELECT customer_id FROM login_tokens WHERE customer_id IS NOT NULL GROUP BY customer_id ORDER BY COUNT(*) DESC LIMIT 20`},
		{&p.customers, `SELECT DISTINCT customer_id FROM login_tokens WHERE customer_id IS NOT NULL ORDER BY customer_id DESC LIMIT 200`},
		{&p.shops, `SELECT id FROM shops`},
	} {
		rows, err := db.QueryContext(ctx, q.sql)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, err
			}
			*q.dst = append(*q.dst, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(p.shops) == 0 {
		p.shops = []string{"1"} // no shop: the filter then finds nothing
	}
	return p, nil
}

// Draw picks 1 to 4 filters of the table, their values (times around
// now), a sort and a page.
func Draw(rng *rand.Rand, p *Pool, now time.Time) url.Values {
	var filters []lt.FilterParam
	for _, fp := range lt.TokenFilterSpec {
		switch fp.Kind() {
		case lt.FilterSort, lt.FilterPage, lt.FilterPageSize:
		default:
			filters = append(filters, fp)
		}
	}
	rng.Shuffle(len(filters), func(i, j int) { filters[i], filters[j] = filters[j], filters[i] })
	q := url.Values{}
	pickN := func(from []string, most int) []string {
		out := []string{}
		for range 1 + rng.IntN(most) {
			if v := from[rng.IntN(len(from))]; !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	for _, fp := range filters[:1+rng.IntN(4)] {
		switch fp.Kind() {
		case lt.FilterTokenIDs:
			q.Set(fp.Name, strings.Join(pickN(p.ids, 25), ","))
		case lt.FilterUserIDs:
			from := p.contacts
			if fp.User == lt.UserCustomer {
				from = p.customers
			}
			q.Set(fp.Name, strings.Join(pickN(from, 3), ","))
		case lt.FilterChoice:
			var vals []string
			for _, c := range fp.Choices {
				vals = append(vals, c.Value)
			}
			q.Set(fp.Name, strings.Join(pickN(vals, len(vals)-1), ","))
		case lt.FilterTimeRange:
			// A day from three years ago to a year ahead; a range of a day
			// to two years; either end may be open.
			from := now.AddDate(0, 0, -3*365+rng.IntN(4*365))
			to := from.AddDate(0, 0, []int{0, 1, 7, 30, 90, 365, 730}[rng.IntN(7)])
			switch rng.IntN(4) {
			case 0:
				q.Set(fp.Name+"From", from.Format("2006-01-02"))
			case 1:
				q.Set(fp.Name+"To", to.Format("2006-01-02"))
			default:
				q.Set(fp.Name+"From", from.Format("2006-01-02"))
				q.Set(fp.Name+"To", to.Format("2006-01-02"))
			}
		case lt.FilterCount:
			op := fp.Choices[rng.IntN(len(fp.Choices))].Value
			q.Set(fp.Name, op+":"+strconv.Itoa([]int{0, 1, 2, 3, 5, 10, 50}[rng.IntN(7)]))
		case lt.FilterBool:
			q.Set(fp.Name, fp.Choices[rng.IntN(2)].Value)
		case lt.FilterShop:
			q.Set(fp.Name, p.shops[rng.IntN(len(p.shops))])
		case lt.FilterText:
			q.Set(fp.Name, p.words[rng.IntN(len(p.words))])
		}
	}
	if rng.IntN(4) > 0 {
		s := lt.SortKeys[rng.IntN(len(lt.SortKeys))]
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		q.Set("sort", s)
	}
	if rng.IntN(5) == 0 {
		q.Set("page", strconv.Itoa(1+rng.IntN(400))) // the list shows its first 10,000 rows
	}
	return q
}
