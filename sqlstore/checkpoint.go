package sqlstore

import (
	"context"
	"database/sql"
	"strings"
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
	// refresh brings the planner's statistics up to date, every
	// statisticsEvery (Store.refreshStatistics), under ctx, which stop
	// cancels.
	refresh func(context.Context) error
	ctx     context.Context
	cancel  context.CancelFunc
}

// startCheckpointer opens the checkpointer's connection to the database
// at path and starts it.
func (s *Store) startCheckpointer(path string) error {
	db, err := sql.Open("sqlite", sqliteDSN(path, sqliteCheckpointer))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(checkpointerIdle)
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{}), refresh: s.refreshStatistics}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	s.ck = c
	go c.run()
	return nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	stats := time.NewTicker(statisticsEvery)
	defer stats.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-stats.C:
			ctx, cancel := context.WithTimeout(c.ctx, statisticsTimeout)
			_ = c.refresh(ctx) // one that fails is left to the next
			cancel()
			continue
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
		c.cancel() // a refresh under way rolls back
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}

// statisticsEvery is how often a store that runs long brings the
// planner's statistics up to date: SQLite's advice for connections that
// live long is PRAGMA optimize now and then. The writer runs it when it
// opens, too (sqliteDSN).
const statisticsEvery = time.Hour

// statisticsTimeout bounds one refresh of the statistics.
const statisticsTimeout = 2 * time.Minute

// refreshStatistics runs PRAGMA optimize on the writer, which analyzes
// the tables whose size changed much (about 25 times) since their
// statistics were taken. The analysis is whole, as the seed's: a sample
// (optimize's 0x10, analysis_limit) misjudges the columns of few values,
// such as type, and such statistics would then stay, as the size they
// record is right. Whole, it holds the writer while it reads the table
// (about 3 s at a million tokens), so that redeems wait: a few times in a
// database's life, at the steps of its growth, as the writer's optimize
// when it opens would at the next start. It gets statisticsTimeout rather
// than a call's bound, so that it ends rather than starts again every
// hour. A connection loads the statistics when it opens or when the
// schema changes, which ANALYZE does not do: when the statistics changed,
// the idle readers are closed, so that the next reads open readers that
// load them; a reader busy meanwhile loads them when its lifetime
// (statisticsEvery) ends.
func (s *Store) refreshStatistics(ctx context.Context) error {
	before, err := s.statisticsDigest(ctx)
	if err != nil {
		return err
	}
	if err := s.within(ctx, statisticsTimeout, func(ctx context.Context) error {
		_, err := s.db.ExecContext(ctx, `PRAGMA optimize(0x10002)`)
		return s.d.translate(err)
	}); err != nil {
		return err
	}
	after, err := s.statisticsDigest(ctx)
	if err != nil || after == before {
		return err
	}
	s.closeIdleReaders()
	return nil
}

// closeIdleReaders closes SQLite's idle readers; busy ones stay open, and
// are closed at the end of their lifetime (statisticsEvery).
func (s *Store) closeIdleReaders() {
	s.rdb.SetMaxIdleConns(0)
	s.rdb.SetMaxIdleConns(s.readers)
}

// CloseIdleConns closes the idle connections of SQLite's readers and of
// its checkpointer, which open again when next needed; busy ones stay
// open. A tool that needs the database file to itself for a while, such
// as a seed that leaves the write-ahead log for its load, calls it first.
// It does nothing on PostgreSQL.
func (s *Store) CloseIdleConns() {
	if s.ck == nil {
		return
	}
	s.closeIdleReaders()
	s.ck.db.SetMaxIdleConns(0)
	s.ck.db.SetMaxIdleConns(checkpointerIdle)
}

// checkpointerIdle keeps the checkpointer's one connection open between
// checkpoints.
const checkpointerIdle = 1

// statisticsDigest is the content of sqlite_stat1 ("" before the first
// ANALYZE), as the writer reads it.
func (s *Store) statisticsDigest(ctx context.Context) (string, error) {
	var d string
	err := s.within(ctx, s.lim.Call, func(ctx context.Context) error {
		err := s.db.QueryRowContext(ctx, `SELECT COALESCE(group_concat(tbl || ' ' || COALESCE(idx, '') || ' ' || stat, ';'), '')
			FROM sqlite_stat1`).Scan(&d)
		if err != nil && strings.Contains(err.Error(), "no such table") {
			return nil
		}
		return s.d.translate(err)
	})
	return d, err
}
