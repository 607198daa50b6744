package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/javafmt"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
)

func newRulesCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List and show built-in rule packs, and run rule unit tests",
		Long: `Built-in rule packs are rules files embedded in trailwatch: 'cis' (the CIS AWS
Foundations Benchmark CloudWatch monitoring controls) and 'seeds' (the
notifications and alarms of the field reports trailwatch started from). Use
them with 'trailwatch scan --pack NAME'.

'rules test' runs rule unit tests: YAML files that give events and the matches
and alarm states they must produce.`,
		Example: `  trailwatch rules list
  trailwatch rules show cis
  trailwatch rules show --param CloudWatchLogsGroup=trail iam-alarm.yaml
  trailwatch rules test rules/*_test.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{errors.New("rules: missing subcommand (list, show or test)")}
		},
	}
	cmd.AddCommand(newRulesListCmd(s), newRulesShowCmd(s), newRulesTestCmd(s))
	return cmd
}

func newRulesListCmd(s Streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "list [--format text|json]",
		Short:   "List the built-in rule packs",
		Example: "  trailwatch rules list\n  trailwatch rules list --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &usageError{fmt.Errorf("rules list: --format must be text or json, not %q", format)}
			}
			packs, err := rules.Packs()
			if err != nil {
				return &exitError{code: exitError2, err: fmt.Errorf("rules list: %w", err)}
			}
			if format == "json" {
				for _, p := range packs {
					b, _ := json.Marshal(map[string]any{"name": p.Name, "filters": p.Filters, "alarms": p.Alarms, "description": p.Description})
					fmt.Fprintf(s.Out, "%s\n", b)
				}
				return nil
			}
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PACK\tFILTERS\tALARMS\tDESCRIPTION")
			for _, p := range packs {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", p.Name, p.Filters, p.Alarms, firstSentence(p.Description))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	return cmd
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

func newRulesShowCmd(s Streams) *cobra.Command {
	var params []string
	var source bool
	cmd := &cobra.Command{
		Use:   "show [--param KEY=VALUE]... [--source] NAME|FILE",
		Short: "Show the rules of a built-in pack, a rules file or a CloudFormation template",
		Long: `Show every metric filter, subscription filter, alarm and notification target
of a built-in pack (NAME) or of a rules file or CloudFormation template (FILE),
with parameters resolved, and the template resources that were not loaded.
--source prints a pack's YAML instead.`,
		Example: "  trailwatch rules show seeds\n  trailwatch rules show --param MaintenanceRoleName=ops seeds\n  trailwatch rules show --source cis > my-cis.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			isFile := strings.ContainsAny(name, `/\`) || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".json")
			if source {
				if isFile {
					return &usageError{errors.New("rules show: --source is for built-in packs; read the file itself")}
				}
				b, err := rules.PackSource(name)
				if err != nil {
					return &exitError{code: exitError2, err: fmt.Errorf("rules show: %w", err)}
				}
				_, err = s.Out.Write(b)
				return err
			}
			var files, packs []string
			if isFile {
				files = []string{name}
			} else {
				packs = []string{name}
			}
			set, _, err := loadRules("rules show", files, packs, params, io.Discard)
			if err != nil {
				return err
			}
			showSet(s.Out, set)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&params, "param", nil, "parameter KEY=VALUE (repeatable)")
	cmd.Flags().BoolVar(&source, "source", false, "print the pack's YAML")
	return cmd
}

