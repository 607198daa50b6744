package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarm"
	"github.com/trailwatch/trailwatch/internal/rules"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
)

var (
	rulesData  = filepath.Join("..", "..", "testdata", "rules")
	eventsFile = filepath.Join(rulesData, "events.jsonl")
)

func TestScanGolden(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample-trail")
	seed004 := []string{
		"--rules", filepath.Join(rulesData, "seed004-iam.yaml"), "--rules", filepath.Join(rulesData, "seed004-subscription.yaml"),
		"--param", "CloudWatchLogsGroup=CloudTrail/DefaultLogGroup", "--param", "NotifyEndpoint=secops@example.com",
		"--param", "TopicArn=arn:aws:sns:us-east-1:000000000000:Topic-000000000000-AwsIAMEvent", "--param", "AWS::AccountId=000000000000",
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"seeds_text", "", []string{"scan", "--pack", "seeds", eventsFile}, 0},
		{"seeds_json", "", []string{"scan", "--pack", "seeds", "--format", "json", eventsFile}, 0},
		{"seeds_log", "", []string{"scan", "--pack", "seeds", "--format", "log", eventsFile}, 0},
		{"cis_sample_trail_text", "", []string{"scan", "--pack", "cis", sample}, 0},
		{"seed004_template_json", "", append(append([]string{"scan", "--format", "json"}, seed004...), eventsFile), 0},
		{"seed004_console_template", "", []string{"scan", "--rules", filepath.Join(rulesData, "seed004-console.yaml"), "--param", "NotifyEmailAddress=a@example.com", eventsFile}, 0},
		{"cis_sample_trail_json", "", []string{"scan", "--pack", "cis", "--format", "json", sample}, 0},
		{"from_to", "", []string{"scan", "--pack", "seeds", "--from", "2022-05-13T17:25:00Z", "--to", "2022-05-13T17:35", eventsFile}, 0},
		{"late_events_json", readFile(t, "testdata/scan/out-of-order.jsonl"), []string{"scan", "--pack", "cis", "--format", "json", "--lateness", "0s", "-"}, 2},
		{"in_order_with_lateness", readFile(t, "testdata/scan/out-of-order.jsonl"), []string{"scan", "--pack", "cis", "--lateness", "5m", "-"}, 2},
		// $.trailwatch reads the resolved origin: 30 GetPasswordData calls by
		// a role session whose key christophe's AssumeRole issued (the file
		// lists them before the AssumeRole).
		{"origin_rules", "", []string{"scan", "--rules", "testdata/scan/origin-rules.yaml",
			filepath.Join("..", "..", "testdata", "stratus-red-team", "aws.credential-access.ec2-get-password-data.json")}, 0},
		{"no_rules", "", []string{"scan", eventsFile}, 2},
		{"unknown_pack", "", []string{"scan", "--pack", "nist", eventsFile}, 2},
		{"missing_param", "", []string{"scan", "--rules", filepath.Join(rulesData, "seed004-iam.yaml"), eventsFile}, 2},
		{"unused_param", "", []string{"scan", "--pack", "seeds", "--param", "MaintenanceRole=x", eventsFile}, 2},
		{"bad_param", "", []string{"scan", "--pack", "seeds", "--param", "x", eventsFile}, 2},
		{"bad_from", "", []string{"scan", "--pack", "seeds", "--from", "yesterday", eventsFile}, 2},
		{"bad_format", "", []string{"scan", "--pack", "seeds", "--format", "yaml", eventsFile}, 2},
		{"missing_input", "", []string{"scan", "--pack", "seeds", "testdata/scan/missing.json"}, 2},
		{"no_input_arg", "", []string{"scan", "--pack", "seeds"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a crash:\n%s", stderr)
			}
			golden(t, "scan/"+tt.name, fmt.Sprintf("%s--- stderr ---\n%s--- exit %d ---\n", stdout, stderr, code))
		})
	}
}

