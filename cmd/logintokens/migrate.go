package main

import (
	"context"
	"fmt"
)

// runMigrate applies the schema migrations and exits, for deployments that
// migrate before starting new instances. With --adopt-key it also binds
// the database to the configured server key, for after a key has leaked.
func runMigrate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("migrate")
	adopt := fs.Bool("adopt-key", false, "after the server key leaked: bind the database to the configured server key "+
		"(with SQLite and none configured, secret.key, made anew when missing) instead of the one it was set up with; "+
		"signing keys sealed with another key are deleted, and token values sealed with one cannot be revealed until regenerated")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *adopt {
		return adoptKey(ctx, c, cf)
	}
	cfg, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "%s database is up to date\n", cfg.DatabaseKind)
	return store.Close()
}

// adoptKey migrates the database and binds it to the server key, whatever
// key it was set up with.
func adoptKey(ctx context.Context, c *cli, cf *configFlags) error {
	cfg, keys, createdKey, err := c.keyedConfig(cf)
	if err != nil {
		return err
	}
	c.reportCreatedKey(createdKey)
	store, err := openMigrated(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()
	deleted, foreign, err := store.AdoptKeyring(ctx, cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "the %s database now opens with server key %s (a key id, not the key); "+
		"signing keys sealed with another key, deleted (serve makes a new one): %d; "+
		"login tokens whose values are sealed with another key (regenerate them): %d\n",
		cfg.DatabaseKind, keys.CurrentKeyID(), deleted, foreign)
	return nil
}
