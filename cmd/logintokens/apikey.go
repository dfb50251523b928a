package main

import (
	"context"
	"fmt"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

func runAPIKeyCreate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("apikey create")
	name := fs.String("name", "", "`NAME`: what the key is for, such as \"ERP import\"")
	webshop := fs.Bool("webshop", false, "a webshop key: it may only redeem tokens")
	var grants listFlag
	fs.Var(&grants, "grant", "`AREA:LEVEL` of an admin key (repeatable)")
	asJSON := jsonFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	n, err := newAPIKey(*name, *webshop, grants)
	if err != nil {
		return err
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()

	k, value, err := store.CreateAPIKey(ctx, n)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c, apiKeyJSON{APIKey: k, Grants: k.Grants.Strings(), Value: value})
	}
	fmt.Fprintln(c.stdout, value)
	fmt.Fprintf(c.stderr, "created %s API key %s %q; the key is shown only now\n", k.Kind, k.ID, k.Name)
	return nil
}

// newAPIKey is the key the flags describe: a webshop key, or an admin key
// with its grants.
func newAPIKey(name string, webshop bool, grants []string) (lt.NewAPIKey, error) {
	if strings.TrimSpace(name) == "" {
		return lt.NewAPIKey{}, usagef("--name is required")
	}
	n := lt.NewAPIKey{Name: name, Kind: lt.KeyAdmin, CreatedBy: cliActor.Name}
	switch {
	case webshop && len(grants) > 0:
		return n, usagef("give --webshop or --grant, not both: a webshop key may only redeem tokens and takes no grants")
	case webshop:
		n.Kind = lt.KeyWebshop
	case len(grants) == 0:
		return n, usagef("give --webshop for a webshop key, or --grant AREA:LEVEL for an admin key")
	default:
		var err error
		if n.Grants, err = parseGrantFlags(grants); err != nil {
			return n, err
		}
	}
	return n, nil
}

// apiKeyJSON is a new API key as --json prints it, with its value.
type apiKeyJSON struct {
	*lt.APIKey
	Grants []string `json:"grants"`
	Value  string   `json:"value"`
}

func runAPIKeyRevoke(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("apikey revoke")
	positional, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch len(positional) {
	case 0:
		return usagef("give the id of the key to revoke: apikey revoke ID")
	case 1:
	default:
		return usagef("unexpected argument %q: revoke one key at a time", positional[1])
	}
	id := positional[0]
	if kid, _, err := lt.ParseValue(lt.APIKeyPrefix, id); err == nil {
		id = kid // the whole key was given: its id is the part after ltk_
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.RevokeAPIKey(ctx, id); err != nil {
		if lt.ErrorCode(err) == lt.ENOTFOUND {
			return unknownAPIKey(ctx, store, id)
		}
		return err
	}
	fmt.Fprintf(c.stderr, "revoked API key %s\n", id)
	return nil
}

// unknownAPIKey is the usage error for an id that names no key to revoke:
// none at all, or one revoked already.
func unknownAPIKey(ctx context.Context, store *sqlstore.Store, id string) error {
	keys, err := store.FindAPIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id && k.RevokedAt != nil {
			return usagef("API key %s is revoked already", lt.QuoteInput(id))
		}
	}
	return usagef("no API key with id %s; \"logintokens apikey list\" shows the ids", lt.QuoteInput(id))
}
