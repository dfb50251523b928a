package logintokens

import (
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func TestStatusIsUsedThenExpiredThenActive(t *testing.T) {
	cases := []struct {
		name      string
		tok       LoginToken
		want      TokenStatus
		wantLater TokenStatus // an hour and a second later
	}{
		{"no expiry", LoginToken{}, StatusActive, StatusActive},
		{"expires in an hour", LoginToken{ExpiresAt: at(time.Hour)}, StatusActive, StatusExpired},
		{"expires now", LoginToken{ExpiresAt: at(0)}, StatusExpired, StatusExpired},
		{"one-time unused", LoginToken{OneTimeUse: true}, StatusActive, StatusActive},
		{"one-time used", LoginToken{OneTimeUse: true, SuccessfulAttempts: 1}, StatusUsed, StatusUsed},
		{"one-time used and expired", LoginToken{OneTimeUse: true, SuccessfulAttempts: 1, ExpiresAt: at(-time.Hour)}, StatusUsed, StatusUsed},
		{"reusable used many times", LoginToken{SuccessfulAttempts: 9, FailedAttempts: 3}, StatusActive, StatusActive},
		{"one-time with only failures", LoginToken{OneTimeUse: true, FailedAttempts: 5}, StatusActive, StatusActive},
	}
	for _, tc := range cases {
		if got := tc.tok.StatusAt(now); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
		if got := tc.tok.StatusAt(now.Add(time.Hour + time.Second)); got != tc.wantLater {
			t.Errorf("%s later: %s, want %s", tc.name, got, tc.wantLater)
		}
	}
}

func TestRedeemOutcomeOrder(t *testing.T) {
	usedExpired := &LoginToken{Type: UserContact, OneTimeUse: true, SuccessfulAttempts: 1, ExpiresAt: at(-time.Hour)}
	expired := &LoginToken{Type: UserContact, ExpiresAt: at(-time.Hour)}
	fine := &LoginToken{Type: UserContact}
	anon := &LoginToken{Type: UserAnonymous}
	cases := []struct {
		name  string
		check RedeemCheck
		want  string
	}{
		{"wrong secret first", RedeemCheck{SecretOK: false, Token: usedExpired, UserActive: false}, ETOKENINVALID},
		{"used before expired and disabled", RedeemCheck{SecretOK: true, Token: usedExpired, UserActive: false}, ETOKENUSED},
		{"expired before disabled", RedeemCheck{SecretOK: true, Token: expired, UserActive: false}, ETOKENEXPIRED},
		{"disabled", RedeemCheck{SecretOK: true, Token: fine, UserActive: false}, EUSERDISABLED},
		{"success", RedeemCheck{SecretOK: true, Token: fine, UserActive: true}, ""},
		{"anonymous has no user to disable", RedeemCheck{SecretOK: true, Token: anon, UserActive: false}, ""},
	}
	for _, tc := range cases {
		if got := tc.check.Outcome(now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestNewTokenValidation(t *testing.T) {
	one := int64(1)
	cases := []struct {
		name  string
		n     NewToken
		field string
	}{
		{"anonymous", NewToken{}, ""},
		{"both users", NewToken{ContactID: &one, CustomerID: &one}, "customerId"},
		{"past", NewToken{ExpiresAt: at(-time.Second)}, "expiresAt"},
		{"now", NewToken{ExpiresAt: at(0)}, "expiresAt"},
		{"future", NewToken{ExpiresAt: at(time.Second)}, ""},
		{"too many extra lines", NewToken{Extra: make([]string, MaxExtraLines+1)}, "extra"},
		{"bad utf-8", NewToken{Extra: []string{"\xff"}}, "extra"},
	}
	for _, tc := range cases {
		err := tc.n.Validate(now)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || e.Fields[0].Field != tc.field {
			t.Errorf("%s: %v, want INVALID_INPUT on %s", tc.name, err, tc.field)
		}
	}
}
