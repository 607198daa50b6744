package filterpattern

import (
	"testing"

	"github.com/valyala/fastjson"
)

// BenchmarkMatch measures one Match on a realistic CloudTrail record (roleEvent,
// about 1.5 KB compact) or an Apache access-log line. "json" variants supply
// the pre-parsed value, as the CLI does; "parse" variants let the Pattern
// parse the message (the cost of fastjson included).
func BenchmarkMatch(b *testing.B) {
	var ps fastjson.Parser
	jv, err := ps.Parse(roleEvent)
	if err != nil {
		b.Fatal(err)
	}
	ct := &Event{Message: []byte(roleEvent), JSON: jv}
	ctParse := &Event{Message: []byte(roleEvent)}
	line := &Event{Message: []byte(`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`)}
	for _, c := range []struct {
		name, pattern string
		ev            *Event
	}{
		{"terms", `PutRolePolicy -DescribeTrails`, ct},
		{"terms-miss", `"AccessDenied"`, ct},
		{"json-or2/json", `{ ($.eventName = CreateUser) || ($.eventName = PutRolePolicy) }`, ct},
		{"json-or2/parse", `{ ($.eventName = CreateUser) || ($.eventName = PutRolePolicy) }`, ctParse},
		{"cis-unauthorized/json", `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`, ct},
		{"cis-unauthorized/parse", `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`, ctParse},
		{"seed001/json", seed001Pattern, ct},
		{"space-delimited", `[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]`, line},
		{"regex", `%AccessDenied|UnauthorizedOperation%`, ct},
	} {
		p := mustParse(b, c.pattern)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.ev.Message)))
			for b.Loop() {
				p.Match(c.ev)
			}
		})
	}
}
