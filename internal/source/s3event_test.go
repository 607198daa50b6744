package source

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseS3Notification(t *testing.T) {
	direct := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"AWSLogs/1/a+b%3Dc.json.gz","size":12}}},{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"x"}}}]}`
	cases := []struct {
		name, body string
		want       []ObjectRef
		err        string
	}{
		{"direct, key URL-decoded", direct, []ObjectRef{{"b", "AWSLogs/1/a b=c.json.gz", 12}}, ""},
		{"through SNS", `{"Type":"Notification","MessageId":"m","Message":` + quote(direct) + `}`, []ObjectRef{{"b", "AWSLogs/1/a b=c.json.gz", 12}}, ""},
		{"EventBridge", `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k 1","size":3}}}`, []ObjectRef{{"b", "k 1", 3}}, ""},
		{"EventBridge other", `{"detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`, nil, ""},
		{"CloudTrail SNS", `{"s3Bucket":"b","s3ObjectKey":["k1","k2"]}`, []ObjectRef{{"b", "k1", 0}, {"b", "k2", 0}}, ""},
		{"test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-01-01T00:00:00Z","Bucket":"b"}`, nil, ""},
		{"not S3", `{"Records":[{"eventSource":"aws:sqs"}]}`, nil, "eventSource"},
		{"not JSON", `hello`, nil, "not an S3 event notification"},
		{"other JSON", `{"a":1}`, nil, "no Records"},
		{"bad escape", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`, nil, "object key"},
	}
	for _, c := range cases {
		got, err := ParseS3Notification([]byte(c.body))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func FuzzParseS3Notification(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`))
	f.Add([]byte(`{"Type":"Notification","Message":"{\"s3Bucket\":\"b\",\"s3ObjectKey\":[\"k\"]}"}`))
	f.Add([]byte(`{"detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		refs, err := ParseS3Notification(b)
		if err != nil && refs != nil {
			t.Fatalf("refs with an error: %v", refs)
		}
	})
}
