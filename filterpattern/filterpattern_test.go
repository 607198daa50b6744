package filterpattern

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fastjson"
)

// The TestMetricFilter examples
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TestMetricFilter.html,
// as reproduced in amazonka-cloudwatch-logs and the 2020 user guide).
var apacheLines = []string{
	`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`,
	`127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`,
	`127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355`,
}

func TestExtractedValuesTestMetricFilterExamples(t *testing.T) {
	for _, c := range []struct {
		pattern, line string
		want          map[string]string // nil: no match
	}{
		{`[..., size]`, apacheLines[0], map[string]string{
			"$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700",
			"$5": "GET /apache_pb.gif HTTP/1.0", "$6": "200", "$size": "1534"}},
		{`[..., size]`, apacheLines[1], map[string]string{
			"$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:35:22 -0700",
			"$5": "GET /apache_pb.gif HTTP/1.0", "$6": "500", "$size": "5324"}},
		{`[ip, identity, user_id, timestamp, request, status_code, size]`, apacheLines[2], map[string]string{
			"$ip": "127.0.0.1", "$identity": "-", "$user_id": "frank", "$timestamp": "10/Oct/2000:13:50:35 -0700",
			"$request": "GET /apache_pb.gif HTTP/1.0", "$status_code": "200", "$size": "4355"}},
		{`[]`, apacheLines[1], map[string]string{
			"$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:35:22 -0700",
			"$5": "GET /apache_pb.gif HTTP/1.0", "$6": "500", "$7": "5324"}},
		{`[..., status_code=200, size]`, apacheLines[1], nil},
		{`[..., request=*.html*, status_code=4*,]`, `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`, map[string]string{
			"$status_code": "404", "$request": "GET /index.html HTTP/1.0", "$7": "1534",
			"$4": "10/Oct/2000:13:25:15 -0700", "$3": "frank", "$2": "-", "$1": "127.0.0.1"}},
		{`[..., request=*.html*, status_code=4*,]`, `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534`, nil},
		{`"[ERROR]" Exception`, `02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException`, map[string]string{}},
		{`{ $.eventType = "UpdateTrail" }`, `{"eventType":"UpdateTrail"}`, map[string]string{}},
		{`%Unhanded%`, `02 May 2014 00:34:16,142 [ERROR] Unhanded exception`, map[string]string{}},
		{``, `anything`, map[string]string{}},
	} {
		p := mustParse(t, c.pattern)
		ok, got := p.MatchExtract(&Event{Message: []byte(c.line)})
		if ok != (c.want != nil) || !maps.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("%s on %s:\n got %v %v\nwant %v", c.pattern, c.line, ok, got, c.want)
		}
		if ok != p.MatchString(c.line) {
			t.Errorf("%s: MatchExtract and Match disagree", c.pattern)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct {
		pattern string
		offset  int
		msg     string // substring of the message
	}{
		{`{ $.abcdef = && $.x = 1 }`, 13, `expected a value after "=", found "&&"`},
		{`{ $.a = 1`, 9, `expected "}" to close the "{" at column 1, found end of pattern`},
		{`{ eventName = CreateUser }`, 2, `expected a selector starting with "$.", found "eventName"`},
		{`{ $.a == 1 }`, 6, `"==" is not an operator; use "="`},
		{`{ $.a is null }`, 6, `keywords are upper case: write IS`},
		{`{ $.a IS NOT NULL }`, 9, `IS NOT is not supported`},
		{`{ $.a EXISTS }`, 6, `EXISTS is not supported; use $.a = * to test that a field exists`},
		{`{ $.a > abc }`, 8, `the operator ">" compares numbers; expected a number`},
		{`{ ($.a = 1 }`, 11, `expected ")" to close the "(" at column 3, found "}"`},
		{`{ $.a = "abc }`, 8, `unterminated quoted string`},
		{`{ $.a = 1 } extra`, 12, `unexpected "extra" after the closing "}"`},
		{`{ }`, 2, `expected a condition`},
		{`{ $.a@b = 1 }`, 5, `unexpected "@" in selector`},
		{`{ $.a[x] = 1 }`, 6, `expected an array index, "*" or a quoted key after "["`},
		{`{ $.a }`, 6, `expected an operator (=, !=, <, <=, >, >=, IS or NOT EXISTS) after $.a, found "}"`},
		{`{ $ = 1 }`, 3, `expected "." after "$"`},
		{`{ $.eventType = “AwsConsoleSignIn” }`, 16, `typographic quote "“" is not a quote in filter patterns; use the ASCII double quote`},
		{`%foo(bar)%`, 4, `"(" is not supported in a regular expression`},
		{`%café%`, 4, `multi-byte characters are not supported`},
		{`%a\qb%`, 2, `unsupported escape \q`},
		{`%a!%`, 2, `"!" is not supported in a regular expression`},
		{`{ $.a = %[a-z%  }`, 9, `invalid regular expression: missing closing ]`},
		{`ERROR %foo%`, 6, `must be the whole pattern`},
		{`ERROR -`, 6, `expected a term after "-"`},
		{`"ERROR`, 0, `unterminated quoted string`},
		{`[a, b`, 5, `expected "]" to close the "[" at column 1`},
		{`[a, ..., b, ...]`, 12, `"..." only once`},
		{`[a, ..., b, ... ]`, 12, `"..." only once`},
		{`[a = 1 && b = 2]`, 1, `must all name that field: found "a" and "b"`},
		{`[a, b > x]`, 8, `compares numbers`},
		{`[a b]`, 3, `expected an operator (=, !=, <, <=, >, >=), "," or "]" after field "a", found "b"`},
		{`[..., = 1]`, 6, `expected a field name`},
		{`[a, a]`, 0, `field name "a" is used twice`},
		{`[a] x`, 4, `unexpected "x" after the closing "]"`},
	} {
		_, err := Parse(c.pattern)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", c.pattern, err)
			continue
		}
		if se.Offset != c.offset || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Parse(%q):\n got %d: %s\nwant %d: ...%s...", c.pattern, se.Offset, se.Msg, c.offset, c.msg)
		}
		if want := fmt.Sprintf("filter pattern: column %d: ", c.offset+1); !strings.HasPrefix(se.Error(), want) {
			t.Errorf("Error() = %q, want prefix %q", se.Error(), want)
		}
	}
	_, err := Parse(`{ $.abcdef = && $.x = 1 }`)
	if got, want := err.Error(), `filter pattern: column 14: expected a value after "=", found "&&"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLimits(t *testing.T) {
	ok := func(pattern string) {
		t.Helper()
		if _, err := Parse(pattern); err != nil {
			t.Errorf("Parse(%.40q…): %v", pattern, err)
		}
	}
	bad := func(pattern string, offset int, msg string) {
		t.Helper()
		_, err := Parse(pattern)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != offset || !strings.Contains(se.Msg, msg) {
			t.Errorf("Parse(%.60q…) = %v, want error at %d containing %q", pattern, err, offset, msg)
		}
	}
	ok(strings.Repeat("a", MaxLength))
	bad(strings.Repeat("a", MaxLength+1), MaxLength, "the pattern is 1025 characters long; the limit is 1024 characters")
	ok(strings.Repeat("é", MaxLength)) // characters, not bytes
	bad(`{ $.a = 1 && `+strings.Repeat(" ", MaxLength)+`}`, MaxLength, "limit is 1024")

	ok(`{ $.a = %x% || $.b = %y% }`)
	bad(`{ $.a = %x% || $.b = %y% || $.c = %z% }`, 34, "at most 2 regular expressions")
	bad(`[a=%x%, b=%y%, c=%z%]`, 17, "at most 2 regular expressions")
	ok(`%a|b|c%`)

	ok(`{ $.a[*] = 1 || $.b.* = 1 || $.c[*].d = 1 }`)
	bad(`{ $.a[*].b[*] = 1 }`, 10, "at most 1 wildcard")
	bad(`{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 || $.d.* = 1 }`, 44, "at most 3 wildcard selectors")
}

func TestStringRoundTrip(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, ``},
		{`" "`, ``},
		{`ERROR`, `ERROR`},
		{`?ERROR ?WARN`, `?ERROR ?WARN`},
		{`ERROR - "bad thing"`, `ERROR -"bad thing"`},
		{`"[ERROR]" Exception`, `"[ERROR]" Exception`},
		{`"say \"hi\""`, `"say \"hi\""`},
		{`%AUTHORIZED%`, `%AUTHORIZED%`},
		{` %^starting|^shutting down% `, `%^starting|^shutting down%`},
		{`{$.eventName=CreateUser}`, `{ $.eventName = "CreateUser" }`},
		{`{($.a=1)&&(($.b=2)||($.c=3))}`, `{ $.a = 1 && ($.b = 2 || $.c = 3) }`},
		{`{ ($.a = 1 || $.b = 2) && $.c NOT EXISTS }`, `{ ($.a = 1 || $.b = 2) && $.c NOT EXISTS }`},
		{`{ $.a = 1 || $.b = 2 && $.c IS NULL }`, `{ $.a = 1 || $.b = 2 && $.c IS NULL }`},
		{`{ $.['cluster.name'] = "c" }`, `{ $.['cluster.name'] = "c" }`},
		{`{ $.["it's"] = 1 }`, `{ $.["it's"] = 1 }`},
		{`{ $.a['b'].c = 1 }`, `{ $.a.b.c = 1 }`},
		{`{ $.a[0][1] = 10e3 && $.b > +1000 }`, `{ $.a[0][1] = 10e3 && $.b > +1000 }`},
		{`{ $.x = "*" }`, `{ $.x = * }`},
		{`{ $.sourceIPAddress != 123.123.* }`, `{ $.sourceIPAddress != "123.123.*" }`},
		{`{ $.* = %111\.1[0-9]{1,2}% }`, `{ $.* = %111\.1[0-9]{1,2}% }`},
		{`{ $.ThisFlag IS TRUE }`, `{ $.ThisFlag IS TRUE }`},
		{`[..., request=*.html*, status_code=4*,]`, `[..., request = "*.html*", status_code = "4*", ]`},
		{`[w1=ERROR || w1=%WARN%, w2]`, `[w1 = "ERROR" || w1 = %WARN%, w2]`},
		{`[ ]`, `[]`},
		{`[,a,]`, `[, a, ]`},
	} {
		p := mustParse(t, c.in)
		if got := p.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
		q := mustParse(t, p.String())
		if q.String() != p.String() || q.Kind() != p.Kind() {
			t.Errorf("%q: not a fixed point: %q (%v) then %q (%v)", c.in, p.String(), p.Kind(), q.String(), q.Kind())
		}
	}
	// Every conformance pattern prints to a fixed point.
	for _, v := range loadVectors(t) {
		p := mustParse(t, v.Pattern)
		if q := mustParse(t, p.String()); q.String() != p.String() {
			t.Errorf("%q: %q then %q", v.Pattern, p.String(), q.String())
		}
	}
}

func TestKindAndNeedsJSON(t *testing.T) {
	for pattern, want := range map[string]Kind{
		``: MatchAll, `" "`: MatchAll, `ERROR`: Terms, `%x%`: Regex, ` {$.a=1} `: JSON, `[a]`: SpaceDelimited, `"{x"`: Terms,
	} {
		p := mustParse(t, pattern)
		if p.Kind() != want || p.NeedsJSON() != (want == JSON) {
			t.Errorf("%q: Kind %v NeedsJSON %v, want %v", pattern, p.Kind(), p.NeedsJSON(), want)
		}
	}
	if JSON.String() != "JSON" || SpaceDelimited.String() != "space-delimited" || Kind(9).String() != "Kind(9)" {
		t.Error("Kind.String")
	}
}

func TestExtraOverlay(t *testing.T) {
	var ps, pe, pn fastjson.Parser
	extra, err := pe.Parse(`{"trailwatch":{"origin":{"name":"alice","type":"IAMUser"}},"eventName":"Shadowed"}`)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(roleEvent)
	jv, err := ps.ParseBytes(msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pattern       string
		without, with bool
	}{
		{`{ $.trailwatch.origin.name = alice }`, false, true},
		{`{ $.trailwatch.origin.name = bob }`, false, false},
		{`{ $.trailwatch NOT EXISTS }`, true, false},
		{`{ $.eventName = Shadowed }`, false, true}, // Extra's keys come first
		{`{ $.eventName = PutRolePolicy }`, true, false},
		{`{ $.eventSource = "iam.amazonaws.com" }`, true, true}, // other keys still come from the message
		{`{ $.trailwatch.* = IAMUser }`, false, false},          // not a scalar: origin is an object
		{`{ $.trailwatch.origin.* = IAMUser }`, false, true},
		{`{ $.* = Shadowed }`, false, true},
		{`{ $.* = PutRolePolicy }`, true, false}, // shadowed top-level values are not visited
	} {
		p := mustParse(t, c.pattern)
		for _, pre := range []*fastjson.Value{nil, jv} {
			if got := p.Match(&Event{Message: msg, JSON: pre}); got != c.without {
				t.Errorf("%s without Extra (pre-parsed %v) = %v, want %v", c.pattern, pre != nil, got, c.without)
			}
			if got := p.Match(&Event{Message: msg, JSON: pre, Extra: extra}); got != c.with {
				t.Errorf("%s with Extra (pre-parsed %v) = %v, want %v", c.pattern, pre != nil, got, c.with)
			}
		}
	}
	// A message that is not a JSON object never matches, Extra or not.
	p := mustParse(t, `{ $.trailwatch.origin.name = alice }`)
	if p.Match(&Event{Message: []byte(`not json`), Extra: extra}) {
		t.Error("non-JSON message matched through Extra")
	}
	// An Extra that is not an object is ignored.
	notObj, _ := pn.Parse(`[1]`)
	if !mustParse(t, `{ $.eventName = PutRolePolicy }`).Match(&Event{Message: msg, Extra: notObj}) {
		t.Error("a non-object Extra hid the message")
	}
	if got, ok := p.Value(&Event{Message: msg, Extra: extra}, "$.trailwatch.origin.name"); !ok || got != "alice" {
		t.Errorf("Value through Extra = %q, %v", got, ok)
	}
}

func TestValue(t *testing.T) {
	js := mustParse(t, `{ $.latency = * }`)
	msg := `{"latency": 50, "requestType": "GET", "big": 1.50e2, "esc": "a\"b\u00e9", "obj": {"x": 1}, "arr": [1, 2], "nul": null, "yes": true, "list": [{"id": 7}]}`
	e := &Event{Message: []byte(msg)}
	for ref, want := range map[string]string{
		"$.latency": "50", "$.requestType": "GET", "$.big": "1.50e2", "$.esc": `a"bé`, "$.yes": "true",
		"$.list[0].id": "7", "1": "1", "0.5": "0.5",
	} {
		if got, ok := js.Value(e, ref); !ok || got != want {
			t.Errorf("Value(%s) = %q, %v; want %q", ref, got, ok, want)
		}
	}
	for _, ref := range []string{"$.missing", "$.obj", "$.arr", "$.nul", "$.list[*].id", "$size", "$7", "$.", "latency", "$.latency x"} {
		if got, ok := js.Value(e, ref); ok {
			t.Errorf("Value(%s) = %q, want no value", ref, got)
		}
	}
	line := &Event{Message: []byte(`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`)}
	named := mustParse(t, `[ip, user, username, timestamp, request, status_code, size]`)
	ellipsis := mustParse(t, `[..., status_code, size]`)
	for _, p := range []*Pattern{named, ellipsis} {
		for ref, want := range map[string]string{"$size": "1534", "$7": "1534", "$status_code": "404", "$5": "GET /index.html HTTP/1.0", "$1": "127.0.0.1"} {
			if got, ok := p.Value(line, ref); !ok || got != want {
				t.Errorf("%s: Value(%s) = %q, %v; want %q", p, ref, got, ok, want)
			}
		}
		for _, ref := range []string{"$8", "$0", "$nope", "$.size", "$"} {
			if got, ok := p.Value(line, ref); ok {
				t.Errorf("%s: Value(%s) = %q, want no value", p, ref, got)
			}
		}
	}
	if _, ok := named.Value(&Event{Message: []byte("too few fields")}, "$size"); ok {
		t.Error("Value on a line that does not fit")
	}
	if _, ok := mustParse(t, "ERROR").Value(line, "$1"); ok {
		t.Error("Value of a field for a term pattern")
	}
}

