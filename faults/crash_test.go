package faults

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	lt "github.com/logintokens/logintokens"
)

// crashKills is how many times one run kills the server.
const crashKills = 5

// SIGKILL under redeem load, on SQLite, several times over one database
// file. After each kill: the file as the crash left it passes
// integrity_check; the restarted server counts at least the successes the
// clients saw and at most those plus the requests that got no answer; and
// every token, contact and company the API acknowledged, before the load or
// during it, is still there.
func TestCrashSQLiteSIGKILLUnderRedeemLoad(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lt.db")
	env := []string{"LOGINTOKENS_DATABASE_URL=sqlite:" + dbPath}
	srv := startService(t, env)
	webshop, admin := keys(t, env)

	// The records the crash must not lose.
	var co struct{ ID int64 }
	want(t, 201, &co, srv.LocalURL, admin, "POST", "/api/v1/companies", map[string]any{"name": "Crash Test GmbH"})
	acked := &ackedRecords{companies: []int64{co.ID}}
	for i := range 3 {
		acked.contacts = append(acked.contacts, createContact(t, srv.LocalURL, admin, co.ID, fmt.Sprintf("before%d", i)))
	}
	var loadToken issued // reusable, the one the load redeems
	want(t, 201, &loadToken, srv.LocalURL, admin, "POST", "/api/v1/login-tokens", map[string]any{"extra": []string{"crash load"}})
	acked.tokens = append(acked.tokens, loadToken.ID)
	for _, body := range []map[string]any{
		{"contactId": acked.contacts[0]},
		{"contactId": acked.contacts[1], "oneTimeUse": true},
		{"expiresAt": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)},
	} {
		var tok issued
		want(t, 201, &tok, srv.LocalURL, admin, "POST", "/api/v1/login-tokens", body)
		acked.tokens = append(acked.tokens, tok.ID)
	}
	// And one from the command line, straight into the database.
	cliValue := cli(t, env, "token", "create", "--extra", "made by the CLI")
	cliID, _, err := lt.ParseValue(lt.TokenPrefix, cliValue)
	if err != nil {
		t.Fatalf("token create printed %q, not a token value: %v", cliValue, err)
	}
	acked.tokens = append(acked.tokens, cliID)

	first := recordCounts{contacts: len(acked.contacts), tokens: len(acked.tokens)}
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("kill points drawn with seed %d", seed)
	for round := 1; round <= crashKills; round++ {
		before := getToken(t, srv.LocalURL, admin, loadToken.ID).SuccessfulAttempts
		l := startLoad(srv.LocalURL, webshop, loadToken.Value, nil)
		t.Cleanup(l.stop) // if the round fails before its own stop
		// Writes of other records while the load runs: each one the API
		// acknowledged must survive the kill.
		writes := acked.writeDuring(srv.LocalURL, admin, co.ID, round)
		t.Cleanup(writes.stop)

		// Kill at a random point past a few hundred successes: enough
		// commits that some kills land in a WAL checkpoint.
		target := int64(300 + rng.IntN(2000))
		waitFor(t, 30*time.Second, fmt.Sprintf("round %d: %d successes before the kill", round, target),
			func() bool { return l.ok[0].Load() >= target })
		// Requests sent from here on are sent after the kill: they may
		// reach a server not yet torn down, so they count toward the upper
		// bound, but they were not in flight at the kill.
		l.phase.Store(1)
		srv.Kill()
		l.stop()
		writes.stop()

		seen := l.ok[0].Load() + l.ok[1].Load()
		inFlight, late := l.noAnswer[0].Load(), l.noAnswer[1].Load()
		for _, u := range writes.unexpected {
			t.Errorf("round %d: a write under load answered %s, want 201", round, u)
		}
		if n := l.notOK(0) + l.notOK(1); n != 0 {
			t.Errorf("round %d: %d answers were not 200 under load, want none: %v", round, n, l.distinctBodies())
		}

		// The file as the crash left it, before anything opens it again.
		snapshot, wal := snapshotSQLite(t, dbPath, t.TempDir())
		checkSQLiteIntegrity(t, snapshot)
		counter, events := redeemedInDB(t, snapshot, loadToken.ID)
		if counter != events {
			t.Errorf("round %d: successful_attempts is %d but %d token.redeemed events were written: the counter and the audit trail disagree", round, counter, events)
		}

		restartStart := time.Now()
		srv = startService(t, env)
		restart := time.Since(restartStart)
		after := getToken(t, srv.LocalURL, admin, loadToken.ID)
		counted := after.SuccessfulAttempts - before
		t.Logf("round %d: sent %d, 200 answers %d, in flight at the kill %d; after it %d sent (%d without answer, %d refused); counted %d; acknowledged writes %d (%d in flight, %d refused); WAL file %d KiB; restart took %s",
			round, l.sent[0].Load(), seen, inFlight, l.sent[1].Load(), late, l.refused[1].Load(), counted, writes.acked, writes.inFlight, writes.refused, wal>>10, restart.Round(time.Millisecond))
		if counted < seen {
			t.Errorf("round %d: successfulAttempts grew by %d, fewer than the %d successes the clients saw: a committed redeem was lost", round, counted, seen)
		}
		if counted > seen+inFlight+late {
			t.Errorf("round %d: successfulAttempts grew by %d, more than the %d successes seen plus %d in flight (and %d sent after the kill)", round, counted, seen, inFlight, late)
		}
		if after.FailedAttempts != 0 {
			t.Errorf("round %d: failedAttempts = %d, want 0: the load only presents the right value", round, after.FailedAttempts)
		}
		checkStart := time.Now()
		acked.checkAllThere(t, srv.LocalURL, admin, co.ID, first)
		t.Logf("round %d: %d contacts and %d tokens checked in %s", round, len(acked.contacts), len(acked.tokens), time.Since(checkStart).Round(time.Millisecond))
	}

	// The restarted server redeems again, and stops cleanly.
	want(t, 200, nil, srv.LocalURL, webshop, "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": loadToken.Value})
	want(t, 200, nil, srv.LocalURL, webshop, "POST", "/api/v1/login-tokens/redeem", map[string]string{"token": cliValue})
	srv.Stop()
	checkSQLiteIntegrity(t, dbPath)
}

