// Package bounds holds what every HTTP entry point of the service bounds
// before it trusts a request: the body each route may send (set before
// anything reads or parses it), the gates that let only a few expensive
// requests (imports, exports, searches no trigram index serves) run at
// once and answer the rest at once instead of queueing them, the longest
// redirect target a page may answer with, so that no form value of any
// size comes back in a Location header, and the reads every list and
// search is held to: which search text the trigram indexes serve
// (Indexed), and how deep a list pages (MaxListRows). The store applies
// the same two rules, so the API, the backoffice and the CLI cannot
// differ from it.
package bounds

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
)

// DefaultMaxBody is the body limit of a route that names none: a form or
// a JSON object of a few fields. Routes that need more (an import) or less
// (a sign-in) say so in their route table.
const DefaultMaxBody = 64 << 10

// MaxLocation is the longest redirect target a handler answers with,
// within the 8 KiB request line that proxies such as nginx accept by
// default. A target built from a request (a list's search, a return
// address) that would be longer is not followed: the handler redirects to
// a fixed place or refuses the request instead.
const MaxLocation = 8000

// LimitBody serves h with the request body limited to max bytes
// (DefaultMaxBody when max is 0): reading past it fails with an
// *http.MaxBytesError, which the route's handler answers as too large.
// Nothing is read here, so a request that is refused before its body is
// needed (no session, no key) costs nothing however large it is. A request
// that declares a longer body (Content-Length) is answered by tooLarge at
// once, when it is given, without reading any of it.
func LimitBody(max int64, tooLarge func(http.ResponseWriter, *http.Request, error), h http.Handler) http.Handler {
	if max <= 0 {
		max = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tooLarge != nil && r.ContentLength > max {
			tooLarge(w, r, &http.MaxBytesError{Limit: max})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		h.ServeHTTP(w, r)
	})
}

// ParseForm parses a form body, URL-encoded or multipart (up to
// maxMemory of it in memory), and returns the error of reading it: a body
// past its route's limit is an *http.MaxBytesError however it was sent,
// with a Content-Length or chunked, so that the handler answers it as too
// large. Request.ParseMultipartForm alone drops that error for a
// URL-encoded form (it answers http.ErrNotMultipart), leaving the form
// empty, which a handler would take for missing fields.
func ParseForm(r *http.Request, maxMemory int64) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	if err := r.ParseMultipartForm(maxMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return err
	}
	return nil
}

// Gate lets at most a fixed number of holders in at once. Enter never
// waits: a full gate answers *Busy at once, so that a burst of expensive
// requests costs a few of them and a quick refusal for the rest, never an
// unbounded queue.
type Gate struct {
	what       string
	slots      chan struct{}
	retryAfter time.Duration
}

// NewGate returns a gate for n holders at once; what names them in the
// refusal ("imports"), retryAfter is what the refusal asks to wait.
func NewGate(what string, n int, retryAfter time.Duration) *Gate {
	return &Gate{what: what, slots: make(chan struct{}, max(n, 1)), retryAfter: retryAfter}
}

// Enter takes a place and returns the function that gives it back, or a
// *Busy error when every place is taken.
func (g *Gate) Enter() (leave func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	default:
		return nil, &Busy{What: g.what, RetryAfter: g.retryAfter}
	}
}

// Busy is the refusal of a full gate: a RATE_LIMITED error that says what
// is busy and how long to wait (the Retry-After of the answer).
type Busy struct {
	What       string
	RetryAfter time.Duration
}

func (e *Busy) Error() string {
	return fmt.Sprintf("too many %s are running at once; try again in %d seconds", e.What, e.Seconds())
}

// Unwrap makes it a domain error with the RATE_LIMITED code.
func (e *Busy) Unwrap() error { return lt.Errorf(lt.ERATELIMITED, "%s", e.Error()) }

// Seconds is RetryAfter in whole seconds, at least 1: the Retry-After value.
func (e *Busy) Seconds() int { return max(1, int((e.RetryAfter+time.Second-1)/time.Second)) }

// Gates are the service's gates, shared by the admin API and the
// backoffice so that both count against one bound.
type Gates struct {
	// Imports bounds the contact and customer imports: each keeps its
	// file (up to 8 MiB of CSV or JSON) in a temporary file and holds a
	// batch of its rows at a time while it applies them, for minutes.
	Imports *Gate
	// Exports bounds the CSV exports of the token list, each of which
	// reads every token its filters select.
	Exports *Gate
	// ShortSearches bounds the searches that no trigram index serves
	// (q not Indexed: one or two characters, punctuation, "a.b"): in the
	// user picker and the directory lists they find what starts with q,
	// which may be much of the directory; in the token list they read
	// every token.
	ShortSearches *Gate
}

// EnterSearch takes a place of ShortSearches for a search whose text is
// not Indexed, and lets any other search in at once: no text lists
// everyone from the index of the list's order, and Indexed text is found
// through the trigram indexes.
func (g *Gates) EnterSearch(q string) (leave func(), err error) {
	if q = strings.TrimSpace(q); q == "" || Indexed(q) {
		return func() {}, nil
	}
	return g.ShortSearches.Enter()
}

// Indexed reports whether the trigram indexes of both databases find what
// a search for q (a substring, in any case) matches: q holds three
// letters or digits in a row. PostgreSQL's pg_trgm takes a LIKE pattern's
// trigrams from its words, the runs of letters and digits, padding a
// word's ends with spaces only where q does not end: a word of three
// characters gives a trigram of its own, shorter words at most one of a
// space and one or two letters, which is in most rows ("  b" is every
// word that starts with b), and text of no word ("...", "%%%", "___")
// none at all; its index then cannot help, and the planner reads the whole
// table. SQLite's FTS5 trigram index takes any three characters, but a
// search must find the same on both databases, so it is held to the same
// rule. Letters are Unicode letters, as pg_trgm counts them in a UTF-8
// locale (a database whose LC_CTYPE is C counts ASCII letters only).
func Indexed(q string) bool {
	run := 0
	for _, r := range q {
		if r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') ||
			r >= utf8.RuneSelf && unicode.IsLetter(r) {
			if run++; run == 3 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// MaxListRows is how deep a list pages: page × pageSize at most this, so
// the last page shown ends at row 10,000. A deeper page would make the
// database read and skip every row before it (OFFSET); the filters, q or
// an export reach the rest.
const MaxListRows = 10_000

// CheckPage refuses a page that ends past MaxListRows, naming page.
func CheckPage(page, size int) error {
	if size < 1 {
		size = lt.DefaultPageSize
	}
	if deepest := max(1, MaxListRows/size); page > deepest {
		return lt.Invalid("page", "at most %d with pageSize %d: a list shows its first %d rows; narrow it with q or filters",
			deepest, size, MaxListRows)
	}
	return nil
}

// LastPage is the last page of size that a list of total rows shows: at
// least 1, and no deeper than CheckPage allows.
func LastPage(total, size int) int {
	if size < 1 {
		size = lt.DefaultPageSize
	}
	return max(1, min((total+size-1)/size, MaxListRows/size))
}

// NewGates returns the gates with the service's bounds.
func NewGates() *Gates {
	return &Gates{
		Imports:       NewGate("imports", 2, 5*time.Second),
		Exports:       NewGate("exports", 2, 5*time.Second),
		ShortSearches: NewGate("searches without three letters or digits in a row", 4, time.Second),
	}
}
