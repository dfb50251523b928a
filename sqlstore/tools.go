package sqlstore

import lt "github.com/logintokens/logintokens"

// What tools that write rows directly, such as the seeder (sqlstore/seed),
// need to write them as the store does.

// Rebind turns the ? placeholders of q into the database's own.
func (s *Store) Rebind(q string) string { return s.d.rebind(q) }

// Args converts Go values into what the database stores (times).
func (s *Store) Args(args ...any) []any { return s.d.args(args) }

// TokenSecrets returns what makes the secret of a new token of id as
// CreateToken does: its value, its hash to check it by, and its ciphertext
// under the server key to reveal it with. It needs the server key.
func (s *Store) TokenSecrets() (func(id string) (value string, hash []byte, keyID string, sealed []byte), error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	return s.newSecret, nil
}

// TokenUserText is the user_search and sort_name of a token of user u
// (nil for an anonymous token).
func TokenUserText(u *lt.UserRef) (search string, sortName any) { return userSearch(u) }

// TokenExtraText is the extra and extra_search of a token with these
// extra lines.
func TokenExtraText(extra []string) (json, search string) {
	return extraJSON(extra), extraSearch(extra)
}
