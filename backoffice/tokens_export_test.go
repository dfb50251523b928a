package backoffice_test

import (
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
)

// apiExport fetches the admin API's CSV export of the same store.
func (w *tokWorld) apiExport(t *testing.T, query string) string {
	t.Helper()
	api := httpapi.New(httpapi.Config{Store: w.Store, PublicURL: "http://127.0.0.1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, key, err := w.Store.CreateAPIKey(ctx, lt.NewAPIKey{Name: "export " + query, Kind: lt.KeyAdmin, Grants: lt.Grants{lt.AreaConfiguration: lt.LevelViewer}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/login-tokens.csv"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("API export %s: %d %s", query, resp.StatusCode, b)
	}
	return string(b)
}

func TestExportIsTheAPIsCSVOfTheFilteredList(t *testing.T) {
	tokKinds(t, func(t *testing.T, w *tokWorld) {
		w.token(lt.NewToken{Extra: []string{"=HYPERLINK(\"http://evil.test\")", "@SUM(A1)"}})
		b := w.viewer()
		for _, query := range []string{"", "?status=active&sort=name", "?q=acme", "?type=anonymous&sort=-createdAt"} {
			status, body, h := b.get("/admin/login-tokens.csv" + query)
			if status != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("Content-Disposition") != `attachment; filename="login-tokens.csv"` {
				t.Fatalf("export %s: %d %v", query, status, h)
			}
			if want := w.apiExport(t, query); body != want {
				t.Fatalf("export %s differs from the API's:\n%s\nwant\n%s", query, body, want)
			}
			noValues(t, "the export", body, w.contactT, w.customerT, w.anonT)
			records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || strings.Join(records[0], ",") != "Id,Name,Type,Email,Company,Expires At,Last Accessed At,Successful Attempts,Failed Attempts,Uses Allowed,One Time Use,Networks,Extra,Status,Created At,Updated At" {
				t.Fatalf("export %s: %v %v", query, records, err)
			}
			for _, rec := range records[1:] {
				for _, cell := range rec {
					if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
						t.Fatalf("a cell starts a formula: %q", cell)
					}
				}
			}
		}
		// The screen's paging does not cut the export short.
		_, paged, _ := b.get("/admin/login-tokens.csv?pageSize=1&page=2")
		if records, _ := csv.NewReader(strings.NewReader(paged)).ReadAll(); len(records) != 5 {
			t.Fatalf("a paged export has %d records, want a header and 4 tokens", len(records))
		}
		if status, body, _ := b.get("/admin/login-tokens.csv?status=gone"); status != 400 || !strings.Contains(body, "not one of active, expired, used") {
			t.Fatalf("a bad filter: %d", status)
		}
	})
}
