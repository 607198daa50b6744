package cloudtrail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/valyala/fastjson"
)

const (
	initialWindow = 256 << 10
	// maxValue bounds the memory one JSON value may take: a single event,
	// envelope or subscription payload. Records inside {"Records":[...]}
	// stream one by one, so a delivery file of any size fits.
	maxValue = 256 << 20
)

// Decoder reads CloudTrail records from one decompressed input in any of the
// shapes CloudTrail data comes in:
//
//   - S3 delivery files {"Records":[...]}, streamed record by record;
//   - a single event, compact or pretty-printed, and several concatenated;
//   - JSON Lines; a JSON array of events;
//   - CloudWatch Logs subscription payloads, as the Lambda event
//     {"awslogs":{"data":...}} or decoded (DATA_MESSAGE; CONTROL_MESSAGE is
//     skipped with a Notice);
//   - EventBridge envelopes {"detail-type":...,"detail":{...}};
//   - `aws cloudtrail lookup-events` output {"Events":[{"CloudTrailEvent":"..."}]}.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	// Accept, when set, is offered each record of a delivery file's
	// Records array before it is parsed: b starts with the record and runs
	// on to the end of what is buffered. Accept returns the length of the
	// record when it has taken it, which Next then returns unparsed (JSON
	// nil), or 0, and the record is scanned, parsed and checked as usual
	// (a record Accept refused once scanned is offered again, compacted).
	// Reset clears it.
	Accept func(b []byte) int

	name string
	sc   *scanner

	parser   fastjson.Parser // parses the record handed out by Next
	envelope fastjson.Parser // parses buffered envelopes; its values back pending
	compact  []byte
	rec      Record
	index    int  // records (good or bad) seen so far
	records  int  // records returned so far
	inArray  bool // streaming the elements of an array
	inObject bool // that array is the value of "Records" in an object
	fatal    bool
	pending  []pendingRecord
}

type pendingRecord struct {
	raw    []byte
	offset int64
	err    error
}

// NewDecoder returns a Decoder reading r, which must already be decompressed.
// name is used in errors.
func NewDecoder(r io.Reader, name string) *Decoder {
	return &Decoder{name: name, sc: newScanner(r, initialWindow, maxValue)}
}

// Reset makes d read a new input, keeping its buffers and parsers so a
// worker decoding thousands of small files allocates almost nothing.
func (d *Decoder) Reset(r io.Reader, name string) {
	sc := d.sc
	if sc != nil && sc.own != nil { // back from ResetBytes
		sc.buf, sc.own = sc.own, nil
	}
	if sc == nil || len(sc.buf) > 4*initialWindow {
		sc = newScanner(r, initialWindow, maxValue) // drop a window grown by a huge value
	}
	sc.src, sc.r, sc.w, sc.base, sc.err = r, 0, 0, 0, nil
	*d = Decoder{name: name, sc: sc, parser: d.parser, envelope: d.envelope, compact: d.compact[:0], pending: d.pending[:0]}
}

// ResetBytes makes d read b, a whole decompressed input, in place: b is its
// window, never written to, and must not change until d is done with it.
func (d *Decoder) ResetBytes(b []byte, name string) {
	d.Reset(bytes.NewReader(nil), name)
	sc := d.sc
	sc.own = sc.buf
	sc.buf, sc.w, sc.err = b, len(b), io.EOF
}

// Records returns how many records Next has returned so far.
func (d *Decoder) Records() int { return d.records }

// Next returns the next record. It returns io.EOF at the end of input, a
// *Notice for input skipped on purpose, and a *DecodeError for bad input;
// after a DecodeError that is not Fatal, decoding can continue.
func (d *Decoder) Next() (*Record, error) {
	if d.fatal {
		return nil, io.EOF
	}
	for {
		if len(d.pending) > 0 {
			p := d.pending[0]
			d.pending = d.pending[1:]
			d.index++
			if p.err != nil {
				return nil, d.recordErr(p.offset, p.err)
			}
			return d.emit(p.raw, false, p.offset)
		}
		if d.inArray {
			rec, err, done := d.nextInArray()
			if done {
				continue
			}
			return rec, err
		}
		c, ok := d.sc.peekByte()
		if !ok {
			if err := d.sc.readErr(); err != nil {
				return nil, d.fatalErr(d.sc.offset(d.sc.r), err)
			}
			return nil, io.EOF
		}
		switch c {
		case '[':
			d.sc.r++
			d.inArray, d.inObject = true, false
		case '{':
			if d.startsRecords() {
				d.inArray, d.inObject = true, true
				continue
			}
			rec, err := d.bufferValue()
			if rec != nil || err != nil {
				return rec, err
			}
		default:
			return nil, d.fatalErr(d.sc.offset(d.sc.r),
				fmt.Errorf("%w: expected a JSON object or array, found %s", ErrNotCloudTrail, quoteByte(c)))
		}
	}
}

