package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

var (
	tokenValueRE = regexp.MustCompile(`^lt_[a-z0-9]{12,26}_[A-Za-z0-9]{16,}$`)
	apiKeyRE     = regexp.MustCompile(`^ltk_[a-z0-9]{12,26}_[A-Za-z0-9]{16,}$`)
)

func TestStaffCreateWithEmptyStdinPrintsGeneratedPasswordAlone(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		r := mustRun(t, db.env, "", "staff", "create", "--email", "Ops@Example.test", "--grant", "configuration:editor")
		lines := stdoutLines(r)
		if len(lines) != 1 || len(lines[0]) < lt.MinPasswordLen || strings.ContainsAny(lines[0], " \t") {
			t.Fatalf("stdout = %q, want the generated password alone on one line", r.stdout)
		}
		st, err := db.open(t).AuthenticateStaff(context.Background(), "ops@example.test", lines[0])
		if err != nil {
			t.Fatalf("sign in with the printed password: %v", err)
		}
		if !st.MustChangePassword {
			t.Error("a generated password must be changed at the first sign-in")
		}
		if !st.Grants.Allows(lt.AreaConfiguration, lt.LevelEditor) || st.Grants.Allows(lt.AreaUsers, lt.LevelViewer) {
			t.Errorf("grants = %v, want configuration:editor only", st.Grants.Strings())
		}
		if strings.Contains(r.stderr, lines[0]) {
			t.Error("the password is repeated on stderr")
		}
	})
}

func TestStaffCreateWithPasswordOnStdinPrintsNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		const password = "correct horse battery staple"
		r := mustRun(t, db.env, password+"\n", "staff", "create", "--email", "jane@example.test", "--name", "Jane",
			"--grant", "users:owner", "--grant", "configuration:viewer")
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing when the password was supplied", r.stdout)
		}
		if strings.Contains(r.stderr, password) {
			t.Error("the password is echoed on stderr")
		}
		st, err := db.open(t).AuthenticateStaff(context.Background(), "jane@example.test", password)
		if err != nil {
			t.Fatalf("sign in with the supplied password: %v", err)
		}
		if st.MustChangePassword || st.Name != "Jane" {
			t.Errorf("staff = %+v, want name Jane and no forced change", st)
		}
	})
}

func TestStaffCreateJSON(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		gen := decodeJSON(t, mustRun(t, db.env, "", "staff", "create", "--json", "--email", "a@example.test", "--grant", "users:viewer").stdout)
		if gen["email"] != "a@example.test" || gen["mustChangePassword"] != true || gen["password"] == nil {
			t.Errorf("generated: %v, want email, mustChangePassword true and the password", gen)
		}
		if g, _ := gen["grants"].([]any); len(g) != 1 || g[0] != "users:viewer" {
			t.Errorf("grants = %v, want [users:viewer]", gen["grants"])
		}
		given := decodeJSON(t, mustRun(t, db.env, "a long enough password\n", "staff", "create", "--json", "--email", "b@example.test", "--grant", "users:viewer").stdout)
		if _, ok := given["password"]; ok {
			t.Errorf("supplied: %v holds the password", given)
		}
		if id, _ := given["id"].(float64); id <= 0 {
			t.Errorf("id = %v, want a positive id", given["id"])
		}
	})
}

func TestStaffCreateRefusesBadInput(t *testing.T) {
	db := newSQLiteDB(t)
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"missing email", "", []string{"--grant", "users:viewer"}, []string{"--email"}},
		{"missing grant", "", []string{"--email", "a@example.test"}, []string{"--grant"}},
		{"bad grant", "", []string{"--email", "a@example.test", "--grant", "users:god"}, []string{"--grant", "viewer, editor or owner"}},
		{"bad email", "", []string{"--email", "not-an-email", "--grant", "users:viewer"}, []string{"--email"}},
		{"short password", "short\n", []string{"--email", "a@example.test", "--grant", "users:viewer"}, []string{"password", "12"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantExit(t, runCLI(t, db.env, tc.stdin, append([]string{"staff", "create"}, tc.args...)...), 2, tc.want...)
		})
	}
}

