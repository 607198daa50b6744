package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testdata = filepath.Join("..", "..", "testdata", "rules")

// TestSeed004IAMTemplate loads seed 004's IAM template as the article
// wrote it (indentation restored): the metric filter is named by its
// logical ID, names and ARNs come from !Sub/!Ref with parameters and pseudo
// parameters, and the nested stack is listed as unsupported.
func TestSeed004IAMTemplate(t *testing.T) {
	s, err := LoadFile(filepath.Join(testdata, "seed004-iam.yaml"), LoadOptions{Params: map[string]string{
		"CloudWatchLogsGroup": "CloudTrail/DefaultLogGroup",
		"AWS::AccountId":      "000000000000",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.MetricFilters) != 1 || len(s.Alarms) != 1 || len(s.Targets) != 1 {
		t.Fatalf("got %d filters, %d alarms, %d targets", len(s.MetricFilters), len(s.Alarms), len(s.Targets))
	}
	f := s.MetricFilters[0]
	if f.FilterName != "MetricsFilterIAMWarn" {
		t.Errorf("filter without FilterName named %q, want its logical ID", f.FilterName)
	}
	if !strings.HasPrefix(f.FilterPattern, "{($.eventName=CreateAccessKey)||") || f.LogGroupName != "CloudTrail/DefaultLogGroup" {
		t.Errorf("filter %+v", f)
	}
	mt := f.MetricTransformations[0]
	if mt.MetricName != "CloudTrail/DefaultLogGroup/Warn" || mt.MetricNamespace != "IAMEvent" || mt.MetricValue != "1" ||
		mt.DefaultValue == nil || *mt.DefaultValue != 0 {
		t.Errorf("transformation %+v", mt)
	}
	a := s.Alarms[0]
	want := Alarm{AlarmName: "AlarmIAMWarn", AlarmDescription: "IAM Event", MetricName: "CloudTrail/DefaultLogGroup/Warn",
		Namespace: "IAMEvent", Statistic: "Maximum", Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
		ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching"}
	if a.AlarmName != want.AlarmName || a.MetricName != want.MetricName || a.Namespace != want.Namespace ||
		a.Statistic != want.Statistic || a.Period != want.Period || a.EvaluationPeriods != 1 || a.DatapointsToAlarm != 1 ||
		a.Threshold != 1 || a.ComparisonOperator != want.ComparisonOperator || a.TreatMissingData != want.TreatMissingData ||
		a.AlarmDescription != want.AlarmDescription {
		t.Errorf("alarm\n got %+v\nwant %+v", a, want)
	}
	topic := "arn:aws:sns:us-east-1:000000000000:Topic-000000000000-AwsIAMEvent"
	if len(a.AlarmActions) != 1 || a.AlarmActions[0] != topic {
		t.Errorf("AlarmActions %v, want [%s]", a.AlarmActions, topic)
	}
	if tg := s.Target(topic); tg == nil || tg.Name != "AwsIAMEvent-000000000000" {
		t.Errorf("target %+v", tg)
	}
	if len(s.Skipped) != 1 || s.Skipped[0].LogicalID != "LowerStackSubscription" || !s.Skipped[0].Unsupported ||
		!strings.Contains(s.Skipped[0].Reason, "Your LowerStackSnsSubscriptionYamlUrl") {
		t.Errorf("skipped %+v", s.Skipped)
	}
	if _, err := s.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}

func TestSeed004ParameterWithoutValue(t *testing.T) {
	_, err := LoadFile(filepath.Join(testdata, "seed004-iam.yaml"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "parameter CloudWatchLogsGroup has no value and no Default: pass --param CloudWatchLogsGroup=VALUE") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "seed004-iam.yaml") || !strings.Contains(err.Error(), "MetricsFilterIAMWarn") {
		t.Errorf("error does not name the file and resource: %v", err)
	}
}

// TestSeed004NestedStackByHand: the subscription the nested stack would
// create loads from the child template with --param, and merges into the
// topic of the parent.
func TestSeed004NestedStackByHand(t *testing.T) {
	opts := LoadOptions{Params: map[string]string{
		"CloudWatchLogsGroup": "CloudTrail/DefaultLogGroup",
		"NotifyEndpoint":      "secops@example.com",
		"TopicArn":            "arn:aws:sns:us-east-1:123456789012:Topic-123456789012-AwsIAMEvent",
	}}
	s := &Set{}
	for _, f := range []string{"seed004-iam.yaml", "seed004-subscription.yaml"} {
		o, err := LoadFile(filepath.Join(testdata, f), opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Merge(o)
	}
	tg := s.Target(s.Alarms[0].AlarmActions[0])
	if tg == nil || len(tg.Subscriptions) != 1 || tg.Subscriptions[0] != (Subscription{Protocol: "email", Endpoint: "secops@example.com"}) {
		t.Fatalf("target %+v", tg)
	}
	if u := UnusedParams(opts.Params, s); len(u) != 0 {
		t.Errorf("unused %v", u)
	}
	if u := UnusedParams(map[string]string{"CloudWatchLogGroup": "x", "AWS::Region": "eu-west-1"}, s); len(u) != 1 || u[0] != "CloudWatchLogGroup" {
		t.Errorf("typo not reported: %v", u)
	}
}

func TestSeed004ConsoleTemplate(t *testing.T) {
	s, err := LoadFile(filepath.Join(testdata, "seed004-console.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sk := range s.Skipped {
		got = append(got, sk.LogicalID+" "+sk.Type)
	}
	if strings.Join(got, ",") != "LowerStackSubscription AWS::CloudFormation::Stack,LambdaIAMRole AWS::IAM::Role,AWSLambdaFunction AWS::Lambda::Function" {
		t.Errorf("skipped %v", got)
	}
	if len(s.Targets) != 1 || s.Targets[0].ARN != "arn:aws:sns:us-east-1:123456789012:Topic-123456789012-AwsConsoleSignIn" {
		t.Errorf("targets %+v", s.Targets)
	}
}

func TestTemplateIntrinsics(t *testing.T) {
	tmpl := `{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {
    "Env": {"Type": "String", "Default": "prod"},
    "Roles": {"Type": "CommaDelimitedList", "Default": "a,b"}
  },
  "Mappings": {"Ns": {"prod": {"Name": "Security"}}},
  "Conditions": {
    "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
    "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]}
  },
  "Resources": {
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Fn::Sub": "fwd-${Env}"}}},
    "Sub": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {
      "FilterName": {"Fn::Join": ["-", ["sub", {"Ref": "AWS::Region"}, {"Fn::Select": [1, {"Ref": "Roles"}]}]]},
      "FilterPattern": "{ $.eventType = \"AwsConsoleSignIn\" }",
      "LogGroupName": "trail",
      "DestinationArn": {"Fn::GetAtt": ["Fn", "Arn"]}}},
    "MF": {"Type": "AWS::Logs::MetricFilter", "Properties": {
      "FilterPattern": "",
      "LogGroupName": "trail",
      "MetricTransformations": [{"MetricName": {"Fn::Sub": ["${X}Count", {"X": "Root"}]},
        "MetricNamespace": {"Fn::FindInMap": ["Ns", {"Ref": "Env"}, "Name"]},
        "MetricValue": "$.n", "Dimensions": [{"Key": "Event", "Value": "$.eventName"}]}]}},
    "Dev": {"Type": "AWS::Logs::MetricFilter", "Condition": "NotProd", "Properties": {"FilterPattern": "x"}},
    "A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
      "MetricName": "RootCount", "Namespace": "Security", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": "2",
      "Threshold": "0.5", "ComparisonOperator": "GreaterThanThreshold",
      "AlarmDescription": {"Fn::If": ["IsProd", "production", {"Ref": "AWS::NoValue"}]},
      "OKActions": [{"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t-${!Literal}"}],
      "Dimensions": [{"Name": "Event", "Value": "ConsoleLogin"}]}}
  }
}`
	s, err := Load("t.json", []byte(tmpl), LoadOptions{Params: map[string]string{"AWS::Region": "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	sf := s.SubscriptionFilters[0]
	if sf.FilterName != "sub-eu-west-1-b" || sf.Destination != "arn:aws:lambda:eu-west-1:123456789012:function:fwd-prod" {
		t.Errorf("subscription filter %+v", sf)
	}
	mf := s.MetricFilters[0]
	if mf.FilterName != "MF" || mf.MetricTransformations[0].MetricName != "RootCount" || mf.MetricTransformations[0].MetricNamespace != "Security" ||
		mf.MetricTransformations[0].Dimensions["Event"] != "$.eventName" {
		t.Errorf("metric filter %+v", mf)
	}
	if len(s.MetricFilters) != 1 || len(s.Skipped) != 2 || s.Skipped[1].Reason != "condition NotProd is false" {
		t.Errorf("condition: %d filters, skipped %+v", len(s.MetricFilters), s.Skipped)
	}
	a := s.Alarms[0]
	if a.AlarmName != "A" || a.EvaluationPeriods != 2 || a.Threshold != 0.5 || a.AlarmDescription != "production" ||
		a.OKActions[0] != "arn:aws:sns:eu-west-1:123456789012:t-${Literal}" || a.Dimensions[0] != (Dimension{"Event", "ConsoleLogin"}) {
		t.Errorf("alarm %+v", a)
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, tt := range []struct{ name, tmpl, want string }{
		{"unknown ref", "Resources:\n  A:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterPattern: !Ref Nope\n", "Nope is not a parameter"},
		{"import", "Resources:\n  A:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n      FilterPattern: x\n      DestinationArn: !ImportValue X\n", "exported by other stacks"},
		{"cycle", "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !GetAtt T.TopicName\n", "refers to itself"},
		{"bad getatt", "Resources:\n  A:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n      FilterPattern: x\n      DestinationArn: !GetAtt A.Nope\n", "not supported"},
		{"no pattern", "Resources:\n  A:\n    Type: AWS::Logs::MetricFilter\n    Properties: {}\n", "FilterPattern is required"},
		{"metric math", "Resources:\n  A:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      Metrics: []\n", ""},
		{"bad period", "Resources:\n  A:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      Period: 1.5\n      Threshold: 1\n", "not a whole number"},
		{"alias bomb", aliasBomb(), "too complex"},
		{"recursive alias", "x: &a [*a, *a]\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Subscription: *a\n", "nested too deeply"},
		{"no resources", "AWSTemplateFormatVersion: '2010-09-09'\n", "no Resources"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load("t.yaml", []byte(tt.tmpl), LoadOptions{})
			if tt.want == "" {
				if err != nil || len(s.Skipped) != 1 || !s.Skipped[0].Unsupported {
					t.Errorf("want an unsupported resource, got %v %+v", err, s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// aliasBomb is a template whose aliases expand to 2^30 values.
func aliasBomb() string {
	var sb strings.Builder
	sb.WriteString("a0: &a0 [x, x]\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&sb, "a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	sb.WriteString("Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Subscription: *a30\n")
	return sb.String()
}

func TestRulesFile(t *testing.T) {
	doc := `
parameters:
  Role:
    default: cm-policymaintainer
  Mail: {}
metricFilters:
  - filterName: policy-changes
    filterPattern: '{ ($.userIdentity.sessionContext.sessionIssuer.userName != ${Role}) && ($.eventName = PutRolePolicy) }'
    metricTransformations:
      - {metricName: PolicyChanges, metricNamespace: Trail, metricValue: 1, defaultValue: 0}
subscriptionFilters:
  - {filterName: signin, filterPattern: '{ $.eventType = "AwsConsoleSignIn" }', destinationArn: 'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:f'}
alarms:
  - AlarmName: policy
    MetricName: PolicyChanges
    Namespace: Trail
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: ['arn:aws:sns:${AWS::Region}:${AWS::AccountId}:alerts']
targets:
  - arn: 'arn:aws:sns:${AWS::Region}:${AWS::AccountId}:alerts'
    subscriptions:
      - {protocol: email, endpoint: '${Mail}'}
      - {protocol: https, endpoint: 'https://hooks.example.com/x', format: slack}
`
	s, err := Load("r.yaml", []byte(doc), LoadOptions{Params: map[string]string{"Mail": "ops@example.com", "AWS::Region": "ap-northeast-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MetricFilters[0].FilterPattern; !strings.Contains(got, "!= cm-policymaintainer)") {
		t.Errorf("pattern %q", got)
	}
	if s.MetricFilters[0].Origin.Line != 7 {
		t.Errorf("origin %v", s.MetricFilters[0].Origin)
	}
	if s.SubscriptionFilters[0].Destination != "arn:aws:lambda:ap-northeast-1:123456789012:function:f" {
		t.Errorf("destination %q", s.SubscriptionFilters[0].Destination)
	}
	tg := s.Target("arn:aws:sns:ap-northeast-1:123456789012:alerts")
	if tg == nil || tg.Subscriptions[0].Endpoint != "ops@example.com" || tg.Subscriptions[1].Format != "slack" {
		t.Errorf("target %+v", tg)
	}
	if w, err := s.Validate(); err != nil || len(w) != 0 {
		t.Errorf("validate: %v %v", w, err)
	}

	for _, tt := range []struct{ name, doc, want string }{
		{"unknown key", "metricFilters:\n  - filterName: x\n    filterPatern: y\n", "field filterPatern not found"},
		{"no pattern", "metricFilters:\n  - filterName: x\n", "filterPattern is required"},
		{"missing param", "parameters:\n  P: {}\nmetricFilters:\n  - {filterName: x, filterPattern: '${P}'}\n", "pass --param P=VALUE"},
		{"undeclared", "metricFilters:\n  - {filterName: x, filterPattern: '${Q}'}\n", "${Q}: no such parameter"},
		{"not a mapping", "- a\n", "want a mapping"},
		{"empty", "", "empty document"},
		{"bad yaml", "a: [", "yaml"},
		{"no threshold", "alarms:\n  - AlarmName: a\n", "Threshold is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("r.yaml", []byte(tt.doc), LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "r.yaml") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	one := 0.0
	base := func() *Set {
		return &Set{
			MetricFilters: []MetricFilter{{FilterName: "f", FilterPattern: "", MetricTransformations: []MetricTransformation{{MetricName: "M", MetricNamespace: "N", MetricValue: "1"}}}},
			Alarms: []Alarm{{AlarmName: "a", MetricName: "M", Namespace: "N", Statistic: "Sum", Period: 60, EvaluationPeriods: 1,
				ComparisonOperator: "GreaterThanThreshold"}},
		}
	}
	if w, err := base().Validate(); err != nil || len(w) != 0 {
		t.Fatalf("base: %v %v", w, err)
	}
	for name, tt := range map[string]struct {
		mut  func(*Set)
		want string
	}{
		"duplicate filter": {func(s *Set) { s.MetricFilters = append(s.MetricFilters, s.MetricFilters[0]) }, "is also defined"},
		"default with dims": {func(s *Set) {
			s.MetricFilters[0].MetricTransformations[0].DefaultValue = &one
			s.MetricFilters[0].MetricTransformations[0].Dimensions = map[string]string{"E": "$.eventName"}
		}, "cannot have a defaultValue"},
		"literal dimension": {func(s *Set) { s.MetricFilters[0].MetricTransformations[0].Dimensions = map[string]string{"E": "x"} }, "field reference"},
		"bad statistic":     {func(s *Set) { s.Alarms[0].Statistic = "p99" }, "unsupported statistic"},
		"bad period":        {func(s *Set) { s.Alarms[0].Period = 90 }, "multiple of 60"},
		"M > N":             {func(s *Set) { s.Alarms[0].DatapointsToAlarm = 3 }, "DatapointsToAlarm"},
		"bad treat":         {func(s *Set) { s.Alarms[0].TreatMissingData = "zero" }, "TreatMissingData"},
		"bad protocol":      {func(s *Set) { s.Targets = []Target{{ARN: "x", Subscriptions: []Subscription{{Protocol: "sms"}}}} }, "unsupported protocol"},
		"two transforms": {func(s *Set) {
			s.MetricFilters[0].MetricTransformations = append(s.MetricFilters[0].MetricTransformations, s.MetricFilters[0].MetricTransformations[0])
		}, "exactly one"},
	} {
		s := base()
		tt.mut(s)
		if _, err := s.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tt.want)
		}
	}
	s := base()
	s.Alarms[0].MetricName = "Other"
	s.Alarms[0].AlarmActions = []string{"arn:aws:sns:us-east-1:1:t"}
	if w, err := s.Validate(); err != nil || len(w) != 2 {
		t.Errorf("warnings %v, err %v", w, err)
	}
}

// FuzzLoad: no input makes the loader panic or hang, whatever its shape.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"seed004-iam.yaml", "seed004-console.yaml", "seed004-subscription.yaml"} {
		b, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub ['${A}', {A: !Join ['', [!Ref AWS::Region, !Select [0, !Split [',', 'a,b']]]]}]\n"))
	f.Add([]byte("Resources: {A: {Type: AWS::Logs::MetricFilter, Properties: {FilterPattern: !If [C, !Ref AWS::NoValue, x]}}}\nConditions: {C: !Equals [a, a]}\n"))
	f.Add([]byte("x: &a [*a]\nResources: {B: {Type: AWS::SNS::Topic, Properties: {TopicName: *a}}}\n"))
	f.Add([]byte("metricFilters:\n  - {filterName: a, filterPattern: '${!x}${AWS::AccountId}', metricTransformations: [{metricName: m, metricNamespace: n, metricValue: 1}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load("fuzz.yaml", data, LoadOptions{Params: map[string]string{"P": "v"}})
		if err == nil {
			s.Validate()
		}
	})
}

// FuzzSubstitute: ${...} substitution never panics, and text without "${"
// comes back unchanged.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{"", "plain", "${A}", "x${!Literal}y", "${A}${B", "${}", "$${A}}", "arn:${AWS::Partition}:sns:${AWS::Region}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := substitute(s, func(n string) (string, error) {
			if n == "A" {
				return "a", nil
			}
			return "", fmt.Errorf("no %s", n)
		})
		if !strings.Contains(s, "${") && (err != nil || out != s) {
			t.Errorf("substitute(%q) = %q, %v", s, out, err)
		}
	})
}

func TestSubstitute(t *testing.T) {
	lookup := func(n string) (string, error) {
		if n == "A" {
			return "a", nil
		}
		return "", fmt.Errorf("no %s", n)
	}
	for _, tt := range []struct{ in, want, err string }{
		{"x${A}y", "xay", ""},
		{"${!A}", "${A}", ""},
		{"${ A }", "a", ""},
		{"${B}", "", "no B"},
		{"${A", "", "unterminated"},
		{"${}", "", "empty"},
	} {
		got, err := substitute(tt.in, lookup)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("substitute(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	if _, err := ParseParams([]string{"A=1", "B=x=y"}); err != nil {
		t.Error(err)
	}
	if p, _ := ParseParams([]string{"B=x=y"}); p["B"] != "x=y" {
		t.Errorf("B = %q", p["B"])
	}
	for _, bad := range []string{"A", "=1"} {
		if _, err := ParseParams([]string{bad}); err == nil {
			t.Errorf("ParseParams(%q) accepted", bad)
		}
	}
}

// TestSeed004TemplatesAsWritten: the templates in testdata are seed 004's,
// with only the indentation (lost in the seed's copy) restored. Stripping
// it again must give the seed's lines exactly.
func TestSeed004TemplatesAsWritten(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "seeds", "004_8a0a8f7a561e8182.txt"))
	if err != nil {
		t.Skipf("seed not available: %v", err)
	}
	lines := strings.Split(string(seed), "\n")
	for _, tc := range []struct{ file, first string }{
		{"seed004-iam.yaml", `Description: "aws-cloudtrail-event-metricsfilter-iam"`},
		{"seed004-console.yaml", `Description: "aws-console-login-cloudtrail-event-notify"`},
		{"seed004-subscription.yaml", `Description: "LowerStackSnsSubscriptionYaml"`},
	} {
		b, err := os.ReadFile(filepath.Join(testdata, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		mine := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		start := -1
		for i, l := range lines {
			if strings.TrimSpace(l) == tc.first {
				start = i - 1 // the AWSTemplateFormatVersion line
				break
			}
		}
		if start < 0 || start+len(mine) > len(lines) {
			t.Fatalf("%s: not found in the seed", tc.file)
		}
		for i, l := range mine {
			if got, want := strings.TrimSpace(l), strings.TrimSpace(lines[start+i]); got != want {
				t.Errorf("%s line %d: %q, seed has %q", tc.file, i+1, got, want)
			}
		}
	}
}
