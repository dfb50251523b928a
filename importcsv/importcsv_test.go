package importcsv_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

// readAll reads a CSV file's rows, or its error as a whole.
func readAll(file string, fields []string) ([]importcsv.Row, error) {
	var rows []importcsv.Row
	err := importcsv.Read(strings.NewReader(file), fields, func(r importcsv.Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

func TestReadTakesSpreadsheetCSVAndFailsBadRowsAlone(t *testing.T) {
	file := "\uFEFFEmail ; companyExternalId;disabled\n" +
		"jane@acme.test;ACME;yes\n" +
		"john@acme.test;ACME\n" +
		"ann@acme.test;;maybe\n"
	rows, err := readAll(file, importcsv.ContactFields)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%v %v", rows, err)
	}
	if r := rows[0]; r.Err != nil || r.Import.Email != "jane@acme.test" || *r.Import.CompanyExternalID != "ACME" || !*r.Import.Disabled {
		t.Fatalf("row 1: %+v", r)
	}
	if rows[1].Err == nil || rows[2].Err == nil {
		t.Fatalf("rows 2 and 3 should fail: %v, %v", rows[1].Err, rows[2].Err)
	}
	if _, err := readAll("email,company\n", importcsv.ContactFields); lt.ErrorCode(err) != lt.EINVALID {
		t.Fatalf("unknown column: %v", err)
	}
	if _, err := readAll("firstName\nJane\n", importcsv.CustomerFields); lt.ErrorCode(err) != lt.EINVALID {
		t.Fatalf("no email column: %v", err)
	}
}

// batchStore is a store that records the batches it is given and fails
// the rows whose email starts with "bad".
type batchStore struct{ batches [][]lt.ContactImport }

func (s *batchStore) apply(_ context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	s.batches = append(s.batches, rows)
	res := lt.ImportResult{Failed: []lt.ImportFailure{}}
	for _, r := range rows {
		if strings.HasPrefix(r.Email, "bad") {
			res.Failed = append(res.Failed, lt.ImportFailure{Row: r.Row, Message: "email: is not an email address"})
		} else {
			res.Created++
		}
	}
	return res, nil
}

func TestApplyNumbersRowsAndMergesFailuresInOrder(t *testing.T) {
	file := "email,companyId\na@x.test,\n,x\nbad,\n"
	f, err := importcsv.Check(strings.NewReader(file), importcsv.Read, importcsv.ContactFields)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s batchStore
	res, err := f.Apply(context.Background(), s.apply)
	if err != nil || len(s.batches) != 1 || len(s.batches[0]) != 2 || s.batches[0][0].Row != 1 || s.batches[0][1].Row != 3 {
		t.Fatalf("store got %+v, %v", s.batches, err)
	}
	if res.Created != 1 || len(res.Failed) != 2 || res.Failed[0].Row != 2 || !strings.Contains(res.Failed[0].Message, "companyId") || res.Failed[1].Row != 3 {
		t.Fatalf("result %+v", res)
	}
	empty, err := importcsv.Check(strings.NewReader("email\n"), importcsv.Read, importcsv.CustomerFields)
	if err != nil || empty.Rows() != 0 {
		t.Fatalf("a header alone: %v", err)
	}
	defer empty.Close()
	res, _ = empty.Apply(context.Background(), s.apply)
	if res.Failed == nil {
		t.Fatal("Failed is nil: the API answers [] for no failures")
	}
}

// rowsFile is a CSV file of n rows, those in bad failing in the store.
func rowsFile(n int, bad ...int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprintln(pw, "email,firstName")
		for i := 1; i <= n; i++ {
			if len(bad) > 0 && bad[0] == i {
				fmt.Fprintf(pw, "bad%d,Bad\n", i)
				bad = bad[1:]
				continue
			}
			fmt.Fprintf(pw, "p%d@example.test,P\n", i)
		}
		pw.Close()
	}()
	return pr
}

// TestApplyHandsTheStoreBatchesNumberedAcrossTheFile: the store gets
// the rows BatchRows at a time, numbered from 1 through the whole file,
// and the failures of every batch come back in row order.
func TestApplyHandsTheStoreBatchesNumberedAcrossTheFile(t *testing.T) {
	n := 2*importcsv.BatchRows + 7
	bad := []int{1, importcsv.BatchRows, importcsv.BatchRows + 1, n}
	f, err := importcsv.Check(rowsFile(n, bad...), importcsv.Read, importcsv.CustomerFields)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s batchStore
	res, err := f.Apply(context.Background(), s.apply)
	if err != nil {
		t.Fatal(err)
	}
	next := 1
	for i, b := range s.batches {
		if len(b) > importcsv.BatchRows || (i < len(s.batches)-1 && len(b) != importcsv.BatchRows) {
			t.Fatalf("batch %d has %d rows", i, len(b))
		}
		for _, r := range b {
			if r.Row != next {
				t.Fatalf("batch %d: row %d where %d was next", i, r.Row, next)
			}
			next++
		}
	}
	if next != n+1 || res.Created != n-len(bad) || len(res.Failed) != len(bad) {
		t.Fatalf("%d rows in %d batches, created %d, failed %+v", next-1, len(s.batches), res.Created, res.Failed)
	}
	for i, fl := range res.Failed {
		if fl.Row != bad[i] {
			t.Fatalf("failures %+v, want rows %v", res.Failed, bad)
		}
	}
}

// TestAFileOverTheRowCapIsRefusedBeforeAnyRowApplies: MaxRows rows are
// taken, one more refuses the file as a whole, when it is checked, before
// anything can apply it, with an error naming the cap and the row.
func TestAFileOverTheRowCapIsRefusedBeforeAnyRowApplies(t *testing.T) {
	f, err := importcsv.Check(rowsFile(importcsv.MaxRows+1), importcsv.Read, importcsv.CustomerFields)
	if lt.ErrorCode(err) != lt.EINVALID || f != nil {
		t.Fatalf("%d rows: %v, want INVALID_INPUT", importcsv.MaxRows+1, err)
	}
	var e *lt.Error
	if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "body" ||
		!strings.Contains(e.Message, fmt.Sprint(importcsv.MaxRows)) || !strings.Contains(e.Message, fmt.Sprintf("row %d", importcsv.MaxRows+1)) {
		t.Fatalf("the refusal %+v names neither the cap nor the row", err)
	}
	f, err = importcsv.Check(rowsFile(importcsv.MaxRows), importcsv.Read, importcsv.CustomerFields)
	if err != nil || f.Rows() != importcsv.MaxRows {
		t.Fatalf("%d rows: %v", importcsv.MaxRows, err)
	}
	f.Close()
}