// startsRecords consumes `{"Records":[` when the object at r begins so; the
// common case for delivery files, whose records then stream one by one.
func (d *Decoder) startsRecords() bool {
	sc := d.sc
	for need := 64; need <= 4096; need *= 2 {
		sc.ensure(need)
		n, ok, more := recordsPrefix(sc.buf[sc.r:sc.w])
		if ok {
			sc.r += n
			return true
		}
		if !more || sc.w-sc.r < need {
			return false
		}
	}
	return false
}

// recordsPrefix matches `{ "Records" : [` with any whitespace at the start
// of b. more reports that b ended before a decision.
func recordsPrefix(b []byte) (n int, ok, more bool) {
	i := 1 // past '{'
	for _, tok := range []string{`"Records"`, ":", "["} {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		if len(b)-i < len(tok) {
			return 0, false, true
		}
		if string(b[i:i+len(tok)]) != tok {
			return 0, false, false
		}
		i += len(tok)
	}
	return i, true, false
}

// nextInArray handles the next element or the end of the array being
// streamed. done reports that the array ended and the caller should go on.
func (d *Decoder) nextInArray() (rec *Record, err error, done bool) {
	sc := d.sc
	c, ok := sc.peekByte()
	if !ok {
		return nil, d.fatalErr(sc.offset(sc.r), sc.truncErr()), false
	}
	switch c {
	case ',':
		sc.r++
		if c, ok = sc.peekByte(); !ok {
			return nil, d.fatalErr(sc.offset(sc.r), sc.truncErr()), false
		}
	case ']':
		sc.r++
		d.inArray = false
		if d.inObject {
			d.inObject = false
			if err := d.finishRecordsObject(); err != nil {
				return nil, err, false
			}
		}
		return nil, nil, true
	}
	if c != '{' {
		d.index++
		return nil, d.fatalErr(sc.offset(sc.r), fmt.Errorf("expected a JSON object in the array, found %s", quoteByte(c))), false
	}
	if d.inObject && d.Accept != nil {
		if n := d.Accept(sc.buf[sc.r:sc.w]); n > 0 {
			d.index++
			d.records++
			d.rec = Record{Raw: sc.buf[sc.r : sc.r+n], Index: d.index, Offset: sc.offset(sc.r)}
			sc.r += n
			return &d.rec, nil, false
		}
	}
	end, spaced, err := sc.scanValue()
	if err != nil {
		d.index++
		return nil, d.fatalErr(sc.offset(sc.r), err), false
	}
	raw := sc.buf[sc.r:end]
	off := sc.offset(sc.r)
	sc.r = end
	if d.inObject {
		d.index++
		rec, err := d.emit(raw, spaced, off)
		return rec, err, false
	}
	// A bare array may hold records or envelopes.
	rec, err = d.handleValue(raw, spaced, off)
	return rec, err, rec == nil && err == nil
}

// finishRecordsObject skips any keys after "Records" and the closing brace.
func (d *Decoder) finishRecordsObject() error {
	sc := d.sc
	for {
		c, ok := sc.peekByte()
		if !ok {
			return d.fatalErr(sc.offset(sc.r), sc.truncErr())
		}
		switch c {
		case '}':
			sc.r++
			return nil
		case ',':
			sc.r++
			// skip "key": value
			if c, ok = sc.peekByte(); !ok || c != '"' {
				return d.fatalErr(sc.offset(sc.r), errors.New("expected an object key after ','"))
			}
			j, err := sc.scanString(sc.r)
			if err != nil {
				return d.fatalErr(sc.offset(sc.r), err)
			}
			sc.r = j
			if !sc.expect(":") {
				return d.fatalErr(sc.offset(sc.r), errors.New("expected ':' after object key"))
			}
			if err := d.skipValue(); err != nil {
				return err
			}
		default:
			return d.fatalErr(sc.offset(sc.r), fmt.Errorf("expected ',' or '}' after the Records array, found %s", quoteByte(c)))
		}
	}
}

// skipValue skips one JSON value of any kind at r.
func (d *Decoder) skipValue() error {
	sc := d.sc
	c, ok := sc.peekByte()
	if !ok {
		return d.fatalErr(sc.offset(sc.r), sc.truncErr())
	}
	switch c {
	case '{', '[':
		end, _, err := sc.scanValue()
		if err != nil {
			return d.fatalErr(sc.offset(sc.r), err)
		}
		sc.r = end
	case '"':
		j, err := sc.scanString(sc.r)
		if err != nil {
			return d.fatalErr(sc.offset(sc.r), err)
		}
		sc.r = j
	default:
		for {
			for sc.r < sc.w && !strings.ContainsRune(",}] \t\r\n", rune(sc.buf[sc.r])) {
				sc.r++
			}
			if sc.r < sc.w {
				return nil
			}
			if _, ok := sc.fill(); !ok {
				return nil
			}
		}
	}
	return nil
}

