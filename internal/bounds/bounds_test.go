package bounds_test

import (
	"errors"
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

func TestOnlySearchesOfOneOrTwoCharactersTakeAPlace(t *testing.T) {
	gates := &bounds.Gates{ShortSearches: bounds.NewGate("short searches", 1, time.Second)}
	hold, err := gates.EnterSearch("a")
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	for q, short := range map[string]bool{"b": true, " ab ": true, "äö": true, "": false, "   ": false, "abc": false, "äöü": false} {
		leave, err := gates.EnterSearch(q)
		if short != (err != nil) {
			t.Errorf("%q with the gate full: %v", q, err)
		}
		if leave != nil {
			leave()
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
