package backoffice

import (
	"net/http"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

// deleteTokens deletes the checked tokens, all or nothing, and goes back
// to the list as it was.
func (s *Server) deleteTokens(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, lt.Errorf(lt.EINVALID, "the form could not be read"))
		return
	}
	ids := splitList(r.PostForm["ids"])
	back := safeBack(r.PostFormValue("back"))
	if len(ids) == 0 {
		s.fail(w, r, lt.Invalid("ids", "select one or more login tokens to delete"))
		return
	}
	if len(ids) > lt.MaxBulkDeleteIDs {
		s.fail(w, r, lt.Invalid("ids", "delete at most %d login tokens at once", lt.MaxBulkDeleteIDs))
		return
	}
	for _, id := range ids {
		if !lt.ValidID(id) {
			s.fail(w, r, lt.Invalid("ids", "%s is not a login token id", lt.QuoteInput(id)))
			return
		}
	}
	if r.PostFormValue("confirm") != "yes" {
		v := &confirmView{Heading: "Delete " + countNoun(len(ids), "login token", "login tokens") + "?",
			Text:   "Deleted tokens stop working at once and cannot be restored; their activity stays in the audit trail.",
			Button: "Delete", Action: tokensPath + "/delete", CancelURL: back, Fields: []field{{"back", back}}}
		toks, _, err := s.Store.FindTokens(r.Context(), lt.TokenFilter{IDs: ids, Sort: lt.DefaultSort, PageSize: lt.MaxBulkDeleteIDs})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, t := range toks {
			name := "Anonymous"
			if t.User != nil {
				name = t.User.Name
			}
			v.Items = append(v.Items, name+" ("+t.ID+")")
		}
		for _, id := range ids {
			v.Fields = append(v.Fields, field{"ids", id})
		}
		s.confirm(w, r, v)
		return
	}
	c := currentFrom(r.Context())
	n, err := s.Store.DeleteTokens(r.Context(), c.actor(r, s), ids)
	switch {
	case lt.ErrorCode(err) == lt.ENOTFOUND:
		s.setFlash(w, flashGone, 0)
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		s.setFlash(w, flashDeleted, n)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// safeBack keeps the return address on the list, and no longer than a
// filter's address may be (see filterTokens).
func safeBack(back string) string {
	if back == tokensPath || (len(back) <= bounds.MaxLocation && strings.HasPrefix(back, tokensPath+"?") && !strings.ContainsAny(back, "\\\r\n")) {
		return withoutSecret(back, tokensPath)
	}
	return tokensPath
}
