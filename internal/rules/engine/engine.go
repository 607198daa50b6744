// Package engine evaluates a rule set over CloudTrail records the way
// CloudWatch would: every filter pattern on every event, metric values
// published per minute, alarms evaluated by event time, and the
// notifications alarm actions and subscription filters send. Output comes
// out in event-time order; records may arrive out of order within a
// configured lateness.
//
// Evaluation is separated from delivery: the engine only says what would be
// sent where (Notification); package notify sends it.
package engine

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/filterpattern"
	"github.com/trailwatch/trailwatch/internal/alarm"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/rules"
)

// ActorFunc describes who acted in a record. Its result is marshalled to
// JSON as the "actor" of a match. internal/identity plugs in here; the
// default, BasicActor, reports userIdentity as CloudTrail gives it.
type ActorFunc func(rec *cloudtrail.Record) any

// Describer is implemented by actors that can name themselves in one line
// ("alice@example.com via AWSReservedSSO_Admin_…"); notifications carry
// that line.
type Describer interface{ Who() string }

// ReservedRoot is the top-level JSON key under which patterns read what
// trailwatch adds to an event ($.trailwatch.origin.name); the event text
// term patterns see is never changed (docs/identity.md).
const ReservedRoot = "trailwatch"

// ExtraFunc returns the JSON object whose ReservedRoot key patterns read,
// for one record. The value need only stay valid until the next call.
type ExtraFunc func(rec *cloudtrail.Record) *fastjson.Value

// Options configure a Program.
type Options struct {
	// Lateness is how far behind the newest event time seen alarms are
	// evaluated and output is released. Records older than that when they
	// arrive are late (docs/alarms.md).
	Lateness time.Duration
	// From and To bound the event times evaluated; zero is unbounded. From
	// is also when the alarms are created.
	From, To time.Time
	// Actor describes the actor of matching events; nil is BasicActor.
	Actor ActorFunc
	// Extra supplies $.trailwatch for patterns that read it; nil means
	// such selectors find nothing. It is called only when a pattern of
	// the program reads the reserved root.
	Extra ExtraFunc
	// Immediate releases matches and subscription filter notifications as
	// soon as their record is evaluated instead of in event-time order, the
	// way CloudWatch Logs delivers to subscriptions (watch). Alarms are still
	// evaluated up to the watermark only.
	Immediate bool
	// AccountID and Region appear in alarm notifications (AWSAccountId,
	// AlarmArn, the subject's region name).
	AccountID, Region string
}

// Kind says what an Output is.
type Kind uint8

// Output kinds.
const (
	KindMatch Kind = iota + 1
	KindTransition
	KindNotification
)

// Output is one thing the engine reports, in event-time order.
type Output struct {
	Kind         Kind
	Match        *Match
	Transition   *Transition
	Notification *Notification
}

// Match is an event a filter matched.
type Match struct {
	Filter       string
	Subscription bool // a subscription filter (else a metric filter)
	EventID      string
	EventName    string
	EventTime    time.Time
	// Value is what the metric filter published; nil for subscription
	// filters and for metric values that were not numbers.
	Value *float64
	// Dimensions are the metric's dimension values read from the event
	// (metric filters with dimensions; an event missing one publishes
	// nothing to CloudWatch, so Dimensions is nil then).
	Dimensions map[string]string
	Actor      any
	// Late is true when the event arrived after output for its time had
	// been released; its datapoint counts only in later evaluations.
	Late   bool
	Source string // input name
	Record int    // 1-based position in the input
}

// Transition is an alarm state change.
type Transition struct {
	alarm.Transition
	Alarm *rules.Alarm
}

// Notification is a message an alarm action or a subscription filter sends
// to a target ARN.
type Notification struct {
	Time    time.Time
	ARN     string        // the action or destination ARN
	Target  *rules.Target // what ARN delivers to; nil when the rules do not say
	Alarm   string        // set for alarm actions
	State   string        // the alarm's new state
	Filter  string        // set for subscription filters
	EventID string        // set for subscription filters
	Subject string
	Message string // SNS alarm JSON, or the log event
	// Actors names who caused it: the actor of a subscription filter's
	// event, or of the matches an alarm evaluated when it went to ALARM.
	Actors []string
}

