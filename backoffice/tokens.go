package backoffice

// Users > Login Tokens: the list with its filters, sort, paging and CSV
// export. The filter state lives in the URL under the admin API's own
// parameter names and is read by lt.ParseTokenFilter, so a link to the
// screen is a link to the same selection as the API's list. Token values
// never reach a URL: a value pasted into Ids or the search is cut down to
// its id (a search for a value is a search for that token, so it becomes
// the Ids filter), in the browser and again here; the search and the
// filter panel post their forms, so that what was typed travels in a body.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/web"
)

const tokensPath = "/admin/login-tokens"

func (s *Server) tokenRoutes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return []route{
		{pattern: "GET " + tokensPath, need: cfgViewer, handler: h(s.listTokens)},
		{pattern: "GET " + tokensPath + ".csv", need: cfgViewer, handler: h(s.exportTokens)},
		{pattern: "POST " + tokensPath + "/filter", need: cfgViewer, handler: h(s.filterTokens), maxBody: 256 << 10},
		{pattern: "POST " + tokensPath + "/search", need: cfgViewer, handler: h(s.searchTokens)},
		{pattern: "GET " + tokensPath + "/filters", need: cfgViewer, handler: h(s.showFilters)},
		{pattern: "GET " + tokensPath + "/new", need: cfgEditor, handler: h(s.newToken)},
		{pattern: "POST " + tokensPath, need: cfgEditor, handler: h(s.createToken), maxBody: 128 << 10},
		{pattern: "POST " + tokensPath + "/delete", need: cfgEditor, handler: h(s.deleteTokens), maxBody: 256 << 10},
		{pattern: "GET " + tokensPath + "/{id}", need: cfgViewer, handler: h(s.showToken)},
		{pattern: "POST " + tokensPath + "/{id}", need: cfgEditor, handler: h(s.updateToken), maxBody: 128 << 10},
		{pattern: "POST " + tokensPath + "/{id}/reveal", need: cfgEditor, handler: h(s.revealToken)},
		{pattern: "POST " + tokensPath + "/{id}/regenerate", need: cfgEditor, handler: h(s.regenerateToken)},
		{pattern: "GET " + tokensPath + "/{id}/send", need: cfgEditor, handler: h(s.showSend)},
		{pattern: "POST " + tokensPath + "/{id}/send", need: cfgEditor, handler: h(s.sendToken), maxBody: 64 << 10},
		{pattern: "POST " + tokensPath + "/send", need: cfgEditor, handler: h(s.sendTokens), maxBody: 256 << 10},
		// The user picker; its grant check is in the handler (either of two).
		{pattern: "GET /admin/users/search", need: anyStaff, handler: h(s.searchUsers)},
	}
}

// listURL is the list's address with the parameters q.
func listURL(q url.Values) string {
	if e := q.Encode(); e != "" {
		return tokensPath + "?" + e
	}
	return tokensPath
}

// boundedTarget is target, or fallback when target is longer than a
// redirect may be.
func boundedTarget(target, fallback string) string {
	if len(target) > bounds.MaxLocation {
		return fallback
	}
	return target
}

// without copies q without the keys.
func without(q url.Values, keys ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		if !slices.Contains(keys, k) {
			out[k] = slices.Clone(v)
		}
	}
	return out
}

