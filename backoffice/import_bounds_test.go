package backoffice_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/backoffice"
	"github.com/logintokens/logintokens/importcsv"
	"github.com/logintokens/logintokens/sqlstore/sqlstoretest"
)

// TestAFileOverTheRowCapIsRefusedWholeWithAFormMessage uploads MaxRows +
// 1 good rows: the form again, saying how many rows an import takes and
// which row is one too many, and not one customer written. The form says
// the cap beforehand.
func TestAFileOverTheRowCapIsRefusedWholeWithAFormMessage(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			o := newOffice(t, kind)
			o.staff("editor@shop.test", "users:editor")
			b := o.browser()
			b.signIn("editor@shop.test")
			file := []byte("email,firstName\n")
			for i := range importcsv.MaxRows + 1 {
				file = fmt.Appendf(file, "c%d@example.test,C\n", i)
			}
			status, page, _ := b.uploadCSV("/admin/customers/import", "customers.csv", file)
			wantStatus(t, "too many rows", status, http.StatusBadRequest, page)
			mustContain(t, "too many rows", page, `id="import-file-error"`, "The file was not imported.",
				fmt.Sprintf("the %d an import takes", importcsv.MaxRows), fmt.Sprintf("row %d is one too many", importcsv.MaxRows+1),
				fmt.Sprintf("at most 8 MB and %d rows", importcsv.MaxRows))
			if n := customerCount(t, o); n != 0 {
				t.Errorf("%d customers after the refused import, want none", n)
			}
		})
	}
}

// slowImport is the store with a customer import that takes longer than
// the server's write timeout.
type slowImport struct {
	backoffice.Store
	wait time.Duration
}

func (s slowImport) ImportCustomers(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	time.Sleep(s.wait)
	return s.Store.ImportCustomers(ctx, rows)
}

// TestAnImportOutlastsTheServersWriteTimeout uploads a file whose rows
// take a second to apply to a server whose write timeout is 300 ms: the
// summary comes back and the rows are written. Before, the connection was
// closed under the browser while the rows were written.
func TestAnImportOutlastsTheServersWriteTimeout(t *testing.T) {
	for _, kind := range sqlstoretest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			o := newOffice(t, kind, func(c *backoffice.Config) { c.Store = slowImport{c.Store, time.Second} })
			o.staff("editor@shop.test", "users:editor")
			b := o.browser()
			b.signIn("editor@shop.test")
			// The same backoffice behind a server with a short write
			// timeout; the session's cookie goes to it too (same host).
			srv := httptest.NewUnstartedServer(o.Handler)
			srv.Config.WriteTimeout = 300 * time.Millisecond
			srv.Start()
			t.Cleanup(srv.Close)
			short := *o
			short.URL = srv.URL
			b.o = &short
			status, page, _ := b.uploadCSV("/admin/customers/import", "customers.csv", []byte("email,firstName\nann@example.test,Ann\nbob@example.test,Bob\n"))
			wantStatus(t, "slow import", status, http.StatusOK, page)
			mustContain(t, "slow import", page, `id="import-created">2<`)
			if n := customerCount(t, o); n != 2 {
				t.Errorf("%d customers, want 2", n)
			}
		})
	}
}
