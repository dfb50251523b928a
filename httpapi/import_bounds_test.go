package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/httpapi"
	"github.com/logintokens/logintokens/importcsv"
	"github.com/logintokens/logintokens/internal/heaptest"
)

// customerImport is the store with ImportCustomers replaced by a function
// of the real store.
type customerImport struct {
	httpapi.Store
	apply func(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error)
}

func (s customerImport) ImportCustomers(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	return s.apply(ctx, rows)
}

// withCustomerImport replaces the store's customer import by what wrap
// makes of the real store.
func withCustomerImport(wrap func(real httpapi.Store) func(context.Context, []lt.ContactImport) (lt.ImportResult, error)) apiOption {
	return func(c *httpapi.Config, _ *http.Server) { c.Store = customerImport{c.Store, wrap(c.Store)} }
}

// customersCSV is an import of n customers, a row of 81 bytes each as a
// spreadsheet exports them (MaxRows of them fit in 8 MiB), written as it
// is read and then padded with blank lines (which CSV skips) to size
// bytes, so that the test holds none of it.
func customersCSV(n, size int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		written, _ := w.WriteString("firstName,lastName,email,externalId\n")
		for i := range n {
			k, _ := fmt.Fprintf(w, "Firstname%06d,Lastname%06d,firstname.lastname%06d@example.test,CUST-%06d\n", i, i, i, i)
			written += k
		}
		for ; written < size; written++ {
			w.WriteByte('\n')
		}
		w.Flush()
		pw.Close()
	}()
	return pr
}

