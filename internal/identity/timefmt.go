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
	if t, ok := parseEventTime(s); ok {
		return t, true
	}
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

// parseEventTime reads the forms eventTime nearly always has,
// "2006-01-02T15:04:05Z" and "2006-01-02T15:04:05.000Z", as time.Parse
// with RFC 3339 would, without its generality; false for anything else.
func parseEventTime[T string | []byte](s T) (time.Time, bool) {
	nsec := 0
	switch {
	case len(s) == 20 && s[19] == 'Z':
	case len(s) == 24 && s[19] == '.' && s[23] == 'Z':
		ms, ok := digits(s[20:23])
		if !ok {
			return time.Time{}, false
		}
		nsec = ms * 1e6
	default:
		return time.Time{}, false
	}
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).UTC(), true
}

// digits reads s, all decimal digits.
func digits[T string | []byte](s T) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
