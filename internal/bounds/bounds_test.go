package bounds_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
)

func TestAGateLetsInItsNumberAndRefusesTheNextAtOnce(t *testing.T) {
	g := bounds.NewGate("imports", 2, 1500*time.Millisecond)
	a, err := g.Enter()
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Enter()
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Enter()
	var busy *bounds.Busy
	if !errors.As(err, &busy) || busy.Seconds() != 2 || lt.ErrorCode(err) != lt.ERATELIMITED || !strings.Contains(lt.ErrorMessage(err), "too many imports") {
		t.Fatalf("third place: %v, want Busy, RATE_LIMITED, 2 seconds", err)
	}
	a()
	c, err := g.Enter()
	if err != nil {
		t.Fatalf("a place given back is taken again: %v", err)
	}
	b()
	c()
}

func TestOnlySearchesNoTrigramIndexServesTakeAPlace(t *testing.T) {
	gates := &bounds.Gates{ShortSearches: bounds.NewGate("short searches", 1, time.Second)}
	hold, err := gates.EnterSearch("a")
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	for q, short := range map[string]bool{"b": true, " ab ": true, "äö": true, "": false, "   ": false, "abc": false, "äöü": false,
		// Three characters or more, but no three letters or digits in a
		// row: pg_trgm finds no trigram of their own in them.
		"___": true, "%%%": true, "...": true, "a_b": true, "jo d": true, "@ab.de": true, " . . . ": true,
		"o'brien": false, "a.b.cde": false} {
		leave, err := gates.EnterSearch(q)
		if short != (err != nil) {
			t.Errorf("%q with the gate full: %v", q, err)
		}
		if leave != nil {
			leave()
		}
	}
}

func TestIndexedIsThreeLettersOrDigitsInARow(t *testing.T) {
	for q, want := range map[string]bool{
		"abc": true, "ABC": true, "a1b": true, "123": true, "müller": true, "äöü": true, "山田太": true, "x.abc.y": true,
		"o'brien": true, "jane doe": true, "nordwind logistics": true,
		"": false, "ab": false, "äö": false, "...": false, "___": false, "%%%": false, `\\`: false, "a_b": false,
		"a b c": false, "jo d": false, "@ab.de": false, "ab.cd.ef": false, "a-b-c-d": false, "ä.ö.ü": false,
		// Combining marks and other numbers are no letters here: a
		// database may not count them either.
		"éé": false, "²³¹": false,
	} {
		if got := bounds.Indexed(q); got != want {
			t.Errorf("Indexed(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestAListPagesNoDeeperThanMaxListRows(t *testing.T) {
	for _, c := range []struct{ page, size, last int }{{1, 25, 400}, {400, 25, 400}, {20, 500, 20}, {10000, 1, 10000}, {3333, 3, 3333}, {1, 0, 400}} {
		if err := bounds.CheckPage(c.page, c.size); err != nil {
			t.Errorf("page %d of %d: %v", c.page, c.size, err)
		}
		err := bounds.CheckPage(c.last+1, c.size)
		var e *lt.Error
		if !errors.As(err, &e) || e.Code != lt.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "page" ||
			!strings.Contains(e.Message, fmt.Sprintf("at most %d", c.last)) || !strings.Contains(e.Message, "10000 rows") {
			t.Errorf("page %d of %d: %v, want INVALID_INPUT naming page and its last page %d", c.last+1, c.size, err, c.last)
		}
	}
	if err := bounds.CheckPage(1<<30, 500); err == nil {
		t.Error("page 2^30 of 500 is allowed")
	}
	for _, c := range []struct{ total, size, want int }{{0, 25, 1}, {1, 25, 1}, {26, 25, 2}, {10000, 25, 400}, {1000000, 25, 400}, {1000000, 3, 3333}, {60000, 500, 20}} {
		if got := bounds.LastPage(c.total, c.size); got != c.want {
			t.Errorf("LastPage(%d, %d) = %d, want %d", c.total, c.size, got, c.want)
		}
	}
}

func TestLimitBodyRefusesADeclaredLengthUnreadAndLimitsTheRest(t *testing.T) {
	var tooLarge error
	h := bounds.LimitBody(10, func(w http.ResponseWriter, r *http.Request, err error) { tooLarge = err; w.WriteHeader(413) },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := r.Body.Read(make([]byte, 100))
			if err == nil {
				_, err = r.Body.Read(make([]byte, 100))
			}
			if errors.As(err, new(*http.MaxBytesError)) {
				w.WriteHeader(413)
			}
		}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 11))))
	if rec.Code != 413 || tooLarge == nil {
		t.Errorf("a declared 11 bytes: %d %v", rec.Code, tooLarge)
	}
	tooLarge = nil
	req := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 11)))
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 413 || tooLarge != nil {
		t.Errorf("11 bytes of no declared length: %d %v, want the handler's 413", rec.Code, tooLarge)
	}
}
