package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var msgTime = time.Date(2022, 5, 13, 17, 23, 0, 0, time.UTC)

func alarmMessage(protocol, endpoint string) Message {
	return Message{
		Protocol: protocol, Endpoint: endpoint, TopicARN: "arn:aws:sns:us-east-1:123456789012:Topic-123456789012-AwsIAMEvent",
		Subject: `ALARM: "AlarmIAMWarn" in US East (N. Virginia)`,
		Body:    `{"AlarmName":"AlarmIAMWarn","NewStateValue":"ALARM"}`,
		Time:    msgTime, Alarm: "AlarmIAMWarn", State: "ALARM",
		Reason: "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (13/05/22 17:18:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
	}
}

// fakeSink fails the first failures attempts with err.
type fakeSink struct {
	mu       sync.Mutex
	failures int
	err      error
	calls    int
}

func (f *fakeSink) Send(_ context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	return nil
}

type oneSink struct{ s Sink }

func (o oneSink) Sink(Message) (Sink, error) { return o.s, nil }

// recordSleep records the waits instead of waiting: no timing in tests.
type recordSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recordSleep) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func TestDispatcherRetries(t *testing.T) {
	transient := errors.New("connection refused")
	tests := []struct {
		name      string
		failures  int
		err       error
		attempts  int
		wantErr   string
		wantWaits []time.Duration
	}{
		{"first try", 0, nil, 1, "", nil},
		{"third try", 2, transient, 3, "", []time.Duration{time.Second, 2 * time.Second}},
		{"gives up", 10, transient, 5, "gave up after 5 attempts: connection refused",
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}},
		{"permanent", 10, Permanent(errors.New("400 Bad Request")), 1, "400 Bad Request", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeSink{failures: tt.failures, err: tt.err}
			rs := &recordSleep{}
			d := NewDispatcher(context.Background(), oneSink{sink}, Retry{Attempts: 5, Initial: time.Second, Max: 4 * time.Second, Sleep: rs.sleep}, 1, 1)
			d.Enqueue(alarmMessage("stdout", ""))
			res := d.Close()
			if len(res) != 1 {
				t.Fatalf("%d results", len(res))
			}
			r := res[0]
			if r.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d", r.Attempts, tt.attempts)
			}
			if (r.Err == nil) != (tt.wantErr == "") || (r.Err != nil && !strings.Contains(r.Err.Error(), tt.wantErr)) {
				t.Errorf("err %v, want %q", r.Err, tt.wantErr)
			}
			if fmt.Sprint(rs.waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", rs.waits, tt.wantWaits)
			}
		})
	}
}

func TestDispatcherCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sink := &fakeSink{failures: 100, err: errors.New("down")}
	d := NewDispatcher(ctx, oneSink{sink}, Retry{Attempts: 5, Initial: time.Second, Max: time.Second,
		Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}, 1, 1)
	d.Enqueue(alarmMessage("stdout", ""))
	res := d.Close()
	if len(res) != 1 || !errors.Is(res[0].Err, context.Canceled) {
		t.Fatalf("results %+v", res)
	}
}

func TestRouterConfigErrors(t *testing.T) {
	r := NewRouter(Config{})
	for _, m := range []Message{alarmMessage("email", "a@example.com"), alarmMessage("stdout", ""), alarmMessage("sms", "+1"),
		alarmMessage("sns", "not-an-arn")} {
		if m.Protocol == "sns" {
			m.TopicARN = ""
		}
		if _, err := r.Sink(m); err == nil {
			t.Errorf("%s: no error", m.Protocol)
		}
	}
}

func TestStdoutSink(t *testing.T) {
	var buf bytes.Buffer
	if err := (&StdoutSink{W: &buf}).Send(context.Background(), alarmMessage("stdout", "")); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["type"] != "delivery" || got["subject"] != `ALARM: "AlarmIAMWarn" in US East (N. Virginia)` || !strings.Contains(buf.String(), `"message":"{\"AlarmName\"`) {
		t.Errorf("got %s", buf.String())
	}
}

