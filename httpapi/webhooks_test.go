package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

type webhookAnswer struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Enabled        bool     `json:"enabled"`
	DisabledReason *string  `json:"disabledReason"`
	Secret         *string  `json:"secret"`
}

// Owners create, change, rotate and delete webhooks; the signing secret
// is answered when it is made and never again.
func TestWebhooksAreCreatedWithASecretShownOnce(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		var wh webhookAnswer
		a.json("configuration:owner", "POST", "/api/v1/webhooks", map[string]any{"url": "https://crm.example.com/hooks",
			"events": []string{"token.redeemed", "token.created"}}, 201, &wh)
		if wh.ID == 0 || wh.Secret == nil || !strings.HasPrefix(*wh.Secret, "whsec_") || !wh.Enabled ||
			strings.Join(wh.Events, ",") != "token.created,token.redeemed" {
			t.Fatalf("created %+v", wh)
		}
		secret := *wh.Secret
		a.problem("configuration:editor", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"token.created"}}, 403, lt.EFORBIDDEN)
		path := fmt.Sprintf("/api/v1/webhooks/%d", wh.ID)
		for _, p := range []string{"/api/v1/webhooks", path} {
			status, body := a.do("configuration:owner", "GET", p, nil)
			if status != 200 || strings.Contains(string(body), secret) || strings.Contains(string(body), `"secret"`) {
				t.Fatalf("GET %s: %d %s", p, status, body)
			}
		}
		var got webhookAnswer
		a.json("configuration:owner", "PATCH", path, map[string]any{"enabled": false, "events": []string{"directory.created"}}, 200, &got)
		if got.Enabled || strings.Join(got.Events, ",") != "directory.created" {
			t.Fatalf("patched %+v", got)
		}
		var rotated webhookAnswer
		a.json("configuration:owner", "POST", path+"/rotate-secret", nil, 200, &rotated)
		if rotated.Secret == nil || *rotated.Secret == secret {
			t.Fatalf("rotated %+v", rotated)
		}
		var log struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
		}
		a.json("configuration:owner", "GET", path+"/deliveries", nil, 200, &log)
		if len(log.Items) != 0 {
			t.Fatalf("deliveries of a new webhook: %+v", log)
		}
		a.problem("configuration:owner", "POST", path+"/deliveries/999/redeliver", nil, 409, lt.ECONFLICT) // disabled
		a.json("configuration:owner", "PATCH", path, map[string]any{"enabled": true}, 200, &got)
		a.problem("configuration:owner", "POST", path+"/deliveries/999/redeliver", nil, 404, lt.ENOTFOUND)
		a.json("configuration:owner", "DELETE", path, nil, 204, nil)
		a.problem("configuration:owner", "GET", path, nil, 404, lt.ENOTFOUND)
	})
}

// Bad input is a 400 that names the field.
func TestWebhookInputErrorsNameTheField(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"url": "http://crm.example.com/", "events": []string{"token.created"}}, "url"},
		{map[string]any{"url": "https://user:pw@crm.example.com/", "events": []string{"token.created"}}, "url"},
		{map[string]any{"url": "https://crm.example.com/", "events": []string{"token.nope"}}, "events"},
		{map[string]any{"url": "https://crm.example.com/", "events": []string{}}, "events"},
		{map[string]any{"url": "https://crm.example.com/"}, "events"},
		{map[string]any{"events": []string{"token.created"}}, "url"},
		{map[string]any{"url": "https://crm.example.com/", "events": []string{"token.created"}, "secret": "whsec_x"}, "secret"},
	} {
		p := a.problem("configuration:owner", "POST", "/api/v1/webhooks", tc.body, 400, lt.EINVALID)
		if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%v: errors %+v, want the field %s", tc.body, p.Errors, tc.field)
		}
	}
	var wh webhookAnswer
	a.json("configuration:owner", "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"token.created"}}, 201, &wh)
	p := a.problem("configuration:owner", "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), map[string]any{"enabled": "yes"}, 400, lt.EINVALID)
	if len(p.Errors) == 0 || p.Errors[0].Field != "enabled" {
		t.Errorf("PATCH enabled=yes: %+v", p.Errors)
	}
}
