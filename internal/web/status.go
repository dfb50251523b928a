package web

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/outage"
)

// statuses is the one table from domain error codes to HTTP statuses.
var statuses = map[string]int{
	lt.EINVALID:         http.StatusBadRequest,
	lt.EUNAUTHENTICATED: http.StatusUnauthorized,
	lt.EFORBIDDEN:       http.StatusForbidden,
	lt.ENOTFOUND:        http.StatusNotFound,
	lt.ECONFLICT:        http.StatusConflict,
	lt.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	lt.EMETHOD:          http.StatusMethodNotAllowed,
	lt.ERATELIMITED:     http.StatusTooManyRequests,
	lt.EUNAVAILABLE:     http.StatusServiceUnavailable,
	lt.ETOKENINVALID:    http.StatusBadRequest,
	lt.ENETWORKREFUSED:  http.StatusBadRequest,
	lt.ETOKENUSED:       http.StatusBadRequest,
	lt.ETOKENEXPIRED:    http.StatusBadRequest,
	lt.EUSERDISABLED:    http.StatusBadRequest,
	lt.EINTERNAL:        http.StatusInternalServerError,
}

// Status returns the HTTP status of a domain error code: 500 for a code
// the table does not know.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes lists the codes of the status table, sorted.
func Codes() []string { return slices.Sorted(maps.Keys(statuses)) }

// Refused sets the headers an answer of err carries whatever its body,
// and reports an outage. UNAVAILABLE (the database does not answer) goes
// to outages, which logs once per interval for the whole service rather
// than once a request, and asks the client to come back after
// outage.RetryAfter seconds. RATE_LIMITED asks it to wait as long as the
// error says, when it says (a *RateLimited, a *bounds.Busy).
func Refused(w http.ResponseWriter, r *http.Request, err error, outages *outage.Reporter) {
	switch lt.ErrorCode(err) {
	case lt.EUNAVAILABLE:
		outages.Refused(r.Context(), err)
		w.Header().Set("Retry-After", outage.RetryAfterHeader)
	case lt.ERATELIMITED:
		var rl *RateLimited
		var busy *bounds.Busy
		switch {
		case errors.As(err, &rl):
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfter(rl.Wait)))
		case errors.As(err, &busy):
			w.Header().Set("Retry-After", strconv.Itoa(busy.Seconds()))
		}
	}
}

// RateLimited is a RATE_LIMITED refusal of a redeem that knows how long to
// wait.
type RateLimited struct {
	Wait time.Duration
}

func (e *RateLimited) Error() string { return lt.RedeemOutcomeMessage(lt.ERATELIMITED) }

// Unwrap makes it a domain error with the RATE_LIMITED code.
func (e *RateLimited) Unwrap() error { return lt.Errorf(lt.ERATELIMITED, "%s", e.Error()) }

// RetryAfter is a wait in whole seconds, rounded up, at least one: the
// value of a Retry-After header.
func RetryAfter(d time.Duration) int { return max(1, int((d+time.Second-1)/time.Second)) }

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string          `json:"type"`
	Title  string          `json:"title"`
	Status int             `json:"status"`
	Detail string          `json:"detail"`
	Code   string          `json:"code"`
	Errors []lt.FieldError `json:"errors,omitempty"`
}

// ProblemFor turns an error into a problem. Internal errors say nothing
// about their cause: no SQL, no stack, no values.
func ProblemFor(err error) Problem {
	code := lt.ErrorCode(err)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		code = lt.ETOOLARGE
		err = lt.Errorf(lt.ETOOLARGE, "the request body is larger than %d bytes", maxErr.Limit)
	}
	status := Status(code)
	p := Problem{Type: "/api/docs#problem-" + code, Title: http.StatusText(status), Status: status, Code: code, Detail: lt.ErrorMessage(err)}
	var e *lt.Error
	if errors.As(err, &e) && code == lt.EINVALID {
		p.Errors = e.Fields
	}
	switch busy := new(bounds.Busy); {
	case lt.IsRedeemCode(code) && !errors.As(err, &busy):
		p.Detail = lt.RedeemOutcomeMessage(code)
	case code == lt.EUNAVAILABLE:
		p.Detail = unavailableDetail
	}
	return p
}

// unavailableDetail is the whole of what an UNAVAILABLE problem says: the
// cause (the database and its error) is for the log.
const unavailableDetail = "the service is briefly unavailable; try again in a few seconds"

// WriteProblem answers p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p Problem) {
	writeAs(w, "application/problem+json", p.Status, p)
}
