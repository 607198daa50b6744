package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/inventory"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

type scanOptions struct {
	ruleFiles []string
	packs     []string
	params    []string
	from, to  string
	format    string
	lateness  time.Duration
	workers   int
	deliver   bool
	smtp      string
	smtpFrom  string
	snsURL    string
	inventory string // store whose tag inventory $.trailwatch reads
	tagKey    string
	inputs    []string

	maxCredentials int
	// sinks overrides how notifications are delivered (tests).
	sinks func(d rules.Delivery) notify.Router
	// retry overrides the delivery retry policy (tests).
	retry *notify.Retry
}

func newScanCmd(s Streams) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [--rules FILE]... [--pack NAME]... [--param KEY=VALUE]... [--from T] [--to T] [--format text|json] INPUT...",
		Short: "Backtest metric filters, alarms and subscription filters over CloudTrail history",
		Long: `Evaluate CloudWatch rules over CloudTrail history in event-time order, the way
CloudWatch would have: metric filters publish a value for every matching event
(and their defaultValue for minutes with events but no match), alarms are
evaluated every minute over their last periods with their statistic,
comparison, M-of-N and TreatMissingData, and every alarm action and
subscription filter match becomes a notification.

Rules come from trailwatch rules files and CloudFormation templates (--rules,
YAML or JSON: AWS::Logs::MetricFilter, AWS::Logs::SubscriptionFilter,
AWS::CloudWatch::Alarm, AWS::SNS::Topic and Subscription) and from built-in
packs (--pack; see 'trailwatch rules list'). --param sets template and rules
file parameters and pseudo parameters such as AWS::AccountId and AWS::Region.

INPUT is as for 'trailwatch match'. Files in the S3 delivery layout are read in
the order of the time in their names; records up to --lateness older than the
newest one seen are put back in order, older ones are reported as late.

Output formats:
  text  a report grouped by rule (default): alarms that fired, when, why and
        who caused them; filters with their top actors; notifications per
        target; and the noise per rule per day (ALARM transitions /
        notifications) that deploying the rules as they are would cause
  log   one line per match, alarm state change and notification, in time order
  json  JSON Lines: {"type":"match"|"alarm"|"notification"|"summary",...};
        the summary carries the per-rule per-day noise

Notifications are reported, not sent, unless --deliver is given; then they go
to the subscriptions of their targets (e-mail over SMTP, HTTP POST, Slack, SNS,
stdout), with retries. Exit status is 0, or 2 on a usage error or if any input
could not be read.`,
		Example: `  # Which CIS alarms would have fired last month?
  trailwatch scan --pack cis --format json AWSLogs/

  # Seed 004's CloudFormation template, as deployed
  trailwatch scan --rules iam-alarm.yaml --param CloudWatchLogsGroup=CloudTrail/DefaultLogGroup \
      --param AWS::AccountId=123456789012 AWSLogs/

  # Seed 001: policy changes by anyone but the maintenance role, one day
  trailwatch scan --pack seeds --param MaintenanceRoleName=cm-policymaintainer \
      --from 2022-05-13 --to 2022-05-14 AWSLogs/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.inputs = args
			return runScan(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.ruleFiles, "rules", nil, "rules file or CloudFormation template (repeatable)")
	f.StringArrayVar(&o.packs, "pack", nil, "built-in rule pack (repeatable; see 'trailwatch rules list')")
	f.StringArrayVar(&o.params, "param", nil, "parameter KEY=VALUE for rules files and templates (repeatable)")
	f.StringVar(&o.from, "from", "", "evaluate events at or after T (RFC 3339 or YYYY-MM-DD, UTC)")
	f.StringVar(&o.to, "to", "", "evaluate events before T; alarms are evaluated up to T")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text (a report grouped by rule), log (one line per match, alarm change and notification, in time order) or json (JSON Lines)")
	f.DurationVar(&o.lateness, "lateness", time.Hour, "how far out of event-time order records may arrive and still be put in order")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "inputs decoded in parallel")
	f.IntVar(&o.maxCredentials, "max-credentials", identity.DefaultMaxCredentials, "most issued credentials remembered to resolve actors (about 1-2 KB each)")
	f.BoolVar(&o.deliver, "deliver", false, "deliver notifications to their targets' subscriptions (default: only report them)")
	f.BoolVar(&o.deliver, "notify", false, "same as --deliver")
	f.StringVar(&o.smtp, "smtp", "", "SMTP server host:port for e-mail subscriptions (overrides the rules' delivery.smtp)")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of e-mails")
	f.StringVar(&o.snsURL, "sns-endpoint", "", "SNS endpoint URL for sns subscriptions (default: AWS)")
	tagFlags(f, &o.inventory, &o.tagKey)
	return cmd
}

// tagFlags are the flags that give rules the tag inventory.
func tagFlags(f *pflag.FlagSet, dir, key *string) {
	f.StringVar(dir, "inventory", "", "store DIR whose tag inventory rules read as $.trailwatch.principalTags (see 'trailwatch inventory')")
	f.StringVar(key, "tag-key", "", "with --inventory: the key rules compare as $.trailwatch.crossTag (principal vs resources touched)")
}

// loadTags loads the tag context of --inventory and --tag-key (nil
// without --inventory).
func loadTags(cmdName, dir, key string) (*pipeline.Tags, error) {
	if key != "" && dir == "" {
		return nil, &usageError{fmt.Errorf("%s: --tag-key needs --inventory DIR", cmdName)}
	}
	if dir == "" {
		return nil, nil
	}
	snaps, err := inventory.Load(dir)
	if err != nil {
		return nil, &exitError{code: exitError2, err: fmt.Errorf("%s: %w", cmdName, err)}
	}
	return pipeline.NewTags(inventory.NewTimeline(snaps, nil), key), nil
}

// parseTime accepts RFC 3339 and shorter UTC forms.
func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &usageError{fmt.Errorf("scan: --%s %q: want RFC 3339 (2022-05-13T17:00:00Z) or YYYY-MM-DD", flag, s)}
}

// loadRules loads the files and packs named by flags, validates them and
// reports warnings and unsupported resources on errw.
func loadRules(cmdName string, files, packs, paramArgs []string, errw io.Writer) (*rules.Set, map[string]string, error) {
	params, err := rules.ParseParams(paramArgs)
	if err != nil {
		return nil, nil, &usageError{fmt.Errorf("%s: %w", cmdName, err)}
	}
	if len(files) == 0 && len(packs) == 0 {
		return nil, nil, &usageError{fmt.Errorf("%s: no rules: give --rules FILE or --pack NAME", cmdName)}
	}
	set := &rules.Set{}
	opts := rules.LoadOptions{Params: params}
	for _, p := range packs {
		s, err := rules.LoadPack(p, opts)
		if err != nil {
			return nil, nil, &exitError{code: exitError2, err: fmt.Errorf("%s: %w", cmdName, err)}
		}
		set.Merge(s)
	}
	for _, f := range files {
		s, err := rules.LoadFile(f, opts)
		if err != nil {
			return nil, nil, &exitError{code: exitError2, err: fmt.Errorf("%s: %w", cmdName, err)}
		}
		set.Merge(s)
	}
	if unused := rules.UnusedParams(params, set); len(unused) > 0 {
		return nil, nil, &usageError{fmt.Errorf("%s: --param %s: no loaded rules file or template declares it", cmdName, strings.Join(unused, ", "))}
	}
	warnings, err := set.Validate()
	if err != nil {
		return nil, nil, &exitError{code: exitError2, err: fmt.Errorf("%s: invalid rules:\n%w", cmdName, err)}
	}
	for _, w := range warnings {
		fmt.Fprintf(errw, "trailwatch: warning: %s\n", w)
	}
	for _, sk := range set.Skipped {
		if sk.Unsupported {
			fmt.Fprintf(errw, "trailwatch: %s: %s not loaded: %s\n", sk.Origin, sk.Type, sk.Reason)
		}
	}
	return set, params, nil
}

func programOptions(params map[string]string) engine.Options {
	o := engine.Options{AccountID: "123456789012", Region: "us-east-1"}
	if v, ok := params["AWS::AccountId"]; ok {
		o.AccountID = v
	}
	if v, ok := params["AWS::Region"]; ok {
		o.Region = v
	}
	return o
}

func runScan(ctx context.Context, o *scanOptions, s Streams) error {
	switch o.format {
	case "text", "log", "json":
	default:
		return &usageError{fmt.Errorf("scan: --format must be text, log or json, not %q", o.format)}
	}
	if o.lateness < 0 {
		return &usageError{fmt.Errorf("scan: --lateness must not be negative")}
	}
	from, err := parseTime("from", o.from)
	if err != nil {
		return err
	}
	to, err := parseTime("to", o.to)
	if err != nil {
		return err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return &usageError{fmt.Errorf("scan: --to must be after --from")}
	}
	errw := &lockedWriter{w: s.Err}
	set, params, err := loadRules("scan", o.ruleFiles, o.packs, o.params, errw)
	if err != nil {
		return err
	}
	popts := programOptions(params)
	if o.maxCredentials < 1 {
		return &usageError{fmt.Errorf("scan: --max-credentials must be at least 1")}
	}
	ids := pipeline.NewIdentity(identity.Config{Window: o.lateness, MaxCredentials: o.maxCredentials})
	if ids.Tags, err = loadTags("scan", o.inventory, o.tagKey); err != nil {
		return err
	}
	popts.Lateness, popts.From, popts.To, popts.Actor, popts.Extra = o.lateness, from, to, ids.Actor, ids.Extra
	prog, err := engine.Compile(set, popts)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("scan: %w", err)}
	}

	out := bufio.NewWriterSize(s.Out, 64<<10)
	var outMu sync.Mutex // the stdout sink writes into the same stream
	var dispatcher *notify.Dispatcher
	if o.deliver {
		d := deliveryFor(set, o.smtp, o.smtpFrom, o.snsURL)
		router := notify.Router(nil)
		if o.sinks != nil {
			router = o.sinks(d)
		} else {
			router = newRouter(d, writerFunc(func(p []byte) (int, error) { outMu.Lock(); defer outMu.Unlock(); return out.Write(p) }))
		}
		retry := notify.DefaultRetry()
		if o.retry != nil {
			retry = *o.retry
		}
		dispatcher = notify.NewDispatcher(ctx, router, retry, 2, 256)
	}

	w := &scanWriter{format: o.format, out: out, report: newScanReport()}
	inputErrs, skipped, notifications := 0, 0, 0
	report := func(err error) {
		inputErrs++
		fmt.Fprintf(errw, "trailwatch: %v\n", err)
	}
	notice := func(msg string) { fmt.Fprintf(errw, "trailwatch: %s\n", msg) }
	emit := func(outs []engine.Output) {
		var queued []notify.Message
		outMu.Lock()
		for _, x := range outs {
			w.write(x)
			if x.Kind == engine.KindNotification {
				notifications++
				if dispatcher != nil {
					queued = append(queued, pipeline.Messages(x.Notification)...)
				}
			}
		}
		outMu.Unlock()
		// Outside the lock: a full queue waits for workers, and the
		// stdout sink takes the lock.
		for _, m := range queued {
			dispatcher.Enqueue(m)
		}
	}

	inputs := sortedInputs(ctx, o.inputs, s.In, func(err error) { report(err) }, notice)
	counter := newProgress(s)
	ev := pipeline.New(prog, ids, o.workers)
	ev.Run(ctx, inputs, pipeline.Handlers{
		Error:    func(_ source.Input, err error) { report(err) },
		Notice:   notice,
		Outputs:  func(_ source.Input, outs []engine.Output) { emit(outs) },
		Skipped:  func(source.Input) { skipped++ },
		Batch:    func() { counter.update(0, prog.Events, matchCount(prog)) },
		Finished: func(source.Input) { counter.update(1, prog.Events, matchCount(prog)) },
	})
	counter.done()
	emit(prog.Finish())

	var sent, failed int
	if dispatcher != nil {
		outMu.Lock()
		out.Flush()
		outMu.Unlock()
		results := dispatcher.Close()
		// Deliveries finish in any order; report them in a stable one.
		sort.SliceStable(results, func(i, j int) bool {
			a, b := results[i].Message, results[j].Message
			if !a.Time.Equal(b.Time) {
				return a.Time.Before(b.Time)
			}
			return a.String() < b.String()
		})
		for _, r := range results {
			if r.Err != nil {
				failed++
				fmt.Fprintf(errw, "trailwatch: notify: %v\n", r.Err)
			} else {
				sent++
			}
		}
	}
	w.summary(prog, inputErrs, skipped, notifications, o.deliver, sent, failed)
	if err := out.Flush(); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("write output: %w", err)}
	}
	if ctx.Err() != nil {
		return &exitError{code: exitError2, err: errors.New("scan: interrupted")}
	}
	if inputErrs > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("scan: %d input error(s); the errors above name what was skipped", inputErrs)}
	}
	if failed > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("scan: %d notification(s) could not be delivered", failed)}
	}
	return nil
}

// newRouter routes notifications to the sinks the rules' delivery settings
// describe; stdout subscriptions write to stdout.
func newRouter(d rules.Delivery, stdout io.Writer) notify.Router {
	password := ""
	if d.SMTP.PasswordEnv != "" {
		password = os.Getenv(d.SMTP.PasswordEnv)
	}
	return notify.NewRouter(notify.Config{
		SMTP: notify.SMTPConfig{Address: d.SMTP.Address, From: d.SMTP.From, Username: d.SMTP.Username, Password: password,
			TLS: d.SMTP.TLS, StartTLS: d.SMTP.StartTLS},
		SNS:    notify.SNSConfig{Region: d.SNS.Region, Endpoint: d.SNS.Endpoint},
		Stdout: stdout,
	})
}

// deliveryFor applies the command line's delivery overrides.
func deliveryFor(set *rules.Set, smtp, smtpFrom, snsURL string) rules.Delivery {
	d := set.Delivery
	if smtp != "" {
		d.SMTP.Address = smtp
	}
	if smtpFrom != "" {
		d.SMTP.From = smtpFrom
	}
	if snsURL != "" {
		d.SNS.Endpoint = snsURL
	}
	return d
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// sortedInputs walks args and hands the inputs on ordered by the delivery
// time in their names (stable; inputs without one keep their place at the
// front), so that records arrive roughly in event-time order.
func sortedInputs(ctx context.Context, args []string, stdin io.Reader, report func(error), notice func(string)) <-chan source.Input {
	walked := make(chan source.Input)
	go source.Walk(ctx, args, stdin, walked, report, notice)
	// The time in a CloudTrail delivery file name:
	// ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz.
	deliveryTime := regexp.MustCompile(`_(\d{8}T\d{4}Z)_`)
	var all []source.Input
	for in := range walked {
		all = append(all, in)
	}
	key := func(in source.Input) string {
		if m := deliveryTime.FindStringSubmatch(filepath.Base(in.Name)); m != nil {
			return m[1]
		}
		return ""
	}
	sort.SliceStable(all, func(i, j int) bool { return key(all[i]) < key(all[j]) })
	out := make(chan source.Input)
	go func() {
		defer close(out)
		for _, in := range all {
			select {
			case out <- in:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// matchCount is the number of matches so far, for the progress counter.
func matchCount(p *engine.Program) int {
	n := 0
	for _, c := range p.Counts() {
		n += c
	}
	return n
}

// scanWriter prints outputs in text or JSON Lines.
type scanWriter struct {
	format string
	out    *bufio.Writer
	report *scanReport // aggregates for the text report and the JSON summary's noise
}

type jsonMatch struct {
	Type      string   `json:"type"`
	Filter    string   `json:"filter"`
	EventID   string   `json:"eventID"`
	EventTime string   `json:"eventTime"`
	EventName string   `json:"eventName"`
	Value     *float64 `json:"value"`
	Actor     any      `json:"actor"`
	Kind      string   `json:"kind"`
	Late      bool     `json:"late,omitempty"`
	Source    string   `json:"source"`
	Record    int      `json:"record"`
}

type jsonDatapoint struct {
	Timestamp string  `json:"timestamp"`
	Value     float64 `json:"value"`
}

type jsonAlarm struct {
	Type       string          `json:"type"`
	Alarm      string          `json:"alarm"`
	Time       string          `json:"time"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	Reason     string          `json:"reason"`
	Datapoints []jsonDatapoint `json:"datapoints"`
}

