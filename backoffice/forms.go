package backoffice

// What the forms and pages say: the one mapping from a domain error to a
// form's messages, and the sentences and plurals they are written in.

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/internal/web"
)

// formFields says where a form shows the messages of an error's fields.
type formFields struct {
	// Labels are the fields the form shows messages next to, with their
	// labels: a message that does not say what it is about ("is
	// required") starts with its field's label ("Email is required."); a
	// field labelled "" shows its messages as they are.
	Labels map[string]string
	// As maps the other names an error gives a field to the field the form
	// shows (contactId to user).
	As map[string]string
	// Name says what a message shown above the form is about: by default
	// its field's name; "" for a message that says it itself.
	Name func(lt.FieldError) string
}

// formErrors places an INVALID_INPUT, CONFLICT or FORBIDDEN error on a
// form: the messages of each field the form shows next to it, the rest
// and the error's own message above the form (key ""), each a sentence,
// several joined. status is the answer's; ok is false for any other
// error, which the caller fails with.
func formErrors(err error, form formFields) (errs map[string]string, status int, ok bool) {
	var e *lt.Error
	if !errors.As(err, &e) || (e.Code != lt.EINVALID && e.Code != lt.ECONFLICT && e.Code != lt.EFORBIDDEN) {
		return nil, 0, false
	}
	errs = map[string]string{}
	add := func(field, msg string) { errs[field] = strings.TrimSpace(errs[field] + " " + sentence(msg)) }
	if len(e.Fields) == 0 {
		add("", e.Message)
	}
	for _, fe := range e.Fields {
		field := fe.Field
		if as, ok := form.As[field]; ok {
			field = as
		}
		label, shown := form.Labels[field]
		switch {
		case !shown:
			name := fe.Field
			if form.Name != nil {
				name = form.Name(fe)
			}
			if name != "" {
				name += ": "
			}
			add("", name+fe.Message)
		case label != "" && (strings.HasPrefix(fe.Message, "is ") || strings.HasPrefix(fe.Message, "must ") || strings.HasPrefix(fe.Message, "holds ")):
			add(field, label+" "+fe.Message)
		default:
			add(field, fe.Message)
		}
	}
	return errs, web.Status(e.Code), true
}

// sentence starts s with a capital and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// plural is one or many, as n asks.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// countNoun is n and its noun: "1 contact", "12 contacts".
func countNoun(n int, one, many string) string { return strconv.Itoa(n) + " " + plural(n, one, many) }
