// Package s3log reads Amazon S3 server access logs
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html)
// into rows with the columns of Athena's S3 access log table
// (https://docs.aws.amazon.com/athena/latest/ug/querying-s3-access-logs.html),
// with the values Athena's RegexSerDe gives them: fields as written (so "-"
// stays "-", and the quoted Request-URI, Referer and User-Agent keep their
// quotes), requestdatetime without its brackets, and NULL for bytessent and
// objectsize when they are not numbers.
package s3log

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Row is one log record; the parquet tags are the Athena column names.
type Row struct {
	BucketOwner     string `parquet:"bucketowner,optional"`
	BucketName      string `parquet:"bucket_name,optional"`
	RequestDateTime string `parquet:"requestdatetime,optional"`
	RemoteIP        string `parquet:"remoteip,optional"`
	Requester       string `parquet:"requester,optional"`
	RequestID       string `parquet:"requestid,optional"`
	Operation       string `parquet:"operation,optional"`
	Key             string `parquet:"key,optional"`
	RequestURI      string `parquet:"request_uri,optional"`
	HTTPStatus      string `parquet:"httpstatus,optional"`
	ErrorCode       string `parquet:"errorcode,optional"`
	BytesSent       *int64 `parquet:"bytessent,optional"`
	ObjectSize      *int64 `parquet:"objectsize,optional"`
	TotalTime       string `parquet:"totaltime,optional"`
	TurnAroundTime  string `parquet:"turnaroundtime,optional"`
	Referrer        string `parquet:"referrer,optional"`
	UserAgent       string `parquet:"useragent,optional"`
	VersionID       string `parquet:"versionid,optional"`
	HostID          string `parquet:"hostid,optional"`
	SigV            string `parquet:"sigv,optional"`
	CipherSuite     string `parquet:"ciphersuite,optional"`
	AuthType        string `parquet:"authtype,optional"`
	Endpoint        string `parquet:"endpoint,optional"`
	TLSVersion      string `parquet:"tlsversion,optional"`
	AccessPointARN  string `parquet:"accesspointarn,optional"`
	ACLRequired     string `parquet:"aclrequired,optional"`
}

// TimeLayout is requestdatetime's layout.
const TimeLayout = "02/Jan/2006:15:04:05 -0700"

// Time parses the record's requestdatetime.
func (r *Row) Time() (time.Time, error) { return time.Parse(TimeLayout, r.RequestDateTime) }

// minFields is how many fields the oldest records have (through
// User-Agent and Version Id); later fields were appended over the years and
// may be missing, and fields newer than Row knows are ignored.
const minFields = 18

// MaxLine bounds a record's length.
const MaxLine = 1 << 20

// Detect reports whether data (the first bytes of a file) looks like S3
// server access log records: a canonical user ID (64 hex digits) or "-",
// a bucket name, and a bracketed time.
func Detect(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte{'\n'})
	f, err := fields(line, 3)
	if err != nil || len(f) < 3 {
		return false
	}
	if f[0] != "-" && !isHex64(f[0]) {
		return false
	}
	_, err = time.Parse(TimeLayout, f[2])
	return err == nil && f[1] != ""
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// LineError is a record that could not be read.
type LineError struct {
	Source string
	Line   int
	Err    error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("read %s: line %d: %v", e.Source, e.Line, e.Err)
}
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads records line by line with bounded memory.
type Reader struct {
	sc     *bufio.Scanner
	source string
	line   int
}

// NewReader reads the (decompressed) log r, naming it source in errors.
func NewReader(r io.Reader, source string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	return &Reader{sc: sc, source: source}
}

// Next returns the next record. A bad line returns a *LineError and the
// reader goes on with the next line; io.EOF ends the log; a line longer
// than MaxLine ends it with an error.
func (r *Reader) Next(row *Row) error {
	for r.sc.Scan() {
		r.line++
		line := bytes.TrimRight(r.sc.Bytes(), "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := Parse(line, row); err != nil {
			return &LineError{Source: r.source, Line: r.line, Err: err}
		}
		return nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineError{Source: r.source, Line: r.line + 1, Err: fmt.Errorf("longer than %d bytes", MaxLine)}
		}
		return fmt.Errorf("read %s: %w", r.source, err)
	}
	return io.EOF
}

// Parse reads one record into row.
func Parse(line []byte, row *Row) error {
	f, err := fields(line, 0)
	if err != nil {
		return err
	}
	if len(f) < minFields {
		return fmt.Errorf("%d fields, want at least %d (bucket owner … version id)", len(f), minFields)
	}
	if _, err := time.Parse(TimeLayout, f[2]); err != nil {
		return fmt.Errorf("field 3 (time) %q: want dd/Mon/yyyy:HH:MM:SS +zzzz", f[2])
	}
	get := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	*row = Row{
		BucketOwner: f[0], BucketName: f[1], RequestDateTime: f[2], RemoteIP: f[3], Requester: f[4], RequestID: f[5],
		Operation: f[6], Key: f[7], RequestURI: f[8], HTTPStatus: f[9], ErrorCode: f[10],
		BytesSent: number(f[11]), ObjectSize: number(f[12]), TotalTime: f[13], TurnAroundTime: f[14],
		Referrer: f[15], UserAgent: f[16], VersionID: f[17], HostID: get(18), SigV: get(19), CipherSuite: get(20),
		AuthType: get(21), Endpoint: get(22), TLSVersion: get(23), AccessPointARN: get(24), ACLRequired: get(25),
	}
	return nil
}

func number(s string) *int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// fields splits a record: space-separated tokens, a [bracketed] time
// without its brackets, and "quoted" fields kept with their quotes (a
// backslash escapes a quote inside). limit > 0 stops after that many.
func fields(line []byte, limit int) ([]string, error) {
	var out []string
	for i := 0; i < len(line); {
		if limit > 0 && len(out) == limit {
			break
		}
		switch line[i] {
		case ' ':
			i++
			continue
		case '[':
			j := bytes.IndexByte(line[i:], ']')
			if j < 0 {
				return out, fmt.Errorf("column %d: unclosed [", i+1)
			}
			out = append(out, string(line[i+1:i+j]))
			i += j + 1
		case '"':
			j := i + 1
			for ; j < len(line); j++ {
				if line[j] == '\\' {
					j++
					continue
				}
				if line[j] == '"' {
					break
				}
			}
			if j >= len(line) {
				return out, fmt.Errorf("column %d: unclosed quote", i+1)
			}
			out = append(out, string(line[i:j+1]))
			i = j + 1
		default:
			j := bytes.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			out = append(out, string(line[i:i+j]))
			i += j
		}
	}
	return out, nil
}