// Program is a compiled rule set and its evaluation state. It is not safe
// for concurrent use.
type Program struct {
	set     *rules.Set
	opts    Options
	filters []*filter
	alarms  []*alarmRef
	eng     *alarm.Engine

	needsExtra bool // a pattern reads ReservedRoot

	// Filters not reading ReservedRoot, indexed by the eventName values
	// their patterns require (filterpattern.RequiredStrings); the rest
	// are always evaluated. Most rules name the API calls they watch, so
	// a record is tested against a few patterns, not all.
	byName    map[string][]int
	unindexed []int

	newest   time.Time // newest event time seen
	released time.Time // output before this has been released
	pending  matchHeap
	seq      int

	Events int // records evaluated
	Late   int // records that arrived late
}

type filter struct {
	name         string
	subscription bool
	pattern      *filterpattern.Pattern
	readsExtra   bool // evaluated in EventPre, with Options.Extra
	dest         string
	literal      float64 // metric value when ref is ""
	ref          string  // metric value field reference
	dims         []dim
	feeds        []feedRef
	count        int
}

type dim struct{ name, ref string }

type feedRef struct {
	feed  int
	alarm int               // index in Program.alarms
	dims  map[string]string // dimension values the alarm wants
}

type alarmRef struct {
	def *rules.Alarm
	idx int
	// recent are the actors of the latest matches feeding the alarm, so
	// that its notifications can say who caused them.
	recent []actorAt
}

type actorAt struct {
	t   time.Time
	who string
}

// maxRecentActors bounds what an alarm remembers of who fed it.
const maxRecentActors = 64

// Compile parses every pattern of set and connects metric filters to the
// alarms that watch their metrics. It fails on the first invalid rule,
// naming it.
func Compile(set *rules.Set, opts Options) (*Program, error) {
	if opts.Actor == nil {
		opts.Actor = BasicActor
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	p := &Program{set: set, opts: opts}
	for i := range set.MetricFilters {
		mf := &set.MetricFilters[i]
		pat, err := filterpattern.Parse(mf.FilterPattern)
		if err != nil {
			return nil, fmt.Errorf("%s: metric filter %s: %w", mf.Origin, mf.FilterName, err)
		}
		if len(mf.MetricTransformations) != 1 {
			return nil, fmt.Errorf("%s: metric filter %s: exactly one metric transformation is required", mf.Origin, mf.FilterName)
		}
		mt := mf.MetricTransformations[0]
		f := &filter{name: mf.FilterName, pattern: pat}
		if strings.HasPrefix(mt.MetricValue, "$") {
			if err := pat.ValidateMetricValue(mt.MetricValue); err != nil {
				return nil, fmt.Errorf("%s: metric filter %s: metricValue: %w", mf.Origin, mf.FilterName, err)
			}
			f.ref = mt.MetricValue
		} else {
			v, err := strconv.ParseFloat(mt.MetricValue, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: metric filter %s: metricValue %q is neither a number nor a field reference", mf.Origin, mf.FilterName, mt.MetricValue)
			}
			f.literal = v
		}
		for name, ref := range mt.Dimensions {
			if err := pat.ValidateMetricValue(ref); err != nil {
				return nil, fmt.Errorf("%s: metric filter %s: dimension %s: %w", mf.Origin, mf.FilterName, name, err)
			}
			f.dims = append(f.dims, dim{name, ref})
		}
		p.filters = append(p.filters, f)
	}
	for i := range set.SubscriptionFilters {
		sf := &set.SubscriptionFilters[i]
		pat, err := filterpattern.Parse(sf.FilterPattern)
		if err != nil {
			return nil, fmt.Errorf("%s: subscription filter %s: %w", sf.Origin, sf.FilterName, err)
		}
		p.filters = append(p.filters, &filter{name: sf.FilterName, subscription: true, pattern: pat, dest: sf.Destination})
	}
	for i := range set.Alarms {
		a := &set.Alarms[i]
		if _, err := rules.AlarmConfig(a); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Origin, err)
		}
		p.alarms = append(p.alarms, &alarmRef{def: a})
	}
	p.byName = map[string][]int{}
	for i, f := range p.filters {
		if f.pattern.ReadsRoot(ReservedRoot) {
			f.readsExtra, p.needsExtra = true, true
			continue
		}
		names, ok := f.pattern.RequiredStrings("eventName")
		if !ok {
			p.unindexed = append(p.unindexed, i)
			continue
		}
		for _, n := range names {
			if l := p.byName[n]; len(l) == 0 || l[len(l)-1] != i {
				p.byName[n] = append(l, i)
			}
		}
	}
	return p, nil
}

