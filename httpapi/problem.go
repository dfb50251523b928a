package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/bounds"
	"github.com/logintokens/logintokens/internal/outage"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	lt.EINVALID:         http.StatusBadRequest,
	lt.EUNAUTHENTICATED: http.StatusUnauthorized,
	lt.EFORBIDDEN:       http.StatusForbidden,
	lt.ENOTFOUND:        http.StatusNotFound,
	lt.ECONFLICT:        http.StatusConflict,
	lt.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	lt.ERATELIMITED:     http.StatusTooManyRequests,
	lt.EUNAVAILABLE:     http.StatusServiceUnavailable,
	lt.ETOKENINVALID:    http.StatusBadRequest,
	lt.ETOKENUSED:       http.StatusBadRequest,
	lt.ETOKENEXPIRED:    http.StatusBadRequest,
	lt.EUSERDISABLED:    http.StatusBadRequest,
	lt.EINTERNAL:        http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of a domain error code.
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string          `json:"type"`
	Title  string          `json:"title"`
	Status int             `json:"status"`
	Detail string          `json:"detail"`
	Code   string          `json:"code"`
	Errors []lt.FieldError `json:"errors,omitempty"`
}

// problemFor turns an error into a problem. Internal errors say nothing
// about their cause: no SQL, no stack, no values.
func problemFor(err error) Problem {
	code := lt.ErrorCode(err)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		code = lt.ETOOLARGE
		err = lt.Errorf(lt.ETOOLARGE, "the request body is larger than %d bytes", maxErr.Limit)
	}
	status := StatusOf(code)
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

// writeError answers err as problem+json and logs internal errors.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	switch {
	case p.Code == lt.EUNAVAILABLE:
		// Every request fails alike during an outage: reported once per
		// interval, not once each.
		s.Outages.Refused(r.Context(), err)
		w.Header().Set("Retry-After", outage.RetryAfterHeader)
	case p.Status >= 500:
		s.log.ErrorContext(r.Context(), "internal error", "route", r.Pattern, "err", err)
	}
	if p.Status == http.StatusUnauthorized {
		// Every credential the API takes is a bearer token (RFC 6750).
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	if p.Code == lt.ERATELIMITED {
		var rl *rateLimited
		var busy *bounds.Busy
		switch {
		case errors.As(err, &rl):
			w.Header().Set("Retry-After", strconv.Itoa(int((rl.wait+time.Second-1)/time.Second)))
		case errors.As(err, &busy):
			w.Header().Set("Retry-After", strconv.Itoa(busy.Seconds()))
		}
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// rateLimited is a RATE_LIMITED error that knows how long to wait.
type rateLimited struct {
	wait time.Duration
}

func (e *rateLimited) Error() string { return lt.RedeemOutcomeMessage(lt.ERATELIMITED) }

// Unwrap makes it a domain error with the RATE_LIMITED code.
func (e *rateLimited) Unwrap() error { return lt.Errorf(lt.ERATELIMITED, "%s", e.Error()) }

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}
