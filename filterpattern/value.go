package filterpattern

import (
	"fmt"
	"strconv"
	"strings"
)

// Metric values and dimensions
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html):
// "You can set metric values to numbers, named identifiers, or numeric
// identifiers": 1, $.latency (JSON), $size or $7 (space-delimited).

// Value resolves a metric-value reference against an event the pattern
// matched: "$.a.b[0]" (JSON selector), "$size" (named field), "$7" (the 7th
// field of the line), or a number, which is returned as is. ok is false when
// the reference does not resolve (a missing field, an object, an array, null,
// a wildcard selector, or a reference of the wrong kind for the pattern). The
// string is the value's text: a number as written in the message, a string
// unquoted and unescaped.
func (p *Pattern) Value(ev *Event, ref string) (string, bool) {
	if ev == nil {
		return "", false
	}
	if isNumber(ref) {
		return ref, true
	}
	switch {
	case p.kind == JSON && strings.HasPrefix(ref, "$."):
		return p.jsonValue(ev, ref)
	case p.kind == SpaceDelimited:
		return p.spaceValue(ev.Message, ref)
	}
	return "", false
}

// ValidateMetricValue checks a metricValue or dimension reference against the
// pattern: a number is always valid; "$.selector" only for JSON patterns;
// "$name" (a field the pattern names) and "$N" only for space-delimited
// patterns.
func (p *Pattern) ValidateMetricValue(ref string) error {
	if isNumber(ref) {
		return nil
	}
	if !strings.HasPrefix(ref, "$") {
		return fmt.Errorf("metric value %q: expected a number, a JSON selector such as $.latency, or a field such as $size or $7", ref)
	}
	switch p.kind {
	case JSON:
		if !strings.HasPrefix(ref, "$.") {
			return fmt.Errorf("metric value %q names a space-delimited field, but the pattern is a JSON pattern: use a selector such as $.latency", ref)
		}
		s := scanner{src: ref}
		sel, err := s.selector()
		if err != nil {
			if se, ok := err.(*SyntaxError); ok {
				return fmt.Errorf("metric value %q: column %d: %s", ref, se.Offset+1, se.Msg)
			}
			return err
		}
		if !s.eof() {
			return fmt.Errorf("metric value %q: unexpected %s after the selector", ref, s.found())
		}
		if sel.wild > 0 {
			return fmt.Errorf("metric value %q: a metric value names one value and cannot contain a wildcard", ref)
		}
		return nil
	case SpaceDelimited:
		name := ref[1:]
		if strings.HasPrefix(name, ".") {
			return fmt.Errorf("metric value %q is a JSON selector, but the pattern is space-delimited: use a field such as $size or $7", ref)
		}
		if n, err := strconv.Atoi(name); err == nil && name[0] >= '1' && name[0] <= '9' {
			if p.ellipsis < 0 && !p.emptyList && n > len(p.fields) {
				return fmt.Errorf("metric value %q: the pattern has only %d fields", ref, len(p.fields))
			}
			return nil
		}
		if _, ok := p.names[name]; !ok {
			return fmt.Errorf("metric value %q: the pattern has no field named %q", ref, name)
		}
		return nil
	}
	return fmt.Errorf("metric value %q: a %s pattern extracts no fields; use a number such as 1", ref, p.kind)
}
