package backoffice_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

func TestTokenDialogChartsSignInsPerUTCDayWithATable(t *testing.T) {
	o := newOffice(t, "sqlite")
	o.staff("viewer@example.com", "configuration:viewer")
	tok, err := o.Store.CreateToken(ctx, lt.Actor{Name: "cli"}, lt.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{tok.Value, tok.Value, tok.Value, "lt_" + tok.ID + "_" + strings.Repeat("A", 43)} {
		if _, err := o.Store.Redeem(ctx, lt.RedeemRequest{Value: v, ClientIP: "198.51.100.7", Actor: "apikey:test"}); err != nil {
			t.Fatal(err)
		}
	}
	b := o.browser()
	b.signIn("viewer@example.com")
	status, body, _ := b.get("/admin/login-tokens/" + tok.ID)
	today := time.Now().UTC().Format(time.DateOnly)
	for _, want := range []string{
		`id="token-attempts-chart"`, "in UTC days", "3 successful, 1 failed",
		`<tr><th scope="row">` + today + `</th><td>3</td><td>1</td></tr>`,
		`<title>` + today + `: 3 successful, 1 failed</title>`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("dialog %d lacks %q", status, want)
		}
	}
}

func TestAuditSettingsExportAndRetentionNameBadFields(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			o.staff("viewer@example.com", "configuration:viewer")
			o.staff("owner@example.com", "configuration:owner")
			tok, err := o.Store.CreateToken(ctx, lt.Actor{Name: "=cmd|' /C calc'!A0"}, lt.NewToken{})
			if err != nil {
				t.Fatal(err)
			}
			viewer := o.browser()
			viewer.signIn("viewer@example.com")
			today := time.Now().UTC().Format(time.DateOnly)
			status, body, h := viewer.get("/admin/settings/audit/export?from=" + today + "&to=" + today + "&format=csv")
			if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
				!strings.Contains(body, tok.ID) || !strings.Contains(body, `'=cmd|' /C calc'!A0`) {
				t.Fatalf("export %d %v: %s", status, h, body)
			}
			status, body, _ = viewer.get("/admin/settings/audit/export?from=" + today + "&to=2000-01-01")
			if status != 400 || !strings.Contains(body, `id="audit-to-error"`) {
				t.Fatalf("a range backwards: %d, want 400 naming To: %s", status, body)
			}
			if status, body, _ = viewer.get("/admin/settings/audit"); status != 200 || strings.Contains(body, "audit-retention-form") {
				t.Fatalf("a viewer sees %d and the retention form", status)
			}
			if status, _, _ = viewer.post("/admin/settings/audit", url.Values{"auditRetentionDays": {"30"}}); status != 403 {
				t.Fatalf("a viewer sets the retention: %d, want 403", status)
			}

			owner := o.browser()
			owner.signIn("owner@example.com")
			owner.get("/admin/settings/audit")
			status, body, _ = owner.post("/admin/settings/audit", url.Values{"auditRetentionDays": {"forty"}})
			if status != 400 || !strings.Contains(body, `id="audit-retention-error"`) {
				t.Fatalf("a bad retention: %d, want 400 naming the field", status)
			}
			if status, _, _ = owner.post("/admin/settings/audit", url.Values{"auditRetentionDays": {"30"}}); status != 200 {
				t.Fatalf("save: %d", status)
			}
			if days, err := o.Store.AuditRetention(ctx); err != nil || days != 30 {
				t.Fatalf("retention %d, %v; want 30", days, err)
			}
		})
	}
}
