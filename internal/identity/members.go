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
	// principals remembers normalizeIdentity of userIdentity texts: a
	// trail repeats the same few principals, and the element is most of
	// what identity parses.
	principals map[string]Principal
}

// maxPrincipals bounds the principals a MemberParser remembers (past it
// they are forgotten); maxPrincipalText leaves out unusually long
// elements.
const (
	maxPrincipals    = 1 << 12
	maxPrincipalText = 4 << 10
)

// MemberKeys are the top-level members ParseEvent reads (but @timestamp,
// read only when eventTime is missing), in the order of the indexes Parse
// asks for them by.
var MemberKeys = [...]string{"eventID", "eventName", "eventSource", "awsRegion", "recipientAccountId", "errorCode",
	"eventTime", "userIdentity", "additionalEventData", "requestParameters", "responseElements"}

// Indexes into MemberKeys. The members up to mEventTime are the ones plain
// reads, in its order.
const (
	mEventID = iota
	mEventName
	mEventSource
	mAWSRegion
	mRecipientAccountID
	mErrorCode
	mEventTime
	mUserIdentity
	mAdditionalEventData
	mRequestParameters
	mResponseElements
)

// Parse returns ParseEvent of the record whose top-level member texts
// member gives, by index into MemberKeys (nil for a member the record does
// not have). It reports false when it cannot tell (eventTime missing or
// empty, or the texts are not JSON); the caller then parses the whole
// record.
func (mp *MemberParser) Parse(member func(i int) []byte) (Event, bool) {
	if t := member(mEventTime); len(t) <= len(`""`) || t[0] != '"' {
		return Event{}, false // ParseEvent might look for @timestamp
	}
	ui := member(mUserIdentity)
	known, isKnown := mp.principals[string(ui)]
	isKnown = isKnown && ui != nil
	// additionalEventData matters only for ConsoleLogin and for an
	// Identity Center user without a name (see completeFromEvent).
	needAED := !isKnown || known.needsEvent() || maybeConsoleLogin(member)
	re, rp := member(mResponseElements), member(mRequestParameters)
	issues := maybeIssues(re)
	needRP := rp != nil && (issues || maybeRequestsSourceIdentity(rp))
	if isKnown && !needAED && !issues && !needRP {
		if ev, ok := mp.plain(member, &known); ok {
			return ev, true
		}
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
	for i, k := range MemberKeys[:mAdditionalEventData+1] {
		switch {
		case i == mUserIdentity && isKnown, i == mAdditionalEventData && !needAED:
			continue
		}
		if t := member(i); t != nil {
			add(k, t)
		}
	}
	if issues {
		add(MemberKeys[mResponseElements], re)
	}
	if needRP {
		add(MemberKeys[mRequestParameters], rp)
	}
	b = append(b, '}')
	mp.buf = b
	v, err := mp.p.ParseBytes(b)
	if err != nil {
		return Event{}, false
	}
	switch {
	case isKnown:
		return parseEventWith(v, &mp.ps, &known), true
	case ui == nil || len(ui) > maxPrincipalText:
		return mp.ps.Parse(v), true
	}
	p := normalizeIdentity(get(v, "userIdentity"), &mp.ps)
	if mp.principals == nil {
		mp.principals = make(map[string]Principal)
	} else if len(mp.principals) >= maxPrincipals {
		clear(mp.principals)
	}
	mp.principals[string(ui)] = p
	return parseEventWith(v, &mp.ps, &p), true
}

// PrincipalOnly reports, without a parse, that nothing but its userIdentity
// can matter to the Actor of the record whose members member gives (as for
// MemberParser.Parse), provided its principal does not need the event
// (Event.PrincipalOnly of an event with the same userIdentity): the record
// hands out no credentials and requests no source identity. It may answer
// false for a record that is principal-only (a \u escape counts as a
// maybe), never true for one that is not.
func PrincipalOnly(member func(i int) []byte) bool {
	return !maybeIssues(member(mResponseElements)) && !maybeRequestsSourceIdentity(member(mRequestParameters))
}

// maybeConsoleLogin: the event name is ConsoleLogin, or escaped and so
// possibly ConsoleLogin.
func maybeConsoleLogin(member func(i int) []byte) bool {
	name := member(mEventName)
	return string(name) == `"ConsoleLogin"` || bytes.IndexByte(name, '\\') >= 0
}

// maybeIssues: responseElements may hold credentials or roleCredentials;
// a \u escape could spell any key, so it counts as a maybe.
func maybeIssues(re []byte) bool {
	return bytes.Contains(re, []byte("redentials")) || bytes.Contains(re, []byte(`\u`))
}

// maybeRequestsSourceIdentity: requestParameters may hold sourceIdentity.
func maybeRequestsSourceIdentity(rp []byte) bool {
	return bytes.Contains(rp, []byte("ourceIdentity")) || bytes.Contains(rp, []byte(`\u`))
}

// plain is Parse of an event whose principal is known and whose other
// members identity reads are absent or strings without escapes, read
// without a parse; false when they are not. The caller has made sure
// nothing else of the event changes the result (no credentials, no
// requested source identity, nothing completeFromEvent reads).
func (mp *MemberParser) plain(member func(i int) []byte, known *Principal) (Event, bool) {
	var vals [mEventTime + 1][]byte
	for i := range vals {
		t := member(i)
		if t == nil {
			continue
		}
		if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' || bytes.IndexByte(t, '\\') >= 0 {
			return Event{}, false
		}
		vals[i] = t[1 : len(t)-1]
	}
	ev := Event{
		ID: string(vals[0]), Name: mp.ps.str(vals[1]), Source: mp.ps.str(vals[2]), Region: mp.ps.str(vals[3]),
		AccountID: mp.ps.str(vals[4]), ErrorCode: mp.ps.str(vals[5]), TimeText: string(vals[6]),
		Principal: *known,
	}
	if t, ok := parseTime(ev.TimeText); ok {
		ev.Time = t
	}
	return ev, true
}
