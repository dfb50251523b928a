package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
)

func TestStaffListShowsEveryStaffMember(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		mustRun(t, db.env, "", "staff", "create", "--email", "ops@example.test", "--grant", "configuration:owner")
		mustRun(t, db.env, "a long enough password\n", "staff", "create", "--email", "jane@example.test", "--name", "Jane", "--grant", "users:viewer")
		r := mustRun(t, db.env, "", "staff", "list")
		for _, want := range []string{"ops@example.test", "configuration:owner", "must change password", "jane@example.test", "Jane", "users:viewer"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("staff list does not show %q:\n%s", want, r.stdout)
			}
		}
		items, _ := decodeJSON(t, mustRun(t, db.env, "", "staff", "list", "--json").stdout)["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("--json: %d items, want 2", len(items))
		}
		first, _ := items[0].(map[string]any)
		if first["email"] == nil || first["grants"] == nil || first["password"] != nil {
			t.Errorf("--json item %v, want email and grants and no password", first)
		}
	})
}

func TestStaffResetPasswordPrintsAOneTimePassword(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		const old = "the old long password"
		mustRun(t, db.env, old+"\n", "staff", "create", "--email", "jane@example.test", "--grant", "users:viewer")
		r := mustRun(t, db.env, "", "staff", "reset-password", "--email", "Jane@Example.test")
		lines := stdoutLines(r)
		if len(lines) != 1 || len(lines[0]) < lt.MinPasswordLen || strings.Contains(r.stderr, lines[0]) {
			t.Fatalf("stdout = %q, want the new password alone, and not on stderr", r.stdout)
		}
		s := db.open(t)
		ctx := context.Background()
		if _, err := s.AuthenticateStaff(ctx, "jane@example.test", old); err == nil {
			t.Error("the old password still signs in")
		}
		st, err := s.AuthenticateStaff(ctx, "jane@example.test", lines[0])
		if err != nil {
			t.Fatalf("the new password does not sign in: %v", err)
		}
		if !st.MustChangePassword {
			t.Error("the new password need not be changed at the next sign-in")
		}
		wantExit(t, runCLI(t, db.env, "", "staff", "reset-password", "--email", "nobody@example.test"), 2, "--email", "nobody@example.test")
		wantExit(t, runCLI(t, db.env, "", "staff", "reset-password"), 2, "--email")
	})
}

func TestAPIKeyListShowsKeysWithoutSecrets(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		shop := stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "Shop", "--webshop"))[0]
		erp := stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "ERP import", "--grant", "users:editor"))[0]
		shopID, erpID := strings.Split(shop, "_")[1], strings.Split(erp, "_")[1]
		mustRun(t, db.env, "", "apikey", "revoke", shopID)

		r := mustRun(t, db.env, "", "apikey", "list")
		for _, want := range []string{erpID, "ERP import", "admin", "users:editor", "LAST USED"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("apikey list does not show %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, shopID) {
			t.Errorf("apikey list shows the revoked key:\n%s", r.stdout)
		}
		all := mustRun(t, db.env, "", "apikey", "list", "--all", "--json")
		for _, secret := range []string{shop, erp, strings.Split(shop, "_")[2], strings.Split(erp, "_")[2]} {
			if strings.Contains(r.stdout+all.stdout, secret) {
				t.Fatal("apikey list prints a secret")
			}
		}
		items, _ := decodeJSON(t, all.stdout)["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("--all --json: %d items, want 2", len(items))
		}
		for _, it := range items {
			m := it.(map[string]any)
			if m["id"] == shopID && (m["kind"] != "webshop" || m["revokedAt"] == nil) {
				t.Errorf("revoked webshop key: %v", m)
			}
			if m["id"] == erpID && (m["kind"] != "admin" || m["name"] != "ERP import" || m["createdAt"] == nil) {
				t.Errorf("admin key: %v", m)
			}
			if _, ok := m["lastUsedAt"]; !ok {
				t.Errorf("key %v has no lastUsedAt", m)
			}
		}
	})
}

func TestUserFindGivesTheIDsTokenCreateTakes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		mustRun(t, db.env, "", "migrate") // the program makes the database and its key
		s := db.open(t)
		ctx := context.Background()
		co := &lt.Company{Name: "Zephyr Works"}
		if err := s.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		contact := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Quentin", LastName: "Blake", Email: "quentin@zephyr.test"}}
		if err := s.CreateContact(ctx, contact); err != nil {
			t.Fatal(err)
		}
		customer := &lt.Customer{Person: lt.Person{FirstName: "Quentin", LastName: "Marsh", Email: "qm@example.test"}}
		if err := s.CreateCustomer(ctx, customer); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, db.env, "", "user", "find", "quentin")
		for _, want := range []string{"--contact " + strconv.FormatInt(contact.ID, 10), "--customer " + strconv.FormatInt(customer.ID, 10),
			"quentin@zephyr.test", "Zephyr Works", "qm@example.test"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("user find does not show %q:\n%s", want, r.stdout)
			}
		}
		items, _ := decodeJSON(t, mustRun(t, db.env, "", "user", "find", "quentin@zephyr.test", "--json").stdout)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != float64(contact.ID) || items[0].(map[string]any)["type"] != "contact" {
			t.Fatalf("--json by e-mail: %v, want the contact alone", items)
		}
		mustRun(t, db.env, "", "token", "create", "--contact", strconv.FormatInt(contact.ID, 10))
		if r := mustRun(t, db.env, "", "user", "find", "nobody-like-this"); r.stdout != "" || !strings.Contains(r.stderr, "no contact or customer") {
			t.Errorf("no match: stdout %q, stderr %q", r.stdout, r.stderr)
		}
		wantExit(t, runCLI(t, db.env, "", "user", "find"), 2, "QUERY")
	})
}

func TestTokenShowGivesTheTokenAndItsActivity(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		value := stdoutLines(mustRun(t, db.env, "", "token", "create", "--expires", "7d", "--extra", "for the fair"))[0]
		id, _, err := lt.ParseValue(lt.TokenPrefix, value)
		if err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, db.env, "", "token", "show", id)
		for _, want := range []string{id, "active", "anonymous", "for the fair", lt.EventTokenCreated} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("token show does not show %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, value) {
			t.Error("token show prints the token's value")
		}
		m := decodeJSON(t, mustRun(t, db.env, "", "token", "show", "--json", value).stdout)
		events, _ := m["events"].([]any)
		if m["id"] != id || len(events) != 1 || events[0].(map[string]any)["type"] != lt.EventTokenCreated || m["eventsTotal"] != float64(1) {
			t.Errorf("--json: %v, want the token with its creation event", m)
		}
		wantExit(t, runCLI(t, db.env, "", "token", "show", "nosuchtoken0"), 2, `no login token with id "nosuchtoken0"`)
		wantExit(t, runCLI(t, db.env, "", "token", "show"), 2, "ID")
	})
}
