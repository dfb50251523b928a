package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

func countAllEvents(t *testing.T, s *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM audit_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// logSignal is a log that closes pruned when the pruner says it pruned.
type logSignal struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	once   sync.Once
	pruned chan struct{}
}

func (l *logSignal) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if strings.Contains(l.buf.String(), "pruned the audit trail") {
		l.once.Do(func() { close(l.pruned) })
	}
	return len(p), nil
}

func (l *logSignal) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// The pruner that serve runs deletes the events older than the retention,
// in batches until none is left, and keeps the newer ones; a retention of
// 0 (forever) deletes nothing.
func TestAuditPrunerDeletesEventsOlderThanTheRetentionInBatches(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		mustRun(t, db.env, "", "migrate")
		s := db.open(t)
		ctx := context.Background()
		now := time.Now()
		base := countAllEvents(t, s)

		const old, recent = sqlstore.AuditPruneBatch + 5, 3
		s.Now = func() time.Time { return now.AddDate(0, 0, -40) }
		for i := range old {
			if err := s.AuditEvent(ctx, cliActor, "test.old", map[string]any{"i": i}); err != nil {
				t.Fatal(err)
			}
		}
		s.Now = func() time.Time { return now.AddDate(0, 0, -5) }
		for i := range recent {
			if err := s.AuditEvent(ctx, cliActor, "test.recent", map[string]any{"i": i}); err != nil {
				t.Fatal(err)
			}
		}
		s.Now = time.Now

		// Forever: nothing goes.
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		if n := pruneAudit(ctx, s, quiet); n != 0 {
			t.Errorf("retention 0 pruned %d events", n)
		}
		if got := countAllEvents(t, s); got != base+old+recent {
			t.Fatalf("%d events after pruning with retention 0, want %d", got, base+old+recent)
		}

		if err := s.SetAuditRetention(ctx, cliActor, 30); err != nil {
			t.Fatal(err)
		}
		log := &logSignal{pruned: make(chan struct{})}
		runCtx, cancel := context.WithCancel(ctx)
		wait := startAuditPruner(runCtx, s, slog.New(slog.NewTextHandler(log, nil)))
		<-log.pruned
		cancel()
		wait()
		if !strings.Contains(log.String(), "deleted="+strconv.Itoa(old)) {
			t.Errorf("the pruner's log %q does not say it deleted %d (more than one batch of %d)", log, old, sqlstore.AuditPruneBatch)
		}
		if n := countEvents(t, s, "test.old"); n != 0 {
			t.Errorf("%d events older than the retention are left", n)
		}
		if n := countEvents(t, s, "test.recent"); n != recent {
			t.Errorf("%d of %d events within the retention are left", n, recent)
		}
		if n := countEvents(t, s, lt.EventAuditRetentionChanged); n != 1 {
			t.Errorf("the retention change's event is gone (%d)", n)
		}
	})
}
