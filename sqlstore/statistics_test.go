package sqlstore_test

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// A SQLite store that runs long brings the planner's statistics up to
// date: tokens made one by one after it opened are analyzed by its
// periodic refresh, and the idle readers, which would keep the
// statistics they loaded when they opened, are closed so that new ones
// load them. A refresh that changes nothing closes none.
func TestALongRunningSQLiteStoreBringsItsStatisticsUpToDate(t *testing.T) {
	s := sqlstoretest.Open(t, "sqlite")
	rows := func() int {
		t.Helper()
		var stat string
		err := s.DB().QueryRow(`SELECT stat FROM sqlite_stat1 WHERE idx = 'login_tokens_created_at'`).Scan(&stat)
		if errors.Is(err, sql.ErrNoRows) || (err != nil && strings.Contains(err.Error(), "no such table")) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.Fields(stat)[0])
		return n
	}
	for range 300 {
		if _, err := s.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := rows(); n >= 300 {
		t.Fatalf("the statistics count %d tokens before any refresh", n)
	}
	for range 3 {
		if _, _, err := s.FindTokens(ctx, lt.TokenFilter{}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.ReaderStats()
	if before.Idle == 0 {
		t.Fatalf("no idle reader: %+v", before)
	}
	if err := s.RefreshStatistics(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 300 {
		t.Errorf("after the refresh the statistics count %d tokens, want 300", n)
	}
	after := s.ReaderStats()
	if after.MaxIdleClosed <= before.MaxIdleClosed || after.Idle != 0 {
		t.Errorf("the refresh closed %d idle readers (%d idle now), want every idle one", after.MaxIdleClosed-before.MaxIdleClosed, after.Idle)
	}
	if _, _, err := s.FindTokens(ctx, lt.TokenFilter{}); err != nil {
		t.Fatal(err)
	}
	before = s.ReaderStats()
	if err := s.RefreshStatistics(ctx); err != nil {
		t.Fatal(err)
	}
	if after := s.ReaderStats(); after.MaxIdleClosed != before.MaxIdleClosed {
		t.Errorf("a refresh that changed nothing closed %d readers", after.MaxIdleClosed-before.MaxIdleClosed)
	}
}
