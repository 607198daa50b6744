package identity

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// parseTime reads the time formats CloudTrail uses in and around
// userIdentity: RFC 3339 (eventTime, creationDate), ISO 8601 basic
// ("20131102T010628Z", older creationDate examples), and the Java-style
// text STS puts in responseElements.credentials.expiration ("Jul 30, 2024,
// 9:46:15 PM", sometimes without the second comma), which is UTC.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range [...]string{
		time.RFC3339Nano,
		"20060102T150405Z0700",
		"Jan 2, 2006, 3:04:05 PM",
		"Jan 2, 2006 3:04:05 PM",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04:05.000Z0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseTimeValue reads a time that may also be a number: epoch
// milliseconds (the IAM Identity Center portal API) or seconds.
func parseTimeValue(v *fastjson.Value) (time.Time, bool) {
	if v == nil {
		return time.Time{}, false
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if t, ok := parseTime(string(b)); ok {
			return t, true
		}
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return epoch(n), true
		}
	case fastjson.TypeNumber:
		if n, err := v.Int64(); err == nil {
			return epoch(n), true
		}
	}
	return time.Time{}, false
}

// epoch reads n as milliseconds when it is too large to be seconds of a
// plausible date.
func epoch(n int64) time.Time {
	if n > 1e11 || n < -1e11 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}
