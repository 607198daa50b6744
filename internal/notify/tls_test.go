package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// selfSigned returns a server certificate for 127.0.0.1 and a client TLS
// configuration that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// startTLSSMTP starts an SMTP server that offers STARTTLS and accepts AUTH
// only over TLS.
func startTLSSMTP(t *testing.T, be *smtpBackend, cfg *tls.Config) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = cfg
	srv.AllowInsecureAuth = false
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// TestSMTPStartTLS: the client upgrades when the server offers STARTTLS
// (the server takes AUTH only over TLS), "required" fails without it, and
// the e-mail body leads with the summary line.
func TestSMTPStartTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	be := &smtpBackend{password: "s3cret"}
	addr := startTLSSMTP(t, be, serverTLS)
	m := alarmMessage("email", "secops@example.com")
	m.Summary = `ALARM: "AlarmIAMWarn" in US East (N. Virginia) (caused by alice)`
	sink := &SMTPSink{Config: SMTPConfig{Address: addr, From: "trailwatch@example.com", Username: "tw", Password: "s3cret", TLSConfig: clientTLS}}
	if err := sink.Send(context.Background(), m); err != nil {
		t.Fatalf("opportunistic STARTTLS with AUTH: %v", err)
	}
	if len(be.mails) != 1 || be.mails[0].user != "tw" {
		t.Fatalf("mails %+v", be.mails)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(be.mails[0].data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.HasPrefix(string(body), m.Summary+"\r\n\r\n{\"AlarmName\"") {
		t.Errorf("body does not lead with the summary: %q", body)
	}

	// Without STARTTLS on the server, "required" refuses to send.
	plain := startSMTP(t, &smtpBackend{})
	req := &SMTPSink{Config: SMTPConfig{Address: plain, From: "trailwatch@example.com", StartTLS: "required"}}
	if err := req.Send(context.Background(), alarmMessage("email", "secops@example.com")); err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("required STARTTLS against a plain server: %v", err)
	}
	// An untrusted certificate is a permanent failure, not a silent downgrade.
	untrusted := &SMTPSink{Config: SMTPConfig{Address: addr, From: "trailwatch@example.com"}}
	if err := untrusted.Send(context.Background(), alarmMessage("email", "secops@example.com")); err == nil || !IsPermanent(err) {
		t.Errorf("untrusted certificate: %v", err)
	}
}

// TestFileSink: concurrent deliveries append whole JSON lines.
func TestFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	r := NewRouter(Config{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := alarmMessage("file", path)
			m.Summary = "summary"
			m.Actors = []string{"alice"}
			m.Body = strings.Repeat("x", 10000+i) // longer than an atomic pipe write
			s, err := r.Sink(m)
			if err != nil {
				t.Error(err)
				return
			}
			if err := s.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var fl FileLine
		if err := json.Unmarshal([]byte(l), &fl); err != nil || fl.Summary != "summary" || fl.Actors[0] != "alice" || fl.Alarm != "AlarmIAMWarn" {
			t.Errorf("line %.80q: %v", l, err)
		}
	}
	bad := alarmMessage("file", filepath.Join(t.TempDir(), "no", "such", "dir", "x"))
	s, _ := r.Sink(bad)
	if err := s.Send(context.Background(), bad); err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing directory: %v", err)
	}
}
