package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one mail to send.
type Message struct {
	To, ToName string
	Subject    string
	Text, HTML string
}

// Transport sends a message and answers the server's reply to it.
type Transport interface {
	Send(ctx context.Context, m *Message) (answer string, err error)
}

// SendTimeout bounds one conversation with the mail server.
const SendTimeout = 30 * time.Second

// SMTP sends through the configured mail server, one connection per
// message.
type SMTP struct {
	cfg *Config
}

// NewSMTP returns the transport of cfg.
func NewSMTP(cfg *Config) *SMTP { return &SMTP{cfg: cfg} }

// Config is the transport's configuration.
func (s *SMTP) Config() *Config { return s.cfg }

// PermanentError is a refusal that sending again will not change: the
// server rejected the mail with a 5xx reply.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a refusal not worth retrying.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Send writes m as multipart/alternative (text, then HTML) and sends it.
// The answer is the server's reply to the message's data ("250 2.0.0 Ok:
// queued as ..."). Errors never hold the password.
func (s *SMTP) Send(ctx context.Context, m *Message) (string, error) {
	msg, err := s.message(m)
	if err != nil {
		return "", err
	}
	c, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return "", s.scrub(err)
	}
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		permanent := errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500
		if err = s.scrub(err); permanent {
			return "", &PermanentError{err}
		}
		return "", err
	}
	return strings.TrimSpace(msg.ServerResponse()), nil
}

func (s *SMTP) options() []gomail.Option {
	c := s.cfg
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(SendTimeout)}
	tc := c.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	switch c.TLS {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case StartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case StartTLSOff:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if c.TLS == StartTLSOff {
			// Without TLS the password travels in the clear: the
			// operator asked for that with starttls=off.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	return opts
}

func (s *SMTP) message(m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	from := s.cfg.From
	if err := msg.FromFormat(from.Name, from.Address); err != nil {
		return nil, fmt.Errorf("the sender %s: %w", from.Address, err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, &PermanentError{fmt.Errorf("the recipient %s: %w", m.To, err)}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// scrub takes the password out of an error's text, in case a library
// ever repeats it.
func (s *SMTP) scrub(err error) error {
	if s.cfg.Password == "" || !strings.Contains(err.Error(), s.cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), s.cfg.Password, "…"))
}
