package backoffice_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// auditTypes lists the types of the audit events not about a token, oldest
// first, with their details.
func (o *testOffice) auditTypes() []string {
	o.t.Helper()
	rows, err := o.Store.DB().QueryContext(ctx, `SELECT type, details FROM audit_events WHERE token_id IS NULL AND type NOT LIKE 'staff.sign%' ORDER BY id`)
	if err != nil {
		o.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, details string
		if err := rows.Scan(&typ, &details); err != nil {
			o.t.Fatal(err)
		}
		out = append(out, typ+" "+details)
	}
	return out
}

var keyValue = regexp.MustCompile(`id="api-key-value" value="([^"]+)"`)

func TestAPIKeysCreateShowsTheKeyOnceAndRevokeWorks(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			// The owner holds every grant the key is given.
			owner := o.staff("owner@shop.test", "configuration:owner", "users:editor")
			b := o.browser()
			b.signIn("owner@shop.test")

			status, body, _ := b.get("/admin/settings/api-keys")
			wantStatus(t, "list", status, 200, body)
			mustContain(t, "list", body, `id="new-api-key"`, "No API keys yet", `aria-current="page">API keys`)
			status, body, _ = b.get("/admin/settings/api-keys/new")
			wantStatus(t, "form", status, 200, body)
			for _, id := range []string{"api-key-name", "grant-configuration-viewer", "grant-users-owner"} {
				mustContain(t, "form", body, `for="`+id+`"`, `id="`+id+`"`)
			}
			mustContain(t, "form", body, `id="api-key-kind-admin" checked`, `<legend>Grants</legend>`)

			// An admin key without grants, and no name: both said at once.
			status, body, _ = b.post("/admin/settings/api-keys", url.Values{"kind": {"admin"}})
			wantStatus(t, "invalid", status, http.StatusBadRequest, body)
			mustContain(t, "invalid", body, `id="api-key-name-error">Name is required.`, `id="api-key-grants-error">An admin key needs at least one grant.`)
			status, body, _ = b.post("/admin/settings/api-keys", url.Values{"name": {"Shop"}, "kind": {"webshop"}, "grants": {"users:viewer"}})
			wantStatus(t, "webshop with grants", status, http.StatusBadRequest, body)
			mustContain(t, "webshop with grants", body, "A webshop key may only redeem tokens and takes no grants.", `id="api-key-kind-webshop" checked`,
				`id="grant-users-viewer" data-grant-area="users" data-grant-level="1" checked`)

			status, body, _ = b.post("/admin/settings/api-keys", url.Values{"name": {"ERP sync"}, "kind": {"admin"},
				"grants": {"users:viewer", "users:editor", "configuration:viewer"}})
			wantStatus(t, "create", status, http.StatusCreated, body)
			m := keyValue.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no key on the page\n%s", body)
			}
			value := html.UnescapeString(m[1])
			mustContain(t, "create", body, `data-copy-from="api-key-value"`, "shown only this once", "configuration:viewer, users:editor")
			key, err := o.Store.AuthenticateAPIKey(ctx, value)
			if err != nil || key.Name != "ERP sync" || key.Kind != lt.KeyAdmin || !key.Grants.Allows(lt.AreaUsers, lt.LevelEditor) ||
				key.Grants.Allows(lt.AreaUsers, lt.LevelOwner) || key.CreatedBy != owner.Actor() {
				t.Fatalf("the key: %+v %v", key, err)
			}

			// The list never shows the value again.
			_, body, _ = b.get("/admin/settings/api-keys")
			mustContain(t, "list", body, "ERP sync", key.ID, "owner@shop.test", `id="revoke-`+key.ID+`"`)
			mustNotContain(t, "list", body, value)

			status, body, h := b.post("/admin/settings/api-keys/"+key.ID+"/revoke", url.Values{})
			wantStatus(t, "revoke", status, http.StatusSeeOther, body)
			if h.Get("Location") != "/admin/settings/api-keys?done=revoked" {
				t.Fatalf("revoke went to %s", h.Get("Location"))
			}
			if _, err := o.Store.AuthenticateAPIKey(ctx, value); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
				t.Fatalf("a revoked key still works: %v", err)
			}
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "after revoke", body, "stops working at once", `<span class="badge disabled">Revoked</span>`)
			mustNotContain(t, "after revoke", body, `id="revoke-`+key.ID+`"`)
			if status, _, _ := b.post("/admin/settings/api-keys/"+key.ID+"/revoke", url.Values{}); status != http.StatusNotFound {
				t.Fatalf("revoke twice: %d", status)
			}

			events := o.auditTypes()
			if len(events) != 2 || !strings.HasPrefix(events[0], lt.EventAPIKeyCreated) || !strings.Contains(events[0], key.ID) ||
				!strings.HasPrefix(events[1], lt.EventAPIKeyRevoked) || strings.Contains(strings.Join(events, " "), value) {
				t.Fatalf("audit: %q", events)
			}
		})
	}
}

