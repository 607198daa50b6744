package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/filterpattern"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/rules"
)

var testdata = filepath.Join("..", "..", "..", "testdata", "rules")

// run feeds the records of data to a program compiled from set, in the
// order given, and returns the outputs as one line each.
func run(t *testing.T, set *rules.Set, opts Options, data []byte) ([]string, *Program) {
	t.Helper()
	p, err := Compile(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	var rd cloudtrail.Reader
	dec, err := rd.Decoder(bytes.NewReader(data), "events")
	if err != nil {
		t.Fatal(err)
	}
	var out []Output
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		o, err := p.Event(rec, "events")
		if err != nil && !errors.Is(err, ErrOutOfRange) {
			t.Fatal(err)
		}
		out = append(out, o...)
	}
	out = append(out, p.Finish()...)
	var lines []string
	for _, o := range out {
		switch o.Kind {
		case KindMatch:
			m := o.Match
			v := "-"
			if m.Value != nil {
				v = fmt.Sprint(*m.Value)
			}
			late := ""
			if m.Late {
				late = " late"
			}
			lines = append(lines, fmt.Sprintf("%s match %s %s %s value=%s%s", m.EventTime.Format("15:04:05"), m.Filter, m.EventName, m.EventID[:min(8, len(m.EventID))], v, late))
		case KindTransition:
			tr := o.Transition
			lines = append(lines, fmt.Sprintf("%s alarm %s %s->%s", tr.Time.Format("15:04:05"), tr.Alarm.AlarmName, tr.From, tr.To))
		case KindNotification:
			n := o.Notification
			subs := 0
			if n.Target != nil {
				subs = len(n.Target.Subscriptions)
			}
			by := ""
			if len(n.Actors) > 0 {
				by = " actors=" + strings.Join(n.Actors, ",")
			}
			lines = append(lines, fmt.Sprintf("%s notify %s subs=%d %q%s", n.Time.Format("15:04:05"), n.ARN, subs, n.Subject, by))
		}
	}
	return lines, p
}

