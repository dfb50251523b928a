package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

func TestTokenAttemptsCountTodaysSignInsAndFailures(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken(map[string]any{})
		for _, v := range []string{tok.Value, tok.Value, "lt_" + tok.ID + "_" + strings.Repeat("A", 43)} {
			if _, err := a.Store.Redeem(ctx, lt.RedeemRequest{Value: v, ClientIP: "198.51.100.7", Actor: "apikey:test"}); err != nil {
				t.Fatal(err)
			}
		}
		var got struct{ Days []lt.AttemptDay }
		a.json("configuration:viewer", "GET", "/api/v1/login-tokens/"+tok.ID+"/attempts", nil, 200, &got)
		today := time.Now().UTC().Format(time.DateOnly)
		if len(got.Days) != lt.AttemptDays {
			t.Fatalf("%d days, want %d", len(got.Days), lt.AttemptDays)
		}
		if last := got.Days[len(got.Days)-1]; last != (lt.AttemptDay{Day: today, Successful: 2, Failed: 1}) {
			t.Fatalf("today %+v, want 2 successful and 1 failed on %s", last, today)
		}
		a.problem("users:owner", "GET", "/api/v1/login-tokens/"+tok.ID+"/attempts", nil, 403, lt.EFORBIDDEN)
	})
}

func TestExportTokenEventsAsCSVAndJSONLines(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		tok := a.createToken(map[string]any{})
		if err := a.Store.AuditTokenEvent(ctx, lt.Actor{Name: "=HYPERLINK(\"x\")"}, lt.EventMailSent, tok.ID, nil); err != nil {
			t.Fatal(err)
		}
		if err := a.Store.AuditEvent(ctx, lt.Actor{Name: "staff:1"}, lt.EventStaffSignedIn, nil); err != nil {
			t.Fatal(err)
		}
		today := time.Now().UTC().Format(time.DateOnly)
		resp := a.doResp("configuration:viewer", "GET", "/api/v1/login-tokens/events/export?from="+today+"&to="+today, nil, nil)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv: %d %v %s", resp.StatusCode, resp.Header, b)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0][0] != "Id" || rows[1][2] != lt.EventTokenCreated || rows[1][3] != tok.ID ||
			rows[2][2] != lt.EventMailSent || rows[2][4] != `'=HYPERLINK("x")` {
			t.Fatalf("csv rows %q: want the header, token.created and mail.sent with its actor escaped, and no staff event", rows)
		}

		resp = a.doResp("configuration:viewer", "GET", "/api/v1/login-tokens/events/export?format=jsonl&from="+today+"&to="+today, nil, nil)
		defer resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jsonl") {
			t.Fatalf("jsonl: %d %v", resp.StatusCode, resp.Header)
		}
		var types []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var e struct{ Type, TokenID string }
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.TokenID != tok.ID {
				t.Fatalf("line %s: %v", sc.Bytes(), err)
			}
			types = append(types, e.Type)
		}
		if strings.Join(types, " ") != lt.EventTokenCreated+" "+lt.EventMailSent {
			t.Fatalf("jsonl types %q", types)
		}
	})
}

func TestExportTokenEventsRefusesABadRangeNamingTheField(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		for q, field := range map[string]string{
			"to=2026-12-01":                          "from",
			"from=2026-12-01":                        "to",
			"from=yesterday&to=2026-12-01":           "from",
			"from=2026-12-02&to=2026-12-01":          "to",
			"from=2025-01-01&to=2026-12-01":          "to",
			"from=2026-12-01&to=2026-12-01&format=x": "format",
			"from=2026-12-01&to=2026-12-01&limit=1":  "limit",
		} {
			p := a.problem("configuration:viewer", "GET", "/api/v1/login-tokens/events/export?"+q, nil, 400, lt.EINVALID)
			wantFieldError(t, p, field)
		}
		a.problem("", "GET", "/api/v1/login-tokens/events/export?from=2026-12-01&to=2026-12-01", nil, 401, lt.EUNAUTHENTICATED)
		a.problem("users:owner", "GET", "/api/v1/login-tokens/events/export?from=2026-12-01&to=2026-12-01", nil, 403, lt.EFORBIDDEN)
	})
}

func TestAuditRetentionIsSetByOwnersWithinBounds(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var got struct{ AuditRetentionDays int }
		a.json("configuration:viewer", "GET", "/api/v1/settings/audit-retention", nil, 200, &got)
		if got.AuditRetentionDays != 0 {
			t.Fatalf("default %d, want 0 (forever)", got.AuditRetentionDays)
		}
		a.problem("configuration:editor", "PUT", "/api/v1/settings/audit-retention", map[string]any{"auditRetentionDays": 30}, 403, lt.EFORBIDDEN)
		for _, bad := range []any{-1, 36501, "thirty", 1.5} {
			p := a.problem("configuration:owner", "PUT", "/api/v1/settings/audit-retention", map[string]any{"auditRetentionDays": bad}, 400, lt.EINVALID)
			wantFieldError(t, p, "auditRetentionDays")
		}
		p := a.problem("configuration:owner", "PUT", "/api/v1/settings/audit-retention", map[string]any{"days": 3}, 400, lt.EINVALID)
		wantFieldError(t, p, "days")
		a.json("configuration:owner", "PUT", "/api/v1/settings/audit-retention", map[string]any{"auditRetentionDays": 30}, http.StatusOK, &got)
		a.json("configuration:viewer", "GET", "/api/v1/settings/audit-retention", nil, 200, &got)
		if got.AuditRetentionDays != 30 {
			t.Fatalf("retention %d, want 30", got.AuditRetentionDays)
		}
	})
}
