package demoshop

import (
	"net/http"
	"net/url"

	"github.com/logintokens/logintokens/oci"
)

type transferPage struct {
	cartPage
	Action string // HOOK_URL
	Target string // the form's target: returntarget, else _top
	Host   string // the procurement system, for the person
	Fields []oci.Field
}

// showTransfer is the page that posts the cart to the procurement system's
// HOOK_URL as OCI fields: GET /shop/transfer, in an OCI session only. The
// visible button submits it; transfer.js submits it on load.
func (sh *shop) showTransfer(w http.ResponseWriter, r *http.Request) {
	sess, ok := sh.current(r)
	if !ok {
		http.Redirect(w, r, sh.base+"/", http.StatusSeeOther)
		return
	}
	if sess.OCI == nil {
		sh.fail(w, r, http.StatusBadRequest, "No procurement system",
			"This session was not opened by a procurement system (OCI punchout), so there is nowhere to transfer the cart to.")
		return
	}
	cart := cartOf(sess)
	items := make([]oci.Item, 0, len(cart.Lines))
	for _, l := range cart.Lines {
		items = append(items, l.Product.ociItem(l.Qty))
	}
	fields, err := oci.Encode(items, sess.OCI.Options)
	if err != nil {
		sh.log.Error("demoshop: encode OCI cart", "err", err)
		sh.fail(w, r, http.StatusInternalServerError, "Cart cannot be transferred", "The cart could not be encoded for the procurement system.")
		return
	}
	host := sess.OCI.HookURL
	if u, err := url.Parse(host); err == nil {
		host = u.Host
	}
	page := transferPage{cartPage: cart, Action: sess.OCI.HookURL, Target: sess.OCI.Options.FormTarget(), Host: host, Fields: fields}
	sh.render(w, http.StatusOK, "transfer", &pageData{Title: "Transfer cart", Session: &sess, Data: page}, true)
}
