package cli

import (
	"bufio"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarm"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
)

// scanReport aggregates a scan's outputs into the report `--format text`
// prints: alarms and what caused them, filters with their top actors, the
// notifications that would be sent, and the noise per rule per day.
// Memory is bounded by the number of rules, days and distinct actors kept
// (maxReportActors per filter), not by the number of events.
type scanReport struct {
	filters map[string]*filterReport
	alarms  map[string]*alarmReport
	targets map[string]*targetReport
	// noise counts per rule (filter or alarm name) per UTC day.
	noise map[string]map[string]*dayNoise
	days  map[string]bool
}

type filterReport struct {
	subscription bool
	matches      int
	first, last  time.Time
	actors       map[string]int
	otherActors  int // matches by actors beyond maxReportActors
	examples     []string
}

type alarmReport struct {
	alarms      int // transitions to ALARM
	transitions []reportTransition
	dropped     int
}

type reportTransition struct {
	time     time.Time
	from, to alarm.State
	reason   string
	actors   []string
}

type targetReport struct {
	count int
	dests string
}

// dayNoise is what one rule did on one day.
type dayNoise struct {
	Matches       int `json:"matches,omitempty"`
	Alarms        int `json:"alarms,omitempty"` // transitions to ALARM
	Notifications int `json:"notifications,omitempty"`
}

const (
	maxReportActors      = 1000 // distinct actors counted per filter
	maxReportTransitions = 20   // transitions listed per alarm
	reportTopActors      = 5
	reportExamples       = 3
)

func newScanReport() *scanReport {
	return &scanReport{filters: map[string]*filterReport{}, alarms: map[string]*alarmReport{},
		targets: map[string]*targetReport{}, noise: map[string]map[string]*dayNoise{}, days: map[string]bool{}}
}

func (r *scanReport) day(rule string, t time.Time) *dayNoise {
	d := t.UTC().Format(time.DateOnly)
	r.days[d] = true
	m := r.noise[rule]
	if m == nil {
		m = map[string]*dayNoise{}
		r.noise[rule] = m
	}
	n := m[d]
	if n == nil {
		n = &dayNoise{}
		m[d] = n
	}
	return n
}

func (r *scanReport) add(o engine.Output) {
	switch o.Kind {
	case engine.KindMatch:
		m := o.Match
		f := r.filters[m.Filter]
		if f == nil {
			f = &filterReport{subscription: m.Subscription, actors: map[string]int{}}
			r.filters[m.Filter] = f
		}
		f.matches++
		if f.first.IsZero() || m.EventTime.Before(f.first) {
			f.first = m.EventTime
		}
		if m.EventTime.After(f.last) {
			f.last = m.EventTime
		}
		who := actorText(m.Actor)
		if _, ok := f.actors[who]; ok || len(f.actors) < maxReportActors {
			f.actors[who]++
		} else {
			f.otherActors++
		}
		if len(f.examples) < reportExamples {
			f.examples = append(f.examples, m.EventName+" "+m.EventID)
		}
		r.day(m.Filter, m.EventTime).Matches++
	case engine.KindTransition:
		tr := o.Transition
		a := r.alarms[tr.Alarm.AlarmName]
		if a == nil {
			a = &alarmReport{}
			r.alarms[tr.Alarm.AlarmName] = a
		}
		if tr.To == alarm.Alarm {
			a.alarms++
			r.day(tr.Alarm.AlarmName, tr.Time).Alarms++
		}
		if len(a.transitions) < maxReportTransitions {
			a.transitions = append(a.transitions, reportTransition{time: tr.Time, from: tr.From, to: tr.To, reason: tr.Reason})
		} else {
			a.dropped++
		}
	case engine.KindNotification:
		n := o.Notification
		rule := n.Alarm
		if rule == "" {
			rule = n.Filter
		}
		r.day(rule, n.Time).Notifications++
		// Who caused an ALARM is known when its notification is made;
		// attach it to the transition it belongs to.
		if a := r.alarms[n.Alarm]; a != nil && len(n.Actors) > 0 && len(a.transitions) > 0 {
			if last := &a.transitions[len(a.transitions)-1]; last.time.Equal(n.Time) && last.actors == nil {
				last.actors = n.Actors
			}
		}
		t := r.targets[n.ARN]
		if t == nil {
			var to []string
			for _, d := range deliveries(n) {
				to = append(to, d.Protocol+":"+d.Endpoint)
			}
			dests := "no subscriptions known"
			if len(to) > 0 {
				dests = strings.Join(to, ", ")
			}
			t = &targetReport{dests: dests}
			r.targets[n.ARN] = t
		}
		t.count++
	}
}

