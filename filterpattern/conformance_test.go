package filterpattern

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// conformanceFile holds the project's test vectors; see its README for where
// they come from. Each names the AWS page it was taken from.
const conformanceFile = "../testdata/filterpattern/conformance.jsonl"

type vector struct {
	ID      int    `json:"id"`
	Pattern string `json:"pattern"`
	Event   string `json:"event"`
	Match   bool   `json:"match"`
	Basis   string `json:"basis"`
	Source  string `json:"source"`
	Note    string `json:"note"`
}

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	f, err := os.Open(conformanceFile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s: %v", conformanceFile, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return vs
}

func subtestName(v vector) string {
	note := v.Note
	if i := strings.IndexAny(note, "|;("); i > 0 {
		note = note[:i]
	}
	if len(note) > 60 {
		note = note[:60]
	}
	return fmt.Sprintf("%03d %s", v.ID, strings.TrimSpace(note))
}

// TestConformance runs every vector of the conformance file: through Match
// with the message only, and, for JSON patterns, with a pre-parsed value.
func TestConformance(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) != 148 {
		t.Fatalf("%s has %d vectors, want 148", conformanceFile, len(vs))
	}
	for _, v := range vs {
		t.Run(subtestName(v), func(t *testing.T) {
			p, err := Parse(v.Pattern)
			if err != nil {
				t.Fatalf("Parse(%q): %v", v.Pattern, err)
			}
			if got := p.MatchString(v.Event); got != v.Match {
				t.Errorf("pattern %s\nevent   %s\nmatch = %v, want %v (%s, %s)", v.Pattern, v.Event, got, v.Match, v.Basis, v.Source)
			}
			if p.NeedsJSON() {
				var ps fastjson.Parser
				if jv, err := ps.Parse(v.Event); err == nil {
					if got := p.Match(&Event{Message: []byte(v.Event), JSON: jv}); got != v.Match {
						t.Errorf("with pre-parsed JSON: match = %v, want %v", got, v.Match)
					}
				}
			}
			ok, ex := p.MatchExtract(&Event{Message: []byte(v.Event)})
			if ok != v.Match || (ex == nil) == ok {
				t.Errorf("MatchExtract = %v, %v; want %v and a map exactly when matched", ok, ex, v.Match)
			}
			// The canonical form means the same.
			q, err := Parse(p.String())
			if err != nil {
				t.Fatalf("Parse(String()) = %v; String() = %s", err, p.String())
			}
			if got := q.MatchString(v.Event); got != v.Match {
				t.Errorf("canonical %s: match = %v, want %v", p.String(), got, v.Match)
			}
		})
	}
}
