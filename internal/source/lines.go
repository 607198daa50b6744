package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrLineTooLong reports a line longer than MaxLineBytes; it was skipped and
// reading continues.
var ErrLineTooLong = errors.New("line too long")

// MaxLineBytes is the longest line LineReader returns whole. CloudWatch Logs
// accepts events up to 1 MiB (PutLogEvents quota); longer lines are reported
// and skipped.
const MaxLineBytes = 1 << 20

// LineReader returns the lines of a stream, each one log event exactly as
// given, without its line ending ("\n" or "\r\n"). Empty lines are skipped:
// CloudWatch Logs does not store empty events.
type LineReader struct {
	br   *bufio.Reader
	name string
	line int // 1-based number of the last line read
	long []byte
}

// NewLineReader reads lines from r; name is used in errors.
func NewLineReader(r io.Reader, name string) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 256<<10), name: name}
}

// Line returns the 1-based line number of the last line returned.
func (l *LineReader) Line() int { return l.line }

// Next returns the next non-empty line, valid until the next call. It
// returns io.EOF at the end, and a non-nil error with a nil line for a line
// that was too long (skipped; reading can continue).
func (l *LineReader) Next() ([]byte, error) {
	for {
		b, err := l.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			l.long = append(l.long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = l.br.ReadSlice('\n')
				if len(l.long) <= MaxLineBytes {
					l.long = append(l.long, b...)
				}
			}
			b = l.long
		}
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read %s: line %d: %w", l.name, l.line+1, err)
		}
		l.line++
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) > MaxLineBytes {
			return nil, fmt.Errorf("read %s: line %d: %w (over %d bytes), skipped", l.name, l.line, ErrLineTooLong, MaxLineBytes)
		}
		if len(b) == 0 {
			if err != nil {
				return nil, io.EOF
			}
			continue
		}
		return b, nil
	}
}
