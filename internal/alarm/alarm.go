// Package alarm aggregates metric datapoints and runs the CloudWatch metric
// alarm state machine over them. It is pure: no I/O, no wall clock. Time is
// whatever the caller says it is (event time in trailwatch), and one small
// state machine is kept per alarm.
//
// The rules it implements, and where each comes from, are written down in
// docs/alarms.md; the tests cite the CloudWatch documentation row by row.
package alarm

import (
	"fmt"
	"time"
)

// State is an alarm state.
type State uint8

// Alarm states, as CloudWatch names them.
const (
	InsufficientData State = iota
	OK
	Alarm
)

func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Alarm:
		return "ALARM"
	default:
		return "INSUFFICIENT_DATA"
	}
}

// ParseState parses "OK", "ALARM" or "INSUFFICIENT_DATA".
func ParseState(s string) (State, error) {
	switch s {
	case "OK":
		return OK, nil
	case "ALARM":
		return Alarm, nil
	case "INSUFFICIENT_DATA":
		return InsufficientData, nil
	}
	return 0, fmt.Errorf("unknown alarm state %q (want OK, ALARM or INSUFFICIENT_DATA)", s)
}

// Statistic aggregates the values published in one period into a datapoint.
type Statistic uint8

// Statistics supported for alarms on metric-filter metrics.
const (
	SampleCount Statistic = iota + 1
	Sum
	Average
	Minimum
	Maximum
)

func (s Statistic) String() string {
	switch s {
	case SampleCount:
		return "SampleCount"
	case Sum:
		return "Sum"
	case Average:
		return "Average"
	case Minimum:
		return "Minimum"
	case Maximum:
		return "Maximum"
	}
	return fmt.Sprintf("Statistic(%d)", uint8(s))
}

// ParseStatistic parses a CloudWatch statistic name.
func ParseStatistic(s string) (Statistic, error) {
	switch s {
	case "SampleCount":
		return SampleCount, nil
	case "Sum":
		return Sum, nil
	case "Average":
		return Average, nil
	case "Minimum":
		return Minimum, nil
	case "Maximum":
		return Maximum, nil
	}
	return 0, fmt.Errorf("unsupported statistic %q (want SampleCount, Sum, Average, Minimum or Maximum; percentiles are not supported)", s)
}

// Comparison is an alarm's ComparisonOperator.
type Comparison uint8

// The static-threshold comparison operators. The anomaly-detection band
// operators (LessThanLowerOrGreaterThanUpperThreshold, ...) need a model
// CloudWatch trains and are not supported.
const (
	GreaterThanOrEqualToThreshold Comparison = iota + 1
	GreaterThanThreshold
	LessThanThreshold
	LessThanOrEqualToThreshold
)

func (c Comparison) String() string {
	switch c {
	case GreaterThanOrEqualToThreshold:
		return "GreaterThanOrEqualToThreshold"
	case GreaterThanThreshold:
		return "GreaterThanThreshold"
	case LessThanThreshold:
		return "LessThanThreshold"
	case LessThanOrEqualToThreshold:
		return "LessThanOrEqualToThreshold"
	}
	return fmt.Sprintf("Comparison(%d)", uint8(c))
}

// phrase is how StateReason words the operator.
func (c Comparison) phrase() string {
	switch c {
	case GreaterThanOrEqualToThreshold:
		return "greater than or equal to"
	case GreaterThanThreshold:
		return "greater than"
	case LessThanThreshold:
		return "less than"
	case LessThanOrEqualToThreshold:
		return "less than or equal to"
	}
	return "compared with"
}

// ParseComparison parses a ComparisonOperator.
func ParseComparison(s string) (Comparison, error) {
	switch s {
	case "GreaterThanOrEqualToThreshold":
		return GreaterThanOrEqualToThreshold, nil
	case "GreaterThanThreshold":
		return GreaterThanThreshold, nil
	case "LessThanThreshold":
		return LessThanThreshold, nil
	case "LessThanOrEqualToThreshold":
		return LessThanOrEqualToThreshold, nil
	}
	return 0, fmt.Errorf("unsupported comparison operator %q (want GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold)", s)
}

// Breaches reports whether value is outside the threshold.
func (c Comparison) Breaches(value, threshold float64) bool {
	switch c {
	case GreaterThanOrEqualToThreshold:
		return value >= threshold
	case GreaterThanThreshold:
		return value > threshold
	case LessThanThreshold:
		return value < threshold
	case LessThanOrEqualToThreshold:
		return value <= threshold
	}
	return false
}

// TreatMissing says how missing datapoints count.
type TreatMissing uint8

