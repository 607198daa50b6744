package identity

import (
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

// Event is what identity keeps of one CloudTrail record: small, and
// independent of the decoder's buffers, so it can be held while later
// records are read.
type Event struct {
	ID        string
	Name      string
	Source    string // eventSource
	Region    string // awsRegion
	AccountID string // recipientAccountId: the account whose trail logged it
	ErrorCode string
	// TimeText is eventTime as recorded (or @timestamp when a shipper
	// replaced it); Time is it parsed, zero when missing or unreadable.
	TimeText  string
	Time      time.Time
	Principal Principal
	// Issue is set when the event handed out temporary credentials.
	Issue *Issuance
	// RequestedSourceIdentity is requestParameters.sourceIdentity: the
	// source identity a caller set when assuming a role, logged even when
	// the response is not.
	RequestedSourceIdentity string
	// namedByEvent: userIdentity did not name the principal, the event's
	// other members did (completeFromEvent), so events of the same
	// userIdentity may differ.
	namedByEvent bool
}

// ParseEvent reads the parts of a parsed CloudTrail record that identity
// needs. It never fails; what is missing stays empty.
func ParseEvent(v *fastjson.Value) Event { return parseEvent(v, nil) }

// FromRecord is ParseEvent of a decoded record.
func FromRecord(rec *cloudtrail.Record) Event { return ParseEvent(rec.JSON) }

// Parser is ParseEvent for a stream of records: it reuses the strings of
// values it has read before (accounts, ARNs, names, access keys, event
// names), so that events share them instead of each allocating its own.
// Its results equal ParseEvent's. The zero value is ready; one goroutine
// uses a Parser.
type Parser struct {
	strs map[string]string
}

// Parse is ParseEvent(v).
func (p *Parser) Parse(v *fastjson.Value) Event { return parseEvent(v, p) }

// maxInterned bounds the strings a Parser keeps: past it they are
// forgotten, so that a stream of distinct values cannot grow it.
// maxInternedLen leaves out long values, rarely repeated.
const (
	maxInterned    = 1 << 14
	maxInternedLen = 256
)

// str is string(b), the one seen before when there is one. A nil p
// allocates every time.
func (p *Parser) str(b []byte) string {
	if p == nil || len(b) == 0 || len(b) > maxInternedLen {
		return string(b)
	}
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	if p.strs == nil {
		p.strs = make(map[string]string)
	} else if len(p.strs) >= maxInterned {
		clear(p.strs)
	}
	s := string(b)
	p.strs[s] = s
	return s
}

// text is the package's text of v (see text), through p's strings.
func (p *Parser) text(v *fastjson.Value) string {
	if v != nil && v.Type() == fastjson.TypeString {
		b, _ := v.StringBytes()
		return p.str(b)
	}
	return text(v)
}

// parseEvent is ParseEvent with strings from ps (nil: none). Like
// Normalize it looks each member up in the order ParseEvent always has:
// fastjson unescapes an object's keys at its first missed lookup, which
// can change what later lookups of a key find when the keys have escapes.
func parseEvent(v *fastjson.Value, ps *Parser) Event { return parseEventWith(v, ps, nil) }

// parseEventWith is parseEvent, taking the principal from ui when it is
// not nil: normalizeIdentity of the record's userIdentity, known already.
func parseEventWith(v *fastjson.Value, ps *Parser, ui *Principal) Event {
	var ev Event
	ev.ID = text(get(v, "eventID")) // unique: not worth remembering
	ev.Name = ps.text(get(v, "eventName"))
	ev.Source = ps.text(get(v, "eventSource"))
	ev.Region = ps.text(get(v, "awsRegion"))
	ev.AccountID = ps.text(get(v, "recipientAccountId"))
	ev.ErrorCode = ps.text(get(v, "errorCode"))
	ev.TimeText = text(get(v, "eventTime"))
	ev.RequestedSourceIdentity = ps.text(get(get(v, "requestParameters"), "sourceIdentity"))
	if ev.TimeText == "" {
		ev.TimeText = text(v, "@timestamp") // Logstash re-shipped records
	}
	if t, ok := parseTime(ev.TimeText); ok {
		ev.Time = t
	}
	if ui != nil {
		ev.Principal = *ui
	} else {
		ev.Principal = normalizeIdentity(get(v, "userIdentity"), ps)
	}
	ev.namedByEvent = ev.Principal.needsEvent()
	completeFromEvent(&ev.Principal, v, ps)
	if ev.ErrorCode == "" {
		ev.Issue = parseIssuance(v, ev.Name, ev.Time)
	}
	return ev
}

// PrincipalOnly reports that nothing of ev but its principal (and, for the
// time checks along a key chain, its time) goes into its Actor: it hands
// out no credentials, requests no source identity, and its principal is
// userIdentity's alone (no Identity Center user name taken from the
// event). Resolve then gives every such event with the same userIdentity
// the same origin, method, source identity and chain, so an input can be
// resolved once per principal instead of once per event. A console
// sign-in counts: what it adds from additionalEventData (MFAUsed, in
// Principal.MFA) is no part of the Actor.
func (ev *Event) PrincipalOnly() bool {
	// needsEvent too, for Events not made by a parse (namedByEvent unset).
	return ev.Issue == nil && ev.RequestedSourceIdentity == "" && !ev.namedByEvent && !ev.Principal.needsEvent()
}
