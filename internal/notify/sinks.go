package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// Config says how to reach the delivery services.
type Config struct {
	SMTP SMTPConfig
	SNS  SNSConfig
	// Stdout receives stdout deliveries, one JSON line each. Writes must
	// be safe for concurrent use.
	Stdout io.Writer
	// HTTPClient posts webhooks; nil is a client with a 30 s timeout.
	HTTPClient *http.Client
}

// SMTPConfig configures e-mail.
type SMTPConfig struct {
	Address   string // host:port
	From      string
	Username  string
	Password  string
	HelloName string // EHLO name; "" is "localhost"
	// TLS connects with TLS from the start (SMTPS, port 465).
	TLS bool
	// StartTLS is "opportunistic" (default: upgrade when the server offers
	// it), "required" (fail when it does not) or "off".
	StartTLS string
	// TLSConfig overrides the TLS settings (tests: a private CA).
	TLSConfig *tls.Config
}

// SNSConfig configures publishing to SNS.
type SNSConfig struct {
	Region   string
	Endpoint string // base endpoint URL (a local server in tests)
	// Credentials overrides the default credential chain (tests).
	Credentials aws.CredentialsProvider
}

type router struct {
	cfg    Config
	mu     sync.Mutex
	snsCli map[string]*sns.Client // by region
	files  sync.Mutex             // serialises file deliveries
}

// NewRouter returns the router for cfg: one sink per protocol.
func NewRouter(cfg Config) Router {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &router{cfg: cfg, snsCli: map[string]*sns.Client{}}
}

func (r *router) Sink(m Message) (Sink, error) {
	switch m.Protocol {
	case "stdout":
		if r.cfg.Stdout == nil {
			return nil, errors.New("no standard output to write to")
		}
		return &StdoutSink{W: r.cfg.Stdout}, nil
	case "http", "https":
		return &WebhookSink{Client: r.cfg.HTTPClient}, nil
	case "file":
		return &FileSink{mu: &r.files}, nil
	case "email", "email-json":
		if r.cfg.SMTP.Address == "" {
			return nil, errors.New("no SMTP server: set delivery.smtp.address in the rules or pass --smtp HOST:PORT")
		}
		if r.cfg.SMTP.From == "" {
			return nil, errors.New("no sender address: set delivery.smtp.from in the rules or pass --smtp-from ADDRESS")
		}
		return &SMTPSink{Config: r.cfg.SMTP}, nil
	case "sns":
		return r.snsSink(m)
	}
	return nil, fmt.Errorf("unsupported protocol %q", m.Protocol)
}

func (r *router) snsSink(m Message) (Sink, error) {
	topic := m.Endpoint
	if topic == "" {
		topic = m.TopicARN
	}
	region := r.cfg.SNS.Region
	if region == "" {
		if p := strings.Split(topic, ":"); len(p) >= 6 && p[2] == "sns" {
			region = p[3]
		}
	}
	if region == "" {
		return nil, fmt.Errorf("topic %q: not an SNS topic ARN and no delivery.sns.region", topic)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cli := r.snsCli[region]
	if cli == nil {
		opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
		if r.cfg.SNS.Credentials != nil {
			opts = append(opts, awsconfig.WithCredentialsProvider(r.cfg.SNS.Credentials))
		}
		ac, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration: %w", err)
		}
		cli = sns.NewFromConfig(ac, func(o *sns.Options) {
			if r.cfg.SNS.Endpoint != "" {
				o.BaseEndpoint = aws.String(r.cfg.SNS.Endpoint)
			}
			o.HTTPClient = r.cfg.HTTPClient
			o.RetryMaxAttempts = 1 // the dispatcher retries
		})
		r.snsCli[region] = cli
	}
	return &SNSSink{Client: cli, Topic: topic}, nil
}

// marshal is json.Marshal without HTML escaping ("->" stays "->").
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// StdoutSink writes each message as one JSON line.
type StdoutSink struct{ W io.Writer }

// Send implements Sink.
func (s *StdoutSink) Send(_ context.Context, m Message) error {
	b, err := marshal(struct {
		Type      string `json:"type"`
		Protocol  string `json:"protocol"`
		TopicArn  string `json:"topicArn"`
		MessageID string `json:"messageId"`
		Subject   string `json:"subject"`
		Message   string `json:"message"`
	}{"delivery", "stdout", m.TopicARN, m.ID(), m.Subject, m.Body})
	if err != nil {
		return Permanent(err)
	}
	_, err = s.W.Write(append(b, '\n'))
	return err
}

// WebhookSink posts JSON to the message's endpoint: an SNS-style
// notification envelope, or with Format "slack" an incoming-webhook payload
// ({"text": ...}).
type WebhookSink struct{ Client *http.Client }

// SNSEnvelope is the JSON body SNS posts to HTTP subscribers.
type SNSEnvelope struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Subject   string `json:"Subject,omitempty"`
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// SlackPayload is a Slack incoming-webhook message.
type SlackPayload struct {
	Text string `json:"text"`
}

// SlackText is the text of the Slack message for m.
func SlackText(m Message) string {
	var sb strings.Builder
	sb.WriteString("*" + m.Subject + "*")
	if m.Summary != "" && m.Summary != m.Subject {
		sb.WriteString("\n" + m.Summary)
	}
	switch {
	case m.Alarm != "":
		fmt.Fprintf(&sb, "\nAlarm `%s` is now *%s*", m.Alarm, m.State)
		if m.Reason != "" {
			sb.WriteString("\n> " + m.Reason)
		}
	case m.Filter != "":
		fmt.Fprintf(&sb, "\nFilter `%s` matched event `%s`\n```%s```", m.Filter, m.EventID, m.Body)
	default:
		sb.WriteString("\n" + m.Body)
	}
	if len(m.Actors) > 0 {
		sb.WriteString("\nBy: " + strings.Join(m.Actors, "; "))
	}
	return sb.String()
}