// TreatMissingData values; Missing is CloudWatch's default.
const (
	Missing TreatMissing = iota
	NotBreaching
	Breaching
	Ignore
)

func (t TreatMissing) String() string {
	switch t {
	case NotBreaching:
		return "notBreaching"
	case Breaching:
		return "breaching"
	case Ignore:
		return "ignore"
	}
	return "missing"
}

// ParseTreatMissing parses a TreatMissingData value; "" is the default,
// missing.
func ParseTreatMissing(s string) (TreatMissing, error) {
	switch s {
	case "", "missing":
		return Missing, nil
	case "notBreaching":
		return NotBreaching, nil
	case "breaching":
		return Breaching, nil
	case "ignore":
		return Ignore, nil
	}
	return 0, fmt.Errorf("unknown TreatMissingData %q (want missing, notBreaching, breaching or ignore)", s)
}

// Config is what the state machine needs of an alarm definition.
type Config struct {
	Name              string
	Period            time.Duration // a multiple of one minute
	EvaluationPeriods int           // N
	DatapointsToAlarm int           // M; 0 means N
	Threshold         float64
	Comparison        Comparison
	Statistic         Statistic
	TreatMissing      TreatMissing
	// EvaluationRange is how many of the most recent periods are retrieved
	// at each evaluation; 0 means EvaluationPeriods+2 (docs/alarms.md).
	EvaluationRange int
}

// M returns DatapointsToAlarm, defaulted.
func (c Config) M() int {
	if c.DatapointsToAlarm == 0 {
		return c.EvaluationPeriods
	}
	return c.DatapointsToAlarm
}

// Range returns the evaluation range in periods, defaulted.
func (c Config) Range() int {
	if c.EvaluationRange == 0 {
		return c.EvaluationPeriods + 2
	}
	return c.EvaluationRange
}

// Cadence is how often the alarm is evaluated: every minute, or every hour
// when Period × EvaluationPeriods is longer than a day.
func (c Config) Cadence() time.Duration {
	if c.Period*time.Duration(c.EvaluationPeriods) > 24*time.Hour {
		return time.Hour
	}
	return time.Minute
}

// Validate checks the limits PutMetricAlarm enforces that matter here.
func (c Config) Validate() error {
	switch {
	case c.Period <= 0:
		return fmt.Errorf("alarm %s: Period must be positive", c.Name)
	case c.Period < time.Minute && (c.Period == 10*time.Second || c.Period == 20*time.Second || c.Period == 30*time.Second):
		return fmt.Errorf("alarm %s: Period %v is a high-resolution period; metric filters publish standard-resolution (one-minute) metrics, so use a multiple of 60 seconds", c.Name, c.Period)
	case c.Period%time.Minute != 0:
		return fmt.Errorf("alarm %s: Period %v must be 10, 20, 30 or a multiple of 60 seconds", c.Name, c.Period)
	case c.EvaluationPeriods < 1:
		return fmt.Errorf("alarm %s: EvaluationPeriods must be at least 1", c.Name)
	case c.DatapointsToAlarm < 0 || c.DatapointsToAlarm > c.EvaluationPeriods:
		return fmt.Errorf("alarm %s: DatapointsToAlarm %d must be between 1 and EvaluationPeriods (%d)", c.Name, c.DatapointsToAlarm, c.EvaluationPeriods)
	case c.Period*time.Duration(c.EvaluationPeriods) > 7*24*time.Hour:
		return fmt.Errorf("alarm %s: Period × EvaluationPeriods must not exceed 7 days", c.Name)
	case c.Period < time.Hour && c.Period*time.Duration(c.EvaluationPeriods) > 24*time.Hour:
		return fmt.Errorf("alarm %s: with a Period under an hour, Period × EvaluationPeriods must not exceed one day", c.Name)
	case c.EvaluationRange != 0 && c.EvaluationRange < c.EvaluationPeriods:
		return fmt.Errorf("alarm %s: EvaluationRange %d is smaller than EvaluationPeriods %d", c.Name, c.EvaluationRange, c.EvaluationPeriods)
	}
	if c.Comparison < GreaterThanOrEqualToThreshold || c.Comparison > LessThanOrEqualToThreshold {
		return fmt.Errorf("alarm %s: no comparison operator", c.Name)
	}
	if c.Statistic < SampleCount || c.Statistic > Maximum {
		return fmt.Errorf("alarm %s: no statistic", c.Name)
	}
	if c.TreatMissing > Ignore {
		return fmt.Errorf("alarm %s: bad TreatMissingData", c.Name)
	}
	return nil
}
