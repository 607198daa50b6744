package identity

import (
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
	r *Resolver
	// Held events live in slots, reused once released, so that holding
	// one allocates nothing; held is a heap of slot indices.
	slots    []heldEvent
	free     []int32
	held     []heldRef
	seq      uint64
	newest   time.Time
	released time.Time
}

type heldEvent struct {
	ev  Event
	key time.Time // event time, or the newest seen when it has none
}

// heldRef is a held event's place in the heap: its key, as seconds and
// nanoseconds (which order exactly as time.Time.Before), then arrival.
type heldRef struct {
	sec  int64
	nsec int32
	slot int32
	seq  uint64 // arrival order breaks ties
}

func (a heldRef) less(b heldRef) bool {
	if a.sec != b.sec {
		return a.sec < b.sec
	}
	if a.nsec != b.nsec {
		return a.nsec < b.nsec
	}
	return a.seq < b.seq
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
// event the window releases, with its Actor. The *Event emit gets is valid
// only during the call: its memory is reused for a later event.
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
	var slot int32
	if n := len(w.free); n > 0 {
		slot = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		slot = int32(len(w.slots))
		w.slots = append(w.slots, heldEvent{})
	}
	h := &w.slots[slot]
	h.ev, h.key = ev, key
	w.push(heldRef{sec: key.Unix(), nsec: int32(key.Nanosecond()), slot: slot, seq: w.seq})
	horizon := w.newest.Add(-w.r.cfg.Window)
	for len(w.held) > 0 {
		over := len(w.held) > w.r.cfg.WindowEvents
		if !over && !w.slots[w.held[0].slot].key.Before(horizon) {
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
	if len(w.held) > 0 {
		if k := w.slots[w.held[0].slot].key; k.Before(oldest) {
			oldest = k
		}
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
	slot := w.pop().slot
	h := &w.slots[slot]
	if h.key.After(w.released) {
		w.released = h.key
	}
	emit(&h.ev, w.r.Resolve(&h.ev))
	// Not cleared: a free slot keeps its event until reused, within the
	// memory the most held already took, and clearing costs time.
	w.free = append(w.free, slot)
}

// push and pop keep held a min-heap ordered by heldRef.less.
func (w *Window) push(x heldRef) {
	h := append(w.held, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].less(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	w.held = h
}

func (w *Window) pop() heldRef {
	h := w.held
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	w.held = h
	return top
}
