package identity

import (
	"container/heap"
	"time"
)

// Window resolves a stream of events whose order is not their event-time
// order, in one pass with bounded memory.
//
// CloudTrail files are not globally ordered: a delivery file holds about
// five minutes of one region of one account, files of other regions and
// accounts interleave arbitrarily, and records inside a file are in no
// promised order. So an event may arrive before the AssumeRole that issued
// the key it used. The window handles that:
//
//   - every event's issued credentials are recorded the moment it arrives;
//   - the event itself is held in a heap ordered by event time;
//   - it is resolved and released once an event more than Config.Window
//     newer has arrived (so anything that issued its key has had that long,
//     in event time, to arrive), or when Config.WindowEvents are held (the
//     oldest goes first), or at Flush.
//
// Released events come out in event-time order, except events that arrive
// after newer ones were already released (counted in Stats.Late), which are
// released at once.
type Window struct {
	r        *Resolver
	held     heldHeap
	seq      uint64
	newest   time.Time
	released time.Time
}

type heldEvent struct {
	ev  Event
	key time.Time // event time, or the newest seen when it has none
	seq uint64    // arrival order breaks ties
}

// NewWindow returns a Window resolving with r and bounded by r's Config.
// A Resolver serves one Window.
func NewWindow(r *Resolver) *Window {
	r.windowed = true
	return &Window{r: r}
}

// Resolver returns the Resolver the window resolves with.
func (w *Window) Resolver() *Resolver { return w.r }

// Len returns the number of events held.
func (w *Window) Len() int { return len(w.held) }

// Push takes ev, records the credentials it issues, and calls emit for each
// event the window releases, with its Actor.
func (w *Window) Push(ev Event, emit func(*Event, Actor)) {
	w.r.Observe(&ev)
	key := ev.Time
	if key.IsZero() {
		key = w.newest
	}
	if key.Before(w.released) {
		w.r.stats.Late++
	}
	if ev.Time.After(w.newest) {
		w.newest = ev.Time
	}
	w.seq++
	heap.Push(&w.held, &heldEvent{ev: ev, key: key, seq: w.seq})
	horizon := w.newest.Add(-w.r.cfg.Window)
	for len(w.held) > 0 {
		over := len(w.held) > w.r.cfg.WindowEvents
		if !over && !w.held[0].key.Before(horizon) {
			break
		}
		if over {
			w.r.stats.Forced++
		}
		w.release(emit)
	}
	if len(w.held) > w.r.stats.MaxHeld {
		w.r.stats.MaxHeld = len(w.held)
	}
	// Only now forget expired credentials: the events just released may
	// have used them; the ones still held and still to come are newer.
	oldest := horizon
	if len(w.held) > 0 && w.held[0].key.Before(oldest) {
		oldest = w.held[0].key
	}
	w.r.prune(oldest)
}

// Flush resolves and releases every held event, at the end of the input.
func (w *Window) Flush(emit func(*Event, Actor)) {
	for len(w.held) > 0 {
		w.release(emit)
	}
}

func (w *Window) release(emit func(*Event, Actor)) {
	h := heap.Pop(&w.held).(*heldEvent)
	if h.key.After(w.released) {
		w.released = h.key
	}
	emit(&h.ev, w.r.Resolve(&h.ev))
}

// heldHeap orders held events by event time, then arrival.
type heldHeap []*heldEvent

func (h heldHeap) Len() int { return len(h) }
func (h heldHeap) Less(i, j int) bool {
	if !h[i].key.Equal(h[j].key) {
		return h[i].key.Before(h[j].key)
	}
	return h[i].seq < h[j].seq
}
func (h heldHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heldHeap) Push(x any)   { *h = append(*h, x.(*heldEvent)) }
func (h *heldHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
