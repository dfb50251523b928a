// Package logredact keeps secrets out of logs (docs/secrets.md): anything
// shaped like a token value or an API key is cut to lt_<id>_… / ltk_<id>_…,
// and the query parameters token, mtoken and PASSWORD lose their value,
// whatever it is. The service's loggers wrap their handler in NewHandler,
// so every message, string attribute and error passes through String; the
// request log builds its line with URL.
package logredact

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Mask replaces a secret.
const Mask = lt.RedactedSecret

// secretParamRE matches the query parameters that carry credentials in
// free text, whatever they hold.
var secretParamRE = regexp.MustCompile(`(?i)((?:^|[?&;\s])(?:token|mtoken|password)=)[^&#\s]*`)

// String hides the secrets in s: token values and API keys are cut by the
// domain's one rule, lt.RedactSecrets (the id stays, so a log still says
// which one), and the secret parameters lose their value.
func String(s string) string {
	if !strings.Contains(s, "_") && !strings.Contains(s, "=") && !strings.Contains(s, "%") {
		return s // the common case: nothing to look at
	}
	s = lt.RedactSecrets(s)
	return secretParamRE.ReplaceAllString(s, "${1}"+Mask)
}

// SecretParam reports whether a query parameter carries a credential: token,
// mtoken or PASSWORD, in any case.
func SecretParam(name string) bool {
	return strings.EqualFold(name, "token") || strings.EqualFold(name, "mtoken") || strings.EqualFold(name, "password")
}

// Query returns a copy of q with the secret parameters' values replaced by
// Mask and secrets in the other values cut.
func Query(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, vs := range q {
		rk := String(k)
		for _, v := range vs {
			if SecretParam(k) {
				v = Mask
			} else {
				v = String(v)
			}
			out[rk] = append(out[rk], v)
		}
	}
	return out
}

// URL returns the path and query of u for a log line, redacted. The path
// is the decoded one, so a percent-encoded value is recognised too; the
// query keeps only the parameters that parse.
func URL(u *url.URL) string {
	p := String(u.Path)
	if u.RawQuery == "" {
		return p
	}
	q := Query(u.Query())
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(p)
	sep := "?"
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteString(sep)
			b.WriteString(unescapeMask(url.QueryEscape(k)))
			b.WriteString("=")
			b.WriteString(unescapeMask(url.QueryEscape(v)))
			sep = "&"
		}
	}
	return b.String()
}

// escapedMask is Mask after url.QueryEscape; a log reads better with "…".
var escapedMask = url.QueryEscape(Mask)

func unescapeMask(s string) string { return strings.ReplaceAll(s, escapedMask, Mask) }

// Attr returns a with its key and value redacted: strings, errors,
// fmt.Stringers and groups pass through String; any other value of kind
// Any is formatted with %+v first, so that no struct field can carry a
// secret past the filter. Numbers, booleans, times and durations stay.
func Attr(a slog.Attr) slog.Attr {
	a.Key = String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(String(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]slog.Attr, len(as))
		for i, ga := range as {
			out[i] = Attr(ga)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case nil:
			a.Value = v
		case error:
			a.Value = slog.StringValue(String(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(String(x.String()))
		case []byte:
			a.Value = slog.StringValue(String(string(x)))
		default:
			a.Value = slog.StringValue(String(fmt.Sprintf("%+v", x)))
		}
	default:
		a.Value = v
	}
	return a
}

// NewHandler wraps h so that the message and every attribute of every
// record, including those added with Logger.With, are redacted.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*handler); ok {
		return h
	}
	return &handler{inner: h}
}

type handler struct{ inner slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(Attr(a))
		return true
	})
	return h.inner.Handle(ctx, nr)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = Attr(a)
	}
	return &handler{inner: h.inner.WithAttrs(out)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(String(name))}
}
