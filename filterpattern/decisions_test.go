package filterpattern

import (
	"errors"
	"strings"
	"testing"
)

// Each test here pins one decision recorded in docs/filterpattern.md, where
// the evidence is cited. The test names are referenced from that document.

// §8.1: != on a missing field is false, like every comparison on a missing
// field; NOT EXISTS is the way to include events without the field.
func TestDecisionNotEqualOnMissingFieldIsFalse(t *testing.T) {
	if notEqualMatchesMissing {
		t.Fatal("notEqualMatchesMissing changed: update docs/filterpattern.md and this test")
	}
	checkMatches(t, `{ $.user.username = "gonbe" && $.user.phone != "08000000000" }`, []matchCase{
		{"phone present and different", `{"user":{"username":"gonbe","phone":"08012345678"}}`, true},
		{"phone missing", `{"user":{"username":"gonbe"}}`, false},
		{"phone equal", `{"user":{"username":"gonbe","phone":"08000000000"}}`, false},
	})
	checkMatches(t, `{ ($.user.phone != "08000000000") || ($.user.phone NOT EXISTS) }`, []matchCase{
		{"phone missing", `{"user":{"username":"gonbe"}}`, true},
		{"user missing", `{}`, true},
	})
	checkMatches(t, `{ $.a.b != 1 }`, []matchCase{
		{"parent missing", `{"x":1}`, false},
		{"parent is a string", `{"a":"s"}`, false},
		{"object", `{"a":{"b":{}}}`, false},
		{"array", `{"a":{"b":[2]}}`, false},
		{"null", `{"a":{"b":null}}`, true},
	})
}

// §8.2: a space-delimited pattern without "..." needs exactly as many fields
// as it names.
func TestDecisionSpaceDelimitedExactFieldCount(t *testing.T) {
	line := `ERROR 09/25/2014 12:00:02 Failed to process request`
	checkMatches(t, `[w1=ERROR, w2]`, []matchCase{
		{"six fields", line, false},
		{"two fields", `ERROR message`, true},
		{"one field", `ERROR`, false},
	})
	checkMatches(t, `[w1=ERROR, ...]`, []matchCase{{"six fields with ...", line, true}})
	checkMatches(t, `[w1=ERROR, w2, ...]`, []matchCase{{"at least two fields", `ERROR message`, true}})
}

// "..." may stand for no field at all.
func TestDecisionEllipsisMatchesZeroFields(t *testing.T) {
	checkMatches(t, `[a, ..., b]`, []matchCase{
		{"two fields", `x y`, true},
		{"one field", `x`, false},
	})
	checkMatches(t, `[...]`, []matchCase{{"empty line", ``, true}})
}

// §8.3: * is a wildcard only at the start or end of a value, in JSON and
// space-delimited patterns alike.
func TestDecisionMidStringStarIsLiteral(t *testing.T) {
	checkMatches(t, `{ $.eventName = "Ev*ent" }`, []matchCase{
		{"literal star", `{"eventName":"Ev*ent"}`, true},
		{"would match a wildcard", `{"eventName":"EvXent"}`, false},
	})
	checkMatches(t, `{ $.eventName = *Ev*ent* }`, []matchCase{
		{"contains Ev*ent", `{"eventName":"PutEv*entX"}`, true},
		{"contains Event", `{"eventName":"PutEventX"}`, false},
	})
	checkMatches(t, `[a = "x*y"]`, []matchCase{
		{"literal", `x*y`, true},
		{"wildcard reading", `xzzy`, false},
	})
}

// §8.4: numbers and strings. A number literal compares numerically with JSON
// numbers and with strings holding a number; a string literal compares with
// the text of the value.
func TestDecisionNumberAgainstStringValue(t *testing.T) {
	checkMatches(t, `{ $.recipientAccountId = 111122223333 }`, []matchCase{
		{"CloudTrail account ID (a string)", roleEvent, true},
		{"other account", ev(t, "recipientAccountId", "444455556666"), false},
		{"as a number", `{"recipientAccountId":111122223333}`, true},
	})
	checkMatches(t, `{ $.errorCode = 400 }`, []matchCase{
		{"number", `{"errorCode":400}`, true},
		{"string", `{"errorCode":"400"}`, true},
		{"1e+3 style", `{"errorCode":4e2}`, true},
		{"not a number", `{"errorCode":"AccessDenied"}`, false},
		{"bool", `{"errorCode":true}`, false},
	})
	checkMatches(t, `{ $.errorCode != 400 }`, []matchCase{
		{"not a number", `{"errorCode":"AccessDenied"}`, true},
		{"equal string", `{"errorCode":"400"}`, false},
	})
	checkMatches(t, `{ $.status > 399 }`, []matchCase{
		{"number", `{"status":404}`, true},
		{"numeric string", `{"status":"404"}`, true},
		{"text", `{"status":"four"}`, false},
		{"null", `{"status":null}`, false},
	})
	checkMatches(t, `{ $.errorCode = "400" }`, []matchCase{
		{"string", `{"errorCode":"400"}`, true},
		{"number as written", `{"errorCode":400}`, true},
		{"number written otherwise", `{"errorCode":4e2}`, false},
	})
	checkMatches(t, `{ $.status = 4* }`, []matchCase{
		{"number prefix", `{"status":404}`, true},
		{"other number", `{"status":200}`, false},
	})
	checkMatches(t, `{ $.n = 1e+3 && $.m = -0.5 && $.k < 10e-3 }`, []matchCase{
		{"scientific", `{"n":1000,"m":-5e-1,"k":0.001}`, true},
	})
}