// splitList splits a multi-value field on commas, white space and line
// breaks, as one pastes ids from a spreadsheet or a mail.
func splitList(vals []string) []string {
	var out []string
	for _, raw := range vals {
		for _, s := range strings.FieldsFunc(raw, func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		}) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// reduceIDs cuts token values (lt_<id>_<secret>, anywhere in an entry,
// lt.TokenValueIDs) down to their ids. Any entry that starts like a value
// but holds no valid id, or holds an API key, is dropped and counted, so
// that nothing of it can reach a URL.
func reduceIDs(vals []string) (ids []string, dropped int) {
	for _, s := range splitList(vals) {
		found, holds := lt.TokenValueIDs(s)
		switch {
		case holds && len(found) == 0, !holds && strings.HasPrefix(s, lt.TokenPrefix+"_"):
			dropped++
			continue
		case holds:
			for _, id := range found {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			continue
		}
		if !slices.Contains(ids, s) {
			ids = append(ids, s)
		}
	}
	return ids, dropped
}

// holdsValue reports whether an ids parameter carries something shaped
// like a token value or API key.
func holdsValue(vals []string) bool {
	return slices.ContainsFunc(splitList(vals), func(v string) bool {
		return strings.HasPrefix(v, lt.TokenPrefix+"_") || lt.HoldsSecret(v)
	})
}

// holdsSecret reports whether the list's parameters carry a token value or
// API key: in Ids, the search, any other parameter or a parameter's name.
func holdsSecret(q url.Values) bool {
	for k, vs := range q {
		if lt.HoldsSecret(k) || k != "ids" && slices.ContainsFunc(vs, lt.HoldsSecret) {
			return true
		}
	}
	return holdsValue(q["ids"])
}

// reduceSecrets returns the list's parameters q without a token value or
// API key: Ids cut down to ids (reduceIDs), and a search that holds a
// value replaced by the Ids filter of that token (the search's other words
// go with it: one pastes a value, or a link that holds one, to find that
// token). Any other parameter that holds one filters nothing by it and is
// left out. dropped counts the Ids entries left out; leftOut says a search
// held only an API key or values without a valid id, or another parameter
// held one, and was left out. Paging starts again.
func reduceSecrets(q url.Values) (out url.Values, dropped int, leftOut bool) {
	out = url.Values{}
	for k, vs := range q {
		switch {
		case k == "ids" || k == "q" || k == "page":
		case lt.HoldsSecret(k) || slices.ContainsFunc(vs, lt.HoldsSecret):
			leftOut = true
		default:
			out[k] = slices.Clone(vs)
		}
	}
	ids, dropped := reduceIDs(q["ids"])
	search := ""
	if vals := q["q"]; len(vals) > 0 {
		search = vals[0]
	}
	if found, holds := lt.TokenValueIDs(search); holds {
		for _, id := range found {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		leftOut = leftOut || len(found) == 0
	} else if search != "" {
		out["q"] = slices.Clone(q["q"])
	}
	if len(ids) > 0 {
		out.Set("ids", strings.Join(ids, ","))
	}
	return out, dropped, leftOut
}

// setReducedFlash says on the next page what reduceSecrets left out.
func (s *Server) setReducedFlash(w http.ResponseWriter, dropped int, leftOut bool) {
	switch {
	case leftOut:
		s.setFlash(w, flashSecretLeftOut, 0)
	case dropped > 0:
		s.setFlash(w, flashDropped, dropped)
	}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// A value typed into the address bar or an old link leaves the URL at
	// once, before anything shows it.
	if holdsSecret(q) {
		reduced, dropped, leftOut := reduceSecrets(q)
		s.setReducedFlash(w, dropped, leftOut)
		http.Redirect(w, r, boundedTarget(listURL(reduced), tokensPath), http.StatusSeeOther)
		return
	}
	c := currentFrom(r.Context())
	v := &tokensView{Query: q, Editor: c.can(lt.AreaConfiguration, lt.LevelEditor), CSRF: c.csrf, MailOff: s.mailOff()}
	v.Flash, v.FlashOK = s.takeFlash(w, r)
	status := http.StatusOK
	f, err := lt.ParseTokenFilter(q)
	if err == nil {
		var items []*lt.LoginToken
		items, v.Found, err = s.findTokens(r.Context(), f)
		for _, t := range items {
			v.Items = append(v.Items, tokenRow{t})
		}
	}
	if err != nil {
		if lt.ErrorCode(err) != lt.EINVALID {
			s.fail(w, r, err)
			return
		}
		status = http.StatusBadRequest
		v.Invalid = invalidFilters(err)
		f.Sort = lt.DefaultSort
	}
	v.Sort = f.Sort
	v.Page, v.PageSize = f.Paging()
	v.Pages = bounds.LastPage(v.Found, v.PageSize)
	if v.Shops, err = s.tokenShops(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Filters, err = s.filterForm(r, q, v.Shops); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Editor {
		v.New = s.newTokenForm(c, v.Shops)
	}
	p := s.page(r, "Login Tokens", "login-tokens")
	p.Data = v
	s.render(w, r, status, "tokens", p)
}

// findTokens is the store's token list, with a q that no trigram index
// serves bounded by the gate the API's searches share.
func (s *Server) findTokens(ctx context.Context, f lt.TokenFilter) ([]*lt.LoginToken, int, error) {
	leave, err := s.Gates.EnterSearch(f.Q)
	if err != nil {
		return nil, 0, err
	}
	defer leave()
	return s.Store.FindTokens(ctx, f)
}

// showFilters is the filter panel as a page of its own, for browsers
// without JavaScript (with it, the panel is a dialog on the list).
func (s *Server) showFilters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if holdsSecret(q) {
		reduced, _, _ := reduceSecrets(q)
		http.Redirect(w, r, boundedTarget(tokensPath+"/filters?"+reduced.Encode(), tokensPath+"/filters"), http.StatusSeeOther)
		return
	}
	shops, err := s.tokenShops(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filters, err := s.filterForm(r, q, shops)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &tokensView{Query: q, CSRF: currentFrom(r.Context()).csrf, Filters: filters}
	p := s.page(r, "Filter login tokens", "login-tokens")
	p.Data = v
	s.render(w, r, http.StatusOK, "tokens_filters", p)
}

// filterLabel names a list parameter as the filter panel does
// (lt.TokenFilterSpec), the ends of a time range as "(from)" and "(to)".
func filterLabel(name string) string {
	for _, p := range lt.TokenFilterSpec {
		i := slices.Index(p.Params(), name)
		switch {
		case i < 0:
		case p.Kind() == lt.FilterTimeRange:
			return p.Label + [2]string{" (from)", " (to)"}[i]
		default:
			return p.Label
		}
	}
	return name
}

// invalidFilters lists what is wrong with the parameters, field by field.
func invalidFilters(err error) []string {
	var e *lt.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return []string{lt.ErrorMessage(err)}
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, filterLabel(f.Field)+": "+f.Message)
	}
	return out
}

// filterTokens turns the filter panel's form into the list's URL. The form
// comes by POST so that a pasted token value travels in a body, never in a
// URL; with JavaScript, tokens.js builds the same URL in the browser.
func (s *Server) filterTokens(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, lt.Errorf(lt.EINVALID, "the filter form could not be read"))
		return
	}
	users, err := s.pickedUsers(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, dropped := panelQuery(r.PostForm, users)
	leftOut := false
	if holdsSecret(q) {
		q, _, leftOut = reduceSecrets(q)
	}
	target := listURL(q)
	if len(target) > bounds.MaxLocation {
		s.fail(w, r, lt.Errorf(lt.EINVALID, "the filter is too long to keep in the list's address; filter by fewer ids or shorter values"))
		return
	}
	s.setReducedFlash(w, dropped, leftOut)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// pickedUsers are the ids of the people the panel's picker holds, by type.
// Without JavaScript the picker is a text field: one match is taken, and
// the next page says why none was.
func (s *Server) pickedUsers(w http.ResponseWriter, r *http.Request) (map[lt.UserType][]string, error) {
	ids := map[lt.UserType][]string{}
	add := func(typ lt.UserType, id int64) { ids[typ] = append(ids[typ], strconv.FormatInt(id, 10)) }
	for _, key := range r.PostForm["user"] {
		if typ, id, ok := parseUserKey(key); ok {
			add(typ, id)
		}
	}
	if typed := strings.TrimSpace(r.PostForm.Get("userQuery")); typed != "" {
		hits, err := s.findUsers(r.Context(), typed, 2)
		if err != nil {
			return nil, err
		}
		switch len(hits) {
		case 0:
			s.setFlash(w, flashUserNone, 0)
		case 1:
			add(hits[0].Type, hits[0].ID)
		default:
			s.setFlash(w, flashUserMany, 0)
		}
	}
	return ids, nil
}

// panelQuery is the list's parameters from the filter panel's form, read
// by the spec of the filters (lt.TokenFilterSpec) as tokens.js reads it:
// lists comma-separated, Ids cut down to ids (dropped counts the entries
// left out), a count as OP:N, the default page size left out, and a new
// selection on its first page.
func panelQuery(form url.Values, users map[lt.UserType][]string) (q url.Values, dropped int) {
	q = url.Values{}
	setList := func(key string, vals []string) {
		if len(vals) > 0 {
			q.Set(key, strings.Join(vals, ","))
		}
	}
	for _, p := range lt.TokenFilterSpec {
		switch p.Kind() {
		case lt.FilterTokenIDs:
			var ids []string
			ids, dropped = reduceIDs(form[p.Name])
			setList(p.Name, ids)
		case lt.FilterUserIDs:
			setList(p.Name, users[p.User])
		case lt.FilterChoice:
			setList(p.Name, splitList(form[p.Name]))
		case lt.FilterCount:
			if op, n := form.Get(p.Name+"Op"), strings.TrimSpace(form.Get(p.Name+"N")); op != "" && n != "" {
				q.Set(p.Name, op+":"+n)
			}
		case lt.FilterPage:
		default:
			for _, key := range p.Params() {
				if v := strings.TrimSpace(form.Get(key)); v != "" && (p.Kind() != lt.FilterPageSize || v != p.Default) {
					q.Set(key, v)
				}
			}
		}
	}
	return q, dropped
}

// searchTokens turns the search box into the list's URL: the list's
// current parameters (hidden fields) with the search typed. The box posts
// so that a pasted token value travels in a body; it becomes the Ids
// filter of its token here (reduceSecrets), never part of a URL. With
// JavaScript, tokens.js builds the same URL in the browser.
func (s *Server) searchTokens(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, lt.Errorf(lt.EINVALID, "the search form could not be read"))
		return
	}
	q := url.Values{}
	for key, vals := range r.PostForm {
		if key == "csrf" || key == "page" {
			continue
		}
		for _, v := range vals {
			if v = strings.TrimSpace(v); v != "" {
				q.Add(key, v)
			}
		}
	}
	reduced, dropped, leftOut := reduceSecrets(q)
	s.setReducedFlash(w, dropped, leftOut)
	http.Redirect(w, r, boundedTarget(listURL(reduced), tokensPath), http.StatusSeeOther)
}

