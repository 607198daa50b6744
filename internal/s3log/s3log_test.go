package s3log

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// TestAWSDocExample reads the S3 user guide's example records
// (LogFormat.html) with the values Athena's RegexSerDe gives them.
func TestAWSDocExample(t *testing.T) {
	f, err := os.Open("testdata/aws-doc-example.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f, "example")
	var row Row
	if err := r.Next(&row); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"bucket_name", row.BucketName, "amzn-s3-demo-bucket1"},
		{"requestdatetime", row.RequestDateTime, "06/Feb/2019:00:00:38 +0000"},
		{"remoteip", row.RemoteIP, "192.0.2.3"},
		{"requestid", row.RequestID, "3E57427F3EXAMPLE"},
		{"operation", row.Operation, "REST.GET.VERSIONING"},
		{"key", row.Key, "-"},
		{"request_uri", row.RequestURI, `"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"`},
		{"httpstatus", row.HTTPStatus, "200"},
		{"errorcode", row.ErrorCode, "-"},
		{"totaltime", row.TotalTime, "7"},
		{"referrer", row.Referrer, `"-"`},
		{"useragent", row.UserAgent, `"S3Console/0.4"`},
		{"sigv", row.SigV, "SigV4"},
		{"endpoint", row.Endpoint, "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"},
		{"tlsversion", row.TLSVersion, "TLSV1.2"},
		{"accesspointarn", row.AccessPointARN, "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP"},
		{"aclrequired", row.ACLRequired, "Yes"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if row.BytesSent == nil || *row.BytesSent != 113 || row.ObjectSize != nil {
		t.Errorf("bytessent %v objectsize %v", row.BytesSent, row.ObjectSize)
	}
	if tm, err := row.Time(); err != nil || tm.Unix() != 1549411238 {
		t.Errorf("time %v %v", tm, err)
	}
	if err := r.Next(&row); err != nil || row.RequestID != "891CE47D2EXAMPLE" || row.AccessPointARN != "-" {
		t.Errorf("second record %+v %v", row, err)
	}
	if err := r.Next(&row); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestReaderErrorsAndOldRecords(t *testing.T) {
	old := `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.PUT.OBJECT a/b.txt "PUT /b/a/b.txt HTTP/1.1" 403 AccessDenied 243 - 42 - "-" "aws-cli/1.0 \"quoted\" ua" -`
	in := old + "\r\n\n" + `garbage line` + "\n" + old + ` extra fields from the future` + "\n" + `- b [bad time] x`
	r := NewReader(strings.NewReader(in), "mixed.log")
	var row Row
	if err := r.Next(&row); err != nil || row.HTTPStatus != "403" || row.UserAgent != `"aws-cli/1.0 \"quoted\" ua"` || row.VersionID != "-" || row.HostID != "" {
		t.Fatalf("old record: %+v %v", row, err)
	}
	var le *LineError
	if err := r.Next(&row); !errors.As(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "mixed.log: line 3") {
		t.Errorf("garbage: %v", err)
	}
	if err := r.Next(&row); err != nil || row.ErrorCode != "AccessDenied" {
		t.Errorf("record after garbage, with extra fields: %v", err)
	}
	if err := r.Next(&row); !errors.As(err, &le) || le.Line != 5 {
		t.Errorf("bad time: %v", err)
	}
	if err := r.Next(&row); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestDetect(t *testing.T) {
	b, _ := os.ReadFile("testdata/aws-doc-example.log")
	for _, c := range []struct {
		data string
		want bool
	}{
		{string(b), true},
		{`- bucket [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - X OP - "-" 200 - - - - - "-" "-" -`, true},
		{`{"Records":[{"eventVersion":"1.08"}]}`, false},
		{`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`, false},
		{``, false},
	} {
		if got := Detect([]byte(c.data)); got != c.want {
			t.Errorf("Detect(%.40q) = %v", c.data, got)
		}
	}
}

// FuzzParse: no panic; a parsed record has a time that parses.
func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile("testdata/aws-doc-example.log")
	for _, l := range strings.Split(string(b), "\n") {
		f.Add(l)
	}
	f.Add(`- b [x] "unclosed`)
	f.Fuzz(func(t *testing.T, line string) {
		var row Row
		if Parse([]byte(line), &row) == nil {
			if _, err := row.Time(); err != nil {
				t.Fatalf("parsed %q with a bad time: %v", line, err)
			}
		}
		Detect([]byte(line))
	})
}