// bufferValue reads the whole top-level object at r and handles it.
func (d *Decoder) bufferValue() (*Record, error) {
	sc := d.sc
	end, spaced, err := sc.scanValue()
	if err != nil {
		d.index++
		return nil, d.fatalErr(sc.offset(sc.r), err)
	}
	raw := sc.buf[sc.r:end]
	off := sc.offset(sc.r)
	sc.r = end
	return d.handleValue(raw, spaced, off)
}

// handleValue returns the complete JSON object raw as a record when it is
// one (parsed once), and otherwise classifies it as an envelope whose records
// are queued. It returns (nil, nil) when it only queued.
func (d *Decoder) handleValue(raw []byte, spaced bool, off int64) (*Record, error) {
	text := raw
	if spaced {
		d.compact = appendCompact(d.compact[:0], raw)
		text = d.compact
	}
	v, err := d.parse(text)
	if err != nil {
		d.index++
		return nil, d.recordErr(off, err)
	}
	if isRecord(v) {
		d.index++
		d.records++
		d.rec = Record{Raw: text, JSON: v, Index: d.index, Offset: off}
		return &d.rec, nil
	}
	return nil, d.classify(raw, off)
}

// classify decides what one complete JSON object is and queues the records
// it holds. raw is only valid during the call.
func (d *Decoder) classify(raw []byte, off int64) error {
	v, err := d.envelope.ParseBytes(raw)
	if err != nil {
		d.index++
		return d.recordErr(off, fmt.Errorf("invalid JSON: %w", err))
	}
	o, err := v.Object()
	if err != nil {
		d.index++
		return d.recordErr(off, fmt.Errorf("%w: expected a JSON object, found %s", ErrNotCloudTrail, v.Type()))
	}
	switch {
	case v.Exists("Records"):
		for i, r := range v.GetArray("Records") {
			d.queueValue(r, off, fmt.Sprintf("Records[%d]", i))
		}
	case v.Exists("awslogs"):
		return d.classifyAWSLogs(v, off)
	case v.Exists("messageType"):
		return d.classifyCWL(v, off)
	case v.Exists("detail-type") && v.Exists("detail"):
		d.queueValue(v.Get("detail"), off, "EventBridge detail")
	case v.Exists("Events"):
		for i, e := range v.GetArray("Events") {
			s := e.GetStringBytes("CloudTrailEvent")
			if s == nil {
				d.pending = append(d.pending, pendingRecord{offset: off, err: fmt.Errorf("%w: Events[%d] has no CloudTrailEvent string", ErrNotCloudTrail, i)})
				continue
			}
			d.pending = append(d.pending, pendingRecord{raw: appendCompact(nil, s), offset: off})
		}
	case v.Exists("digestStartTime") || v.Exists("digestPublicKeyFingerprint"):
		return &Notice{Source: d.name, Msg: "CloudTrail digest file"}
	default:
		d.index++
		return d.recordErr(off, fmt.Errorf("%w: object has no eventTime/eventName (keys: %s)", ErrNotCloudTrail, keyList(o)))
	}
	return nil
}

// queueValue queues an already-parsed value as a record, or an error saying
// why it is not one.
func (d *Decoder) queueValue(v *fastjson.Value, off int64, what string) {
	if !isRecord(v) {
		d.pending = append(d.pending, pendingRecord{offset: off, err: fmt.Errorf("%w: %s is not a CloudTrail record", ErrNotCloudTrail, what)})
		return
	}
	d.pending = append(d.pending, pendingRecord{raw: v.MarshalTo(nil), offset: off})
}

// classifyAWSLogs decodes the Lambda event of a CloudWatch Logs subscription:
// {"awslogs":{"data":"<base64 of gzip of JSON>"}}.
func (d *Decoder) classifyAWSLogs(v *fastjson.Value, off int64) error {
	data := v.GetStringBytes("awslogs", "data")
	if data == nil {
		d.index++
		return d.recordErr(off, fmt.Errorf("%w: awslogs has no data string", ErrNotCloudTrail))
	}
	zipped := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(zipped, data)
	if err != nil {
		d.index++
		return d.recordErr(off, fmt.Errorf("awslogs.data: invalid base64: %w", err))
	}
	plain, err := gunzipAll(zipped[:n], maxValue)
	if err != nil {
		d.index++
		return d.recordErr(off, fmt.Errorf("awslogs.data: %w", err))
	}
	var p fastjson.Parser
	msg, err := p.ParseBytes(plain)
	if err != nil {
		d.index++
		return d.recordErr(off, fmt.Errorf("awslogs.data: invalid JSON: %w", err))
	}
	if !msg.Exists("messageType") {
		d.index++
		return d.recordErr(off, fmt.Errorf("%w: awslogs.data is not a CloudWatch Logs subscription message", ErrNotCloudTrail))
	}
	return d.classifyCWL(msg, off)
}

