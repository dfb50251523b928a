//go:build unix

package sqlstore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// A new SQLite database holds every token's encrypted value and the
// directory: its files are the service's alone, like the key beside them,
// whatever the umask lets others read.
func TestANewSQLiteDatabaseIsPrivate(t *testing.T) {
	// The usual umask, which lets others read files the driver creates
	// with its own default of 0644. Not parallel: the umask is the
	// process's.
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "lt.db")
	s, err := sqlstore.Open(ctx, "sqlite:"+path, sqlstoretest.NewKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mustToken(t, s, lt.NewToken{}) // written to the WAL, which the readers map through -shm
	if _, _, err := s.FindTokens(ctx, lt.TokenFilter{PageSize: 1}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("folder %s mode = %04o, want 0700", d, perm)
		}
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %04o, want 0600", filepath.Base(f), perm)
		}
	}
}
