package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// scanner is a sliding window over a byte stream that finds the extent of
// JSON values without parsing them, so a delivery file of any size streams
// through a bounded buffer. Positions are indexes into buf; fill may move the
// window, and reports how far so callers can shift their own indexes.
type scanner struct {
	src  io.Reader
	buf  []byte
	r, w int    // unread window buf[r:w]
	base int64  // stream offset of buf[0]
	max  int    // largest value the window may grow to hold
	err  error  // sticky read error (io.EOF at the end)
	own  []byte // the scanner's buffer while buf is a caller's (ResetBytes)
}

func newScanner(src io.Reader, size, max int) *scanner {
	return &scanner{src: src, buf: make([]byte, size), max: max}
}

// offset returns the stream offset of buffer index i.
func (s *scanner) offset(i int) int64 { return s.base + int64(i) }

// fill reads more input, first dropping buf[:r] or growing the buffer. It
// returns how far existing indexes moved down, and false when no more input
// can arrive (s.err says why).
func (s *scanner) fill() (int, bool) {
	if s.err != nil {
		return 0, false
	}
	shift := 0
	if s.r > 0 && (s.w == len(s.buf) || s.r > len(s.buf)/2) {
		shift = s.r
		copy(s.buf, s.buf[s.r:s.w])
		s.w -= shift
		s.base += int64(shift)
		s.r = 0
	}
	if s.w == len(s.buf) {
		if len(s.buf) >= s.max {
			s.err = fmt.Errorf("a single JSON value is larger than %d MiB", s.max>>20)
			return shift, false
		}
		nb := make([]byte, min(2*len(s.buf), s.max))
		copy(nb, s.buf[:s.w])
		s.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.src.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.err = err
			return shift, n > 0
		}
		if n > 0 {
			return shift, true
		}
	}
	s.err = io.ErrNoProgress
	return shift, false
}

// readErr turns the sticky error into what a caller reports at end of input:
// nil for a clean EOF.
func (s *scanner) readErr() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

// skipSpace advances r past JSON whitespace (and a UTF-8 byte-order mark at
// the very start). It returns false at end of input.
func (s *scanner) skipSpace() bool {
	for {
		for s.r < s.w {
			switch s.buf[s.r] {
			case ' ', '\t', '\n', '\r':
				s.r++
			default:
				if s.base == 0 && s.r == 0 && bytes.HasPrefix(s.buf[:s.w], []byte("\xef\xbb\xbf")) {
					s.r += 3
					continue
				}
				return true
			}
		}
		if _, ok := s.fill(); !ok {
			return false
		}
	}
}

// peekByte returns the byte at r after skipping whitespace.
func (s *scanner) peekByte() (byte, bool) {
	if !s.skipSpace() {
		return 0, false
	}
	return s.buf[s.r], true
}

// errTruncated is reported when input ends inside a JSON value.
var errTruncated = errors.New("unexpected end of input inside a JSON value")

// scanValue finds the end of the JSON object or array that starts at r. It
// returns the end index (exclusive) and whether the value has whitespace
// outside strings (so it is not compact). The value stays at buf[r:end].
func (s *scanner) scanValue() (end int, spaced bool, err error) {
	depth := 0
	i := s.r
	for {
		if i >= s.w {
			shift, ok := s.fill()
			i -= shift
			if !ok {
				return 0, false, s.truncErr()
			}
			continue
		}
		switch c := s.buf[i]; c {
		case '"':
			j, err := s.scanString(i)
			if err != nil {
				return 0, false, err
			}
			// scanString may have moved the window; recompute from r.
			i = j
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
			if depth <= 0 {
				return i, spaced, nil
			}
		case ' ', '\t', '\n', '\r':
			spaced = true
			i++
		default:
			if depth == 0 {
				return 0, false, fmt.Errorf("expected '{' or '[', found %q", c)
			}
			i++
		}
	}
}

func (s *scanner) truncErr() error {
	if err := s.readErr(); err != nil {
		return err
	}
	return errTruncated
}

// scanString returns the index just past the closing quote of the string
// whose opening quote is at buf[i]. Escaped quotes are skipped.
func (s *scanner) scanString(i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(s.buf[j:s.w], '"')
		if k < 0 {
			j = s.w
			shift, ok := s.fill()
			i -= shift
			j -= shift
			if !ok {
				return 0, s.truncErr()
			}
			continue
		}
		q := j + k
		bs := 0
		for p := q - 1; p > i && s.buf[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
}

// ensure reads until at least n bytes are unread or input ends, keeping
// buf[r:] (indexes into it stay valid relative to r).
func (s *scanner) ensure(n int) {
	for s.w-s.r < n {
		if _, ok := s.fill(); !ok {
			return
		}
	}
}

// expect consumes the literal lit after optional whitespace; it reports false
// (consuming nothing more than whitespace) when the input differs.
func (s *scanner) expect(lit string) bool {
	if !s.skipSpace() {
		return false
	}
	for s.w-s.r < len(lit) {
		shift, ok := s.fill()
		_ = shift // r is already rebased by fill
		if !ok {
			return false
		}
	}
	if string(s.buf[s.r:s.r+len(lit)]) != lit {
		return false
	}
	s.r += len(lit)
	return true
}

// appendCompact appends src with all whitespace outside strings removed.
// src must be a complete JSON value whose strings are well formed.
func appendCompact(dst, src []byte) []byte {
	inStr := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inStr {
			dst = append(dst, c)
			switch c {
			case '\\':
				if i+1 < len(src) {
					i++
					dst = append(dst, src[i])
				}
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inStr = true
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