// noiseJSON is the per-rule per-day noise for the JSON summary.
func (r *scanReport) noiseJSON() map[string]map[string]dayNoise {
	out := map[string]map[string]dayNoise{}
	for rule, days := range r.noise {
		m := map[string]dayNoise{}
		for d, n := range days {
			m[d] = *n
		}
		out[rule] = m
	}
	return out
}

// reportTotals is what the report's header and footer say about the run.
type reportTotals struct {
	events, errs, late, skipped, notifications int
	deliver                                    bool
	sent, failed                               int
	states                                     map[string]alarm.State
	counts                                     map[string]int
}

func (r *scanReport) print(w *bufio.Writer, t reportTotals) {
	fmt.Fprintf(w, "Scanned %d events", t.events)
	if len(r.days) > 0 {
		days := slices.Sorted(maps.Keys(r.days))
		fmt.Fprintf(w, " (activity from %s to %s)", days[0], days[len(days)-1])
	}
	fmt.Fprintf(w, "; %d input errors, %d late, %d outside --from/--to.\n", t.errs, t.late, t.skipped)

	// Alarms: the ones that fired first, with what caused them.
	names := slices.Sorted(maps.Keys(t.states))
	var fired, quiet []string
	for _, n := range names {
		if a := r.alarms[n]; a != nil && a.alarms > 0 {
			fired = append(fired, n)
		} else {
			quiet = append(quiet, n)
		}
	}
	slices.SortStableFunc(fired, func(a, b string) int { return cmp.Compare(r.alarms[b].alarms, r.alarms[a].alarms) })
	fmt.Fprintf(w, "\nALARMS: %d of %d went to ALARM\n", len(fired), len(names))
	for _, n := range fired {
		a := r.alarms[n]
		fmt.Fprintf(w, "  %s: ALARM %d time(s), now %s\n", n, a.alarms, t.states[n])
		for _, tr := range a.transitions {
			fmt.Fprintf(w, "    %s  %s -> %s  %s\n", tr.time.UTC().Format(time.RFC3339), tr.from, tr.to, tr.reason)
			if len(tr.actors) > 0 {
				fmt.Fprintf(w, "      caused by %s\n", strings.Join(tr.actors, "; "))
			}
		}
		if a.dropped > 0 {
			fmt.Fprintf(w, "    … %d more transitions (--format json lists them all)\n", a.dropped)
		}
	}
	if len(quiet) > 0 {
		fmt.Fprintf(w, "  never in ALARM: %s\n", strings.Join(quiet, ", "))
	}

	// Filters, busiest first, with who triggered them.
	fnames := slices.Sorted(maps.Keys(t.counts))
	var hit, silent []string
	for _, n := range fnames {
		if r.filters[n] != nil {
			hit = append(hit, n)
		} else {
			silent = append(silent, n)
		}
	}
	slices.SortStableFunc(hit, func(a, b string) int { return cmp.Compare(r.filters[b].matches, r.filters[a].matches) })
	fmt.Fprintf(w, "\nFILTERS: %d of %d matched\n", len(hit), len(fnames))
	for _, n := range hit {
		f := r.filters[n]
		kind := "metric filter"
		if f.subscription {
			kind = "subscription filter"
		}
		fmt.Fprintf(w, "  %s (%s): %d match(es), %s to %s\n", n, kind, f.matches, f.first.UTC().Format(time.RFC3339), f.last.UTC().Format(time.RFC3339))
		who := slices.Collect(maps.Keys(f.actors))
		slices.SortFunc(who, func(a, b string) int {
			if c := cmp.Compare(f.actors[b], f.actors[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for i, a := range who {
			if i == reportTopActors {
				fmt.Fprintf(w, "    … %d more actor(s)\n", len(who)-i)
				break
			}
			fmt.Fprintf(w, "    %6d  by %s\n", f.actors[a], a)
		}
		if f.otherActors > 0 {
			fmt.Fprintf(w, "    %6d  by actors not counted separately\n", f.otherActors)
		}
		fmt.Fprintf(w, "    e.g. %s\n", strings.Join(f.examples, ", "))
	}
	if len(silent) > 0 {
		fmt.Fprintf(w, "  no matches: %s\n", strings.Join(silent, ", "))
	}

	// Notifications per target.
	verb := "would be sent (add --deliver to send them)"
	if t.deliver {
		verb = fmt.Sprintf("sent: %d delivered, %d failed", t.sent, t.failed)
	}
	fmt.Fprintf(w, "\nNOTIFICATIONS: %d %s\n", t.notifications, verb)
	for _, arn := range slices.Sorted(maps.Keys(r.targets)) {
		fmt.Fprintf(w, "  %6d  to %s -> %s\n", r.targets[arn].count, arn, r.targets[arn].dests)
	}

	r.printNoise(w)
}

// printNoise prints, per rule, ALARM transitions and notifications per day:
// what deploying the rule as is would cost someone's attention.
func (r *scanReport) printNoise(w *bufio.Writer) {
	var rules []string
	for rule, days := range r.noise {
		for _, n := range days {
			if n.Alarms > 0 || n.Notifications > 0 {
				rules = append(rules, rule)
				break
			}
		}
	}
	if len(rules) == 0 {
		return
	}
	slices.Sort(rules)
	days := slices.Sorted(maps.Keys(r.days))
	fmt.Fprintf(w, "\nNOISE: ALARM transitions / notifications per rule per day (UTC)\n")
	width := 0
	for _, rule := range rules {
		width = max(width, len(rule))
	}
	if len(days) <= 7 {
		fmt.Fprintf(w, "  %-*s", width, "rule")
		for _, d := range days {
			fmt.Fprintf(w, "  %10s", d)
		}
		w.WriteString("\n")
		for _, rule := range rules {
			fmt.Fprintf(w, "  %-*s", width, rule)
			for _, d := range days {
				n := r.noise[rule][d]
				cell := "-"
				if n != nil && (n.Alarms > 0 || n.Notifications > 0) {
					cell = fmt.Sprintf("%d/%d", n.Alarms, n.Notifications)
				}
				fmt.Fprintf(w, "  %10s", cell)
			}
			w.WriteString("\n")
		}
		return
	}
	// Too many days for columns: totals, active days and the worst day.
	for _, rule := range rules {
		alarms, notes, active := 0, 0, 0
		worst, worstN := "", -1
		for d, n := range r.noise[rule] {
			alarms += n.Alarms
			notes += n.Notifications
			if n.Alarms > 0 || n.Notifications > 0 {
				active++
			}
			if v := n.Alarms + n.Notifications; v > worstN || (v == worstN && d < worst) {
				worst, worstN = d, v
			}
		}
		wn := r.noise[rule][worst]
		fmt.Fprintf(w, "  %-*s  %d/%d over %d of %d days; worst %s: %d/%d\n", width, rule, alarms, notes, active, len(days), worst, wn.Alarms, wn.Notifications)
	}
}