// customersJSON is an import of n customers as a JSON array.
func customersJSON(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"email":"c%d@example.test","firstName":"C"}`, i)
	}
	b.WriteString("]")
	return b.Bytes()
}

// TestAnImportOverTheRowCapIsRefusedWholeNamingTheCap sends MaxRows + 1
// good rows, as CSV and as JSON: a 400 naming the body, the cap and the
// first row past it, and not one customer written.
func TestAnImportOverTheRowCapIsRefusedWholeNamingTheCap(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		for name, c := range map[string]struct {
			body io.Reader
			ct   string
		}{
			"csv":  {customersCSV(importcsv.MaxRows+1, 0), "text/csv"},
			"json": {bytes.NewReader(customersJSON(importcsv.MaxRows + 1)), "application/json"},
		} {
			resp := a.doResp("users:editor", "POST", "/api/v1/customers/import", c.body, http.Header{"Content-Type": {c.ct}})
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := []string{fmt.Sprintf("the %d an import takes", importcsv.MaxRows), fmt.Sprintf("row %d", importcsv.MaxRows+1)}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), lt.EINVALID) || !strings.Contains(string(b), `"field":"body"`) ||
				!strings.Contains(string(b), want[0]) || !strings.Contains(string(b), want[1]) {
				t.Fatalf("%s of %d rows: %d %s, want 400 naming the body, %q and %q", name, importcsv.MaxRows+1, resp.StatusCode, b, want[0], want[1])
			}
		}
		if _, n, err := a.Store.FindCustomers(ctx, lt.DirectoryFilter{}); err != nil || n != 0 {
			t.Fatalf("%d customers after refused imports (%v), want none", n, err)
		}
	})
}

// countRows is a customer import that counts the rows and the largest
// batch it is given, and writes nothing: what the heap holds is then the
// import's own.
type countRows struct {
	mu             sync.Mutex
	rows, maxBatch int
}

func (c *countRows) wrap(httpapi.Store) func(context.Context, []lt.ContactImport) (lt.ImportResult, error) {
	return func(_ context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.rows += len(rows)
		c.maxBatch = max(c.maxBatch, len(rows))
		return lt.ImportResult{Created: len(rows), Failed: []lt.ImportFailure{}}, nil
	}
}

// TestALargeImportHoldsABatchOfRowsNotItsFile imports 10,000 and 50,000
// rows, and twice MaxRows rows of a full 8 MiB body at once: the heap
// grows by the same small amount whatever the file's size (about 2 MB),
// and the store is never given more than a batch. Before, every row was
// held until all were applied: 4 MB for 10,000 rows, 23 MB for 50,000, 61
// MB for the two of 8 MiB.
func TestALargeImportHoldsABatchOfRowsNotItsFile(t *testing.T) {
	var count countRows
	a := newAPI(t, "sqlite", 0, withCustomerImport(count.wrap))
	post := func(body io.Reader) error {
		resp := a.doResp("users:editor", "POST", "/api/v1/customers/import", body, csvHeader)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d %s", resp.StatusCode, b)
		}
		return nil
	}
	peakOf := func(n int) uint64 {
		count.rows = 0
		w := heaptest.Start()
		err := post(customersCSV(n, 0))
		peak, _ := w.Stop()
		if err != nil || count.rows != n {
			t.Fatalf("import of %d rows: %v, %d rows applied", n, err, count.rows)
		}
		t.Logf("%d rows: the heap grew by at most %d bytes", n, peak)
		return peak
	}
	small, large := peakOf(10_000), peakOf(50_000)
	// The collector's pace (GOGC=10 of a heap of some 20 MB) lets a
	// measure vary by about 2 MB; 40,000 rows held would be some 20 MB.
	if large > small+4<<20 {
		t.Errorf("50,000 rows grew the heap by %d KiB, 10,000 by %d KiB: the rows are held, not a batch", large>>10, small>>10)
	}
	if count.maxBatch > importcsv.BatchRows {
		t.Errorf("the store was given %d rows at once, want at most %d", count.maxBatch, importcsv.BatchRows)
	}

	// Two imports of the largest file at once, as many as the gate lets in.
	count.rows = 0
	var errs [2]error
	w := heaptest.Start()
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = post(customersCSV(importcsv.MaxRows, 8<<20)) })
	}
	wg.Wait()
	peak, _ := w.Stop()
	t.Logf("two imports of %d rows (8 MiB each) at once: the heap grew by at most %d bytes", importcsv.MaxRows, peak)
	if errs[0] != nil || errs[1] != nil || count.rows != 2*importcsv.MaxRows {
		t.Fatalf("two imports at once: %v, %v, %d rows applied", errs[0], errs[1], count.rows)
	}
	if peak > 8<<20 {
		t.Errorf("two imports of 8 MiB at once grew the heap by %d MiB, want less than one of their bodies", peak>>20)
	}
}

// slowBody sends its first half, waits, then the rest.
type slowBody struct {
	b     []byte
	wait  time.Duration
	sent  int
	slept bool
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.sent >= len(s.b) {
		return 0, io.EOF
	}
	if s.sent >= len(s.b)/2 && !s.slept {
		time.Sleep(s.wait)
		s.slept = true
	}
	end := len(s.b)
	if !s.slept {
		end = len(s.b) / 2
	}
	n := copy(p, s.b[s.sent:end])
	s.sent += n
	return n, nil
}

// TestAnImportOutlastsTheServersTimeouts runs the API behind a server
// whose read and write timeouts are 300 ms: an import whose body takes a
// second to arrive, and one whose rows take a second to apply, both
// answer 200 with their rows written, within a context that ends no later
// than importcsv.MaxTime. Before, the first was a 400 (the body's read
// timed out) and the second's answer was lost (the connection closed).
func TestAnImportOutlastsTheServersTimeouts(t *testing.T) {
	const timeout, slow = 300 * time.Millisecond, time.Second
	eachKind(t, func(t *testing.T, _ *testAPI) {
		var slowStore bool
		var deadlineErr error
		a := newAPI(t, t.Name()[strings.LastIndex(t.Name(), "/")+1:], 0,
			func(_ *httpapi.Config, s *http.Server) { s.ReadTimeout, s.WriteTimeout = timeout, timeout },
			withCustomerImport(func(real httpapi.Store) func(context.Context, []lt.ContactImport) (lt.ImportResult, error) {
				return func(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
					if d, ok := ctx.Deadline(); !ok || time.Until(d) > importcsv.MaxTime {
						deadlineErr = fmt.Errorf("the import's context ends at %v (%v), want within %v", d, ok, importcsv.MaxTime)
					}
					if slowStore {
						time.Sleep(slow)
					}
					return real.ImportCustomers(ctx, rows)
				}
			}))
		for _, c := range []struct {
			name      string
			slowStore bool
			body      func([]byte) io.Reader
		}{
			{"slow body", false, func(b []byte) io.Reader { return &slowBody{b: b, wait: slow} }},
			{"slow rows", true, func(b []byte) io.Reader { return bytes.NewReader(b) }},
		} {
			slowStore = c.slowStore
			who := strings.ReplaceAll(c.name, " ", "-")
			csv := fmt.Sprintf("email,firstName\n%s@example.test,A\n%s-2@example.test,B\n", who, who)
			req, _ := http.NewRequest("POST", a.URL+"/api/v1/customers/import", c.body([]byte(csv)))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+a.Keys["users:editor"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v: the server's timeout cut the import off", c.name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"created":2`) {
				t.Fatalf("%s: %d %s", c.name, resp.StatusCode, b)
			}
		}
		if deadlineErr != nil {
			t.Error(deadlineErr)
		}
		if _, n, _ := a.Store.FindCustomers(ctx, lt.DirectoryFilter{}); n != 4 {
			t.Fatalf("%d customers, want 4", n)
		}
	})
}

// TestAnImportOfSeveralBatchesAppliesInOrderAndNumbersRowsThroughout
// imports a little more than two batches on the real store: a later batch
// updates people an earlier one created, and a failure is numbered by
// its row in the file, not in its batch.
func TestAnImportOfSeveralBatchesAppliesInOrderAndNumbersRowsThroughout(t *testing.T) {
	eachKind(t, func(t *testing.T, a *testAPI) {
		n := 2*importcsv.BatchRows + 3
		var b bytes.Buffer
		b.WriteString("email,firstName\n")
		for i := 1; i <= n; i++ {
			switch i {
			case importcsv.BatchRows + 1:
				b.WriteString("p1@example.test,Again\n")
			case 2 * importcsv.BatchRows:
				b.WriteString("not-an-email,Bad\n")
			case n:
				b.WriteString("p2@example.test,Again\n")
			default:
				fmt.Fprintf(&b, "p%d@example.test,P\n", i)
			}
		}
		res := a.importAs("/api/v1/customers/import", b.Bytes(), csvHeader)
		wantResult(t, res, n-3, 2, map[int]string{2 * importcsv.BatchRows: "email"})
		for _, email := range []string{"p1@example.test", "p2@example.test"} {
			l, _, err := a.Store.FindCustomers(ctx, lt.DirectoryFilter{Q: email})
			if err != nil || len(l) != 1 || l[0].FirstName != "Again" {
				t.Fatalf("%s after the import: %+v %v", email, l, err)
			}
		}
	})
}