func showSet(w io.Writer, set *rules.Set) {
	if len(set.Parameters) > 0 {
		fmt.Fprintln(w, "Parameters:")
		for _, p := range set.Parameters {
			def := ""
			if p.Default != nil {
				def = " (default " + strconv.Quote(*p.Default) + ")"
			}
			fmt.Fprintf(w, "  %s = %q%s\n", p.Name, p.Value, def)
		}
	}
	for _, f := range set.MetricFilters {
		fmt.Fprintf(w, "\nMetric filter %s  [%s]\n", f.FilterName, f.Origin)
		if f.Description != "" {
			fmt.Fprintf(w, "  %s\n", f.Description)
		}
		fmt.Fprintf(w, "  filterPattern: %s\n", f.FilterPattern)
		if f.LogGroupName != "" {
			fmt.Fprintf(w, "  logGroupName:  %s\n", f.LogGroupName)
		}
		for _, mt := range f.MetricTransformations {
			fmt.Fprintf(w, "  metric:        %s/%s = %s", mt.MetricNamespace, mt.MetricName, mt.MetricValue)
			if mt.DefaultValue != nil {
				fmt.Fprintf(w, " (default %s)", strconv.FormatFloat(*mt.DefaultValue, 'g', -1, 64))
			}
			if len(mt.Dimensions) > 0 {
				keys := make([]string, 0, len(mt.Dimensions))
				for k := range mt.Dimensions {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				var ds []string
				for _, k := range keys {
					ds = append(ds, k+"="+mt.Dimensions[k])
				}
				fmt.Fprintf(w, " dimensions %s", strings.Join(ds, ","))
			}
			if mt.Unit != "" {
				fmt.Fprintf(w, " unit %s", mt.Unit)
			}
			fmt.Fprintln(w)
		}
	}
	for _, f := range set.SubscriptionFilters {
		fmt.Fprintf(w, "\nSubscription filter %s  [%s]\n", f.FilterName, f.Origin)
		if f.Description != "" {
			fmt.Fprintf(w, "  %s\n", f.Description)
		}
		fmt.Fprintf(w, "  filterPattern: %s\n  destination:   %s\n", f.FilterPattern, f.Destination)
	}
	for _, a := range set.Alarms {
		fmt.Fprintf(w, "\nAlarm %s  [%s]\n", a.AlarmName, a.Origin)
		if a.AlarmDescription != "" {
			fmt.Fprintf(w, "  %s\n", a.AlarmDescription)
		}
		m := a.DatapointsToAlarm
		if m == 0 {
			m = a.EvaluationPeriods
		}
		treat := a.TreatMissingData
		if treat == "" {
			treat = "missing"
		}
		fmt.Fprintf(w, "  when %s of %s/%s over %ds is %s %s in %d of %d periods (missing data: %s)\n",
			a.Statistic, a.Namespace, a.MetricName, a.Period, a.ComparisonOperator, javafmt.Double(a.Threshold), m, a.EvaluationPeriods, treat)
		for _, d := range a.Dimensions {
			fmt.Fprintf(w, "  dimension %s=%s\n", d.Name, d.Value)
		}
		for _, act := range []struct {
			name string
			arns []string
		}{{"ALARM", a.AlarmActions}, {"OK", a.OKActions}, {"INSUFFICIENT_DATA", a.InsufficientDataActions}} {
			for _, arn := range act.arns {
				fmt.Fprintf(w, "  on %s notify %s\n", act.name, arn)
			}
		}
	}
	for _, t := range set.Targets {
		fmt.Fprintf(w, "\nTarget %s", t.ARN)
		if t.Name != "" {
			fmt.Fprintf(w, " (%s)", t.Name)
		}
		fmt.Fprintf(w, "  [%s]\n", t.Origin)
		if len(t.Subscriptions) == 0 {
			fmt.Fprintln(w, "  no subscriptions known")
		}
		for _, sub := range t.Subscriptions {
			fmt.Fprintf(w, "  %s %s", sub.Protocol, sub.Endpoint)
			if sub.Format != "" {
				fmt.Fprintf(w, " (format %s)", sub.Format)
			}
			if sub.Subject != "" {
				fmt.Fprintf(w, " subject %q", sub.Subject)
			}
			fmt.Fprintln(w)
		}
	}
	if len(set.Skipped) > 0 {
		fmt.Fprintln(w, "\nNot loaded:")
		for _, sk := range set.Skipped {
			what := "not a rule"
			if sk.Unsupported {
				what = "UNSUPPORTED"
			}
			fmt.Fprintf(w, "  %s (%s) %s: %s  [%s]\n", sk.LogicalID, sk.Type, what, sk.Reason, sk.Origin)
		}
	}
}

// A rule test file.
type ruleTestFile struct {
	Rules    []string          `yaml:"rules"` // paths relative to the test file
	Packs    []string          `yaml:"packs"`
	Params   map[string]string `yaml:"params"`
	Lateness string            `yaml:"lateness"`
	Tests    []ruleTest        `yaml:"tests"`
}

type ruleTest struct {
	Name       string      `yaml:"name"`
	Events     []yaml.Node `yaml:"events"`     // CloudTrail events, inline
	EventsFile string      `yaml:"eventsFile"` // or a file of them, in any shape trailwatch reads
	From       string      `yaml:"from"`
	To         string      `yaml:"to"`
	Expect     struct {
		// Matches lists, per filter, the eventIDs it must match, in order;
		// filters not listed are not checked.
		Matches map[string][]string `yaml:"matches"`
		// Alarms gives the state each listed alarm must end in.
		Alarms map[string]string `yaml:"alarms"`
		// Transitions, when given, is the exact sequence of state changes
		// of the alarms it mentions.
		Transitions []struct {
			Alarm string `yaml:"alarm"`
			From  string `yaml:"from"`
			To    string `yaml:"to"`
			Time  string `yaml:"time"`
		} `yaml:"transitions"`
		Notifications *int `yaml:"notifications"`
	} `yaml:"expect"`
}

func newRulesTestCmd(s Streams) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [-v] FILE...",
		Short: "Run rule unit tests",
		Long: `Run rule unit tests. A test file names the rules under test and, per test, the
events to evaluate and what they must produce:

  rules: [iam-alarm.yaml]        # rules files or templates, relative to this file
  packs: [seeds]                 # built-in packs
  params: {CloudWatchLogsGroup: trail}
  tests:
    - name: the maintenance role is excluded
      events:                    # inline CloudTrail events (or eventsFile: FILE)
        - {eventVersion: "1.08", eventTime: "2022-05-13T17:24:49Z", eventName: PutRolePolicy, ...}
      expect:
        matches:                 # eventIDs each listed filter must match, in order
          seed001-iam-policy-changes: []
        alarms:                  # the state each listed alarm ends in
          IAMPolicyChangesExceptMaintenance: OK
        transitions:             # the exact state changes of the alarms listed
          - {alarm: AlarmIAMWarn, to: ALARM, time: "2022-05-13T17:23:00Z"}

Each test runs the same evaluation as 'trailwatch scan' on its own events.
Exit status is 0 if every test passed, 1 if one failed, 2 if a file could not
be loaded.`,
		Example: "  trailwatch rules test testdata/rules/seeds_test.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRulesTest(cmd.Context(), args, verbose, s)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print the outputs of each test")
	return cmd
}

