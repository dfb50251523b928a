package logintokens

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Two-factor sign-in of staff: time-based one-time passwords (RFC 6238,
// HMAC-SHA1, 6 digits, 30-second steps), as every authenticator app
// makes them, and single-use recovery codes for when the app is lost.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps before and after the current one a code
	// is accepted from: clocks of phones and servers drift.
	TOTPSkew = 1
	// TOTPSecretSize is the secret's length in bytes (160 bits, the
	// RFC 4226 recommendation).
	TOTPSecretSize = 20
	// TOTPIssuer names the service in authenticator apps.
	TOTPIssuer = "logintokens"

	// RecoveryCodeCount is how many recovery codes a staff member gets.
	RecoveryCodeCount = 10

	// SecondFactorWindow is how long a sign-in whose password was right
	// waits for the second factor before it must start again.
	SecondFactorWindow = 5 * time.Minute
)

// SettingRequireTwoFactor is the setting that, when "true", requires every
// staff member to sign in with a second factor: who has none is sent to
// set it up right after the password and can do nothing else until then.
const SettingRequireTwoFactor = "require_two_factor"

// Audit events of the second factor.
const (
	// EventStaffTwoFactorEnabled: a staff member set up an authenticator.
	EventStaffTwoFactorEnabled = "staff.two_factor_enabled"
	// EventStaffTwoFactorReset: an owner (or the CLI) removed a staff
	// member's second factor; they set one up again at their next sign-in.
	EventStaffTwoFactorReset = "staff.two_factor_reset"
	// EventStaffTwoFactorFailed: a wrong, reused or expired code.
	EventStaffTwoFactorFailed = "staff.two_factor_failed"
	// EventStaffRecoveryCodeUsed: a recovery code stood in for the
	// authenticator (details: how many are left).
	EventStaffRecoveryCodeUsed = "staff.recovery_code_used"
	// EventStaffRecoveryCodesRegenerated: new recovery codes replaced the
	// old ones.
	EventStaffRecoveryCodesRegenerated = "staff.recovery_codes_regenerated"
	// EventTwoFactorRequirement: an owner turned the requirement of a
	// second factor for all staff on or off (details: required).
	EventTwoFactorRequirement = "settings.two_factor_required"
)

// TwoFactorService keeps the staff's second factors. Secrets are sealed
// with the server key; recovery codes are stored hashed.
type TwoFactorService interface {
	// StartTOTP returns the secret of the staff member's authenticator
	// being set up: the one being set up already, else a new one. It is
	// CONFLICT when they have an active one.
	StartTOTP(ctx context.Context, staffID int64) ([]byte, error)
	// ConfirmTOTP activates the secret being set up when code is its
	// current code, and returns the new recovery codes, shown this once.
	// A wrong code is UNAUTHENTICATED.
	ConfirmTOTP(ctx context.Context, staffID int64, code string) ([]string, error)
	// CheckSecondFactor checks a code of the active authenticator, or a
	// recovery code, and uses it up: a code is accepted once (no code of
	// the same or an earlier step after it), a recovery code once.
	// recoveryLeft is -1 when an authenticator's code was used, else how
	// many recovery codes are left. Wrong is UNAUTHENTICATED.
	CheckSecondFactor(ctx context.Context, staffID int64, code string) (recoveryLeft int, err error)
	// RegenerateRecoveryCodes replaces the recovery codes of a staff
	// member with an active authenticator.
	RegenerateRecoveryCodes(ctx context.Context, staffID int64) ([]string, error)
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, staffID int64) (int, error)
	// ResetTwoFactor removes the authenticator and the recovery codes of
	// a staff member and ends their sessions.
	ResetTwoFactor(ctx context.Context, staffID int64) error
	// TwoFactorRequired reads SettingRequireTwoFactor.
	TwoFactorRequired(ctx context.Context) (bool, error)
	SetTwoFactorRequired(ctx context.Context, required bool) error

	// CreatePendingSession starts a sign-in whose password was right and
	// that waits for the second factor, for SecondFactorWindow; its value
	// opens no page, only the second step.
	CreatePendingSession(ctx context.Context, staffID int64, clientIP, userAgent string) (string, error)
	// FindPendingSession returns the staff member of a live pending
	// sign-in.
	FindPendingSession(ctx context.Context, value string) (*Staff, error)
}

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPKeyText is the secret as a person types it into an authenticator
// app: base32, in groups of four.
func TOTPKeyText(secret []byte) string {
	s := totpEncoding.EncodeToString(secret)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

func totpKey(secret []byte, account string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: uint(TOTPPeriod / time.Second),
		Secret: secret, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// TOTPQRCode is a PNG of the otpauth:// URL of secret for account, for an
// authenticator app to scan.
func TOTPQRCode(secret []byte, account string) ([]byte, error) {
	key, err := totpKey(secret, account)
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TOTPStep is the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode is the code of secret at step.
func TOTPCode(secret []byte, step int64) string {
	code, err := hotp.GenerateCodeCustom(totpEncoding.EncodeToString(secret), uint64(step),
		hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		// Only a secret that is not base32 fails, and it is encoded here.
		panic(err)
	}
	return code
}

// MatchTOTP returns the step within TOTPSkew of now whose code is code,
// comparing in constant time; ok is false when none is, or when code is
// not TOTPDigits digits.
func MatchTOTP(secret []byte, code string, now time.Time) (step int64, ok bool) {
	code = NormalizeCode(code)
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	at := TOTPStep(now)
	for s := at - TOTPSkew; s <= at+TOTPSkew; s++ {
		if subtle.ConstantTimeCompare([]byte(TOTPCode(secret, s)), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// NormalizeCode drops what people type around a code (spaces, dashes)
// and lowercases it.
func NormalizeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

// Recovery codes: 16 symbols of a 31-letter alphabet without look-alikes
// (79 bits), shown in groups of four.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCode returns a new random recovery code.
func NewRecoveryCode() string {
	s := randomString(recoveryAlphabet, 16)
	return s[:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:]
}

// IsRecoveryCodeShape reports whether a normalized code may be a recovery
// code.
func IsRecoveryCodeShape(code string) bool {
	return len(code) == 16 && strings.Trim(code, recoveryAlphabet) == ""
}

// HashRecoveryCode is what the store keeps of a recovery code: 79 random
// bits need no slow hash. The staff id binds it to its owner.
func HashRecoveryCode(staffID int64, code string) []byte {
	h := sha256.New()
	h.Write([]byte("logintokens recovery code\x00"))
	h.Write([]byte(NormalizeCode(code)))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(staffID, 10)))
	return h.Sum(nil)
}
