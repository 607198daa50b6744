package filterpattern

import (
	"strings"
	"unicode/utf8"
)

// Parse compiles a filter pattern. Errors are *SyntaxError.
//
// The kind of pattern is chosen by its first non-blank character: "{" starts
// a JSON pattern, "[" a space-delimited pattern; a pattern that is exactly
// %...% is a regular expression; anything else is a term pattern.
func Parse(pattern string) (*Pattern, error) {
	if err := checkLength(pattern); err != nil {
		return nil, err
	}
	if !utf8.ValidString(pattern) {
		off := 0
		for off < len(pattern) {
			r, n := utf8.DecodeRuneInString(pattern[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, errorf(off, "the pattern is not valid UTF-8")
	}
	ps := &parser{s: scanner{src: pattern}}
	p := &Pattern{ellipsis: -1}
	p.numBufs.New = func() any { return new([]byte) }
	ps.s.skipSpace()
	var err error
	switch c := ps.s.peek(); {
	case ps.s.eof():
		p.kind = MatchAll // "" matches every event
	case c == '{':
		p.kind = JSON
		err = ps.json(p)
	case c == '[':
		p.kind = SpaceDelimited
		err = ps.space(p)
	case c == '%' && isStandaloneRegex(pattern):
		p.kind = Regex
		err = ps.standaloneRegex(p)
	default:
		p.kind = Terms
		err = ps.terms(p)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// isStandaloneRegex reports whether the whole pattern (less surrounding
// blanks) is one %regex%.
func isStandaloneRegex(pattern string) bool {
	t := strings.TrimFunc(pattern, func(r rune) bool { return r < utf8.RuneSelf && isSpace(byte(r)) })
	return len(t) >= 2 && t[0] == '%' && t[len(t)-1] == '%' && strings.IndexByte(t[1:len(t)-1], '%') < 0
}

// parser is a recursive-descent parser over a scanner.
type parser struct {
	s       scanner
	regexes int // %regex% values so far
	wild    int // wildcard selectors so far
}

// standaloneRegex parses a pattern that is one %regex%
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-regex).
func (ps *parser) standaloneRegex(p *Pattern) error {
	text, off, err := ps.s.regex()
	if err != nil {
		return err
	}
	re, err := compileRegex(text, off)
	if err != nil {
		return err
	}
	p.standalone = re
	return nil
}

// terms parses a term pattern
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-unstructured-log-events):
// words and "quoted phrases" separated by blanks, each optionally preceded by
// ? (optional) or - (excluded). A blank may follow the ? or -.
func (ps *parser) terms(p *Pattern) error {
	s := &ps.s
	for {
		s.skipSpace()
		if s.eof() {
			break
		}
		t := term{}
		start := s.pos
		switch s.peek() {
		case '?':
			t.kind = termOptional
			s.pos++
		case '-':
			t.kind = termExclude
			s.pos++
		}
		if t.kind != termInclude {
			s.skipSpace()
			if s.eof() {
				return errorf(start, "expected a term after %q, found end of pattern", s.src[start:start+1])
			}
		}
		wordStart := s.pos
		if s.peek() == '"' {
			text, err := s.quoted()
			if err != nil {
				return err
			}
			t.raw = text
		} else {
			t.raw = s.word(wordTerm)
			if i := indexSmartQuote(t.raw); i >= 0 {
				return smartQuoteError(s.src, wordStart+i)
			}
			if len(t.raw) >= 2 && t.raw[0] == '%' && t.raw[len(t.raw)-1] == '%' {
				return errorf(wordStart, "a regular expression %%...%% must be the whole pattern; it cannot be combined with other terms")
			}
		}
		w := strings.Trim(t.raw, "*")
		t.needle = []byte(w)
		t.any = w == ""
		p.terms = append(p.terms, t)
	}
	// `" "` "returns all log events" (doc: Match everything), as does a
	// pattern of blanks only.
	if len(p.terms) == 1 && p.terms[0].kind == termInclude && strings.TrimSpace(p.terms[0].raw) == "" {
		p.kind = MatchAll
		p.terms = nil
		return nil
	}
	for _, t := range p.terms {
		if t.kind == termOptional {
			p.optional = append(p.optional, t)
		} else {
			p.required = append(p.required, t)
		}
	}
	return nil
}

// value parses the right-hand side of a comparison with operator o (written
// at opStart): "string", unquoted string, number, * or %regex%.
// Numbers compare with all six operators; strings, * and regexes only with =
// and != ("For string fields, you can use = or != operators").
func (ps *parser) value(o op, opStart int, mode wordMode) (value, error) {
	s := &ps.s
	s.skipSpace()
	start := s.pos
	atEnd := s.eof() || s.hasPrefix("&&") || s.hasPrefix("||") ||
		mode == wordJSON && (s.peek() == '}' || s.peek() == ')') ||
		mode == wordSpace && (s.peek() == ',' || s.peek() == ']')
	if atEnd {
		return value{}, errorf(start, "expected a value after %q, found %s", opText[o], s.found())
	}
	var v value
	switch c := s.peek(); {
	case c == '"':
		text, err := s.quoted()
		if err != nil {
			return value{}, err
		}
		v = stringValue(text)
	case c == '%':
		text, off, err := s.regex()
		if err != nil {
			return value{}, err
		}
		ps.regexes++
		if ps.regexes > MaxRegexes {
			return value{}, errorf(start, "a JSON or space-delimited pattern may contain at most %d regular expressions", MaxRegexes)
		}
		re, err := compileRegex(text, off)
		if err != nil {
			return value{}, err
		}
		v = value{kind: valRegex, re: re}
	default:
		if _, ok := s.smartQuote(); ok {
			return value{}, smartQuoteError(s.src, start)
		}
		w := s.word(mode)
		if w == "" {
			return value{}, errorf(start, "expected a value after %q, found %s", opText[o], describeAt(s.src, start))
		}
		if i := indexSmartQuote(w); i >= 0 {
			return value{}, smartQuoteError(s.src, start+i)
		}
		if isNumber(w) {
			v = value{kind: valNumber, str: w, num: parseNumber(w)}
		} else {
			v = stringValue(w)
		}
	}
	if o.relational() && v.kind != valNumber {
		return value{}, errorf(start, "the operator %q compares numbers; expected a number such as 400, 1.5 or 10e3, found %s", opText[o], describeAt(s.src, start))
	}
	return v, nil
}

// stringValue compiles a string value; a value of stars only is "*": any value.
func stringValue(text string) value {
	w, ok := newWildcard(text)
	if !ok {
		return value{kind: valAny}
	}
	return value{kind: valString, str: text, wild: w}
}