func runRulesTest(ctx context.Context, files []string, verbose bool, s Streams) error {
	passed, failed := 0, 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("rules test: %w", err)}
		}
		var tf ruleTestFile
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&tf); err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("rules test: %s: %w", file, err)}
		}
		dir := filepath.Dir(file)
		var ruleFiles []string
		for _, r := range tf.Rules {
			if !filepath.IsAbs(r) {
				r = filepath.Join(dir, r)
			}
			ruleFiles = append(ruleFiles, r)
		}
		var params []string
		for k, v := range tf.Params {
			params = append(params, k+"="+v)
		}
		slices.Sort(params)
		set, pmap, err := loadRules("rules test: "+file, ruleFiles, tf.Packs, params, io.Discard)
		if err != nil {
			return err
		}
		var lateness time.Duration
		if tf.Lateness != "" {
			if lateness, err = time.ParseDuration(tf.Lateness); err != nil {
				return &exitError{code: exitError2, err: fmt.Errorf("rules test: %s: lateness: %w", file, err)}
			}
		}
		for i, tc := range tf.Tests {
			name := tc.Name
			if name == "" {
				name = "test " + strconv.Itoa(i+1)
			}
			problems, outs, err := runRuleTest(ctx, dir, set, pmap, lateness, &tc)
			if err != nil {
				return &exitError{code: exitError2, err: fmt.Errorf("rules test: %s: %s: %w", file, name, err)}
			}
			if len(problems) == 0 {
				passed++
				fmt.Fprintf(s.Out, "PASS  %s: %s\n", file, name)
			} else {
				failed++
				fmt.Fprintf(s.Out, "FAIL  %s: %s\n", file, name)
				for _, p := range problems {
					fmt.Fprintf(s.Out, "      %s\n", p)
				}
			}
			if verbose || len(problems) > 0 {
				for _, o := range outs {
					fmt.Fprintf(s.Out, "      | %s\n", o)
				}
			}
		}
	}
	fmt.Fprintf(s.Out, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return &exitError{code: exitNoMatch}
	}
	return nil
}

