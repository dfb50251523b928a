package main

import (
	"context"
	"fmt"

	lt "github.com/logintokens/logintokens"
)

func runShopCreate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("shop create")
	name := fs.String("name", "", "`NAME` of the shop, shown on the sign-in page")
	var redirects, postLogout listFlag
	fs.Var(&redirects, "redirect-uri", "`URI` the shop's authorization requests may name as redirect_uri, matched exactly (repeatable; at least one)")
	initiate := fs.String("initiate-login-uri", "", "`URI` where a login link of a token bound to the shop continues (OpenID Connect Core §4)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "`URI` the shop may return to after signing out (repeatable)")
	public := fs.Bool("public", false, "a public shop (browser or mobile app): no client secret, PKCE with S256 required")
	asJSON := jsonFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	n := lt.NewShop{Name: *name, RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout, Public: *public}
	if *initiate != "" {
		n.InitiateLoginURI = initiate
	}
	// The domain's rules first, so that bad input fails before anything
	// is opened.
	if err := n.Validate(); err != nil {
		return err
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()

	shop, secret, err := store.CreateShop(ctx, cliActor, n)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c, shopJSON{Shop: shop, ClientSecret: secret})
	}
	if secret != "" {
		fmt.Fprintln(c.stdout, secret)
		fmt.Fprintf(c.stderr, "registered shop %d %q with client id %s; the client secret is shown only now\n", shop.ID, shop.Name, shop.ClientID)
	} else {
		fmt.Fprintf(c.stderr, "registered public shop %d %q with client id %s (no client secret: PKCE with S256)\n", shop.ID, shop.Name, shop.ClientID)
	}
	return nil
}

// shopJSON is a new shop as --json prints it, with its client secret
// (absent for a public shop).
type shopJSON struct {
	*lt.Shop
	ClientSecret string `json:"clientSecret,omitempty"`
}
