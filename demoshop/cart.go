package demoshop

import (
	"net/http"
	"slices"
	"strconv"
)

// cartView is one cart line as the pages show it.
type cartView struct {
	Product    *product
	Qty        int
	TotalCents int64
}

type cartPage struct {
	Lines      []cartView
	TotalCents int64
}

func cartOf(sess session) cartPage {
	var p cartPage
	for _, l := range sess.Cart {
		prod := findProduct(l.SKU)
		if prod == nil {
			continue
		}
		v := cartView{Product: prod, Qty: l.Qty, TotalCents: prod.PriceCents * int64(l.Qty)}
		p.Lines = append(p.Lines, v)
		p.TotalCents += v.TotalCents
	}
	return p
}

// signedInForm answers the session of a state-changing post, or answers
// the refusal itself and reports false.
func (sh *shop) signedInForm(w http.ResponseWriter, r *http.Request) (session, bool) {
	sess, ok := sh.current(r)
	if !ok {
		sh.fail(w, r, http.StatusUnauthorized, "Not signed in", "Your shop session has ended. Open your login link again to sign in.")
		return session{}, false
	}
	if !validCSRF(r, sess) {
		sh.fail(w, r, http.StatusForbidden, "Form expired", "This form is out of date. Reload the page and try again.")
		return session{}, false
	}
	return sess, true
}

func (sh *shop) showCart(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.current(r)
	if !ok {
		http.Redirect(w, r, sh.base+"/", http.StatusSeeOther)
		return
	}
	sh.render(w, http.StatusOK, "cart", &pageData{Title: "Cart", Session: &sess, Data: cartOf(sess)}, false)
}

// parseQuantity reads a quantity from 0 to maxQuantity.
func parseQuantity(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= maxQuantity
}

// addToCart adds a quantity of one product: POST /shop/cart/add.
func (sh *shop) addToCart(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.signedInForm(w, r)
	if !ok {
		return
	}
	prod := findProduct(r.PostFormValue("sku"))
	if prod == nil {
		sh.fail(w, r, http.StatusBadRequest, "Unknown product", "The shop has no such product.")
		return
	}
	qty, ok := 1, true
	if s := r.PostFormValue("quantity"); s != "" {
		qty, ok = parseQuantity(s)
	}
	if !ok || qty < 1 {
		sh.fail(w, r, http.StatusBadRequest, "Invalid quantity", "Enter a quantity from 1 to 999.")
		return
	}
	sh.sessions.update(sess.id, func(s *session) {
		for i := range s.Cart {
			if s.Cart[i].SKU == prod.SKU {
				s.Cart[i].Qty = min(s.Cart[i].Qty+qty, maxQuantity)
				return
			}
		}
		s.Cart = append(s.Cart, cartLine{SKU: prod.SKU, Qty: qty})
	})
	http.Redirect(w, r, sh.base+"/cart", http.StatusSeeOther)
}

// updateCart sets the quantities of the cart page: POST /shop/cart with
// pairs of sku and qty; 0 removes the line.
func (sh *shop) updateCart(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.signedInForm(w, r)
	if !ok {
		return
	}
	skus, qtys := r.PostForm["sku"], r.PostForm["qty"]
	if len(skus) != len(qtys) {
		sh.fail(w, r, http.StatusBadRequest, "Invalid cart", "Every line needs a quantity.")
		return
	}
	set := map[string]int{}
	for i, sku := range skus {
		qty, ok := parseQuantity(qtys[i])
		if !ok {
			sh.fail(w, r, http.StatusBadRequest, "Invalid quantity", "Enter quantities from 0 to 999; 0 removes the line.")
			return
		}
		set[sku] = qty
	}
	sh.sessions.update(sess.id, func(s *session) {
		for i := range s.Cart {
			if qty, ok := set[s.Cart[i].SKU]; ok {
				s.Cart[i].Qty = qty
			}
		}
		s.Cart = slices.DeleteFunc(s.Cart, func(l cartLine) bool { return l.Qty == 0 })
	})
	http.Redirect(w, r, sh.base+"/cart", http.StatusSeeOther)
}

// removeFromCart drops one line: POST /shop/cart/remove with sku.
func (sh *shop) removeFromCart(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.signedInForm(w, r)
	if !ok {
		return
	}
	sku := r.PostFormValue("sku")
	sh.sessions.update(sess.id, func(s *session) {
		s.Cart = slices.DeleteFunc(s.Cart, func(l cartLine) bool { return l.SKU == sku })
	})
	http.Redirect(w, r, sh.base+"/cart", http.StatusSeeOther)
}
