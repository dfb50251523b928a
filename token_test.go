package logintokens

import (
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func uses(n int64) *int64 { return &n }

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
		{"one-time unused", LoginToken{MaxUses: uses(1)}, StatusActive, StatusActive},
		{"one-time used", LoginToken{MaxUses: uses(1), SuccessfulAttempts: 1}, StatusUsed, StatusUsed},
		{"one-time used and expired", LoginToken{MaxUses: uses(1), SuccessfulAttempts: 1, ExpiresAt: at(-time.Hour)}, StatusUsed, StatusUsed},
		{"reusable used many times", LoginToken{SuccessfulAttempts: 9, FailedAttempts: 3}, StatusActive, StatusActive},
		{"one-time with only failures", LoginToken{MaxUses: uses(1), FailedAttempts: 5}, StatusActive, StatusActive},
		{"three uses, two made", LoginToken{MaxUses: uses(3), SuccessfulAttempts: 2}, StatusActive, StatusActive},
		{"three uses, three made", LoginToken{MaxUses: uses(3), SuccessfulAttempts: 3}, StatusUsed, StatusUsed},
		{"three uses made, expired", LoginToken{MaxUses: uses(3), SuccessfulAttempts: 3, ExpiresAt: at(-time.Hour)}, StatusUsed, StatusUsed},
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
	usedExpired := &LoginToken{Type: UserContact, MaxUses: uses(1), SuccessfulAttempts: 1, ExpiresAt: at(-time.Hour)}
	fenced := &LoginToken{Type: UserContact, MaxUses: uses(2), SuccessfulAttempts: 2, ExpiresAt: at(-time.Hour), Networks: []string{"203.0.113.0/24"}}
	twoOfThree := &LoginToken{Type: UserContact, MaxUses: uses(3), SuccessfulAttempts: 2}
	expired := &LoginToken{Type: UserContact, ExpiresAt: at(-time.Hour)}
	fine := &LoginToken{Type: UserContact}
	anon := &LoginToken{Type: UserAnonymous}
	cases := []struct {
		name  string
		check RedeemCheck
		want  string
	}{
		{"wrong secret first", RedeemCheck{SecretOK: false, Token: usedExpired, UserActive: false}, ETOKENINVALID},
		{"wrong secret before network", RedeemCheck{SecretOK: false, Token: fenced, ClientIP: "192.0.2.1"}, ETOKENINVALID},
		{"network before used, expired and disabled", RedeemCheck{SecretOK: true, Token: fenced, ClientIP: "192.0.2.1"}, ENETWORKREFUSED},
		{"inside the network: used", RedeemCheck{SecretOK: true, Token: fenced, ClientIP: "203.0.113.9"}, ETOKENUSED},
		{"used before expired and disabled", RedeemCheck{SecretOK: true, Token: usedExpired, UserActive: false}, ETOKENUSED},
		{"a use left", RedeemCheck{SecretOK: true, Token: twoOfThree, UserActive: true}, ""},
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

func TestNetworksAreNormalisedAndChecked(t *testing.T) {
	got, err := NormalizeNetworks([]string{"203.0.113.9/24", " 2001:DB8::1/32 ", "198.51.100.7", "::ffff:192.0.2.0/120", "2001:db8::5", "203.0.113.0/24", ""})
	want := []string{"203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32", "192.0.2.0/24", "2001:db8::5/128"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("normalised %q, %v; want %q", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("normalised %q, want %q", got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "fe80::1%eth0", "example.com", "10.0.0.0/8/8", "::ffff:0:0/90"} {
		if _, err := NormalizeNetworks([]string{bad}); err == nil || err.(*Error).Fields[0].Field != "networks" {
			t.Errorf("%q: %v, want an error naming networks", bad, err)
		}
	}
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"192.0.2.77", true}, {"::ffff:192.0.2.77", true}, {"192.0.3.1", false},
		{"2001:db8:ffff::1", true}, {"2001:db9::1", false}, {"", false}, {"garbage", false},
	} {
		if got := NetworksAllow(want, tc.ip); got != tc.want {
			t.Errorf("allow %q: %v, want %v", tc.ip, got, tc.want)
		}
	}
	if !NetworksAllow(nil, "") {
		t.Error("no networks must allow any address")
	}
}
