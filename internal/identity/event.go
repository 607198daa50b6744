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
}

// ParseEvent reads the parts of a parsed CloudTrail record that identity
// needs. It never fails; what is missing stays empty.
func ParseEvent(v *fastjson.Value) Event {
	ev := Event{
		ID:        text(v, "eventID"),
		Name:      text(v, "eventName"),
		Source:    text(v, "eventSource"),
		Region:    text(v, "awsRegion"),
		AccountID: text(v, "recipientAccountId"),
		ErrorCode: text(v, "errorCode"),
		TimeText:  text(v, "eventTime"),

		RequestedSourceIdentity: text(v, "requestParameters", "sourceIdentity"),
	}
	if ev.TimeText == "" {
		ev.TimeText = text(v, "@timestamp") // Logstash re-shipped records
	}
	if t, ok := parseTime(ev.TimeText); ok {
		ev.Time = t
	}
	ev.Principal = Normalize(v)
	if ev.ErrorCode == "" {
		ev.Issue = parseIssuance(v, ev.Name, ev.Time)
	}
	return ev
}

// FromRecord is ParseEvent of a decoded record.
func FromRecord(rec *cloudtrail.Record) Event { return ParseEvent(rec.JSON) }
