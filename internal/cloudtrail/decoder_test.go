package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

const (
	ev1 = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"alice"},"eventTime":"2025-03-01T00:00:01Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"b\"ob}"},"eventID":"e1"}`
	ev2 = `{"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventTime":"2025-03-01T00:00:02Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"e2","responseElements":{"ConsoleLogin":"Success"}}`
	ev3 = `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole"},"eventTime":"2025-03-01T00:00:03Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e3","note":"unicode \u00e9 and \\ backslash [{"}`
)

func pretty(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "    "); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func cwlPayload(t *testing.T, messageType string, msgs ...string) string {
	t.Helper()
	var evs []map[string]any
	for i, m := range msgs {
		evs = append(evs, map[string]any{"id": fmt.Sprint(i), "timestamp": 1740787201000, "message": m})
	}
	b, err := json.Marshal(map[string]any{"messageType": messageType, "owner": "111122223333", "logGroup": "aws-cloudtrail-logs",
		"logStream": "111122223333_CloudTrail_us-east-1", "subscriptionFilters": []string{"f"}, "logEvents": evs})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type result struct {
	raws    []string
	errs    []error
	notices []string
}

func decodeAll(t testing.TB, input []byte) result {
	t.Helper()
	var rd Reader
	dec, err := rd.Decoder(bytes.NewReader(input), "in.json")
	if err != nil {
		return result{errs: []error{err}}
	}
	var res result
	for i := 0; i < 100000; i++ {
		rec, err := dec.Next()
		if err == io.EOF {
			return res
		}
		var n *Notice
		if errors.As(err, &n) {
			res.notices = append(res.notices, n.Msg)
			continue
		}
		if err != nil {
			res.errs = append(res.errs, err)
			continue
		}
		res.raws = append(res.raws, string(rec.Raw))
		if rec.JSON == nil {
			t.Fatalf("record %d has no parsed view", rec.Index)
		}
	}
	t.Fatal("decoder did not reach EOF")
	return res
}

func TestDecoderShapes(t *testing.T) {
	eventBridge := `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"111122223333","time":"2025-03-01T00:00:01Z","region":"us-east-1","resources":[],"detail":` + ev1 + `}`
	lambdaEvent := `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gz(t, cwlPayload(t, "DATA_MESSAGE", ev1, ev2))) + `"}}`
	tests := []struct {
		name    string
		input   []byte
		want    []string
		notices int
	}{
		{"delivery file", []byte(`{"Records":[` + ev1 + `,` + ev2 + `,` + ev3 + `]}`), []string{ev1, ev2, ev3}, 0},
		{"delivery file gzip", gz(t, `{"Records":[`+ev1+`,`+ev2+`]}`), []string{ev1, ev2}, 0},
		{"delivery file pretty", []byte(pretty(t, `{"Records":[`+ev1+`,`+ev2+`]}`)), []string{ev1, ev2}, 0},
		{"empty delivery file", []byte(`{"Records":[]}`), nil, 0},
		{"records then other keys", []byte(`{"Records":[` + ev1 + `],"x":{"y":[1,"]"]},"z":3}`), []string{ev1}, 0},
		{"records not first key", []byte(`{"x":1,"Records":[` + ev1 + `]}`), []string{ev1}, 0},
		{"single compact event", []byte(ev1), []string{ev1}, 0},
		{"single pretty event", []byte(pretty(t, ev2)), []string{ev2}, 0},
		{"concatenated pretty events", []byte(pretty(t, ev1) + pretty(t, ev2) + ev3), []string{ev1, ev2, ev3}, 0},
		{"json lines", []byte(ev1 + "\n" + ev2 + "\r\n" + ev3 + "\n"), []string{ev1, ev2, ev3}, 0},
		{"array of events", []byte(pretty(t, `[`+ev1+`,`+ev2+`]`)), []string{ev1, ev2}, 0},
		{"byte order mark", []byte("\xef\xbb\xbf" + ev1), []string{ev1}, 0},
		{"eventbridge envelope", []byte(eventBridge), []string{ev1}, 0},
		{"array of eventbridge envelopes", []byte(`[` + eventBridge + `,` + eventBridge + `]`), []string{ev1, ev1}, 0},
		{"cloudwatch logs lambda event", []byte(lambdaEvent), []string{ev1, ev2}, 0},
		{"cloudwatch logs data message", []byte(cwlPayload(t, "DATA_MESSAGE", ev3)), []string{ev3}, 0},
		{"cloudwatch logs control message", []byte(cwlPayload(t, "CONTROL_MESSAGE", "CWL CONTROL MESSAGE: Checking health of destination Firehose.")), nil, 1},
		{"lookup-events output", []byte(`{"Events":[{"EventId":"e1","CloudTrailEvent":` + strings.ReplaceAll(fmt.Sprintf("%q", ev1), `\u00e9`, `é`) + `}]}`), []string{ev1}, 0},
		{"digest file", []byte(`{"awsAccountId":"111122223333","digestStartTime":"2025-03-01T00:00:00Z","digestPublicKeyFingerprint":"ab","logFiles":[]}`), nil, 1},
		{"empty input", []byte("  \n"), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decodeAll(t, tt.input)
			if len(res.errs) > 0 {
				t.Fatalf("unexpected errors: %v", res.errs)
			}
			if fmt.Sprint(res.raws) != fmt.Sprint(tt.want) {
				t.Errorf("records:\n got %q\nwant %q", res.raws, tt.want)
			}
			if len(res.notices) != tt.notices {
				t.Errorf("notices = %q, want %d", res.notices, tt.notices)
			}
		})
	}
}

