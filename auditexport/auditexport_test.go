package auditexport

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
)

func events(es ...*lt.Event) func(func(*lt.Event) error) error {
	return func(each func(*lt.Event) error) error {
		for _, e := range es {
			if err := each(e); err != nil {
				return err
			}
		}
		return nil
	}
}

// Every CSV cell that a spreadsheet would read as a formula is escaped,
// the header comes first, and JSON lines hold one event a line.
func TestWriteEscapesFormulasInCSVAndWritesJSONLines(t *testing.T) {
	e := &lt.Event{ID: 7, At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Type: "token.redeemed", TokenID: "k3x9",
		Actor: "=HYPERLINK(\"x\")", ClientIP: "+1", Details: json.RawMessage(`{"a":1}`)}
	var b bytes.Buffer
	calls := 0
	started, err := Write(&b, lt.AuditFormatCSV, func() error { calls++; return nil }, events(e))
	if err != nil || !started || calls != 1 {
		t.Fatalf("Write = %v, %v, start called %d times", started, err, calls)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV = %q, %v", rows, err)
	}
	if rows[1][4] != `'=HYPERLINK("x")` || rows[1][5] != "'+1" || rows[1][6] != `{"a":1}` {
		t.Errorf("row = %q, want the formula cells escaped", rows[1])
	}
	b.Reset()
	if _, err := Write(&b, lt.AuditFormatJSONL, nil, events(e, e)); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&b)
	for i := range 2 {
		var l Line
		if err := dec.Decode(&l); err != nil || l.TokenID != "k3x9" || l.Actor != e.Actor {
			t.Fatalf("line %d = %+v, %v", i, l, err)
		}
	}
}

// An error before the first event writes nothing and does not start.
func TestWriteStartsNothingOnAnEarlyError(t *testing.T) {
	var b bytes.Buffer
	boom := errors.New("boom")
	started, err := Write(&b, lt.AuditFormatCSV, func() error { t.Error("start called"); return nil },
		func(func(*lt.Event) error) error { return boom })
	if started || !errors.Is(err, boom) || b.Len() != 0 {
		t.Errorf("Write = %v, %v, wrote %q", started, err, b.String())
	}
}
