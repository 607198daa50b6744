package store

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/parquet-go/parquet-go"
	"github.com/valyala/fastjson"
)

// This file shreds a record from its compact JSON text in one pass, with no
// parse tree: each value the plan maps is appended to its column as it is
// scanned, and everything else (requestParameters and the like, stored as
// JSON text) is skipped over and stored as the bytes it was. The values are
// the ones the tree walk of columns.go gives for the same text; the tests
// and FuzzRawShredder compare the two. Text this scanner does not take
// (anything not strictly valid compact JSON, escaped keys, deep nesting) is
// reported, and the caller parses it and uses the tree walk instead, so
// errors and edge cases keep a single definition.

// maxRawDepth bounds nesting; fastjson allows 300.
const maxRawDepth = 200

// rawShredder appends records, given as compact JSON text, to a shredder.
type rawShredder struct {
	s    *shredder
	lens [64]int // column lengths of s before the last record
	b    []byte  // the record being shredded
	top  uint64  // top-level plan keys present in the last record
	// spans are where the values of the top-level plan keys are in the
	// last record, last.
	spans [64][2]int
	last  []byte
	unq   fastjson.Parser
	lit   []byte // a string literal being unescaped
	ents  []rawEntry
	memo  [64]groupMemo // per top-level group member (rawmemo.go)
}

type rawEntry struct {
	key        []byte
	start, end int
}

// add appends the record at the start of b (the text of one JSON object,
// no whitespace outside strings) as a row of plan's columns of s, its bytes
// copied into s's arena, and returns the record's length. It returns 0
// when it cannot, with the columns as they were before the call.
func (r *rawShredder) add(s *shredder, plan *node, b []byte) int {
	r.s, r.last = s, nil
	lens := &r.lens
	if len(s.cols) > len(lens) || len(plan.kids) > 64 {
		return 0
	}
	for c := range s.cols {
		lens[c] = len(s.cols[c])
	}
	r.b = b
	end, seen := -1, uint64(0)
	if len(b) > 0 && b[0] == '{' {
		end, seen = r.object(plan, 0, 0, 1)
	}
	r.b = nil
	// A raw line break can only be in a string; the parser path names it.
	if end < 0 || bytes.IndexByte(b[:end], '\n') >= 0 || bytes.IndexByte(b[:end], '\r') >= 0 {
		r.undo()
		return 0
	}
	r.top = seen
	r.last = b[:end]
	s.rows++
	return end
}

// undo removes the values of the last record from the columns (when add
// refused it, or to move it).
func (r *rawShredder) undo() {
	s := r.s
	for c := range s.cols {
		clear(s.cols[c][r.lens[c]:])
		s.cols[c] = s.cols[c][:r.lens[c]]
	}
}

// moveTo moves the last record added to dst, copying its bytes into dst's
// arena.
func (r *rawShredder) moveTo(dst *shredder) {
	src := r.s
	for c, vals := range src.cols {
		d := dst.cols[c]
		for _, v := range vals[r.lens[c]:] {
			if !v.IsNull() {
				v = parquet.ByteArrayValue(dst.bytes(v.ByteArray())).Level(v.RepetitionLevel(), v.DefinitionLevel(), c)
			}
			d = append(d, v)
		}
		dst.cols[c] = d
	}
	r.undo()
	src.rows--
	dst.rows++
}

// at is the byte at i, or 0 past the end (never valid where a byte is
// expected).
func (r *rawShredder) at(i int) byte {
	if i < 0 || i >= len(r.b) {
		return 0
	}
	return r.b[i]
}

