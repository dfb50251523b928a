package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// Bounds of the user search: the length of what is looked for, and how
// many hits an answer holds when the caller does not say (limit) and at
// the most.
const (
	MaxSearchLen       = 200
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
)

// UserSearcher is the store's search of contacts and customers.
type UserSearcher interface {
	SearchUsers(ctx context.Context, q string, limit int) ([]*lt.UserRef, error)
}

// FindUsers is the store's user search, with searches of one or two
// characters bounded by the gate every user search shares
// (bounds.Gates.EnterSearch).
func FindUsers(ctx context.Context, store UserSearcher, gates *bounds.Gates, q string, limit int) ([]*lt.UserRef, error) {
	leave, err := gates.EnterSearch(q)
	if err != nil {
		return nil, err
	}
	defer leave()
	return store.SearchUsers(ctx, q, limit)
}

// SearchUsers answers the user picker's search, the admin API's and the
// backoffice's alike: q (name, email or company) and limit, each given
// once, answered as [{"type","id","name","email","company"}]. Who may ask
// is the caller's to check, and an error is the caller's to answer.
func SearchUsers(w http.ResponseWriter, r *http.Request, store UserSearcher, gates *bounds.Gates) error {
	q := r.URL.Query()
	var v lt.Validation
	text := QueryValue(&v, q, "q", MaxSearchLen)
	limit := DefaultSearchLimit
	if s := QueryValue(&v, q, "limit", 20); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxSearchLimit {
			v.Add("limit", "must be an integer from 1 to %d", MaxSearchLimit)
		}
		limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	hits, err := FindUsers(r.Context(), store, gates, text, limit)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []*lt.UserRef{}
	}
	WriteJSON(w, http.StatusOK, hits)
	return nil
}

// QueryValue returns a query parameter given at most once, trimmed, of at
// most maxLen bytes. A token value or API key in it is refused, without
// being repeated: no search looks for one.
func QueryValue(v *lt.Validation, q url.Values, name string, maxLen int) string {
	vals := q[name]
	switch {
	case len(vals) == 0:
		return ""
	case len(vals) > 1:
		v.Add(name, "give it once")
		return ""
	}
	s := strings.TrimSpace(vals[0])
	if lt.HoldsSecret(s) {
		v.Add(name, "holds a login token value or API key, which is never searched for")
		return ""
	}
	if len(s) > maxLen {
		v.Add(name, "at most %d characters", maxLen)
		return ""
	}
	return s
}
