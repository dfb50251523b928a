package sqlstore_test

import (
	"bytes"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestSessionsEndWhenIdleExpiredSignedOutOrDisabled(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		st, err := s.CreateStaff(ctx, lt.NewStaff{Email: "a@shop.test", Password: "a long enough password", Grants: lt.AllGrants()})
		if err != nil {
			t.Fatal(err)
		}
		value, err := s.CreateSession(ctx, st.ID, "192.0.2.1", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		for _, cell := range rawRows(t, s.DB(), "staff_sessions") {
			if bytes.Contains(cell, []byte(value)) {
				t.Fatal("the session value is stored in the clear")
			}
		}
		sess, err := s.FindSession(ctx, value)
		if err != nil || sess.Staff.ID != st.ID || !sess.Staff.Grants.Allows(lt.AreaConfiguration, lt.LevelOwner) {
			t.Fatalf("find = %+v, %v", sess, err)
		}
		_, err = s.FindSession(ctx, value+"x")
		wantCode(t, err, lt.EUNAUTHENTICATED)

		// Use keeps it alive; idleness ends it.
		for range 5 {
			clock.Add(lt.SessionIdle - time.Minute)
			if _, err := s.FindSession(ctx, value); err != nil {
				t.Fatalf("active session ended: %v", err)
			}
		}
		clock.Add(lt.SessionIdle)
		_, err = s.FindSession(ctx, value)
		wantCode(t, err, lt.EUNAUTHENTICATED)

		// A session ends at SessionMax however busy.
		value, _ = s.CreateSession(ctx, st.ID, "", "")
		for range 13 {
			clock.Add(time.Hour)
			s.FindSession(ctx, value)
		}
		_, err = s.FindSession(ctx, value)
		wantCode(t, err, lt.EUNAUTHENTICATED)

		a, _ := s.CreateSession(ctx, st.ID, "", "")
		b, _ := s.CreateSession(ctx, st.ID, "", "")
		if err := s.DeleteSession(ctx, a); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindSession(ctx, a)
		wantCode(t, err, lt.EUNAUTHENTICATED)
		if _, err := s.FindSession(ctx, b); err != nil {
			t.Fatal("signing out ended another session")
		}
		c, _ := s.CreateSession(ctx, st.ID, "", "")
		if err := s.DeleteStaffSessions(ctx, st.ID, c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindSession(ctx, b); err == nil {
			t.Fatal("other sessions survived")
		}
		if _, err := s.FindSession(ctx, c); err != nil {
			t.Fatal("the kept session ended")
		}
		if _, err := s.UpdateStaff(ctx, st.ID, lt.StaffUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindSession(ctx, c)
		wantCode(t, err, lt.EUNAUTHENTICATED)
	})
}