type jsonDelivery struct {
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint,omitempty"`
	Format   string `json:"format,omitempty"`
}

type jsonNotification struct {
	Type       string         `json:"type"`
	Time       string         `json:"time"`
	ARN        string         `json:"arn"`
	Alarm      string         `json:"alarm,omitempty"`
	State      string         `json:"state,omitempty"`
	Filter     string         `json:"filter,omitempty"`
	EventID    string         `json:"eventID,omitempty"`
	Subject    string         `json:"subject"`
	Actors     []string       `json:"actors,omitempty"`
	Deliveries []jsonDelivery `json:"deliveries"`
	Message    string         `json:"message"`
}

func jsonTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func deliveries(n *engine.Notification) []jsonDelivery {
	out := []jsonDelivery{}
	if n.Target != nil {
		for _, sub := range n.Target.Subscriptions {
			out = append(out, jsonDelivery{Protocol: sub.Protocol, Endpoint: sub.Endpoint, Format: sub.Format})
		}
	}
	return out
}

func (w *scanWriter) line(v any) {
	enc := json.NewEncoder(w.out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(w.out, `{"type":"error","error":%q}`+"\n", err.Error())
	}
}

func (w *scanWriter) write(o engine.Output) {
	if w.report != nil {
		w.report.add(o)
	}
	if w.format == "text" {
		return // printed as a report at the end
	}
	switch o.Kind {
	case engine.KindMatch:
		m := o.Match
		kind := "metric"
		if m.Subscription {
			kind = "subscription"
		}
		if w.format == "json" {
			w.line(jsonMatch{Type: "match", Filter: m.Filter, EventID: m.EventID, EventTime: jsonTime(m.EventTime), EventName: m.EventName,
				Value: m.Value, Actor: m.Actor, Kind: kind, Late: m.Late, Source: m.Source, Record: m.Record})
			return
		}
		v := ""
		if m.Value != nil {
			v = " value=" + strconv.FormatFloat(*m.Value, 'g', -1, 64)
		}
		late := ""
		if m.Late {
			late = " (late)"
		}
		fmt.Fprintf(w.out, "%s  match  %s  %s %s%s  by %s%s\n", jsonTime(m.EventTime), m.Filter, m.EventName, m.EventID, v, actorText(m.Actor), late)
	case engine.KindTransition:
		tr := o.Transition
		if w.format == "json" {
			dps := []jsonDatapoint{}
			for _, d := range tr.Evaluated {
				dps = append(dps, jsonDatapoint{Timestamp: jsonTime(d.Start), Value: d.Value})
			}
			w.line(jsonAlarm{Type: "alarm", Alarm: tr.Alarm.AlarmName, Time: jsonTime(tr.Time), From: tr.From.String(), To: tr.To.String(),
				Reason: tr.Reason, Datapoints: dps})
			return
		}
		fmt.Fprintf(w.out, "%s  alarm  %s  %s -> %s  %s\n", jsonTime(tr.Time), tr.Alarm.AlarmName, tr.From, tr.To, tr.Reason)
	case engine.KindNotification:
		n := o.Notification
		ds := deliveries(n)
		if w.format == "json" {
			w.line(jsonNotification{Type: "notification", Time: jsonTime(n.Time), ARN: n.ARN, Alarm: n.Alarm, State: n.State,
				Filter: n.Filter, EventID: n.EventID, Subject: n.Subject, Actors: n.Actors, Deliveries: ds, Message: n.Message})
			return
		}
		var to []string
		for _, d := range ds {
			to = append(to, d.Protocol+":"+d.Endpoint)
		}
		dest := "no subscriptions known"
		if len(to) > 0 {
			dest = strings.Join(to, ", ")
		}
		caused := ""
		if n.Alarm != "" && len(n.Actors) > 0 {
			caused = "  caused by " + strings.Join(n.Actors, "; ")
		}
		fmt.Fprintf(w.out, "%s  notify %s  %q -> %s%s\n", jsonTime(n.Time), n.ARN, n.Subject, dest, caused)
	}
}