// §8.5: NOT EXISTS is false for a key whose value is null, and a JSON pattern,
// NOT EXISTS included, never matches a message that is not a JSON object.
func TestDecisionNotExistsOnNullAndNonJSON(t *testing.T) {
	checkMatches(t, `{ $.SomeObject NOT EXISTS }`, []matchCase{
		{"null value", `{"SomeObject":null}`, false},
		{"missing", `{"Other":1}`, true},
		{"not JSON", `SomeObject missing here`, false},
		{"JSON array", `[{"a":1}]`, false},
		{"empty message", ``, false},
	})
	checkMatches(t, `{ $.SomeObject IS NULL }`, []matchCase{
		{"null", `{"SomeObject":null}`, true},
		{"string null", `{"SomeObject":"null"}`, false},
		{"missing", `{}`, false},
	})
}

// §8.9: a text prefix before the JSON (as Lambda writes) is not JSON.
func TestDecisionTextPrefixedJSONDoesNotMatch(t *testing.T) {
	checkMatches(t, `{ $.level = "ERROR" }`, []matchCase{
		{"JSON", `{"level":"ERROR"}`, true},
		{"prefixed", `2024-01-01T00:00:00Z 1f2e INFO {"level":"ERROR"}`, false},
		{"suffixed", `{"level":"ERROR"} trailing`, false},
	})
}

// §8.6: a wildcard selector is existential for every operator, != included.
func TestDecisionWildcardSelectorIsExistential(t *testing.T) {
	checkMatches(t, `{ $.arrayKey[*] != "value" }`, []matchCase{
		{"one element differs", `{"arrayKey":["value","another value"]}`, true},
		{"all equal", `{"arrayKey":["value"]}`, false},
		{"empty array", `{"arrayKey":[]}`, false},
		{"not an array", `{"arrayKey":"value2"}`, false},
	})
	checkMatches(t, `{ $.arrayKey[*] = %val.{2}% }`, []matchCase{
		{"doc example", `{"arrayKey":["value","another value"]}`, true},
	})
	checkMatches(t, `{ $.objectList[*].id = 2 }`, []matchCase{
		{"second element", `{"objectList":[{"id":1},{"id":2}]}`, true},
		{"none", `{"objectList":[{"id":1},{"x":2}]}`, false},
	})
	checkMatches(t, `{ $.* = UpdateTrail }`, []matchCase{
		{"top level", `{"a":1,"eventType":"UpdateTrail"}`, true},
		{"nested only: $.* does not recurse", `{"a":{"eventType":"UpdateTrail"}}`, false},
	})
	checkMatches(t, `{ $.tags.* NOT EXISTS }`, []matchCase{
		{"empty object", `{"tags":{}}`, true},
		{"one tag", `{"tags":{"k":"v"}}`, false},
	})
}

// §8.7: terms. Unquoted punctuation is literal; a * at either end of a term
// is a no-op (terms are substrings), a term of only * matches every event; a
// * inside a term is literal.
func TestDecisionTermPunctuationAndStar(t *testing.T) {
	checkMatches(t, `user@example.com`, []matchCase{
		{"literal", `login by user@example.com ok`, true},
		{"not a pattern", `login by userXexample.com ok`, false},
	})
	checkMatches(t, `*`, []matchCase{{"anything", `x`, true}, {"empty", ``, true}})
	checkMatches(t, `ERR*`, []matchCase{{"prefix", `an ERROR`, true}, {"absent", `warn`, false}})
	checkMatches(t, `E*R`, []matchCase{{"literal", `E*R`, true}, {"wildcard reading", `EOR`, false}})
	checkMatches(t, `#Cloud a.b`, []matchCase{{"both", `x #Cloud y a.b`, true}, {"one", `#Cloud`, false}})
	checkMatches(t, `-"bad thing"`, []matchCase{{"absent", `good thing`, true}, {"present", `a bad thing`, false}})
}