func TestValidateMetricValue(t *testing.T) {
	js := mustParse(t, `{ $.latency = * }`)
	sp := mustParse(t, `[ip, user, ..., size]`)
	fixed := mustParse(t, `[a, b, c]`)
	terms := mustParse(t, `ERROR`)
	for _, c := range []struct {
		p    *Pattern
		ref  string
		want string // "" for valid, else a substring of the error
	}{
		{js, "$.latency", ""}, {js, "1", ""}, {js, "$.a[0].b", ""}, {js, "$.['x.y']", ""},
		{js, "$size", "JSON pattern"}, {js, "$.a[*]", "wildcard"}, {js, "$.a b", "unexpected"}, {js, "latency", "expected a number"},
		{js, "$.a..b", "expected a property name"},
		{sp, "$size", ""}, {sp, "$ip", ""}, {sp, "$7", ""}, {sp, "2", ""},
		{sp, "$nope", "no field named"}, {sp, "$.size", "space-delimited"},
		{fixed, "$3", ""}, {fixed, "$4", "only 3 fields"},
		{terms, "1", ""}, {terms, "$.x", "extracts no fields"}, {terms, "$1", "extracts no fields"},
	} {
		err := c.p.ValidateMetricValue(c.ref)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: ValidateMetricValue(%q) = %v", c.p, c.ref, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: ValidateMetricValue(%q) = %v, want an error containing %q", c.p, c.ref, err, c.want)
		}
	}
}

