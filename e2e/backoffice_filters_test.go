package e2e

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// The filter panel builds the same list address in the browser (tokens.js,
// from the spec of the filters the panel carries) as the server does when
// the panel posts without the script: every kind of filter but the dates,
// which the browser reads as the viewer's local days.
func TestTheFilterPanelBuildsTheServersAddressInTheBrowser(t *testing.T) {
	svc := startService(t)
	key := svc.apiKey()
	var co struct{ ID int64 }
	svc.api(key, "POST", "/api/v1/companies", map[string]any{"name": "Acme GmbH"}, &co)
	svc.api(key, "POST", "/api/v1/contacts", map[string]any{"companyId": co.ID, "firstName": "Jane", "lastName": "Doe", "email": "jane@acme.test"}, nil)
	var tok struct{ ID string }
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"walk-in"}}, &tok)
	svc.staff("viewer@shop.test", "configuration:viewer", "users:viewer")

	b := newBrowser(t)
	b.signIn(svc.URL, "viewer@shop.test", adminPassword)
	fill := func() {
		b.run(
			chromedp.Navigate(svc.URL+"/admin/login-tokens?sort=name&pageSize=50"),
			chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
			chromedp.Click(`#filters-button`, chromedp.ByID),
			chromedp.WaitVisible(`#filters`, chromedp.ByID),
			chromedp.SendKeys(`#filter-ids`, tok.ID, chromedp.ByID),
			chromedp.SendKeys(`#filter-user`, "jane", chromedp.ByID),
			chromedp.WaitVisible(`#filter-user-list [role=option]`, chromedp.ByQuery),
			chromedp.Click(`#filter-user-list [role=option]`, chromedp.ByQuery),
			chromedp.SetValue(`#filter-successfulAttempts-op`, "ge", chromedp.ByID),
			chromedp.SetValue(`#filter-successfulAttempts-n`, "1", chromedp.ByID),
			chromedp.SetValue(`#filter-failedAttempts-n`, "0", chromedp.ByID),
			chromedp.Click(`#filter-one-time-2`, chromedp.ByID),
			chromedp.Click(`#filter-status-active`, chromedp.ByID),
			chromedp.Click(`#filter-status-used`, chromedp.ByID),
			chromedp.Click(`#filter-type-contact`, chromedp.ByID),
			chromedp.SendKeys(`#filter-q`, "acme", chromedp.ByID),
		)
	}
	fill()
	b.run(chromedp.Click(`#filters-apply`, chromedp.ByID), chromedp.WaitVisible(`#active-filters`, chromedp.ByID))
	inBrowser := b.location()
	fill()
	b.run(
		// Without the script's handler the panel posts its form.
		chromedp.Evaluate(`document.getElementById("filter-form").removeAttribute("data-filter-form")`, nil),
		chromedp.Click(`#filters-apply`, chromedp.ByID),
		chromedp.WaitVisible(`#active-filters`, chromedp.ByID),
	)
	byServer := b.location()
	if inBrowser != byServer {
		t.Fatalf("the browser builds %s, the server %s", inBrowser, byServer)
	}
	u, err := url.Parse(inBrowser)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for _, name := range []string{"ids", "contactIds", "successfulAttempts", "failedAttempts", "oneTimeUse", "status", "type", "q", "sort", "pageSize"} {
		if !q.Has(name) {
			t.Errorf("the address %s lacks %s", inBrowser, name)
		}
	}
	if q.Get("status") != "active,used" || q.Get("successfulAttempts") != "ge:1" || q.Get("failedAttempts") != "gt:0" || q.Get("oneTimeUse") != "false" {
		t.Errorf("the address %s", inBrowser)
	}
}
