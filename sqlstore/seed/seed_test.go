package seed_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/seed"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// The same seed makes the same rows on both databases, but for what
// crypto/rand draws (token ids, secrets and their ciphertext): a fresh
// database, then one that held people already (addresses numbered after
// them). The hashes are of the sample as it was first written; change
// them only to change the sample on purpose.
func TestTheSameSeedMakesTheSameRows(t *testing.T) {
	ctx := context.Background()
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		sqlstoretest.SetClock(s, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		for _, run := range []struct {
			opts seed.Options
			want string
		}{
			{seed.Options{Tokens: 3000, Seed: 7}, "665dbec864b68adb0131fe967c4cf693da6b6bda9574c7e09e19c21868888ece"},
			{seed.Options{Tokens: 200, Contacts: 30, Seed: 8}, "3021adf2934252acfb75dff03b60488f92e2a07bce54265e19c514667aa18422"},
		} {
			if _, err := seed.Run(ctx, s, run.opts); err != nil {
				t.Fatalf("seed %+v: %v", run.opts, err)
			}
			if got := rowsHash(t, s.DB()); got != run.want {
				t.Errorf("after seed %+v the rows hash to %s, want %s", run.opts, got, run.want)
			}
		}
	})
}

// rowsHash hashes the seeded tables' rows, sorted, each value written the
// same way from either database: times in UTC to the microsecond, truth
// values as 1 or 0.
func rowsHash(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT id, name, external_id, created_at, updated_at, deleted_at FROM companies`,
		`SELECT id, company_id, first_name, last_name, email, external_id, disabled, created_at, updated_at, deleted_at FROM contacts`,
		`SELECT id, first_name, last_name, email, external_id, disabled, created_at, updated_at, deleted_at FROM customers`,
		`SELECT type, contact_id, customer_id, expires_at, CASE WHEN max_uses = 1 THEN 1 ELSE 0 END, extra, successful_attempts, failed_attempts,
			last_accessed_at, created_at, updated_at, created_by, sort_name, user_search, extra_search, act FROM login_tokens`,
	} {
		lines := rowLines(t, db, q)
		slices.Sort(lines)
		for _, l := range lines {
			h.Write([]byte(l + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func rowLines(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range vals {
			switch v := v.(type) {
			case nil:
				b.WriteString("NULL")
			case bool:
				b.WriteString(map[bool]string{true: "1", false: "0"}[v])
			case time.Time:
				b.WriteString(v.UTC().Format("2006-01-02T15:04:05.000000Z"))
			case []byte:
				b.Write(v)
			default:
				fmt.Fprint(&b, v)
			}
			b.WriteByte('|')
		}
		lines = append(lines, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