var staffPassword = regexp.MustCompile(`id="staff-password" value="([^"]+)"`)

func TestStaffCreateEditDisableAndResetPassword(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			// I hold every grant I give Ann below.
			me := o.staff("owner@shop.test", "configuration:owner", "users:owner")
			b := o.browser()
			b.signIn("owner@shop.test")

			status, body, _ := b.get("/admin/settings/staff")
			wantStatus(t, "list", status, 200, body)
			mustContain(t, "list", body, `id="new-staff"`, "owner@shop.test", "(you)", "configuration:owner, users:owner")
			mustNotContain(t, "list", body, fmt.Sprintf(`/admin/settings/staff/%d/disable`, me.ID))

			status, body, _ = b.post("/admin/settings/staff", url.Values{"email": {"nope"}})
			wantStatus(t, "invalid", status, http.StatusBadRequest, body)
			mustContain(t, "invalid", body, `id="staff-email-error">Email is not an email address.`)

			status, body, _ = b.post("/admin/settings/staff", url.Values{"email": {"Ann@Shop.test"}, "name": {"Ann"}, "grants": {"configuration:viewer", "configuration:editor"}})
			wantStatus(t, "create", status, http.StatusCreated, body)
			m := staffPassword.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no password on the page\n%s", body)
			}
			password := html.UnescapeString(m[1])
			mustContain(t, "create", body, "shown only this once", "first sign-in", `data-copy-from="staff-password"`)
			ann, err := o.Store.AuthenticateStaff(ctx, "ann@shop.test", password)
			if err != nil || !ann.MustChangePassword || ann.Name != "Ann" || !ann.Grants.Allows(lt.AreaConfiguration, lt.LevelEditor) || ann.Grants.Allows(lt.AreaUsers, lt.LevelViewer) {
				t.Fatalf("the new staff member: %+v %v", ann, err)
			}
			status, body, _ = b.post("/admin/settings/staff", url.Values{"email": {"ann@shop.test"}})
			wantStatus(t, "same email", status, http.StatusConflict, body)
			mustContain(t, "same email", body, "A staff member with this email exists.")

			// Ann signs in; then her grants change and her account is disabled.
			ab := o.browser()
			ab.get("/admin/login")
			if status, _, h := ab.post("/admin/login", url.Values{"email": {"ann@shop.test"}, "password": {password}}); status != http.StatusSeeOther || h.Get("Location") != "/admin/password" {
				t.Fatalf("ann signs in: %d %s", status, h.Get("Location"))
			}

			annPage := fmt.Sprintf("/admin/settings/staff/%d", ann.ID)
			_, body, _ = b.get(annPage)
			mustContain(t, "edit page", body, `id="staff-email" value="ann@shop.test" readonly`, `id="grant-configuration-editor" data-grant-area="configuration" data-grant-level="2" checked`,
				`id="staff-disable"`, `id="staff-reset-password"`, "Must change password")
			status, body, h := b.post(annPage, url.Values{"name": {"Ann Smith"}, "grants": {"users:owner"}})
			wantStatus(t, "edit", status, http.StatusSeeOther, body)
			if h.Get("Location") != annPage+"?done=saved" {
				t.Fatalf("edit went to %s", h.Get("Location"))
			}
			ann, _ = o.Store.FindStaffByID(ctx, ann.ID)
			if ann.Name != "Ann Smith" || ann.Grants.Allows(lt.AreaConfiguration, lt.LevelViewer) || !ann.Grants.Allows(lt.AreaUsers, lt.LevelOwner) {
				t.Fatalf("after edit: %+v", ann)
			}

			status, body, h = b.post(annPage+"/disable", url.Values{"next": {"/admin/settings/staff"}})
			wantStatus(t, "disable", status, http.StatusSeeOther, body)
			if h.Get("Location") != "/admin/settings/staff?done=disabled" {
				t.Fatalf("disable went to %s", h.Get("Location"))
			}
			if _, err := o.Store.AuthenticateStaff(ctx, "ann@shop.test", password); err == nil {
				t.Fatal("a disabled staff member signs in")
			}
			if status, _, _ := ab.get("/admin/password"); status != http.StatusSeeOther {
				t.Fatalf("a disabled staff member's session still works: %d", status)
			}
			_, body, _ = b.get(h.Get("Location"))
			mustContain(t, "disabled", body, "cannot sign in", `<span class="badge disabled">Disabled</span>`)
			b.post(annPage+"/enable", url.Values{})
			if _, err := o.Store.AuthenticateStaff(ctx, "ann@shop.test", password); err != nil {
				t.Fatalf("enabled again: %v", err)
			}

			// A reset gives a new generated password, shown once.
			status, body, _ = b.post(annPage+"/password", url.Values{})
			wantStatus(t, "reset", status, http.StatusOK, body)
			m = staffPassword.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no new password\n%s", body)
			}
			if _, err := o.Store.AuthenticateStaff(ctx, "ann@shop.test", password); err == nil {
				t.Fatal("the old password still works")
			}
			if st, err := o.Store.AuthenticateStaff(ctx, "ann@shop.test", html.UnescapeString(m[1])); err != nil || !st.MustChangePassword {
				t.Fatalf("the new password: %+v %v", st, err)
			}

			// Owners cannot lock themselves out.
			mePage := fmt.Sprintf("/admin/settings/staff/%d", me.ID)
			_, body, _ = b.get(mePage)
			mustNotContain(t, "own page", body, `id="staff-disable"`, `id="staff-reset-password"`)
			if status, body, _ := b.post(mePage+"/disable", url.Values{}); status != http.StatusBadRequest || !strings.Contains(body, "cannot disable your own account") {
				t.Fatalf("disable yourself: %d\n%s", status, body)
			}
			status, body, _ = b.post(mePage, url.Values{"name": {"Me"}, "grants": {"configuration:editor"}})
			wantStatus(t, "drop own owner grant", status, http.StatusBadRequest, body)
			mustContain(t, "drop own owner grant", body, "You cannot take away your own configuration:owner grant")
			if st, _ := o.Store.FindStaffByID(ctx, me.ID); st.Disabled || !st.Grants.Allows(lt.AreaConfiguration, lt.LevelOwner) {
				t.Fatalf("the owner locked themselves out: %+v", st)
			}

			events := strings.Join(o.auditTypes(), "\n")
			for _, want := range []string{lt.EventStaffCreated, `"grants":["users:owner"]`, `"disabled":true`, `"disabled":false`, `"password":"reset"`} {
				if !strings.Contains(events, want) {
					t.Fatalf("audit has no %s:\n%s", want, events)
				}
			}
			if strings.Contains(events, password) {
				t.Fatal("a password in the audit trail")
			}
		})
	}
}

