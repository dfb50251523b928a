package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	lt "github.com/logintokens/logintokens"
)

// translate's one table: the connection failures of an outage are
// UNAVAILABLE (with their cause kept for the log, none of it in the
// message), text PostgreSQL cannot store is INVALID_INPUT, a cancelled
// request and anything unknown stay internal.
func TestTranslateMapsOutagesAndUnstorableText(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name string
		err  error
		code string // for both dialects unless pgOnly
		pg   bool   // only PostgreSQL's translate knows it
	}{
		{"connection refused", fmt.Errorf("dial: %w", refused), lt.EUNAVAILABLE, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, lt.EUNAVAILABLE, false},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), lt.EUNAVAILABLE, false},
		{"cut mid-message", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), lt.EUNAVAILABLE, false},
		{"bad connection", driver.ErrBadConn, lt.EUNAVAILABLE, false},
		{"connection done", sql.ErrConnDone, lt.EUNAVAILABLE, false},
		{"closed pool", errors.New("sql: database is closed"), lt.EUNAVAILABLE, false},
		{"closed pgx conn", fmt.Errorf("begin: %w", pgconn.ErrConnClosed), lt.EUNAVAILABLE, true},
		{"08006 connection_failure", &pgconn.PgError{Code: "08006"}, lt.EUNAVAILABLE, true},
		{"08001 unable to connect", &pgconn.PgError{Code: "08001"}, lt.EUNAVAILABLE, true},
		{"57P01 admin_shutdown", &pgconn.PgError{Code: "57P01"}, lt.EUNAVAILABLE, true},
		{"57P02 crash_shutdown", &pgconn.PgError{Code: "57P02"}, lt.EUNAVAILABLE, true},
		{"57P03 cannot_connect_now", &pgconn.PgError{Code: "57P03"}, lt.EUNAVAILABLE, true},
		{"22021 NUL or bad UTF-8", &pgconn.PgError{Code: "22021"}, lt.EINVALID, true},
		{"22P05 untranslatable", &pgconn.PgError{Code: "22P05"}, lt.EINVALID, true},
		{"23505 unique", &pgconn.PgError{Code: "23505"}, lt.ECONFLICT, true},
		{"57014 query_canceled", &pgconn.PgError{Code: "57014"}, lt.EINTERNAL, true},
		{"request cancelled", fmt.Errorf("%w: %w", context.Canceled, refused), lt.EINTERNAL, false},
		{"request timed out", fmt.Errorf("%w: %w", context.DeadlineExceeded, refused), lt.EINTERNAL, false},
		{"anything else", errors.New("boom"), lt.EINTERNAL, false},
	}
	for _, tc := range cases {
		for _, d := range []dialect{sqliteDialect{}, postgresDialect{}} {
			want := tc.code
			if tc.pg && d.name() == "sqlite" {
				want = lt.EINTERNAL
			}
			got := d.translate(tc.err)
			if lt.ErrorCode(got) != want {
				t.Errorf("%s: %s translates %v to %s (%v), want %s", d.name(), tc.name, tc.err, lt.ErrorCode(got), got, want)
				continue
			}
			if want == lt.EUNAVAILABLE {
				if !errors.Is(got, tc.err) {
					t.Errorf("%s: %s: the cause is lost: %v", d.name(), tc.name, got)
				}
				if msg := strings.ToLower(lt.ErrorMessage(got)); strings.Contains(msg, "sql") || strings.Contains(msg, "tcp") ||
					strings.Contains(msg, "conn") {
					t.Errorf("%s: %s: the message names the cause: %q", d.name(), tc.name, msg)
				}
				if again := d.translate(got); again != got {
					t.Errorf("%s: %s: translating twice wraps again: %v", d.name(), tc.name, again)
				}
			}
		}
	}
	if (sqliteDialect{}).translate(nil) != nil || (postgresDialect{}).translate(nil) != nil {
		t.Error("nil is not nil")
	}
}
