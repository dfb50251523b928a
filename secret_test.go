package logintokens

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestNewValuesHaveTheContractShape(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id, secret := NewID(), NewSecret()
		v := FormatValue(TokenPrefix, id, secret)
		if len(v) > 100 || !ValidID(id) || len(secret) < 22 { // 22 of 62 symbols > 128 bits
			t.Fatalf("bad value %q", v)
		}
		if strings.ContainsAny(v, "%+/=?&#") {
			t.Fatalf("value %q would need URL escaping", v)
		}
		gotID, gotSecret, err := ParseValue(TokenPrefix, v)
		if err != nil || gotID != id || gotSecret != secret {
			t.Fatalf("parse %q = %q %q %v", v, gotID, gotSecret, err)
		}
		if seen[id] || seen[secret] {
			t.Fatalf("repeated random part in %q", v)
		}
		seen[id], seen[secret] = true, true
	}
}

func TestParseValueRejectsWhatIsNotAValue(t *testing.T) {
	secret := strings.Repeat("A", 32)
	for _, v := range []string{
		"", "lt_", "lt__" + secret, "ltk_abcdefghijkl_" + secret, "lt_abcdefghijkl", "lt_ABCDEFGHIJKL_" + secret,
		"lt_short_" + secret, "lt_abcdefghijkl_short", "lt_abcdefghijkl_" + secret + "!", "lt_abcdefghijkl_" + strings.Repeat("A", 90),
		"lt_abcdefghijkl_" + secret[:20] + "é",
	} {
		if _, _, err := ParseValue(TokenPrefix, v); err == nil {
			t.Errorf("ParseValue(%q) accepted it", v)
		} else if len(v) > 20 && strings.Contains(err.Error(), v) {
			t.Errorf("the error repeats the value: %v", err)
		}
	}
	if _, _, err := ParseValue(APIKeyPrefix, "ltk_abcdefghijkl_"+secret); err != nil {
		t.Errorf("API key shape refused: %v", err)
	}
}

func TestSecretHashIsBoundToTheID(t *testing.T) {
	h := HashSecret("abcdefghijkl", "s3cr3t")
	if !SecretMatches(h, "abcdefghijkl", "s3cr3t") {
		t.Fatal("the right secret does not match")
	}
	if SecretMatches(h, "abcdefghijkm", "s3cr3t") || SecretMatches(h, "abcdefghijkl", "s3cr3u") || SecretMatches(nil, "abcdefghijkl", "s3cr3t") {
		t.Fatal("a wrong id, secret or empty hash matched")
	}
}

func TestKeyringSealsBoundToIDAndKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	k, err := NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	kid, sealed := k.Seal([]byte("lt_value"), []byte("id1"))
	if kid != KeyID(key) || bytes.Contains(sealed, []byte("lt_value")) {
		t.Fatalf("kid %s sealed %x", kid, sealed)
	}
	if got, err := k.Open(kid, sealed, []byte("id1")); err != nil || string(got) != "lt_value" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := k.Open(kid, sealed, []byte("id2")); err == nil {
		t.Fatal("opened with another id")
	}
	// A new key can still open what the old one sealed.
	rotated, _ := NewKeyring(bytes.Repeat([]byte{8}, KeySize), key)
	if rotated.CurrentKeyID() == kid {
		t.Fatal("rotation kept the key id")
	}
	if ids := rotated.KeyIDs(); len(ids) != 2 || ids[0] != rotated.CurrentKeyID() || ids[1] != kid {
		t.Fatalf("key ids = %v, want the current one, then %s", ids, kid)
	}
	if got, err := rotated.Open(kid, sealed, []byte("id1")); err != nil || string(got) != "lt_value" {
		t.Fatalf("rotated open = %q, %v", got, err)
	}
	other, _ := NewKeyring(bytes.Repeat([]byte{9}, KeySize))
	if _, err := other.Open(kid, sealed, []byte("id1")); err == nil {
		t.Fatal("another key opened it")
	}
	if _, err := NewKeyring([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}

// A derived key depends on the current server key and the label alone:
// the same on every instance with that key, another for another label or
// key, and neither the server key nor another label's key.
func TestDerivedKeysAreOnePerLabelAndKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	k, _ := NewKeyring(key)
	again, _ := NewKeyring(bytes.Clone(key), bytes.Repeat([]byte{5}, KeySize))
	other, _ := NewKeyring(bytes.Repeat([]byte{8}, KeySize), key)
	a := k.Derive("use a")
	if len(a) != KeySize || !bytes.Equal(a, again.Derive("use a")) {
		t.Fatalf("derived %x, then %x from the same current key", a, again.Derive("use a"))
	}
	for name, b := range map[string][]byte{"another label": k.Derive("use b"), "another current key": other.Derive("use a"), "the server key": key} {
		if bytes.Equal(a, b) {
			t.Errorf("the derived key equals %s's", name)
		}
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); err != nil {
		t.Fatalf("32 zero bytes: %v", err)
	}
	for _, s := range []string{"", "not base64!", "AAAA"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "correct horsE") || CheckPassword("garbage", "x") {
		t.Fatal("password check is wrong")
	}
	if HashPassword("correct horse") == h {
		t.Fatal("no salt")
	}
}

// TestThePasswordOfNoOneCostsWhatAPasswordCosts: the hash an unknown
// email's sign-in checks has every parameter of a real one, its salt and
// key decode as a real one's do, so that the check runs the same
// argon2id, and it matches no password.
func TestThePasswordOfNoOneCostsWhatAPasswordCosts(t *testing.T) {
	params := func(h string) string {
		parts := strings.Split(h, "$")
		if len(parts) != 6 {
			t.Fatalf("hash %q: %d parts, want 6", h, len(parts))
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
		key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
		if err1 != nil || err2 != nil {
			t.Fatalf("hash %q: salt %v, key %v", h, err1, err2)
		}
		return strings.Join(parts[:4], "$") + fmt.Sprintf(" salt %d key %d", len(salt), len(key))
	}
	if got, want := params(noOnesPasswordHash), params(HashPassword("x")); got != want {
		t.Fatalf("no one's hash %s; want the parameters of a real one, %s", got, want)
	}
	for _, pw := range []string{"", "x", "not a password of anyone", strings.Repeat("\xff", 32)} {
		if CheckPasswordOfNoOne(pw) {
			t.Errorf("no one's hash matches %q", pw)
		}
	}
}

func TestGrants(t *testing.T) {
	gs, err := ParseGrants([]string{"configuration:viewer", "users:editor", "configuration:owner"})
	if err != nil {
		t.Fatal(err)
	}
	if !gs.Allows(AreaConfiguration, LevelEditor) || !gs.Allows(AreaUsers, LevelViewer) || gs.Allows(AreaUsers, LevelOwner) {
		t.Fatalf("grants %v", gs)
	}
	if got := strings.Join(gs.Strings(), ","); got != "configuration:owner,users:editor" {
		t.Fatalf("strings %s", got)
	}
	for _, bad := range []string{"configuration", "billing:viewer", "users:admin", ""} {
		if _, err := ParseGrant(bad); err == nil {
			t.Errorf("ParseGrant(%q) accepted", bad)
		}
	}
}
