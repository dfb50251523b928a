package backoffice

// The shop of a login token on the token screens. A token bound to a shop
// signs in only there. The screens offer the choice (the dialogs' Shop
// field, the list's Shop column and filter) only once there is more than
// one shop: with none or one, a token's shop is no choice worth a field.

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// anyShop names a token bound to no shop.
const anyShop = "Any shop"

// tokenShops are the shops, by name, as the token screens show them.
type tokenShops []*lt.Shop

func (s *Server) tokenShops(ctx context.Context) (tokenShops, error) {
	shops, err := s.Store.FindShops(ctx)
	return tokenShops(shops), err
}

// Offered reports whether the screens offer a choice of shop.
func (ss tokenShops) Offered() bool { return len(ss) > 1 }

// Name names the shop of id: "" for none, and the id for one not found.
func (ss tokenShops) Name(id *int64) string {
	if id == nil {
		return ""
	}
	for _, sh := range ss {
		if sh.ID == *id {
			return shopLabel(sh)
		}
	}
	return "Shop " + strconv.FormatInt(*id, 10)
}

func shopLabel(sh *lt.Shop) string {
	if sh.Disabled {
		return sh.Name + " (disabled)"
	}
	return sh.Name
}

// options are the choices of a Shop select, "" (any shop) first, with
// selected ("" or an id) selected; nil when no choice is offered.
func (ss tokenShops) options(selected string) []option {
	if !ss.Offered() {
		return nil
	}
	out := []option{{Value: "", Label: anyShop, Selected: selected == ""}}
	for _, sh := range ss {
		v := strconv.FormatInt(sh.ID, 10)
		out = append(out, option{Value: v, Label: shopLabel(sh), Selected: v == selected})
	}
	return out
}

func shopValue(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// readShopField reads the token form's Shop field. set is false when the
// form had none (no choice offered): the token's shop then stays as it is.
func readShopField(r *http.Request, f *tokenForm, errs map[string]string) (id *int64, set bool) {
	vals, set := r.PostForm["shopId"]
	if !set {
		return nil, false
	}
	raw := ""
	if len(vals) > 0 {
		raw = strings.TrimSpace(vals[0])
	}
	f.Shops = f.shops.options(raw)
	if raw == "" {
		return nil, true
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		errs["shopId"] = "Choose a shop from the list, or Any shop."
		return nil, true
	}
	return &n, true
}
