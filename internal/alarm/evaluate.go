package alarm

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/javafmt"
)

// Datapoint is one period's aggregated value. Start is the beginning of the
// period, which is the timestamp CloudWatch shows for a datapoint.
type Datapoint struct {
	Start   time.Time
	Value   float64
	Present bool // false: no data was published in the period (missing)
}

// Result is the outcome of one evaluation.
type Result struct {
	// State is the state the alarm is in after the evaluation.
	State State
	// Reason is the StateReason for moving to State, in CloudWatch's words.
	// It is empty when the state was retained (TreatMissingData ignore).
	Reason string
	// Retained is true when TreatMissingData ignore kept the current state.
	Retained bool
	// Evaluated are the real datapoints the decision used, oldest first.
	Evaluated []Datapoint
}

// Evaluate decides an alarm's state from the datapoints of its evaluation
// range, oldest first (one per period, missing ones with Present false).
// current is the state before the evaluation (used by ignore).
//
// The procedure is the one documented in "How alarm state is evaluated when
// data is missing" (Amazon CloudWatch User Guide, "Configuring how CloudWatch
// alarms treat missing data"):
//
//   - With at least EvaluationPeriods real datapoints in the range, the most
//     recent EvaluationPeriods of them are evaluated and TreatMissingData is
//     not used.
//   - With fewer, the missing ones are filled in as few times as possible,
//     according to TreatMissingData, and every real datapoint in the range is
//     included.
//   - If fewer than DatapointsToAlarm of the evaluated datapoints breach, the
//     state is OK, otherwise ALARM.
//
// For missing and ignore, which fill in nothing, the documented tables fix
// the outcome (docs/alarms.md has the derivation): a decision only the real
// datapoints can make is taken; otherwise missing goes to INSUFFICIENT_DATA
// and ignore keeps the current state, except that with missing, when the
// oldest evaluated datapoint is real and breaching and none is
// non-breaching, the alarm goes to ALARM (the table's sixth row).
func Evaluate(c Config, current State, window []Datapoint) Result {
	n, m := c.EvaluationPeriods, c.M()
	var real []int
	for i, d := range window {
		if d.Present && !math.IsNaN(d.Value) {
			real = append(real, i)
		}
	}
	k := len(real)
	breaches := func(d Datapoint) bool { return c.Comparison.Breaches(d.Value, c.Threshold) }

	if k >= n {
		ev := pick(window, real[k-n:])
		return decide(c, ev, n)
	}
	if k == 0 {
		switch c.TreatMissing {
		case Breaching:
			return Result{State: Alarm, Reason: noData(n, "Breaching")}
		case NotBreaching:
			return Result{State: OK, Reason: noData(n, "NonBreaching")}
		case Ignore:
			return Result{State: current, Retained: true}
		default:
			return Result{State: InsufficientData, Reason: unknown(n)}
		}
	}

	ev := pick(window, real)
	b := 0
	for _, d := range ev {
		if breaches(d) {
			b++
		}
	}
	fill := n - k
	switch c.TreatMissing {
	case Breaching, NotBreaching:
		label := "NonBreaching"
		if c.TreatMissing == Breaching {
			b += fill
			label = "Breaching"
		}
		st := OK
		if b >= m {
			st = Alarm
		}
		return Result{State: st, Reason: partial(k, n, fill, label), Evaluated: ev}
	}

	// missing or ignore: only the real datapoints speak.
	if b >= m {
		return decide(c, ev, len(ev))
	}
	if b < k { // some real datapoint is within the threshold
		return decide(c, ev, len(ev))
	}
	// Every real datapoint breaches, but fewer than DatapointsToAlarm.
	if c.TreatMissing == Missing {
		// The evaluated set is the real datapoints plus the most recent
		// missing ones. If every filled slot is newer than the oldest real
		// datapoint, the oldest evaluated datapoint is a breaching one.
		oldest := real[0]
		newerMissing := (len(window) - 1 - oldest) - (k - 1)
		if newerMissing >= fill {
			return Result{State: Alarm, Reason: crossed(c, ev, len(ev), true), Evaluated: ev}
		}
		return Result{State: InsufficientData, Reason: unknown(fill), Evaluated: ev}
	}
	return Result{State: current, Retained: true, Evaluated: ev}
}

func pick(window []Datapoint, idx []int) []Datapoint {
	out := make([]Datapoint, len(idx))
	for i, j := range idx {
		out[i] = window[j]
	}
	return out
}

// decide compares real datapoints only; of is how many were evaluated.
func decide(c Config, ev []Datapoint, of int) Result {
	b := 0
	for _, d := range ev {
		if c.Comparison.Breaches(d.Value, c.Threshold) {
			b++
		}
	}
	if b >= c.M() {
		return Result{State: Alarm, Reason: crossed(c, ev, of, true), Evaluated: ev}
	}
	return Result{State: OK, Reason: crossed(c, ev, of, false), Evaluated: ev}
}

// crossed words a decision on real datapoints the way CloudWatch does:
//
//	Threshold Crossed: 1 out of the last 1 datapoints [1.0 (22/11/26 10:05:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).
//
// For ALARM the breaching datapoints are listed, for OK the others, most
// recent first.
func crossed(c Config, ev []Datapoint, of int, alarm bool) string {
	var list []Datapoint
	for i := len(ev) - 1; i >= 0; i-- {
		if c.Comparison.Breaches(ev[i].Value, c.Threshold) == alarm {
			list = append(list, ev[i])
		}
	}
	var sb strings.Builder
	sb.WriteString("Threshold Crossed: ")
	sb.WriteString(strconv.Itoa(len(list)))
	sb.WriteString(" out of the last ")
	sb.WriteString(strconv.Itoa(of))
	sb.WriteString(" datapoints [")
	for i, d := range list {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(javafmt.Double(d.Value))
		sb.WriteString(" (")
		sb.WriteString(d.Start.UTC().Format(ReasonTimeLayout))
		sb.WriteString(")")
	}
	sb.WriteString("] ")
	sb.WriteString(wasWere(len(list)))
	sb.WriteString(" ")
	if !alarm {
		sb.WriteString("not ")
	}
	sb.WriteString(c.Comparison.phrase())
	sb.WriteString(" the threshold (")
	sb.WriteString(javafmt.Double(c.Threshold))
	sb.WriteString(") (minimum ")
	if alarm {
		sb.WriteString(plural(c.M(), "datapoint"))
		sb.WriteString(" for OK -> ALARM transition).")
	} else {
		sb.WriteString(plural(c.EvaluationPeriods-c.M()+1, "datapoint"))
		sb.WriteString(" for ALARM -> OK transition).")
	}
	return sb.String()
}

// ReasonTimeLayout is how StateReason prints a datapoint's timestamp
// (dd/mm/yy, UTC).
const ReasonTimeLayout = "02/01/06 15:04:05"

func noData(n int, label string) string {
	return "Threshold Crossed: no datapoints were received for " + plural(n, "period") +
		" and " + plural(n, "missing datapoint") + " " + wasWere(n) + " treated as [" + label + "]."
}

func partial(k, n, fill int, label string) string {
	return "Threshold Crossed: " + plural(k, "datapoint") + " " + wasWere(k) + " received for " + plural(n, "period") +
		" and " + plural(fill, "missing datapoint") + " " + wasWere(fill) + " treated as [" + label + "]."
}

func unknown(n int) string {
	return "Insufficient Data: " + plural(n, "datapoint") + " " + wasWere(n) + " unknown."
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
