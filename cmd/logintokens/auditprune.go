package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/logintokens/logintokens/sqlstore"
)

// auditPruneEvery is how often serve prunes the audit trail to its
// retention. Each round deletes in batches (sqlstore.AuditPruneBatch),
// each a short transaction of its own, so redeems go on in between.
const auditPruneEvery = 10 * time.Minute

// startAuditPruner prunes the audit trail at start and every
// auditPruneEvery until ctx ends; wait returns once it has stopped.
// Instances on one PostgreSQL prune side by side harmlessly: each batch
// skips the rows another holds.
func startAuditPruner(ctx context.Context, store *sqlstore.Store, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(auditPruneEvery)
		defer t.Stop()
		for {
			n, err := store.PruneAuditByRetention(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("prune the audit trail", "err", err)
			case n > 0:
				log.Info("pruned the audit trail to its retention", "deleted", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return wg.Wait
}
