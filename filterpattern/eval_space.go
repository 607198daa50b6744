package filterpattern

import (
	"bytes"
	"strconv"
)

// Space-delimited patterns
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-term-space-delimited-log-events).

// span is one field of a log line: msg[start:end].
type span struct{ start, end int }

// tokenize splits a log line into fields. Fields are separated by runs of
// blanks (space, tab). "Characters between brackets ("[]") and double quotation
// marks ("") are considered single fields", and the brackets or quotes are
// not part of the field's value ("$timestamp": "10/Oct/2000:13:25:15 -0700").
// A [ or " that is never closed is an ordinary character. Inside "...", \" does
// not close the field.
func tokenize(msg []byte, spans []span) []span {
	i, n := 0, len(msg)
	for {
		for i < n && isSpace(msg[i]) {
			i++
		}
		if i >= n {
			return spans
		}
		switch msg[i] {
		case '[':
			if j := bytes.IndexByte(msg[i+1:], ']'); j >= 0 {
				spans = append(spans, span{i + 1, i + 1 + j})
				i += j + 2
				continue
			}
		case '"':
			if j := closingQuote(msg, i+1); j >= 0 {
				spans = append(spans, span{i + 1, j})
				i = j + 1
				continue
			}
		}
		start := i
		for i < n && !isSpace(msg[i]) {
			i++
		}
		spans = append(spans, span{start, i})
	}
}

// closingQuote returns the index of the " that closes a quoted field whose
// text starts at i, or -1.
func closingQuote(msg []byte, i int) int {
	for i < len(msg) {
		switch msg[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i
		}
		i++
	}
	return -1
}

// fits reports whether a line of n fields has the number of fields the
// pattern needs: exactly as many as it names, unless it has "..." ("The
// pattern needs to match with the entire log event message"); "[]" takes any
// line.
func (p *Pattern) fits(n int) bool {
	switch {
	case p.emptyList:
		return true
	case p.ellipsis < 0:
		return n == len(p.fields)
	}
	return n >= len(p.fields)-1
}

// tokenOf returns the index of the line field that pattern field i stands for,
// in a line of n fields that fits.
func (p *Pattern) tokenOf(i, n int) int {
	if p.ellipsis < 0 || i < p.ellipsis {
		return i
	}
	return n - (len(p.fields) - i)
}

// fieldOf returns the pattern field that stands for line field j, or -1 when
// "..." (or "[]") covers it.
func (p *Pattern) fieldOf(j, n int) int {
	switch {
	case p.emptyList:
		return -1
	case p.ellipsis < 0 || j < p.ellipsis:
		return j
	}
	after := len(p.fields) - p.ellipsis - 1
	if j >= n-after {
		return len(p.fields) - (n - j)
	}
	return -1
}

// layout splits the line and checks every field condition. It returns the
// line's fields and whether the line matches.
func (p *Pattern) layout(msg []byte, buf []span) ([]span, bool) {
	toks := tokenize(msg, buf)
	if !p.fits(len(toks)) {
		return toks, false
	}
	for i := range p.fields {
		f := &p.fields[i]
		if f.cond == nil {
			continue
		}
		t := toks[p.tokenOf(i, len(toks))]
		if !f.cond.evalText(msg[t.start:t.end]) {
			return toks, false
		}
	}
	return toks, true
}

func (e *expr) evalText(tok []byte) bool {
	switch e.kind {
	case exprAnd:
		for _, x := range e.list {
			if !x.evalText(tok) {
				return false
			}
		}
		return true
	case exprOr:
		for _, x := range e.list {
			if x.evalText(tok) {
				return true
			}
		}
		return false
	}
	return e.cond.testText(tok)
}

// testText applies a condition to a field. "For string fields, you can use =
// or != operators with an asterisk (*). For numeric fields, you can use the
// >, <, >=, <=, =, and != operators." A numeric comparison on a field that is
// not a number is false (and its != is true).
func (c *cond) testText(tok []byte) bool {
	switch c.op {
	case opEq:
		return c.val.equalText(tok)
	case opNe:
		return !c.val.equalText(tok)
	}
	return isNumber(tok) && compareNumbers(c.op, parseNumberBytes(tok), c.val.num)
}

func (val *value) equalText(tok []byte) bool {
	switch val.kind {
	case valAny:
		return true
	case valNumber:
		return isNumber(tok) && parseNumberBytes(tok) == val.num
	case valRegex:
		return val.re.match(tok)
	}
	return val.wild.match(tok)
}

// extractSpace matches a line and returns TestMetricFilter's extractedValues:
// "$name" for named fields, "$N" for the others (TMF: [..., size] yields $1
// to $6 and $size; [..., request=*.html*, status_code=4*,] yields $1 to $4,
// $request, $status_code and $7).
func (p *Pattern) extractSpace(msg []byte) (bool, map[string]string) {
	var buf [64]span
	toks, ok := p.layout(msg, buf[:0])
	if !ok {
		return false, nil
	}
	m := make(map[string]string, len(toks))
	for j, t := range toks {
		key := ""
		if i := p.fieldOf(j, len(toks)); i >= 0 && p.fields[i].name != "" {
			key = "$" + p.fields[i].name
		} else {
			key = "$" + strconv.Itoa(j+1)
		}
		m[key] = string(msg[t.start:t.end])
	}
	return true, m
}

// spaceValue resolves "$name" or "$N" against a line.
func (p *Pattern) spaceValue(msg []byte, ref string) (string, bool) {
	if len(ref) < 2 || ref[0] != '$' {
		return "", false
	}
	var buf [64]span
	toks := tokenize(msg, buf[:0])
	if !p.fits(len(toks)) {
		return "", false
	}
	name := ref[1:]
	j := -1
	if n, err := strconv.Atoi(name); err == nil && name[0] >= '1' && name[0] <= '9' {
		j = n - 1
	} else if i, ok := p.names[name]; ok {
		j = p.tokenOf(i, len(toks))
	}
	if j < 0 || j >= len(toks) {
		return "", false
	}
	t := toks[j]
	return string(msg[t.start:t.end]), true
}
