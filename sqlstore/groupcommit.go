package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// SQLite has one writer, and most of a short write transaction's cost is
// its commit: the pages it changed go to the WAL, each once per commit.
// The group committer runs the write transactions that wait for the
// writer together, each in a savepoint of one transaction, and commits
// them at once: a redeem, its audit event and its outbox message share
// their pages' WAL frames with the others of the batch. Each caller still
// gets its own answer: a member that fails is rolled back to its
// savepoint alone, and nobody hears of success before the commit.
//
// A batch forms from the calls that arrived while the previous one ran;
// nothing waits for more to come. A call alone runs as before, in a
// transaction of its own under its own context.

// maxBatch bounds the members of one group commit.
const maxBatch = 64

type groupCommit struct {
	in   chan *writeReq
	quit chan struct{}
	stop sync.Once
	wg   sync.WaitGroup
}

// writeReq is one write call waiting for the committer.
type writeReq struct {
	ctx context.Context
	fn  func(*tx) error
	// state: reqWaiting until the committer takes the call or its caller
	// gives up waiting; whichever comes first decides.
	state atomic.Int32
	err   error
	pnc   any // a panic of fn, raised again in the caller
	// enqueued is set when fn wrote to the outbox.
	enqueued bool
	done     chan struct{}
}

const (
	reqWaiting int32 = iota
	reqTaken
	reqAbandoned
)

// writeGrouped runs fn through the group committer (SQLite's writer).
func (s *Store) writeGrouped(ctx context.Context, fn func(*tx) error) error {
	g := s.group
	return s.within(ctx, s.lim.Call, func(ctx context.Context) error {
		r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
		select {
		case g.in <- r:
		case <-ctx.Done():
			return s.d.translate(ctx.Err())
		case <-g.quit:
			// Closed: the database answers as it does when closed.
			return s.txOn(ctx, s.db, false, fn)
		}
		select {
		case <-r.done:
		case <-ctx.Done():
			if r.state.CompareAndSwap(reqWaiting, reqAbandoned) {
				return s.d.translate(ctx.Err())
			}
			<-r.done // taken: its outcome is on the way
		case <-g.quit:
			if r.state.CompareAndSwap(reqWaiting, reqAbandoned) {
				return s.txOn(ctx, s.db, false, fn)
			}
			<-r.done
		}
		if r.pnc != nil {
			panic(r.pnc)
		}
		return r.err
	})
}

// startGroup starts the committer of SQLite's writer.
func (s *Store) startGroup() {
	s.group = &groupCommit{in: make(chan *writeReq, maxBatch), quit: make(chan struct{})}
	s.group.wg.Add(1)
	go s.commitLoop()
}

// closeGroup stops the committer once the batch under way is done.
func (s *Store) closeGroup() {
	if s.group == nil {
		return
	}
	s.group.stop.Do(func() { close(s.group.quit) })
	s.group.wg.Wait()
}

func (s *Store) commitLoop() {
	g := s.group
	defer g.wg.Done()
	batch := make([]*writeReq, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-g.in:
			batch = append(batch, r)
		case <-g.quit:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-g.in:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.runBatch(batch)
		s.writeEnded()
	}
}

// take claims the members whose callers still wait and answers those
// whose context ended before their turn.
func take(batch []*writeReq, translate func(error) error) []*writeReq {
	live := batch[:0]
	for _, r := range batch {
		if !r.state.CompareAndSwap(reqWaiting, reqTaken) {
			continue // its caller has gone
		}
		if err := r.ctx.Err(); err != nil {
			r.finish(translate(err))
			continue
		}
		live = append(live, r)
	}
	return live
}

func (r *writeReq) finish(err error) {
	r.err = err
	close(r.done)
}

// call runs r.fn on t, turning a panic into r.pnc.
func (r *writeReq) call(t *tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.pnc = p
			err = fmt.Errorf("panic in a write transaction: %v", p)
		}
	}()
	err = r.fn(t)
	r.enqueued = t.enqueued
	return err
}

func (s *Store) runBatch(batch []*writeReq) {
	live := take(batch, s.d.translate)
	switch len(live) {
	case 0:
		return
	case 1:
		s.runAlone(live[0])
		return
	}
	// The batch's statements are not cut short by one member's context:
	// SQLite answers an interrupt inside a transaction by rolling all of it
	// back, the other members' work with it. A member whose context ends
	// while it runs finishes; its caller waits for the answer.
	bg := context.Background()
	sqlTx, err := s.db.BeginTx(bg, s.d.txOptions(false))
	if err != nil {
		for _, r := range live {
			r.finish(s.d.translate(err))
		}
		return
	}
	var ok []*writeReq
	abort := func(cause error, rest []*writeReq) {
		sqlTx.Rollback()
		for _, r := range ok {
			r.finish(s.d.translate(cause))
		}
		// Those not yet run get a transaction each.
		for _, r := range rest {
			s.runAlone(r)
		}
	}
	for i, r := range live {
		if _, err := sqlTx.ExecContext(bg, "SAVEPOINT member"); err != nil {
			abort(err, live[i:])
			return
		}
		t := &tx{Tx: sqlTx, d: s.d, ctx: context.WithoutCancel(r.ctx), hot: &s.hot}
		if err := r.call(t); err != nil {
			if _, rerr := sqlTx.ExecContext(bg, "ROLLBACK TO member"); rerr != nil {
				// The transaction itself is gone (SQLite ended it on an
				// error of its own): nothing of the batch stands.
				r.finish(s.d.translate(err))
				abort(rerr, live[i+1:])
				return
			}
			if _, rerr := sqlTx.ExecContext(bg, "RELEASE member"); rerr != nil {
				r.finish(s.d.translate(err))
				abort(rerr, live[i+1:])
				return
			}
			r.finish(s.d.translate(err))
			continue
		}
		if _, err := sqlTx.ExecContext(bg, "RELEASE member"); err != nil {
			ok = append(ok, r)
			abort(err, live[i+1:])
			return
		}
		ok = append(ok, r)
	}
	err = s.d.translate(sqlTx.Commit())
	wake := false
	for _, r := range ok {
		wake = wake || r.enqueued
		r.finish(err)
	}
	if err == nil && wake {
		s.wakeOutbox()
	}
}

// runAlone runs one member in a transaction of its own, under its own
// context, as a write outside the committer would.
func (s *Store) runAlone(r *writeReq) {
	err := s.txOn(r.ctx, s.db, false, func(t *tx) error {
		err := r.call(t)
		return err
	})
	r.finish(err)
}

// txOn runs fn in a transaction on db under ctx and commits it when fn
// returns nil.
func (s *Store) txOn(ctx context.Context, db *sql.DB, readOnly bool, fn func(*tx) error) error {
	sqlTx, err := db.BeginTx(ctx, s.d.txOptions(readOnly))
	if err != nil {
		return s.d.translate(err)
	}
	t := &tx{Tx: sqlTx, d: s.d, ctx: ctx}
	if db == s.db && !readOnly {
		t.hot = &s.hot
	}
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		return s.d.translate(err)
	}
	if err := s.d.translate(sqlTx.Commit()); err != nil {
		return err
	}
	if t.enqueued {
		s.wakeOutbox()
	}
	return nil
}
