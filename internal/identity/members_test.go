package identity

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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
	}
	for _, dir := range []string{"identity", "stratus-red-team", "sample-trail"} {
		recs = append(recs, rawRecords(t, filepath.Join("..", "..", "testdata", dir))...)
	}
	if len(recs) < 500 {
		t.Fatalf("only %d records", len(recs))
	}
	var mp MemberParser
	for _, r := range recs {
		v := fastjson.MustParse(r)
		member := func(k string) []byte {
			if m := v.Get(k); m != nil {
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
		if _, ok := mp.Parse(func(k string) []byte {
			if m := v.Get(k); m != nil {
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
	var rd cloudtrail.Reader
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md") || strings.Contains(p, "LICENSE") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec, err := rd.Decoder(f, p)
		if err != nil {
			return nil
		}
		for {
			rec, err := dec.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			var de *cloudtrail.DecodeError
			switch {
			case err == nil:
				out = append(out, string(rec.Raw))
			case errors.As(err, &de) && !de.Fatal:
			default:
				return nil
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
