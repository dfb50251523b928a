package logintokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Secret shapes (docs/secrets.md). A value is <prefix>_<id>_<secret>: the id is
// public (paths, logs, audit), the secret is never stored in the clear.
const (
	TokenPrefix  = "lt"
	APIKeyPrefix = "ltk"

	idLen     = 16 // 16 of 36 symbols: about 82 bits, unique without coordination
	secretLen = 32 // 32 of 62 symbols: about 190 bits from crypto/rand
	minIDLen  = 12
	maxIDLen  = 26
	maxValue  = 100
)

// IDShape says what an id looks like, for the message about a malformed
// one.
const IDShape = "12 to 26 lowercase letters and digits"

const (
	idAlphabet     = "abcdefghijklmnopqrstuvwxyz0123456789"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString draws n symbols uniformly from alphabet using crypto/rand,
// rejecting bytes that would bias the draw.
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		rand.Read(buf) // never returns an error (Go 1.24+)
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// NewID returns a new random public id (lowercase letters and digits).
func NewID() string { return randomString(idAlphabet, idLen) }

// NewSecret returns a new random secret of at least 128 bits.
func NewSecret() string { return randomString(secretAlphabet, secretLen) }

// FormatValue joins prefix, id and secret into a value.
func FormatValue(prefix, id, secret string) string { return prefix + "_" + id + "_" + secret }

// ParseValue splits a value of the given prefix into id and secret. It checks
// only the shape; whether the id exists and the secret matches is the
// store's business. The error never repeats the value.
func ParseValue(prefix, value string) (id, secret string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", Errorf(EINVALID, "not a %s value: %s", prefixName(prefix), why)
	}
	if len(value) > maxValue {
		return bad("too long")
	}
	rest, ok := strings.CutPrefix(value, prefix+"_")
	if !ok {
		return bad("it must start with " + prefix + "_")
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok {
		return bad("it must be " + prefix + "_<id>_<secret>")
	}
	if !ValidID(id) {
		return bad("the id must be 12 to 26 lowercase letters and digits")
	}
	if len(secret) < 16 {
		return bad("the secret is too short")
	}
	for i := 0; i < len(secret); i++ {
		if strings.IndexByte(secretAlphabet, secret[i]) < 0 {
			return bad("the secret holds a character that is not a letter or digit")
		}
	}
	return id, secret, nil
}

func prefixName(prefix string) string {
	switch prefix {
	case APIKeyPrefix:
		return "API key"
	case ShopSecretPrefix:
		return "client secret"
	}
	return "login token"
}

// ValidID reports whether id has the shape of a public id.
func ValidID(id string) bool {
	if len(id) < minIDLen || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(idAlphabet, id[i]) < 0 {
			return false
		}
	}
	return true
}

// HashSecret returns the SHA-256 of id and secret. Secrets carry 190 bits
// from crypto/rand, so a fast hash is enough: nothing can be guessed from it.
// Binding the id means a hash copied to another row checks nothing.
func HashSecret(id, secret string) []byte {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// SecretMatches compares a presented secret with a stored hash in constant time.
func SecretMatches(stored []byte, id, secret string) bool {
	return subtle.ConstantTimeCompare(stored, HashSecret(id, secret)) == 1
}

// Keyring encrypts token values at rest with the server key so that an
// editor can reveal them. Ciphertexts carry the key id, so a later key can
// be added for new values while old ones still decrypt.
type Keyring struct {
	current string
	ids     []string // current first, then older keys in the order given
	aeads   map[string]cipher.AEAD
	// currentKey is what Derive derives from.
	currentKey []byte
}

// KeySize is the server key's length in bytes.
const KeySize = 32

// NewKeyring returns a keyring whose current key is key (32 bytes); older
// keys, if any, are only used to decrypt.
func NewKeyring(key []byte, older ...[]byte) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, raw := range append([][]byte{key}, older...) {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("server key must be %d bytes, got %d", KeySize, len(raw))
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(raw)
		if _, dup := k.aeads[id]; !dup {
			k.ids = append(k.ids, id)
		}
		k.aeads[id] = aead
		if i == 0 {
			k.current, k.currentKey = id, slices.Clone(raw)
		}
	}
	return k, nil
}

// ParseKey decodes a base64 (standard or URL, padded or not) server key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key decodes to %d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("the key is not base64")
}

// KeyID names a key without revealing it: the first 8 bytes of its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("logintokens key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// Derive returns a key of KeySize bytes for one use, named by label,
// derived from the current server key with HKDF-SHA256: each use gets a
// key of its own, none of them reveals the server key, and what one
// signs stays valid on every instance and across restarts for as long as
// the server key does.
func (k *Keyring) Derive(label string) []byte {
	// hkdf.Key fails only for a length beyond 255 hashes.
	key, _ := hkdf.Key(sha256.New, k.currentKey, nil, "logintokens "+label, KeySize)
	return key
}

// CurrentKeyID is the id of the key new values are encrypted with.
func (k *Keyring) CurrentKeyID() string { return k.current }

// KeyIDs lists the ids of every key of the ring, the current one first.
// Ids are fingerprints: they may be shown, the keys never.
func (k *Keyring) KeyIDs() []string { return slices.Clone(k.ids) }

// Seal encrypts plaintext with the current key, bound to aad (the token id).
// The result is nonce || ciphertext.
func (k *Keyring) Seal(plaintext, aad []byte) (keyID string, sealed []byte) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return k.current, aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal returned with the key named keyID.
func (k *Keyring) Open(keyID string, sealed, aad []byte) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("no server key with id %s", keyID)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed value too short")
	}
	n := aead.NonceSize()
	return aead.Open(nil, sealed[:n], sealed[n:], aad)
}

// SHA256 returns the SHA-256 of s; API keys and session ids are stored so.
func SHA256(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
