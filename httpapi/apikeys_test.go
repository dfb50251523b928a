package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

type apiKeyAnswer struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Grants     []string `json:"grants"`
	CreatedAt  string   `json:"createdAt"`
	CreatedBy  string   `json:"createdBy"`
	LastUsedAt *string  `json:"lastUsedAt"`
	RevokedAt  *string  `json:"revokedAt"`
	Value      *string  `json:"value"`
}

func TestAPIKeysAreCreatedShownOnceListedAndRevoked(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		// The key that makes it holds every grant it hands out.
		ownerID, _, err := lt.ParseValue(lt.APIKeyPrefix, a.Keys["all"])
		if err != nil {
			t.Fatal(err)
		}
		var k apiKeyAnswer
		a.json("all", "POST", "/api/v1/api-keys",
			map[string]any{"name": " CRM sync ", "kind": "admin", "grants": []string{"users:viewer", "users:editor", "configuration:viewer"}}, 201, &k)
		if k.Value == nil || !strings.HasPrefix(*k.Value, "ltk_"+k.ID+"_") || k.Name != "CRM sync" || k.Kind != "admin" ||
			!slices.Equal(k.Grants, []string{"configuration:viewer", "users:editor"}) || k.CreatedBy != "apikey:"+ownerID ||
			k.CreatedAt == "" || k.LastUsedAt != nil || k.RevokedAt != nil {
			t.Fatalf("created %+v", k)
		}
		value := *k.Value
		a.Keys["crm"] = value
		a.json("crm", "GET", "/api/v1/contacts", nil, 200, nil)
		a.problem("crm", "POST", "/api/v1/login-tokens", map[string]any{}, 403, lt.EFORBIDDEN)

		var shop apiKeyAnswer
		a.json("configuration:owner", "POST", "/api/v1/api-keys", map[string]any{"name": "shop 2", "kind": "webshop"}, 201, &shop)
		if shop.Kind != "webshop" || shop.Grants == nil || len(shop.Grants) != 0 {
			t.Fatalf("webshop key %+v", shop)
		}

		status, body := a.do("configuration:owner", "GET", "/api/v1/api-keys", nil)
		if status != 200 || strings.Contains(string(body), value) || strings.Contains(string(body), `"value"`) {
			t.Fatalf("list: %d %s", status, body)
		}
		var l struct{ Items []apiKeyAnswer }
		a.json("configuration:owner", "GET", "/api/v1/api-keys", nil, 200, &l)
		var listed *apiKeyAnswer
		for i := range l.Items {
			if l.Items[i].ID == k.ID {
				listed = &l.Items[i]
			}
		}
		// The role keys and the two new ones; the CRM key was used once.
		if len(l.Items) != len(a.Keys)+1 || listed == nil || listed.Name != "CRM sync" || listed.LastUsedAt == nil ||
			!slices.Equal(listed.Grants, k.Grants) || listed.CreatedBy != k.CreatedBy {
			t.Fatalf("list %+v", l.Items)
		}

		// The CRM key holds users:editor: only a key that holds it too may
		// revoke it.
		if status, _ := a.do("all", "DELETE", "/api/v1/api-keys/"+k.ID, nil); status != 204 {
			t.Fatalf("revoke: %d", status)
		}
		a.problem("crm", "GET", "/api/v1/contacts", nil, 401, lt.EUNAUTHENTICATED)
		a.json("configuration:owner", "GET", "/api/v1/api-keys", nil, 200, &l)
		for _, it := range l.Items {
			if it.ID == k.ID && it.RevokedAt == nil {
				t.Fatalf("revoked key listed without revokedAt: %+v", it)
			}
		}
		a.problem("all", "DELETE", "/api/v1/api-keys/"+k.ID, nil, 404, lt.ENOTFOUND)
		a.problem("configuration:owner", "DELETE", "/api/v1/api-keys/aaaaaaaaaaaaaaaa", nil, 404, lt.ENOTFOUND)
		a.problem("configuration:owner", "DELETE", "/api/v1/api-keys/NOT-AN-ID", nil, 400, lt.EINVALID)
		p := a.problem("configuration:owner", "DELETE", "/api/v1/api-keys/"+value, nil, 400, lt.EINVALID)
		if strings.Contains(p.Detail, value) {
			t.Fatalf("the refusal echoes the key: %s", p.Detail)
		}
	})
}

