package mail_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message a test SMTP server took.
type received struct {
	From string
	To   []string
	Data []byte
}

// smtpServer is a real SMTP server on loopback, started and stopped by
// the test.
type smtpServer struct {
	srv  *smtp.Server
	addr string
	// user and password, when set, are the only credentials it takes.
	user, password string
	mu             sync.Mutex
	msgs           chan received
	auths          []string
}

// startSMTP starts a server; tlsConfig, when set, offers STARTTLS.
func startSMTP(t *testing.T, addr string, tlsConfig *tls.Config, user, password string) *smtpServer {
	t.Helper()
	s := &smtpServer{user: user, password: password, msgs: make(chan received, 16)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	s.srv.Domain = "mx.test"
	s.srv.AllowInsecureAuth = true
	s.srv.TLSConfig = tlsConfig
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s.addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *smtpServer) stop() { s.srv.Close() }

type session struct {
	srv  *smtpServer
	from string
	to   []string
	auth bool
}

func (s *session) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != s.srv.user || password != s.srv.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.auth = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && !s.auth {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	select {
	case s.srv.msgs <- received{From: s.from, To: s.to, Data: b.Bytes()}:
	default:
		return errors.New("mailbox full")
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
