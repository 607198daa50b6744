// Package cloudtrail reads AWS CloudTrail records from every shape they come in
// (S3 delivery files, single or concatenated events, JSON Lines, CloudWatch Logs
// subscription payloads, EventBridge envelopes) as a stream, keeping for each
// record the compact one-line text CloudWatch Logs stores and a parsed view.
package cloudtrail

import (
	"fmt"
	"time"

	"github.com/valyala/fastjson"
)

// Record is one CloudTrail event.
//
// Raw and JSON belong to the Decoder that returned the record and are valid
// only until its next call to Next; use Clone to keep a record longer.
type Record struct {
	// Raw is the compact one-line JSON text of the event, exactly as CloudWatch
	// Logs stores it (original key order, escapes and number text).
	Raw []byte
	// JSON is Raw parsed.
	JSON *fastjson.Value
	// Index is the 1-based position of the record within its input.
	Index int
	// Offset is the byte offset where the record starts in the decompressed input.
	Offset int64
}

// String returns a top-level string field of the record ("" when absent).
func (r *Record) String(key string) string {
	return string(r.JSON.GetStringBytes(key))
}

// EventID returns the record's eventID.
func (r *Record) EventID() string { return r.String("eventID") }

// EventName returns the record's eventName.
func (r *Record) EventName() string { return r.String("eventName") }

// EventTime parses the record's eventTime (RFC 3339, UTC in CloudTrail).
func (r *Record) EventTime() (time.Time, error) {
	s := r.JSON.GetStringBytes("eventTime")
	if s == nil {
		return time.Time{}, fmt.Errorf("record has no eventTime")
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("eventTime %q: %w", s, err)
	}
	return t, nil
}

// Clone returns a copy of the record that does not share memory with the
// Decoder, so it stays valid after the next call to Next.
func (r *Record) Clone() (*Record, error) {
	raw := append([]byte(nil), r.Raw...)
	v, err := fastjson.ParseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("clone record %d: %w", r.Index, err)
	}
	return &Record{Raw: raw, JSON: v, Index: r.Index, Offset: r.Offset}, nil
}
