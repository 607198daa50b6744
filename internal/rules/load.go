package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds what a rules file or template may weigh; CloudFormation
// itself takes at most 1 MB.
const maxFileSize = 4 << 20

// LoadFile loads a rules file or a CloudFormation template.
func LoadFile(path string, opts LoadOptions) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("load %s: larger than %d MiB", path, maxFileSize>>20)
	}
	return Load(path, data, opts)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Load loads rules from data, named name in messages. A document with
// Resources or AWSTemplateFormatVersion is a CloudFormation template (YAML
// or JSON); anything else is a trailwatch rules file.
func Load(name string, data []byte, opts LoadOptions) (*Set, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("load %s: empty document", name)
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("load %s: line %d: want a mapping at the top level", name, doc.Line)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch doc.Content[i].Value {
		case "Resources", "AWSTemplateFormatVersion":
			s, err := loadTemplate(name, doc, opts)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", name, err)
			}
			return s, nil
		}
	}
	s, err := loadRulesFile(name, data, doc, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return s, nil
}

// The trailwatch rules file: CloudWatch Logs API names (camelCase) for
// filters, CloudWatch API names (PascalCase) for alarms.
type rulesDoc struct {
	Name                string                  `yaml:"name"`
	Description         string                  `yaml:"description"`
	References          []string                `yaml:"references"`
	Parameters          map[string]paramDoc     `yaml:"parameters"`
	MetricFilters       []metricFilterDoc       `yaml:"metricFilters"`
	SubscriptionFilters []subscriptionFilterDoc `yaml:"subscriptionFilters"`
	Alarms              []alarmDoc              `yaml:"alarms"`
	Targets             []targetDoc             `yaml:"targets"`
	Delivery            *deliveryDoc            `yaml:"delivery"`
}

type paramDoc struct {
	Default     *string `yaml:"default"`
	Description string  `yaml:"description"`
}

type metricFilterDoc struct {
	FilterName            string                    `yaml:"filterName"`
	FilterPattern         *string                   `yaml:"filterPattern"`
	LogGroupName          string                    `yaml:"logGroupName"`
	MetricTransformations []metricTransformationDoc `yaml:"metricTransformations"`
	Description           string                    `yaml:"description"`
}

type metricTransformationDoc struct {
	MetricName      string            `yaml:"metricName"`
	MetricNamespace string            `yaml:"metricNamespace"`
	MetricValue     string            `yaml:"metricValue"`
	DefaultValue    *float64          `yaml:"defaultValue"`
	Dimensions      map[string]string `yaml:"dimensions"`
	Unit            string            `yaml:"unit"`
}

type subscriptionFilterDoc struct {
	FilterName     string  `yaml:"filterName"`
	FilterPattern  *string `yaml:"filterPattern"`
	LogGroupName   string  `yaml:"logGroupName"`
	Destination    string  `yaml:"destination"`
	DestinationArn string  `yaml:"destinationArn"`
	Description    string  `yaml:"description"`
}

type dimensionDoc struct {
	Name  string `yaml:"Name"`
	Value string `yaml:"Value"`
}

type alarmDoc struct {
	AlarmName               string         `yaml:"AlarmName"`
	AlarmDescription        string         `yaml:"AlarmDescription"`
	MetricName              string         `yaml:"MetricName"`
	Namespace               string         `yaml:"Namespace"`
	Dimensions              []dimensionDoc `yaml:"Dimensions"`
	Statistic               string         `yaml:"Statistic"`
	Period                  int            `yaml:"Period"`
	EvaluationPeriods       int            `yaml:"EvaluationPeriods"`
	DatapointsToAlarm       int            `yaml:"DatapointsToAlarm"`
	Threshold               *float64       `yaml:"Threshold"`
	ComparisonOperator      string         `yaml:"ComparisonOperator"`
	TreatMissingData        string         `yaml:"TreatMissingData"`
	Unit                    string         `yaml:"Unit"`
	ActionsEnabled          *bool          `yaml:"ActionsEnabled"`
	AlarmActions            []string       `yaml:"AlarmActions"`
	OKActions               []string       `yaml:"OKActions"`
	InsufficientDataActions []string       `yaml:"InsufficientDataActions"`
}

type targetDoc struct {
	ARN           string            `yaml:"arn"`
	Name          string            `yaml:"name"`
	Subscriptions []subscriptionDoc `yaml:"subscriptions"`
}