// The ? terms are ignored when combined with plain or - terms.
func TestDecisionOptionalTermsIgnoredWhenCombined(t *testing.T) {
	checkMatches(t, `?ERROR -WARN`, []matchCase{
		{"neither", `INFO ok`, true},
		{"both", `ERROR WARN`, false},
	})
	checkMatches(t, `?ERROR ?ARGUMENTS REQUEST`, []matchCase{{"only REQUEST counts", `[INFO] REQUEST FAILED`, true}})
	checkMatches(t, `?ERROR ?WARN`, []matchCase{{"neither", `INFO`, false}, {"one", `WARN`, true}})
}

// §8.8: keywords are upper case; `= true` is an ordinary string comparison
// with the value's text, while IS TRUE wants the JSON boolean.
func TestDecisionKeywordCaseAndBooleans(t *testing.T) {
	for _, pattern := range []string{`{ $.a is null }`, `{ $.a IS null }`, `{ $.a not exists }`, `{ $.a NOT exists }`, `{ $.a Is TRUE }`} {
		_, err := Parse(pattern)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "upper case") {
			t.Errorf("Parse(%q) = %v, want an upper-case keyword error", pattern, err)
		}
	}
	checkMatches(t, `{ $.ThisFlag = true }`, []matchCase{
		{"boolean", `{"ThisFlag":true}`, true},
		{"string", `{"ThisFlag":"true"}`, true},
		{"false", `{"ThisFlag":false}`, false},
	})
	checkMatches(t, `{ $.ThisFlag IS TRUE }`, []matchCase{
		{"boolean", `{"ThisFlag":true}`, true},
		{"string", `{"ThisFlag":"true"}`, false},
	})
	checkMatches(t, `{ $.x = * }`, []matchCase{
		{"string", `{"x":"s"}`, true}, {"number", `{"x":1}`, true}, {"bool", `{"x":false}`, true},
		{"null", `{"x":null}`, true}, {"object", `{"x":{}}`, false}, {"missing", `{}`, false},
	})
}

// §8.10: `" "` matches every event, spaces or not.
func TestDecisionQuotedSpaceMatchesAll(t *testing.T) {
	checkMatches(t, `" "`, []matchCase{{"no space", `nospace`, true}, {"empty", ``, true}})
	checkMatches(t, `"  "`, []matchCase{{"no space", `nospace`, true}})
	// Combined with another term it is an ordinary phrase.
	checkMatches(t, `ERROR " "`, []matchCase{{"space", `ERROR x`, true}, {"no space", `ERROR`, false}})
}

// JSON patterns report no extracted values (TestMetricFilter: "If you are not
// using a space-delimited filter, this will be empty").
func TestDecisionJSONExtractedValuesAreEmpty(t *testing.T) {
	if jsonExtractsSelectors {
		t.Fatal("jsonExtractsSelectors changed: update docs/filterpattern.md and this test")
	}
	ok, m := mustParse(t, `{ $.latency = * }`).MatchExtract(&Event{Message: []byte(`{"latency": 50, "requestType": "GET"}`)})
	if !ok || m == nil || len(m) != 0 {
		t.Errorf("MatchExtract = %v, %v; want true and an empty map", ok, m)
	}
}

// Typographic quotes pasted from a blog are rejected with a clear message
// instead of silently becoming part of the value.
func TestDecisionTypographicQuotesRejected(t *testing.T) {
	for pattern, off := range map[string]int{
		`{ $.eventType = “AwsConsoleSignIn” }`: 16,
		`{ $.eventType = AwsConsole”SignIn }`:  26,
		`“ERROR”`:                              0,
		`[a = „x“]`:                            5,
	} {
		_, err := Parse(pattern)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != off || !strings.Contains(se.Msg, "use the ASCII double quote") {
			t.Errorf("Parse(%q) = %v, want a typographic-quote error at %d", pattern, err, off)
		}
	}
	// Inside ASCII quotes they are ordinary characters.
	checkMatches(t, `{ $.q = "“x”" }`, []matchCase{{"curly quotes in the value", `{"q":"“x”"}`, true}})
}

// Regexes work with != and in space-delimited fields; $ anchors at the end of
// the value, not of the line.
func TestDecisionRegexValues(t *testing.T) {
	checkMatches(t, `{ $.userAgent != %^aws-cli% }`, []matchCase{
		{"other agent", `{"userAgent":"Boto3/1.20"}`, true},
		{"cli", `{"userAgent":"aws-cli/2.0"}`, false},
		{"missing", `{}`, false},
	})
	checkMatches(t, `[ip=%127\.0\.0\.[1-9]%, rest, ...]`, []matchCase{{"loopback", `127.0.0.1 x y`, true}, {"other", `10.0.0.1 x`, false}})
	checkMatches(t, `%a{,2}b%`, []matchCase{{"{,n} lower bound omitted", `xb`, true}})
	checkMatches(t, `%^\d+\s\w+$%`, []matchCase{{"classes", `42 abc`, true}, {"no", `x 42 abc`, false}})
	checkMatches(t, `%\x3A\x28%`, []matchCase{{"hex escapes", `a:(b`, true}})
}
