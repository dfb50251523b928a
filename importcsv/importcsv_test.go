package importcsv_test

import (
	"context"
	"strings"
	"testing"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/importcsv"
)

func TestReadTakesSpreadsheetCSVAndFailsBadRowsAlone(t *testing.T) {
	file := "\uFEFFEmail ; companyExternalId;disabled\n" +
		"jane@acme.test;ACME;yes\n" +
		"john@acme.test;ACME\n" +
		"ann@acme.test;;maybe\n"
	rows, err := importcsv.Read(strings.NewReader(file), importcsv.ContactFields)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%v %v", rows, err)
	}
	if r := rows[0]; r.Err != nil || r.Import.Email != "jane@acme.test" || *r.Import.CompanyExternalID != "ACME" || !*r.Import.Disabled {
		t.Fatalf("row 1: %+v", r)
	}
	if rows[1].Err == nil || rows[2].Err == nil {
		t.Fatalf("rows 2 and 3 should fail: %v, %v", rows[1].Err, rows[2].Err)
	}
	if _, err := importcsv.Read(strings.NewReader("email,company\n"), importcsv.ContactFields); lt.ErrorCode(err) != lt.EINVALID {
		t.Fatalf("unknown column: %v", err)
	}
	if _, err := importcsv.Read(strings.NewReader("firstName\nJane\n"), importcsv.CustomerFields); lt.ErrorCode(err) != lt.EINVALID {
		t.Fatalf("no email column: %v", err)
	}
}

func TestApplyNumbersRowsAndMergesFailuresInOrder(t *testing.T) {
	rows := []importcsv.Row{
		{Import: lt.ContactImport{Email: "a@x.test"}},
		{Err: lt.Invalid("companyId", "must be a positive integer")},
		{Import: lt.ContactImport{Email: "bad"}},
	}
	var got []lt.ContactImport
	res, err := importcsv.Apply(context.Background(), rows, func(_ context.Context, in []lt.ContactImport) (lt.ImportResult, error) {
		got = in
		return lt.ImportResult{Created: 1, Failed: []lt.ImportFailure{{Row: in[1].Row, Message: "email: is not an email address"}}}, nil
	})
	if err != nil || len(got) != 2 || got[0].Row != 1 || got[1].Row != 3 {
		t.Fatalf("store got %+v, %v", got, err)
	}
	if res.Created != 1 || len(res.Failed) != 2 || res.Failed[0].Row != 2 || res.Failed[1].Row != 3 {
		t.Fatalf("result %+v", res)
	}
	empty, _ := importcsv.Apply(context.Background(), nil, func(context.Context, []lt.ContactImport) (lt.ImportResult, error) {
		return lt.ImportResult{}, nil
	})
	if empty.Failed == nil {
		t.Fatal("Failed is nil: the API answers [] for no failures")
	}
}