func TestSettingsNeedConfigurationOwner(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			other := o.staff("other@shop.test", "users:viewer")
			key, _, err := o.Store.CreateAPIKey(ctx, lt.NewAPIKey{Name: "Shop", Kind: lt.KeyWebshop})
			if err != nil {
				t.Fatal(err)
			}
			for _, grants := range [][]string{{"configuration:viewer"}, {"configuration:editor", "users:owner"}} {
				email := strings.ReplaceAll(strings.Join(grants, "."), ":", "-") + "@shop.test"
				o.staff(email, grants...)
				b := o.browser()
				b.signIn(email)
				b.get("/admin/password") // a page with the CSRF token
				for _, path := range []string{"/admin/settings/api-keys", "/admin/settings/api-keys/new", "/admin/settings/staff",
					"/admin/settings/staff/new", fmt.Sprintf("/admin/settings/staff/%d", other.ID)} {
					status, body, _ := b.get(path)
					wantStatus(t, strings.Join(grants, ",")+" GET "+path, status, http.StatusForbidden, body)
					mustContain(t, path, body, "configuration:owner")
				}
				for _, path := range []string{"/admin/settings/api-keys", "/admin/settings/api-keys/" + key.ID + "/revoke", "/admin/settings/staff",
					fmt.Sprintf("/admin/settings/staff/%d", other.ID), fmt.Sprintf("/admin/settings/staff/%d/disable", other.ID),
					fmt.Sprintf("/admin/settings/staff/%d/password", other.ID)} {
					status, body, _ := b.post(path, url.Values{"name": {"x"}, "kind": {"webshop"}, "email": {"x@shop.test"}, "grants": {"configuration:owner"}})
					wantStatus(t, strings.Join(grants, ",")+" POST "+path, status, http.StatusForbidden, body)
				}
				// Of the settings, the navigation offers them Shops alone,
				// which configuration viewers read.
				_, body, _ := b.get("/admin/password")
				mustNotContain(t, "navigation", body, "/admin/settings/api-keys", "/admin/settings/staff")
				mustContain(t, "navigation", body, `href="/admin/settings/shops"`)
			}
			if keys, _ := o.Store.FindAPIKeys(ctx); len(keys) != 1 || keys[0].RevokedAt != nil {
				t.Fatalf("keys changed: %+v", keys)
			}
			if st, _ := o.Store.FindStaffByID(ctx, other.ID); st.Disabled || st.MustChangePassword {
				t.Fatalf("staff changed: %+v", st)
			}

			// An owner's POST without the CSRF token is refused too.
			o.staff("owner@shop.test", "configuration:owner")
			b := o.browser()
			b.signIn("owner@shop.test")
			b.get("/admin/settings/staff")
			for _, path := range []string{"/admin/settings/api-keys", "/admin/settings/api-keys/" + key.ID + "/revoke", fmt.Sprintf("/admin/settings/staff/%d/disable", other.ID)} {
				if status, body, _ := b.post(path, url.Values{"csrf": {"forged"}, "name": {"x"}, "kind": {"webshop"}}); status != http.StatusForbidden {
					t.Fatalf("POST %s with a forged CSRF token: %d\n%s", path, status, body)
				}
			}
			if keys, _ := o.Store.FindAPIKeys(ctx); len(keys) != 1 || keys[0].RevokedAt != nil {
				t.Fatalf("keys changed: %+v", keys)
			}
		})
	}
}

