package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
)

// frame is the page in the iframe sel of the browser's page. Each action
// looks the iframe up anew, since its document changes as it navigates.
type frame struct {
	b   *browser
	sel string
}

// query runs a query action in the frame's current document.
func (f *frame) query(act func(*cdp.Node) chromedp.Action) {
	f.b.t.Helper()
	f.b.run(chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			if err := f.once(ctx, act); err != errRetry {
				return err
			}
			if ctx.Err() != nil {
				return fmt.Errorf("the frame never showed its document: %w", ctx.Err())
			}
		}
	}))
}

func (f *frame) once(ctx context.Context, act func(*cdp.Node) chromedp.Action) error {
	{
		var nodes []*cdp.Node
		if err := chromedp.Nodes(f.sel, &nodes, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		// The iframe's current document, not the one it had when chromedp
		// first saw it.
		n, err := dom.DescribeNode().WithNodeID(nodes[0].NodeID).WithDepth(0).Do(ctx)
		if err != nil || n.ContentDocument == nil {
			return errRetry // between two documents
		}
		ids, err := dom.PushNodesByBackendIDsToFrontend([]cdp.BackendNodeID{n.ContentDocument.BackendNodeID}).Do(ctx)
		if err != nil {
			return errRetry
		}
		doc := &cdp.Node{NodeID: ids[0], NodeType: cdp.NodeTypeDocument, FrameID: n.FrameID}
		return act(&cdp.Node{NodeName: "IFRAME", FrameID: n.FrameID, ContentDocument: doc}).Do(ctx)
	}
}

// waitVisible waits until sel shows in the frame. A click's navigation
// replaces the document the wait began in: each try looks at the current one.
func (f *frame) waitVisible(sel string) {
	f.b.t.Helper()
	f.query(func(n *cdp.Node) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			try, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			err := chromedp.WaitVisible(sel, chromedp.ByQuery, chromedp.FromNode(n)).Do(try)
			if err != nil && ctx.Err() == nil {
				return errRetry
			}
			return err
		})
	})
}

// errRetry makes query look the frame's document up again.
var errRetry = errors.New("look again")

func (f *frame) click(sel string) {
	f.b.t.Helper()
	f.query(func(n *cdp.Node) chromedp.Action {
		return chromedp.Click(sel, chromedp.ByQuery, chromedp.FromNode(n), chromedp.NodeVisible)
	})
}

func (f *frame) setValue(sel, v string) {
	f.b.t.Helper()
	f.query(func(n *cdp.Node) chromedp.Action {
		return chromedp.SetValue(sel, v, chromedp.ByQuery, chromedp.FromNode(n))
	})
}

func (f *frame) value(sel string) string {
	f.b.t.Helper()
	var v string
	f.query(func(n *cdp.Node) chromedp.Action {
		return chromedp.Value(sel, &v, chromedp.ByQuery, chromedp.FromNode(n))
	})
	return v
}

func (f *frame) text(sel string) string {
	f.b.t.Helper()
	var v string
	f.query(func(n *cdp.Node) chromedp.Action {
		return chromedp.Text(sel, &v, chromedp.ByQuery, chromedp.FromNode(n), chromedp.NodeVisible)
	})
	return v
}

