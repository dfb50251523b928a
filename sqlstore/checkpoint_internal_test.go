package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTheCheckpointerCopiesTheLogIntoTheFileWhileTheWriterLeavesItBe(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ck.db")
	s, err := Open(ctx, "sqlite:"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pages int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if want := writerCheckpointPages; want != "8192" || pages != 8192 {
		t.Fatalf("the writer checkpoints past %d pages of log, want %s", pages, want)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	time.Sleep(3 * checkpointEvery) // what opening wrote is checkpointed
	before := size()
	// About 100 pages into the log: far fewer than the writer's own
	// checkpoint waits for, so only the checkpointer puts them in the file.
	err = s.write(ctx, func(tx *tx) error {
		if _, err := tx.exec(ctx, `CREATE TABLE ck_probe (b BLOB)`); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO ck_probe (b) VALUES (zeroblob(400000))`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); size() < before+400000; {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes 10 s after a write of 400 kB into the log (%d before): nothing checkpointed it", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