func TestAPIKeyCreatePrintsTheKeyAlone(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		r := mustRun(t, db.env, "", "apikey", "create", "--name", "Shop", "--webshop")
		lines := stdoutLines(r)
		if len(lines) != 1 || !apiKeyRE.MatchString(lines[0]) {
			t.Fatalf("stdout = %q, want the key alone", r.stdout)
		}
		s := db.open(t)
		k, err := s.AuthenticateAPIKey(context.Background(), lines[0])
		if err != nil {
			t.Fatalf("the printed key does not authenticate: %v", err)
		}
		if k.Kind != lt.KeyWebshop || k.Name != "Shop" || k.CreatedBy != "cli" {
			t.Errorf("key = %+v, want a webshop key named Shop created by cli", k)
		}

		admin := decodeJSON(t, mustRun(t, db.env, "", "apikey", "create", "--name", "ERP", "--grant", "users:editor", "--json").stdout)
		value, _ := admin["value"].(string)
		if !apiKeyRE.MatchString(value) || admin["kind"] != "admin" || admin["id"] == nil {
			t.Fatalf("--json = %v, want an admin key with id and value", admin)
		}
		k, err = s.AuthenticateAPIKey(context.Background(), value)
		if err != nil || !k.Grants.Allows(lt.AreaUsers, lt.LevelEditor) {
			t.Errorf("admin key: %v, grants %v; want users:editor", err, k)
		}
	})
}

func TestAPIKeyCreateNeedsWebshopOrGrantButNotBoth(t *testing.T) {
	db := newSQLiteDB(t)
	wantExit(t, runCLI(t, db.env, "", "apikey", "create", "--name", "x", "--webshop", "--grant", "users:viewer"), 2, "--webshop", "--grant")
	wantExit(t, runCLI(t, db.env, "", "apikey", "create", "--name", "x"), 2, "--webshop", "--grant")
	wantExit(t, runCLI(t, db.env, "", "apikey", "create", "--webshop"), 2, "--name")
}

func TestAPIKeyRevoke(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		value := stdoutLines(mustRun(t, db.env, "", "apikey", "create", "--name", "Shop", "--webshop"))[0]
		id, _, err := lt.ParseValue(lt.APIKeyPrefix, value)
		if err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, db.env, "", "apikey", "revoke", id)
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing", r.stdout)
		}
		if _, err := db.open(t).AuthenticateAPIKey(context.Background(), value); lt.ErrorCode(err) != lt.EUNAUTHENTICATED {
			t.Errorf("revoked key authenticates: %v", err)
		}
		wantExit(t, runCLI(t, db.env, "", "apikey", "revoke", id), 2, id)
		wantExit(t, runCLI(t, db.env, "", "apikey", "revoke", "nosuchkey00000"), 2, "nosuchkey00000")
	})
}

func TestAPIKeyRevokeNeedsOneID(t *testing.T) {
	db := newSQLiteDB(t)
	wantExit(t, runCLI(t, db.env, "", "apikey", "revoke"), 2, "ID")
	wantExit(t, runCLI(t, db.env, "", "apikey", "revoke", "a", "b"), 2, `"b"`)
}

func TestTokenCreatePrintsValueThenLoginURL(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		r := mustRun(t, db.env, "", "token", "create")
		lines := stdoutLines(r)
		if len(lines) != 2 || !tokenValueRE.MatchString(lines[0]) {
			t.Fatalf("stdout = %q, want the value and the login URL", r.stdout)
		}
		if want := "http://localhost:8080/login?token=" + lines[0]; lines[1] != want {
			t.Errorf("line 2 = %q, want %q", lines[1], want)
		}
		tok, err := db.open(t).LookupToken(context.Background(), lines[0])
		if err != nil {
			t.Fatalf("the printed value is no token: %v", err)
		}
		if tok.Type != lt.UserAnonymous || tok.ExpiresAt != nil || tok.OneTimeUse || tok.CreatedBy != "cli" {
			t.Errorf("token = %+v, want anonymous, never expiring, reusable, created by cli", tok)
		}
	})
}

func TestTokenCreateJSONHasNoOCIURLWhilePunchoutIsOff(t *testing.T) {
	db := newSQLiteDB(t)
	m := decodeJSON(t, mustRun(t, db.env, "", "token", "create", "--json").stdout)
	if v, ok := m["ociUrl"]; !ok || v != nil {
		t.Fatalf("ociUrl = %v (present %v), want null without LOGINTOKENS_OCI_HOOK_ALLOW", v, ok)
	}
}