// exportTokens answers the list's selection, every page of it, as the API
// does (web.ExportTokens). The screen's links carry page and pageSize,
// which the export ignores: it is the whole selection.
func (s *Server) exportTokens(w http.ResponseWriter, r *http.Request) {
	if err := web.ExportTokens(w, r, s.Store, s.Gates, s.log); err != nil {
		s.fail(w, r, err)
	}
}

// Flash messages survive the redirect after a POST in a short-lived
// cookie. They are a kind and a count, never text from a request.
const flashCookie = "lt_tokens_flash"

const (
	flashDeleted  = "deleted"
	flashDropped  = "dropped"
	flashUserNone = "usernone"
	flashUserMany = "usermany"
	flashGone     = "gone"
	// flashMailed: a bulk send; its number is queued*1000 + refused.
	flashMailed = "mailed"
	// flashSecretLeftOut: the search or a filter held an API key or a
	// token value that named no token there, and was left out.
	flashSecretLeftOut = "secretleftout"
)

func (s *Server) setFlash(w http.ResponseWriter, kind string, n int) {
	s.setCookie(w, flashCookie, kind+"."+strconv.Itoa(n), 60)
}

// takeFlash reads and clears the flash; ok says whether it reports a success.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) (msg string, ok bool) {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return "", false
	}
	s.clearCookie(w, flashCookie)
	kind, num, _ := strings.Cut(ck.Value, ".")
	n, _ := strconv.Atoi(num)
	switch kind {
	case flashDeleted:
		return "Deleted " + countNoun(n, "login token", "login tokens") + ".", true
	case flashDropped:
		return countNoun(n, "entry", "entries") + " in Ids looked like a token value but held no valid token id, so " +
			plural(n, "it was", "they were") + " left out.", false
	case flashSecretLeftOut:
		return "The search or a filter held an API key or a login token value that names no login token there, so it was left out. " +
			"To find a login token, paste its whole value into the search, or its id under Filters > Ids.", false
	case flashUserNone:
		return "No contact or customer matches what you typed in Contact or Customer.", false
	case flashUserMany:
		return "Several contacts and customers match what you typed in Contact or Customer; type more of the name or email.", false
	case flashMailed:
		return mailedFlash(n)
	case flashGone:
		return "Nothing was deleted: some of the selected login tokens no longer exist. The list below is up to date; select again.", false
	}
	return "", false
}