// ackedRecords are ids the API answered 201 for.
type ackedRecords struct {
	mu                  sync.Mutex
	companies, contacts []int64
	tokens              []string
}

func createContact(t *testing.T, base, admin string, company int64, tag string) int64 {
	t.Helper()
	var ct struct{ ID int64 }
	want(t, 201, &ct, base, admin, "POST", "/api/v1/contacts", map[string]any{
		"companyId": company, "firstName": "Crash", "lastName": tag, "email": "crash-" + tag + "@example.test"})
	return ct.ID
}

// writer creates records during the load.
type writer struct {
	stopc                    chan struct{}
	stopOnce                 sync.Once
	done                     chan struct{}
	acked, inFlight, refused int
	unexpected               []string
}

// writeDuring creates contacts and tokens one after another until stopped,
// keeping the ids of those acknowledged.
func (a *ackedRecords) writeDuring(base, admin string, company int64, round int) *writer {
	w := &writer{stopc: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: loadRequestTimout}
	post := func(path, body string, out any) (acked bool) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if errors.Is(err, syscall.ECONNREFUSED) {
			w.refused++
			return false
		}
		if err != nil {
			w.inFlight++ // it may or may not exist
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 201 {
			w.unexpected = append(w.unexpected, fmt.Sprintf("%s: %d %s", path, resp.StatusCode, b))
			return false
		}
		if err := json.Unmarshal(b, out); err != nil {
			// A 201 whose body was cut off: the record exists but its id
			// is unknown here.
			return false
		}
		w.acked++
		return true
	}
	go func() {
		defer close(w.done)
		for i := 0; i < 2000; i++ {
			select {
			case <-w.stopc:
				return
			default:
			}
			var ct struct{ ID int64 }
			if !post("/api/v1/contacts", fmt.Sprintf(`{"companyId":%d,"firstName":"During","lastName":"r%di%d","email":"during-r%d-i%d@example.test"}`, company, round, i, round, i), &ct) {
				continue
			}
			a.mu.Lock()
			a.contacts = append(a.contacts, ct.ID)
			a.mu.Unlock()
			var tok issued
			if post("/api/v1/login-tokens", fmt.Sprintf(`{"contactId":%d,"extra":["during round %d"]}`, ct.ID, round), &tok) {
				a.mu.Lock()
				a.tokens = append(a.tokens, tok.ID)
				a.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *writer) stop() {
	w.stopOnce.Do(func() { close(w.stopc) })
	<-w.done
}

// checkAllThere fails for every acknowledged record the API no longer
// has. The records made before the load are read one by one; the many made
// during it through the lists (tokens by id, contacts by company), which
// keeps the check cheap as rounds add records.
func (a *ackedRecords) checkAllThere(t *testing.T, base, admin string, company int64, first recordCounts) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range a.companies {
		want(t, 200, nil, base, admin, "GET", fmt.Sprintf("/api/v1/companies/%d", id), nil)
	}
	for _, id := range a.contacts[:first.contacts] {
		want(t, 200, nil, base, admin, "GET", fmt.Sprintf("/api/v1/contacts/%d", id), nil)
	}
	for _, id := range a.tokens[:first.tokens] {
		want(t, 200, nil, base, admin, "GET", "/api/v1/login-tokens/"+id, nil)
	}

	type page struct {
		Items []struct {
			ID json.RawMessage `json:"id"`
		} `json:"items"`
		Pages int `json:"pages"`
	}
	have := map[string]bool{}
	for p := 1; ; p++ {
		var pg page
		want(t, 200, &pg, base, admin, "GET", fmt.Sprintf("/api/v1/contacts?companyId=%d&pageSize=500&page=%d", company, p), nil)
		for _, it := range pg.Items {
			have["contact "+string(it.ID)] = true
		}
		if p >= pg.Pages || p >= 1000 {
			break
		}
	}
	for i := 0; i < len(a.tokens); i += 200 {
		chunk := a.tokens[i:min(i+200, len(a.tokens))]
		var pg page
		want(t, 200, &pg, base, admin, "GET", "/api/v1/login-tokens?pageSize=500&ids="+strings.Join(chunk, ","), nil)
		for _, it := range pg.Items {
			var id string
			json.Unmarshal(it.ID, &id)
			have["token "+id] = true
		}
	}
	var missing []string
	for _, id := range a.contacts {
		if k := fmt.Sprintf("contact %d", id); !have[k] {
			missing = append(missing, k)
		}
	}
	for _, id := range a.tokens {
		if k := "token " + id; !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged records are missing after the crash: %v", len(missing), len(a.contacts)+len(a.tokens), missing[:min(len(missing), 20)])
	}
}

// recordCounts counts records, to tell those made before the load.
type recordCounts struct{ contacts, tokens int }

// snapshotSQLite copies the database and its WAL as they are on disk into
// dir, so the checks read the crash's state without recovering (and
// checkpointing) the file the server restarts on. It returns the copy and
// the size of the WAL the crash left.
func snapshotSQLite(t *testing.T, dbPath, dir string) (path string, wal int) {
	t.Helper()
	dst := filepath.Join(dir, filepath.Base(dbPath))
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(dbPath + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if suffix == "-wal" {
			wal = len(b)
		}
	}
	return dst, wal
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// checkSQLiteIntegrity runs integrity_check and foreign_key_check.
func checkSQLiteIntegrity(t *testing.T, path string) {
	t.Helper()
	db := openSQLite(t, path)
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity_check on %s: %v", path, err)
	}
	var msgs []string
	for rows.Next() {
		var m string
		rows.Scan(&m)
		msgs = append(msgs, m)
	}
	rows.Close()
	if len(msgs) != 1 || msgs[0] != "ok" {
		t.Errorf("PRAGMA integrity_check on %s = %v, want ok", path, msgs)
	}
	var fk int
	if err := db.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&fk); err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	if fk != 0 {
		t.Errorf("PRAGMA foreign_key_check on %s finds %d violations", path, fk)
	}
}

// redeemedInDB reads a token's success counter and its count of
// token.redeemed audit events, written in the same transaction.
func redeemedInDB(t *testing.T, path, id string) (counter, events int64) {
	t.Helper()
	db := openSQLite(t, path)
	defer db.Close()
	if err := db.QueryRow("SELECT successful_attempts FROM login_tokens WHERE id = ?", id).Scan(&counter); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM audit_events WHERE token_id = ? AND type = 'token.redeemed'", id).Scan(&events); err != nil {
		t.Fatal(err)
	}
	return counter, events
}
