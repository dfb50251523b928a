package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"
)

var shopSecretRE = regexp.MustCompile(`^ltcs_[a-z0-9]{12,26}_[A-Za-z0-9]{32}$`)

// shop create prints the client secret alone on its first line (none for
// a public shop), or with --json one object; token create --shop binds a
// token to it.
func TestShopCreatePrintsTheClientSecretAlone(t *testing.T) {
	eachDB(t, func(t *testing.T, db *testDB) {
		r := mustRun(t, db.env, "", "shop", "create", "--name", "Acme Store", "--redirect-uri", "https://acme.test/cb",
			"--redirect-uri", "https://acme.test/cb2", "--initiate-login-uri", "https://acme.test/login",
			"--post-logout-redirect-uri", "https://acme.test/")
		lines := stdoutLines(r)
		if len(lines) != 1 || !shopSecretRE.MatchString(lines[0]) {
			t.Fatalf("stdout = %q, want the client secret alone", r.stdout)
		}
		s := db.open(t)
		shops, err := s.FindShops(context.Background())
		if err != nil || len(shops) != 1 {
			t.Fatalf("shops %v %v", shops, err)
		}
		sh := shops[0]
		if _, err := s.AuthenticateShop(context.Background(), sh.ClientID, lines[0]); err != nil {
			t.Fatalf("the printed secret does not authenticate: %v", err)
		}
		if len(sh.RedirectURIs) != 2 || *sh.InitiateLoginURI != "https://acme.test/login" || sh.PostLogoutRedirectURIs[0] != "https://acme.test/" {
			t.Errorf("shop %+v", sh)
		}

		pub := decodeJSON(t, mustRun(t, db.env, "", "shop", "create", "--name", "App", "--public",
			"--redirect-uri", "http://127.0.0.1:8400/cb", "--json").stdout)
		if _, has := pub["clientSecret"]; has || pub["id"] == nil || pub["name"] != "App" || pub["clientId"] == nil || pub["public"] != true {
			t.Fatalf("--json of a public shop = %v", pub)
		}
		conf := decodeJSON(t, mustRun(t, db.env, "", "shop", "create", "--name", "B", "--redirect-uri", "https://b.test/cb", "--json").stdout)
		if secret, _ := conf["clientSecret"].(string); !shopSecretRE.MatchString(secret) {
			t.Fatalf("--json of a confidential shop = %v", conf)
		}
		if uris, _ := conf["redirectUris"].([]any); len(uris) != 1 || uris[0] != "https://b.test/cb" {
			t.Fatalf("--json redirectUris = %v", conf["redirectUris"])
		}
		if r := mustRun(t, db.env, "", "shop", "create", "--name", "C", "--public", "--redirect-uri", "http://localhost:9/cb"); r.stdout != "" {
			t.Errorf("a public shop printed %q, want nothing on stdout", r.stdout)
		}

		tok := decodeJSON(t, mustRun(t, db.env, "", "token", "create", "--shop", strconv.FormatInt(sh.ID, 10), "--json").stdout)
		if id, _ := tok["shopId"].(float64); int64(id) != sh.ID {
			t.Fatalf("token shopId = %v, want %d", tok["shopId"], sh.ID)
		}
	})
}

func TestShopCreateRefusesBadInputNamingTheFlag(t *testing.T) {
	db := newSQLiteDB(t)
	wantExit(t, runCLI(t, db.env, "", "shop", "create", "--redirect-uri", "https://a.test/cb"), 2, "--name")
	wantExit(t, runCLI(t, db.env, "", "shop", "create", "--name", "A"), 2, "--redirect-uri")
	wantExit(t, runCLI(t, db.env, "", "shop", "create", "--name", "A", "--redirect-uri", "https://a.test/#x"), 2, "--redirect-uri")
	wantExit(t, runCLI(t, db.env, "", "shop", "create", "--name", "A", "--redirect-uri", "https://a.test/cb", "--initiate-login-uri", "nope"), 2, "--initiate-login-uri")
	wantExit(t, runCLI(t, db.env, "", "token", "create", "--shop", "x"), 2, "--shop")
	wantExit(t, runCLI(t, db.env, "", "token", "create", "--shop", "999"), 2, "--shop")
	if s, _ := db.open(t).FindShops(context.Background()); len(s) != 0 {
		t.Fatalf("refused input registered %v", s)
	}
}