// TestMatchAllocs checks that matching allocates nothing once the JSON is
// parsed, for every kind of pattern the hot path runs.
func TestMatchAllocs(t *testing.T) {
	var ps fastjson.Parser
	jv, err := ps.Parse(roleEvent)
	if err != nil {
		t.Fatal(err)
	}
	e := &Event{Message: []byte(roleEvent), JSON: jv}
	line := &Event{Message: []byte(apacheLines[0])}
	for _, c := range []struct {
		pattern string
		ev      *Event
	}{
		{`PutRolePolicy -Describe`, e},
		{`{ ($.eventName = CreateUser) || ($.eventName = PutRolePolicy) }`, e},
		{`{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`, e},
		{seed001Pattern, e},
		{`{ $.recipientAccountId = 111122223333 && $.readOnly IS FALSE && $.userAgent = %Boto3% }`, e},
		{`{ $.userIdentity.sessionContext.* = %x% }`, e},
		{`[ip, user, username, timestamp, request = *gif*, status_code = 2* || status_code = 3*, bytes > 1000]`, line},
	} {
		p := mustParse(t, c.pattern)
		p.Match(c.ev)
		if n := testing.AllocsPerRun(200, func() { p.Match(c.ev) }); n != 0 {
			t.Errorf("%s: %v allocations per Match, want 0", c.pattern, n)
		}
	}
}

