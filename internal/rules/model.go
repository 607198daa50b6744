// Package rules is the rule model of trailwatch, in CloudWatch's own
// vocabulary: metric filters, subscription filters, metric alarms and the
// notification targets their actions deliver to. Rules load from trailwatch
// rules files (YAML) and from CloudFormation templates (YAML or JSON), and
// built-in packs are rules files embedded in the binary.
//
// Loading does not evaluate anything; see package rules/engine for that.
package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarm"
)

// Set is a collection of rules from one or more files.
type Set struct {
	MetricFilters       []MetricFilter
	SubscriptionFilters []SubscriptionFilter
	Alarms              []Alarm
	Targets             []Target
	// Skipped lists resources of a CloudFormation template that were not
	// loaded, and why; nothing is dropped silently.
	Skipped []Skipped
	// Parameters lists the parameters the loaded files declare.
	Parameters []Parameter
	Delivery   Delivery
}

// Origin says where a rule came from.
type Origin struct {
	File      string // path, or "pack:NAME"
	Line      int    // 1-based line of the definition, 0 if unknown
	LogicalID string // CloudFormation logical ID, "" in rules files
}

func (o Origin) String() string {
	s := o.File
	if o.Line > 0 {
		s = fmt.Sprintf("%s:%d", s, o.Line)
	}
	if o.LogicalID != "" {
		s += " (" + o.LogicalID + ")"
	}
	return s
}

// MetricFilter is a CloudWatch Logs metric filter (PutMetricFilter,
// AWS::Logs::MetricFilter).
type MetricFilter struct {
	FilterName            string
	FilterPattern         string
	LogGroupName          string
	MetricTransformations []MetricTransformation
	Description           string // rules files only
	Origin                Origin
}

// MetricTransformation says what a metric filter publishes for each
// matching event.
type MetricTransformation struct {
	MetricName      string
	MetricNamespace string
	// MetricValue is a number ("1") or a reference to a field of the event
	// ("$.requestParameters.count", "$size" in space-delimited patterns).
	MetricValue string
	// DefaultValue is published for periods in which events were ingested
	// but none matched; nil publishes nothing then.
	DefaultValue *float64
	// Dimensions maps a dimension name to a field reference ("$.eventName").
	Dimensions map[string]string
	Unit       string
}

// SubscriptionFilter is a CloudWatch Logs subscription filter
// (PutSubscriptionFilter, AWS::Logs::SubscriptionFilter): every matching
// event is delivered to Destination.
type SubscriptionFilter struct {
	FilterName    string
	FilterPattern string
	LogGroupName  string
	Destination   string // ARN of a Lambda function, Kinesis stream, Firehose, ...
	Description   string // rules files only
	Origin        Origin
}

// Dimension is an alarm's metric dimension.
type Dimension struct {
	Name, Value string
}

// Alarm is a CloudWatch metric alarm (PutMetricAlarm,
// AWS::CloudWatch::Alarm) on a single metric with a static threshold.
type Alarm struct {
	AlarmName               string
	AlarmDescription        string
	MetricName              string
	Namespace               string
	Dimensions              []Dimension
	Statistic               string
	Period                  int // seconds
	EvaluationPeriods       int
	DatapointsToAlarm       int // 0: EvaluationPeriods
	Threshold               float64
	ComparisonOperator      string
	TreatMissingData        string // "" is missing
	Unit                    string
	ActionsEnabled          *bool // nil: true
	AlarmActions            []string
	OKActions               []string
	InsufficientDataActions []string
	Origin                  Origin
}

// Enabled reports whether the alarm's actions run (ActionsEnabled defaults
// to true).
func (a *Alarm) Enabled() bool { return a.ActionsEnabled == nil || *a.ActionsEnabled }

// Target is what an ARN named by an alarm action or a subscription filter's
// destination delivers to: an SNS topic and its subscriptions, or a Lambda
// function that forwards events (as in seed 004).
type Target struct {
	ARN           string
	Name          string // display name (SNS DisplayName)
	Subscriptions []Subscription
	Origin        Origin
}

// Subscription is one delivery of a target, in SNS's vocabulary (Protocol
// and Endpoint) with trailwatch's own protocols added:
//
//	email, email-json  an e-mail to Endpoint, sent over SMTP
//	http, https        an HTTP POST of JSON to Endpoint; Format "slack" posts a Slack-compatible payload
//	sns                a Publish to the SNS topic Endpoint (default: the target's ARN)
//	file               a JSON line appended to the file Endpoint
//	stdout             a line on standard output
type Subscription struct {
	Protocol string
	Endpoint string
	Format   string // http/https: "" (SNS-style JSON) or "slack"
	// Subject overrides the notification's subject; ${AWS::AccountId},
	// ${AWS::Region} and parameters are substituted when the rules load.
	Subject string
}

