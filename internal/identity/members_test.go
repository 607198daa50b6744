package identity

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

// TestMemberParserMatchesParseEvent: reading an event from its members'
// texts gives ParseEvent's result, for every record of the test data and
// for the cases where it must include requestParameters/responseElements.
func TestMemberParserMatchesParseEvent(t *testing.T) {
	recs := []string{
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"AssumeRole","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","accessKeyId":"AKIA1"},"requestParameters":{"roleArn":"arn:aws:iam::1:role/r","roleSessionName":"s","sourceIdentity":"alice"},"responseElements":{"credentials":{"accessKeyId":"ASIA1","expiration":"Jan 1, 2024, 1:00:00 AM"},"assumedRoleUser":{"arn":"arn:aws:sts::1:assumed-role/r/s"}}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"AssumeRole","errorCode":"AccessDenied","requestParameters":{"sourceIdentity":"bob"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","requestParameters":{"\u0073ourceIdentity":"esc"},"responseElements":{"\u0063redentials":{"accessKeyId":"ASIA2"}}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"Yes"}}`,
		// The same userIdentity texts again: the remembered principal
		// must still take what the rest of the event adds.
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"GetUser","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"Yes"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"No"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"Console\u004cogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"yes"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ListBuckets","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u1"}},"additionalEventData":{"UserName":"alice"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ListBuckets","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u1"}},"additionalEventData":{"userName":"bob"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ListBuckets","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u1"}}}`,
	}
	for _, dir := range []string{"identity", "stratus-red-team", "sample-trail"} {
		recs = append(recs, rawRecords(t, filepath.Join("..", "..", "testdata", dir))...)
	}
	if len(recs) < 500 {
		t.Fatalf("only %d records", len(recs))
	}
	var mp MemberParser
	// Twice: the second time every principal is one the parser remembers.
	for _, r := range append(recs, recs...) {
		v := fastjson.MustParse(r)
		member := func(i int) []byte {
			if m := v.Get(MemberKeys[i]); m != nil {
				return m.MarshalTo(nil)
			}
			return nil
		}
		got, ok := mp.Parse(member)
		if !ok {
			t.Fatalf("%s: not read", r)
		}
		if want := ParseEvent(fastjson.MustParse(r)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", r, got, want)
		}
	}
	for _, r := range []string{`{"eventName":"X"}`, `{"eventTime":"","eventName":"X"}`, `{"eventTime":null,"@timestamp":"2024-01-01T00:00:00Z"}`} {
		v := fastjson.MustParse(r)
		if _, ok := mp.Parse(func(i int) []byte {
			if m := v.Get(MemberKeys[i]); m != nil {
				return m.MarshalTo(nil)
			}
			return nil
		}); ok {
			t.Errorf("%s: read; want the caller to parse the whole record", r)
		}
	}
}

// rawRecords returns the compact text of every record under dir.
func rawRecords(t *testing.T, dir string) []string {
	var out []string
	walkRecords(t, dir, true, func(rec *cloudtrail.Record) { out = append(out, string(rec.Raw)) })
	return out
}

// membersOf parses a record and gives its top-level member texts by
// index into MemberKeys, as the store's writer does; false when data is
// not a JSON object.
func membersOf(data []byte) (*fastjson.Value, func(i int) []byte, bool) {
	v, err := fastjson.ParseBytes(data)
	if err != nil || v.Type() != fastjson.TypeObject {
		return nil, nil, false
	}
	return v, func(i int) []byte {
		if m := v.Get(MemberKeys[i]); m != nil {
			return m.MarshalTo(nil)
		}
		return nil
	}, true
}

// FuzzMemberParser: for any record, reading it from its members' texts
// (twice, the second time from the remembered principal) gives
// ParseEvent's result whenever the parser reads it at all.
func FuzzMemberParser(f *testing.F) {
	for _, r := range []string{
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"Yes"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{"type":"IdentityCenterUser"},"additionalEventData":{"UserName":"a"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"AssumeRole","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","sessionContext":{"sessionIssuer":{"userName":"r"},"sourceIdentity":"x"}},"responseElements":{"credentials":{"accessKeyId":"ASIA1"}}}`,
	} {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, member, ok := membersOf(data)
		if !ok {
			return
		}
		var mp MemberParser
		for range 2 {
			got, ok := mp.Parse(member)
			if !ok {
				return
			}
			if want := ParseEvent(fastjson.MustParseBytes(data)); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s:\n got %+v\nwant %+v", data, got, want)
			}
		}
	})
}

// FuzzPrincipalOnly: the no-parse check never says principal-only for a
// record that is not (its principal aside), and a principal-only event
// resolves exactly as a bare event of its principal and time does, with
// or without the credentials its key came from. Ingest keys actors by
// userIdentity text on the strength of both.
func FuzzPrincipalOnly(f *testing.F) {
	for _, r := range []string{
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"GetObject","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","accessKeyId":"ASIA1","sessionContext":{"sessionIssuer":{"userName":"r"}}}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"additionalEventData":{"MFAUsed":"Yes"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"AssumeRole","userIdentity":{"type":"AWSAccount","accountId":"2"},"requestParameters":{"sourceIdentity":"x"},"responseElements":{"credentials":{"accessKeyId":"ASIA2"}}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u"}},"additionalEventData":{"UserName":"a"}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","eventName":"Console\u004cogin","userIdentity":{"type":"IAMUser"}}`,
	} {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, member, ok := membersOf(data)
		if !ok {
			return
		}
		ev := ParseEvent(v)
		ui := get(v, "userIdentity")
		var ps Parser
		own := normalizeIdentity(ui, &ps) // the principal of userIdentity alone
		if PrincipalOnly(member) && !own.needsEvent() && !ev.PrincipalOnly() {
			t.Fatalf("%s: PrincipalOnly of the members, but not of the event %+v", data, ev)
		}
		if !ev.PrincipalOnly() {
			return
		}
		for _, issued := range []bool{false, true} {
			r := NewResolver(BatchConfig())
			if issued && ev.Principal.AccessKeyID != "" {
				r.Observe(&Event{ID: "issuer", Name: "AssumeRole", Time: ev.Time,
					Principal: Principal{Type: TypeIAMUser, ARN: "arn:aws:iam::1:user/u", AccountID: "1", UserName: "u", AccessKeyID: "AKIAU"},
					Issue:     &Issuance{AccessKeyID: ev.Principal.AccessKeyID, ARN: ev.Principal.ARN, Expiration: ev.Time.Add(time.Hour)}})
			}
			got := r.Resolve(&ev)
			got.EventID, got.EventTime, got.EventName = "", "", ""
			// the event of its userIdentity alone, as ingest's actor stage
			// may resolve in its place
			bare := Event{Principal: own, Time: ev.Time}
			if want := r.Resolve(&bare); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s (issued %v):\n got %+v\nwant %+v", data, issued, got, want)
			}
		}
	})
}
