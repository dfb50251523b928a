package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/logintokens/logintokens/logredact"
)

// RequestIDHeader carries the request id, given by a proxy in front or
// made here, and answered back so a user's report can be found in the log.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the id Middleware gave the request, "" outside it.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Middleware wraps the whole service (API, backoffice, sign-in): it gives
// each request an id, sets the security headers every answer needs (a
// handler may override them), turns a panic into a 500 problem whose stack
// goes to the log only, and logs one line per request. The line names the
// route pattern and the path with its query redacted (no token value
// reaches the log); it never holds a body or a header's value. The client address is taken
// from X-Forwarded-For only when the peer is one of trustedProxies.
func Middleware(h http.Handler, log *slog.Logger, trustedProxies ...netip.Prefix) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	// Whatever the caller's handler, these lines carry no secret.
	log = slog.New(logredact.NewHandler(log.Handler()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r.Header.Get(RequestIDHeader))
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		hdr := w.Header()
		hdr.Set(RequestIDHeader, id)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			hdr.Set("Cache-Control", "no-store")
		}
		rw := wrapWriter(w)

		defer func() {
			p := recover()
			if p != nil {
				if p == http.ErrAbortHandler {
					// The handler cut the connection on purpose.
					logRequest(log, r, rw, start, trustedProxies, id)
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic serving a request", "requestId", id, "route", r.Pattern,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rw.status != 0 {
					// The answer has begun: cut the connection so that the
					// client cannot take a truncated answer for a whole one.
					rw.status = http.StatusInternalServerError
					logRequest(log, r, rw, start, trustedProxies, id)
					panic(http.ErrAbortHandler)
				}
				// Drop what the handler meant to answer (a Location, a
				// Content-Disposition) but keep this middleware's headers.
				for k := range hdr {
					if !middlewareHeaders[k] {
						delete(hdr, k)
					}
				}
				WriteProblem(rw, ProblemFor(errPanic))
			}
			logRequest(log, r, rw, start, trustedProxies, id)
		}()
		h.ServeHTTP(rw, r)
	})
}

// middlewareHeaders are the headers Middleware sets; a panic's answer
// keeps them and nothing else the handler set.
var middlewareHeaders = map[string]bool{RequestIDHeader: true, "X-Content-Type-Options": true, "Referrer-Policy": true}

// errPanic answers a panic: an internal error that says nothing of it.
var errPanic = errors.New("panic")

// requestID keeps a proxy's id when it is short and plain, else makes one.
func requestID(given string) string {
	if len(given) > 0 && len(given) <= 64 {
		ok := true
		for i := 0; i < len(given) && ok; i++ {
			c := given[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		}
		if ok {
			return logredact.String(given)
		}
	}
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// quietPaths are polled by probes and scrapers; their lines are debug-level
// so they do not drown the rest.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

func logRequest(log *slog.Logger, r *http.Request, rw *responseWriter, start time.Time, trusted []netip.Prefix, id string) {
	level := slog.LevelInfo
	if quietPaths[r.URL.Path] && rw.statusOrOK() < 500 {
		level = slog.LevelDebug
	}
	if !log.Enabled(r.Context(), level) {
		return
	}
	log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.String("path", logredact.URL(r.URL)),
		slog.Int("status", rw.statusOrOK()),
		slog.Duration("duration", time.Since(start)),
		slog.Int64("bytes", rw.bytes),
		slog.String("client", ClientAddress(r, trusted)),
		slog.String("requestId", id))
}

// responseWriter remembers the status and size of an answer, for the log
// and the metrics.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// wrapWriter wraps w once: the metrics inside Middleware share its writer.
func wrapWriter(w http.ResponseWriter) *responseWriter {
	if rw, ok := w.(*responseWriter); ok {
		return rw
	}
	return &responseWriter{ResponseWriter: w}
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets streaming answers (the CSV export) reach the client as they go.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) statusOrOK() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
