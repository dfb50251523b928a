package sqlstore_test

import (
	"bytes"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestTwoFactorSecretIsSealedCodesAndRecoveryCodesWorkOnce(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		clock := sqlstoretest.SetClock(s, t0)
		st, err := s.CreateStaff(ctx, lt.NewStaff{Email: "a@shop.test", Password: "a long enough password", Grants: lt.AllGrants()})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := s.StartTOTP(ctx, st.ID)
		if err != nil || len(secret) != lt.TOTPSecretSize {
			t.Fatalf("start = %d bytes, %v", len(secret), err)
		}
		if again, _ := s.StartTOTP(ctx, st.ID); !bytes.Equal(again, secret) {
			t.Fatal("starting again before confirming gave another secret")
		}
		for _, cell := range rawRows(t, s.DB(), "staff") {
			if bytes.Contains(cell, secret) {
				t.Fatal("the authenticator secret is stored in the clear")
			}
		}
		if _, err := s.CheckSecondFactor(ctx, st.ID, lt.TOTPCode(secret, lt.TOTPStep(t0))); err == nil {
			t.Fatal("a secret not confirmed yet signs in")
		}
		_, err = s.ConfirmTOTP(ctx, st.ID, "000000x")
		wantCode(t, err, lt.EUNAUTHENTICATED)
		codes, err := s.ConfirmTOTP(ctx, st.ID, lt.TOTPCode(secret, lt.TOTPStep(t0)))
		if err != nil || len(codes) != lt.RecoveryCodeCount {
			t.Fatalf("confirm = %v, %v", codes, err)
		}
		if got, _ := s.FindStaffByID(ctx, st.ID); !got.TwoFactor {
			t.Fatal("confirmed, yet the staff member has no second factor")
		}
		for _, cell := range rawRows(t, s.DB(), "staff_recovery_codes") {
			for _, c := range codes {
				if bytes.Contains(cell, []byte(c)) || bytes.Contains(cell, []byte(lt.NormalizeCode(c))) {
					t.Fatal("a recovery code is stored in the clear")
				}
			}
		}
		// The code that confirmed is used up; the next step's works once.
		_, err = s.CheckSecondFactor(ctx, st.ID, lt.TOTPCode(secret, lt.TOTPStep(t0)))
		wantCode(t, err, lt.EUNAUTHENTICATED)
		clock.Add(lt.TOTPPeriod)
		next := lt.TOTPCode(secret, lt.TOTPStep(clock.T))
		if left, err := s.CheckSecondFactor(ctx, st.ID, next); err != nil || left != -1 {
			t.Fatalf("the next code = %d, %v", left, err)
		}
		_, err = s.CheckSecondFactor(ctx, st.ID, next)
		wantCode(t, err, lt.EUNAUTHENTICATED)
		// A recovery code works once, typed in upper case too.
		if left, err := s.CheckSecondFactor(ctx, st.ID, " "+bytesUpper(codes[0])+" "); err != nil || left != lt.RecoveryCodeCount-1 {
			t.Fatalf("recovery code = %d, %v", left, err)
		}
		_, err = s.CheckSecondFactor(ctx, st.ID, codes[0])
		wantCode(t, err, lt.EUNAUTHENTICATED)
		// Regenerated codes replace the old ones.
		fresh, err := s.RegenerateRecoveryCodes(ctx, st.ID)
		if err != nil || len(fresh) != lt.RecoveryCodeCount {
			t.Fatal(err)
		}
		_, err = s.CheckSecondFactor(ctx, st.ID, codes[1])
		wantCode(t, err, lt.EUNAUTHENTICATED)
		if n, _ := s.RecoveryCodesLeft(ctx, st.ID); n != lt.RecoveryCodeCount {
			t.Fatalf("%d recovery codes left, want %d", n, lt.RecoveryCodeCount)
		}
		// A pending sign-in opens no session and ends after its window.
		pending, err := s.CreatePendingSession(ctx, st.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.FindSession(ctx, pending)
		wantCode(t, err, lt.EUNAUTHENTICATED)
		if got, err := s.FindPendingSession(ctx, pending); err != nil || got.ID != st.ID {
			t.Fatalf("pending = %v, %v", got, err)
		}
		clock.Add(lt.SecondFactorWindow)
		_, err = s.FindPendingSession(ctx, pending)
		wantCode(t, err, lt.EUNAUTHENTICATED)
		// A reset removes it all and ends the sessions.
		value, _ := s.CreateSession(ctx, st.ID, "", "")
		if err := s.ResetTwoFactor(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindSession(ctx, value)
		wantCode(t, err, lt.EUNAUTHENTICATED)
		if got, _ := s.FindStaffByID(ctx, st.ID); got.TwoFactor {
			t.Fatal("the second factor survived its reset")
		}
		if n, _ := s.RecoveryCodesLeft(ctx, st.ID); n != 0 {
			t.Fatalf("%d recovery codes survived the reset", n)
		}
		if on, _ := s.TwoFactorRequired(ctx); on {
			t.Fatal("required by default")
		}
		if err := s.SetTwoFactorRequired(ctx, true); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.TwoFactorRequired(ctx); !on {
			t.Fatal("the requirement was not kept")
		}
	})
}

func bytesUpper(s string) string { return string(bytes.ToUpper([]byte(s))) }

// An authenticator secret is a sealed value like the others: a server key
// rotation seals it anew, so it keeps working once the previous key is
// dropped; adopting a key that cannot open it resets the second factor.
func TestAuthenticatorSecretsAreSealedAnewByRotationAndResetByAdoption(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, kind)
			keyA, a := newKey(t)
			keyB, _ := newKey(t)
			_, c := newKey(t)
			sa := openWith(t, url, a)
			sqlstoretest.SetClock(sa, t0)
			st, err := sa.CreateStaff(ctx, lt.NewStaff{Email: "a@shop.test", Password: "a long enough password", Grants: lt.AllGrants()})
			if err != nil {
				t.Fatal(err)
			}
			secret, err := sa.StartTOTP(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sa.ConfirmTOTP(ctx, st.ID, lt.TOTPCode(secret, lt.TOTPStep(t0))); err != nil {
				t.Fatal(err)
			}

			both, _ := lt.NewKeyring(keyB, keyA)
			sboth := openWith(t, url, both)
			if n, err := sboth.CountSealed(ctx); err != nil || n.OldTOTPSecrets != 1 {
				t.Fatalf("before rotating: %+v, %v; want 1 authenticator secret sealed with the previous key", n, err)
			}
			if _, _, err := sboth.Reseal(ctx, "", 100); err != nil {
				t.Fatal(err)
			}
			if n, err := sboth.CountSealed(ctx); err != nil || n.Old() != 0 {
				t.Fatalf("after rotating: %+v, %v; want nothing left", n, err)
			}
			onlyB, _ := lt.NewKeyring(keyB)
			sb := openWith(t, url, onlyB)
			clock := sqlstoretest.SetClock(sb, t0)
			clock.T = t0.Add(lt.TOTPPeriod)
			if _, err := sb.CheckSecondFactor(ctx, st.ID, lt.TOTPCode(secret, lt.TOTPStep(clock.T))); err != nil {
				t.Fatalf("a code after the previous key is dropped: %v", err)
			}

			// A key that opens nothing the database holds: the
			// authenticator it cannot open is reset.
			sc := openWith(t, url, c)
			if n, err := sc.CountSealed(ctx); err != nil || n.ForeignTOTPSecrets != 1 {
				t.Fatalf("with a foreign key: %+v, %v; want 1 foreign authenticator secret", n, err)
			}
			if _, _, err := sc.AdoptKeyring(ctx, lt.Actor{Name: "cli"}); err != nil {
				t.Fatal(err)
			}
			if got, err := sc.FindStaffByID(ctx, st.ID); err != nil || got.TwoFactor {
				t.Fatalf("after adopting a new key the second factor is kept (%v)", err)
			}
			if left, err := sc.RecoveryCodesLeft(ctx, st.ID); err != nil || left != 0 {
				t.Fatalf("recovery codes left after the reset: %d, %v", left, err)
			}
		})
	}
}
