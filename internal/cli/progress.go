package cli

import (
	"fmt"
	"time"
)

// progress draws a one-line counter on stderr, only when stderr is a
// terminal, at most a few times a second.
type progress struct {
	s     Streams
	files int
	last  time.Time
	drawn bool
}

func newProgress(s Streams) *progress { return &progress{s: s} }

func (p *progress) update(files, events, matched int) {
	p.files += files
	if !p.s.ErrIsTTY {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
		p.last = now
		p.drawn = true
		fmt.Fprintf(p.s.Err, "\r\033[K%d files, %d events, %d matched", p.files, events, matched)
	}
}

// done clears the counter so that messages after it start on a clean line.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.s.Err, "\r\033[K")
	}
}
