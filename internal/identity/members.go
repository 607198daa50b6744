package identity

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// MemberParser reads events from the texts of their top-level members
// instead of a parse of the whole record: it parses only the members
// identity reads, and requestParameters and responseElements only when
// they can hold what it reads there (credentials, a source identity),
// which is rare. The result is ParseEvent's; its strings come from a
// Parser. One goroutine uses it.
type MemberParser struct {
	buf []byte
	p   fastjson.Parser
	ps  Parser
}

// memberKeys are the top-level members ParseEvent reads (but @timestamp,
// read only when eventTime is missing).
var memberKeys = [...]string{"eventID", "eventName", "eventSource", "awsRegion", "recipientAccountId", "errorCode",
	"eventTime", "userIdentity", "additionalEventData"}

// Parse returns ParseEvent of the record whose top-level member texts
// member gives (nil for a member the record does not have). It reports
// false when it cannot tell (eventTime missing or empty, or the texts are
// not JSON); the caller then parses the whole record.
func (mp *MemberParser) Parse(member func(key string) []byte) (Event, bool) {
	if t := member("eventTime"); len(t) <= len(`""`) || t[0] != '"' {
		return Event{}, false // ParseEvent might look for @timestamp
	}
	b := append(mp.buf[:0], '{')
	add := func(key string, text []byte) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":`...)
		b = append(b, text...)
	}
	for _, k := range memberKeys {
		if t := member(k); t != nil {
			add(k, t)
		}
	}
	// responseElements matters when it holds credentials or
	// roleCredentials, requestParameters then or for sourceIdentity; a
	// \u escape could spell any key, so it counts as a maybe.
	re := member("responseElements")
	issues := bytes.Contains(re, []byte("redentials")) || bytes.Contains(re, []byte(`\u`))
	if issues {
		add("responseElements", re)
	}
	if rp := member("requestParameters"); rp != nil &&
		(issues || bytes.Contains(rp, []byte("ourceIdentity")) || bytes.Contains(rp, []byte(`\u`))) {
		add("requestParameters", rp)
	}
	b = append(b, '}')
	mp.buf = b
	v, err := mp.p.ParseBytes(b)
	if err != nil {
		return Event{}, false
	}
	return mp.ps.Parse(v), true
}
