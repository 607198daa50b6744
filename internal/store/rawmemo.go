package store

import (
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// A trail repeats the same few userIdentity and tlsDetails objects byte
// for byte: a role session's calls all carry one principal, and a client
// one TLS setup. The text scanner therefore remembers the column values of
// the top-level objects it has shredded, by their text, and a repeat costs
// a look for the closing bracket, one map lookup and a copy of the values
// instead of a scan that dispatches every key and copies every string.
// The values are the ones the scan gave, so nothing changes but the work
// (TestRawMemoRepeats; FuzzRawShredder shreds every text twice).

// The memo of one top-level object starts over past maxMemoTexts texts or
// maxMemoBytes of texts and values. When fewer than one in memoMinHitsOf
// of memoWindow lookups hit, the texts do not repeat, and the next
// memoPause records are shredded without the memo.
const (
	maxMemoTexts  = 1 << 12
	maxMemoBytes  = 4 << 20
	memoWindow    = 4096
	memoMinHitsOf = 4
	memoPause     = 1 << 16
)

// groupMemo is the memo of one top-level group member.
type groupMemo struct {
	vals   map[string][]parquet.Value // by the member's text
	bytes  int                        // texts, values and their bytes held
	lookup int                        // lookups in this window
	hits   int
	pause  int // records left to shred without the memo
}

// memoValue is value for group node k, a child of the record, whose text
// starts at i: the values come from the memo when the same text was
// shredded before.
func (r *rawShredder) memoValue(j int, k *node, i, depth int) int {
	m := &r.memo[j]
	if r.at(i) != '{' { // null, or not what the plan expects: no memo
		return r.value(k, i, 0, depth)
	}
	if m.pause > 0 {
		m.pause--
		return r.value(k, i, 0, depth)
	}
	end := r.groupEnd(i)
	if end < 0 {
		return -1
	}
	text := r.b[i:end]
	m.lookup++
	if vals, ok := m.vals[string(text)]; ok {
		m.hits++
		cols := r.s.cols
		for _, v := range vals {
			c := v.Column()
			cols[c] = append(cols[c], v)
		}
		return end
	}
	if m.lookup >= memoWindow {
		if m.hits*memoMinHitsOf < m.lookup {
			m.pause = memoPause
		}
		m.lookup, m.hits = 0, 0
	}
	if end = r.value(k, i, 0, depth); end < 0 {
		return -1
	}
	// Only this member writes its columns, so they held r.lens values
	// before it (add took them before the record).
	m.remember(string(r.b[i:end]), r.s.cols[k.first:k.last], r.lens[k.first:k.last])
	return end
}

// groupEnd returns where the object or array at i ends, or -1, looking
// only at brackets and string literals: it does not check the text is
// JSON. A remembered text was checked when it was shredded, and an object
// or array ends where its brackets close, so text[i:end] equal to one is
// that value, whatever is wrong after it; any other text is shredded,
// which checks it.
func (r *rawShredder) groupEnd(i int) int {
	b := r.b
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			if i, _ = r.stringEnd(i); i < 0 {
				return -1
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
		if depth == 0 {
			return -1 // not an object or array
		}
		i++
	}
	return -1
}

// remember keeps the values cols got past lens under text, their bytes
// copied into memory of the memo's own.
func (m *groupMemo) remember(text string, cols [][]parquet.Value, lens []int) {
	n, size := 0, len(text)
	for c, vals := range cols {
		for _, v := range vals[lens[c]:] {
			n++
			size += len(v.ByteArray())
		}
	}
	held := size + n*int(unsafe.Sizeof(parquet.Value{}))
	if m.vals == nil || len(m.vals) >= maxMemoTexts || m.bytes+held > maxMemoBytes {
		m.vals, m.bytes = make(map[string][]parquet.Value), 0
	}
	own := make([]byte, 0, size-len(text))
	vals := make([]parquet.Value, 0, n)
	for c := range cols {
		for _, v := range cols[c][lens[c]:] {
			if !v.IsNull() {
				start := len(own)
				own = append(own, v.ByteArray()...)
				v = parquet.ByteArrayValue(own[start:len(own):len(own)]).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
			}
			vals = append(vals, v)
		}
	}
	m.vals[text] = vals
	m.bytes += held
}