func TestDecoderBadInput(t *testing.T) {
	full := gz(t, `{"Records":[`+ev1+`,`+ev2+`,`+ev3+`]}`)
	tests := []struct {
		name      string
		input     []byte
		want      int    // good records still returned
		errSubstr string // in the first error
		fatal     bool
		notCT     bool
	}{
		{"invalid record in the middle", []byte(`{"Records":[` + ev1 + `,{"eventName":"x" "bad":1},` + ev3 + `]}`), 2, "record 2 (offset", false, false},
		{"truncated gzip", full[:len(full)/2], 0, "gzip: unexpected EOF", true, false},
		{"corrupt gzip checksum", append(append([]byte{}, full[:len(full)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), 3, "gzip:", true, false},
		{"truncated JSON", []byte(`{"Records":[` + ev1 + `,` + ev2[:40]), 1, "unexpected end of input", true, false},
		{"not json", []byte("hello world\n"), 0, `expected a JSON object or array, found 'h'`, true, true},
		{"json but not cloudtrail", []byte(`{"events":10,"files":2}`), 0, "keys: events, files", false, true},
		{"s3 event notification", []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2025-03-01T00:00:00Z","eventName":"ObjectCreated:Put","s3":{}}]}`), 0, "not CloudTrail", false, true},
		{"bad base64 in awslogs", []byte(`{"awslogs":{"data":"!!!"}}`), 0, "invalid base64", false, false},
		{"array of numbers", []byte(`[1,2]`), 0, "expected a JSON object in the array", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decodeAll(t, tt.input)
			if len(res.raws) != tt.want {
				t.Errorf("got %d records, want %d (errors %v)", len(res.raws), tt.want, res.errs)
			}
			if len(res.errs) == 0 {
				t.Fatal("no error reported")
			}
			err := res.errs[0]
			if !strings.Contains(err.Error(), tt.errSubstr) || !strings.HasPrefix(err.Error(), "read in.json: ") {
				t.Errorf("error %q does not name the file and contain %q", err, tt.errSubstr)
			}
			var de *DecodeError
			if errors.As(err, &de) && de.Fatal != tt.fatal {
				t.Errorf("fatal = %v, want %v", de.Fatal, tt.fatal)
			}
			if got := errors.Is(err, ErrNotCloudTrail); got != tt.notCT {
				t.Errorf("errors.Is(ErrNotCloudTrail) = %v, want %v", got, tt.notCT)
			}
		})
	}
}

// TestDecoderOffsets checks that errors point at the record that failed.
func TestDecoderOffsets(t *testing.T) {
	in := `{"Records":[` + ev1 + `,{"x":tru},` + ev2 + `]}`
	res := decodeAll(t, []byte(in))
	if len(res.errs) != 1 {
		t.Fatalf("errors = %v", res.errs)
	}
	var de *DecodeError
	if !errors.As(res.errs[0], &de) {
		t.Fatalf("%T is not a DecodeError", res.errs[0])
	}
	if want := int64(strings.Index(in, `{"x":tru}`)); de.Offset != want || de.Record != 2 {
		t.Errorf("record %d offset %d, want record 2 offset %d", de.Record, de.Offset, want)
	}
}

// TestDecoderStreamsLargeFiles decodes a delivery file much larger than the
// decoder's window, and one record larger than the window, checking that the
// window does not grow to hold the file.
func TestDecoderStreamsLargeFiles(t *testing.T) {
	const n = 20000
	big := `{"eventVersion":"1.08","eventTime":"2025-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventID":"big","requestParameters":{"blob":"` + strings.Repeat("x", 3*initialWindow) + `"}}`
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(ev1)
	}
	b.WriteString("," + big + "," + ev2 + "]}")
	var rd Reader
	dec, err := rd.Decoder(strings.NewReader(b.String()), "big.json")
	if err != nil {
		t.Fatal(err)
	}
	count, maxWindow := 0, 0
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count <= n && len(dec.sc.buf) > maxWindow {
			maxWindow = len(dec.sc.buf)
		}
		if count == n+1 && len(rec.Raw) != len(big) {
			t.Fatalf("big record is %d bytes, want %d", len(rec.Raw), len(big))
		}
	}
	if count != n+2 {
		t.Fatalf("decoded %d records, want %d", count, n+2)
	}
	if b.Len() < 10*maxWindow || maxWindow > initialWindow {
		t.Errorf("window grew to %d bytes for a %d-byte file", maxWindow, b.Len())
	}
}

