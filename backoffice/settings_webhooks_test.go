package backoffice_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

var webhookSecret = regexp.MustCompile(`id="webhook-secret" value="([^"]+)"`)

func TestWebhooksScreenCreatesEditsRedeliversAndShowsTheDisabling(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("owner@shop.test", "configuration:owner")
			b := o.browser()
			b.signIn("owner@shop.test")

			status, body, _ := b.get("/admin/settings/webhooks")
			wantStatus(t, "list", status, 200, body)
			mustContain(t, "list", body, `id="new-webhook"`, "No webhooks yet", `aria-current="page">Webhooks`)
			status, body, _ = b.get("/admin/settings/webhooks/new")
			wantStatus(t, "form", status, 200, body)
			mustContain(t, "form", body, `id="webhook-url"`, `id="event-token-redeemed"`, `name="csrf"`)

			status, body, _ = b.post("/admin/settings/webhooks", url.Values{"url": {"http://crm.example.com/"}})
			wantStatus(t, "invalid", status, http.StatusBadRequest, body)
			mustContain(t, "invalid", body, `id="webhook-url-error"`, `id="webhook-events-error"`)

			status, body, _ = b.post("/admin/settings/webhooks", url.Values{"url": {"https://crm.example.com/hook"}, "events": {"token.created", "token.redeemed"}})
			wantStatus(t, "create", status, http.StatusCreated, body)
			m := webhookSecret.FindStringSubmatch(body)
			if m == nil || !strings.HasPrefix(m[1], "whsec_") {
				t.Fatalf("no secret on the page\n%s", body)
			}
			secret := html.UnescapeString(m[1])
			hooks, err := o.Store.FindWebhooks(ctx)
			if err != nil || len(hooks) != 1 {
				t.Fatalf("webhooks: %v %v", hooks, err)
			}
			hook := hooks[0]
			path := fmt.Sprintf("/admin/settings/webhooks/%d", hook.ID)
			_, body, _ = b.get("/admin/settings/webhooks")
			mustContain(t, "list", body, "https://crm.example.com/hook", "token.created, token.redeemed")
			mustNotContain(t, "list", body, secret)

			// A delivery, sent: the log offers to send it again.
			if _, err := o.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{}); err != nil {
				t.Fatal(err)
			}
			msgs, err := o.Store.ClaimOutbox(ctx, "test", 10, time.Minute)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("claim: %v %v", msgs, err)
			}
			if err := o.Store.CompleteOutbox(ctx, msgs[0].ID, "test", lt.DeliveryResult{Answer: "HTTP 204", Took: 12 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			status, body, _ = b.get(path)
			wantStatus(t, "edit", status, 200, body)
			mustContain(t, "edit", body, "token.created", msgs[0].EventID, "HTTP 204", "in 12 ms", fmt.Sprintf(`id="redeliver-%d"`, msgs[0].ID))
			mustNotContain(t, "edit", body, secret)
			status, body, h := b.post(fmt.Sprintf("%s/deliveries/%d/redeliver", path, msgs[0].ID), url.Values{})
			wantStatus(t, "redeliver", status, http.StatusSeeOther, body)
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "after redeliver", body, "queued again", fmt.Sprintf("again, of %d", msgs[0].ID))

			// Edit: fewer events, disabled.
			status, body, _ = b.post(path, url.Values{"url": {"https://crm.example.com/hook2"}, "events": {"token.deleted"}})
			wantStatus(t, "save", status, http.StatusSeeOther, body)
			got, _ := o.Store.FindWebhookByID(ctx, hook.ID)
			if got.Enabled || got.URL != "https://crm.example.com/hook2" || strings.Join(got.Events, ",") != "token.deleted" {
				t.Fatalf("saved %+v", got)
			}

			// Enabled again; then its deliveries fail for good: the notice.
			if status, body, _ = b.post(path, url.Values{"url": {got.URL}, "events": {"token.deleted"}, "enabled": {"on"}}); status != http.StatusSeeOther {
				t.Fatalf("enable: %d %s", status, body)
			}
			tok, _ := o.Store.CreateToken(ctx, lt.Actor{Name: "test"}, lt.NewToken{})
			if err := o.Store.DeleteToken(ctx, lt.Actor{Name: "test"}, tok.ID); err != nil {
				t.Fatal(err)
			}
			msgs, _ = o.Store.ClaimOutbox(ctx, "test", 10, time.Minute)
			if len(msgs) != 1 {
				t.Fatalf("claimed %d", len(msgs))
			}
			if err := o.Store.FailOutbox(ctx, msgs[0].ID, "test", lt.DeliveryResult{Answer: "HTTP 503"}, nil); err != nil {
				t.Fatal(err)
			}
			_, body, _ = b.get("/admin/settings/webhooks")
			mustContain(t, "notice", body, fmt.Sprintf(`id="webhook-disabled-%d"`, hook.ID), "HTTP 503", "Disabled after failures")
			_, body, _ = b.get(path)
			mustContain(t, "notice on the webhook", body, `id="webhook-disabled"`, "HTTP 503")

			// Rotate: a new secret, once.
			status, body, _ = b.post(path+"/rotate-secret", url.Values{})
			wantStatus(t, "rotate", status, http.StatusOK, body)
			m = webhookSecret.FindStringSubmatch(body)
			if m == nil || html.UnescapeString(m[1]) == secret {
				t.Fatalf("rotate: no new secret\n%s", body)
			}

			status, body, h = b.post(path+"/delete", url.Values{})
			wantStatus(t, "delete", status, http.StatusSeeOther, body)
			if _, err := o.Store.FindWebhookByID(ctx, hook.ID); lt.ErrorCode(err) != lt.ENOTFOUND {
				t.Fatalf("deleted webhook: %v", err)
			}
			events := strings.Join(o.auditTypes(), "\n")
			for _, e := range []string{lt.EventWebhookCreated, lt.EventWebhookUpdated, lt.EventWebhookRedelivered, lt.EventWebhookDisabled, lt.EventWebhookSecretRotated, lt.EventWebhookDeleted} {
				if !strings.Contains(events, e) {
					t.Errorf("audit lacks %s: %s", e, events)
				}
			}
			if strings.Contains(events, secret) {
				t.Error("the audit trail holds the secret")
			}
		})
	}
}