// TestScanJSONContract checks the JSON Lines shapes GUIDE.md §3 promises,
// independently of golden files.
func TestScanJSONContract(t *testing.T) {
	stdout, stderr, code := run(t, "", "scan", "--pack", "seeds", "--format", "json", eventsFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	seen := map[string]bool{}
	var lastTime string
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
		}
		typ, _ := m["type"].(string)
		seen[typ] = true
		var need []string
		var tm string
		switch typ {
		case "match":
			need = []string{"filter", "eventID", "eventTime", "eventName", "value", "actor"}
			tm, _ = m["eventTime"].(string)
		case "alarm":
			need = []string{"alarm", "time", "from", "to", "reason"}
			tm, _ = m["time"].(string)
		case "notification":
			need = []string{"time", "arn", "subject", "deliveries"}
			tm, _ = m["time"].(string)
		case "summary":
			need = []string{"events", "errors", "filters", "alarms"}
			if i != len(lines)-1 {
				t.Errorf("summary is line %d of %d, want the last", i+1, len(lines))
			}
			alarms := m["alarms"].(map[string]any)
			if a, ok := alarms["AlarmIAMWarn"].(map[string]any); !ok || a["transitions"] != float64(3) {
				t.Errorf("summary alarms %v", alarms)
			}
		default:
			t.Errorf("line %d: unknown type %q", i+1, typ)
		}
		for _, k := range need {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d (%s): no %q: %s", i+1, typ, k, l)
			}
		}
		if tm != "" {
			if tm < lastTime {
				t.Errorf("line %d: time %s before %s: output not in event-time order", i+1, tm, lastTime)
			}
			lastTime = tm
		}
	}
	for _, typ := range []string{"match", "alarm", "notification", "summary"} {
		if !seen[typ] {
			t.Errorf("no %s line", typ)
		}
	}
	if !strings.Contains(stdout, `"actor":{"who":"alice","principal":{"type":"IAMUser","arn":"arn:aws:iam::000000000000:user/alice"`) {
		t.Error("match has no resolved actor")
	}
}

// TestScanWorkersAgree: decoding in parallel does not change the output.
func TestScanWorkersAgree(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample-trail")
	one, _, c1 := run(t, "", "scan", "--workers", "1", "--pack", "cis", "--format", "json", sample)
	many, _, c2 := run(t, "", "scan", "--workers", "8", "--pack", "cis", "--format", "json", sample)
	if c1 != c2 || one != many {
		t.Errorf("--workers 1 and 8 differ (exit %d, %d)", c1, c2)
	}
	if n := len(strings.Split(one, "\n")); n < 10 {
		t.Errorf("only %d lines", n)
	}
}

func TestScanHelp(t *testing.T) {
	stdout, _, code := run(t, "", "scan", "--help")
	if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--pack") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

// TestScanReportNoiseManyDays: more than a week of activity is summarised
// per rule (totals, active days, worst day) instead of one column per day.
func TestScanReportNoiseManyDays(t *testing.T) {
	r := newScanReport()
	a := &rules.Alarm{AlarmName: "A"}
	start := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	for d := range 10 {
		at := start.AddDate(0, 0, d)
		n := 1
		if d == 4 {
			n = 3 // the worst day
		}
		for range n {
			r.add(engine.Output{Kind: engine.KindTransition, Transition: &engine.Transition{
				Transition: alarm.Transition{Time: at, From: alarm.OK, To: alarm.Alarm}, Alarm: a}})
			r.add(engine.Output{Kind: engine.KindNotification, Notification: &engine.Notification{Time: at, Alarm: "A", ARN: "arn:t"}})
		}
	}
	var b strings.Builder
	w := bufio.NewWriter(&b)
	r.printNoise(w)
	w.Flush()
	want := "  A  12/12 over 10 of 10 days; worst 2024-07-05: 3/3\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("noise:\n%s\nwant suffix %q", b.String(), want)
	}
	if got := r.noiseJSON()["A"]["2024-07-05"]; got.Alarms != 3 || got.Notifications != 3 {
		t.Errorf("noiseJSON = %+v", got)
	}
}