// An OCI punchout in a frame: the procurement system's page (127.0.0.1,
// another site than the service's localhost) opens the shop in a frame of
// its own. The browser blocks third-party cookies, as Safari and Firefox
// do, so the shop keeps its session across the frame's navigations only
// with its partitioned SameSite=None cookie; the cart is filled in the
// frame and the transfer leaves the frame (~TARGET _top) for the
// procurement system's hook, which receives it. The frame ancestors are
// the default: the origins of the allowed hooks.
func TestAnOCIPunchoutInACrossSiteFrameTransfersTheCart(t *testing.T) {
	srm := newProcurement(t)
	srm.Frame = true
	svc := startServiceArgs(t, []string{"--demo"}, "LOGINTOKENS_OCI_HOOK_ALLOW="+srm.Hook)
	if !strings.HasPrefix(svc.URL, "http://localhost:") || !strings.HasPrefix(srm.URL, "http://127.0.0.1:") {
		t.Fatalf("the service at %s and the procurement system at %s must be different sites", svc.URL, srm.URL)
	}
	key := svc.apiKey()
	ada := newPerson(t, svc, key, "Ada", "Lovelace", "Acme Procurement AG", false)
	srm.start(t, svc.URL+"/oci/login", url.Values{
		"HOOK_URL": {srm.Hook}, "~OkCode": {"ADDI"}, "~TARGET": {"_top"}, "~CALLER": {"CTLG"},
		"USERNAME": {"x"}, "PASSWORD": {ada.Value}, "OCI_VERSION": {"4.0"},
	})

	// The frame runs in the page's process, so that chromedp reaches into
	// it; cookies and frame-ancestors are the same either way.
	b := newBrowser(t, chromedp.Flag("test-third-party-cookie-phaseout", true),
		chromedp.Flag("disable-site-isolation-trials", true), chromedp.Flag("disable-features", "IsolateOrigins,site-per-process"))
	traffic := b.watch()
	b.run(chromedp.Navigate(srm.URL+"/"), chromedp.WaitVisible(`#catalogue`, chromedp.ByID), chromedp.Click(`#punchout`, chromedp.ByID))
	shop := &frame{b: b, sel: "#catalogue"}
	if st := traffic.status(t, svc.URL+"/shop/"); st != 200 {
		t.Fatalf("the framed shop answered %d", st)
	}
	shop.waitVisible(`#who-name`)
	if who := shop.text(`#who-name`); who != ada.Name {
		t.Fatalf("the framed shop shows %q, want %q signed in", who, ada.Name)
	}
	b.shot("framed-shop")
	if loc := b.location(); loc != srm.URL+"/" {
		t.Errorf("the punchout left the procurement page: the window is at %s", loc)
	}

	// Two navigations in the frame, each needing the session: add to the
	// cart (a form post, then its redirect), back to the catalogue, add again.
	shop.setValue(`#qty-DS-1002`, "2")
	shop.click(`#product-DS-1002 form.add button`)
	if st := traffic.status(t, svc.URL+"/shop/cart"); st != 200 {
		t.Fatalf("the framed cart answered %d", st)
	}
	shop.waitVisible(`#line-DS-1002`)
	shop.click(`nav a[href="/shop/"]`)
	shop.waitVisible(`#qty-DS-2001`)
	shop.click(`#product-DS-2001 form.add button`)
	shop.waitVisible(`#line-DS-2001`)
	if a, b := shop.value(`#cart-qty-DS-1002`), shop.value(`#cart-qty-DS-2001`); a != "2" || b != "1" {
		t.Errorf("the framed cart holds %s × DS-1002 and %s × DS-2001, want 2 and 1", a, b)
	}
	b.shot("framed-cart")

	// The transfer page posts the cart to the hook in the whole window.
	shop.click(`#cart-form a[href="/shop/transfer"]`)
	b.run(chromedp.WaitVisible(`#received`, chromedp.ByID))
	b.shot("procurement-received")
	var cart url.Values
	select {
	case cart = <-srm.carts:
	case <-time.After(10 * time.Second):
		t.Fatal("the hook received nothing")
	}
	if loc := b.location(); loc != srm.Hook {
		t.Errorf("after the transfer the window is at %s, want the hook %s", loc, srm.Hook)
	}
	for name, want := range map[string]string{
		"~OkCode": "ADDI", "~TARGET": "_top", "~CALLER": "CTLG",
		"NEW_ITEM-VENDORMAT[1]": "DS-1002", "NEW_ITEM-QUANTITY[1]": "2",
		"NEW_ITEM-VENDORMAT[2]": "DS-2001", "NEW_ITEM-QUANTITY[2]": "1",
	} {
		if got := cart.Get(name); got != want {
			t.Errorf("the hook got %s = %q, want %q", name, got, want)
		}
	}
	if st := svc.counters(key, ada.TokenID); st.SuccessfulAttempts != 1 {
		t.Errorf("after the punchout the token is %+v, want one success", st)
	}
}

// A punchout framed by a page that may not frame the shop (the frame
// ancestors name another origin) is refused before the token is looked
// up: Chromium says the navigation is a frame's and which page started it,
// the service answers 403, and the one-time token is still unused, where
// it would otherwise have been spent on a frame the browser blanks. (The
// same page in a window signs in: TestAnOCIPunchoutTransfersTheCartToTheProcurementSystem.)
func TestAPunchoutFramedByAPageThatMayNotFrameItSpendsNothing(t *testing.T) {
	srm := newProcurement(t)
	srm.Frame = true
	svc := startServiceArgs(t, []string{"--demo"}, "LOGINTOKENS_OCI_HOOK_ALLOW="+srm.Hook,
		"LOGINTOKENS_OCI_FRAME_ANCESTORS=https://srm.example.com")
	key := svc.apiKey()
	ada := newPerson(t, svc, key, "Ada", "Lovelace", "Acme Procurement AG", true)
	srm.start(t, svc.URL+"/oci/login", url.Values{
		"HOOK_URL": {srm.Hook}, "~OkCode": {"ADDI"}, "~TARGET": {"_top"}, "~CALLER": {"CTLG"},
		"USERNAME": {"x"}, "PASSWORD": {ada.Value}, "OCI_VERSION": {"4.0"},
	})
	b := newBrowser(t)
	traffic := b.watch()
	b.run(chromedp.Navigate(srm.URL+"/"), chromedp.WaitVisible(`#catalogue`, chromedp.ByID), chromedp.Click(`#punchout`, chromedp.ByID))
	if st := traffic.status(t, svc.URL+"/oci/login"); st != http.StatusForbidden {
		t.Fatalf("the framed punchout answered %d, want 403", st)
	}
	if st := svc.counters(key, ada.TokenID); st.SuccessfulAttempts != 0 || st.FailedAttempts != 0 || st.Status != "active" {
		t.Errorf("after the refused framed punchout the token is %+v, want untouched", st)
	}
}
