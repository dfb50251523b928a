package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openGroupStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "gc.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.db.Exec(`CREATE TABLE gc (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s
}

// holdWriter occupies the committer until the returned func is called, so
// that the writes issued meanwhile meet in one batch.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	held := make(chan struct{})
	gate := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), func(tx *tx) error {
			close(held)
			<-gate
			return nil
		})
	}()
	<-held
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("the holding write: %v", err)
		}
	}
}

// Writes that wait for SQLite's writer together commit together, and yet
// each is answered on its own: one that fails, or panics, leaves nothing
// behind and takes nothing of the others with it.
func TestGroupedWritesAreRolledBackOneByOne(t *testing.T) {
	s := openGroupStore(t)
	release := holdWriter(t, s)

	const n = 40
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.write(context.Background(), func(tx *tx) error {
				if _, err := tx.exec(tx.ctx, `INSERT INTO gc (n) VALUES (?)`, i); err != nil {
					return err
				}
				switch {
				case i == 7:
					panic("member 7 panics")
				case i%2 == 1:
					return fmt.Errorf("member %d fails", i)
				}
				return nil
			})
		})
	}
	// Let every writer reach the committer's door before it opens.
	waitQueued(t, s, n)
	release()
	wg.Wait()

	for i := range n {
		switch {
		case i == 7:
			if panics[i] != "member 7 panics" {
				t.Errorf("member 7: the panic reached its caller as %v", panics[i])
			}
		case i%2 == 1:
			if errs[i] == nil || panics[i] != nil {
				t.Errorf("member %d: err %v, panic %v; want its own error", i, errs[i], panics[i])
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("member %d: err %v, panic %v; want success", i, errs[i], panics[i])
			}
		}
	}
	rows, err := s.db.Query(`SELECT n FROM gc ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		rows.Scan(&v)
		got = append(got, v)
	}
	var want []int
	for i := 0; i < n; i += 2 {
		want = append(want, i)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("committed %v, want the succeeding members %v", got, want)
	}
}

// waitQueued waits until n writers wait in the committer's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.group.in) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writers queued", len(s.group.in), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A caller that stops waiting before its turn leaves no write behind.
func TestAGroupedWriteWhoseCallerGaveUpNeverRuns(t *testing.T) {
	s := openGroupStore(t)
	release := holdWriter(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ran := false
	err := s.write(ctx, func(tx *tx) error {
		ran = true
		_, err := tx.exec(tx.ctx, `INSERT INTO gc (n) VALUES (1)`)
		return err
	})
	if err == nil {
		t.Fatalf("the write answered %v after its caller's deadline", err)
	}
	release()
	// One more write goes through the committer after the abandoned one.
	if err := s.write(context.Background(), func(tx *tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var count int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM gc`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if ran || count != 0 {
		t.Errorf("the abandoned write ran (%v) and left %d rows", ran, count)
	}
}