func TestTokenCreateJSONForAContact(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := context.Background()
		s := db.open(t)
		co := &lt.Company{Name: "Acme"}
		if err := s.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		jane := &lt.Contact{CompanyID: co.ID, Person: lt.Person{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.test"}}
		if err := s.CreateContact(ctx, jane); err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		r := mustRun(t, db.withEnv("LOGINTOKENS_PUBLIC_URL", "https://login.example.test/", "LOGINTOKENS_OCI_HOOK_ALLOW", "https://srm.acme.test/hook"), "",
			"token", "create", "--json", "--contact", strconv.FormatInt(jane.ID, 10), "--expires", "7d",
			"--one-time", "--extra", "OCI for Acme", "--extra", "second line")
		m := decodeJSON(t, r.stdout)
		value, _ := m["value"].(string)
		if !tokenValueRE.MatchString(value) {
			t.Fatalf("value = %q", m["value"])
		}
		if m["loginUrl"] != "https://login.example.test/login?token="+value || m["ociUrl"] != "https://login.example.test/oci/login?token="+value {
			t.Errorf("loginUrl = %v, ociUrl = %v", m["loginUrl"], m["ociUrl"])
		}
		if m["type"] != "contact" || m["oneTimeUse"] != true || m["status"] != "active" || m["createdBy"] != "cli" {
			t.Errorf("resource = %v", m)
		}
		user, _ := m["user"].(map[string]any)
		if user["id"] != float64(jane.ID) || user["name"] != "Jane Doe" {
			t.Errorf("user = %v, want Jane Doe", user)
		}
		if extra, _ := m["extra"].([]any); len(extra) != 2 || extra[0] != "OCI for Acme" {
			t.Errorf("extra = %v", m["extra"])
		}
		exp, err := time.Parse(time.RFC3339, m["expiresAt"].(string))
		if err != nil || exp.Before(before.Add(7*24*time.Hour-time.Second)) || exp.After(time.Now().Add(7*24*time.Hour)) {
			t.Errorf("expiresAt = %v, want 7 days from now", m["expiresAt"])
		}
		id, _ := m["id"].(string)
		if !strings.HasPrefix(value, "lt_"+id+"_") {
			t.Errorf("id %q is not the id of value %q", id, value)
		}
	})
}

func TestTokenCreateRefusesBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		cases := []struct {
			name string
			args []string
			want []string
		}{
			{"expires in words", []string{"--expires", "tomorrow"}, []string{"--expires", "tomorrow", "24h", "7d", "RFC 3339", "2026-12-31T23:00:00Z"}},
			{"expires in the past", []string{"--expires", "2001-01-01T00:00:00Z"}, []string{"--expires", "future"}},
			{"zero duration", []string{"--expires", "0s"}, []string{"--expires"}},
			{"unknown contact", []string{"--contact", "999999"}, []string{"--contact", "999999"}},
			{"unknown customer", []string{"--customer", "999999"}, []string{"--customer", "999999"}},
			{"contact not a number", []string{"--contact", "jane"}, []string{"--contact", "jane"}},
			{"contact and customer", []string{"--contact", "1", "--customer", "2"}, []string{"--contact", "--customer"}},
			{"unknown flag", []string{"--colour", "red"}, []string{"--colour"}},
			{"flag without value", []string{"--expires"}, []string{"--expires"}},
			{"stray argument", []string{"now"}, []string{`"now"`}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantExit(t, runCLI(t, db.env, "", append([]string{"token", "create"}, tc.args...)...), 2, tc.want...)
			})
		}
	})
}