func TestCreatingAnAPIKeyNamesTheBadFields(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		for _, c := range []struct {
			body   map[string]any
			fields []string
		}{
			{map[string]any{"kind": "admin", "grants": []string{"users:viewer"}}, []string{"name"}},
			{map[string]any{"name": "x", "kind": "root", "grants": []string{"users:viewer"}}, []string{"kind"}},
			{map[string]any{"name": "x", "kind": "admin", "grants": []string{"users:god"}}, []string{"grants"}},
			{map[string]any{"name": "x", "kind": "admin"}, []string{"grants"}},
			{map[string]any{"name": "x", "kind": "webshop", "grants": []string{"users:viewer"}}, []string{"grants"}},
			{map[string]any{"name": "x", "kind": "webshop", "value": "ltk_a_b", "scopes": []string{}}, []string{"value", "scopes"}},
		} {
			p := a.problem("configuration:owner", "POST", "/api/v1/api-keys", c.body, 400, lt.EINVALID)
			wantFields(t, p.Errors, c.fields...)
		}
		a.problem("configuration:editor", "POST", "/api/v1/api-keys", map[string]any{"name": "x", "kind": "webshop"}, 403, lt.EFORBIDDEN)
	})
}

func TestAPIKeyChangesAreAudited(t *testing.T) {
	a := newAPI(t, "sqlite", 0)
	var k struct{ ID string }
	a.json("configuration:owner", "POST", "/api/v1/api-keys", map[string]any{"name": "erp", "kind": "webshop"}, 201, &k)
	if status, _ := a.do("configuration:owner", "DELETE", "/api/v1/api-keys/"+k.ID, nil); status != 204 {
		t.Fatalf("revoke: %d", status)
	}
	rows, err := a.Store.DB().Query(`SELECT type, actor, details FROM audit_events WHERE type LIKE 'apikey.%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var typ, actor, details string
		rows.Scan(&typ, &actor, &details)
		if !strings.HasPrefix(actor, "apikey:") || !strings.Contains(details, k.ID) {
			t.Errorf("event %s by %s: %s", typ, actor, details)
		}
		got = append(got, typ)
	}
	if strings.Join(got, ",") != "apikey.created,apikey.revoked" {
		t.Fatalf("events %v", got)
	}
}

// A caller may hand out only grants it holds itself: a configuration:owner
// key cannot mint a users:owner key. Webshop keys carry no grants, so any
// configuration:owner may make one.
func TestAnAPIKeyHandsOutOnlyGrantsItHolds(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		for role, grants := range map[string]lt.Grants{
			"cfg owner, users editor": {lt.AreaConfiguration: lt.LevelOwner, lt.AreaUsers: lt.LevelEditor},
		} {
			_, value, err := a.Store.CreateAPIKey(ctx, lt.NewAPIKey{Name: role, Kind: lt.KeyAdmin, Grants: grants})
			if err != nil {
				t.Fatal(err)
			}
			a.Keys[role] = value
		}
		for _, tc := range []struct {
			caller string
			kind   string
			grants []string
			refuse string // the grants named in the 403; "" = created
		}{
			{"configuration:owner", "admin", []string{"users:owner"}, "users:owner"},
			{"configuration:owner", "admin", []string{"users:viewer"}, "users:viewer"},
			{"configuration:owner", "admin", []string{"configuration:owner", "users:editor"}, "users:editor"},
			{"configuration:owner", "admin", []string{"configuration:owner"}, ""},
			{"configuration:owner", "admin", []string{"configuration:viewer"}, ""},
			{"configuration:owner", "webshop", nil, ""},
			{"cfg owner, users editor", "admin", []string{"users:owner"}, "users:owner"},
			{"cfg owner, users editor", "admin", []string{"users:owner", "configuration:owner"}, "users:owner"},
			{"cfg owner, users editor", "admin", []string{"users:editor", "configuration:owner"}, ""},
			{"cfg owner, users editor", "admin", []string{"users:viewer"}, ""},
			{"all", "admin", []string{"users:owner", "configuration:owner"}, ""},
		} {
			name := fmt.Sprintf("%s makes %s %v", tc.caller, tc.kind, tc.grants)
			body := map[string]any{"name": name, "kind": tc.kind}
			if tc.grants != nil {
				body["grants"] = tc.grants
			}
			before := a.keyCount()
			if tc.refuse == "" {
				var k apiKeyAnswer
				a.json(tc.caller, "POST", "/api/v1/api-keys", body, 201, &k)
				if want, _ := lt.ParseGrants(tc.grants); !slices.Equal(k.Grants, want.Strings()) {
					t.Errorf("%s: grants %v", name, k.Grants)
				}
				continue
			}
			p := a.problem(tc.caller, "POST", "/api/v1/api-keys", body, 403, lt.EFORBIDDEN)
			if !strings.Contains(p.Detail, "cannot hand out "+tc.refuse+":") {
				t.Errorf("%s: detail %q does not name %s", name, p.Detail, tc.refuse)
			}
			if n := a.keyCount(); n != before {
				t.Errorf("%s: a refused request made a key", name)
			}
		}
	})
}

func (a *testAPI) keyCount() int {
	a.t.Helper()
	keys, err := a.Store.FindAPIKeys(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	return len(keys)
}

// A key may revoke only a key whose grants it holds all of: a
// configuration:owner key cannot cut off a users:owner key. Callers x
// targets; a refused revoke is a 403 naming the grants above the caller's,
// and the target keeps working.
func TestAnAPIKeyRevokesOnlyKeysWhoseGrantsItHolds(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		callers := map[string]lt.Grants{
			"configuration:owner":     {lt.AreaConfiguration: lt.LevelOwner},
			"cfg owner, users editor": {lt.AreaConfiguration: lt.LevelOwner, lt.AreaUsers: lt.LevelEditor},
			"all":                     lt.AllGrants(),
		}
		targets := map[string]lt.NewAPIKey{
			"webshop":                 {Kind: lt.KeyWebshop},
			"configuration:viewer":    {Kind: lt.KeyAdmin, Grants: lt.Grants{lt.AreaConfiguration: lt.LevelViewer}},
			"configuration:owner":     {Kind: lt.KeyAdmin, Grants: lt.Grants{lt.AreaConfiguration: lt.LevelOwner}},
			"users:viewer":            {Kind: lt.KeyAdmin, Grants: lt.Grants{lt.AreaUsers: lt.LevelViewer}},
			"users:owner":             {Kind: lt.KeyAdmin, Grants: lt.Grants{lt.AreaUsers: lt.LevelOwner}},
			"cfg owner, users editor": {Kind: lt.KeyAdmin, Grants: lt.Grants{lt.AreaConfiguration: lt.LevelOwner, lt.AreaUsers: lt.LevelEditor}},
			"all":                     {Kind: lt.KeyAdmin, Grants: lt.AllGrants()},
		}
		for caller, mine := range callers {
			if _, ok := a.Keys[caller]; !ok {
				_, value, err := a.Store.CreateAPIKey(ctx, lt.NewAPIKey{Name: caller, Kind: lt.KeyAdmin, Grants: mine})
				if err != nil {
					t.Fatal(err)
				}
				a.Keys[caller] = value
			}
			for target, n := range targets {
				n.Name = caller + " revokes " + target
				k, value, err := a.Store.CreateAPIKey(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				path := "/api/v1/api-keys/" + k.ID
				beyond := mine.Beyond(n.Grants)
				if len(beyond) == 0 {
					if status, body := a.do(caller, "DELETE", path, nil); status != 204 {
						t.Errorf("%s: %d %s, want 204", n.Name, status, body)
					}
					if _, err := a.Store.AuthenticateAPIKey(ctx, value); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
						t.Errorf("%s: the key still works: %v", n.Name, err)
					}
					continue
				}
				p := a.problem(caller, "DELETE", path, nil, 403, lt.EFORBIDDEN)
				if !strings.Contains(p.Detail, beyond.String()+", above your own grants") {
					t.Errorf("%s: detail %q does not name %s", n.Name, p.Detail, beyond)
				}
				if _, err := a.Store.AuthenticateAPIKey(ctx, value); err != nil {
					t.Errorf("%s: refused, yet the key no longer works: %v", n.Name, err)
				}
			}
		}
	})
}
