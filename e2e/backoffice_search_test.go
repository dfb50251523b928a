package e2e

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	lt "github.com/logintokens/logintokens"
)

// A token value pasted into the list's search box, or into the filter
// panel's Text field, becomes the Ids filter of its token in the browser:
// the list shows that token, the boxes are emptied, and no request the
// browser sends (URL or form) carries the value.
func TestAValuePastedIntoTheSearchBecomesItsIDInTheBrowser(t *testing.T) {
	svc := startService(t)
	key := svc.apiKey()
	var tok, other struct{ ID, Value string }
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"pasted"}}, &tok)
	svc.api(key, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"other"}}, &other)
	_, secret, err := lt.ParseValue(lt.TokenPrefix, tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	svc.staff("viewer@shop.test", "configuration:viewer")

	b := newBrowser(t)
	var mu sync.Mutex
	var sent []string // method and URL of every request, with its form
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			defer mu.Unlock()
			line := e.Request.Method + " " + e.Request.URL
			for _, entry := range e.Request.PostDataEntries {
				form, _ := base64.StdEncoding.DecodeString(entry.Bytes)
				line += " " + string(form)
			}
			sent = append(sent, line)
		}
	})
	b.run(network.Enable())
	b.signIn(svc.URL, "viewer@shop.test", adminPassword)

	want := svc.URL + "/admin/login-tokens?ids=" + tok.ID + "&status=active"
	for _, pasted := range []string{tok.Value, "who has " + tok.Value + "?", "https://login.example.test/login?token=" + tok.Value} {
		b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens?status=active"), chromedp.WaitVisible(`#token-search`, chromedp.ByID),
			chromedp.SetValue(`#token-search`, pasted, chromedp.ByID),
			chromedp.Click(`form[data-search-form] button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(`tr[data-token-id]`, chromedp.ByQuery))
		if loc := b.location(); loc != want {
			t.Fatalf("search for %q: at %s, want %s", pasted, loc, want)
		}
		if rows := b.rows(); !slices.Equal(rows, []string{tok.ID}) {
			t.Fatalf("search for %q: rows %v", pasted, rows)
		}
		var box string
		b.run(chromedp.Value(`#token-search`, &box, chromedp.ByID))
		if box != "" {
			t.Fatalf("the search box shows %q", box)
		}
	}
	// The filter panel's Text field, with an id already in Ids.
	b.run(chromedp.Navigate(svc.URL+"/admin/login-tokens"), chromedp.WaitVisible(`#tokens-table`, chromedp.ByID),
		chromedp.Click(`#filters-button`, chromedp.ByID), chromedp.WaitVisible(`#filter-q`, chromedp.ByID),
		chromedp.SetValue(`#filter-ids`, other.ID, chromedp.ByID),
		chromedp.SetValue(`#filter-q`, tok.Value, chromedp.ByID),
		chromedp.Click(`#filters-apply`, chromedp.ByID),
		chromedp.WaitVisible(`#active-filters`, chromedp.ByID))
	if loc := b.location(); loc != svc.URL+"/admin/login-tokens?ids="+other.ID+"%2C"+tok.ID {
		t.Fatalf("the filter panel: at %s", loc)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, s := range sent {
		dec, _ := url.QueryUnescape(s)
		if strings.Contains(s, secret) || strings.Contains(dec, secret) {
			t.Errorf("the browser sent the value: %s", s)
		}
		if strings.Contains(s, "/admin/login-tokens/search") || strings.Contains(s, "/admin/login-tokens/filter ") {
			t.Errorf("the form went to the server; the page should build the URL: %s", s)
		}
	}
}
