package logintokens

import (
	"bytes"
	"crypto/subtle"
	"slices"
	"testing"
)

// BenchmarkSecretMatches measures SecretMatches against a stored hash that
// equals the presented secret's, differs in its first byte, or differs in
// its last byte. The comparison is subtle.ConstantTimeCompare, so the
// three take the same time: a guess learns nothing from where it fails.
// (The SHA-256 of the presented secret is most of the cost.)
//
//	go test -run '^$' -bench 'SecretMatches|HashCompare' -count 5 .
func BenchmarkSecretMatches(b *testing.B) {
	id, secret := NewID(), NewSecret()
	for _, tc := range hashCases(HashSecret(id, secret)) {
		b.Run(tc.name, func(b *testing.B) {
			want := tc.name == "equal"
			for b.Loop() {
				if SecretMatches(tc.stored, id, secret) != want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

// BenchmarkHashCompare isolates the comparison of two 32-byte hashes:
// subtle.ConstantTimeCompare, which SecretMatches uses, beside
// bytes.Equal, which may stop at the first difference.
func BenchmarkHashCompare(b *testing.B) {
	presented := HashSecret(NewID(), NewSecret())
	for _, tc := range hashCases(presented) {
		b.Run("subtle/"+tc.name, func(b *testing.B) {
			for b.Loop() {
				subtle.ConstantTimeCompare(tc.stored, presented)
			}
		})
		b.Run("bytes.Equal/"+tc.name, func(b *testing.B) {
			for b.Loop() {
				bytes.Equal(tc.stored, presented)
			}
		})
	}
}

type hashCase struct {
	name   string
	stored []byte
}

func hashCases(good []byte) []hashCase {
	first, last := slices.Clone(good), slices.Clone(good)
	first[0] ^= 0xff
	last[len(last)-1] ^= 0xff
	return []hashCase{{"equal", good}, {"first-byte-differs", first}, {"last-byte-differs", last}}
}
