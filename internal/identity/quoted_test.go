package identity

import (
	"strconv"
	"testing"
	"time"
)

// TestQuoted: quoted is strconv.Quote between pre and post.
func TestQuoted(t *testing.T) {
	for _, s := range []string{"", "alice@example.com", `a"b`, `a\b`, "tab\there", "é", "\x7f", "~ !", "\xff", "line\n"} {
		if got, want := quoted("<", s, ">"), "<"+strconv.Quote(s)+">"; got != want {
			t.Errorf("quoted(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestParseEventTime: the fast path reads what time.Parse reads, the same.
func TestParseEventTime(t *testing.T) {
	for _, s := range []string{"2024-07-30T21:31:15Z", "2020-09-14T00:50:17.000Z", "2020-09-14T00:50:17.123Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2000-02-29T23:59:59Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01t00:00:00Z", "2024-01-01T00:00:00z",
		"2024-01-01T00:00:0aZ", "+024-01-01T00:00:00Z", "2024-01-01T00:00:00.0a0Z", "2024-01-01T00:00:00,000Z", "2024-1-01T00:00:00Z"} {
		want, werr := time.Parse(time.RFC3339Nano, s)
		got, ok := parseEventTime(s)
		if ok && (werr != nil || got != want.UTC()) {
			t.Errorf("parseEventTime(%q) = %v, time.Parse: %v, %v", s, got, want, werr)
		}
		if gotb, okb := parseEventTime([]byte(s)); okb != ok || gotb != got {
			t.Errorf("parseEventTime of bytes %q differs", s)
		}
		if !ok && werr == nil && len(s) == 20 {
			t.Errorf("parseEventTime(%q) missed", s)
		}
	}
}
