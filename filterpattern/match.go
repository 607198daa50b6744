package filterpattern

import "github.com/valyala/fastjson"

// Event is one log event as the matcher sees it.
type Event struct {
	// Message is the exact one-line text CloudWatch Logs stores; term, regex
	// and space-delimited patterns see this.
	Message []byte

	// JSON is the Message already parsed (the caller parses once and shares
	// the value between patterns). When nil, a JSON pattern parses Message
	// itself with a parser owned by the Pattern. A Message that is not a JSON
	// object never matches a JSON pattern.
	JSON *fastjson.Value

	// Extra is an optional JSON object whose top-level keys are consulted
	// before the message's top-level keys (for reserved roots such as
	// $.trailwatch.origin.name). Nil means none.
	Extra *fastjson.Value
}

// Match reports whether the event matches the pattern.
func (p *Pattern) Match(ev *Event) bool {
	if ev == nil {
		return false
	}
	switch p.kind {
	case MatchAll:
		return true
	case Terms:
		return p.matchTerms(ev.Message)
	case Regex:
		return p.standalone.match(ev.Message)
	case JSON:
		return p.matchJSON(ev)
	case SpaceDelimited:
		var buf [64]span
		_, ok := p.layout(ev.Message, buf[:0])
		return ok
	}
	return false
}

// MatchString is Match for a message given as a string, without a
// pre-parsed JSON value.
func (p *Pattern) MatchString(msg string) bool {
	return p.Match(&Event{Message: []byte(msg)})
}

// MatchExtract is Match plus the extractedValues map exactly as AWS
// TestMetricFilter reports it for this event
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TestMetricFilter.html):
//
//   - space-delimited patterns: "$name" for each named field and "$N" (N the
//     1-based position of the field in the event) for each field the pattern
//     does not name, those under "..." and empty slots included;
//   - term, regex and match-all patterns: an empty map;
//   - JSON patterns: an empty map ("If you are not using a space-delimited
//     filter, this will be empty"; see docs/filterpattern.md).
//
// The map is nil when the event does not match.
func (p *Pattern) MatchExtract(ev *Event) (bool, map[string]string) {
	if ev == nil {
		return false, nil
	}
	switch p.kind {
	case SpaceDelimited:
		return p.extractSpace(ev.Message)
	case JSON:
		if !p.Match(ev) {
			return false, nil
		}
		return true, p.extractJSON(ev)
	}
	if !p.Match(ev) {
		return false, nil
	}
	return true, map[string]string{}
}
