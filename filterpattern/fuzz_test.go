package filterpattern

import (
	"errors"
	"maps"
	"testing"

	"github.com/valyala/fastjson"
)

// fuzzEvents are the sample events a fuzzed pattern and its canonical form
// must agree on.
var fuzzEvents = []string{
	roleEvent,
	consoleSignIn,
	`{"eventType":"UpdateTrail","sourceIPAddress":"111.111.111.111","arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],"SomeObject":null,"ThisFlag":true,"cluster.name":"c","n":-1.5e3,"s":"a\"b"}`,
	`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`,
	`[ERROR 400] BAD REQUEST`,
	`ERROR WARN message`,
	``,
	`{}`,
}

func addSeeds(f *testing.F, withEvent bool) {
	vs := loadVectors(f)
	for _, v := range vs {
		if withEvent {
			f.Add(v.Pattern, v.Event)
		} else {
			f.Add(v.Pattern)
		}
	}
	for _, p := range []string{seed001Pattern, `{ $.a[*].b = %x% || $.['k.y'] NOT EXISTS }`, `[a, ..., b = 1 && b != 2,]`, `?x -"y z" *`, `%a{,3}\x41%`} {
		if withEvent {
			f.Add(p, roleEvent)
		} else {
			f.Add(p)
		}
	}
}

// FuzzParse checks that Parse never panics, that errors are *SyntaxError with
// an offset inside the pattern, and that a parsed pattern's canonical form
// parses to a pattern that matches the same sample events.
func FuzzParse(f *testing.F) {
	addSeeds(f, false)
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := Parse(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", pattern, err, err)
			}
			if se.Offset < 0 || se.Offset > len(pattern) {
				t.Fatalf("Parse(%q): offset %d outside the pattern", pattern, se.Offset)
			}
			return
		}
		s := p.String()
		if len(s) > MaxLength {
			return // quoting can lengthen the canonical form past the limit
		}
		q, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", pattern, s, err)
		}
		if q.String() != s || q.Kind() != p.Kind() {
			t.Fatalf("%q: String %q (%v) reparses as %q (%v)", pattern, s, p.Kind(), q.String(), q.Kind())
		}
		for _, e := range fuzzEvents {
			if a, b := p.MatchString(e), q.MatchString(e); a != b {
				t.Fatalf("%q and its String %q disagree on %q: %v vs %v", pattern, s, e, a, b)
			}
		}
	})
}

// FuzzMatch checks that matching never panics and that Match, MatchExtract
// and matching with a pre-parsed JSON value agree.
func FuzzMatch(f *testing.F) {
	addSeeds(f, true)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		e := &Event{Message: []byte(event)}
		got := p.Match(e)
		ok, m := p.MatchExtract(e)
		if ok != got || (m == nil) == ok {
			t.Fatalf("%q on %q: Match %v, MatchExtract %v %v", pattern, event, got, ok, m)
		}
		var ps fastjson.Parser
		if jv, err := ps.Parse(event); err == nil {
			if pre := p.Match(&Event{Message: e.Message, JSON: jv}); pre != got {
				t.Fatalf("%q on %q: on-demand %v, pre-parsed %v", pattern, event, got, pre)
			}
		}
		if ok {
			for k := range maps.Keys(m) {
				p.Value(e, k)
			}
		}
		p.Value(e, "$.a")
		p.Value(e, "$1")
		_ = p.ValidateMetricValue("$.a[0]")
	})
}
