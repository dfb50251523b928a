package main

import (
	"context"
	"fmt"
)

// runMigrate applies the schema migrations and exits, for deployments that
// migrate before starting new instances.
func runMigrate(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("migrate")
	cf := addConfigFlags(fs)
	positional, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(positional); err != nil {
		return err
	}
	cfg, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "%s database is up to date\n", cfg.DatabaseKind)
	return store.Close()
}
