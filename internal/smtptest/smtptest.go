// Package smtptest is a real SMTP server (github.com/emersion/go-smtp) on
// loopback for tests: it keeps what it receives, and may ask for a user
// and password or offer STARTTLS.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server took.
type Received struct {
	From string
	To   []string
	Data []byte
	// TLS: the message travelled over TLS (STARTTLS).
	TLS bool
}

// Server is a real SMTP server on loopback, started by Start and stopped
// when the test ends (or by Stop).
type Server struct {
	srv *smtp.Server
	l   net.Listener
	// Addr is host:port.
	Addr string
	// user and password, when set, are the only credentials it takes.
	user, password string
	msgs           chan Received
}

// Start starts a server on addr ("" for any loopback port); tlsConfig,
// when set, offers STARTTLS; user, when set, is required with password.
func Start(t testing.TB, addr string, tlsConfig *tls.Config, user, password string) *Server {
	t.Helper()
	return start(t, addr, tlsConfig, false, user, password)
}

// StartImplicitTLS starts a server that speaks TLS from the first byte
// (smtps).
func StartImplicitTLS(t testing.TB, tlsConfig *tls.Config, user, password string) *Server {
	t.Helper()
	return start(t, "", tlsConfig, true, user, password)
}

func start(t testing.TB, addr string, tlsConfig *tls.Config, implicit bool, user, password string) *Server {
	t.Helper()
	s := &Server{user: user, password: password, msgs: make(chan Received, 16)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{srv: s, conn: c}, nil }))
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
	s.Addr = l.Addr().String()
	if implicit {
		l = tls.NewListener(l, tlsConfig)
	}
	s.l = l
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Stop closes the server: it refuses connections from now on.
func (s *Server) Stop() {
	// The listener first: Serve may not have taken it yet.
	s.l.Close()
	s.srv.Close()
}

// Next returns the next message received, or fails the test when there
// is none.
func (s *Server) Next(t testing.TB) Received {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	default:
		t.Fatal("the SMTP server received nothing")
	}
	return Received{}
}

// Count is how many received messages wait to be read.
func (s *Server) Count() int { return len(s.msgs) }

type session struct {
	conn *smtp.Conn
	srv  *Server
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
	case s.srv.msgs <- Received{From: s.from, To: s.to, Data: b.Bytes(), TLS: tlsOn(s.conn)}:
	default:
		return errors.New("mailbox full")
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// Parsed is a received message as a MIME parser reads it: its headers,
// its decoded subject and its two parts.
type Parsed struct {
	Header     netmail.Header
	Subject    string
	Text, HTML string
}

// Parse reads a message that must be multipart/alternative with a
// text/plain and then a text/html part.
func Parse(t testing.TB, data []byte) Parsed {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	p := Parsed{Header: m.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative (%v)", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		types = append(types, ct)
		switch ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	return p
}

// TLSPair is a self-signed certificate for 127.0.0.1: the server's
// configuration, and the client's that trusts it.
func TLSPair(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}

func tlsOn(c *smtp.Conn) bool {
	if _, ok := c.Conn().(*tls.Conn); ok {
		return true
	}
	_, ok := c.TLSConnectionState()
	return ok
}
