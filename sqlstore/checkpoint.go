package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite in WAL mode copies the log back into the database file (a
// checkpoint) when a commit finds the log longer than wal_autocheckpoint
// pages: by default on the one writer, inside the commit, with an fsync of
// the log and one of the file, while every write waits for it. Under a
// steady stream of redeems that is several times a second. The
// checkpointer does it instead from a connection of its own, soon after
// writes, while the writer goes on (a PASSIVE checkpoint copies what no
// reader still needs and never blocks a writer). The writer's own
// checkpoint stays as a backstop, at writerCheckpointPages, for a log the
// checkpointer could not keep short.

const (
	// checkpointEvery is how soon after a write the checkpointer runs.
	checkpointEvery = 50 * time.Millisecond
	// writerCheckpointPages is the writer's wal_autocheckpoint: 32 MB of
	// 4 KB pages.
	writerCheckpointPages = "8192"
	// checkpointTimeout bounds one checkpoint; one that fails is left to
	// the next.
	checkpointTimeout = 30 * time.Second
)

type checkpointer struct {
	db    *sql.DB
	wrote atomic.Bool
	quit  chan struct{}
	done  chan struct{}
	stop  sync.Once
	err   error // of closing db
}

// startCheckpointer opens the checkpointer's connection to the database
// at path and starts it.
func (s *Store) startCheckpointer(path string) error {
	db, err := sql.Open("sqlite", sqliteDSN(path, sqliteCheckpointer))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	s.ck = c
	go c.run()
	return nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		}
		if !c.wrote.Swap(false) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
		_, _ = c.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		cancel()
	}
}

// stopCheckpointer stops the checkpointer after the checkpoint under way
// and closes its connection, once however often the store is closed.
func (s *Store) stopCheckpointer() error {
	c := s.ck
	if c == nil {
		return nil
	}
	c.stop.Do(func() {
		close(c.quit)
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
