package filterpattern

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Property selectors
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-json-log-events):
// "$." then property names of letters, digits, "-" and "_", array indexes
// [0], bracket keys ['cluster.name'] for names with other characters, and the
// wildcards .* (any field) and [*] (any element).

// segKind is the kind of one step of a selector.
type segKind uint8

const (
	segKey       segKind = iota // .name or ['name']
	segIndex                    // [0]
	segWildcard                 // .*
	segWildIndex                // [*]
)

type segment struct {
	kind    segKind
	key     string
	index   int
	bracket bool // the key needs bracket notation to print
}

// selector is a parsed property selector.
type selector struct {
	segs []segment
	wild int // number of wildcard steps
}

// String prints the selector canonically: $.a.b[0], $.['a.b'], $.*, $.a[*].
func (s *selector) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for i, g := range s.segs {
		if i == 0 && (g.kind == segIndex || g.kind == segWildIndex) {
			b.WriteByte('.') // "$.[0]": selectors start with "$."
		}
		switch g.kind {
		case segKey:
			if g.bracket {
				b.WriteString(".[")
				q := byte('\'')
				if strings.IndexByte(g.key, '\'') >= 0 {
					q = '"'
				}
				b.WriteByte(q)
				for i := 0; i < len(g.key); i++ {
					if g.key[i] == q || g.key[i] == '\\' {
						b.WriteByte('\\')
					}
					b.WriteByte(g.key[i])
				}
				b.WriteByte(q)
				b.WriteByte(']')
			} else {
				b.WriteByte('.')
				b.WriteString(g.key)
			}
		case segIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(g.index))
			b.WriteByte(']')
		case segWildcard:
			b.WriteString(".*")
		case segWildIndex:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// isNameRune reports whether r may appear in an unbracketed property name.
// The doc allows alphanumerics, "-" and "_"; letters and digits of other
// scripts are accepted too.
func isNameRune(r rune) bool {
	return r == '_' || r == '-' || r < utf8.RuneSelf && isAlnum(byte(r)) ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// selectorEnd reports whether c may follow a selector.
func selectorEnd(c byte) bool {
	return isSpace(c) || strings.IndexByte("=!<>)}&|", c) >= 0
}

// selector reads a property selector at s.pos, which holds '$'.
func (s *scanner) selector() (*selector, error) {
	start := s.pos
	s.pos++ // $
	sel := &selector{}
	if s.peek() != '.' {
		return nil, errorf(s.pos, "expected \".\" after \"$\" (selectors start with \"$.\"), found %s", s.found())
	}
	for !s.eof() {
		c := s.peek()
		segStart := s.pos
		switch c {
		case '.':
			s.pos++
			switch n := s.peek(); {
			case n == '*':
				s.pos++
				sel.segs = append(sel.segs, segment{kind: segWildcard})
				sel.wild++
			case n == '[':
				if err := s.bracket(sel); err != nil {
					return nil, err
				}
			default:
				name := s.name()
				if name == "" {
					return nil, errorf(s.pos, "expected a property name after \".\", found %s", s.found())
				}
				sel.segs = append(sel.segs, segment{kind: segKey, key: name})
			}
		case '[':
			if len(sel.segs) == 0 {
				return nil, errorf(s.pos, "expected \".\" after \"$\" (selectors start with \"$.\"), found %s", s.found())
			}
			if err := s.bracket(sel); err != nil {
				return nil, err
			}
		default:
			if selectorEnd(c) {
				return sel, checkNotEmpty(sel, start)
			}
			r, _ := utf8.DecodeRuneInString(s.src[s.pos:])
			return nil, errorf(s.pos, "unexpected %q in selector: property names contain letters, digits, \"_\" and \"-\"; write other names as $.['name']", string(r))
		}
		if sel.wild > MaxWildcardsPerSelector {
			return nil, errorf(segStart, "a selector may contain at most %d wildcard (* or [*])", MaxWildcardsPerSelector)
		}
	}
	return sel, checkNotEmpty(sel, start)
}

// checkNotEmpty rejects a selector with no step.
func checkNotEmpty(sel *selector, start int) error {
	if len(sel.segs) == 0 {
		return errorf(start, "empty selector \"$.\"")
	}
	return nil
}

// name reads an unbracketed property name.
func (s *scanner) name() string {
	start := s.pos
	for s.pos < len(s.src) {
		r, n := utf8.DecodeRuneInString(s.src[s.pos:])
		if !isNameRune(r) {
			break
		}
		s.pos += n
	}
	return s.src[start:s.pos]
}

// bracket reads [0], [*], ['key'] or ["key"] at s.pos.
func (s *scanner) bracket(sel *selector) error {
	open := s.pos
	s.pos++ // [
	c := s.peek()
	switch {
	case c == '*':
		s.pos++
		sel.segs = append(sel.segs, segment{kind: segWildIndex})
		sel.wild++
	case c >= '0' && c <= '9':
		start := s.pos
		for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
			s.pos++
		}
		n, err := strconv.Atoi(s.src[start:s.pos])
		if err != nil || n > 1<<30 {
			return errorf(start, "array index %s is too large", s.src[start:s.pos])
		}
		sel.segs = append(sel.segs, segment{kind: segIndex, index: n})
	case c == '\'' || c == '"':
		q := c
		s.pos++
		var b strings.Builder
		for {
			if s.eof() {
				return errorf(open, "unterminated bracket key: expected %c] before the end of the pattern", q)
			}
			ch := s.src[s.pos]
			if ch == '\\' && s.pos+1 < len(s.src) && (s.src[s.pos+1] == q || s.src[s.pos+1] == '\\') {
				b.WriteByte(s.src[s.pos+1])
				s.pos += 2
				continue
			}
			if ch == q {
				s.pos++
				break
			}
			b.WriteByte(ch)
			s.pos++
		}
		key := b.String()
		sel.segs = append(sel.segs, segment{kind: segKey, key: key, bracket: !isPlainName(key)})
	default:
		return errorf(s.pos, "expected an array index, \"*\" or a quoted key after \"[\", found %s", s.found())
	}
	if s.peek() != ']' {
		return errorf(s.pos, "expected \"]\" to close the \"[\" at column %d, found %s", open+1, s.found())
	}
	s.pos++
	return nil
}

// isPlainName reports whether key can be written without brackets.
func isPlainName(key string) bool {
	if key == "" || key == "*" {
		return false
	}
	for _, r := range key {
		if !isNameRune(r) {
			return false
		}
	}
	return true
}