// An owner of configuration hands out only grants it holds itself (each
// area at most at its own level), to an API key or a staff member, and
// cannot change, disable, enable or reset the password of a staff member
// who holds a grant above its own. The refusal is a 403 naming the grant,
// next to the grants on the form; equal or lower grants are accepted.
func TestOwnersHandOutOnlyGrantsTheyHold(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			me := o.staff("cfg@shop.test", "configuration:owner")
			boss := o.staff("boss@shop.test", "configuration:owner", "users:owner")
			peer := o.staff("peer@shop.test", "configuration:editor")
			b := o.browser()
			b.signIn("cfg@shop.test")
			b.get("/admin/settings/api-keys/new")

			// API keys.
			for _, tc := range []struct {
				kind   string
				grants []string
				refuse string
			}{
				{"admin", []string{"users:owner"}, "users:owner"},
				{"admin", []string{"configuration:owner", "users:viewer"}, "users:viewer"},
				{"admin", []string{"configuration:owner"}, ""},
				{"admin", []string{"configuration:viewer"}, ""},
				{"webshop", nil, ""},
			} {
				what := fmt.Sprintf("API key %s %v", tc.kind, tc.grants)
				keys, _ := o.Store.FindAPIKeys(ctx)
				status, body, _ := b.post("/admin/settings/api-keys", url.Values{"name": {what}, "kind": {tc.kind}, "grants": tc.grants})
				after, _ := o.Store.FindAPIKeys(ctx)
				if tc.refuse == "" {
					wantStatus(t, what, status, http.StatusCreated, body)
					continue
				}
				wantStatus(t, what, status, http.StatusForbidden, body)
				mustContain(t, what, body, `id="api-key-grants-error">You cannot hand out `+tc.refuse+`: you may only give grants you hold yourself`)
				if len(after) != len(keys) {
					t.Fatalf("%s: refused, yet a key was made", what)
				}
			}

			// New staff.
			for _, tc := range []struct {
				grants []string
				refuse string
			}{
				{[]string{"users:editor"}, "users:editor"},
				{[]string{"configuration:owner", "users:viewer"}, "users:viewer"},
				{[]string{"configuration:owner"}, ""},
				{[]string{"configuration:editor"}, ""},
			} {
				email := strings.ReplaceAll(strings.Join(tc.grants, "."), ":", "-") + "@shop.test"
				status, body, _ := b.post("/admin/settings/staff", url.Values{"email": {email}, "grants": tc.grants})
				exists := false
				all, _ := o.Store.FindStaff(ctx)
				for _, st := range all {
					exists = exists || st.Email == email
				}
				if tc.refuse == "" {
					wantStatus(t, "staff "+email, status, http.StatusCreated, body)
					continue
				}
				wantStatus(t, "staff "+email, status, http.StatusForbidden, body)
				mustContain(t, "staff "+email, body, `id="staff-grants-error">You cannot hand out `+tc.refuse+":")
				if exists {
					t.Fatalf("staff %s: refused, yet made", email)
				}
			}

			// A staff member's grants: raised above mine is refused, equal is fine;
			// my own cannot go above mine either.
			peerPage, bossPage, mePage := fmt.Sprintf("/admin/settings/staff/%d", peer.ID), fmt.Sprintf("/admin/settings/staff/%d", boss.ID), fmt.Sprintf("/admin/settings/staff/%d", me.ID)
			status, body, _ := b.post(peerPage, url.Values{"name": {"Peer"}, "grants": {"configuration:editor", "users:viewer"}})
			wantStatus(t, "give peer users:viewer", status, http.StatusForbidden, body)
			mustContain(t, "give peer users:viewer", body, `id="staff-grants-error">You cannot hand out users:viewer:`)
			status, body, _ = b.post(mePage, url.Values{"name": {"Me"}, "grants": {"configuration:owner", "users:owner"}})
			wantStatus(t, "give myself users:owner", status, http.StatusForbidden, body)
			mustContain(t, "give myself users:owner", body, "You cannot hand out users:owner:")
			status, body, _ = b.post(peerPage, url.Values{"name": {"Peer"}, "grants": {"configuration:owner"}})
			wantStatus(t, "make peer an owner", status, http.StatusSeeOther, body)
			if st, _ := o.Store.FindStaffByID(ctx, peer.ID); !st.Grants.Allows(lt.AreaConfiguration, lt.LevelOwner) || st.Grants.Allows(lt.AreaUsers, lt.LevelViewer) {
				t.Fatalf("peer: %v", st.Grants.Strings())
			}
			if st, _ := o.Store.FindStaffByID(ctx, me.ID); st.Grants.Allows(lt.AreaUsers, lt.LevelViewer) {
				t.Fatalf("I raised my own grants: %v", st.Grants.Strings())
			}

			// A staff member above me: the page says so and offers nothing;
			// every change is refused, whatever the form asks.
			_, body, _ = b.get(bossPage)
			mustContain(t, "boss page", body, `id="staff-locked"`, "users:owner")
			mustNotContain(t, "boss page", body, `id="staff-save"`, `id="staff-disable"`, `id="staff-reset-password"`)
			for path, form := range map[string]url.Values{
				bossPage:               {"name": {"Boss"}, "grants": {"configuration:viewer"}},
				bossPage + "/disable":  {},
				bossPage + "/password": {},
			} {
				status, body, _ := b.post(path, form)
				wantStatus(t, "POST "+path, status, http.StatusForbidden, body)
				mustContain(t, "POST "+path, body, "users:owner, above your own grants")
			}
			disabled := true
			if _, err := o.Store.UpdateStaff(ctx, boss.ID, lt.StaffUpdate{Disabled: &disabled}); err != nil {
				t.Fatal(err)
			}
			status, body, _ = b.post(bossPage+"/enable", url.Values{})
			wantStatus(t, "enable boss", status, http.StatusForbidden, body)
			if st, err := o.Store.FindStaffByID(ctx, boss.ID); err != nil || !st.Disabled || st.Name != boss.Name || st.MustChangePassword ||
				!st.Grants.Allows(lt.AreaUsers, lt.LevelOwner) {
				t.Fatalf("boss changed: %+v %v", st, err)
			}
			enabled := false
			o.Store.UpdateStaff(ctx, boss.ID, lt.StaffUpdate{Disabled: &enabled})
			if _, err := o.Store.AuthenticateStaff(ctx, "boss@shop.test", testPassword); err != nil {
				t.Fatalf("boss's password changed: %v", err)
			}

			// The boss holds every grant and may hand out any.
			bb := o.browser()
			bb.signIn("boss@shop.test")
			bb.get("/admin/settings/api-keys/new")
			status, body, _ = bb.post("/admin/settings/api-keys", url.Values{"name": {"all"}, "kind": {"admin"}, "grants": {"configuration:owner", "users:owner"}})
			wantStatus(t, "boss makes a users:owner key", status, http.StatusCreated, body)
			status, body, _ = bb.post(peerPage, url.Values{"name": {"Peer"}, "grants": {"configuration:owner", "users:owner"}})
			wantStatus(t, "boss gives peer users:owner", status, http.StatusSeeOther, body)
			// Now the peer is above me too.
			status, body, _ = b.post(peerPage+"/disable", url.Values{})
			wantStatus(t, "disable the raised peer", status, http.StatusForbidden, body)
		})
	}
}