func readEvents(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadFiles(t *testing.T, params map[string]string, files ...string) *rules.Set {
	t.Helper()
	s := &rules.Set{}
	for _, f := range files {
		var o *rules.Set
		var err error
		if name, ok := strings.CutPrefix(f, "pack:"); ok {
			o, err = rules.LoadPack(name, rules.LoadOptions{Params: params})
		} else {
			o, err = rules.LoadFile(filepath.Join(testdata, f), rules.LoadOptions{Params: params})
		}
		if err != nil {
			t.Fatal(err)
		}
		s.Merge(o)
	}
	return s
}

// TestSeed004Template runs seed 004's IAM template over the sample events:
// CreateUser at 17:22:30 raises AlarmIAMWarn at 17:23 (the first minute
// whose 5-minute window holds it), and the alarm returns to OK at 17:28 when
// the window holds only the default value 0 of minutes with events.
func TestSeed004Template(t *testing.T) {
	set := loadFiles(t, map[string]string{"CloudWatchLogsGroup": "CloudTrail/DefaultLogGroup", "NotifyEndpoint": "ops@example.com",
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:Topic-123456789012-AwsIAMEvent"}, "seed004-iam.yaml", "seed004-subscription.yaml")
	got, p := run(t, set, Options{Lateness: 15 * time.Minute}, readEvents(t))
	want := []string{
		// The alarm exists from the lateness (15m) before the first event
		// (17:20:10); no data yet, missing data is notBreaching.
		`17:06:00 alarm AlarmIAMWarn INSUFFICIENT_DATA->OK`,
		`17:22:30 match MetricsFilterIAMWarn CreateUser e0000002 value=1`,
		`17:23:00 alarm AlarmIAMWarn OK->ALARM`,
		// The notification names who fed the alarm's evaluated periods.
		`17:23:00 notify arn:aws:sns:us-east-1:123456789012:Topic-123456789012-AwsIAMEvent subs=1 "ALARM: \"AlarmIAMWarn\" in US East (N. Virginia)" actors=arn:aws:iam::000000000000:user/alice`,
		`17:28:00 alarm AlarmIAMWarn ALARM->OK`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Events != 8 || p.Counts()["MetricsFilterIAMWarn"] != 1 || p.AlarmTransitions()["AlarmIAMWarn"] != 3 {
		t.Errorf("events %d counts %v transitions %v", p.Events, p.Counts(), p.AlarmTransitions())
	}
}

// TestSeedsPack: seed 001's exclusion and seed 004's notifications.
func TestSeedsPack(t *testing.T) {
	set := loadFiles(t, nil, "pack:seeds")
	got, p := run(t, set, Options{Lateness: 15 * time.Minute}, readEvents(t))
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		`17:20:10 match seed004-console-signin ConsoleLogin e0000001 value=-`,
		`17:20:10 notify arn:aws:lambda:us-east-1:123456789012:function:func-123456789012-AwsConsoleSignIn subs=1 "seed004-console-signin: ConsoleLogin by arn:aws:iam::000000000000:user/alice" actors=arn:aws:iam::000000000000:user/alice`,
		`17:26:00 match seed001-iam-policy-changes PutRolePolicy e0000004 value=1`,
		`17:27:00 alarm IAMPolicyChangesExceptMaintenance OK->ALARM`,
		`17:45:05 match seed004-console-signin ConsoleLogin e0000008 value=-`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "seed001-iam-policy-changes PutRolePolicy e0000003") {
		t.Error("the maintenance role's own change matched seed 001's filter")
	}
	if c := p.Counts(); c["seed001-iam-policy-changes"] != 1 || c["seed004-console-signin"] != 2 || c["seed004-iam-operations"] != 1 {
		t.Errorf("counts %v", c)
	}

	// The role is a parameter.
	set = loadFiles(t, map[string]string{"MaintenanceRoleName": "cm-dummuyRole"}, "pack:seeds")
	_, p = run(t, set, Options{}, readEvents(t))
	if c := p.Counts()["seed001-iam-policy-changes"]; c != 1 {
		t.Errorf("with MaintenanceRoleName=cm-dummuyRole: %d matches", c)
	}
}

// TestEventTimeOrder: DescribeInstances at 17:23:00 arrives after
// PutRolePolicy at 17:26:00. Within the lateness it is put in its place;
// with no lateness it is late: reported at once, flagged, and not used by
// evaluations that already ran.
func TestEventTimeOrder(t *testing.T) {
	set := loadFiles(t, nil, "pack:cis")
	got, _ := run(t, set, Options{Lateness: 5 * time.Minute}, readEvents(t))
	var times []string
	for _, l := range got {
		times = append(times, l[:8])
	}
	for i := 1; i < len(times); i++ {
		if times[i] < times[i-1] {
			t.Errorf("output out of order at %d:\n%s", i, strings.Join(got, "\n"))
			break
		}
	}

	// No lateness: evaluation runs right behind the newest event.
	data := []byte(`{"eventVersion":"1.08","eventTime":"2022-05-13T17:30:00Z","eventName":"GetCallerIdentity","eventID":"a0000001-0000-0000-0000-000000000001","userIdentity":{"type":"IAMUser"}}
{"eventVersion":"1.08","eventTime":"2022-05-13T17:29:00Z","eventName":"DeleteTrail","eventID":"a0000002-0000-0000-0000-000000000002","userIdentity":{"type":"IAMUser"}}
{"eventVersion":"1.08","eventTime":"2022-05-13T17:40:00Z","eventName":"GetCallerIdentity","eventID":"a0000003-0000-0000-0000-000000000003","userIdentity":{"type":"IAMUser"}}
`)
	got, p := run(t, set, Options{}, data)
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "17:29:00 match cis-cloudtrail-changes DeleteTrail a0000002 value=1 late") {
		t.Errorf("late event not flagged:\n%s", joined)
	}
	// The late datapoint (17:29) is inside the range of the evaluation at
	// 17:31 (range [17:16, 17:31)), so CIS-CloudTrailChanges still alarms,
	// at 17:31, not retroactively at 17:30.
	if !strings.Contains(joined, "17:31:00 alarm CIS-CloudTrailChanges INSUFFICIENT_DATA->ALARM") {
		t.Errorf("late datapoint not evaluated at the next evaluation:\n%s", joined)
	}
	if p.Late != 1 {
		t.Errorf("Late = %d", p.Late)
	}
}

func TestFromTo(t *testing.T) {
	set := loadFiles(t, nil, "pack:seeds")
	from := time.Date(2022, 5, 13, 17, 25, 0, 0, time.UTC)
	to := time.Date(2022, 5, 13, 17, 35, 0, 0, time.UTC)
	got, p := run(t, set, Options{From: from, To: to}, readEvents(t))
	if p.Events != 2 {
		t.Errorf("events %d, want 2 (17:26:00 and 17:31:00 are within [17:25, 17:35))", p.Events)
	}
	for _, l := range got {
		if l[:8] < "17:25:00" || l[:8] > "17:35:00" {
			t.Errorf("output outside the range: %s", l)
		}
	}
}

// TestPacksCompile: every pattern of every built-in pack parses.
func TestPacksCompile(t *testing.T) {
	packs, err := rules.Packs()
	if err != nil {
		t.Fatal(err)
	}
	if len(packs) < 2 {
		t.Fatalf("packs %v", packs)
	}
	for _, pk := range packs {
		s, err := rules.LoadPack(pk.Name, rules.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(s, Options{}); err != nil {
			t.Errorf("pack %s: %v", pk.Name, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	base := func() *rules.Set {
		return &rules.Set{MetricFilters: []rules.MetricFilter{{FilterName: "f", FilterPattern: "{ $.a = 1 }",
			MetricTransformations: []rules.MetricTransformation{{MetricName: "m", MetricNamespace: "n", MetricValue: "1"}}}}}
	}
	for name, tt := range map[string]struct {
		mut  func(*rules.Set)
		want string
	}{
		"bad pattern":   {func(s *rules.Set) { s.MetricFilters[0].FilterPattern = "{ $.a = }" }, "metric filter f"},
		"bad value":     {func(s *rules.Set) { s.MetricFilters[0].MetricTransformations[0].MetricValue = "one" }, "neither a number"},
		"bad value ref": {func(s *rules.Set) { s.MetricFilters[0].MetricTransformations[0].MetricValue = "$1" }, "metricValue"},
		"bad alarm": {func(s *rules.Set) {
			s.Alarms = []rules.Alarm{{AlarmName: "a", Statistic: "p90", Period: 60, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold"}}
		}, "unsupported statistic"},
	} {
		s := base()
		tt.mut(s)
		if _, err := Compile(s, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tt.want)
		}
	}
}

// TestMetricValueAndDimensions: $.field values, non-numeric values, and
// alarms on one dimension value.
func TestMetricValueAndDimensions(t *testing.T) {
	doc := `
metricFilters:
  - filterName: bytes
    filterPattern: '{ $.eventName = "*" }'
    metricTransformations:
      - {metricName: Bytes, metricNamespace: T, metricValue: '$.additionalEventData.bytesTransferredOut', dimensions: {EventName: '$.eventName'}}
alarms:
  - {AlarmName: big-get, MetricName: Bytes, Namespace: T, Dimensions: [{Name: EventName, Value: GetObject}], Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: 100, ComparisonOperator: GreaterThanThreshold}
`
	set, err := rules.Load("d.yaml", []byte(doc), rules.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"eventVersion":"1.08","eventTime":"2022-05-13T17:30:00Z","eventName":"GetObject","eventID":"b1","userIdentity":{"type":"IAMUser"},"additionalEventData":{"bytesTransferredOut":60}}
{"eventVersion":"1.08","eventTime":"2022-05-13T17:30:10Z","eventName":"PutObject","eventID":"b2","userIdentity":{"type":"IAMUser"},"additionalEventData":{"bytesTransferredOut":500}}
{"eventVersion":"1.08","eventTime":"2022-05-13T17:30:20Z","eventName":"GetObject","eventID":"b3","userIdentity":{"type":"IAMUser"},"additionalEventData":{"bytesTransferredOut":"many"}}
{"eventVersion":"1.08","eventTime":"2022-05-13T17:30:30Z","eventName":"GetObject","eventID":"b4","userIdentity":{"type":"IAMUser"},"additionalEventData":{"bytesTransferredOut":50}}
`)
	got, _ := run(t, set, Options{}, data)
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"17:30:00 match bytes GetObject b1 value=60",
		"17:30:20 match bytes GetObject b3 value=-",
		"17:31:00 alarm big-get INSUFFICIENT_DATA->ALARM", // 60 + 50 > 100; PutObject's 500 is another series
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in\n%s", want, joined)
		}
	}
}

// TestReservedRoot: a pattern reading $.trailwatch sees what Options.Extra
// returns; a pattern that does not read it never calls Extra, and term
// patterns keep matching the unchanged event text (docs/identity.md).
func TestReservedRoot(t *testing.T) {
	set := &rules.Set{MetricFilters: []rules.MetricFilter{
		{FilterName: "by-origin", FilterPattern: `{ $.trailwatch.origin.name = "alice" }`,
			MetricTransformations: []rules.MetricTransformation{{MetricName: "m1", MetricNamespace: "ns", MetricValue: "1"}}},
		{FilterName: "term", FilterPattern: `trailwatch`,
			MetricTransformations: []rules.MetricTransformation{{MetricName: "m2", MetricNamespace: "ns", MetricValue: "1"}}},
	}}
	var parser fastjson.Parser
	calls := 0
	extra := func(rec *cloudtrail.Record) *fastjson.Value {
		calls++
		name := "bob"
		if strings.Contains(string(rec.Raw), "AKIAEXAMPLEALICE") {
			name = "alice"
		}
		v, err := parser.Parse(`{"trailwatch":{"origin":{"name":"` + name + `"}}}`)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	_, p := run(t, set, Options{Lateness: time.Hour, Extra: extra}, readEvents(t))
	if calls != p.Events {
		t.Errorf("Extra called %d times for %d events", calls, p.Events)
	}
	if c := p.Counts(); c["by-origin"] == 0 || c["term"] != 0 {
		t.Errorf("counts %v: want by-origin > 0 and the term pattern not to see the extra root", c)
	}
	// Without a pattern reading the root, Extra is never called.
	calls = 0
	set.MetricFilters = set.MetricFilters[1:]
	run(t, set, Options{Lateness: time.Hour, Extra: extra}, readEvents(t))
	if calls != 0 {
		t.Errorf("Extra called %d times with no pattern reading it", calls)
	}
}

// TestPrematchIndexAgrees: indexing filters by eventName never changes
// what matches. Every filter of both packs against every Stratus Red Team
// record, plus records whose eventName is missing or not a string.
func TestPrematchIndexAgrees(t *testing.T) {
	set := loadFiles(t, map[string]string{"MaintenanceRoleName": "cm-policymaintainer"}, "pack:cis", "pack:seeds")
	p, err := Compile(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.unindexed) == len(p.filters) {
		t.Fatal("no filter is indexed")
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "stratus-red-team", "*.json"))
	data := readEvents(t)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = append(append(data, '\n'), b...)
	}
	data = append(data, []byte("\n"+`{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventID":"x","eventName":7,"errorCode":"AccessDenied"}`+"\n"+
		`{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventID":"y","userIdentity":{"type":"Root"}}`)...)
	var rd cloudtrail.Reader
	dec, err := rd.Decoder(bytes.NewReader(data), "events")
	if err != nil {
		t.Fatal(err)
	}
	n, matched := 0, 0
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		pre := p.Prematch(rec)
		ev := filterpattern.Event{Message: rec.Raw, JSON: rec.JSON}
		for i, f := range p.filters {
			want := f.pattern.Match(&ev)
			got := pre.matched != nil && pre.matched[i/64]&(1<<(i%64)) != 0
			if got != want {
				t.Errorf("record %d (%s) filter %s: prematch %v, pattern %v", rec.Index, rec.EventName(), f.name, got, want)
			}
			if want {
				matched++
			}
		}
	}
	if n < 300 || matched == 0 {
		t.Errorf("%d records, %d matches: the test data did not load", n, matched)
	}
}