// TestWebhook posts to a real HTTP server started by the test.
func TestWebhook(t *testing.T) {
	type req struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var got []req
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, req{r.Header.Clone(), b})
		st := status
		mu.Unlock()
		w.WriteHeader(st)
	}))
	defer srv.Close()
	sink := &WebhookSink{Client: srv.Client()}
	ctx := context.Background()

	// SNS-style envelope.
	m := alarmMessage("http", srv.URL+"/hook")
	if err := sink.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	var env SNSEnvelope
	if err := json.Unmarshal(got[0].body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "Notification" || env.TopicArn != m.TopicARN || env.Subject != m.Subject || env.Message != m.Body ||
		env.Timestamp != "2022-05-13T17:23:00.000Z" || env.MessageID != m.ID() {
		t.Errorf("envelope %+v", env)
	}
	if got[0].header.Get("x-amz-sns-message-type") != "Notification" || got[0].header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", got[0].header)
	}

	// Slack-compatible payload.
	m.Format = "slack"
	if err := sink.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	var slack map[string]string
	if err := json.Unmarshal(got[1].body, &slack); err != nil {
		t.Fatal(err)
	}
	if len(slack) != 1 || !strings.HasPrefix(slack["text"], "*ALARM: \"AlarmIAMWarn\"") || !strings.Contains(slack["text"], "is now *ALARM*") ||
		!strings.Contains(slack["text"], "OK -> ALARM") {
		t.Errorf("slack payload %s", got[1].body)
	}

	// Server errors are retried, client errors are not.
	for _, tt := range []struct {
		status    int
		permanent bool
	}{{500, false}, {503, false}, {429, false}, {400, true}, {404, true}} {
		mu.Lock()
		status = tt.status
		mu.Unlock()
		err := sink.Send(ctx, m)
		if err == nil || IsPermanent(err) != tt.permanent {
			t.Errorf("status %d: err %v, permanent %v", tt.status, err, IsPermanent(err))
		}
	}
}

// smtpBackend is a real SMTP server's backend that keeps what it receives.
type smtpBackend struct {
	mu       sync.Mutex
	mails    []receivedMail
	password string // "" accepts no AUTH
	rejectTo string
}

type receivedMail struct {
	from string
	to   []string
	data []byte
	user string
}

type smtpSession struct {
	be   *smtpBackend
	cur  receivedMail
	user string
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{be: b}, nil }