// Send implements Sink.
func (s *WebhookSink) Send(ctx context.Context, m Message) error {
	var body any = SNSEnvelope{Type: "Notification", MessageID: m.ID(), TopicArn: m.TopicARN, Subject: m.Subject,
		Message: m.Body, Timestamp: m.Time.UTC().Format("2006-01-02T15:04:05.000Z")}
	if m.Format == "slack" {
		body = SlackPayload{Text: SlackText(m)}
	}
	b, err := marshal(body)
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint, bytes.NewReader(b))
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: %w", m.Endpoint, err))
	}
	req.Header.Set("Content-Type", "application/json")
	if m.Format != "slack" {
		req.Header.Set("x-amz-sns-message-type", "Notification")
		req.Header.Set("x-amz-sns-message-id", m.ID())
		req.Header.Set("x-amz-sns-topic-arn", m.TopicARN)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", m.Endpoint, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("webhook %s: %s", m.Endpoint, resp.Status)
	}
	return Permanent(fmt.Errorf("webhook %s: %s", m.Endpoint, resp.Status))
}

// SMTPSink sends e-mail through an SMTP server, as SNS's e-mail protocol
// does: the subject, and the message as a plain-text body (email-json: the
// SNS JSON envelope).
type SMTPSink struct{ Config SMTPConfig }

// Send implements Sink.
func (s *SMTPSink) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.Endpoint)
	if err != nil {
		return Permanent(fmt.Errorf("e-mail to %q: %w", m.Endpoint, err))
	}
	from, err := mail.ParseAddress(s.Config.From)
	if err != nil {
		return Permanent(fmt.Errorf("e-mail from %q: %w", s.Config.From, err))
	}
	body := m.Body
	if m.Summary != "" {
		body = m.Summary + "\n\n" + body
	}
	if m.Protocol == "email-json" {
		b, _ := marshal(SNSEnvelope{Type: "Notification", MessageID: m.ID(), TopicArn: m.TopicARN, Subject: m.Subject,
			Message: m.Body, Timestamp: m.Time.UTC().Format("2006-01-02T15:04:05.000Z")})
		body = string(b)
	}
	msg := buildMail(from, to, m, body)

	host, _, _ := net.SplitHostPort(s.Config.Address)
	tlsConfig := s.Config.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: host}
	}
	var d net.Dialer
	var conn net.Conn
	if s.Config.TLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(ctx, "tcp", s.Config.Address)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Config.Address)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.Config.Address, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", s.Config.Address, err)
	}
	defer c.Close()
	hello := s.Config.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", s.Config.Address, err)
	}
	if !s.Config.TLS && s.Config.StartTLS != "off" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return Permanent(fmt.Errorf("smtp %s: STARTTLS: %w", s.Config.Address, err))
			}
		} else if s.Config.StartTLS == "required" {
			return Permanent(fmt.Errorf("smtp %s: the server does not offer STARTTLS, and starttls is required", s.Config.Address))
		}
	}
	// net/smtp's PLAIN refuses to send the password over an unencrypted
	// connection to anything but localhost.
	if s.Config.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Config.Username, s.Config.Password, host)); err != nil {
			return Permanent(fmt.Errorf("smtp %s: AUTH: %w", s.Config.Address, err))
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return smtpErr(s.Config.Address, "MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return smtpErr(s.Config.Address, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr(s.Config.Address, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", s.Config.Address, err)
	}
	if err := w.Close(); err != nil {
		return smtpErr(s.Config.Address, "DATA", err)
	}
	return c.Quit()
}

// smtpErr marks 5xx replies permanent.
func smtpErr(addr, cmd string, err error) error {
	err = fmt.Errorf("smtp %s: %s: %w", addr, cmd, err)
	if strings.Contains(err.Error(), ": 5") {
		return Permanent(err)
	}
	return err
}

func buildMail(from, to *mail.Address, m Message, body string) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", m.Time.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+m.ID()+"@trailwatch>")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "8bit")
	if m.TopicARN != "" {
		header("X-Trailwatch-Topic-Arn", m.TopicARN)
	}
	for _, a := range m.Actors {
		header("X-Trailwatch-Actor", mime.QEncoding.Encode("utf-8", a))
	}
	b.WriteString("\r\n")
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// SNSSink publishes to an SNS topic.
type SNSSink struct {
	Client *sns.Client
	Topic  string
}

// Send implements Sink.
func (s *SNSSink) Send(ctx context.Context, m Message) error {
	in := &sns.PublishInput{TopicArn: aws.String(s.Topic), Message: aws.String(m.Body)}
	if subj := snsSubject(m.Subject); subj != "" {
		in.Subject = aws.String(subj)
	}
	if _, err := s.Client.Publish(ctx, in); err != nil {
		err = fmt.Errorf("sns publish to %s: %w", s.Topic, err)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient && !strings.Contains(ae.ErrorCode(), "Throttl") {
			return Permanent(err)
		}
		return err
	}
	return nil
}

// snsSubject fits a subject to SNS's rules: at most 100 printable ASCII
// characters, no line breaks.
func snsSubject(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = ' '
		}
		if b.Len() >= 100 {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
