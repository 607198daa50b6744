// Package watch runs the rules continuously over new CloudTrail log objects
// (polled from S3 or a local directory, or announced on an SQS queue) and
// makes sure every alert goes out once: objects are checkpointed only after
// their records were evaluated and their notifications delivered, every
// alarm change, notification and delivery is recorded under a dedupe key
// before the next, and after a restart the alarms are warmed up again by
// replaying recent objects with what was already sent suppressed.
package watch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarm"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

// Config tunes a Watcher.
type Config struct {
	// StatePath is the state file.
	StatePath string
	// Allowance is how long after an event's time its record may still
	// arrive: alarms are evaluated for the wall clock minus Allowance
	// (CloudTrail delivers within about 5 minutes on average).
	Allowance time.Duration
	// Interval is the polling period.
	Interval time.Duration
	// Lookback is how long before the newest processed object an object
	// may still land and be picked up (S3 keys carry the delivery minute).
	Lookback time.Duration
	// DedupeWindow is how long what was reported is remembered.
	DedupeWindow time.Duration
	// Start is where a prefix without a checkpoint starts: objects
	// delivered at or after Start.
	Start time.Time
	// Accounts and Regions, when not empty, limit the prefixes polled.
	Accounts, Regions []string
	// Once stops after one poll (and its alarm evaluation).
	Once bool
	// Now is the wall clock; nil is time.Now.
	Now func() time.Time
}

// Sink receives every output as it is reported: matches, alarm changes and
// notifications (the CLI prints them).
type Sink func(o engine.Output)

// Watcher evaluates new objects as they come.
type Watcher struct {
	cfg     Config
	eval    *pipeline.Evaluator
	state   *State
	out     Sink
	router  notify.Router // nil: notifications are reported, not delivered
	retry   notify.Retry
	log     *slog.Logger
	metrics *Metrics

	// replayed is set while the objects being evaluated were processed
	// before (warm-up after a restart): their matches are not reported
	// again.
	replaying bool
	// failed is set when a delivery failed while an object was evaluated:
	// the object is not checkpointed and will be evaluated again.
	failed  bool
	started bool      // the first poll (with its replay) is done
	events  int       // events counted into metrics so far
	saved   time.Time // when the state was last written
}

