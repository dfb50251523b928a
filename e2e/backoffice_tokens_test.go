package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tokenList is the API's list envelope, enough for these tests.
type tokenList struct {
	Items []struct {
		ID, Type   string
		Extra      []string
		OneTimeUse bool
		User       *struct{ Name string }
	}
	ItemsFound int
}

// The help page's words: the columns a person reads on the screen.
var helpColumns = []string{"Name", "Type", "Expires At", "Last Accessed At", "Successful Attempts", "Failed Attempts", "Uses Allowed", "One Time Use", "Extra"}

func TestAnEditorWorksWithLoginTokensInTheBrowser(t *testing.T) {
	svc := startService(t)
	key := svc.apiKey()
	var co struct{ ID int64 }
	svc.api(key, "POST", "/api/v1/companies", map[string]any{"name": "Acme GmbH"}, &co)
	svc.api(key, "POST", "/api/v1/contacts", map[string]any{"companyId": co.ID, "firstName": "Jane", "lastName": "Doe", "email": "jane@acme.test"}, nil)
	svc.staff("editor@shop.test", "configuration:editor", "users:viewer")

	b := newBrowser(t)
	b.signIn(svc.URL, "editor@shop.test", adminPassword)
	b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens"), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID))
	var headers []string
	b.run(chromedp.Evaluate(`[...document.querySelectorAll("#tokens-table thead th:not(.col-select)")].map(th => th.textContent.trim()).filter(Boolean)`, &headers))
	if strings.Join(headers, "|") != strings.Join(helpColumns, "|") {
		t.Fatalf("columns %q, want the help page's %q", headers, helpColumns)
	}

	// New Login Token, top right: pick the contact by typing part of the company.
	b.run(
		chromedp.Click(`#new-token`, chromedp.ByID),
		chromedp.WaitVisible(`#new-token-dialog`, chromedp.ByID),
		chromedp.SendKeys(`#new-user`, "acme", chromedp.ByID),
		chromedp.WaitVisible(`#new-user-list [role=option]`, chromedp.ByQuery),
	)
	b.shot("new-login-token-dialog")
	b.run(
		chromedp.Click(`#new-user-list [role=option]`, chromedp.ByQuery),
		chromedp.SetValue(`#new-expires`, "2030-12-31T23:00", chromedp.ByID),
		chromedp.SendKeys(`#new-extra`, "OCI for Acme SAP SRM", chromedp.ByID),
		chromedp.Click(`#new-one-time`, chromedp.ByID),
		chromedp.Click(`#new-token-save`, chromedp.ByID),
		chromedp.WaitVisible(`#new-value`, chromedp.ByID),
	)
	b.shot("new-login-token-created")
	var value, loginURL string
	b.run(chromedp.Value(`#new-value`, &value, chromedp.ByID), chromedp.Value(`#new-login-url`, &loginURL, chromedp.ByID))
	if !strings.HasPrefix(value, "lt_") || !strings.Contains(loginURL, "/login?token="+value) {
		t.Fatalf("created value %q, link %q", value, loginURL)
	}
	id := strings.SplitN(value, "_", 3)[1]
	// The list behind the dialog shows the new token at once.
	b.run(chromedp.Poll(`document.querySelector('#tokens-table tr[data-token-id="`+id+`"]') !== null`, nil,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	var list tokenList
	svc.api(key, "GET", "/api/v1/login-tokens?ids="+id, nil, &list)
	if list.ItemsFound != 1 || list.Items[0].Type != "contact" || list.Items[0].User.Name != "Jane Doe" || !list.Items[0].OneTimeUse ||
		len(list.Items[0].Extra) != 1 || list.Items[0].Extra[0] != "OCI for Acme SAP SRM" {
		t.Fatalf("the token as the API sees it: %+v", list)
	}
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"someone else"}}, nil)

	// Find it with the filters: a pasted value becomes its id, never a URL part.
	b.run(
		chromedp.Navigate(svc.URL+"/admin/login-tokens"),
		chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
		chromedp.Click(`#filters-button`, chromedp.ByID),
		chromedp.WaitVisible(`#filters`, chromedp.ByID),
		chromedp.SendKeys(`#filter-ids`, value, chromedp.ByID),
	)
	b.shot("filters")
	b.run(chromedp.Click(`#filters-apply`, chromedp.ByID), chromedp.WaitVisible(`#active-filters`, chromedp.ByID))
	loc := b.location()
	if strings.Contains(loc, value) || strings.Contains(loc, strings.SplitN(value, "_", 3)[2]) || !strings.Contains(loc, "ids="+id) {
		t.Fatalf("after filtering by a pasted value the URL is %s", loc)
	}
	if rows := b.rows(); len(rows) != 1 || rows[0] != id {
		t.Fatalf("rows %v, want only %s", rows, id)
	}
	// The filter state lives in the URL: a reload keeps it.
	b.run(chromedp.Reload(), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID))
	if rows := b.rows(); len(rows) != 1 || rows[0] != id {
		t.Fatalf("after reload rows %v", rows)
	}
	// The panel again: clear, then the user picker, a condition and a
	// one-time choice together.
	b.run(
		chromedp.Navigate(svc.URL+"/admin/login-tokens"),
		chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
		chromedp.Click(`#filters-button`, chromedp.ByID),
		chromedp.WaitVisible(`#filters`, chromedp.ByID),
		chromedp.SendKeys(`#filter-user`, "jane", chromedp.ByID),
		chromedp.WaitVisible(`#filter-user-list [role=option]`, chromedp.ByQuery),
		chromedp.Click(`#filter-user-list [role=option]`, chromedp.ByQuery),
		chromedp.SetValue(`#filter-successfulAttempts-op`, "eq", chromedp.ByID),
		chromedp.SetValue(`#filter-successfulAttempts-n`, "0", chromedp.ByID),
		chromedp.Click(`#filter-one-time-1`, chromedp.ByID),
		chromedp.Click(`#filters-apply`, chromedp.ByID),
		chromedp.WaitVisible(`#active-filters`, chromedp.ByID),
	)
	loc = b.location()
	for _, want := range []string{"contactIds=", "successfulAttempts=eq%3A0", "oneTimeUse=true"} {
		if !strings.Contains(loc, want) {
			t.Errorf("the URL %s lacks %s", loc, want)
		}
	}
	if rows := b.rows(); len(rows) != 1 || rows[0] != id {
		t.Fatalf("picker filter: rows %v", rows)
	}
	b.shot("filtered-list")
	// Other filters from the URL, as a shared link would carry them.
	for _, q := range []string{"oneTimeUse=true", "successfulAttempts=eq:0&oneTimeUse=true", "q=acme", "type=contact"} {
		b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens?"+q), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID))
		if rows := b.rows(); len(rows) != 1 || rows[0] != id {
			t.Fatalf("filter %s: rows %v", q, rows)
		}
	}

	// Edit: open the row, change Extra, save; reveal the value with the eye icon.
	b.run(
		chromedp.Click(`tr[data-token-id="`+id+`"] .token-link`, chromedp.ByQuery),
		chromedp.WaitVisible(`#token-dialog`, chromedp.ByID),
		chromedp.WaitVisible(`#reveal-value`, chromedp.ByID),
	)
	if masked := b.text("#token-value"); !strings.HasPrefix(masked, "lt_"+id+"_") || strings.Contains(masked, value) {
		t.Fatalf("the value is not masked: %q", masked)
	}
	b.shot("edit-dialog")
	b.run(chromedp.Click(`#reveal-value`, chromedp.ByID), chromedp.WaitVisible(`#copy-value`, chromedp.ByID),
		chromedp.Poll(`!document.querySelector("#token-value").textContent.includes("••••")`, nil, chromedp.WithPollingInterval(50*time.Millisecond)))
	if shown := b.text("#token-value"); shown != value {
		t.Fatalf("revealed %q, want %q", shown, value)
	}
	b.run(chromedp.Click(`#copy-value`, chromedp.ByID))
	b.shot("edit-dialog-revealed")
	b.run(
		chromedp.SetValue(`#edit-extra`, "OCI for Acme SAP SRM\nsecond line", chromedp.ByID),
		chromedp.Click(`#token-save`, chromedp.ByID),
		chromedp.WaitVisible(`#token-dialog [data-status]`, chromedp.ByQuery),
	)
	if msg := b.text(`#token-dialog [data-status]`); msg != "Saved." {
		t.Fatalf("after save: %q", msg)
	}
	// The row behind the dialog shows the change at once, and still does
	// after Escape closed the dialog, without a reload.
	extraShown := `(document.querySelector('#tokens-table tr[data-token-id="` + id + `"] .col-extra') || {textContent: ""}).textContent.includes("second line")`
	b.run(chromedp.Poll(extraShown, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`window.ltNoReload = true`, nil),
		chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`#token-dialog`, chromedp.ByID))
	var sameList, shown bool
	b.run(chromedp.Evaluate(`window.ltNoReload === true`, &sameList), chromedp.Evaluate(extraShown, &shown))
	if !sameList || !shown {
		t.Fatalf("after Escape: the page reloaded %v, the row shows the saved extra %v", !sameList, shown)
	}
	svc.api(key, "GET", "/api/v1/login-tokens?ids="+id, nil, &list)
	if len(list.Items[0].Extra) != 2 || list.Items[0].Extra[1] != "second line" {
		t.Fatalf("extra after save: %q", list.Items[0].Extra)
	}
	var events struct {
		Items []struct{ Type, Actor string }
	}
	svc.api(key, "GET", "/api/v1/login-tokens/"+id+"/events", nil, &events)
	var types []string
	for _, e := range events.Items {
		types = append(types, e.Type)
	}
	if !strings.Contains(strings.Join(types, ","), "token.revealed") || !strings.Contains(strings.Join(types, ","), "token.updated") {
		t.Fatalf("audit trail %v lacks the reveal or the update", types)
	}

	// Bulk delete: select all on the page, confirm, and the rows are gone.
	b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens"), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID))
	if rows := b.rows(); len(rows) != 2 {
		t.Fatalf("before delete: %v", rows)
	}
	b.run(
		chromedp.Click(`#select-all`, chromedp.ByID),
		chromedp.Click(`#delete-selected`, chromedp.ByID),
		chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByID),
	)
	b.shot("delete-confirmation")
	b.run(chromedp.Click(`#confirm-ok`, chromedp.ByID), chromedp.WaitVisible(`#tokens-empty`, chromedp.ByID))
	b.shot("after-delete")
	svc.api(key, "GET", "/api/v1/login-tokens", nil, &list)
	if list.ItemsFound != 0 {
		t.Fatalf("%d tokens left after deleting all", list.ItemsFound)
	}
}