type subscriptionDoc struct {
	Protocol string `yaml:"protocol"`
	Endpoint string `yaml:"endpoint"`
	Format   string `yaml:"format"`
	Subject  string `yaml:"subject"`
}

type deliveryDoc struct {
	SMTP *struct {
		Address     string `yaml:"address"`
		From        string `yaml:"from"`
		Username    string `yaml:"username"`
		PasswordEnv string `yaml:"passwordEnv"`
		TLS         bool   `yaml:"tls"`
		StartTLS    string `yaml:"starttls"`
	} `yaml:"smtp"`
	SNS *struct {
		Region   string `yaml:"region"`
		Endpoint string `yaml:"endpoint"`
	} `yaml:"sns"`
}

// itemLines returns the line of every item of the sequence under key.
func itemLines(doc *yaml.Node, key string) []int {
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == key && doc.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, it := range doc.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

func lineAt(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

func loadRulesFile(name string, data []byte, doc *yaml.Node, opts LoadOptions) (*Set, error) {
	var rd rulesDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rd); err != nil {
		return nil, err
	}
	s := &Set{}
	values := map[string]string{}
	var pnames []string
	for k := range rd.Parameters {
		pnames = append(pnames, k)
	}
	sort.Strings(pnames)
	for _, k := range pnames {
		p := rd.Parameters[k]
		v, given := opts.Params[k]
		if !given && p.Default != nil {
			v, given = *p.Default, true
		}
		if given {
			values[k] = v
		}
		s.Parameters = append(s.Parameters, Parameter{Name: k, Default: p.Default, Description: p.Description, Value: v, Origin: Origin{File: name}})
	}
	lookup := func(n string) (string, error) {
		if v, ok := values[n]; ok {
			return v, nil
		}
		if _, declared := rd.Parameters[n]; declared {
			return "", fmt.Errorf("parameter %s has no value and no default: pass --param %s=VALUE", n, n)
		}
		if v, ok := opts.pseudo(n); ok {
			return v, nil
		}
		return "", fmt.Errorf("${%s}: no such parameter (declare it under parameters:)", n)
	}
	var errs []error
	sub := func(o Origin, what string, v *string) {
		r, err := substitute(*v, lookup)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", o, what, err))
			return
		}
		*v = r
	}
	subs := func(o Origin, what string, vs []string) []string {
		out := make([]string, len(vs))
		for i := range vs {
			out[i] = vs[i]
			sub(o, what, &out[i])
		}
		return out
	}

	lines := itemLines(doc, "metricFilters")
	for i, d := range rd.MetricFilters {
		o := Origin{File: name, Line: lineAt(lines, i)}
		if d.FilterPattern == nil {
			errs = append(errs, fmt.Errorf("%s: metric filter %s: filterPattern is required (\"\" matches every event)", o, d.FilterName))
			continue
		}
		f := MetricFilter{FilterName: d.FilterName, FilterPattern: *d.FilterPattern, LogGroupName: d.LogGroupName, Description: d.Description, Origin: o}
		sub(o, "filterName", &f.FilterName)
		sub(o, "filterPattern", &f.FilterPattern)
		sub(o, "logGroupName", &f.LogGroupName)
		for _, t := range d.MetricTransformations {
			mt := MetricTransformation{MetricName: t.MetricName, MetricNamespace: t.MetricNamespace, MetricValue: t.MetricValue,
				DefaultValue: t.DefaultValue, Unit: t.Unit}
			sub(o, "metricName", &mt.MetricName)
			sub(o, "metricNamespace", &mt.MetricNamespace)
			sub(o, "metricValue", &mt.MetricValue)
			if len(t.Dimensions) > 0 {
				mt.Dimensions = map[string]string{}
				for k, v := range t.Dimensions {
					sub(o, "dimensions", &v)
					mt.Dimensions[k] = v
				}
			}
			f.MetricTransformations = append(f.MetricTransformations, mt)
		}
		s.MetricFilters = append(s.MetricFilters, f)
	}
	lines = itemLines(doc, "subscriptionFilters")
	for i, d := range rd.SubscriptionFilters {
		o := Origin{File: name, Line: lineAt(lines, i)}
		if d.FilterPattern == nil {
			errs = append(errs, fmt.Errorf("%s: subscription filter %s: filterPattern is required (\"\" matches every event)", o, d.FilterName))
			continue
		}
		dest := d.Destination
		if dest == "" {
			dest = d.DestinationArn
		} else if d.DestinationArn != "" && d.DestinationArn != dest {
			errs = append(errs, fmt.Errorf("%s: subscription filter %s: destination and destinationArn differ", o, d.FilterName))
		}
		f := SubscriptionFilter{FilterName: d.FilterName, FilterPattern: *d.FilterPattern, LogGroupName: d.LogGroupName, Destination: dest, Description: d.Description, Origin: o}
		sub(o, "filterName", &f.FilterName)
		sub(o, "filterPattern", &f.FilterPattern)
		sub(o, "logGroupName", &f.LogGroupName)
		sub(o, "destination", &f.Destination)
		s.SubscriptionFilters = append(s.SubscriptionFilters, f)
	}
	lines = itemLines(doc, "alarms")
	for i, d := range rd.Alarms {
		o := Origin{File: name, Line: lineAt(lines, i)}
		if d.Threshold == nil {
			errs = append(errs, fmt.Errorf("%s: alarm %s: Threshold is required", o, d.AlarmName))
			continue
		}
		a := Alarm{
			AlarmName: d.AlarmName, AlarmDescription: d.AlarmDescription, MetricName: d.MetricName, Namespace: d.Namespace,
			Statistic: d.Statistic, Period: d.Period, EvaluationPeriods: d.EvaluationPeriods, DatapointsToAlarm: d.DatapointsToAlarm,
			Threshold: *d.Threshold, ComparisonOperator: d.ComparisonOperator, TreatMissingData: d.TreatMissingData, Unit: d.Unit,
			ActionsEnabled: d.ActionsEnabled, Origin: o,
		}
		sub(o, "AlarmName", &a.AlarmName)
		sub(o, "AlarmDescription", &a.AlarmDescription)
		sub(o, "Statistic", &a.Statistic)
		sub(o, "MetricName", &a.MetricName)
		sub(o, "Namespace", &a.Namespace)
		for _, dm := range d.Dimensions {
			sub(o, "Dimensions", &dm.Value)
			a.Dimensions = append(a.Dimensions, Dimension(dm))
		}
		a.AlarmActions = subs(o, "AlarmActions", d.AlarmActions)
		a.OKActions = subs(o, "OKActions", d.OKActions)
		a.InsufficientDataActions = subs(o, "InsufficientDataActions", d.InsufficientDataActions)
		s.Alarms = append(s.Alarms, a)
	}
	lines = itemLines(doc, "targets")
	for i, d := range rd.Targets {
		o := Origin{File: name, Line: lineAt(lines, i)}
		t := Target{ARN: d.ARN, Name: d.Name, Origin: o}
		sub(o, "arn", &t.ARN)
		sub(o, "name", &t.Name)
		for _, sd := range d.Subscriptions {
			sb := Subscription(sd)
			sub(o, "endpoint", &sb.Endpoint)
			sub(o, "subject", &sb.Subject)
			t.Subscriptions = append(t.Subscriptions, sb)
		}
		s.AddTarget(t)
	}
	if d := rd.Delivery; d != nil {
		o := Origin{File: name}
		if d.SMTP != nil {
			switch d.SMTP.StartTLS {
			case "", "opportunistic", "required", "off":
			default:
				return nil, fmt.Errorf("%s: delivery.smtp.starttls must be opportunistic, required or off, not %q", name, d.SMTP.StartTLS)
			}
			s.Delivery.SMTP = SMTPSettings{Address: d.SMTP.Address, From: d.SMTP.From, Username: d.SMTP.Username, PasswordEnv: d.SMTP.PasswordEnv,
				TLS: d.SMTP.TLS, StartTLS: d.SMTP.StartTLS}
			sub(o, "smtp.address", &s.Delivery.SMTP.Address)
			sub(o, "smtp.from", &s.Delivery.SMTP.From)
		}
		if d.SNS != nil {
			s.Delivery.SNS = SNSSettings{Region: d.SNS.Region, Endpoint: d.SNS.Endpoint}
			sub(o, "sns.region", &s.Delivery.SNS.Region)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// describe is a one-line description of a pack or file, for listings.
func describe(data []byte) (name, description string) {
	var hdr struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	}
	if yaml.Unmarshal(data, &hdr) != nil {
		return "", ""
	}
	return hdr.Name, strings.TrimSpace(hdr.Description)
}
