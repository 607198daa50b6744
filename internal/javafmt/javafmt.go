// Package javafmt writes numbers in the text forms Java gives them, which
// the services trailwatch imitates print: CloudWatch's alarm reasons and
// Athena's (Trino's) query results.
package javafmt

import (
	"math"
	"strconv"
	"strings"
)

// Double is Java's Double.toString(x), as Athena prints a DOUBLE and
// CloudWatch a datapoint or threshold: the shortest digits that read back
// as x, in
// plain notation with at least one fraction digit when 1e-3 <= |x| < 1e7
// (100.0, 0.25), else in scientific notation with an upper-case E and no
// plus sign (1.740787203E9, 1.0E-5); NaN, Infinity, -Infinity.
func Double(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(x); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	// 'e' gives d.ddde±XX; Java wants d.dddEX with at least two digits,
	// the two nearest x when one would do (5e-324 is 4.9E-324).
	s := strconv.FormatFloat(x, 'e', -1, 64)
	if !strings.Contains(s, ".") {
		s = strconv.FormatFloat(x, 'e', 1, 64)
	}
	mant, exp, _ := strings.Cut(s, "e")
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}
