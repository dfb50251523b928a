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
	"github.com/logintokens/logintokens/internal/web"
)

// findUsers is the user search (web.FindUsers).
func (s *Server) findUsers(ctx context.Context, q string, limit int) ([]*lt.UserRef, error) {
	return web.FindUsers(ctx, s.Store, s.Gates, q, limit)
}

// searchUsers answers the user search as the API's /api/v1/users/search
// does (web.SearchUsers). Like the API, it needs configuration:viewer (the
// token screen) or users:viewer (the directory).
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	c := currentFrom(r.Context())
	if !c.can(lt.AreaConfiguration, lt.LevelViewer) && !c.can(lt.AreaUsers, lt.LevelViewer) {
		s.fail(w, r, lt.Errorf(lt.EFORBIDDEN, "searching contacts and customers needs the configuration:viewer or users:viewer grant"))
		return
	}
	if err := web.SearchUsers(w, r, s.Store, s.Gates); err != nil {
		s.fail(w, r, err)
	}
}

// pickedLookup is how many people of each kind a filter looks up by id.
const pickedLookup = lt.MaxFindUsers / 2

// lookupUsers loads the people of the ids in one store call, by userKey;
// the deleted and the unknown are missing.
func (s *Server) lookupUsers(ctx context.Context, ids map[lt.UserType][]int64) (map[string]*lt.UserRef, error) {
	if len(ids[lt.UserContact])+len(ids[lt.UserCustomer]) == 0 {
		return nil, nil
	}
	found, err := s.Store.FindUsers(ctx, ids[lt.UserContact], ids[lt.UserCustomer])
	if err != nil {
		return nil, err
	}
	out := make(map[string]*lt.UserRef, len(found))
	for _, u := range found {
		out[userKey(u.Type, u.ID)] = u
	}
	return out, nil
}

// findUser loads one contact or customer; nil for one deleted or unknown.
func (s *Server) findUser(ctx context.Context, typ lt.UserType, id int64) (*lt.UserRef, error) {
	found, err := s.lookupUsers(ctx, map[lt.UserType][]int64{typ: {id}})
	return found[userKey(typ, id)], err
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