// object shreds the object at i (r.b[i] == '{') into the columns of group
// or list node n, and returns the index after it (-1 when the text is not
// taken) and which of n's children it held.
func (r *rawShredder) object(n *node, i, rep, depth int) (int, uint64) {
	if depth > maxRawDepth {
		return -1, 0
	}
	i++
	var seen uint64
	if r.at(i) == '}' {
		i++
	} else {
		next := r.s.nextOf(n)
		prev := 0 // where in next the current key is predicted
		for {
			if r.at(i) != '"' {
				return -1, 0
			}
			g := &next[prev]
			var j int32
			if end := r.keyAt(i, g[0].key); end > 0 {
				// The expected key, quotes and colon included, compared
				// where it should be: no scan for the closing quote.
				i, j = end, g[0].child
			} else {
				kend, esc := r.stringEnd(i)
				if kend < 0 || esc {
					return -1, 0
				}
				key := r.b[i+1 : kend-1]
				if r.at(kend) != ':' {
					return -1, 0
				}
				i = kend + 1
				// (string(key) == … does not allocate; a switch on it would.)
				if string(key) == g[0].key {
					j = g[0].child
				} else if string(key) == g[1].key {
					j = g[1].child
					g[0], g[1] = g[1], g[0]
				} else {
					g[1] = g[0]
					if c, ok := n.index[string(key)]; ok {
						g[0] = keyGuess{n.kids[c].key, int32(c)}
					} else {
						g[0] = keyGuess{string(key), -1}
					}
					j = g[0].child
				}
			}
			if j >= 0 {
				prev = int(j) + 1
			} else {
				prev = len(n.kids) + 1
			}
			if j >= 0 && seen&(1<<j) == 0 { // the first of duplicate keys wins, as with Get
				seen |= 1 << j
				start := i
				if depth == 1 && n.kids[j].kind == kindGroup {
					i = r.memoValue(int(j), n.kids[j], i, depth+1)
				} else {
					i = r.value(n.kids[j], i, rep, depth+1)
				}
				if depth == 1 {
					r.spans[j] = [2]int{start, i}
				}
			} else {
				i = r.skip(i, depth+1)
			}
			if i < 0 {
				return -1, 0
			}
			if r.at(i) == ',' {
				i++
				continue
			}
			if r.at(i) != '}' {
				return -1, 0
			}
			i++
			break
		}
	}
	for j, k := range n.kids {
		if seen&(1<<j) == 0 {
			r.absent(k, rep)
		}
	}
	return i, seen
}

// absent appends the NULLs of a child that is not there. (The fields of a
// list's elements have a column but no column range.)
func (r *rawShredder) absent(k *node, rep int) {
	if k.kind == kindText {
		var pv parquet.Value
		pv.SetDefinitionLevel(k.def - 1)
		pv.SetRepetitionLevel(rep)
		pv.SetColumnIndex(k.col)
		r.s.cols[k.col] = append(r.s.cols[k.col], pv)
		return
	}
	r.s.nulls(k, rep, k.def-1)
}

// value shreds the value at i into the columns of n and returns the index
// after it, or -1.
func (r *rawShredder) value(n *node, i, rep, depth int) int {
	c := r.at(i)
	switch n.kind {
	case kindText:
		return r.leaf(n, i, rep, depth)
	case kindGroup:
		if c == '{' {
			end, _ := r.object(n, i, rep, depth)
			return end
		}
	case kindList:
		if c == '[' && r.at(i+1) != ']' {
			return r.list(n, i, rep, depth)
		}
	case kindMap:
		if c == '{' && r.at(i+1) != '}' {
			return r.mapValue(n, i, rep, depth)
		}
	}
	// absent as far as the columns go: not an object, an empty list or map
	end := r.skip(i, depth)
	if end >= 0 {
		r.s.nulls(n, rep, n.def-1)
	}
	return end
}

// leaf appends the column value of the scalar or JSON text at i.
func (r *rawShredder) leaf(n *node, i, rep, depth int) int {
	b, null, end := r.text(i, depth)
	if end < 0 {
		return -1
	}
	var pv parquet.Value
	if null {
		pv.SetDefinitionLevel(n.def - 1)
	} else {
		pv = parquet.ByteArrayValue(r.s.bytes(b))
		pv.SetDefinitionLevel(n.def)
	}
	pv.SetRepetitionLevel(rep)
	pv.SetColumnIndex(n.col)
	r.s.cols[n.col] = append(r.s.cols[n.col], pv)
	return end
}