func TestAViewerFindsNothingToChange(t *testing.T) {
	svc := startService(t)
	key := svc.apiKey()
	var tok struct{ ID, Value string }
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"for the viewer"}}, &tok)
	svc.staff("viewer@shop.test", "configuration:viewer")

	b := newBrowser(t)
	b.signIn(svc.URL, "viewer@shop.test", adminPassword)
	b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens"), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID))
	b.shot("viewer-list")
	for _, sel := range []string{"#new-token", "#delete-selected", "#select-all", "input[data-row-select]"} {
		if b.exists(sel) {
			t.Errorf("a viewer sees %s", sel)
		}
	}
	// The filters, the user picker included, are there.
	b.run(chromedp.Click(`#filters-button`, chromedp.ByID), chromedp.WaitVisible(`#filter-user`, chromedp.ByID))
	b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens"), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
		chromedp.Click(`tr[data-token-id="`+tok.ID+`"] .token-link`, chromedp.ByQuery),
		chromedp.WaitVisible(`#token-dialog`, chromedp.ByID))
	b.shot("viewer-details")
	for _, sel := range []string{"#token-save", "#reveal-value", "#copy-value", "#copy-login-link", "#copy-oci-url", "#regenerate"} {
		if b.exists(sel) {
			t.Errorf("a viewer sees %s in the details", sel)
		}
	}
	// And the server refuses what the page does not offer.
	for _, path := range []string{"/admin/login-tokens", "/admin/login-tokens/" + tok.ID + "/reveal", "/admin/login-tokens/" + tok.ID + "/regenerate", "/admin/login-tokens/delete"} {
		var status int
		b.run(chromedp.Evaluate(fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"X-CSRF-Token": document.body.dataset.csrf,
			"Content-Type": "application/x-www-form-urlencoded"}, body: %q}).then(r => r.status)`, path, url.Values{"ids": {tok.ID}, "confirm": {"yes"}}.Encode()),
			&status, awaitPromise))
		if status != 403 {
			t.Errorf("a viewer's POST %s: %d, want 403", path, status)
		}
	}
}
