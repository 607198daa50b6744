package alarm

import (
	"strings"
	"testing"
	"time"
)

// row builds an evaluation range from the notation of the CloudWatch User
// Guide's tables: "0" a non-breaching datapoint, "X" a breaching one, "-" a
// missing one, oldest first. Breaching datapoints are 5.0, non-breaching
// 1.0, against a threshold of 3 (GreaterThanThreshold).
func row(t *testing.T, s string) []Datapoint {
	t.Helper()
	base := time.Date(2022, 11, 26, 10, 0, 0, 0, time.UTC)
	var out []Datapoint
	for i, f := range strings.Fields(s) {
		d := Datapoint{Start: base.Add(time.Duration(i) * 5 * time.Minute)}
		switch f {
		case "0":
			d.Present, d.Value = true, 1
		case "X":
			d.Present, d.Value = true, 5
		case "-":
		default:
			t.Fatalf("bad row %q", s)
		}
		out = append(out, d)
	}
	return out
}

func cfg(m, n int, treat TreatMissing) Config {
	return Config{
		Name: "a", Period: 5 * time.Minute, EvaluationPeriods: n, DatapointsToAlarm: m,
		Threshold: 3, Comparison: GreaterThanThreshold, Statistic: Maximum, TreatMissing: treat,
		EvaluationRange: 5, // "CloudWatch retrieves the 5 most recent data points"
	}
}