func TestFlagWinsOverEnvironment(t *testing.T) {
	envDB, flagDB := newSQLiteDB(t), newSQLiteDB(t)
	env := envDB.withEnv("LOGINTOKENS_PUBLIC_URL", "https://env.example.test")

	r := mustRun(t, env, "", "token", "create")
	if got := stdoutLines(r)[1]; !strings.HasPrefix(got, "https://env.example.test/login?token=") {
		t.Errorf("with the variable only: %q", got)
	}
	r = mustRun(t, env, "", "token", "create", "--public-url", "https://flag.example.test", "--database-url", flagDB.url)
	if got := stdoutLines(r)[1]; !strings.HasPrefix(got, "https://flag.example.test/login?token=") {
		t.Errorf("with flag and variable: %q, want the flag's URL", got)
	}
	ctx := context.Background()
	if _, err := flagDB.open(t).LookupToken(ctx, stdoutLines(r)[0]); err != nil {
		t.Errorf("the token is not in the --database-url database: %v", err)
	}
	if _, err := envDB.open(t).LookupToken(ctx, stdoutLines(r)[0]); lt.ErrorCode(err) != lt.ENOTFOUND {
		t.Errorf("the token went to the LOGINTOKENS_DATABASE_URL database: %v", err)
	}
	// The port of --addr makes the default public URL.
	r = mustRun(t, envDB.env, "", "token", "create", "--addr", "127.0.0.1:9999")
	if got := stdoutLines(r)[1]; !strings.HasPrefix(got, "http://localhost:9999/login?token=") {
		t.Errorf("with --addr: %q", got)
	}
}

func TestBadConfigurationNamesTheFlagOrVariable(t *testing.T) {
	db := newSQLiteDB(t)
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"integer from env", []string{"LOGINTOKENS_REDEEM_FAILURES_PER_MINUTE", "lots"}, nil, []string{"LOGINTOKENS_REDEEM_FAILURES_PER_MINUTE", "lots"}},
		{"integer from flag", nil, []string{"--redeem-failures-per-minute", "0"}, []string{"--redeem-failures-per-minute"}},
		{"boolean", []string{"LOGINTOKENS_LINK_AUTOSUBMIT", "yes please"}, nil, []string{"LOGINTOKENS_LINK_AUTOSUBMIT", "true or false"}},
		{"boolean flag", nil, []string{"--link-autosubmit=maybe"}, []string{"--link-autosubmit"}},
		{"public URL", nil, []string{"--public-url", "login.example.test"}, []string{"--public-url", "http"}},
		{"callback URL", []string{"LOGINTOKENS_SHOP_CALLBACK_URL", "ftp://shop"}, nil, []string{"LOGINTOKENS_SHOP_CALLBACK_URL"}},
		{"hook allow list", nil, []string{"--oci-hook-allow", "https://srm.example.test/,nope"}, []string{"--oci-hook-allow", "nope"}},
		{"proxies", []string{"LOGINTOKENS_TRUSTED_PROXIES", "10.0.0.0/8,proxy"}, nil, []string{"LOGINTOKENS_TRUSTED_PROXIES", "proxy"}},
		{"log format", nil, []string{"--log-format", "xml"}, []string{"--log-format", "json"}},
		{"addr", nil, []string{"--addr", "8080"}, []string{"--addr", "host:port"}},
		{"database URL", nil, []string{"--database-url", "mysql://db"}, []string{"--database-url", "sqlite:", "postgres://"}},
		{"secret key", []string{"LOGINTOKENS_SECRET_KEY", "c2hvcnQ="}, nil, []string{"LOGINTOKENS_SECRET_KEY", "32", "openssl rand -base64 32"}},
		{"admin password", nil, []string{"--admin-password", "short"}, []string{"--admin-password", "12"}},
		{"IPv4 prefix", []string{"LOGINTOKENS_RATE_LIMIT_IPV4_PREFIX", "33"}, nil, []string{"LOGINTOKENS_RATE_LIMIT_IPV4_PREFIX", "33", "16 to 32"}},
		{"IPv4 prefix flag", nil, []string{"--rate-limit-ipv4-prefix", "8"}, []string{"--rate-limit-ipv4-prefix", "16 to 32"}},
		{"IPv6 prefix", []string{"LOGINTOKENS_RATE_LIMIT_IPV6_PREFIX", "sixty-four"}, nil, []string{"LOGINTOKENS_RATE_LIMIT_IPV6_PREFIX", "32 to 128"}},
		{"IPv6 prefix flag", nil, []string{"--rate-limit-ipv6-prefix", "129"}, []string{"--rate-limit-ipv6-prefix", "32 to 128"}},
		{"database timeout", []string{"LOGINTOKENS_DB_TIMEOUT", "5"}, nil, []string{"LOGINTOKENS_DB_TIMEOUT", "100ms to 1m"}},
		{"database timeout flag", nil, []string{"--db-timeout", "10m"}, []string{"--db-timeout", "100ms to 1m"}},
		{"connection cap", []string{"LOGINTOKENS_MAX_CONNECTIONS", "0"}, nil, []string{"LOGINTOKENS_MAX_CONNECTIONS", "1 to 1000000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// serve reads every setting, and checks them all before it
			// opens anything.
			r := runCLI(t, db.withEnv(tc.env...), "", append([]string{"serve"}, tc.args...)...)
			wantExit(t, r, 2, tc.want...)
			if strings.Contains(r.stderr, "c2hvcnQ=") {
				t.Error("a secret key is repeated in the message")
			}
		})
	}
}

