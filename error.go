// Package logintokens is the domain of the login token service: tokens, the
// people they sign in (contacts, customers), staff, API keys, grants and the
// audit trail, with the rules that decide a token's status and a redeem's
// outcome. It imports nothing of the project; adapters (sqlstore, httpapi,
// cmd/logintokens) import it.
package logintokens

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They are the `code` of the API's problem documents, so they
// are part of the contract and never change.
const (
	EINVALID         = "INVALID_INPUT"
	EUNAUTHENTICATED = "UNAUTHENTICATED"
	EFORBIDDEN       = "FORBIDDEN"
	ENOTFOUND        = "NOT_FOUND"
	ECONFLICT        = "CONFLICT"
	ETOOLARGE        = "PAYLOAD_TOO_LARGE"
	// EMETHOD: the path exists but not with this method; the answer's
	// Allow header lists the methods it takes.
	EMETHOD      = "METHOD_NOT_ALLOWED"
	ERATELIMITED = "RATE_LIMITED"
	EINTERNAL    = "INTERNAL"
	// EUNAVAILABLE: the service cannot serve the request for a while (the
	// database does not answer); the caller may try again shortly.
	EUNAVAILABLE = "UNAVAILABLE"

	// Redeem outcomes (docs/api.md, "Redeem outcomes").
	ETOKENINVALID = "TOKEN_INVALID"
	// ENETWORKREFUSED: the token is bound to client networks and the
	// redeem came from outside them.
	ENETWORKREFUSED = "NETWORK_NOT_ALLOWED"
	ETOKENUSED      = "TOKEN_USED"
	ETOKENEXPIRED   = "TOKEN_EXPIRED"
	EUSERDISABLED   = "USER_DISABLED"
)

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type the domain and its adapters return for
// anything a caller can act on. Anything else is an internal error.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message. Like
// every message of an *Error, it never carries a token value's or API
// key's secret (RedactSecrets); inputs are quoted with QuoteInput.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: RedactSecrets(fmt.Sprintf(format, args...))}
}

// Invalid returns an INVALID_INPUT error naming one field.
func Invalid(field, format string, args ...any) *Error {
	msg := RedactSecrets(fmt.Sprintf(format, args...))
	field = ShowInput(field)
	return &Error{Code: EINVALID, Message: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of an *Error, secrets cut;
// internal errors get a generic message so that no driver text reaches a
// caller.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return RedactSecrets(e.Message)
	}
	return "internal error"
}

// Validation collects field errors so that one response names every bad field.
type Validation struct{ fields []FieldError }

// Add records that field is invalid. The field's name may come from the
// request (an unknown parameter), so it is shown with ShowInput; the
// message has its secrets cut.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: ShowInput(field), Message: RedactSecrets(fmt.Sprintf(format, args...))})
}

// Merge adds the fields of err when it is an INVALID_INPUT *Error, and
// returns false (recording nothing) for any other error.
func (v *Validation) Merge(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID {
		return false
	}
	if len(e.Fields) == 0 {
		v.fields = append(v.fields, FieldError{Message: e.Message})
	}
	v.fields = append(v.fields, e.Fields...)
	return true
}

// Err returns nil when nothing was added, else one INVALID_INPUT error.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	parts := make([]string, len(v.fields))
	for i, f := range v.fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &Error{Code: EINVALID, Message: strings.Join(parts, "; "), Fields: v.fields}
}
