// Package web is what the service's HTTP adapters (the admin API, the
// backoffice, the sign-in pages) answer alike, written once: the address
// of the client, the HTTP status of each domain error code and the
// headers a refusal carries, JSON and problem+json answers, the links
// that carry a token, and the middleware around the whole service
// (request ids, security headers, panics, the request log, metrics).
// The adapters import it, never each other for these things.
package web

import (
	_ "embed"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
)

// Entry is a path where a login token signs its user in.
type Entry string

const (
	// Login is the sign-in link a person opens.
	Login Entry = "/login"
	// OCI is the punchout entry a procurement system opens.
	OCI Entry = "/oci/login"
)

// Link is the URL that signs in with value at e of the service at
// publicURL (no trailing slash): the only kind of URL that carries a
// token value, which the request log therefore redacts. The value is
// escaped as a query value, so the link holds it whatever it is.
func (e Entry) Link(publicURL, value string) string {
	return publicURL + string(e) + "?token=" + url.QueryEscape(value)
}

// OCIOff is what stands where an OCI punchout link would while punchout
// is off: no procurement system's hook is allowed, so the link would only
// ever answer that it is off.
const OCIOff = "OCI punchout is off: set LOGINTOKENS_OCI_HOOK_ALLOW to the hook URLs of your procurement systems to turn it on"

// OCILink is the OCI punchout link of value, or nil while punchout is off.
func OCILink(on bool, publicURL, value string) *string {
	if !on {
		return nil
	}
	link := OCI.Link(publicURL, value)
	return &link
}

//go:embed favicon.ico
var favicon []byte

// Favicon answers GET /favicon.ico, which every browser asks for on every
// page the service serves: a key on blue, 32 pixels.
func Favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(favicon)
}

// WriteJSON answers v as JSON with status; the answer is never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeAs(w, "application/json", status, v)
}

func writeAs(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}
