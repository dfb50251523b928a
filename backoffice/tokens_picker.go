package backoffice

// The user picker of the login tokens screen (Select contact or customer,
// and the Contact or Customer filter): a combobox in tokens.js that asks
// this endpoint as one types. A choice travels in forms as "contact:12" or
// "customer:5".

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// findUsers is the store's user search, with searches of one or two
// characters bounded by the gate the API's search shares.
func (s *Server) findUsers(ctx context.Context, q string, limit int) ([]*lt.UserRef, error) {
	leave, err := s.Gates.EnterSearch(q)
	if err != nil {
		return nil, err
	}
	defer leave()
	return s.Store.SearchUsers(ctx, q, limit)
}

// searchUsers answers the store's user search as the API's
// /api/v1/users/search does: [{"type","id","name","email","company"}].
// Like the API, it needs configuration:viewer (the token screen) or
// users:viewer (the directory).
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	if !c.can(lt.AreaConfiguration, lt.LevelViewer) && !c.can(lt.AreaUsers, lt.LevelViewer) {
		s.fail(w, r, lt.Errorf(lt.EFORBIDDEN, "searching contacts and customers needs the configuration:viewer or users:viewer grant"))
		return
	}
	q := r.URL.Query()
	limit := 10
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 50 {
			s.fail(w, r, lt.Invalid("limit", "must be an integer from 1 to 50"))
			return
		}
		limit = n
	}
	text := strings.TrimSpace(q.Get("q"))
	if len(text) > 200 {
		s.fail(w, r, lt.Invalid("q", "at most 200 characters"))
		return
	}
	if lt.HoldsSecret(text) {
		s.fail(w, r, lt.Invalid("q", "holds a login token value or API key, which is never searched for"))
		return
	}
	hits, err := s.findUsers(r.Context(), text, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if hits == nil {
		hits = []*lt.UserRef{}
	}
	writeJSON(w, http.StatusOK, hits)
}

// userKey is how a picker names a user in a form.
func userKey(t lt.UserType, id int64) string { return string(t) + ":" + strconv.FormatInt(id, 10) }

// parseUserKey reads "contact:12" or "customer:5".
func parseUserKey(key string) (lt.UserType, int64, bool) {
	typ, num, ok := strings.Cut(strings.TrimSpace(key), ":")
	t := lt.UserType(typ)
	if !ok || (t != lt.UserContact && t != lt.UserCustomer) {
		return "", 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return t, id, true
}
