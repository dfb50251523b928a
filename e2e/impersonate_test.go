package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// An editor opens a contact in the backoffice and presses "Open webshop
// as ...": a new tab asks which shop (the demo shop takes both the
// form-post hand-off and OpenID Connect), then goes through /login to the
// demo shop with no further click, signed in as the contact and saying
// which staff member opened it; the token's activity names them too.
func TestOpenWebshopAsAContactShowsImpersonatedByInANewTab(t *testing.T) {
	for name, choice := range map[string]string{
		"form-post":      `#impersonate-shop-callback`,
		"OpenID Connect": `#impersonate-shops button:not(#impersonate-shop-callback)`,
	} {
		t.Run(name, func(t *testing.T) { openWebshopAs(t, choice) })
	}
}

func openWebshopAs(t *testing.T, choice string) {
	svc := startServiceArgs(t, []string{"--demo"})
	svc.CLI(adminPassword+"\n", "staff", "create", "--email", "sam@shop.test", "--name", "Sam Sales",
		"--grant", "configuration:editor", "--grant", "users:editor")
	b := newBrowser(t)
	b.signIn(svc.URL, "sam@shop.test", adminPassword)

	b.run(
		chromedp.Navigate(svc.URL+"/admin/contacts?q=jane"),
		chromedp.Click(`#contacts-table tbody tr a`, chromedp.ByQuery, chromedp.NodeVisible),
		chromedp.WaitVisible(`#contact-impersonate`, chromedp.ByID),
	)
	name := strings.TrimSpace(b.text(`#page-title`))
	if label := b.text(`#contact-impersonate`); label != "Open webshop as "+name {
		t.Fatalf("button %q on the page of %q", label, name)
	}
	b.shot("contact-with-open-webshop")
	backoffice := b.location()

	// The form opens a new tab: attach to it as soon as it exists.
	opened := chromedp.WaitNewTarget(b.ctx, func(info *target.Info) bool { return info.Type == "page" })
	b.run(chromedp.Click(`#contact-impersonate`, chromedp.ByID))
	var id target.ID
	select {
	case id = <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("no new tab opened")
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	// Attach with the test's context: the first Run's context owns the
	// tab, and b.run's step timeout would detach it after its step.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("attach to the new tab: %v", err)
	}
	tab := &browser{t: t, ctx: ctx, dir: b.dir, n: b.n}

	tab.run(chromedp.WaitVisible(`#impersonate-choose`, chromedp.ByID))
	tab.shot("which-shop")
	tab.run(chromedp.Click(choice, chromedp.ByQuery), chromedp.WaitVisible(`#impersonation`, chromedp.ByID))
	tab.shot("shop-impersonated")
	if who := tab.text(`#who-name`); who != name {
		t.Errorf("the shop signed in %q, want %q", who, name)
	}
	if msg := tab.text(`#impersonation`); !strings.Contains(msg, "Impersonated by Sam Sales") || !strings.Contains(msg, "sam@shop.test") {
		t.Errorf("the shop says %q", msg)
	}
	if loc := tab.location(); !strings.Contains(loc, "/shop/") || strings.Contains(loc, "token") {
		t.Errorf("the new tab is at %s", loc)
	}
	b.n = tab.n // one numbering for the screenshots of both tabs
	// The backoffice stays where it was.
	if loc := b.location(); loc != backoffice {
		t.Errorf("the backoffice tab moved to %s", loc)
	}

	// The token's activity: made by Sam, used once, opened by Sam.
	var rows []string
	var href string
	var ok bool
	b.run(
		chromedp.Navigate(svc.URL+"/admin/login-tokens?q=Impersonation+by+Sam+Sales"),
		chromedp.WaitVisible(`#tokens-table tbody tr[data-href]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#tokens-table tbody tr[data-href]`, "data-href", &href, &ok, chromedp.ByQuery),
	)
	b.run(
		chromedp.Navigate(svc.URL+href),
		chromedp.WaitVisible(`table.activity`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("table.activity tbody tr")].map(tr => tr.innerText)`, &rows),
	)
	b.shot("token-activity")
	all := strings.Join(rows, "\n")
	for _, want := range []string{"Signed in", "Opened by Sam Sales", "Created"} {
		if !strings.Contains(all, want) {
			t.Errorf("activity has no %q:\n%s", want, all)
		}
	}
	// Opened at the provider's shop, the token was bound to it; by the
	// form-post hand-off, to none.
	if bound, oidc := b.exists(`#token-shop`), choice != `#impersonate-shop-callback`; bound != oidc {
		t.Errorf("the impersonation token is bound to a shop: %v, want %v", bound, oidc)
	}
	if status := b.text(`#token-dialog-title .badge`); status != "used" {
		t.Errorf("the impersonation token is %q, want used", status)
	}
}
