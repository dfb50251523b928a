package sqlstore_test

import (
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestStaffSignInChecksThePasswordHash(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		st, err := s.CreateStaff(ctx, lt.NewStaff{Email: " Admin@Shop.test ", Password: "a long enough password",
			Grants: lt.Grants{lt.AreaConfiguration: lt.LevelViewer}, MustChangePassword: true})
		if err != nil {
			t.Fatal(err)
		}
		if st.Email != "admin@shop.test" || st.Name != "admin@shop.test" || !st.MustChangePassword {
			t.Fatalf("staff %+v", st)
		}
		got, err := s.AuthenticateStaff(ctx, "ADMIN@shop.test", "a long enough password")
		if err != nil || got.ID != st.ID || !got.Grants.Allows(lt.AreaConfiguration, lt.LevelViewer) || got.Grants.Allows(lt.AreaConfiguration, lt.LevelEditor) {
			t.Fatalf("authenticate = %+v, %v", got, err)
		}
		for _, c := range [][2]string{{"admin@shop.test", "wrong password!!"}, {"nobody@shop.test", "a long enough password"}} {
			_, err := s.AuthenticateStaff(ctx, c[0], c[1])
			wantCode(t, err, lt.EUNAUTHENTICATED)
		}
		if err := s.SetStaffPassword(ctx, st.ID, "another long password", false); err != nil {
			t.Fatal(err)
		}
		if got, err := s.AuthenticateStaff(ctx, "admin@shop.test", "another long password"); err != nil || got.MustChangePassword {
			t.Fatalf("after change: %+v %v", got, err)
		}
		_, err = s.CreateStaff(ctx, lt.NewStaff{Email: "admin@shop.test", Password: "a long enough password"})
		wantField(t, err, lt.ECONFLICT, "email")
		_, err = s.CreateStaff(ctx, lt.NewStaff{Email: "b@shop.test", Password: "short"})
		wantField(t, err, lt.EINVALID, "password")
		if n, _ := s.CountStaff(ctx); n != 1 {
			t.Fatalf("count = %d", n)
		}
	})
}

func TestAPIKeysAuthenticateUntilRevoked(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		k, value, err := s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "ops", Kind: lt.KeyAdmin,
			Grants: lt.Grants{lt.AreaUsers: lt.LevelEditor}, CreatedBy: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := lt.ParseValue(lt.APIKeyPrefix, value)
		if err != nil || id != k.ID {
			t.Fatalf("key %q id %s: %v", value, k.ID, err)
		}
		clock.Add(time.Hour)
		got, err := s.AuthenticateAPIKey(ctx, value)
		if err != nil || got.ID != k.ID || !got.Grants.Allows(lt.AreaUsers, lt.LevelViewer) || got.LastUsedAt == nil || !got.LastUsedAt.Equal(clock.T) {
			t.Fatalf("authenticate = %+v, %v", got, err)
		}
		_, err = s.AuthenticateAPIKey(ctx, flipLast(value))
		wantCode(t, err, lt.EUNAUTHENTICATED)
		if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.AuthenticateAPIKey(ctx, value)
		wantCode(t, err, lt.EUNAUTHENTICATED)
		wantCode(t, s.RevokeAPIKey(ctx, k.ID), lt.ENOTFOUND)
		keys, _ := s.FindAPIKeys(ctx)
		if len(keys) != 1 || keys[0].RevokedAt == nil {
			t.Fatalf("keys %+v", keys)
		}
		_, _, err = s.CreateAPIKey(ctx, lt.NewAPIKey{Name: "shop", Kind: lt.KeyWebshop, Grants: lt.AllGrants()})
		wantField(t, err, lt.EINVALID, "grants")
	})
}

// flipLast changes the last character of a secret, so the result is surely
// wrong.
func flipLast(v string) string {
	last := byte('x')
	if v[len(v)-1] == last {
		last = 'y'
	}
	return v[:len(v)-1] + string(last)
}
