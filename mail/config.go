// Package mail sends login links by e-mail: the SMTP configuration, the
// message (a plain-text and an HTML part from templates editable per shop
// or for the installation, in English and German), and the service that
// queues a token's mail and sends it later (docs/mail.md). It talks SMTP
// through github.com/wneessen/go-mail. The SMTP password is never put in
// a log line, an error or an audit event.
package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// TLS modes of an SMTP connection.
const (
	// StartTLSRequired: the connection must switch to TLS with STARTTLS;
	// a server without it fails the send.
	StartTLSRequired = "required"
	// StartTLSOpportunistic: STARTTLS when the server offers it, else
	// plain text.
	StartTLSOpportunistic = "opportunistic"
	// StartTLSOff: plain text (a relay on the same host or network).
	StartTLSOff = "off"
	// ImplicitTLS: TLS from the first byte (smtps://, port 465).
	ImplicitTLS = "implicit"
)

// Config is where and how mail is sent.
type Config struct {
	Host string
	Port int
	// TLS is one of StartTLSRequired, StartTLSOpportunistic, StartTLSOff
	// and ImplicitTLS.
	TLS      string
	Username string
	// Password is a secret: never logged or put in an error.
	Password string
	// From is the sender, with its display name.
	From *mail.Address
	// TLSConfig, when set, replaces the default (the system's roots,
	// the host's name): for tests with a server of their own.
	TLSConfig *tls.Config
}

// String describes the configuration without the password.
func (c *Config) String() string {
	user := ""
	if c.Username != "" {
		user = c.Username + "@"
	}
	return fmt.Sprintf("%s%s (TLS %s)", user, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.TLS)
}

// ParseSMTPURL reads an SMTP URL: smtp://user:password@host:port with
// ?starttls=required|opportunistic|off (default required), or smtps:// for
// implicit TLS. The port defaults to 587 for smtp and 465 for smtps. Its
// errors never repeat the URL, which may hold a password.
func ParseSMTPURL(s string) (*Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's errors repeat the URL, password and all.
		return nil, errors.New("is not a URL; want smtp://user:password@host:port?starttls=required (escape a special character of the password with %XX)")
	}
	c := &Config{}
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = StartTLSRequired, 587
	case "smtps":
		c.TLS, c.Port = ImplicitTLS, 465
	default:
		return nil, errors.New("want smtp:// or smtps://, such as smtp://user:password@host:587?starttls=required")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return nil, errors.New("names no host; want smtp://user:password@host:port")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("the port must be 1 to 65535")
		}
		c.Port = n
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return nil, errors.New("want no path or fragment after host:port")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return nil, errors.New("names a password without a user name")
		}
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, fmt.Errorf("unknown parameter %q; the only one is starttls", k)
		}
	}
	if mode, ok := q["starttls"]; ok {
		if c.TLS == ImplicitTLS {
			return nil, errors.New("starttls does not apply to smtps:// (TLS from the start); use smtp:// for STARTTLS")
		}
		switch m := strings.Join(mode, ","); m {
		case StartTLSRequired, StartTLSOpportunistic, StartTLSOff:
			c.TLS = m
		default:
			return nil, errors.New("starttls must be required, opportunistic or off")
		}
	}
	return c, nil
}

// ParseFrom reads the sender: an address with a display name, such as
// "Shop Team <team@example.com>", or an address alone.
func ParseFrom(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New(`want an address with a display name, such as "Shop Team <team@example.com>"`)
	}
	return a, nil
}