// Skipped is a CloudFormation resource that was not loaded.
type Skipped struct {
	LogicalID string
	Type      string
	Reason    string
	// Unsupported is true for resources that may hold rules trailwatch
	// cannot load (a nested stack, a metric-math alarm), false for
	// resources that are simply not rules (an IAM role).
	Unsupported bool
	Origin      Origin
}

// Parameter is a parameter a rules file or template declares.
type Parameter struct {
	Name        string
	Default     *string
	Description string
	Value       string // the value used
	Origin      Origin
}

// Delivery holds settings of the notification transports.
type Delivery struct {
	SMTP SMTPSettings
	SNS  SNSSettings
}

// SMTPSettings configure e-mail delivery.
type SMTPSettings struct {
	Address string // host:port
	From    string
	// Username and PasswordEnv authenticate with PLAIN; the password is
	// read from the environment variable PasswordEnv, never from a file.
	Username    string
	PasswordEnv string
	// TLS connects with TLS from the start (port 465); StartTLS is
	// "opportunistic" (default), "required" or "off".
	TLS      bool
	StartTLS string
}

// SNSSettings configure delivery through the SNS API.
type SNSSettings struct {
	Region   string
	Endpoint string // custom endpoint URL (a local test server)
}

// Merge adds the rules of o to s. Targets with the same ARN are merged.
func (s *Set) Merge(o *Set) {
	s.MetricFilters = append(s.MetricFilters, o.MetricFilters...)
	s.SubscriptionFilters = append(s.SubscriptionFilters, o.SubscriptionFilters...)
	s.Alarms = append(s.Alarms, o.Alarms...)
	for _, t := range o.Targets {
		s.AddTarget(t)
	}
	s.Skipped = append(s.Skipped, o.Skipped...)
	s.Parameters = append(s.Parameters, o.Parameters...)
	if o.Delivery.SMTP.Address != "" || o.Delivery.SMTP.From != "" {
		s.Delivery.SMTP = o.Delivery.SMTP
	}
	if o.Delivery.SNS.Region != "" || o.Delivery.SNS.Endpoint != "" {
		s.Delivery.SNS = o.Delivery.SNS
	}
}

// AddTarget adds t, merging it into a target with the same ARN.
func (s *Set) AddTarget(t Target) {
	for i := range s.Targets {
		if s.Targets[i].ARN == t.ARN {
			if s.Targets[i].Name == "" {
				s.Targets[i].Name = t.Name
			}
			s.Targets[i].Subscriptions = append(s.Targets[i].Subscriptions, t.Subscriptions...)
			return
		}
	}
	s.Targets = append(s.Targets, t)
}

// Target returns the target for arn, or nil.
func (s *Set) Target(arn string) *Target {
	for i := range s.Targets {
		if s.Targets[i].ARN == arn {
			return &s.Targets[i]
		}
	}
	return nil
}

// Names returns the names of every filter and alarm, sorted; for listings.
func (s *Set) Names() []string {
	var out []string
	for _, f := range s.MetricFilters {
		out = append(out, f.FilterName)
	}
	for _, f := range s.SubscriptionFilters {
		out = append(out, f.FilterName)
	}
	for _, a := range s.Alarms {
		out = append(out, a.AlarmName)
	}
	sort.Strings(out)
	return out
}