func TestPostgresWithoutSecretKeyIsRefused(t *testing.T) {
	db := newPostgresDB(t)
	env := map[string]string{"LOGINTOKENS_DATABASE_URL": db.url}
	for _, args := range [][]string{{"token", "create"}, {"serve", "--addr", "127.0.0.1:0"}} {
		r := runCLI(t, env, "", args...)
		wantExit(t, r, 2, "LOGINTOKENS_SECRET_KEY", "--secret-key", "PostgreSQL", "openssl rand -base64 32")
	}
}

func TestSQLiteKeyFileIsCreatedPrivateAndReused(t *testing.T) {
	db := newSQLiteDB(t)
	keyPath := filepath.Join(db.dir, keyFileName)
	first := mustRun(t, db.env, "", "token", "create")
	if !strings.Contains(first.stderr, keyPath) {
		t.Errorf("stderr does not say where the new key is: %q", first.stderr)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("no key file beside the database: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	keyBefore, _ := os.ReadFile(keyPath)
	if _, err := lt.ParseKey(string(keyBefore)); err != nil {
		t.Fatalf("key file: %v", err)
	}

	second := mustRun(t, db.env, "", "token", "create")
	if strings.Contains(second.stderr, "created the server key") {
		t.Error("the second run made a new key")
	}
	keyAfter, _ := os.ReadFile(keyPath)
	if string(keyAfter) != string(keyBefore) {
		t.Fatal("the key file changed on the second run")
	}
	// Both values decrypt with the one key: reveal works for either.
	s := db.open(t)
	for _, r := range []result{first, second} {
		value := stdoutLines(r)[0]
		id, _, _ := lt.ParseValue(lt.TokenPrefix, value)
		got, err := s.RevealToken(context.Background(), cliActor, id, "")
		if err != nil || got != value {
			t.Errorf("reveal %s = %q, %v; want the printed value", id, got, err)
		}
	}
}

func TestSQLiteKeyFileOpenToOthersIsRefused(t *testing.T) {
	db := newSQLiteDB(t)
	mustRun(t, db.env, "", "token", "create")
	keyPath := filepath.Join(db.dir, keyFileName)
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, runCLI(t, db.env, "", "token", "create"), 1, keyPath, "chmod 600")
}

func TestMigrate(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		r := mustRun(t, db.env, "", "migrate")
		if r.stdout != "" {
			t.Errorf("stdout = %q", r.stdout)
		}
		if n, err := db.open(t).CountStaff(context.Background()); err != nil || n != 0 {
			t.Errorf("after migrate: %d staff, %v", n, err)
		}
	})
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "help"}, {"help", "-h"}} {
		r := runCLI(t, nil, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "token create") || r.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, nil, "", "token", "create", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "--expires") || !strings.Contains(r.stdout, "LOGINTOKENS_DATABASE_URL") {
		t.Errorf("token create -h: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := runCLI(t, nil, ""); r.code != 2 || !strings.Contains(r.stderr, "Usage") {
		t.Errorf("no command: exit %d, stderr %q", r.code, r.stderr)
	}
	wantExit(t, runCLI(t, nil, "", "frobnicate"), 2, `"frobnicate"`)
	wantExit(t, runCLI(t, nil, "", "token", "burn"), 2, `"token burn"`, "create")
	wantExit(t, runCLI(t, nil, "", "apikey"), 2, "create", "revoke")
}