// text is what textValue gives for the value at i: a string unescaped
// ("" is NULL), null as NULL, anything else as its JSON text. The bytes
// are in r.b or, unescaped, in r.lit.
func (r *rawShredder) text(i, depth int) (b []byte, null bool, end int) {
	switch r.at(i) {
	case '"':
		end, esc := r.stringEnd(i)
		if end < 0 {
			return nil, false, -1
		}
		b = r.b[i+1 : end-1]
		if esc {
			if b = r.unescape(r.b[i:end]); b == nil {
				return nil, false, -1
			}
		}
		return b, len(b) == 0, end
	case 'n':
		end = r.skip(i, depth)
		return nil, true, end
	}
	end = r.skip(i, depth)
	if end < 0 {
		return nil, false, -1
	}
	return r.b[i:end:end], false, end
}

// unescape returns the unescaped bytes of the string literal lit (quotes
// included), as fastjson unescapes them, in r.lit.
func (r *rawShredder) unescape(lit []byte) []byte {
	r.lit = append(r.lit[:0], lit...)
	v, err := r.unq.ParseBytes(r.lit)
	if err != nil {
		return nil
	}
	sb, err := v.StringBytes()
	if err != nil {
		return nil
	}
	r.lit = append(r.lit[:0], sb...)
	return r.lit[:len(sb):len(sb)]
}

