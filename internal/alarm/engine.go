package alarm

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Transition is an alarm state change.
type Transition struct {
	Alarm int    // index of the alarm in the Engine, in AddAlarm order
	Name  string // the alarm's name
	// Time is when the evaluation that changed the state ran: the end of
	// the most recent period it evaluated.
	Time      time.Time
	From, To  State
	Reason    string
	Evaluated []Datapoint // the real datapoints behind the decision, oldest first
}

// Engine holds the metric data of a set of alarms and evaluates them as
// event time advances. It is not safe for concurrent use.
//
// Data is kept per minute, the resolution of metric-filter metrics. Each
// alarm is fed by one or more feeds (one per metric transformation that
// publishes to the metric it watches); a feed with a default value publishes
// it for every minute in which events were observed but none matched.
type Engine struct {
	start  int64   // unix seconds: alarms exist from here on
	seen   []int64 // minutes (unix seconds) in which events were observed, sorted
	feeds  []*feed
	alarms []*machine
	// cutoff: data in minutes before it can no longer affect any
	// evaluation and is dropped.
	cutoff int64
}

type feed struct {
	alarm   int
	hasDef  bool
	def     float64
	buckets []bucket // sorted by minute
}

type bucket struct {
	minute   int64
	count    int
	sum      float64
	min, max float64
	matched  bool // an event matched in this minute (even without a numeric value)
}

type machine struct {
	cfg         Config
	state       State
	reason      string
	next        int64 // unix seconds of the next evaluation
	cadence     int64
	period      int64
	feeds       []int
	transitions int
}

// NewEngine returns an engine whose alarms are created at start: their
// first evaluation is at the first evaluation time after it, in state
// INSUFFICIENT_DATA.
func NewEngine(start time.Time) *Engine {
	s := start.Unix()
	return &Engine{start: s, cutoff: math.MinInt64}
}

// AddAlarm adds an alarm and returns its index.
func (e *Engine) AddAlarm(c Config) (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	cad := int64(c.Cadence() / time.Second)
	m := &machine{
		cfg:     c,
		state:   InsufficientData,
		reason:  "Unchecked: Initial alarm creation",
		cadence: cad,
		period:  int64(c.Period / time.Second),
		next:    floorDiv(e.start, cad)*cad + cad,
	}
	e.alarms = append(e.alarms, m)
	e.updateCutoff()
	return len(e.alarms) - 1, nil
}

// AddFeed adds a source of datapoints for alarm a. def, when not nil, is the
// metric transformation's default value.
func (e *Engine) AddFeed(a int, def *float64) (int, error) {
	if a < 0 || a >= len(e.alarms) {
		return 0, fmt.Errorf("add feed: no alarm %d", a)
	}
	f := &feed{alarm: a}
	if def != nil {
		f.hasDef, f.def = true, *def
	}
	e.feeds = append(e.feeds, f)
	e.alarms[a].feeds = append(e.alarms[a].feeds, len(e.feeds)-1)
	return len(e.feeds) - 1, nil
}

// State returns alarm a's current state and the reason for it.
func (e *Engine) State(a int) (State, string) {
	m := e.alarms[a]
	return m.state, m.reason
}

// Transitions returns how many state changes alarm a has made.
func (e *Engine) Transitions(a int) int { return e.alarms[a].transitions }

// Observe records that an event with time t was ingested. It returns false
// when t is too old to affect any future evaluation (the event is late).
func (e *Engine) Observe(t time.Time) bool {
	mn := minuteOf(t)
	if mn < e.cutoff {
		return false
	}
	i, found := slices.BinarySearch(e.seen, mn)
	if !found {
		e.seen = slices.Insert(e.seen, i, mn)
	}
	return true
}

// Publish records value v, published by feed f for an event at time t. A NaN
// v records a match that published no value (its metric value was not a
// number), which still keeps the default value from being published for
// that minute. It returns false when t is too old to affect any future
// evaluation.
func (e *Engine) Publish(f int, t time.Time, v float64) bool {
	mn := minuteOf(t)
	if mn < e.cutoff {
		return false
	}
	fd := e.feeds[f]
	i := sort.Search(len(fd.buckets), func(i int) bool { return fd.buckets[i].minute >= mn })
	if i == len(fd.buckets) || fd.buckets[i].minute != mn {
		fd.buckets = slices.Insert(fd.buckets, i, bucket{minute: mn})
	}
	b := &fd.buckets[i]
	b.matched = true
	if math.IsNaN(v) {
		return true
	}
	if b.count == 0 {
		b.min, b.max = v, v
	} else {
		b.min = math.Min(b.min, v)
		b.max = math.Max(b.max, v)
	}
	b.count++
	b.sum += v
	return true
}