// start creates the alarm engine: the alarms exist from t on.
func (p *Program) start(t time.Time) {
	p.eng = alarm.NewEngine(t)
	for ai, ar := range p.alarms {
		cfg, _ := rules.AlarmConfig(ar.def)
		ar.idx, _ = p.eng.AddAlarm(cfg)
		want := map[string]string{}
		for _, d := range ar.def.Dimensions {
			want[d.Name] = d.Value
		}
		for fi, mf := range p.set.MetricFilters {
			mt := mf.MetricTransformations[0]
			if mt.MetricNamespace != ar.def.Namespace || mt.MetricName != ar.def.MetricName {
				continue
			}
			if ar.def.Unit != "" && ar.def.Unit != unitOrNone(mt.Unit) {
				continue
			}
			if len(mt.Dimensions) != len(want) {
				continue
			}
			ok := true
			for k := range want {
				if _, has := mt.Dimensions[k]; !has {
					ok = false
				}
			}
			if !ok {
				continue
			}
			feed, _ := p.eng.AddFeed(ar.idx, mt.DefaultValue)
			p.filters[fi].feeds = append(p.filters[fi].feeds, feedRef{feed: feed, alarm: ai, dims: want})
		}
	}
	p.released = t
}

func unitOrNone(u string) string {
	if u == "" {
		return "None"
	}
	return u
}

// ErrOutOfRange is returned by Event for records outside From..To.
var ErrOutOfRange = errors.New("outside the --from/--to range")

// Event evaluates one record and returns the outputs it released, in order.
// The record is not kept.
func (p *Program) Event(rec *cloudtrail.Record, source string) ([]Output, error) {
	pre := p.Prematch(rec)
	return p.EventPre(rec, source, &pre)
}

// Pre is what Prematch found out about a record without touching the
// program's state: its event time and which filters not reading
// ReservedRoot matched it.
type Pre struct {
	Time    time.Time
	TimeErr error
	matched []uint64 // bit i: p.filters[i] matched; nil when none did
}

// Prematch evaluates the record's event time and every pattern that needs
// no enrichment. It only reads the compiled patterns, so it is safe for
// concurrent use with itself and with EventPre: callers run it on their
// decoding workers and keep the serial part small.
func (p *Program) Prematch(rec *cloudtrail.Record) Pre {
	var pre Pre
	t, err := rec.EventTime()
	if err != nil {
		pre.TimeErr = err
		return pre
	}
	pre.Time = t.UTC()
	ev := filterpattern.Event{Message: rec.Raw, JSON: rec.JSON}
	test := func(i int) {
		if p.filters[i].pattern.Match(&ev) {
			if pre.matched == nil {
				pre.matched = make([]uint64, (len(p.filters)+63)/64)
			}
			pre.matched[i/64] |= 1 << (i % 64)
		}
	}
	for _, i := range p.unindexed {
		test(i)
	}
	if name := rec.JSON.Get("eventName"); name != nil && name.Type() == fastjson.TypeString {
		b, _ := name.StringBytes()
		for _, i := range p.byName[string(b)] {
			test(i)
		}
		return pre
	}
	// eventName missing or not a string: the index says nothing.
	for i, f := range p.filters {
		if !f.readsExtra && p.byName != nil && !slices.Contains(p.unindexed, i) {
			test(i)
		}
	}
	return pre
}

// NeedsJSON reports whether EventPre needs the record's parsed JSON: only
// when a filter matched or a pattern reads ReservedRoot. Otherwise the
// record only advances time, and callers may pass a Record without JSON.
func (p *Program) NeedsJSON(pre *Pre) bool {
	return pre.matched != nil || (p.needsExtra && p.opts.Extra != nil)
}

