package main

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
)

// newLogger logs to w as text or JSON. Every string that reaches a log
// line, the message included, passes through redact (CONTRACT §3).
func newLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: redactAttr}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(redact(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(redact(v.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(redact(v.String()))
		}
	}
	return a
}

var (
	// secretValueRE matches token values and API keys: lt_<id>_<secret>,
	// ltk_<id>_<secret>. The id stays, so a log still says which.
	secretValueRE = regexp.MustCompile(`(ltk?_[a-z0-9]{12,26}_)[A-Za-z0-9]+`)
	// secretParamRE matches the query parameters that carry credentials,
	// whatever they hold.
	secretParamRE = regexp.MustCompile(`(?i)((?:^|[?&;\s])(?:token|mtoken|password)=)[^&#\s]*`)
)

// redact hides secrets in s: token values and API keys become
// lt_<id>_… / ltk_<id>_…, and the parameters token, mtoken and PASSWORD
// lose their value.
func redact(s string) string {
	s = secretValueRE.ReplaceAllString(s, "${1}…")
	return secretParamRE.ReplaceAllString(s, "${1}…")
}
