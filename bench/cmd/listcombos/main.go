// Command listcombos measures the token list over HTTP with random
// combinations of its filters: it draws N filter sets of 1 to 4 filters
// from the filter table (lt.TokenFilterSpec), each with random values,
// operators, ranges, a random sort and sometimes a deeper page, calls
// GET /api/v1/login-tokens with each (one warm-up call, then -calls timed
// calls, one at a time), and prints the distribution of the combinations'
// median times (p50, p95, p99, max), split into those that find at most
// 10,000 tokens and the others, and the worst combinations with the plans
// of their queries (read from the database with the store's own SQL).
//
//	go run ./bench/cmd/listcombos -url http://127.0.0.1:18081 -key "$KEY" \
//	    -database-url sqlite:/tmp/bench/sqlite.db -n 300 -calls 5 [-seed N]
//
// The seed is printed; the same seed over the same data draws the same
// combinations. -searches keeps only the combinations with a q the text
// index serves (three or more characters) beside another filter.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/bench/combos"
	"github.com/logintokens/logintokens/sqlstore"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18081", "the server")
	key := flag.String("key", os.Getenv("LISTCOMBOS_KEY"), "an admin API key with configuration:viewer (or LISTCOMBOS_KEY)")
	dbURL := flag.String("database-url", "", "the server's database, to pick ids from and explain the worst")
	n := flag.Int("n", 300, "combinations to draw")
	calls := flag.Int("calls", 5, "timed calls per combination")
	seed := flag.Uint64("seed", 0, "random seed (0: from the clock; printed)")
	worst := flag.Int("worst", 5, "worst combinations to explain")
	out := flag.String("out", "", "a file to write every combination to (ms, found, query; tab-separated, slowest first)")
	searches := flag.Bool("searches", false, "only combinations with a q of three or more characters and another filter")
	flag.Parse()
	if *key == "" || *dbURL == "" || *n < 1 || *calls < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	if err := run(context.Background(), *base, *key, *dbURL, *n, *calls, *worst, *seed, *out, *searches); err != nil {
		fmt.Fprintln(os.Stderr, "listcombos:", err)
		os.Exit(1)
	}
}

type result struct {
	query  string
	found  int
	took   time.Duration // the median of the timed calls
	failed bool
}

func run(ctx context.Context, base, key, dbURL string, n, calls, worst int, seed uint64, out string, searches bool) error {
	store, err := sqlstore.Open(ctx, dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	pool, err := combos.Samples(ctx, store)
	if err != nil {
		return err
	}
	fmt.Printf("seed %d, %d combinations, %d timed calls each, %s, load %s\n", seed, n, calls, store.Dialect(), loadavg())
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	client := &http.Client{Timeout: time.Minute}
	var results []result
	for i := range n {
		q := combos.Draw(rng, pool, time.Now().UTC())
		for searches && !searchBeside(q) {
			q = combos.Draw(rng, pool, time.Now().UTC())
		}
		r := result{query: q.Encode()}
		var took []time.Duration
		for c := range calls + 1 {
			start := time.Now()
			found, err := list(ctx, client, base, key, r.query)
			d := time.Since(start)
			if err != nil {
				// An answer other than 200 (a timeout's 503) is kept as a
				// failure at the time it took.
				fmt.Fprintf(os.Stderr, "%s: %v\n", r.query, err)
				r.failed = true
			}
			r.found = found
			if c > 0 {
				took = append(took, d)
			}
		}
		slices.Sort(took)
		r.took = took[len(took)/2]
		results = append(results, r)
		if (i+1)%50 == 0 {
			fmt.Fprintf(os.Stderr, "%d/%d\n", i+1, n)
		}
	}
	fmt.Printf("load after %s\n\n", loadavg())
	fmt.Println("| set | combinations | p50 ms | p95 ms | p99 ms | max ms | over 250 ms |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, g := range []struct {
		name string
		keep func(result) bool
	}{
		{"all", func(result) bool { return true }},
		{"found <= 10,000", func(r result) bool { return r.found <= 10_000 }},
		{"found > 10,000", func(r result) bool { return r.found > 10_000 }},
	} {
		var ds []time.Duration
		over := 0
		for _, r := range results {
			if g.keep(r) {
				ds = append(ds, r.took)
				if r.took > 250*time.Millisecond {
					over++
				}
			}
		}
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %d |\n", g.name, len(ds), ms(pct(ds, 0.50)), ms(pct(ds, 0.95)),
			ms(pct(ds, 0.99)), ms(ds[len(ds)-1]), over)
	}
	slices.SortFunc(results, func(a, b result) int { return int(b.took - a.took) })
	if out != "" {
		var b strings.Builder
		for _, r := range results {
			q, _ := url.QueryUnescape(r.query)
			fmt.Fprintf(&b, "%s\t%d\t%s\n", ms(r.took), r.found, q)
		}
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("\nworst %d:\n", worst)
	for _, r := range results[:min(worst, len(results))] {
		q, _ := url.QueryUnescape(r.query)
		fmt.Printf("\n%s ms, found %d, failed %v: %s\n", ms(r.took), r.found, r.failed, q)
		vals, _ := url.ParseQuery(r.query)
		f, err := lt.ParseTokenFilter(vals)
		if err != nil {
			return err
		}
		lines, err := store.ExplainTokens(ctx, f)
		if err != nil {
			fmt.Printf("  explain: %v\n", err)
		}
		for _, l := range lines {
			fmt.Printf("  %s\n", l)
		}
	}
	return nil
}

// searchBeside reports whether q has a search of three or more
// characters, which the text index serves, and another filter.
func searchBeside(q url.Values) bool {
	if utf8.RuneCountInString(q.Get("q")) < 3 {
		return false
	}
	for k := range q {
		if k != "q" && k != "sort" && k != "page" {
			return true
		}
	}
	return false
}

func list(ctx context.Context, client *http.Client, base, key, query string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/login-tokens?"+query, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
	}
	var page struct {
		ItemsFound int `json:"itemsFound"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, err
	}
	return page.ItemsFound, nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	return ds[max(0, int(math.Ceil(p*float64(len(ds))))-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
