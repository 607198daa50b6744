package identity

import (
	"strconv"
	"testing"
)

// TestQuoted: quoted is strconv.Quote between pre and post.
func TestQuoted(t *testing.T) {
	for _, s := range []string{"", "alice@example.com", `a"b`, `a\b`, "tab\there", "é", "\x7f", "~ !", "\xff", "line\n"} {
		if got, want := quoted("<", s, ">"), "<"+strconv.Quote(s)+">"; got != want {
			t.Errorf("quoted(%q) = %s, want %s", s, got, want)
		}
	}
}