// EventPre is Event for a record Prematch has seen.
func (p *Program) EventPre(rec *cloudtrail.Record, source string, pre *Pre) ([]Output, error) {
	if pre.TimeErr != nil {
		return nil, fmt.Errorf("read %s: record %d: %w", source, rec.Index, pre.TimeErr)
	}
	t := pre.Time
	if (!p.opts.From.IsZero() && t.Before(p.opts.From)) || (!p.opts.To.IsZero() && !t.Before(p.opts.To)) {
		return nil, ErrOutOfRange
	}
	if p.eng == nil {
		// The alarms exist from --from, or from the lateness before the
		// first event: records that far out of order are not late.
		start := p.opts.From
		if start.IsZero() {
			start = t.Add(-p.opts.Lateness).Truncate(time.Minute)
		}
		p.start(start)
	}
	p.Events++
	late := t.Before(p.released)
	if late {
		p.Late++
	}
	if t.After(p.newest) {
		p.newest = t
	}
	if len(p.alarms) > 0 {
		p.eng.Observe(t) // only default values need it
	}
	if !p.NeedsJSON(pre) {
		return p.flush(p.newest.Add(-p.opts.Lateness)), nil
	}
	ev := filterpattern.Event{Message: rec.Raw, JSON: rec.JSON}
	if p.needsExtra && p.opts.Extra != nil {
		ev.Extra = p.opts.Extra(rec)
	}
	var actor any
	var matched []*Match
	var msg string
	for i, f := range p.filters {
		if f.readsExtra {
			if !f.pattern.Match(&ev) {
				continue
			}
		} else if pre.matched == nil || pre.matched[i/64]&(1<<(i%64)) == 0 {
			continue
		}
		f.count++
		m := &Match{Filter: f.name, Subscription: f.subscription, EventTime: t, Late: late, Source: source, Record: rec.Index}
		if actor == nil {
			actor = p.opts.Actor(rec)
		}
		m.Actor = actor
		if !f.subscription {
			v := f.literal
			if f.ref != "" {
				v = math.NaN()
				if s, ok := f.pattern.Value(&ev, f.ref); ok {
					if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsInf(x, 0) {
						v = x
					}
				}
			}
			if !math.IsNaN(v) {
				m.Value = &v
			}
			if len(f.dims) > 0 {
				dims := make(map[string]string, len(f.dims))
				for _, d := range f.dims {
					x, ok := f.pattern.Value(&ev, d.ref)
					if !ok {
						dims = nil
						break
					}
					dims[d.name] = x
				}
				m.Dimensions = dims
			}
			for _, fr := range f.feeds {
				if dimsMatch(f, &ev, fr.dims) {
					p.eng.Publish(fr.feed, t, v)
					p.alarms[fr.alarm].remember(t, actor)
				}
			}
		} else if msg == "" {
			msg = string(rec.Raw)
		}
		matched = append(matched, m)
	}
	var now []Output
	if len(matched) > 0 {
		id, name := rec.EventID(), rec.EventName()
		for _, m := range matched {
			m.EventID, m.EventName = id, name
			p.seq++
			pm := pendingMatch{m: m, seq: p.seq, msg: msg}
			if p.opts.Immediate {
				now = append(now, Output{Kind: KindMatch, Match: m})
				if m.Subscription {
					now = append(now, p.subscriptionOutputs(pm)...)
				}
				continue
			}
			heap.Push(&p.pending, pm)
		}
	}
	return append(now, p.flush(p.newest.Add(-p.opts.Lateness))...), nil
}

// remember notes who caused a datapoint of the alarm.
func (ar *alarmRef) remember(t time.Time, actor any) {
	d, ok := actor.(Describer)
	if !ok {
		return
	}
	if len(ar.recent) == maxRecentActors {
		copy(ar.recent, ar.recent[1:])
		ar.recent = ar.recent[:maxRecentActors-1]
	}
	ar.recent = append(ar.recent, actorAt{t, d.Who()})
}

// actorsBefore lists, once each in order of first appearance, who fed the
// alarm in the span its evaluation at t looked at.
func (ar *alarmRef) actorsBefore(t time.Time) []string {
	span := time.Duration(ar.def.Period*ar.def.EvaluationPeriods) * time.Second
	var out []string
	seen := map[string]bool{}
	for _, a := range ar.recent {
		if a.t.Before(t.Add(-span)) || !a.t.Before(t) || seen[a.who] {
			continue
		}
		seen[a.who] = true
		out = append(out, a.who)
	}
	return out
}

func dimsMatch(f *filter, ev *filterpattern.Event, want map[string]string) bool {
	for _, d := range f.dims {
		v, ok := f.pattern.Value(ev, d.ref)
		if !ok || v != want[d.name] {
			return false
		}
	}
	return true
}