// TestConcurrentMatch runs one Pattern from many goroutines (run with -race).
func TestConcurrentMatch(t *testing.T) {
	p := mustParse(t, `{ ($.eventName = PutRolePolicy) && ($.userAgent = %Boto3%) && ($.userIdentity.sessionContext.sessionIssuer.userName = cm-*) }`)
	other := ev(t, "eventName", "Other")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ps fastjson.Parser
			for i := 0; i < 200; i++ {
				msg := roleEvent
				if i%2 == 1 {
					msg = other
				}
				want := i%2 == 0
				if p.MatchString(msg) != want {
					t.Error("wrong answer under concurrency (on-demand parse)")
					return
				}
				jv, _ := ps.Parse(msg)
				if p.Match(&Event{Message: []byte(msg), JSON: jv}) != want {
					t.Error("wrong answer under concurrency (pre-parsed)")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNilEvent(t *testing.T) {
	p := mustParse(t, "")
	if p.Match(nil) {
		t.Error("Match(nil)")
	}
	if ok, m := p.MatchExtract(nil); ok || m != nil {
		t.Error("MatchExtract(nil)")
	}
	if _, ok := p.Value(nil, "1"); ok {
		t.Error("Value(nil)")
	}
}

// TestRegexPrefilter checks that the literal prefilter never changes an answer.
func TestRegexPrefilter(t *testing.T) {
	inputs := []string{"", "a", "ab", "xxERRORxx", "error", "Fail now", "gray", "grey", "colour", "aaab", "abc", "xyz abcabc", "AccessDenied", "Client.UnauthorizedOperation", "[b]"}
	for _, src := range []string{`ERROR`, `[Ee]rror|[Ff]ail`, `gra|ey`, `colou?r`, `a{3,5}b`, `(?:x)`, `ab+c`, `AccessDenied|UnauthorizedOperation`, `^abc$`, `\[.\]`, `abc|x`, `xy*z`} {
		r, err := compileRegex(src, 0)
		if err != nil {
			continue // e.g. groups are rejected
		}
		plain := regexp.MustCompile(r.re.String())
		for _, in := range inputs {
			if got, want := r.match([]byte(in)), plain.MatchString(in); got != want {
				t.Errorf("%%%s%% on %q: %v, want %v (literals %q)", src, in, got, want, r.lits)
			}
		}
	}
}

func TestReadsRoot(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    bool
	}{
		{`{ $.trailwatch.origin.name = alice }`, true},
		{`{ ($.eventName = X) || ($.trailwatch.method = key-chain) }`, true},
		{`{ $.* = X }`, true},
		{`{ $.eventName = X }`, false},
		{`{ $.a.trailwatch = X }`, false},
		{`trailwatch`, false},
		{`[a, b = trailwatch]`, false},
		{``, false},
	} {
		if got := mustParse(t, c.pattern).ReadsRoot("trailwatch"); got != c.want {
			t.Errorf("%s: ReadsRoot = %v, want %v", c.pattern, got, c.want)
		}
	}
}

// TestRequiredStrings: the set must be implied by the pattern, never
// narrower than what it matches (checked against Match below).
func TestRequiredStrings(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    []string // nil: not ok
	}{
		{`{ $.eventName = PutRolePolicy }`, []string{"PutRolePolicy"}},
		{`{ ($.eventName = A) || ($.eventName = "B") }`, []string{"A", "B"}},
		{`{ ($.eventName = A) && ($.errorCode = "x") }`, []string{"A"}},
		{`{ (($.eventName = A) || ($.eventName = B)) && ($.eventName = A) }`, []string{"A"}},
		{seed001Pattern, []string{"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
			"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
			"AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"}},
		{`{ ($.eventName = A) || ($.errorCode = x) }`, nil},
		{`{ $.eventName = A* }`, nil},
		{`{ $.eventName = *A }`, nil},
		{`{ $.eventName != A }`, nil},
		{`{ $.eventName = 1 }`, nil},
		{`{ $.eventName = %A% }`, nil},
		{`{ $.a.eventName = A }`, nil},
		{`{ $.* = A }`, nil},
		{`eventName`, nil},
		{`[a = A]`, nil},
	} {
		got, ok := mustParse(t, c.pattern).RequiredStrings("eventName")
		if (c.want == nil) != !ok || strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: RequiredStrings = %v, %v; want %v", c.pattern, got, ok, c.want)
		}
	}
}

// FuzzRequiredStrings checks the index never drops a match: whenever a
// pattern matches an event whose eventName is a string, that string is in
// the pattern's required set.
func FuzzRequiredStrings(f *testing.F) {
	addSeeds(f, true)
	f.Add(`{ ($.eventName = A) || ($.eventName = "B") }`, `{"eventName":"B"}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		set, ok := p.RequiredStrings("eventName")
		if !ok {
			return
		}
		v, err := fastjson.Parse(event)
		if err != nil {
			return
		}
		name := v.Get("eventName")
		if name == nil || name.Type() != fastjson.TypeString || !p.Match(&Event{Message: []byte(event), JSON: v}) {
			return
		}
		s, _ := name.StringBytes()
		for _, x := range set {
			if x == string(s) {
				return
			}
		}
		t.Fatalf("%q matches %q but its required set %q lacks %q", pattern, event, set, s)
	})
}
