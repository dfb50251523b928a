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
			pruneAudit(ctx, store, log)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return wg.Wait
}

// pruneAudit is one round of the pruner: every event older than the
// retention, in batches until none is left; a retention of 0 (forever)
// deletes nothing. It logs what it deleted and reports how many.
func pruneAudit(ctx context.Context, store *sqlstore.Store, log *slog.Logger) int64 {
	n, err := store.PruneAuditByRetention(ctx)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		log.Warn("prune the audit trail", "err", err)
	case n > 0:
		log.Info("pruned the audit trail to its retention", "deleted", n)
	}
	return n
}