// TestDocumentedTables reproduces, row by row, the two tables of "How alarm
// state is evaluated when data is missing" in the Amazon CloudWatch User
// Guide ("Configuring how CloudWatch alarms treat missing data",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-evaluating-missing-data).
// "retain" means the state before the evaluation is kept; it is checked
// from every starting state.
func TestDocumentedTables(t *testing.T) {
	tests := []struct {
		table                                string
		m, n                                 int
		points                               string
		missing, ignore, breaching, notBreac string
	}{
		// First table: Datapoints to Alarm and Evaluation Periods are both 3.
		{"3/3", 3, 3, "0 - X - X", "OK", "OK", "OK", "OK"},
		{"3/3", 3, 3, "0 - - - -", "OK", "OK", "OK", "OK"},
		{"3/3", 3, 3, "- - - - -", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"},
		{"3/3", 3, 3, "0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"},
		{"3/3", 3, 3, "- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"},
		// "In the sixth row, the alarm goes to ALARM state even if missing
		// data is treated as missing, because the oldest evaluated data
		// point is breaching and there aren't any non-breaching data points."
		{"3/3", 3, 3, "X - - - -", "ALARM", "retain", "ALARM", "OK"},
		// Second table: a 2 out of 3, M out of N alarm.
		{"2/3", 2, 3, "0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"},
		{"2/3", 2, 3, "0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"},
		{"2/3", 2, 3, "0 - X - -", "OK", "OK", "ALARM", "OK"},
		{"2/3", 2, 3, "- - - - 0", "OK", "OK", "ALARM", "OK"},
		{"2/3", 2, 3, "- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"},
	}
	for _, tt := range tests {
		w := row(t, tt.points)
		for _, c := range []struct {
			treat TreatMissing
			want  string
		}{{Missing, tt.missing}, {Ignore, tt.ignore}, {Breaching, tt.breaching}, {NotBreaching, tt.notBreac}} {
			for _, cur := range []State{InsufficientData, OK, Alarm} {
				res := Evaluate(cfg(tt.m, tt.n, c.treat), cur, w)
				want := c.want
				if want == "retain" {
					want = cur.String()
					if !res.Retained {
						t.Errorf("%s [%s] %s from %s: state not retained", tt.table, tt.points, c.treat, cur)
					}
				} else if res.Reason == "" {
					t.Errorf("%s [%s] %s: empty reason", tt.table, tt.points, c.treat)
				}
				if got := res.State.String(); got != want {
					t.Errorf("%s [%s] %s from %s: got %s, want %s (%s)", tt.table, tt.points, c.treat, cur, got, want, res.Reason)
				}
			}
		}
	}
}

// TestSecondRowAgesIntoAlarm checks the note under the first table: "The
// next time this alarm is evaluated, if the data is still missing it will
// go to ALARM, as that non-breaching data point will no longer be among the
// 5 most recent data points retrieved."
func TestSecondRowAgesIntoAlarm(t *testing.T) {
	c := cfg(3, 3, Breaching)
	if got := Evaluate(c, OK, row(t, "0 - - - -")).State; got != OK {
		t.Fatalf("now: %s, want OK", got)
	}
	if got := Evaluate(c, OK, row(t, "- - - - -")).State; got != Alarm {
		t.Fatalf("next: %s, want ALARM", got)
	}
}

// TestReasons checks StateReason texts against ones CloudWatch wrote.
func TestReasons(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	one := Config{Name: "a", Period: 5 * time.Minute, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
		Comparison: GreaterThanOrEqualToThreshold, Statistic: Maximum, TreatMissing: NotBreaching}
	three := one
	three.EvaluationPeriods, three.DatapointsToAlarm, three.Threshold, three.Comparison = 3, 2, 3, GreaterThanThreshold
	tests := []struct {
		name   string
		c      Config
		window []Datapoint
		state  State
		want   string
	}{
		{
			// The example, and SNS alarm messages seen in the wild.
			"alarm 1 of 1", one,
			[]Datapoint{{}, {}, {Start: at("2026-11-22 10:05"), Value: 1, Present: true}},
			Alarm,
			"Threshold Crossed: 1 out of the last 1 datapoints [1.0 (22/11/26 10:05:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
		},
		{
			"ok 1 of 1", one,
			[]Datapoint{{}, {}, {Start: at("2022-08-01 15:06"), Value: 0, Present: true}},
			OK,
			"Threshold Crossed: 1 out of the last 1 datapoints [0.0 (01/08/22 15:06:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).",
		},
		{
			"no data, notBreaching", one, make([]Datapoint, 3), OK,
			"Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].",
		},
		{
			"no data, breaching", func() Config { c := three; c.TreatMissing = Breaching; return c }(), make([]Datapoint, 5), Alarm,
			"Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].",
		},
		{
			"no data, missing", func() Config { c := one; c.TreatMissing = Missing; return c }(), make([]Datapoint, 3), InsufficientData,
			"Insufficient Data: 1 datapoint was unknown.",
		},
		{
			"partial, breaching", func() Config { c := three; c.TreatMissing = Breaching; return c }(),
			[]Datapoint{{}, {}, {}, {}, {Start: at("2022-11-26 10:20"), Value: 1, Present: true}},
			Alarm,
			"Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching].",
		},
		{
			"alarm 2 of 3, most recent first", three,
			[]Datapoint{{}, {}, {Start: at("2022-11-26 10:10"), Value: 5, Present: true}, {Start: at("2022-11-26 10:15"), Value: 0.25, Present: true}, {Start: at("2022-11-26 10:20"), Value: 1e7, Present: true}},
			Alarm,
			"Threshold Crossed: 2 out of the last 3 datapoints [1.0E7 (26/11/22 10:20:00), 5.0 (26/11/22 10:10:00)] were greater than the threshold (3.0) (minimum 2 datapoints for OK -> ALARM transition).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(tt.c, InsufficientData, tt.window)
			if res.State != tt.state {
				t.Errorf("state %s, want %s", res.State, tt.state)
			}
			if res.Reason != tt.want {
				t.Errorf("reason\n got %s\nwant %s", res.Reason, tt.want)
			}
		})
	}
}

