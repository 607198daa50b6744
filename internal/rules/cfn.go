package rules

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A CloudFormation template is evaluated just enough to know the rules it
// creates: parameters (defaults and --param), pseudo parameters, mappings,
// conditions and the intrinsic functions that compute names and ARNs.
// Values are string, bool, []any, map[string]any, or noValue.

// noValueT is the value of Ref AWS::NoValue: the property is left out.
type noValueT struct{}

type cfn struct {
	file       string
	opts       LoadOptions
	params     map[string]*yaml.Node // Parameters section entries
	resources  map[string]*yaml.Node // logical ID -> resource mapping
	order      []string
	conditions map[string]*yaml.Node
	condVal    map[string]bool
	condBusy   map[string]bool
	mappings   *yaml.Node
	busy       map[string]bool // physical names being resolved (cycles)
	depth      int
	steps      int // nodes evaluated; bounded (aliases can make a DAG exponential)
}

// maxSteps bounds the work of evaluating one template.
const maxSteps = 200000

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func loadTemplate(name string, doc *yaml.Node, opts LoadOptions) (*Set, error) {
	c := &cfn{
		file: name, opts: opts,
		params: map[string]*yaml.Node{}, resources: map[string]*yaml.Node{},
		conditions: map[string]*yaml.Node{}, condVal: map[string]bool{}, condBusy: map[string]bool{},
		busy: map[string]bool{},
	}
	s := &Set{}
	if p := mapGet(doc, "Parameters"); p != nil {
		if p.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: Parameters must be a mapping", p.Line)
		}
		for i := 0; i+1 < len(p.Content); i += 2 {
			k, v := p.Content[i].Value, deref(p.Content[i+1])
			c.params[k] = v
			par := Parameter{Name: k, Origin: Origin{File: name, Line: p.Content[i].Line}}
			if d := mapGet(v, "Default"); d != nil && d.Kind == yaml.ScalarNode {
				dv := d.Value
				par.Default = &dv
				par.Value = dv
			} else if d != nil && d.Kind == yaml.SequenceNode {
				var parts []string
				for _, it := range d.Content {
					parts = append(parts, deref(it).Value)
				}
				dv := strings.Join(parts, ",")
				par.Default = &dv
				par.Value = dv
			}
			if d := mapGet(v, "Description"); d != nil {
				par.Description = d.Value
			}
			if gv, ok := opts.Params[k]; ok {
				par.Value = gv
			}
			s.Parameters = append(s.Parameters, par)
		}
	}
	c.mappings = mapGet(doc, "Mappings")
	if cs := mapGet(doc, "Conditions"); cs != nil && cs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(cs.Content); i += 2 {
			c.conditions[cs.Content[i].Value] = deref(cs.Content[i+1])
		}
	}
	res := mapGet(doc, "Resources")
	if res == nil || res.Kind != yaml.MappingNode {
		return nil, errors.New("template has no Resources mapping")
	}
	for i := 0; i+1 < len(res.Content); i += 2 {
		id := res.Content[i].Value
		if _, dup := c.resources[id]; dup {
			return nil, fmt.Errorf("line %d: resource %s defined twice", res.Content[i].Line, id)
		}
		r := deref(res.Content[i+1])
		if r.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: resource %s must be a mapping", r.Line, id)
		}
		c.resources[id] = r
		c.order = append(c.order, id)
	}

	var errs []error
	for _, id := range c.order {
		r := c.resources[id]
		typ := ""
		if t := mapGet(r, "Type"); t != nil {
			typ = t.Value
		}
		o := Origin{File: name, Line: r.Line, LogicalID: id}
		if cond := mapGet(r, "Condition"); cond != nil {
			ok, err := c.condition(cond.Value)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o, err))
				continue
			}
			if !ok {
				s.Skipped = append(s.Skipped, Skipped{LogicalID: id, Type: typ, Reason: "condition " + cond.Value + " is false", Origin: o})
				continue
			}
		}
		for _, err := range c.load(s, id, typ, r, o) {
			errs = append(errs, fmt.Errorf("%s: %s: %w", o, typ, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func (c *cfn) load(s *Set, id, typ string, r *yaml.Node, o Origin) []error {
	props := mapGet(r, "Properties")
	get := func(key string) (any, error) {
		n := mapGet(props, key)
		if n == nil {
			return nil, nil
		}
		v, err := c.eval(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		if _, nv := v.(noValueT); nv {
			return nil, nil
		}
		return v, nil
	}
	str := func(key string) (string, error) {
		v, err := get(key)
		if err != nil || v == nil {
			return "", err
		}
		return asString(v, key)
	}
	strs := func(key string) ([]string, error) {
		v, err := get(key)
		if err != nil || v == nil {
			return nil, err
		}
		return asStrings(v, key)
	}
	num := func(key string) (float64, bool, error) {
		v, err := get(key)
		if err != nil || v == nil {
			return 0, false, err
		}
		f, err := asFloat(v, key)
		return f, err == nil, err
	}
	integer := func(key string) (int, error) {
		f, ok, err := num(key)
		if err != nil || !ok {
			return 0, err
		}
		if f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return 0, fmt.Errorf("%s: %v is not a whole number", key, f)
		}
		return int(f), nil
	}
	var errs []error
	must := func(v string, err error) string {
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	mustN := func(v []string, err error) []string {
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	mustI := func(v int, err error) int {
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}

	switch typ {
	case "AWS::Logs::MetricFilter":
		f := MetricFilter{
			FilterName:    must(str("FilterName")),
			FilterPattern: must(str("FilterPattern")),
			LogGroupName:  must(str("LogGroupName")),
			Origin:        o,
		}
		if f.FilterName == "" {
			f.FilterName = id
		}
		if mapGet(props, "FilterPattern") == nil {
			errs = append(errs, errors.New("property FilterPattern is required"))
		}
		v, err := get("MetricTransformations")
		if err != nil {
			errs = append(errs, err)
		}
		list, _ := v.([]any)
		if v != nil && list == nil {
			errs = append(errs, errors.New("property MetricTransformations must be a list"))
		}
		for i, it := range list {
			m, ok := it.(map[string]any)
			if !ok {
				errs = append(errs, fmt.Errorf("property MetricTransformations[%d] must be a mapping", i))
				continue
			}
			mt, err := cfnTransformation(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("property MetricTransformations[%d]: %w", i, err))
				continue
			}
			f.MetricTransformations = append(f.MetricTransformations, mt)
		}
		s.MetricFilters = append(s.MetricFilters, f)
	case "AWS::Logs::SubscriptionFilter":
		f := SubscriptionFilter{
			FilterName:    must(str("FilterName")),
			FilterPattern: must(str("FilterPattern")),
			LogGroupName:  must(str("LogGroupName")),
			Destination:   must(str("DestinationArn")),
			Origin:        o,
		}
		if f.FilterName == "" {
			f.FilterName = id
		}
		if mapGet(props, "FilterPattern") == nil {
			errs = append(errs, errors.New("property FilterPattern is required"))
		}
		s.SubscriptionFilters = append(s.SubscriptionFilters, f)
	case "AWS::CloudWatch::Alarm":
		for _, k := range []string{"Metrics", "ThresholdMetricId", "ExtendedStatistic", "EvaluateLowSampleCountPercentile"} {
			if mapGet(props, k) != nil {
				s.Skipped = append(s.Skipped, Skipped{LogicalID: id, Type: typ, Unsupported: true, Origin: o,
					Reason: k + " (metric math, anomaly detection or percentiles) is not supported"})
				return nil
			}
		}
		a := Alarm{
			AlarmName:               must(str("AlarmName")),
			AlarmDescription:        must(str("AlarmDescription")),
			MetricName:              must(str("MetricName")),
			Namespace:               must(str("Namespace")),
			Statistic:               must(str("Statistic")),
			Period:                  mustI(integer("Period")),
			EvaluationPeriods:       mustI(integer("EvaluationPeriods")),
			DatapointsToAlarm:       mustI(integer("DatapointsToAlarm")),
			ComparisonOperator:      must(str("ComparisonOperator")),
			TreatMissingData:        must(str("TreatMissingData")),
			Unit:                    must(str("Unit")),
			AlarmActions:            mustN(strs("AlarmActions")),
			OKActions:               mustN(strs("OKActions")),
			InsufficientDataActions: mustN(strs("InsufficientDataActions")),
			Origin:                  o,
		}
		if a.AlarmName == "" {
			a.AlarmName = id
		}
		thr, ok, err := num("Threshold")
		if err != nil {
			errs = append(errs, err)
		} else if !ok {
			errs = append(errs, errors.New("property Threshold is required"))
		}
		a.Threshold = thr
		if v := must(str("ActionsEnabled")); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("ActionsEnabled: %q is not a boolean", v))
			}
			a.ActionsEnabled = &b
		}
		dv, err := get("Dimensions")
		if err != nil {
			errs = append(errs, err)
		}
		dl, _ := dv.([]any)
		for i, it := range dl {
			m, _ := it.(map[string]any)
			n, err1 := asString(m["Name"], "Name")
			v, err2 := asString(m["Value"], "Value")
			if m == nil || err1 != nil || err2 != nil || n == "" {
				errs = append(errs, fmt.Errorf("property Dimensions[%d]: want Name and Value", i))
				continue
			}
			a.Dimensions = append(a.Dimensions, Dimension{Name: n, Value: v})
		}
		s.Alarms = append(s.Alarms, a)
	case "AWS::SNS::Topic":
		arn, err := c.physicalID(id)
		if err != nil {
			return []error{err}
		}
		t := Target{ARN: arn, Name: must(str("DisplayName")), Origin: o}
		sv, err := get("Subscription")
		if err != nil {
			errs = append(errs, err)
		}
		sl, _ := sv.([]any)
		for i, it := range sl {
			m, _ := it.(map[string]any)
			p, err1 := asString(m["Protocol"], "Protocol")
			e, err2 := asString(m["Endpoint"], "Endpoint")
			if m == nil || err1 != nil || err2 != nil {
				errs = append(errs, fmt.Errorf("property Subscription[%d]: want Protocol and Endpoint", i))
				continue
			}
			t.Subscriptions = append(t.Subscriptions, Subscription{Protocol: p, Endpoint: e})
		}
		s.AddTarget(t)
	case "AWS::SNS::Subscription":
		topic := must(str("TopicArn"))
		sub := Subscription{Protocol: must(str("Protocol")), Endpoint: must(str("Endpoint"))}
		if topic == "" {
			errs = append(errs, errors.New("property TopicArn is required"))
		}
		s.AddTarget(Target{ARN: topic, Subscriptions: []Subscription{sub}, Origin: o})
	case "AWS::CloudFormation::Stack", "AWS::Serverless::Application":
		url, _ := str("TemplateURL")
		if url == "" {
			url, _ = str("Location")
		}
		s.Skipped = append(s.Skipped, Skipped{LogicalID: id, Type: typ, Unsupported: true, Origin: o,
			Reason: fmt.Sprintf("nested stacks are not loaded: load the nested template (%s) with its own --rules and pass its parameters with --param", url)})
	case "AWS::CloudWatch::CompositeAlarm", "AWS::CloudWatch::AnomalyDetector", "AWS::Logs::QueryDefinition",
		"AWS::Events::Rule", "AWS::CloudTrail::Trail", "AWS::Logs::Transformer":
		s.Skipped = append(s.Skipped, Skipped{LogicalID: id, Type: typ, Unsupported: true, Origin: o,
			Reason: "this kind of rule is not evaluated by trailwatch"})
	default:
		s.Skipped = append(s.Skipped, Skipped{LogicalID: id, Type: typ, Origin: o, Reason: "not a rule"})
	}
	return errs
}

func cfnTransformation(m map[string]any) (MetricTransformation, error) {
	var mt MetricTransformation
	var err error
	get := func(k string) string {
		v, ok := m[k]
		if !ok || err != nil {
			return ""
		}
		var s string
		s, err = asString(v, k)
		return s
	}
	mt.MetricName = get("MetricName")
	mt.MetricNamespace = get("MetricNamespace")
	mt.MetricValue = get("MetricValue")
	mt.Unit = get("Unit")
	if v, ok := m["DefaultValue"]; ok && err == nil {
		f, e := asFloat(v, "DefaultValue")
		if e != nil {
			return mt, e
		}
		mt.DefaultValue = &f
	}
	if v, ok := m["Dimensions"]; ok && err == nil {
		l, _ := v.([]any)
		if l == nil {
			return mt, errors.New("property Dimensions must be a list of Key/Value")
		}
		mt.Dimensions = map[string]string{}
		for _, it := range l {
			d, _ := it.(map[string]any)
			k, e1 := asString(d["Key"], "Key")
			val, e2 := asString(d["Value"], "Value")
			if d == nil || e1 != nil || e2 != nil || k == "" {
				return mt, errors.New("property Dimensions must be a list of Key/Value")
			}
			mt.Dimensions[k] = val
		}
	}
	return mt, err
}

// eval evaluates a template value.
func (c *cfn) eval(n *yaml.Node) (any, error) {
	n = deref(n)
	if n == nil {
		return nil, nil
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 200 {
		return nil, fmt.Errorf("line %d: nested too deeply", n.Line)
	}
	c.steps++
	if c.steps > maxSteps {
		return nil, fmt.Errorf("line %d: template too complex to evaluate (more than %d values; recursive YAML aliases?)", n.Line, maxSteps)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn := strings.TrimPrefix(n.Tag, "!")
		if fn != "Ref" && fn != "Condition" {
			fn = "Fn::" + fn
		}
		v, err := c.fn(fn, n)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n.Line, fn, err)
		}
		return v, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, it := range n.Content {
			v, err := c.eval(it)
			if err != nil {
				return nil, err
			}
			if _, nv := v.(noValueT); nv {
				continue
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if len(n.Content) == 2 {
			k := n.Content[0].Value
			if k == "Ref" || strings.HasPrefix(k, "Fn::") || (k == "Condition" && deref(n.Content[1]).Kind == yaml.ScalarNode) {
				v, err := c.fn(k, deref(n.Content[1]))
				if err != nil {
					return nil, fmt.Errorf("line %d: %s: %w", n.Line, k, err)
				}
				return v, nil
			}
		}
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := c.eval(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if _, nv := v.(noValueT); nv {
				continue
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// args evaluates the argument of a function in sequence form. For tagged
// nodes, n itself carries the arguments.
func (c *cfn) args(n *yaml.Node, min, max int) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list of %d arguments", min)
	}
	if len(n.Content) < min || len(n.Content) > max {
		if min == max {
			return nil, fmt.Errorf("want %d arguments, got %d", min, len(n.Content))
		}
		return nil, fmt.Errorf("want %d to %d arguments, got %d", min, max, len(n.Content))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, it := range n.Content {
		out[i] = deref(it)
	}
	return out, nil
}

func (c *cfn) evalString(n *yaml.Node, what string) (string, error) {
	v, err := c.eval(n)
	if err != nil {
		return "", err
	}
	return asString(v, what)
}

func (c *cfn) fn(name string, n *yaml.Node) (any, error) {
	// For the short form the node keeps its tag; look at it untagged.
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		cp := *n
		cp.Tag = ""
		n = &cp
	}
	switch name {
	case "Ref":
		if n.Kind != yaml.ScalarNode {
			return nil, errors.New("want a name")
		}
		return c.ref(n.Value)
	case "Fn::Sub":
		var tmpl string
		vars := map[string]any{}
		switch n.Kind {
		case yaml.ScalarNode:
			tmpl = n.Value
		case yaml.SequenceNode:
			a, err := c.args(n, 2, 2)
			if err != nil {
				return nil, err
			}
			if a[0].Kind != yaml.ScalarNode {
				return nil, errors.New("first argument must be a string")
			}
			tmpl = a[0].Value
			if a[1].Kind != yaml.MappingNode {
				return nil, errors.New("second argument must be a mapping of variables")
			}
			for i := 0; i+1 < len(a[1].Content); i += 2 {
				v, err := c.eval(a[1].Content[i+1])
				if err != nil {
					return nil, err
				}
				vars[a[1].Content[i].Value] = v
			}
		default:
			return nil, errors.New("want a string or [string, {variables}]")
		}
		return substitute(tmpl, func(v string) (string, error) {
			if x, ok := vars[v]; ok {
				return asString(x, "${"+v+"}")
			}
			if res, attr, ok := strings.Cut(v, "."); ok {
				if _, isRes := c.resources[res]; isRes {
					x, err := c.getAtt(res, attr)
					if err != nil {
						return "", err
					}
					return asString(x, "${"+v+"}")
				}
			}
			x, err := c.ref(v)
			if err != nil {
				return "", err
			}
			return asString(x, "${"+v+"}")
		})
	case "Fn::GetAtt":
		var res, attr string
		switch n.Kind {
		case yaml.ScalarNode:
			var ok bool
			res, attr, ok = strings.Cut(n.Value, ".")
			if !ok {
				return nil, fmt.Errorf("want Resource.Attribute, not %q", n.Value)
			}
		case yaml.SequenceNode:
			a, err := c.args(n, 2, 2)
			if err != nil {
				return nil, err
			}
			if res, err = c.evalString(a[0], "resource"); err != nil {
				return nil, err
			}
			if attr, err = c.evalString(a[1], "attribute"); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New("want Resource.Attribute or [Resource, Attribute]")
		}
		return c.getAtt(res, attr)
	case "Fn::Join":
		a, err := c.args(n, 2, 2)
		if err != nil {
			return nil, err
		}
		sep, err := c.evalString(a[0], "delimiter")
		if err != nil {
			return nil, err
		}
		v, err := c.eval(a[1])
		if err != nil {
			return nil, err
		}
		parts, err := asStrings(v, "list")
		if err != nil {
			return nil, err
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, err := c.args(n, 2, 2)
		if err != nil {
			return nil, err
		}
		is, err := c.evalString(a[0], "index")
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("index %q is not a number", is)
		}
		v, err := c.eval(a[1])
		if err != nil {
			return nil, err
		}
		l, ok := v.([]any)
		if !ok {
			return nil, errors.New("second argument must be a list")
		}
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("index %d out of range (list of %d)", i, len(l))
		}
		return l[i], nil
	case "Fn::Split":
		a, err := c.args(n, 2, 2)
		if err != nil {
			return nil, err
		}
		sep, err := c.evalString(a[0], "delimiter")
		if err != nil {
			return nil, err
		}
		s, err := c.evalString(a[1], "string")
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, errors.New("empty delimiter")
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		a, err := c.args(n, 3, 3)
		if err != nil {
			return nil, err
		}
		ok, err := c.condition(a[0].Value)
		if err != nil {
			return nil, err
		}
		if ok {
			return c.eval(a[1])
		}
		return c.eval(a[2])
	case "Fn::Equals":
		a, err := c.args(n, 2, 2)
		if err != nil {
			return nil, err
		}
		x, err := c.eval(a[0])
		if err != nil {
			return nil, err
		}
		y, err := c.eval(a[1])
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(x) == fmt.Sprint(y), nil
	case "Fn::Not":
		a, err := c.args(n, 1, 1)
		if err != nil {
			return nil, err
		}
		b, err := c.boolean(a[0])
		return !b, err
	case "Fn::And", "Fn::Or":
		a, err := c.args(n, 1, 10)
		if err != nil {
			return nil, err
		}
		all := name == "Fn::And"
		for _, x := range a {
			b, err := c.boolean(x)
			if err != nil {
				return nil, err
			}
			if all && !b {
				return false, nil
			}
			if !all && b {
				return true, nil
			}
		}
		return all, nil
	case "Condition":
		if n.Kind != yaml.ScalarNode {
			return nil, errors.New("want a condition name")
		}
		return c.condition(n.Value)
	case "Fn::FindInMap":
		a, err := c.args(n, 3, 4)
		if err != nil {
			return nil, err
		}
		var keys [3]string
		for i := range keys {
			if keys[i], err = c.evalString(a[i], "key"); err != nil {
				return nil, err
			}
		}
		v := mapGet(mapGet(mapGet(c.mappings, keys[0]), keys[1]), keys[2])
		if v == nil {
			if len(a) == 4 {
				if d := mapGet(a[3], "DefaultValue"); d != nil {
					return c.eval(d)
				}
			}
			return nil, fmt.Errorf("no mapping %s/%s/%s", keys[0], keys[1], keys[2])
		}
		return c.eval(v)
	case "Fn::Base64":
		s, err := c.evalString(n, "string")
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::ImportValue":
		return nil, errors.New("values exported by other stacks cannot be resolved; replace the import with a parameter and pass it with --param")
	}
	return nil, fmt.Errorf("unsupported intrinsic function")
}

func (c *cfn) boolean(n *yaml.Node) (bool, error) {
	v, err := c.eval(n)
	if err != nil {
		return false, err
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return strconv.ParseBool(b)
	}
	return false, errors.New("want a condition")
}

func (c *cfn) condition(name string) (bool, error) {
	if v, ok := c.condVal[name]; ok {
		return v, nil
	}
	n, ok := c.conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	if c.condBusy[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	c.condBusy[name] = true
	defer delete(c.condBusy, name)
	b, err := c.boolean(n)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	c.condVal[name] = b
	return b, nil
}

func (c *cfn) ref(name string) (any, error) {
	if name == "AWS::NoValue" {
		return noValueT{}, nil
	}
	if name == "AWS::NotificationARNs" {
		return []any{}, nil
	}
	if p, ok := c.params[name]; ok {
		v, given := c.opts.Params[name]
		if !given {
			d := mapGet(p, "Default")
			if d == nil {
				return nil, fmt.Errorf("parameter %s has no value and no Default: pass --param %s=VALUE", name, name)
			}
			if d.Kind == yaml.SequenceNode {
				var out []any
				for _, it := range d.Content {
					out = append(out, deref(it).Value)
				}
				return out, nil
			}
			v = d.Value
		}
		if t := mapGet(p, "Type"); t != nil && (t.Value == "CommaDelimitedList" || strings.HasPrefix(t.Value, "List<")) {
			var out []any
			for _, s := range strings.Split(v, ",") {
				out = append(out, strings.TrimSpace(s))
			}
			return out, nil
		}
		return v, nil
	}
	if v, ok := c.opts.pseudo(name); ok {
		return v, nil
	}
	if _, ok := c.resources[name]; ok {
		return c.physicalID(name)
	}
	return nil, fmt.Errorf("%s is not a parameter, pseudo parameter or resource", name)
}

func (c *cfn) typeOf(id string) string {
	if t := mapGet(c.resources[id], "Type"); t != nil {
		return t.Value
	}
	return ""
}

// name returns property key of resource id, or the name CloudFormation
// would generate (STACK-LOGICALID; the random suffix is left out).
func (c *cfn) name(id, key string) (string, error) {
	if c.busy[id] {
		return "", fmt.Errorf("resource %s refers to itself", id)
	}
	c.busy[id] = true
	defer delete(c.busy, id)
	if n := mapGet(mapGet(c.resources[id], "Properties"), key); n != nil {
		v, err := c.eval(n)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", id, key, err)
		}
		if _, nv := v.(noValueT); !nv && v != nil {
			return asString(v, key)
		}
	}
	stack, _ := c.opts.pseudo("AWS::StackName")
	return stack + "-" + id, nil
}

func (c *cfn) env() (partition, region, account string) {
	partition, _ = c.opts.pseudo("AWS::Partition")
	region, _ = c.opts.pseudo("AWS::Region")
	account, _ = c.opts.pseudo("AWS::AccountId")
	return
}

// physicalID is what Ref returns for a resource.
func (c *cfn) physicalID(id string) (string, error) {
	p, r, a := c.env()
	switch c.typeOf(id) {
	case "AWS::SNS::Topic":
		n, err := c.name(id, "TopicName")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("arn:%s:sns:%s:%s:%s", p, r, a, n), nil
	case "AWS::Logs::MetricFilter", "AWS::Logs::SubscriptionFilter":
		if n := mapGet(mapGet(c.resources[id], "Properties"), "FilterName"); n == nil {
			return id, nil
		}
		return c.name(id, "FilterName")
	case "AWS::CloudWatch::Alarm":
		if n := mapGet(mapGet(c.resources[id], "Properties"), "AlarmName"); n == nil {
			return id, nil
		}
		return c.name(id, "AlarmName")
	case "AWS::Lambda::Function":
		return c.name(id, "FunctionName")
	case "AWS::IAM::Role":
		return c.name(id, "RoleName")
	case "AWS::Logs::LogGroup":
		return c.name(id, "LogGroupName")
	case "AWS::Kinesis::Stream":
		return c.name(id, "Name")
	case "AWS::KinesisFirehose::DeliveryStream":
		return c.name(id, "DeliveryStreamName")
	case "AWS::SQS::Queue":
		n, err := c.name(id, "QueueName")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", r, a, n), nil
	}
	stack, _ := c.opts.pseudo("AWS::StackName")
	return stack + "-" + id, nil
}

func (c *cfn) getAtt(id, attr string) (any, error) {
	if _, ok := c.resources[id]; !ok {
		return nil, fmt.Errorf("no resource %s", id)
	}
	p, r, a := c.env()
	typ := c.typeOf(id)
	named := func(key, format string) (any, error) {
		n, err := c.name(id, key)
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf(format, n), nil
	}
	switch typ + "." + attr {
	case "AWS::SNS::Topic.TopicArn":
		return c.physicalID(id)
	case "AWS::SNS::Topic.TopicName":
		return c.name(id, "TopicName")
	case "AWS::Lambda::Function.Arn":
		return named("FunctionName", "arn:"+p+":lambda:"+r+":"+a+":function:%s")
	case "AWS::IAM::Role.Arn":
		path := "/"
		if pn := mapGet(mapGet(c.resources[id], "Properties"), "Path"); pn != nil {
			s, err := c.evalString(pn, "Path")
			if err != nil {
				return nil, err
			}
			path = s
		}
		return named("RoleName", "arn:"+p+":iam::"+a+":role"+path+"%s")
	case "AWS::Logs::LogGroup.Arn":
		return named("LogGroupName", "arn:"+p+":logs:"+r+":"+a+":log-group:%s:*")
	case "AWS::Kinesis::Stream.Arn":
		return named("Name", "arn:"+p+":kinesis:"+r+":"+a+":stream/%s")
	case "AWS::KinesisFirehose::DeliveryStream.Arn":
		return named("DeliveryStreamName", "arn:"+p+":firehose:"+r+":"+a+":deliverystream/%s")
	case "AWS::SQS::Queue.Arn":
		return named("QueueName", "arn:"+p+":sqs:"+r+":"+a+":%s")
	case "AWS::SQS::Queue.QueueName":
		return c.name(id, "QueueName")
	case "AWS::SQS::Queue.QueueUrl":
		return c.physicalID(id)
	case "AWS::CloudWatch::Alarm.Arn":
		n, err := c.physicalID(id)
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", p, r, a, n), nil
	}
	return nil, fmt.Errorf("attribute %s of %s (%s) is not supported", attr, id, typ)
}

func asString(v any, what string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%s: want a string, not a %s", what, kind(v))
}

func asStrings(v any, what string) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list, not a %s", what, kind(v))
	}
	out := make([]string, 0, len(l))
	for _, it := range l {
		s, err := asString(it, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func asFloat(v any, what string) (float64, error) {
	s, err := asString(v, what)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: %q is not a number", what, s)
	}
	return f, nil
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	case noValueT:
		return "AWS::NoValue"
	}
	return fmt.Sprintf("%T", v)
}