// classifyCWL queues the log events of a decoded CloudWatch Logs
// subscription message. Each message is one record exactly as stored.
func (d *Decoder) classifyCWL(v *fastjson.Value, off int64) error {
	switch t := string(v.GetStringBytes("messageType")); t {
	case "CONTROL_MESSAGE":
		return &Notice{Source: d.name, Msg: "CloudWatch Logs CONTROL_MESSAGE"}
	case "DATA_MESSAGE":
	default:
		d.index++
		return d.recordErr(off, fmt.Errorf("%w: unknown CloudWatch Logs messageType %q", ErrNotCloudTrail, t))
	}
	for i, e := range v.GetArray("logEvents") {
		m := e.GetStringBytes("message")
		if m == nil {
			d.pending = append(d.pending, pendingRecord{offset: off, err: fmt.Errorf("logEvents[%d] has no message", i)})
			continue
		}
		d.pending = append(d.pending, pendingRecord{raw: append([]byte(nil), m...), offset: off})
	}
	return nil
}

// emit parses raw (compacting it first when needed) and returns it as the
// current record.
func (d *Decoder) emit(raw []byte, spaced bool, off int64) (*Record, error) {
	if spaced {
		d.compact = appendCompact(d.compact[:0], raw)
		raw = d.compact
	}
	if d.Accept != nil && spaced && d.Accept(raw) == len(raw) {
		d.records++
		d.rec = Record{Raw: raw, Index: d.index, Offset: off}
		return &d.rec, nil
	}
	v, err := d.parse(raw)
	if err != nil {
		return nil, d.recordErr(off, err)
	}
	if !isRecord(v) {
		return nil, d.recordErr(off, fmt.Errorf("%w: object has no eventTime/eventName", ErrNotCloudTrail))
	}
	d.records++
	d.rec = Record{Raw: raw, JSON: v, Index: d.index, Offset: off}
	return &d.rec, nil
}

// parse parses one compact record. Line breaks left in compact text can
// only sit inside strings, where JSON forbids them raw; rejecting them keeps
// every record one line, as CloudWatch Logs stores it.
func (d *Decoder) parse(text []byte) (*fastjson.Value, error) {
	v, err := d.parser.ParseBytes(text)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	for _, c := range []byte{'\n', '\r'} { // two IndexByte scans are SIMD-fast; IndexAny is not
		if i := bytes.IndexByte(text, c); i >= 0 {
			return nil, fmt.Errorf("invalid JSON: raw line break inside a string at byte %d of the record", i)
		}
	}
	return v, nil
}

// isRecord reports whether v looks like a CloudTrail event rather than an
// envelope or another service's notification (S3 event notifications also
// carry eventVersion/eventTime/eventName, with eventSource "aws:s3").
// eventTime is not required: re-shipped data (e.g. Logstash output, as in
// the OTRF datasets) sometimes replaces it with @timestamp.
func isRecord(v *fastjson.Value) bool {
	if v.Type() != fastjson.TypeObject {
		return false
	}
	return LooksLikeRecord(func(key string) bool { return v.Exists(key) }, v.GetStringBytes("eventSource"))
}

// LooksLikeRecord is the test of isRecord for an object known by which
// top-level keys it has and its eventSource (the string's bytes; nil when
// it is not a string).
func LooksLikeRecord(has func(key string) bool, eventSource []byte) bool {
	if !has("eventVersion") && !has("userIdentity") {
		return false
	}
	if !has("eventID") && !has("eventName") {
		return false
	}
	return !bytes.HasPrefix(eventSource, []byte("aws:"))
}

func (d *Decoder) recordErr(off int64, err error) error {
	return &DecodeError{Source: d.name, Record: d.index, Offset: off, Err: err}
}

func (d *Decoder) fatalErr(off int64, err error) error {
	d.fatal = true
	return &DecodeError{Source: d.name, Record: d.index, Offset: off, Fatal: true, Err: err}
}

func keyList(o *fastjson.Object) string {
	var keys []string
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if len(keys) < 8 {
			keys = append(keys, string(k))
		}
	})
	if o.Len() > 8 {
		keys = append(keys, "...")
	}
	return strings.Join(keys, ", ")
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