func TestAppendCompact(t *testing.T) {
	for _, s := range []string{ev1, ev2, ev3, `{"a" : [ 1 , "x y\" z" ] }`} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(pretty(t, s))); err != nil {
			t.Fatal(err)
		}
		if got := appendCompact(nil, []byte(pretty(t, s))); string(got) != want.String() {
			t.Errorf("appendCompact = %s, want %s", got, want.String())
		}
	}
}

func TestReaderReuse(t *testing.T) {
	var rd Reader
	for i, in := range [][]byte{gz(t, ev1), []byte(ev2), gz(t, `{"Records":[`+ev3+`]}`), []byte("")} {
		dec, err := rd.Decoder(bytes.NewReader(in), fmt.Sprintf("f%d", i))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			rec, err := dec.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(rec.Raw))
		}
		if want := []string{ev1, ev2, ev3, ""}[i]; (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
			t.Errorf("input %d: got %q, want %q", i, got, want)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte(`{"Records":[` + ev1 + `,` + ev2 + `]}`))
	f.Add([]byte(ev1 + "\n" + ev2))
	f.Add([]byte(`[` + ev3 + `]`))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{}"}]}`))
	f.Add([]byte(`{"awslogs":{"data":"H4sIAAAAAAAA"}}`))
	f.Add([]byte(`{"Records":[{"a":"\"}]"}],"b":[}`))
	f.Add(gz(f, ev1))
	f.Fuzz(func(t *testing.T, in []byte) {
		var rd Reader
		dec, err := rd.Decoder(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			rec, err := dec.Next()
			if err == io.EOF {
				return
			}
			// Records parse and are one line. (Raw control characters
			// other than line breaks inside strings pass through, as the
			// parser is lenient about them; CloudTrail never writes them.)
			if err == nil && (bytes.ContainsAny(rec.Raw, "\n\r") || rec.JSON == nil) {
				t.Fatalf("record is not one line of JSON: %q", rec.Raw)
			}
		}
		t.Fatal("decoder did not terminate")
	})
}