// runRuleTest evaluates one test's events and compares with its
// expectations. It returns the problems found and the outputs, one line
// each.
func runRuleTest(ctx context.Context, dir string, set *rules.Set, params map[string]string, lateness time.Duration, tc *ruleTest) ([]string, []string, error) {
	var data []byte
	switch {
	case tc.EventsFile != "" && len(tc.Events) > 0:
		return nil, nil, errors.New("give events or eventsFile, not both")
	case tc.EventsFile != "":
		p := tc.EventsFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		data = b
	default:
		for i := range tc.Events {
			b, err := nodeJSON(nil, &tc.Events[i])
			if err != nil {
				return nil, nil, fmt.Errorf("event %d: %w", i+1, err)
			}
			data = append(append(data, b...), '\n')
		}
	}
	opts := programOptions(params)
	opts.Lateness = lateness
	var err error
	if opts.From, err = parseTime("from", tc.From); err != nil {
		return nil, nil, err
	}
	if opts.To, err = parseTime("to", tc.To); err != nil {
		return nil, nil, err
	}
	// Actors resolve as in scan; a test's events are few, so all the
	// credentials they issue are known before any is evaluated.
	ids := pipeline.NewIdentity(identity.Config{Window: lateness, MaxCredentials: identity.DefaultMaxCredentials})
	opts.Actor, opts.Extra = ids.Actor, ids.Extra
	prog, err := engine.Compile(set, opts)
	if err != nil {
		return nil, nil, err
	}
	var rd cloudtrail.Reader
	dec, err := rd.Decoder(bytes.NewReader(data), "events")
	if err != nil {
		return nil, nil, err
	}
	var recs []*cloudtrail.Record
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if rec, err = rec.Clone(); err != nil {
			return nil, nil, err
		}
		recs = append(recs, rec)
	}
	var issuing [][]byte
	for _, rec := range recs {
		if pipeline.IssuesCredentials(rec.JSON) {
			issuing = append(issuing, rec.Raw)
		}
	}
	ids.PreObserve(issuing)
	var outs []engine.Output
	for _, rec := range recs {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		o, err := prog.Event(rec, "events")
		if err != nil && !errors.Is(err, engine.ErrOutOfRange) {
			return nil, nil, err
		}
		outs = append(outs, o...)
	}
	outs = append(outs, prog.Finish()...)

	var lines, problems []string
	matches := map[string][]string{}
	type tr struct{ alarm, from, to, time string }
	var trs []tr
	notifications := 0
	for _, o := range outs {
		switch o.Kind {
		case engine.KindMatch:
			matches[o.Match.Filter] = append(matches[o.Match.Filter], o.Match.EventID)
			lines = append(lines, fmt.Sprintf("%s match %s %s", jsonTime(o.Match.EventTime), o.Match.Filter, o.Match.EventID))
		case engine.KindTransition:
			t := o.Transition
			trs = append(trs, tr{t.Alarm.AlarmName, t.From.String(), t.To.String(), jsonTime(t.Time)})
			lines = append(lines, fmt.Sprintf("%s alarm %s %s -> %s", jsonTime(t.Time), t.Alarm.AlarmName, t.From, t.To))
		case engine.KindNotification:
			notifications++
			lines = append(lines, fmt.Sprintf("%s notify %s %q", jsonTime(o.Notification.Time), o.Notification.ARN, o.Notification.Subject))
		}
	}
	known := prog.Counts()
	for _, f := range sortedKeys(tc.Expect.Matches) {
		if _, ok := known[f]; !ok {
			problems = append(problems, fmt.Sprintf("matches: no filter %q in the rules", f))
			continue
		}
		want := tc.Expect.Matches[f]
		if got := matches[f]; !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			problems = append(problems, fmt.Sprintf("filter %s matched %s, want %s", f, listOrNone(got), listOrNone(want)))
		}
	}
	states := prog.AlarmStates()
	for _, a := range sortedKeys(tc.Expect.Alarms) {
		want := tc.Expect.Alarms[a]
		st, ok := states[a]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("alarms: no alarm %q in the rules", a))
		case st.String() != want:
			problems = append(problems, fmt.Sprintf("alarm %s ended in %s, want %s", a, st, want))
		}
	}
	if len(tc.Expect.Transitions) > 0 {
		mentioned := map[string]bool{}
		var want []tr
		for _, t := range tc.Expect.Transitions {
			mentioned[t.Alarm] = true
			w := tr{alarm: t.Alarm, from: t.From, to: t.To, time: t.Time}
			if w.time != "" {
				tm, err := parseTime("time", w.time)
				if err != nil {
					return nil, nil, fmt.Errorf("transitions: %w", err)
				}
				w.time = jsonTime(tm)
			}
			want = append(want, w)
		}
		var got []tr
		for _, t := range trs {
			if mentioned[t.alarm] {
				got = append(got, t)
			}
		}
		ok := len(got) == len(want)
		for i := 0; ok && i < len(got); i++ {
			w, g := want[i], got[i]
			ok = w.alarm == g.alarm && w.to == g.to && (w.from == "" || w.from == g.from) && (w.time == "" || w.time == g.time)
		}
		if !ok {
			var gs, ws []string
			for _, g := range got {
				gs = append(gs, fmt.Sprintf("%s %s->%s at %s", g.alarm, g.from, g.to, g.time))
			}
			for _, w := range want {
				ws = append(ws, fmt.Sprintf("%s %s->%s at %s", w.alarm, orAny(w.from), w.to, orAny(w.time)))
			}
			problems = append(problems, fmt.Sprintf("transitions were [%s], want [%s]", strings.Join(gs, "; "), strings.Join(ws, "; ")))
		}
	}
	if n := tc.Expect.Notifications; n != nil && *n != notifications {
		problems = append(problems, fmt.Sprintf("%d notifications, want %d", notifications, *n))
	}
	return problems, lines, nil
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "nothing"
	}
	return "[" + strings.Join(l, ", ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nodeJSON appends the YAML node as compact JSON, keeping key order (the
// one-line text CloudWatch Logs would store).
func nodeJSON(dst []byte, n *yaml.Node) ([]byte, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return append(dst, "null"...), nil
		}
		return nodeJSON(dst, n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not allowed in events", n.Line)
	case yaml.MappingNode:
		dst = append(dst, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			dst = append(append(dst, k...), ':')
			var err error
			if dst, err = nodeJSON(dst, n.Content[i+1]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case yaml.SequenceNode:
		dst = append(dst, '[')
		for i, c := range n.Content {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = nodeJSON(dst, c); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return append(dst, "null"...), nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return strconv.AppendBool(dst, b), nil
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				return append(dst, n.Value...), nil
			}
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, err
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
			}
			return strconv.AppendFloat(dst, f, 'g', -1, 64), nil
		}
		b, _ := json.Marshal(n.Value)
		return append(dst, b...), nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}
