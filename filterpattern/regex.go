package filterpattern

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Regular expressions in filter patterns
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#regex-expressions,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html)
// "can only include the following": alphanumerics; the symbols _ # = @ / ; , -
// and (regex-expressions page) :; the operators ^ $ ? [ ] { } | \ * + . ;
// \d \D \s \S \w \W and \xhh. "( and ) aren't supported"; "multi-byte
// characters aren't supported". A space is accepted: the doc's own example
// %^starting|^initializing|^shutting down% has one.
//
// Matching is an unanchored, case-sensitive search. Go's RE2 engine
// implements every allowed operator with the documented meaning, so a
// validated regex is compiled with regexp; the one difference, a repetition
// with its lower bound left out ({,5}), is rewritten to {0,5}.

const (
	regexSymbols   = "_#=@/;,-: "
	regexOperators = "^$?[]{}|\\*+."
)

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// compileRegex validates src (the text between the % signs, which starts at
// byte offset off of the pattern) against the documented character set and
// compiles it.
func compileRegex(src string, off int) (*regexValue, error) {
	var out strings.Builder
	inClass := false
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c >= 0x80:
			return nil, errorf(off+i, "multi-byte characters are not supported in a regular expression; match them with \\xhh escapes of ASCII characters only")
		case c == '(' || c == ')':
			return nil, errorf(off+i, "%q is not supported in a regular expression: CloudWatch Logs regexes have no groups; use \\x%02X to match a literal %q", string(c), c, string(c))
		case c == '\\':
			if i+1 >= len(src) {
				return nil, errorf(off+i, "the regular expression ends with a lone \\")
			}
			n := src[i+1]
			switch {
			case strings.IndexByte("dDsSwW", n) >= 0:
				out.WriteString(src[i : i+2])
				i += 2
			case n == 'x':
				if i+4 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) {
					return nil, errorf(off+i, "\\x must be followed by two hexadecimal digits, as in \\x3A")
				}
				out.WriteString(src[i : i+4])
				i += 4
			case n == '(' || n == ')':
				return nil, errorf(off+i+1, "%q is not supported in a regular expression, even escaped; use \\x%02X to match a literal %q", string(n), n, string(n))
			case strings.IndexByte(regexSymbols, n) >= 0 || strings.IndexByte(regexOperators, n) >= 0:
				out.WriteString(src[i : i+2])
				i += 2
			default:
				return nil, errorf(off+i, "unsupported escape \\%s in a regular expression; supported are \\d \\D \\s \\S \\w \\W \\xhh and a backslash before a symbol or operator", string(n))
			}
			continue
		case isAlnum(c) || strings.IndexByte(regexSymbols, c) >= 0:
		case strings.IndexByte(regexOperators, c) >= 0:
			switch {
			case c == '[' && !inClass:
				inClass = true
				if i+1 < len(src) && src[i+1] == '^' {
					out.WriteString("[^")
					i += 2
					if i < len(src) && src[i] == ']' { // leading ] is literal
						out.WriteByte(']')
						i++
					}
					continue
				}
				if i+1 < len(src) && src[i+1] == ']' {
					out.WriteString("[]")
					i += 2
					continue
				}
			case c == ']' && inClass:
				inClass = false
			case c == '{' && !inClass && i+1 < len(src) && src[i+1] == ',':
				// {,n}: "you can omit one of the bounds"; RE2 needs {0,n}.
				out.WriteString("{0")
				i++
				continue
			}
		default:
			return nil, errorf(off+i, "%q is not supported in a regular expression; use \\x%02X to match it", string(c), c)
		}
		out.WriteByte(c)
		i++
	}
	re, err := regexp.Compile(out.String())
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "error parsing regexp: ")
		return nil, errorf(off, "invalid regular expression: %s", msg)
	}
	return &regexValue{src: src, re: re, lits: requiredLiterals(out.String())}, nil
}

// match reports whether the regex matches somewhere in b. When every
// alternative of the regex needs a literal string, b is first searched for
// those strings with bytes.Index, which is far faster than running the regex
// over a message that cannot match.
func (r *regexValue) match(b []byte) bool {
	if r.lits != nil {
		found := false
		for _, l := range r.lits {
			if bytes.Contains(b, l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return r.re.Match(b)
}

// requiredLiterals returns one literal per top-level alternative such that
// any match contains one of them, or nil when some alternative has none.
func requiredLiterals(expr string) [][]byte {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	alts := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		alts = re.Sub
	}
	var lits [][]byte
	for _, a := range alts {
		l := longestLiteral(a)
		if len(l) < 2 {
			return nil // too short to be worth a search
		}
		lits = append(lits, l)
	}
	return lits
}

// longestLiteral returns the longest literal that every match of re contains.
func longestLiteral(re *syntax.Regexp) []byte {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return []byte(string(re.Rune))
	case syntax.OpCapture:
		return longestLiteral(re.Sub[0])
	case syntax.OpConcat:
		var best []byte
		for _, sub := range re.Sub {
			if l := longestLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	case syntax.OpPlus:
		return longestLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return longestLiteral(re.Sub[0])
		}
	}
	return nil
}