// New loads the state and returns a Watcher. router may be nil (report
// only).
func New(cfg Config, eval *pipeline.Evaluator, out Sink, router notify.Router, retry notify.Retry, log *slog.Logger, m *Metrics) (*Watcher, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if m == nil {
		m = NewMetrics()
	}
	st, err := LoadState(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	return &Watcher{cfg: cfg, eval: eval, state: st, out: out, router: router, retry: retry, log: log, metrics: m}, nil
}

// Metrics returns the watcher's metrics.
func (w *Watcher) Metrics() *Metrics { return w.metrics }

// output handles one output: matches are reported unless replayed; alarm
// changes and notifications once per dedupe key; deliveries once per
// subscription, each recorded in the state file before the next.
func (w *Watcher) output(ctx context.Context, o engine.Output) {
	now := w.cfg.Now()
	switch o.Kind {
	case engine.KindMatch:
		if w.replaying {
			return
		}
		w.metrics.Matches.WithLabelValues(o.Match.Filter).Inc()
		w.out(o)
	case engine.KindTransition:
		tr := o.Transition
		key := "alarm|" + tr.Alarm.AlarmName + "|" + tr.To.String() + "|" + tr.Time.UTC().Format(time.RFC3339)
		for _, s := range []alarm.State{alarm.OK, alarm.Alarm, alarm.InsufficientData} {
			w.metrics.AlarmState.WithLabelValues(tr.Alarm.AlarmName, s.String()).Set(boolFloat(s == tr.To))
		}
		if w.state.seen(key) {
			w.metrics.Duplicates.Inc()
			return
		}
		w.state.mark(key, now)
		w.out(o)
	case engine.KindNotification:
		n := o.Notification
		key := notificationKey(n)
		if !w.state.seen(key) {
			w.state.mark(key, now)
			w.metrics.Notifications.Inc()
			w.out(o)
		} else if w.router == nil {
			w.metrics.Duplicates.Inc()
		}
		if w.router == nil {
			return
		}
		for _, m := range pipeline.Messages(n) {
			dk := key + "|" + m.Protocol + ":" + m.Endpoint
			if w.state.seen(dk) {
				w.metrics.Duplicates.Inc()
				continue
			}
			r := notify.Deliver(ctx, w.router, w.retry, m)
			if r.Err != nil {
				w.failed = true
				w.metrics.DeliveryFails.Inc()
				w.log.Error("delivery failed; the object will be evaluated again", "err", r.Err, "attempts", r.Attempts)
				continue
			}
			w.metrics.Delivered.Inc()
			w.state.mark(dk, w.cfg.Now())
			// Recorded at once: a crash now must not send it again.
			w.save()
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// notificationKey identifies a notification across runs: the same alarm
// change or the same event matched by the same filter, to the same target.
func notificationKey(n *engine.Notification) string {
	if n.Alarm != "" {
		return "notify|" + n.ARN + "|alarm|" + n.Alarm + "|" + n.State + "|" + n.Time.UTC().Format(time.RFC3339)
	}
	return "notify|" + n.ARN + "|filter|" + n.Filter + "|" + n.EventID
}

// saveEvery bounds how long processed objects stay unrecorded.
const saveEvery = 2 * time.Second

// save writes the state.
func (w *Watcher) save() {
	w.saved = w.cfg.Now()
	if err := w.state.Save(w.cfg.StatePath); err != nil {
		w.log.Error("could not save the state; what was reported since may be reported again after a restart", "err", err)
	}
}

// item is one object to evaluate.
type item struct {
	url    string
	key    string
	t      time.Time // delivery time from the key; zero if unknown
	replay bool      // processed before: evaluated again only to warm up alarms
	open   func(ctx context.Context) ([]byte, error)
	// done is called once the object was evaluated: ok is false when it
	// could not be read or a delivery failed, and it must be tried again.
	done func(ok bool)

	unread bool // open failed
}

// evaluate runs the items, in order, through the evaluator, then advances
// the alarms to the wall clock.
func (w *Watcher) evaluate(ctx context.Context, items []*item) {
	// The same object named twice in a batch (two notifications) is
	// evaluated once; both are done when it is.
	byName := make(map[string]*item, len(items))
	uniq := items[:0:0]
	for _, it := range items {
		if first := byName[it.url]; first != nil {
			prev, next := first.done, it.done
			first.done = func(ok bool) {
				if prev != nil {
					prev(ok)
				}
				if next != nil {
					next(ok)
				}
			}
			continue
		}
		byName[it.url] = it
		uniq = append(uniq, it)
	}
	items = uniq
	inputs := make(chan source.Input)
	go func() {
		defer close(inputs)
		for _, it := range items {
			select {
			case inputs <- objectInput(ctx, it):
			case <-ctx.Done():
				return
			}
		}
	}()
	w.eval.Run(ctx, inputs, pipeline.Handlers{
		Error: func(in source.Input, err error) {
			if it := byName[in.Name]; it != nil && it.replay {
				w.log.Debug("read failed again while warming up", "err", err)
				return
			}
			w.metrics.ObjectErrors.Inc()
			w.log.Error("read failed", "err", err)
		},
		Notice: func(msg string) { w.log.Info(msg) },
		Outputs: func(in source.Input, outs []engine.Output) {
			it := byName[in.Name]
			w.replaying = it != nil && it.replay
			for _, o := range outs {
				w.output(ctx, o)
			}
			w.replaying = false
		},
		Finished: func(in source.Input) {
			it := byName[in.Name]
			if it == nil {
				return
			}
			// A corrupt object is reported and passed: reading it again
			// gives the same. One that could not be fetched, or whose
			// alerts could not all be delivered, is tried again.
			ok := ctx.Err() == nil && !w.failed && !it.unread
			w.failed = false
			if ok && !it.replay {
				w.metrics.Objects.Inc()
				if !it.t.IsZero() {
					w.metrics.Lag.Set(w.cfg.Now().Sub(it.t).Seconds())
				}
			}
			if it.done != nil {
				it.done(ok)
			}
			// Checkpoints are saved every few seconds within a long batch,
			// so a crash re-reads little.
			if now := w.cfg.Now(); now.Sub(w.saved) >= saveEvery {
				w.save()
			}
		},
	})
	w.metrics.Events.Add(float64(w.eval.Prog.Events - w.events))
	w.events = w.eval.Prog.Events
	w.advance(ctx)
}

// advance evaluates the alarms up to the wall clock minus the allowance
// and saves the state.
func (w *Watcher) advance(ctx context.Context) {
	if ctx.Err() == nil {
		for _, o := range w.eval.Prog.Advance(w.cfg.Now().Add(-w.cfg.Allowance)) {
			w.output(ctx, o)
		}
	}
	w.state.prune(w.cfg.Now(), w.cfg.DedupeWindow)
	w.save()
}

// objectInput makes an item an input for the evaluator. Objects are read
// whole before decoding, so that a network failure shows as an error to
// open (tried again later) rather than as a truncated log file.
func objectInput(ctx context.Context, it *item) source.Input {
	return source.ObjectInput(it.url, func() (io.ReadCloser, error) {
		b, err := it.open(ctx)
		if err != nil {
			it.unread = true
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

// sortItems orders items by delivery time, then key: records then arrive
// roughly in event-time order.
func sortItems(items []*item) {
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].t.Equal(items[j].t) {
			return items[i].t.Before(items[j].t)
		}
		return items[i].key < items[j].key
	})
}

// keyTime is the delivery time in a delivery-layout key.
func keyTime(key string) time.Time {
	if k, ok := cloudtrail.ParseKey(key); ok {
		return k.Time
	}
	return time.Time{}
}