func (s *smtpSession) AuthMechanisms() []string {
	if s.be.password == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if password != s.be.password {
			return errors.New("invalid credentials")
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.password != "" && s.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur = receivedMail{from: from, user: s.user}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.be.rejectTo {
		return &smtp.SMTPError{Code: 550, Message: "no such user"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.be.mu.Lock()
	s.be.mails = append(s.be.mails, s.cur)
	s.be.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = receivedMail{} }
func (s *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T, be *smtpBackend) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// TestSMTP sends seed 004's alarm e-mail through a real SMTP server.
func TestSMTP(t *testing.T) {
	be := &smtpBackend{rejectTo: "nobody@example.com"}
	addr := startSMTP(t, be)
	sink := &SMTPSink{Config: SMTPConfig{Address: addr, From: "trailwatch <trailwatch@example.com>"}}
	ctx := context.Background()
	if err := sink.Send(ctx, alarmMessage("email", "secops@example.com")); err != nil {
		t.Fatal(err)
	}
	if len(be.mails) != 1 {
		t.Fatalf("%d mails", len(be.mails))
	}
	got := be.mails[0]
	if got.from != "trailwatch@example.com" || len(got.to) != 1 || got.to[0] != "secops@example.com" {
		t.Errorf("envelope from %s to %v", got.from, got.to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(msg.Body)
	if s := msg.Header.Get("Subject"); s != `ALARM: "AlarmIAMWarn" in US East (N. Virginia)` {
		t.Errorf("subject %q", s)
	}
	if msg.Header.Get("Date") != "Fri, 13 May 2022 17:23:00 +0000" || !strings.HasPrefix(string(body), `{"AlarmName":"AlarmIAMWarn"`) {
		t.Errorf("date %q body %q", msg.Header.Get("Date"), body)
	}

	// email-json carries the SNS envelope.
	if err := sink.Send(ctx, alarmMessage("email-json", "secops@example.com")); err != nil {
		t.Fatal(err)
	}
	msg, _ = mail.ReadMessage(bytes.NewReader(be.mails[1].data))
	body, _ = io.ReadAll(msg.Body)
	var env SNSEnvelope
	if err := json.Unmarshal(bytes.TrimSpace(body), &env); err != nil || env.Type != "Notification" {
		t.Errorf("email-json body %q: %v", body, err)
	}

	// A rejected recipient is permanent; an address that is no address too.
	if err := sink.Send(ctx, alarmMessage("email", "nobody@example.com")); err == nil || !IsPermanent(err) {
		t.Errorf("rejected recipient: %v", err)
	}
	if err := sink.Send(ctx, alarmMessage("email", "not an address")); err == nil || !IsPermanent(err) {
		t.Errorf("bad address: %v", err)
	}
}

func TestSMTPAuth(t *testing.T) {
	be := &smtpBackend{password: "s3cret"}
	addr := startSMTP(t, be)
	good := &SMTPSink{Config: SMTPConfig{Address: addr, From: "trailwatch@example.com", Username: "tw", Password: "s3cret"}}
	if err := good.Send(context.Background(), alarmMessage("email", "secops@example.com")); err != nil {
		t.Fatal(err)
	}
	if len(be.mails) != 1 || be.mails[0].user != "tw" {
		t.Errorf("mails %+v", be.mails)
	}
	bad := &SMTPSink{Config: SMTPConfig{Address: addr, From: "trailwatch@example.com", Username: "tw", Password: "wrong"}}
	if err := bad.Send(context.Background(), alarmMessage("email", "secops@example.com")); err == nil || !IsPermanent(err) {
		t.Errorf("bad password: %v", err)
	}
}

// snsServer speaks the SNS Query protocol: form-encoded requests, XML
// responses, as the real service does.
type snsServer struct {
	mu        sync.Mutex
	published []url.Values
	auth      []string
	fail      []string // error codes to answer with, one per request
}

func (s *snsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if len(s.fail) > 0 {
		code := s.fail[0]
		s.fail = s.fail[1:]
		status := 400
		if code == "InternalError" {
			status = 500
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, code, code)
		return
	}
	if r.Form.Get("Action") != "Publish" {
		http.Error(w, "unexpected action "+r.Form.Get("Action"), 400)
		return
	}
	s.published = append(s.published, r.Form)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>msg-%d</MessageId></PublishResult><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></PublishResponse>`, len(s.published))
}

// TestSNS publishes through aws-sdk-go-v2 to a local server speaking the
// SNS Query protocol; no AWS account or network is needed.
func TestSNS(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	fake := &snsServer{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	router := NewRouter(Config{
		SNS:        SNSConfig{Endpoint: srv.URL, Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")},
		HTTPClient: srv.Client(),
	})
	m := alarmMessage("sns", "")
	sink, err := router.Sink(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := sink.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if len(fake.published) != 1 {
		t.Fatalf("%d publishes", len(fake.published))
	}
	p := fake.published[0]
	if p.Get("TopicArn") != m.TopicARN || p.Get("Message") != m.Body || p.Get("Subject") != m.Subject {
		t.Errorf("publish %v", p)
	}
	if !strings.HasPrefix(fake.auth[0], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(fake.auth[0], "/us-east-1/sns/aws4_request") {
		t.Errorf("request not signed for us-east-1 SNS: %q", fake.auth[0])
	}

	// Throttling and server errors are retried by the dispatcher; an
	// authorization error is not.
	fake.fail = []string{"Throttling", "InternalError"}
	rs := &recordSleep{}
	d := NewDispatcher(ctx, router, Retry{Attempts: 3, Initial: time.Second, Max: time.Minute, Sleep: rs.sleep}, 1, 4)
	d.Enqueue(m)
	res := d.Close()
	if res[0].Err != nil || res[0].Attempts != 3 || len(fake.published) != 2 {
		t.Errorf("after throttling: %+v, %d publishes", res[0], len(fake.published))
	}
	fake.fail = []string{"AuthorizationError"}
	if err := sink.Send(ctx, m); err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "AuthorizationError") {
		t.Errorf("authorization error: %v", err)
	}
}

func TestSNSSubject(t *testing.T) {
	long := strings.Repeat("x", 120)
	if got := snsSubject(long); len(got) != 100 {
		t.Errorf("len %d", len(got))
	}
	if got := snsSubject("a\nb\tc é"); got != "a b c" {
		t.Errorf("%q", got)
	}
}

func TestMessageID(t *testing.T) {
	a, b := alarmMessage("email", "x@example.com"), alarmMessage("email", "y@example.com")
	if a.ID() == b.ID() || a.ID() != alarmMessage("email", "x@example.com").ID() || len(a.ID()) != 36 {
		t.Errorf("ids %s %s", a.ID(), b.ID())
	}
}
