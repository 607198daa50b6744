package identity

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzNormalize feeds arbitrary JSON as a record and as its userIdentity:
// normalisation, issuance parsing and resolution must never panic, and the
// Actor must marshal.
func FuzzNormalize(f *testing.F) {
	for _, path := range []string{"../../testdata/identity/cases.jsonl", "../../testdata/identity/extra-cases.jsonl"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			v, err := fastjson.ParseBytes(line)
			if err != nil {
				continue
			}
			for _, x := range []*fastjson.Value{v.Get("event"), v.Get("event", "userIdentity")} {
				if x != nil {
					f.Add(x.MarshalTo(nil))
				}
			}
		}
	}
	for _, s := range []string{`null`, `[]`, `{"userIdentity":[1,2]}`, `{"userIdentity":{"type":5,"sessionContext":"x"}}`,
		`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/","principalId":":"}}`,
		`{"responseElements":{"credentials":{"accessKeyId":"K","expiration":1e400}},"requestParameters":{"durationSeconds":-9e18}}`,
		`{"eventTime":"2024-01-01T00:00:00Z","responseElements":{"roleCredentials":{"accessKeyId":"K","expiration":"99999999999999999999"}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p fastjson.Parser
		v, err := p.ParseBytes(data)
		if err != nil {
			return
		}
		r := NewResolver(Config{MaxCredentials: 4, WindowEvents: 4})
		w := NewWindow(r)
		emit := func(ev *Event, a Actor) {
			_ = a.Summary()
			if _, err := json.Marshal(a); err != nil {
				t.Errorf("marshal actor: %v", err)
			}
		}
		// The value as a record, and as the userIdentity of one.
		wrapped, err := fastjson.ParseBytes(append(append([]byte(`{"userIdentity":`), data...), '}'))
		for _, x := range []*fastjson.Value{v, wrapped} {
			if x == nil || (x == wrapped && err != nil) {
				continue
			}
			_ = Normalize(x)
			ev := ParseEvent(x)
			w.Push(ev, emit)
			w.Push(ev, emit) // the same event twice: issuer and user of one key
		}
		w.Flush(emit)
	})
}
