package store

import (
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/valyala/fastjson"
)

// TestRawMemoRepeats: a repeated userIdentity is served from the memo,
// with the values a scan gives, whose bytes stay valid when the record's
// text is overwritten; the memo starts over at its bounds, and pauses for
// a group whose texts do not repeat.
func TestRawMemoRepeats(t *testing.T) {
	plan := cloudTrailPlan()
	schema := parquet.SchemaOf(CloudTrailRow{})
	if err := compilePlan(plan, schema); err != nil {
		t.Fatal(err)
	}
	ui := plan.index["userIdentity"]
	record := func(i int) []byte {
		return fmt.Appendf(nil, `{"eventName":"E%d","userIdentity":{"type":"IAMUser","userName":"u%d","sessionContext":{"webIdFederationData":{"attributes":{"a":"1","b":"2"}}}}}`, i, i)
	}
	var raw rawShredder
	sh := newShredder(len(schema.Columns()))
	first, other := record(1), record(2)
	add := func(text []byte) {
		t.Helper()
		text = append([]byte(nil), text...)
		if raw.add(sh, plan, text) != len(text) {
			t.Fatal("refused")
		}
		clear(text) // the memo must not point into the text
	}
	add(first)
	// The arena the scan copied the values into is reused: the memo must
	// not point into it either.
	sh.reset()
	add(other)
	sh.reset()
	add(first)
	add(first)
	if m := raw.memo[ui]; m.lookup != 4 || m.hits != 2 || len(m.vals) != 2 {
		t.Fatalf("memo: %d lookups, %d hits, %d texts; want 4, 2, 2", m.lookup, m.hits, len(m.vals))
	}
	dom := newShredder(len(schema.Columns()))
	dom.add(plan, fastjson.MustParse(string(first)))
	dom.add(plan, fastjson.MustParse(string(first)))
	if err := sameColumns(raw.s, dom); err != nil {
		t.Fatal(err)
	}

	// Distinct texts: the memo is bounded, and pauses when hits are rare.
	sh.reset()
	raw = rawShredder{}
	paused := false
	for i := range memoWindow + 10 {
		if raw.add(sh, plan, record(i)) == 0 {
			t.Fatal("refused")
		}
		m := raw.memo[ui]
		if len(m.vals) > maxMemoTexts {
			t.Fatalf("%d texts held, bound %d", len(m.vals), maxMemoTexts)
		}
		paused = paused || m.pause > 0
		if sh.rows == recordBatch {
			sh.reset()
		}
	}
	if !paused {
		t.Error("memo did not pause for texts that never repeat")
	}
}