// Advance runs every evaluation due at or before to and returns the state
// changes, ordered by time and then by alarm index.
func (e *Engine) Advance(to time.Time) []Transition {
	lim := to.Unix()
	var out []Transition
	for ai, m := range e.alarms {
		for m.next <= lim {
			t := m.next
			window, empty := e.window(m, t)
			res := Evaluate(m.cfg, m.state, window)
			if !res.Retained && res.State != m.state {
				out = append(out, Transition{
					Alarm: ai, Name: m.cfg.Name, Time: time.Unix(t, 0).UTC(),
					From: m.state, To: res.State, Reason: res.Reason, Evaluated: res.Evaluated,
				})
				m.state, m.reason = res.State, res.Reason
				m.transitions++
			}
			if !empty {
				m.next += m.cadence
				continue
			}
			// Nothing in range: every evaluation until data enters the
			// range gives the same result, so skip to when it does, but
			// never beyond the first evaluation after to (data that has
			// not arrived yet may still land before it).
			next := e.nextData(m, t)
			jump := floorDiv(lim, m.cadence)*m.cadence + m.cadence
			if next != math.MaxInt64 {
				if j := ceilDiv(next+60, m.cadence) * m.cadence; j < jump {
					jump = j
				}
			}
			if jump <= t {
				jump = t + m.cadence
			}
			m.next = jump
		}
	}
	slices.SortStableFunc(out, func(a, b Transition) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return a.Alarm - b.Alarm
	})
	e.updateCutoff()
	e.prune()
	return out
}

// window aggregates alarm m's evaluation range ending at t (unix seconds),
// oldest period first. empty reports that no period has data.
func (e *Engine) window(m *machine, t int64) ([]Datapoint, bool) {
	r := m.cfg.Range()
	out := make([]Datapoint, r)
	empty := true
	for i := range r {
		end := t - int64(r-1-i)*m.period
		start := end - m.period
		d := e.aggregate(m, start, end)
		out[i] = d
		if d.Present {
			empty = false
		}
	}
	return out, empty
}

// aggregate computes the datapoint for [start, end).
func (e *Engine) aggregate(m *machine, start, end int64) Datapoint {
	var count int
	var sum, lo, hi float64
	add := func(n int, s, mn, mx float64) {
		if n == 0 {
			return
		}
		if count == 0 {
			lo, hi = mn, mx
		} else {
			lo = math.Min(lo, mn)
			hi = math.Max(hi, mx)
		}
		count += n
		sum += s
	}
	for _, fi := range m.feeds {
		fd := e.feeds[fi]
		i := sort.Search(len(fd.buckets), func(i int) bool { return fd.buckets[i].minute >= start })
		j := i
		for ; j < len(fd.buckets) && fd.buckets[j].minute < end; j++ {
			b := fd.buckets[j]
			add(b.count, b.sum, b.min, b.max)
		}
		if !fd.hasDef {
			continue
		}
		// The default value is published once for every minute with
		// events but no match.
		bk := fd.buckets[i:j]
		s := sort.Search(len(e.seen), func(i int) bool { return e.seen[i] >= start })
		for ; s < len(e.seen) && e.seen[s] < end; s++ {
			mn := e.seen[s]
			for len(bk) > 0 && bk[0].minute < mn {
				bk = bk[1:]
			}
			if len(bk) > 0 && bk[0].minute == mn && bk[0].matched {
				continue
			}
			add(1, fd.def, fd.def, fd.def)
		}
	}
	d := Datapoint{Start: time.Unix(start, 0).UTC()}
	if count == 0 {
		return d
	}
	d.Present = true
	switch m.cfg.Statistic {
	case SampleCount:
		d.Value = float64(count)
	case Sum:
		d.Value = sum
	case Average:
		d.Value = sum / float64(count)
	case Minimum:
		d.Value = lo
	case Maximum:
		d.Value = hi
	}
	return d
}

// nextData returns the first minute at or after t in which alarm m has
// data, or MaxInt64.
func (e *Engine) nextData(m *machine, t int64) int64 {
	next := int64(math.MaxInt64)
	for _, fi := range m.feeds {
		fd := e.feeds[fi]
		i := sort.Search(len(fd.buckets), func(i int) bool { return fd.buckets[i].minute >= t })
		for ; i < len(fd.buckets); i++ {
			if fd.buckets[i].count > 0 {
				next = min(next, fd.buckets[i].minute)
				break
			}
		}
		if fd.hasDef {
			if s := sort.Search(len(e.seen), func(i int) bool { return e.seen[i] >= t }); s < len(e.seen) {
				next = min(next, e.seen[s])
			}
		}
	}
	return next
}

func (e *Engine) updateCutoff() {
	c := int64(math.MaxInt64)
	for _, m := range e.alarms {
		c = min(c, m.next-int64(m.cfg.Range())*m.period)
	}
	if c == math.MaxInt64 {
		c = math.MinInt64
	}
	e.cutoff = c
}

// prune drops data that no future evaluation can see.
func (e *Engine) prune() {
	if e.cutoff == math.MinInt64 {
		return
	}
	i := sort.Search(len(e.seen), func(i int) bool { return e.seen[i] >= e.cutoff })
	e.seen = compact(e.seen, i)
	for _, fd := range e.feeds {
		j := sort.Search(len(fd.buckets), func(i int) bool { return fd.buckets[i].minute >= e.cutoff })
		fd.buckets = compact(fd.buckets, j)
	}
}

// compact drops s[:i], copying when that frees a large prefix so the
// backing array does not grow without bound.
func compact[T any](s []T, i int) []T {
	if i == 0 {
		return s
	}
	if i > len(s)/2 {
		return append(s[:0:0], s[i:]...)
	}
	return s[i:]
}

func minuteOf(t time.Time) int64 { return floorDiv(t.Unix(), 60) * 60 }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
