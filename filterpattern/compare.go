package filterpattern

import (
	"bytes"
	"strconv"
	"unsafe"
)

// wildMode says where a string value has its * wildcards.
type wildMode uint8

const (
	wildExact    wildMode = iota // Event
	wildPrefix                   // Event*
	wildSuffix                   // *Event
	wildContains                 // *Event*
)

// wildcard matches a string value. A * is a wildcard only at the start or the
// end of the value; "Ev*ent will only match the actual string Ev*ent"
// (https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/5ae5c9a/doc_source/FilterAndPatternSyntax.md).
type wildcard struct {
	mode wildMode
	core []byte // the value without its leading and trailing *
}

// newWildcard compiles a string value. It reports false when the value is
// only stars, which matches anything.
func newWildcard(s string) (wildcard, bool) {
	i, j := 0, len(s)
	for i < j && s[i] == '*' {
		i++
	}
	for j > i && s[j-1] == '*' {
		j--
	}
	if i == j {
		return wildcard{}, false
	}
	w := wildcard{core: []byte(s[i:j])}
	switch {
	case i > 0 && j < len(s):
		w.mode = wildContains
	case i > 0:
		w.mode = wildSuffix
	case j < len(s):
		w.mode = wildPrefix
	}
	return w, true
}

func (w *wildcard) match(b []byte) bool {
	switch w.mode {
	case wildPrefix:
		return bytes.HasPrefix(b, w.core)
	case wildSuffix:
		return bytes.HasSuffix(b, w.core)
	case wildContains:
		return bytes.Contains(b, w.core)
	}
	return bytes.Equal(b, w.core)
}

// isNumber reports whether b is a number as the filter-pattern language writes
// it: "An integer with an optional + or - sign, a decimal with an optional + or
// - sign, or a number in scientific notation, which is an integer or a decimal
// with an optional + or - sign, followed by 'e', followed by an integer with an
// optional + or - sign." (OLD2020 doc, see wildcard).
func isNumber[T string | []byte](b T) bool {
	i, n := 0, len(b)
	if i < n && (b[i] == '+' || b[i] == '-') {
		i++
	}
	d := i
	for i < n && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == d {
		return false
	}
	if i < n && b[i] == '.' {
		i++
		d = i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d = i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == n
}

// parseNumber parses text accepted by isNumber. Out-of-range numbers become
// ±Inf, which still compare sensibly.
func parseNumber(s string) float64 {
	if s != "" && s[0] == '+' {
		s = s[1:]
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// parseNumberBytes is parseNumber for a byte slice, without copying it.
func parseNumberBytes(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	return parseNumber(unsafe.String(&b[0], len(b)))
}

// compareNumbers applies a relational or equality operator to two numbers.
func compareNumbers(o op, a, b float64) bool {
	switch o {
	case opEq:
		return a == b
	case opNe:
		return a != b
	case opLt:
		return a < b
	case opLe:
		return a <= b
	case opGt:
		return a > b
	case opGe:
		return a >= b
	}
	return false
}
