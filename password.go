package logintokens

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	return phcHash(salt, argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen))
}

// phcHash writes salt and key as HashPassword's hash, with its parameters.
func phcHash(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPasswordOfNoOne checks password as CheckPassword checks one
// against a hash of HashPassword's parameters, and so costs what that
// costs, but against one that no password matches: a sign-in with an
// unknown email checks it, so that it takes as long as a wrong password.
func CheckPasswordOfNoOne(password string) bool { return CheckPassword(noOnesPasswordHash, password) }

// noOnesPasswordHash has HashPassword's parameters and a key that is the
// hash of nothing (fixed bytes, which argon2id gives for a password with
// a chance of 2^-256). It is written, not hashed: hashing one when the
// program starts took 0.1 s and 19 MB in every process, the CLI's
// included.
var noOnesPasswordHash = phcHash(make([]byte, 16), bytes.Repeat([]byte{0xff}, argonKeyLen))

// CheckPassword reports whether password matches a HashPassword hash, in
// constant time. Malformed hashes match nothing.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 64 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random password for a new staff member.
func GeneratePassword() string { return randomString(secretAlphabet, 20) }
