package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

type mailSink struct {
	mu    sync.Mutex
	mails []string // "to|data"
}

type mailSession struct {
	s  *mailSink
	to []string
}

func (m *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{s: m}, nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error     { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.s.mu.Lock()
	s.s.mails = append(s.s.mails, strings.Join(s.to, ",")+"|"+string(b))
	s.s.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

// TestScanDeliver runs scan --deliver end to end: seed 004's e-mails go to
// a real SMTP server and a Slack-format copy of the alarms to a real HTTP
// server, both started by the test.
func TestScanDeliver(t *testing.T) {
	mails := &mailSink{}
	srv := smtp.NewServer(mails)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	var mu sync.Mutex
	var hooks []string
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks = append(hooks, string(b))
		mu.Unlock()
	}))
	defer web.Close()

	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	doc := `targets:
  - arn: arn:aws:sns:us-east-1:123456789012:Topic-123456789012-AwsIAMEvent
    subscriptions:
      - {protocol: https, endpoint: '` + web.URL + `/slack', format: slack}
delivery:
  smtp: {address: '` + l.Addr().String() + `', from: trailwatch@example.com}
`
	if err := os.WriteFile(targets, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "", "scan", "--pack", "seeds", "--rules", targets, "--param", "NotifyEmailAddress=secops@example.com",
		"--format", "json", "--deliver", eventsFile)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum struct{ Notifications, Delivered, Failed int }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	// 2 sign-ins (e-mail) + 2 alarms (e-mail and Slack).
	if sum.Notifications != 4 || sum.Delivered != 6 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
	var subjects []string
	for _, m := range mails.mails {
		to, data, _ := strings.Cut(m, "|")
		if to != "secops@example.com" {
			t.Errorf("mail to %q", to)
		}
		for _, h := range strings.Split(data, "\r\n") {
			if s, ok := strings.CutPrefix(h, "Subject: "); ok {
				subjects = append(subjects, s)
			}
		}
	}
	sort.Strings(subjects)
	// Every e-mail leads with the summary line (docs/rules.md).
	var leads []string
	for _, m := range mails.mails {
		if _, body, ok := strings.Cut(m, "\r\n\r\n"); ok {
			first, _, _ := strings.Cut(body, "\r\n")
			leads = append(leads, first)
		}
	}
	sort.Strings(leads)
	wantLeads := []string{
		`ALARM: "AlarmIAMWarn" in US East (N. Virginia) — Threshold Crossed: 1 out of the last 1 datapoints [1.0 (13/05/22 17:18:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition). (caused by alice)`,
		`ALARM: "IAMPolicyChangesExceptMaintenance" in US East (N. Virginia) — Threshold Crossed: 1 out of the last 1 datapoints [1.0 (13/05/22 17:22:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition). (caused by cm-account-manager via cm-dummuyRole)`,
		`alice called signin:ConsoleLogin in 000000000000/us-east-1 at 2022-05-13T17:20:10Z`,
		`arn:aws:iam::000000000000:root called signin:ConsoleLogin in 000000000000/us-east-1 at 2022-05-13T17:45:05Z`,
	}
	if strings.Join(leads, "\n") != strings.Join(wantLeads, "\n") {
		t.Errorf("mail first lines\n%s\nwant\n%s", strings.Join(leads, "\n"), strings.Join(wantLeads, "\n"))
	}
	want := []string{
		`123456789012-AwsConsoleSignIn`, `123456789012-AwsConsoleSignIn`,
		`ALARM: "AlarmIAMWarn" in US East (N. Virginia)`, `ALARM: "IAMPolicyChangesExceptMaintenance" in US East (N. Virginia)`,
	}
	if strings.Join(subjects, "\n") != strings.Join(want, "\n") {
		t.Errorf("mail subjects\n%s\nwant\n%s", strings.Join(subjects, "\n"), strings.Join(want, "\n"))
	}
	if len(hooks) != 2 || !strings.Contains(hooks[0], `"text":"*ALARM: \"`) {
		t.Errorf("webhooks %v", hooks)
	}
}
