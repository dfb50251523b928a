package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/logintokens/logintokens/sqlstore/seed"
)

// runDevSeed fills the database with realistic sample data, fast: for
// benchmarks, demos and trying the backoffice on a big list.
func runDevSeed(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("dev seed")
	tokens := fs.Int("tokens", 0, "`N` login tokens to make, of every type and state")
	contacts := fs.Int("contacts", 0, "`N` contacts (default one per 20 tokens)")
	customers := fs.Int("customers", 0, "`N` customers (default one per 20 tokens)")
	companies := fs.Int("companies", 0, "`N` companies (default one per 10 contacts)")
	seedN := fs.Uint64("seed", 1, "`N` of the random sample: the same N makes the same names, times and counters (ids and secrets are always new)")
	values := fs.String("values", "", "`FILE` to write every token's value to, one per line (created mode 0600; it holds secrets)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkSeedCounts(flagSet(fs, "tokens"), *tokens, *contacts, *customers, *companies); err != nil {
		return err
	}
	cfg, keys, createdKey, err := c.keyedConfig(cf)
	if err != nil {
		return err
	}
	opts := seed.Options{Tokens: *tokens, Contacts: *contacts, Customers: *customers, Companies: *companies,
		Seed: *seedN, Progress: func(step string, took time.Duration) {
			fmt.Fprintf(c.stderr, "  %-34s %s\n", step, took.Round(time.Millisecond))
		}}
	if *values != "" {
		f, err := os.OpenFile(*values, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("--values: %w", err)
		}
		defer f.Close()
		opts.Values = f
	}
	start := time.Now()
	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()
	c.reportCreatedKey(createdKey)
	fmt.Fprintf(c.stderr, "seeding %s: %d tokens\n", cfg.DatabaseKind, *tokens)
	res, err := seed.Run(ctx, store, opts)
	if err != nil {
		return err
	}
	if f, ok := opts.Values.(*os.File); ok {
		if err := f.Close(); err != nil {
			return fmt.Errorf("--values: %w", err)
		}
	}
	fmt.Fprintf(c.stderr, "seeded %d tokens, %d companies, %d contacts and %d customers in %s\n",
		res.Tokens, res.Companies, res.Contacts, res.Customers, time.Since(start).Round(time.Millisecond))
	if res.Journal == "wal" {
		fmt.Fprintln(c.stderr, "another connection had the database open (a running server, a shell?), so the load went through the write-ahead log, which is slower")
	}
	return nil
}

// checkSeedCounts refuses a seed without tokens and a negative count; 0
// contacts, customers or companies is the default share. tokensSet says
// whether --tokens was given at all.
func checkSeedCounts(tokensSet bool, tokens, contacts, customers, companies int) error {
	if !tokensSet {
		return usagef("--tokens N is required: how many login tokens to make (at least 1)")
	}
	if tokens < 1 {
		return usagef("--tokens %d: must be at least 1", tokens)
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"--contacts", contacts}, {"--customers", customers}, {"--companies", companies}} {
		if f.n < 0 {
			return usagef("%s %d: want a whole number of 0 (the default) or more", f.name, f.n)
		}
	}
	return nil
}