// An owner acts only on staff members and API keys whose grants they hold
// all of: roles x targets x actions (save, disable, enable, reset the
// password of a staff member; revoke a key). A refused action is a 403
// naming the grants above the caller's and changes nothing; the key list
// offers no revoke button for a key above the viewer's grants.
func TestOwnersActOnlyOnStaffAndKeysWhoseGrantsTheyHold(t *testing.T) {
	roles := map[string][]string{
		"cfg":            {"configuration:owner"},
		"cfg-users-edit": {"configuration:owner", "users:editor"},
		"all":            {"configuration:owner", "users:owner"},
	}
	targets := map[string][]string{
		"cfg-viewer":     {"configuration:viewer"},
		"cfg-owner":      {"configuration:owner"},
		"users-viewer":   {"users:viewer"},
		"users-owner":    {"users:owner"},
		"cfg-users-edit": {"configuration:owner", "users:editor"},
		"all":            {"configuration:owner", "users:owner"},
		"webshop":        nil, // a webshop key; no staff member
	}
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			o := newOffice(t, kind)
			for role, mine := range roles {
				o.staff(role+"@shop.test", mine...)
				b := o.browser()
				b.signIn(role + "@shop.test")
				b.get("/admin/settings/api-keys")
				myGrants, _ := lt.ParseGrants(mine)
				for target, theirs := range targets {
					what := role + " on " + target
					gs, _ := lt.ParseGrants(theirs)
					beyond := myGrants.Beyond(gs)
					allowed := len(beyond) == 0
					refusal := beyond.String() + ", above your own grants"

					// The API key.
					n := lt.NewAPIKey{Name: what, Kind: lt.KeyAdmin, Grants: gs}
					if theirs == nil {
						n.Kind = lt.KeyWebshop
					}
					key, value, err := o.Store.CreateAPIKey(ctx, n)
					if err != nil {
						t.Fatal(err)
					}
					_, list, _ := b.get("/admin/settings/api-keys")
					status, body, _ := b.post("/admin/settings/api-keys/"+key.ID+"/revoke", url.Values{})
					_, authErr := o.Store.AuthenticateAPIKey(ctx, value)
					if allowed {
						mustContain(t, what+": key list", list, `id="revoke-`+key.ID+`"`)
						wantStatus(t, what+": revoke", status, http.StatusSeeOther, body)
						if lt.ErrorCode(authErr) != lt.EUNAUTHENTICATED {
							t.Errorf("%s: revoked, yet the key works: %v", what, authErr)
						}
					} else {
						mustContain(t, what+": key list", list, `id="revoke-locked-`+key.ID+`"`)
						mustNotContain(t, what+": key list", list, `id="revoke-`+key.ID+`"`)
						wantStatus(t, what+": revoke", status, http.StatusForbidden, body)
						mustContain(t, what+": revoke", body, refusal)
						if authErr != nil {
							t.Errorf("%s: refused, yet the key no longer works: %v", what, authErr)
						}
					}
					if theirs == nil {
						continue
					}

					// The staff member.
					st := o.staff(role+"-on-"+target+"@shop.test", theirs...)
					page := fmt.Sprintf("/admin/settings/staff/%d", st.ID)
					b.get(page)
					disabled := true
					actions := []struct {
						name, path string
						form       url.Values
						ok         int
						before     func()
					}{
						{"save", page, url.Values{"name": {"Renamed"}, "grants": theirs}, http.StatusSeeOther, nil},
						{"disable", page + "/disable", url.Values{}, http.StatusSeeOther, nil},
						{"enable", page + "/enable", url.Values{}, http.StatusSeeOther, func() {
							o.Store.UpdateStaff(ctx, st.ID, lt.StaffUpdate{Disabled: &disabled})
						}},
						{"reset password", page + "/password", url.Values{}, http.StatusOK, nil},
					}
					for _, a := range actions {
						if a.before != nil {
							a.before()
						}
						before, _ := o.Store.FindStaffByID(ctx, st.ID)
						status, body, _ := b.post(a.path, a.form)
						after, _ := o.Store.FindStaffByID(ctx, st.ID)
						if allowed {
							wantStatus(t, what+": "+a.name, status, a.ok, body)
							continue
						}
						wantStatus(t, what+": "+a.name, status, http.StatusForbidden, body)
						mustContain(t, what+": "+a.name, body, refusal)
						if after.Name != before.Name || after.Disabled != before.Disabled || after.MustChangePassword != before.MustChangePassword ||
							!slices.Equal(after.Grants.Strings(), before.Grants.Strings()) {
							t.Errorf("%s: %s refused, yet changed %+v to %+v", what, a.name, before, after)
						}
					}
					if !allowed {
						// Enabled again (the enable was refused), the old password works.
						enabled := false
						o.Store.UpdateStaff(ctx, st.ID, lt.StaffUpdate{Disabled: &enabled})
						if _, err := o.Store.AuthenticateStaff(ctx, st.Email, testPassword); err != nil {
							t.Errorf("%s: refused, yet the password changed: %v", what, err)
						}
					}
				}
			}
		})
	}
}