// list shreds the non-empty array at i into the columns of list node n.
func (r *rawShredder) list(n *node, i, rep, depth int) int {
	if depth > maxRawDepth {
		return -1
	}
	i++
	for e := 0; ; e++ {
		rr := rep
		if e > 0 {
			rr = 1
		}
		if r.at(i) == '{' {
			i, _ = r.object(n, i, rr, depth+1)
		} else {
			// an element that is not an object: all its fields NULL
			if i = r.skip(i, depth+1); i >= 0 {
				for _, k := range n.kids {
					r.absent(k, rr)
				}
			}
		}
		if i < 0 {
			return -1
		}
		switch r.at(i) {
		case ',':
			i++
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// mapValue shreds the non-empty object at i into map node n's key and
// value columns; the last of duplicate keys wins, in the place of the
// first, as in the tree walk.
func (r *rawShredder) mapValue(n *node, i, rep, depth int) int {
	if depth > maxRawDepth {
		return -1
	}
	ents := r.ents[:0]
	i++
	for {
		if r.at(i) != '"' {
			return -1
		}
		kend, esc := r.stringEnd(i)
		if kend < 0 || esc || r.at(kend) != ':' {
			return -1
		}
		key := r.b[i+1 : kend-1]
		start := kend + 1
		end := r.skip(start, depth+1)
		if end < 0 {
			return -1
		}
		dup := false
		for x := range ents {
			if bytes.Equal(ents[x].key, key) {
				ents[x].start, ents[x].end, dup = start, end, true
				break
			}
		}
		if !dup {
			ents = append(ents, rawEntry{key, start, end})
		}
		i = end
		if r.at(i) == ',' {
			i++
			continue
		}
		if r.at(i) != '}' {
			return -1
		}
		i++
		break
	}
	for x, e := range ents {
		rr := rep
		if x > 0 {
			rr = 1
		}
		b, _, end := r.text(e.start, depth+1)
		if end < 0 {
			return -1
		}
		r.s.cols[n.col] = append(r.s.cols[n.col], parquet.ByteArrayValue(r.s.bytes(e.key)).Level(rr, n.def+1, n.col))
		r.s.cols[n.col+1] = append(r.s.cols[n.col+1], parquet.ByteArrayValue(r.s.bytes(b)).Level(rr, n.def+1, n.col+1))
	}
	clear(ents)
	r.ents = ents[:0]
	return i
}

// keyAt returns the index after `"key":` when the text at i is that, else
// 0. key is one the scanner has read before, so it holds no quote or
// backslash: the text matching it is the key itself, unescaped.
func (r *rawShredder) keyAt(i int, key string) int {
	end := i + len(key) + 3
	if len(key) == 0 || end > len(r.b) || r.b[end-2] != '"' || r.b[end-1] != ':' || string(r.b[i+1:end-2]) != key {
		return 0
	}
	return end
}

// stringEnd returns the index after the string literal at i (r.b[i] ==
// '"') and whether it holds escapes; -1 when it does not end. It looks at
// eight bytes at a time for a quote or a backslash.
func (r *rawShredder) stringEnd(i int) (int, bool) {
	b := r.b
	esc := false
	j := i + 1
	for j+8 <= len(b) {
		m := quoteOrBackslash(binary.LittleEndian.Uint64(b[j:]))
		if m == 0 {
			j += 8
			continue
		}
		j += bits.TrailingZeros64(m) >> 3
		if b[j] == '"' {
			return j + 1, esc
		}
		esc = true
		j += 2 // the backslash and the byte it escapes
	}
	for ; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1, esc
		case '\\':
			esc = true
			j++
		}
	}
	return -1, false
}

// quoteOrBackslash has the high bit set in the lowest byte of x that is
// '"' or '\\' (bytes above it may be marked wrongly; only the lowest
// counts), and is 0 when there is none.
func quoteOrBackslash(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	s := x ^ (lo * '\\')
	return ((q-lo)&^q | (s-lo)&^s) & hi
}

// skip returns the index after the JSON value at i, or -1 when it is not
// strictly valid compact JSON.
func (r *rawShredder) skip(i, depth int) int {
	if depth > maxRawDepth {
		return -1
	}
	switch c := r.at(i); c {
	case '"':
		end, _ := r.stringEnd(i)
		return end
	case '{':
		i++
		if r.at(i) == '}' {
			return i + 1
		}
		for {
			if r.at(i) != '"' {
				return -1
			}
			if i, _ = r.stringEnd(i); i < 0 || r.at(i) != ':' {
				return -1
			}
			if i = r.skip(i+1, depth+1); i < 0 {
				return -1
			}
			switch r.at(i) {
			case ',':
				i++
			case '}':
				return i + 1
			default:
				return -1
			}
		}
	case '[':
		i++
		if r.at(i) == ']' {
			return i + 1
		}
		for {
			if i = r.skip(i, depth+1); i < 0 {
				return -1
			}
			switch r.at(i) {
			case ',':
				i++
			case ']':
				return i + 1
			default:
				return -1
			}
		}
	case 't':
		return r.literal(i, "true")
	case 'f':
		return r.literal(i, "false")
	case 'n':
		return r.literal(i, "null")
	default:
		return r.number(i)
	}
}

func (r *rawShredder) literal(i int, lit string) int {
	if i+len(lit) <= len(r.b) && string(r.b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// number returns the index after the JSON number at i (RFC 8259 grammar),
// or -1.
func (r *rawShredder) number(i int) int {
	if r.at(i) == '-' {
		i++
	}
	switch c := r.at(i); {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i++; isDigit(r.at(i)); i++ {
		}
	default:
		return -1
	}
	if r.at(i) == '.' {
		i++
		if !isDigit(r.at(i)) {
			return -1
		}
		for i++; isDigit(r.at(i)); i++ {
		}
	}
	if c := r.at(i); c == 'e' || c == 'E' {
		i++
		if c := r.at(i); c == '+' || c == '-' {
			i++
		}
		if !isDigit(r.at(i)) {
			return -1
		}
		for i++; isDigit(r.at(i)); i++ {
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// nextOf returns the key-order cache of the text scanner for group or
// list node n (see shredder.next).
func (s *shredder) nextOf(n *node) [][2]keyGuess {
	if n.id >= len(s.next) {
		s.next = append(s.next, make([][][2]keyGuess, n.id+1-len(s.next))...)
	}
	if s.next[n.id] == nil {
		next := make([][2]keyGuess, len(n.kids)+2)
		for i := range next {
			next[i] = [2]keyGuess{{child: -1}, {child: -1}}
		}
		s.next[n.id] = next
	}
	return s.next[n.id]
}

// keyGuess is the key expected next in an object, and its child index
// (-1: not in the plan).
type keyGuess struct {
	key   string
	child int32
}

// orderOf returns the key-order cache of group or list node n (see
// shredder.order).
func (s *shredder) orderOf(n *node) *[]int32 {
	if n.id >= len(s.order) {
		s.scratch = append(s.scratch, make([][]*fastjson.Value, n.id+1-len(s.scratch))...)
		s.order = append(s.order, make([][]int32, n.id+1-len(s.order))...)
	}
	return &s.order[n.id]
}
