package backoffice

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// A device cookie tells the sign-in that this browser has signed in to
// the account before. It holds the staff member's id and a random nonce,
// signed with an HMAC of the id, the email signed in with and the nonce,
// so it is trusted only for signing in as that email. A sign-in with a
// trusted cookie is counted by its cookie alone, not by its network, and
// has a password check reserved for it (throttle.check): wrong passwords
// sent from anywhere else cannot keep that browser out.
const (
	deviceCookie = "lt_device"
	// devicePath sends the cookie with the sign-in only.
	devicePath = "/admin/login"
	deviceAge  = 365 * 24 * 60 * 60
	// maxDeviceCookie bounds what is looked at of a presented cookie: an
	// id, a nonce of 32 and a MAC of 43 characters.
	maxDeviceCookie = 128
	// DeviceKeyLabel names the device cookies' key among the keys
	// derived from the server key (lt.Keyring.Derive).
	DeviceKeyLabel = "backoffice device cookie"
)

// newDeviceKey is the key of a backoffice made without one: random, so
// its cookies are trusted by this process only.
func newDeviceKey() []byte {
	key := make([]byte, lt.KeySize)
	rand.Read(key)
	return key
}

// deviceMAC signs a device cookie's id and nonce for email.
func (s *Server) deviceMAC(id, email, nonce string) string {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte("logintokens device\x00" + id + "\x00" + email + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setDevice gives the browser a new device cookie of the staff member
// who signed in with email.
func (s *Server) setDevice(w http.ResponseWriter, staffID int64, email string) {
	id, nonce := strconv.FormatInt(staffID, 10), lt.NewSecret()
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: id + "." + nonce + "." + s.deviceMAC(id, email, nonce),
		Path: devicePath, MaxAge: deviceAge, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// trustedDevice answers the key that counts the sign-ins of the request's
// device cookie when it was issued for email, else "" (no cookie, or a
// forged, altered or another account's one).
func (s *Server) trustedDevice(r *http.Request, email string) string {
	ck, err := r.Cookie(deviceCookie)
	if err != nil || len(ck.Value) > maxDeviceCookie {
		return ""
	}
	id, rest, _ := strings.Cut(ck.Value, ".")
	nonce, mac, ok := strings.Cut(rest, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.deviceMAC(id, email, nonce))) {
		return ""
	}
	return nonce
}
