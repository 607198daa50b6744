package cloudtrail

import (
	"errors"
	"fmt"
)

// ErrNotCloudTrail marks input that is well-formed but holds no CloudTrail
// records (a manifest, an S3 event notification, an unrelated JSON file).
var ErrNotCloudTrail = errors.New("not CloudTrail")

// DecodeError describes input that could not be decoded. When Fatal is false
// only the one record was skipped and decoding continues; when it is true the
// rest of the input is lost (truncated gzip, broken JSON structure).
type DecodeError struct {
	Source string // file name, "-" for stdin
	Record int    // 1-based record position, 0 when not inside a record
	Offset int64  // byte offset in the decompressed input
	Fatal  bool
	Err    error
}

func (e *DecodeError) Error() string {
	where := fmt.Sprintf("offset %d", e.Offset)
	if e.Record > 0 {
		where = fmt.Sprintf("record %d (offset %d)", e.Record, e.Offset)
	}
	return fmt.Sprintf("read %s: %s: %v", e.Source, where, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Notice reports input that was skipped on purpose, such as a CloudWatch Logs
// CONTROL_MESSAGE or a CloudTrail digest file. It is not an error.
type Notice struct {
	Source string
	Msg    string
}

func (n *Notice) Error() string { return fmt.Sprintf("%s: skipped: %s", n.Source, n.Msg) }
