package alarm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func ptr(v float64) *float64 { return &v }

// seed004 is the IAM-operations alarm of seed 004: Period 300, Maximum >= 1,
// 1 out of 1, TreatMissingData notBreaching.
func seed004() Config {
	return Config{Name: "AlarmIAMWarn", Period: 5 * time.Minute, EvaluationPeriods: 1, DatapointsToAlarm: 1,
		Threshold: 1, Comparison: GreaterThanOrEqualToThreshold, Statistic: Maximum, TreatMissing: NotBreaching}
}

func summary(trs []Transition) string {
	var sb strings.Builder
	for _, tr := range trs {
		fmt.Fprintf(&sb, "%s %s %s->%s: %s\n", tr.Time.Format("15:04"), tr.Name, tr.From, tr.To, tr.Reason)
	}
	return sb.String()
}

// TestSeed004DefaultValue: with DefaultValue 0 and CloudTrail events every
// minute, the window after the match holds zeros, so the alarm returns to
// OK one period after the match left it. CloudWatch evaluates every minute
// over the most recent Period ("For any period of one minute or longer, an
// alarm is evaluated every minute", Alarm evaluation, CloudWatch User Guide).
func TestSeed004DefaultValue(t *testing.T) {
	e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
	a, err := e.AddAlarm(seed004())
	if err != nil {
		t.Fatal(err)
	}
	f, _ := e.AddFeed(a, ptr(0))
	for m := 0; m < 20; m++ {
		e.Observe(at(t, "2022-11-26T10:00:10Z").Add(time.Duration(m) * time.Minute))
	}
	e.Publish(f, at(t, "2022-11-26T10:02:30Z"), 1)
	got := summary(e.Advance(at(t, "2022-11-26T10:30:00Z")))
	want := `10:01 AlarmIAMWarn INSUFFICIENT_DATA->OK: Threshold Crossed: 1 out of the last 1 datapoints [0.0 (26/11/22 09:56:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).
10:03 AlarmIAMWarn OK->ALARM: Threshold Crossed: 1 out of the last 1 datapoints [1.0 (26/11/22 09:58:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).
10:08 AlarmIAMWarn ALARM->OK: Threshold Crossed: 1 out of the last 1 datapoints [0.0 (26/11/22 10:03:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := e.Transitions(a); n != 3 {
		t.Errorf("Transitions = %d", n)
	}
}

// TestNoDefaultValueReevaluates: without a default value the metric stops
// flowing after the match; the alarm keeps re-evaluating the last real
// datapoint while it is in the evaluation range ("CloudWatch alarms may
// repeatedly re-evaluate the last set of data points for a period of time
// after the metric has stopped flowing"), and only then treats the missing
// data as not breaching.
func TestNoDefaultValueReevaluates(t *testing.T) {
	e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
	a, _ := e.AddAlarm(seed004())
	f, _ := e.AddFeed(a, nil)
	e.Publish(f, at(t, "2022-11-26T10:02:30Z"), 1)
	trs := e.Advance(at(t, "2022-11-26T11:00:00Z"))
	var got []string
	for _, tr := range trs {
		got = append(got, tr.Time.Format("15:04")+" "+tr.To.String())
	}
	want := []string{"10:01 OK", "10:03 ALARM", "10:18 OK"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v\n%s", got, want, summary(trs))
	}
	if !strings.Contains(trs[2].Reason, "no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]") {
		t.Errorf("reason %q", trs[2].Reason)
	}
}

// TestStatistics checks each statistic over one period that holds three
// matches (2 and 3 in one minute, 7 in another) and, through the default
// value 0, the three minutes with events but without a match
// ("Default value – the value reported to the metric filter during a period
// when logs are ingested but no matching logs are found", CloudWatch Logs
// User Guide, Creating metrics from log events using filters).
func TestStatistics(t *testing.T) {
	for _, tt := range []struct {
		stat Statistic
		want float64
	}{{SampleCount, 6}, {Sum, 12}, {Average, 2}, {Minimum, 0}, {Maximum, 7}} {
		c := Config{Name: tt.stat.String(), Period: 5 * time.Minute, EvaluationPeriods: 1, Threshold: 1000,
			Comparison: GreaterThanThreshold, Statistic: tt.stat}
		e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
		a, _ := e.AddAlarm(c)
		f, _ := e.AddFeed(a, ptr(0))
		for m := 0; m < 5; m++ {
			e.Observe(at(t, "2022-11-26T10:00:00Z").Add(time.Duration(m) * time.Minute))
		}
		e.Publish(f, at(t, "2022-11-26T10:01:00Z"), 2)
		e.Publish(f, at(t, "2022-11-26T10:01:59Z"), 3)
		e.Publish(f, at(t, "2022-11-26T10:03:00Z"), 7)
		w, _ := e.window(e.alarms[a], at(t, "2022-11-26T10:05:00Z").Unix())
		ev := w[len(w)-1]
		if !ev.Present || math.Abs(ev.Value-tt.want) > 1e-9 || !ev.Start.Equal(at(t, "2022-11-26T10:00:00Z")) {
			t.Errorf("%s: datapoint %+v, want %v at 10:00", tt.stat, ev, tt.want)
		}
	}
}

// TestDefaultValueOnlyWithEvents: no events in a minute, no default value.
func TestDefaultValueOnlyWithEvents(t *testing.T) {
	c := Config{Name: "n", Period: time.Minute, EvaluationPeriods: 1, Threshold: 0,
		Comparison: GreaterThanOrEqualToThreshold, Statistic: SampleCount, TreatMissing: Missing}
	e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
	a, _ := e.AddAlarm(c)
	e.AddFeed(a, ptr(0))
	e.Observe(at(t, "2022-11-26T10:00:30Z"))
	trs := e.Advance(at(t, "2022-11-26T10:10:00Z"))
	got := summary(trs)
	want := "10:01 n INSUFFICIENT_DATA->ALARM: Threshold Crossed: 1 out of the last 1 datapoints [1.0 (26/11/22 10:00:00)] was greater than or equal to the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).\n" +
		"10:04 n ALARM->INSUFFICIENT_DATA: Insufficient Data: 1 datapoint was unknown.\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestLateData (docs/alarms.md §5; the CloudWatch docs are silent on late
// data beyond "any real data points in the evaluation range, no matter when
// they were reported, are included in the evaluation"): data that arrives
// after the evaluations of its period ran
// is not evaluated retroactively (no transition is dated in the past), but
// counts in the next evaluations while it is inside their evaluation range;
// data older than every future evaluation range is refused.
func TestLateData(t *testing.T) {
	c := Config{Name: "late", Period: 5 * time.Minute, EvaluationPeriods: 1, Threshold: 1,
		Comparison: GreaterThanOrEqualToThreshold, Statistic: Sum, TreatMissing: NotBreaching}
	e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
	a, _ := e.AddAlarm(c)
	f, _ := e.AddFeed(a, nil)
	if trs := e.Advance(at(t, "2022-11-26T10:06:00Z")); len(trs) != 1 || trs[0].To != OK {
		t.Fatalf("before: %s", summary(trs))
	}
	// 10:02 is late (the evaluations at 10:03-10:06 ran without it) but
	// inside the range of the evaluation at 10:07 (range [09:52, 10:07),
	// newest period [10:02, 10:07)).
	if !e.Publish(f, at(t, "2022-11-26T10:02:00Z"), 1) {
		t.Fatal("late datapoint inside the range refused")
	}
	trs := e.Advance(at(t, "2022-11-26T10:07:00Z"))
	if len(trs) != 1 || trs[0].To != Alarm || !trs[0].Time.Equal(at(t, "2022-11-26T10:07:00Z")) {
		t.Fatalf("late datapoint: %s", summary(trs))
	}
	if !strings.Contains(trs[0].Reason, "[1.0 (26/11/22 10:02:00)]") {
		t.Errorf("reason %q", trs[0].Reason)
	}
	e.Advance(at(t, "2022-11-26T12:00:00Z"))
	if e.Publish(f, at(t, "2022-11-26T10:30:00Z"), 1) {
		t.Error("datapoint older than every future evaluation range accepted")
	}
	if e.Observe(at(t, "2022-11-26T10:30:00Z")) {
		t.Error("observation older than every future evaluation range accepted")
	}
}

// TestNaNValueSuppressesDefault: a match whose metric value is not a number
// publishes nothing, and the minute is not a "no match" minute either.
func TestNaNValueSuppressesDefault(t *testing.T) {
	c := Config{Name: "nan", Period: time.Minute, EvaluationPeriods: 1, Threshold: 0,
		Comparison: GreaterThanOrEqualToThreshold, Statistic: SampleCount}
	e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
	a, _ := e.AddAlarm(c)
	f, _ := e.AddFeed(a, ptr(0))
	e.Observe(at(t, "2022-11-26T10:00:30Z"))
	e.Publish(f, at(t, "2022-11-26T10:00:30Z"), math.NaN())
	if trs := e.Advance(at(t, "2022-11-26T10:01:00Z")); len(trs) != 0 {
		t.Errorf("got %s", summary(trs))
	}
}

// TestHourlyCadence: alarms whose evaluation interval exceeds a day are
// evaluated once an hour ("If the number of evaluation periods multiplied by
// the length of each evaluation period exceeds one day, the alarm is
// evaluated once per hour", Alarm evaluation, CloudWatch User Guide).
func TestHourlyCadence(t *testing.T) {
	c := Config{Name: "daily", Period: 24 * time.Hour, EvaluationPeriods: 2, DatapointsToAlarm: 1, Threshold: 1,
		Comparison: GreaterThanOrEqualToThreshold, Statistic: Sum, TreatMissing: NotBreaching}
	e := NewEngine(at(t, "2022-11-26T10:00:00Z"))
	a, _ := e.AddAlarm(c)
	f, _ := e.AddFeed(a, nil)
	e.Publish(f, at(t, "2022-11-26T10:20:00Z"), 1)
	trs := e.Advance(at(t, "2022-11-26T13:00:00Z"))
	var got []string
	for _, tr := range trs {
		got = append(got, tr.Time.Format("15:04")+" "+tr.To.String())
	}
	if want := []string{"11:00 ALARM"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestEngineMatchesBruteForce compares the engine (sparse storage, skipping
// of empty stretches, pruning, data fed in small time-ordered steps with
// some lateness) with a direct evaluation at every minute over all data.
func TestEngineMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	start := at(t, "2022-11-26T00:00:00Z")
	for iter := 0; iter < 60; iter++ {
		treat := TreatMissing(rng.IntN(4))
		n := 1 + rng.IntN(3)
		c := Config{
			Name: "r", Period: time.Duration(1+rng.IntN(5)) * time.Minute, EvaluationPeriods: n,
			DatapointsToAlarm: 1 + rng.IntN(n), Threshold: float64(rng.IntN(3)),
			Comparison: Comparison(1 + rng.IntN(4)), Statistic: Statistic(1 + rng.IntN(5)), TreatMissing: treat,
		}
		var def *float64
		if rng.IntN(2) == 0 {
			def = ptr(float64(rng.IntN(2)))
		}
		type ev struct {
			t     time.Time
			match bool
			v     float64
		}
		var evs []ev
		for m := 0; m < 240; m++ {
			if rng.IntN(6) != 0 && (m/40)%2 == 0 { // bursts and gaps
				continue
			}
			tm := start.Add(time.Duration(m)*time.Minute + time.Duration(rng.IntN(60))*time.Second)
			evs = append(evs, ev{tm, rng.IntN(3) == 0, float64(rng.IntN(4))})
		}
		// Engine: events arrive up to 3 minutes out of order; evaluation
		// runs up to 5 minutes behind the newest event.
		e := NewEngine(start)
		a, _ := e.AddAlarm(c)
		f, _ := e.AddFeed(a, def)
		arr := slices.Clone(evs)
		for i := range arr {
			j := min(len(arr)-1, i+rng.IntN(3))
			if arr[j].t.Sub(arr[i].t) < 3*time.Minute {
				arr[i], arr[j] = arr[j], arr[i]
			}
		}
		var got []Transition
		var newest time.Time
		for _, x := range arr {
			if x.t.After(newest) {
				newest = x.t
			}
			e.Observe(x.t)
			if x.match {
				e.Publish(f, x.t, x.v)
			}
			got = append(got, e.Advance(newest.Add(-5*time.Minute))...)
		}
		end := start.Add(6 * time.Hour)
		got = append(got, e.Advance(end)...)

		// Brute force.
		var want []Transition
		state := InsufficientData
		for tm := start.Add(time.Minute); !tm.After(end); tm = tm.Add(time.Minute) {
			r := c.Range()
			w := make([]Datapoint, r)
			for i := range r {
				wend := tm.Add(-time.Duration(r-1-i) * c.Period)
				wstart := wend.Add(-c.Period)
				var vals []float64
				seen := map[int64]bool{}
				matched := map[int64]bool{}
				for _, x := range evs {
					if x.t.Before(wstart) || !x.t.Before(wend) {
						continue
					}
					mn := x.t.Unix() / 60
					seen[mn] = true
					if x.match {
						matched[mn] = true
						vals = append(vals, x.v)
					}
				}
				if def != nil {
					for mn := range seen {
						if !matched[mn] {
							vals = append(vals, *def)
						}
					}
				}
				w[i] = Datapoint{Start: wstart}
				if len(vals) > 0 {
					w[i].Present = true
					s, lo, hi := 0.0, vals[0], vals[0]
					for _, v := range vals {
						s += v
						lo, hi = math.Min(lo, v), math.Max(hi, v)
					}
					switch c.Statistic {
					case SampleCount:
						w[i].Value = float64(len(vals))
					case Sum:
						w[i].Value = s
					case Average:
						w[i].Value = s / float64(len(vals))
					case Minimum:
						w[i].Value = lo
					case Maximum:
						w[i].Value = hi
					}
				}
			}
			res := Evaluate(c, state, w)
			if !res.Retained && res.State != state {
				want = append(want, Transition{Name: c.Name, Time: tm, From: state, To: res.State, Reason: res.Reason})
				state = res.State
			}
		}
		if g, w := summary(got), summary(want); g != w {
			t.Fatalf("iteration %d, %+v default %v:\nengine:\n%s\nbrute force:\n%s", iter, c, def, g, w)
		}
	}
}