// Finish releases everything still pending and evaluates the alarms up to
// end: To if set, else until every datapoint has left every alarm's
// evaluation range (docs/alarms.md).
func (p *Program) Finish() []Output {
	if p.eng == nil {
		if p.opts.From.IsZero() {
			return nil
		}
		p.start(p.opts.From)
	}
	end := p.opts.To
	if end.IsZero() {
		var settle time.Duration
		for _, ar := range p.alarms {
			cfg, _ := rules.AlarmConfig(ar.def)
			if d := time.Duration(cfg.Range())*cfg.Period + cfg.Cadence(); d > settle {
				settle = d
			}
		}
		end = p.newest.Truncate(time.Minute).Add(time.Minute + settle)
		if end.Before(p.released) {
			end = p.released
		}
	}
	return p.flush(end)
}

// Advance releases the matches before w and evaluates the alarms up to w,
// as if no more records older than w will come: watch calls it with the
// wall clock minus the allowance for CloudTrail's delivery delay, so alarms
// are evaluated every minute even when no records arrive. The alarms exist
// from From, or from the first Advance or record. Records older than w
// that arrive later are late.
func (p *Program) Advance(w time.Time) []Output {
	if p.eng == nil {
		start := p.opts.From
		if start.IsZero() || start.After(w) {
			start = w.Truncate(time.Minute)
		}
		p.start(start)
	}
	if !w.After(p.released) {
		return nil
	}
	return p.flush(w)
}

// Warmup is how much event history the alarms need to be in the state they
// would be in had they been running all along: the longest evaluation range
// plus one evaluation cadence. watch replays that much after a restart.
func (p *Program) Warmup() time.Duration {
	var d time.Duration
	for _, ar := range p.alarms {
		cfg, _ := rules.AlarmConfig(ar.def)
		if x := time.Duration(cfg.Range())*cfg.Period + cfg.Cadence(); x > d {
			d = x
		}
	}
	return d
}

// flush releases matches before w and the transitions of evaluations at
// or before w, merged in time order.
func (p *Program) flush(w time.Time) []Output {
	if p.eng == nil {
		return nil
	}
	var out []Output
	trs := p.eng.Advance(w)
	ti := 0
	emitTransitionsUpTo := func(t time.Time, inclusive bool) {
		for ti < len(trs) && (trs[ti].Time.Before(t) || (inclusive && trs[ti].Time.Equal(t))) {
			out = append(out, p.transitionOutputs(trs[ti])...)
			ti++
		}
	}
	for p.pending.Len() > 0 {
		pm := p.pending[0]
		if !pm.m.EventTime.Before(w) && !pm.m.Late {
			break
		}
		heap.Pop(&p.pending)
		// A transition at T evaluated data before T: it comes before the
		// events at T and after.
		emitTransitionsUpTo(pm.m.EventTime, true)
		out = append(out, Output{Kind: KindMatch, Match: pm.m})
		if pm.m.Subscription {
			out = append(out, p.subscriptionOutputs(pm)...)
		}
	}
	emitTransitionsUpTo(w, true)
	if w.After(p.released) {
		p.released = w
	}
	return out
}

type pendingMatch struct {
	m   *Match
	seq int
	msg string
}

type matchHeap []pendingMatch

func (h matchHeap) Len() int { return len(h) }
func (h matchHeap) Less(i, j int) bool {
	// Late matches first: they are released at once.
	if h[i].m.Late != h[j].m.Late {
		return h[i].m.Late
	}
	if c := h[i].m.EventTime.Compare(h[j].m.EventTime); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h matchHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *matchHeap) Push(x any)   { *h = append(*h, x.(pendingMatch)) }
func (h *matchHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Counts returns how many events each filter matched, by name.
func (p *Program) Counts() map[string]int {
	out := map[string]int{}
	for _, f := range p.filters {
		out[f.name] = f.count
	}
	return out
}

// AlarmTransitions returns how many state changes each alarm made.
func (p *Program) AlarmTransitions() map[string]int {
	out := map[string]int{}
	for _, ar := range p.alarms {
		n := 0
		if p.eng != nil {
			n = p.eng.Transitions(ar.idx)
		}
		out[ar.def.AlarmName] = n
	}
	return out
}

// AlarmStates returns each alarm's current state, by name.
func (p *Program) AlarmStates() map[string]alarm.State {
	out := map[string]alarm.State{}
	for _, ar := range p.alarms {
		st := alarm.InsufficientData
		if p.eng != nil {
			st, _ = p.eng.State(ar.idx)
		}
		out[ar.def.AlarmName] = st
	}
	return out
}
