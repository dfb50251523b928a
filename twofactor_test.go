package logintokens_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

// rfc6238 is an implementation of RFC 6238 (HMAC-SHA1) of the test's own,
// independent of the library the service uses.
func rfc6238(secret []byte, unix int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(unix/30))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

func TestTOTPCodesAgreeWithAnIndependentRFC6238Implementation(t *testing.T) {
	secret := []byte("12345678901234567890")
	// RFC 6238 appendix B, SHA1 (8 digits).
	vectors := map[int64]string{59: "94287082", 1111111109: "07081804", 1111111111: "14050471",
		1234567890: "89005924", 2000000000: "69279037", 20000000000: "65353130"}
	for unix, want := range vectors {
		if got := rfc6238(secret, unix, 8); got != want {
			t.Fatalf("the test's own RFC 6238 at %d = %s, want %s", unix, got, want)
		}
		// The service's 6 digits are the last 6 of the 8.
		if got := lt.TOTPCode(secret, lt.TOTPStep(time.Unix(unix, 0))); got != want[2:] {
			t.Errorf("TOTPCode at %d = %s, want %s", unix, got, want[2:])
		}
	}
	now := time.Unix(1111111111, 0)
	for _, c := range []struct {
		at   int64
		want bool
	}{{-60, false}, {-30, true}, {0, true}, {30, true}, {60, false}} {
		code := rfc6238(secret, now.Unix()+c.at, 6)
		step, ok := lt.MatchTOTP(secret, code, now)
		if ok != c.want || (ok && step != (now.Unix()+c.at)/30) {
			t.Errorf("a code of %+ds: accepted %v (step %d), want %v", c.at, ok, step, c.want)
		}
	}
	if _, ok := lt.MatchTOTP(secret, "", now); ok {
		t.Error("an empty code matches")
	}
}