// Validate checks what CloudWatch would refuse and what would make results
// ambiguous (two filters with one name). It returns every problem found,
// joined; warnings are things that load but are likely mistakes.
func (s *Set) Validate() (warnings []string, err error) {
	var errs []string
	bad := func(o Origin, format string, args ...any) {
		errs = append(errs, o.String()+": "+fmt.Sprintf(format, args...))
	}
	names := map[string]Origin{}
	unique := func(kind, name string, o Origin) {
		key := kind + "\x00" + name
		if prev, ok := names[key]; ok {
			bad(o, "%s %q is also defined at %s", kind, name, prev)
			return
		}
		names[key] = o
	}
	published := map[string]bool{}
	untargeted := map[string][]string{}
	var arns []string
	for _, f := range s.MetricFilters {
		if f.FilterName == "" {
			bad(f.Origin, "metric filter has no filterName")
		}
		unique("filter", f.FilterName, f.Origin)
		if len(f.MetricTransformations) != 1 {
			bad(f.Origin, "metric filter %s: exactly one metric transformation is required, not %d", f.FilterName, len(f.MetricTransformations))
		}
		for _, mt := range f.MetricTransformations {
			switch {
			case mt.MetricName == "":
				bad(f.Origin, "metric filter %s: metricName is required", f.FilterName)
			case mt.MetricNamespace == "":
				bad(f.Origin, "metric filter %s: metricNamespace is required", f.FilterName)
			case mt.MetricValue == "":
				bad(f.Origin, "metric filter %s: metricValue is required", f.FilterName)
			}
			if len(mt.Dimensions) > 3 {
				bad(f.Origin, "metric filter %s: at most 3 dimensions", f.FilterName)
			}
			if len(mt.Dimensions) > 0 && mt.DefaultValue != nil {
				bad(f.Origin, "metric filter %s: a metric transformation with dimensions cannot have a defaultValue", f.FilterName)
			}
			for k, v := range mt.Dimensions {
				if !strings.HasPrefix(v, "$") {
					bad(f.Origin, "metric filter %s: dimension %s must be a field reference such as $.eventName, not %q", f.FilterName, k, v)
				}
			}
			published[mt.MetricNamespace+"\x00"+mt.MetricName] = true
		}
	}
	for _, f := range s.SubscriptionFilters {
		if f.FilterName == "" {
			bad(f.Origin, "subscription filter has no filterName")
		}
		unique("filter", f.FilterName, f.Origin)
		if f.Destination == "" {
			bad(f.Origin, "subscription filter %s: destination is required", f.FilterName)
		}
	}
	for _, a := range s.Alarms {
		if a.AlarmName == "" {
			bad(a.Origin, "alarm has no AlarmName")
		}
		unique("alarm", a.AlarmName, a.Origin)
		if a.MetricName == "" || a.Namespace == "" {
			bad(a.Origin, "alarm %s: MetricName and Namespace are required", a.AlarmName)
		} else if !published[a.Namespace+"\x00"+a.MetricName] {
			warnings = append(warnings, fmt.Sprintf("%s: alarm %s watches %s/%s, which no loaded metric filter publishes; it will stay INSUFFICIENT_DATA or follow TreatMissingData", a.Origin, a.AlarmName, a.Namespace, a.MetricName))
		}
		if _, err := AlarmConfig(&a); err != nil {
			bad(a.Origin, "%v", err)
		}
		for _, act := range [][]string{a.AlarmActions, a.OKActions, a.InsufficientDataActions} {
			for _, arn := range act {
				if s.Target(arn) == nil && !slices.Contains(untargeted[arn], a.AlarmName) {
					if untargeted[arn] == nil {
						arns = append(arns, arn)
					}
					untargeted[arn] = append(untargeted[arn], a.AlarmName)
				}
			}
		}
	}
	for _, arn := range arns {
		who := untargeted[arn]
		desc := "alarm " + who[0]
		if len(who) > 1 {
			desc = fmt.Sprintf("%d alarms (%s, ...)", len(who), who[0])
		}
		warnings = append(warnings, fmt.Sprintf("action %s of %s has no notification target; notifications to it are reported, not delivered", arn, desc))
	}
	for _, t := range s.Targets {
		if t.ARN == "" {
			bad(t.Origin, "notification target has no arn")
		}
		for _, sub := range t.Subscriptions {
			switch sub.Protocol {
			case "email", "email-json", "http", "https", "file":
				if sub.Endpoint == "" {
					bad(t.Origin, "target %s: %s subscription needs an endpoint", t.ARN, sub.Protocol)
				}
			case "sns", "stdout":
			default:
				bad(t.Origin, "target %s: unsupported protocol %q (want email, email-json, http, https, file, sns or stdout)", t.ARN, sub.Protocol)
			}
			if sub.Format != "" && sub.Format != "slack" {
				bad(t.Origin, "target %s: unknown format %q (want slack)", t.ARN, sub.Format)
			}
		}
	}
	if len(errs) > 0 {
		return warnings, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return warnings, nil
}

// AlarmConfig converts an alarm to the state machine's configuration,
// checking what PutMetricAlarm would refuse.
func AlarmConfig(a *Alarm) (alarm.Config, error) {
	c := alarm.Config{
		Name:              a.AlarmName,
		Period:            time.Duration(a.Period) * time.Second,
		EvaluationPeriods: a.EvaluationPeriods,
		DatapointsToAlarm: a.DatapointsToAlarm,
		Threshold:         a.Threshold,
	}
	var err error
	if c.Statistic, err = alarm.ParseStatistic(a.Statistic); err != nil {
		return c, fmt.Errorf("alarm %s: %w", a.AlarmName, err)
	}
	if c.Comparison, err = alarm.ParseComparison(a.ComparisonOperator); err != nil {
		return c, fmt.Errorf("alarm %s: %w", a.AlarmName, err)
	}
	if c.TreatMissing, err = alarm.ParseTreatMissing(a.TreatMissingData); err != nil {
		return c, fmt.Errorf("alarm %s: %w", a.AlarmName, err)
	}
	return c, c.Validate()
}
