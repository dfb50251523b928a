package main

import (
	"io"
	"log/slog"

	"github.com/logintokens/logintokens/logredact"
)

// newLogger logs to w as text or JSON. Every string that reaches a log
// line, the message included, passes through logredact (docs/secrets.md).
func newLogger(w io.Writer, format string) *slog.Logger {
	var h slog.Handler = slog.NewTextHandler(w, nil)
	if format == "json" {
		h = slog.NewJSONHandler(w, nil)
	}
	return slog.New(logredact.NewHandler(h))
}
