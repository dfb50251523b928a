package backoffice_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The token dialog sets Uses allowed and Networks; bad input shows next to
// the field; the list shows the column and filters on both.
func TestTokenDialogSetsUsesAllowedAndNetworks(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		b := w.editor()
		form := b.mustGet("/admin/login-tokens/new", 200)
		for _, want := range []string{`<label for="new-max-uses">Uses allowed</label>`, `name="maxUses"`, `<label for="new-networks">Networks</label>`, `name="networks"`} {
			if !strings.Contains(form, want) {
				t.Errorf("the new token form lacks %s", want)
			}
		}
		status, body, _ := b.post("/admin/login-tokens", url.Values{"user": {""}, "maxUses": {"4"},
			"networks": {"203.0.113.9/24\r\n\r\n2001:db8::/32\r\n"}}, "X-Fragment", "1")
		if status != http.StatusCreated {
			t.Fatalf("create: %d\n%s", status, body)
		}
		value := regexp.MustCompile(`id="new-value" class="mono" readonly value="(lt_[a-z0-9]+_[A-Za-z0-9]+)"`).FindStringSubmatch(body)
		if value == nil {
			t.Fatalf("no value in\n%s", body)
		}
		tok, err := w.Store.LookupToken(ctx, value[1])
		if err != nil {
			t.Fatal(err)
		}
		if tok.MaxUses == nil || *tok.MaxUses != 4 || !slices.Equal(tok.Networks, []string{"203.0.113.0/24", "2001:db8::/32"}) {
			t.Fatalf("created maxUses %v networks %q", tok.MaxUses, tok.Networks)
		}
		detail := b.mustGet("/admin/login-tokens/"+tok.ID, 200)
		for _, want := range []string{`id="edit-max-uses" name="maxUses" min="1" step="1" inputmode="numeric" value="4"`, ">203.0.113.0/24\n2001:db8::/32</textarea>"} {
			if !strings.Contains(detail, want) {
				t.Errorf("the edit dialog lacks %s", want)
			}
		}

		status, body, _ = b.post("/admin/login-tokens", url.Values{"user": {""}, "maxUses": {"0"}, "networks": {"10.0.0.0/33"}}, "X-Fragment", "1")
		if status != 400 || !strings.Contains(body, `id="new-max-uses-error">`) || !strings.Contains(body, `id="new-networks-error">`) {
			t.Fatalf("invalid: %d\n%s", status, body)
		}
		status, body, _ = b.post("/admin/login-tokens", url.Values{"user": {""}, "maxUses": {"3"}, "oneTimeUse": {"true"}}, "X-Fragment", "1")
		if status != 400 || !strings.Contains(body, "One time use is Uses allowed 1") {
			t.Fatalf("one-time with 3 uses: %d", status)
		}

		// Edit: no limit and any address.
		status, body, _ = b.post("/admin/login-tokens/"+tok.ID, url.Values{"user": {""}, "clientTime": {"1"}, "maxUses": {""}, "networks": {""}}, "X-Fragment", "1")
		if status != 200 || !strings.Contains(body, "Saved.") {
			t.Fatalf("save: %d\n%s", status, body)
		}
		after, _ := w.Store.FindTokenByID(ctx, tok.ID)
		if after.MaxUses != nil || len(after.Networks) != 0 {
			t.Fatalf("saved maxUses %v networks %q", after.MaxUses, after.Networks)
		}
		b.post("/admin/login-tokens/"+tok.ID, url.Values{"user": {""}, "clientTime": {"1"}, "maxUses": {"7"}, "networks": {"192.0.2.0/24"}}, "X-Fragment", "1")

		list := b.mustGet("/admin/login-tokens?hasNetworks=true", 200)
		if !strings.Contains(list, "Uses Allowed") || !strings.Contains(list, tok.ID) || strings.Contains(list, w.contactT.ID) {
			t.Fatal("the list filtered on networks lacks the column or the token, or shows another")
		}
		for _, want := range []string{`id="filter-unlimitedUses"`, `id="filter-hasNetworks"`, `id="filter-maxUses"`} {
			if !strings.Contains(list, want) {
				t.Errorf("the filter panel lacks %s", want)
			}
		}
		if list := b.mustGet("/admin/login-tokens?maxUses=eq:7", 200); !strings.Contains(list, tok.ID) {
			t.Fatal("maxUses=eq:7 lacks the token")
		}
	})
}
