package identity

import (
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

// benchDirs hold the records the benchmarks run over, in lexical order.
var benchDirs = []string{"../../testdata/sample-trail", "../../testdata/stratus-red-team", "../../testdata/identity/chains"}

// benchRecords returns the text of every record under benchDirs.
func benchRecords(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, dir := range benchDirs {
		walkRecords(tb, dir, false, func(rec *cloudtrail.Record) { out = append(out, append([]byte(nil), rec.Raw...)) })
	}
	if len(out) == 0 {
		tb.Fatal("no records")
	}
	return out
}

func benchValues(tb testing.TB) []*fastjson.Value {
	recs := benchRecords(tb)
	vs := make([]*fastjson.Value, len(recs))
	for i, r := range recs {
		v, err := fastjson.ParseBytes(r)
		if err != nil {
			tb.Fatal(err)
		}
		vs[i] = v
	}
	return vs
}

// BenchmarkParseEvent: one op is one record.
func BenchmarkParseEvent(b *testing.B) {
	vs := benchValues(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = ParseEvent(vs[i%len(vs)])
	}
}

// BenchmarkParser: ParseEvent through one Parser.
func BenchmarkParser(b *testing.B) {
	vs := benchValues(b)
	var p Parser
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(vs[i%len(vs)])
	}
}

// BenchmarkMemberParse: one op is one record, read from its member texts
// as ingest does.
func BenchmarkMemberParse(b *testing.B) {
	vs := benchValues(b)
	members := make([]map[string][]byte, len(vs))
	for i, v := range vs {
		m := map[string][]byte{}
		v.GetObject().Visit(func(k []byte, x *fastjson.Value) { m[string(k)] = x.MarshalTo(nil) })
		members[i] = m
	}
	var mp MemberParser
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := members[i%len(members)]
		if _, ok := mp.Parse(func(i int) []byte { return m[MemberKeys[i]] }); !ok {
			b.Fatal("not parsed")
		}
	}
}

// BenchmarkWindowPush: one op is one record pushed through a Window with
// the default config. The records are pushed again and again, later each
// round by more than their time span, as one long stream.
func BenchmarkWindowPush(b *testing.B) {
	vs := benchValues(b)
	events := make([]Event, len(vs))
	var first, last time.Time
	for i, v := range vs {
		events[i] = ParseEvent(v)
		if t := events[i].Time; !t.IsZero() {
			if first.IsZero() || t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
	}
	span := last.Sub(first) + 24*time.Hour
	n := 0
	emit := func(ev *Event, a Actor) { n++ }
	w := NewWindow(NewResolver(DefaultConfig()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		if shift := time.Duration(i/len(events)) * span; shift != 0 {
			if !ev.Time.IsZero() {
				ev.Time = ev.Time.Add(shift)
			}
			if ev.Issue != nil {
				iss := *ev.Issue
				iss.Expiration = iss.Expiration.Add(shift)
				ev.Issue = &iss
			}
		}
		w.Push(ev, emit)
	}
	w.Flush(emit)
	if n != b.N {
		b.Fatalf("%d of %d released", n, b.N)
	}
}

// BenchmarkWindowCommon: one op is one event of the commonest kinds, an IAM
// user with a long-term key, an AWS service, a role session whose issuing
// event is not in the input, pushed through a Window one second apart.
func BenchmarkWindowCommon(b *testing.B) {
	const acct = "111122223333"
	uis := []string{
		iamUserJSON(acct, "alice", "AKIAALICE0000000000"),
		`{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`,
		sessionJSON(acct, "Deploy", "ci-run", "ASIADEPLOY000000000", ""),
		`{"invokedBy":"ec2.amazonaws.com"}`,
	}
	var ps Parser
	var events []Event
	for i, ui := range uis {
		events = append(events, ps.Parse(fastjson.MustParse(callJSON(fmt.Sprint("e", i), "2025-06-01T12:00:00Z", "ListUsers", ui))))
	}
	n := 0
	emit := func(ev *Event, a Actor) { n++ }
	w := NewWindow(NewResolver(DefaultConfig()))
	base := events[0].Time
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		ev.Time = base.Add(time.Duration(i) * time.Second)
		w.Push(ev, emit)
	}
	w.Flush(emit)
}
