package filterpattern

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanner reads a pattern one lexical element at a time. The parser drives
// it: the same characters mean different things in a term pattern, in a JSON
// value and in a space-delimited field, so the parser says what it expects
// next (a selector, an operator, a value, a word) and the scanner reads that.
type scanner struct {
	src string
	pos int // byte offset of the next unread character
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) eof() bool { return s.pos >= len(s.src) }

// peek returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

func (s *scanner) hasPrefix(p string) bool { return strings.HasPrefix(s.src[s.pos:], p) }

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
}

// found describes what is at the current position, for error messages:
// `"&&"`, `"foo"` or `end of pattern`.
func (s *scanner) found() string { return describeAt(s.src, s.pos) }

func describeAt(src string, pos int) string {
	if pos >= len(src) {
		return "end of pattern"
	}
	rest := src[pos:]
	for _, two := range [...]string{"&&", "||", "!=", "<=", ">=", "==", "..."} {
		if strings.HasPrefix(rest, two) {
			return strconv.Quote(two)
		}
	}
	if strings.IndexByte("(){}[],=<>!&|%\"", rest[0]) >= 0 {
		return strconv.Quote(rest[:1])
	}
	end := 0
	for end < len(rest) && !isSpace(rest[end]) && strings.IndexByte("(){}[],=<>!&|\"", rest[end]) < 0 {
		end++
	}
	if end == 0 { // a lone rune of another kind
		_, end = utf8.DecodeRuneInString(rest)
	}
	word := rest[:end]
	if len(word) > 24 {
		cut := 24
		for cut > 0 && !utf8.RuneStart(word[cut]) {
			cut--
		}
		word = word[:cut] + "…"
	}
	return strconv.Quote(word)
}

// smartQuote reports whether the pattern has a typographic double quote (as
// pasted from a word processor or a blog) at the current position, and its
// length in bytes.
func (s *scanner) smartQuote() (int, bool) {
	return smartQuoteAt(s.src, s.pos)
}

func smartQuoteAt(src string, pos int) (int, bool) {
	if pos >= len(src) || src[pos] < utf8.RuneSelf {
		return 0, false
	}
	r, n := utf8.DecodeRuneInString(src[pos:])
	switch r {
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\uFF02':
		return n, true
	}
	return 0, false
}

// indexSmartQuote returns the offset of the first typographic quote in s, or -1.
func indexSmartQuote(s string) int {
	for i := 0; i < len(s); i++ {
		if _, ok := smartQuoteAt(s, i); ok {
			return i
		}
	}
	return -1
}

// smartQuoteError is the error for a typographic quote at off. CloudWatch Logs
// knows only the ASCII double quote; a “curly” quote would become part of the
// value and the pattern would silently never match.
func smartQuoteError(src string, off int) *SyntaxError {
	r, _ := utf8.DecodeRuneInString(src[off:])
	return errorf(off, "typographic quote %q is not a quote in filter patterns; use the ASCII double quote \" instead", string(r))
}

// quoted reads a "double-quoted string" starting at the current position and
// returns its unescaped text. \" stands for " and \\ for \; any other
// backslash is kept as written.
func (s *scanner) quoted() (string, error) {
	open := s.pos
	s.pos++ // opening quote
	var b []byte
	start := s.pos
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch c {
		case '"':
			text := s.src[start:s.pos]
			if b != nil {
				text = string(append(b, text...))
			}
			s.pos++
			return text, nil
		case '\\':
			if s.pos+1 < len(s.src) && (s.src[s.pos+1] == '"' || s.src[s.pos+1] == '\\') {
				b = append(b, s.src[start:s.pos]...)
				b = append(b, s.src[s.pos+1])
				s.pos += 2
				start = s.pos
				continue
			}
		}
		s.pos++
	}
	return "", errorf(open, "unterminated quoted string: expected a closing \" before the end of the pattern")
}

// regex reads a %regex% starting at the current position and returns the text
// between the % signs and its offset. A regex cannot contain %: "%" is not in
// the set of characters a filter-pattern regex may use.
func (s *scanner) regex() (string, int, error) {
	open := s.pos
	s.pos++
	end := strings.IndexByte(s.src[s.pos:], '%')
	if end < 0 {
		return "", 0, errorf(open, "unterminated regular expression: expected a closing %% before the end of the pattern")
	}
	text := s.src[s.pos : s.pos+end]
	s.pos += end + 1
	if text == "" {
		return "", 0, errorf(open, "empty regular expression %%%%")
	}
	return text, open + 1, nil
}

// wordMode selects the characters that end an unquoted word.
type wordMode uint8

const (
	wordTerm  wordMode = iota // term patterns: whitespace
	wordJSON                  // JSON values: whitespace ) } && ||
	wordSpace                 // space-delimited values: whitespace , ] && ||
)

// word reads an unquoted word and returns it; it may be empty.
func (s *scanner) word(mode wordMode) string {
	start := s.pos
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if isSpace(c) {
			break
		}
		if mode != wordTerm {
			if (c == '&' || c == '|') && s.pos+1 < len(s.src) && s.src[s.pos+1] == c {
				break
			}
			if mode == wordJSON && (c == ')' || c == '}') {
				break
			}
			if mode == wordSpace && (c == ',' || c == ']') {
				break
			}
		}
		s.pos++
	}
	return s.src[start:s.pos]
}

// keyword reads a run of ASCII letters (IS, NULL, NOT, EXISTS, ...).
func (s *scanner) keyword() string {
	start := s.pos
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			break
		}
		s.pos++
	}
	return s.src[start:s.pos]
}

// operator reads one of = != < <= > >= and returns it, or opNone.
func (s *scanner) operator() op {
	rest := s.src[s.pos:]
	switch {
	case strings.HasPrefix(rest, "!="):
		s.pos += 2
		return opNe
	case strings.HasPrefix(rest, "<="):
		s.pos += 2
		return opLe
	case strings.HasPrefix(rest, ">="):
		s.pos += 2
		return opGe
	case strings.HasPrefix(rest, "="):
		s.pos++
		return opEq
	case strings.HasPrefix(rest, "<"):
		s.pos++
		return opLt
	case strings.HasPrefix(rest, ">"):
		s.pos++
		return opGt
	}
	return opNone
}
