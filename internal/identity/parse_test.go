package identity

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// TestLookupOrder: fastjson unescapes an object's keys at its first missed
// lookup, so with duplicate keys, one of them escaped, what a lookup finds
// depends on the lookups before it. ParseEvent and Parser keep the order
// of lookups that decided these results.
func TestLookupOrder(t *testing.T) {
	const rec = `{"eventID":"1","eventName":"A","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"type":"IAMUser","arn":"a","accountId":"1",` +
		`"principalId":"p","userName":"u","accessKeyId":"k","invokedBy":"i","invokedByDelegate":{},` +
		`"session\u0043ontext":{"attributes":{"creationDate":"2025-01-01T00:00:00Z"}},` +
		`"sessionContext":{"sourceIdentity":"s","attributes":{"mfaAuthenticated":"true"}}}}`
	var ps Parser
	for _, parse := range []func(*fastjson.Value) Event{ParseEvent, ps.Parse} {
		v := fastjson.MustParse(rec)
		p := parse(v).Principal
		if !p.MFA || p.SourceIdentity != "s" || !p.SessionCreated.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%+v", p)
		}
	}
}
