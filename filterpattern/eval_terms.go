package filterpattern

import "bytes"

// matchTerms evaluates a term pattern against the message
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-unstructured-log-events).
//
// Terms are case-sensitive substrings. Plain terms must all occur, -terms
// must not occur, and at least one ?term must occur. "If you combine "?" with
// other filter patterns, all question mark terms will be ignored": when the
// pattern has any plain or - term, the ? terms play no part.
func (p *Pattern) matchTerms(msg []byte) bool {
	if len(p.required) > 0 {
		for i := range p.required {
			t := &p.required[i]
			has := t.any || bytes.Contains(msg, t.needle)
			if has == (t.kind == termExclude) {
				return false
			}
		}
		return true
	}
	for i := range p.optional {
		t := &p.optional[i]
		if t.any || bytes.Contains(msg, t.needle) {
			return true
		}
	}
	return false
}
