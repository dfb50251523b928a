package main

import (
	"context"
	"fmt"
	"time"

	"github.com/logintokens/logintokens/jwtsign"
)

// defaultResealBatch is how many token values one transaction of
// secret-key rotate seals anew: short transactions, so that instances
// serving meanwhile wait little for the rows.
const defaultResealBatch = 500

// runSecretKeyRotate seals every stored value sealed with a previous
// server key (LOGINTOKENS_SECRET_KEY_PREVIOUS) with the current one, in
// batches, while instances serve; or, with --check, only says how many
// remain. Run again after a crash, it goes on where it stopped.
func runSecretKeyRotate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("secret-key rotate")
	check := fs.Bool("check", false, "only print how many stored values are sealed with a previous key; exit 1 while any are")
	batch := fs.Int("batch", defaultResealBatch, "`N` token values sealed anew per transaction, 1 to 100000")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batch < 1 || *batch > 100_000 {
		return usagef("--batch: want a whole number from 1 to 100000")
	}
	cfg, err := cf.resolve(c.getenv)
	if err != nil {
		return err
	}
	if cfg.SecretKey == nil {
		return usagef("%sSECRET_KEY (or --secret-key) names the key to seal with, and %sSECRET_KEY_PREVIOUS the keys to replace", envPrefix, envPrefix)
	}
	if len(cfg.SecretKeyPrevious) == 0 && !*check {
		return usagef("%sSECRET_KEY_PREVIOUS (or --secret-key-previous) is empty: give the keys to replace", envPrefix)
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	keys, _ := configuredKeyring(cfg)
	report := func() (int, error) {
		n, err := store.CountSealed(ctx)
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(c.stdout, "%d\n", n.Old())
		fmt.Fprintf(c.stderr, "sealed with a previous key: %d token values, %d signing keys, %d webhook secrets, %d authenticator secrets, key check %s, root of the derived keys %s; "+
			"sealed with a key not given (cannot be opened): %d token values, %d signing keys, %d webhook secrets, %d authenticator secrets; current key %s (a key id, not the key)\n",
			n.OldTokenValues, n.OldSigningKeys, n.OldWebhookSecrets, n.OldTOTPSecrets, yesNo(n.OldKeyCheck), yesNo(n.OldDerivationRoot),
			n.ForeignTokenValues, n.ForeignSigningKeys, n.ForeignWebhookSecrets, n.ForeignTOTPSecrets, keys.CurrentKeyID())
		return n.Old(), nil
	}
	if *check {
		left, err := report()
		if err != nil {
			return err
		}
		if left > 0 {
			return fmt.Errorf("%d stored values are still sealed with a previous key: run secret-key rotate", left)
		}
		return nil
	}
	start := time.Now()
	after, total := "", 0
	for {
		last, n, err := store.Reseal(ctx, after, *batch)
		if err != nil {
			return fmt.Errorf("after %d values sealed anew (run the command again to go on): %w", total, err)
		}
		total += n
		if n < *batch {
			break
		}
		after = last
	}
	fmt.Fprintf(c.stderr, "sealed %d token values anew with server key %s in %s\n", total, keys.CurrentKeyID(), time.Since(start).Round(time.Millisecond))
	left, err := report()
	if err != nil {
		return err
	}
	if left > 0 {
		// Values that an instance still running with the old key as its
		// current one sealed meanwhile.
		return fmt.Errorf("%d stored values were sealed with a previous key meanwhile: restart every instance with the new key, then run secret-key rotate again", left)
	}
	return nil
}

// runSigningKeyRotate makes new JWT signing keys (the assertions' ES256
// and the OpenID Provider's RS256) that every instance publishes at once
// and signs with after jwtsign.RotationDelay; the current ones retire
// then and stay published until their last JWT has expired.
func runSigningKeyRotate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("signing-key rotate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, keys, createdKey, err := c.keyedConfig(cf)
	if err != nil {
		return err
	}
	c.reportCreatedKey(createdKey)
	store, err := openStore(ctx, cfg, keys)
	if err != nil {
		return err
	}
	defer store.Close()
	ids, activeAt, err := jwtsign.Rotate(ctx, store, time.Now(), true)
	if err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintln(c.stdout, id)
	}
	fmt.Fprintf(c.stderr, "new signing keys %v are published now and sign from %s (in %s); the keys they replace stay published until their last JWT has expired\n",
		ids, activeAt.UTC().Format(time.RFC3339), jwtsign.RotationDelay)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