func actorText(a any) string {
	if x, ok := a.(pipeline.Actor); ok {
		return x.Summary()
	}
	if x, ok := a.(engine.Actor); ok {
		if x.ARN != "" {
			return x.ARN
		}
		if x.Type != "" {
			return x.Type
		}
		return "?"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

type jsonAlarmSummary struct {
	Transitions int    `json:"transitions"`
	State       string `json:"state"`
}

func (w *scanWriter) summary(prog *engine.Program, errs, skipped, notifications int, deliver bool, sent, failed int) {
	counts := prog.Counts()
	trs := prog.AlarmTransitions()
	states := prog.AlarmStates()
	alarms := map[string]jsonAlarmSummary{}
	for name, n := range trs {
		alarms[name] = jsonAlarmSummary{Transitions: n, State: states[name].String()}
	}
	if w.format == "text" {
		w.report.print(w.out, reportTotals{events: prog.Events, errs: errs, late: prog.Late, skipped: skipped,
			notifications: notifications, deliver: deliver, sent: sent, failed: failed, states: states, counts: counts})
		return
	}
	if w.format == "json" {
		type summary struct {
			Type          string                      `json:"type"`
			Events        int                         `json:"events"`
			Errors        int                         `json:"errors"`
			Filters       map[string]int              `json:"filters"`
			Alarms        map[string]jsonAlarmSummary `json:"alarms"`
			Late          int                         `json:"late"`
			Skipped       int                         `json:"skipped"`
			Notifications int                         `json:"notifications"`
			Delivered     *int                        `json:"delivered,omitempty"`
			Failed        *int                        `json:"failed,omitempty"`
			// Noise is, per rule and UTC day, matches, transitions to
			// ALARM and notifications.
			Noise map[string]map[string]dayNoise `json:"noise"`
		}
		sm := summary{Type: "summary", Events: prog.Events, Errors: errs, Filters: counts, Alarms: alarms, Late: prog.Late,
			Skipped: skipped, Notifications: notifications, Noise: w.report.noiseJSON()}
		if deliver {
			sm.Delivered, sm.Failed = &sent, &failed
		}
		w.line(sm)
		return
	}
	fmt.Fprintf(w.out, "summary: %d events, %d errors, %d late, %d outside --from/--to, %d notifications", prog.Events, errs, prog.Late, skipped, notifications)
	if deliver {
		fmt.Fprintf(w.out, " (%d delivered, %d failed)", sent, failed)
	}
	w.out.WriteString("\n")
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(w.out, "  filter %s: %d matched\n", k, counts[k])
	}
	names = names[:0]
	for k := range alarms {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(w.out, "  alarm %s: %d transitions, now %s\n", k, alarms[k].Transitions, alarms[k].State)
	}
}