// TestComparisons: the four static-threshold ComparisonOperator values of
// PutMetricAlarm ("The arithmetic operation to use when comparing the
// specified statistic and threshold. The specified statistic value is used
// as the first operand.", CloudWatch API Reference, PutMetricAlarm).
func TestComparisons(t *testing.T) {
	for _, tt := range []struct {
		op       string
		v, thr   float64
		breaches bool
	}{
		{"GreaterThanOrEqualToThreshold", 1, 1, true},
		{"GreaterThanOrEqualToThreshold", 0.9, 1, false},
		{"GreaterThanThreshold", 1, 1, false},
		{"GreaterThanThreshold", 1.1, 1, true},
		{"LessThanThreshold", 1, 1, false},
		{"LessThanThreshold", 0, 1, true},
		{"LessThanOrEqualToThreshold", 1, 1, true},
		{"LessThanOrEqualToThreshold", 2, 1, false},
	} {
		c, err := ParseComparison(tt.op)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Breaches(tt.v, tt.thr); got != tt.breaches {
			t.Errorf("%s(%v, %v) = %v", tt.op, tt.v, tt.thr, got)
		}
		if c.String() != tt.op {
			t.Errorf("String() = %s", c)
		}
	}
	if _, err := ParseComparison("LessThanLowerOrGreaterThanUpperThreshold"); err == nil {
		t.Error("anomaly band operator accepted")
	}
}

func TestValidate(t *testing.T) {
	good := cfg(1, 1, Missing)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"high resolution":  func(c *Config) { c.Period = 10 * time.Second },
		"odd period":       func(c *Config) { c.Period = 90 * time.Second },
		"no periods":       func(c *Config) { c.EvaluationPeriods = 0 },
		"M > N":            func(c *Config) { c.DatapointsToAlarm = 2 },
		"too long":         func(c *Config) { c.Period = time.Hour; c.EvaluationPeriods = 24*7 + 1; c.DatapointsToAlarm = 1 },
		"over a day":       func(c *Config) { c.Period = 30 * time.Minute; c.EvaluationPeriods = 49; c.DatapointsToAlarm = 1 },
		"no statistic":     func(c *Config) { c.Statistic = 0 },
		"no comparison":    func(c *Config) { c.Comparison = 0 },
		"range too narrow": func(c *Config) { c.EvaluationRange = 1; c.EvaluationPeriods = 2; c.DatapointsToAlarm = 1 },
	} {
		c := good
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzEvaluate checks invariants of Evaluate on arbitrary windows: it never
// panics, ALARM needs a breaching datapoint or breaching missing data, OK
// needs a non-breaching one or notBreaching missing data, and only ignore
// retains a state.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte("0-X-X"), uint8(3), uint8(3), uint8(0))
	f.Add([]byte("X----"), uint8(3), uint8(3), uint8(0))
	f.Add([]byte("-----"), uint8(2), uint8(1), uint8(3))
	f.Fuzz(func(t *testing.T, pts []byte, n, m, treat uint8) {
		if len(pts) == 0 || len(pts) > 20 {
			return
		}
		c := Config{Name: "f", Period: time.Minute, EvaluationPeriods: 1 + int(n)%len(pts), Threshold: 3,
			Comparison: GreaterThanThreshold, Statistic: Sum, TreatMissing: TreatMissing(treat % 4), EvaluationRange: len(pts)}
		c.DatapointsToAlarm = 1 + int(m)%c.EvaluationPeriods
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		var w []Datapoint
		breach, ok, missing := false, false, false
		for i, b := range pts {
			d := Datapoint{Start: time.Unix(int64(i)*60, 0)}
			switch b % 3 {
			case 0:
				d.Present, d.Value = true, 1
				ok = true
			case 1:
				d.Present, d.Value = true, 5
				breach = true
			default:
				missing = true
			}
			w = append(w, d)
		}
		res := Evaluate(c, OK, w)
		switch {
		case res.Retained && c.TreatMissing != Ignore:
			t.Errorf("%s retained a state", c.TreatMissing)
		case res.State == Alarm && !breach && !(missing && c.TreatMissing == Breaching):
			t.Errorf("ALARM without a breaching datapoint: %v", pts)
		case res.State == OK && !res.Retained && !ok && !(missing && c.TreatMissing == NotBreaching):
			t.Errorf("OK without a non-breaching datapoint: %v %s", pts, res.Reason)
		case !res.Retained && res.Reason == "":
			t.Error("no reason")
		}
	})
}
