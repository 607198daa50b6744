package filterpattern

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fastjson"
)

// Kind is the kind of a filter pattern.
type Kind int

// The kinds of filter pattern.
const (
	MatchAll       Kind = iota // "" or " ": every event matches
	Terms                      // terms and "quoted phrases", with ? and -
	Regex                      // a standalone %regex%
	JSON                       // { selector op value ... }
	SpaceDelimited             // [field, field, ...]
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case MatchAll:
		return "match-all"
	case Terms:
		return "terms"
	case Regex:
		return "regex"
	case JSON:
		return "JSON"
	case SpaceDelimited:
		return "space-delimited"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Pattern is a compiled filter pattern. It is immutable after Parse and safe
// for concurrent use.
type Pattern struct {
	kind Kind

	// Terms.
	terms      []term
	required   []term // include and exclude terms
	optional   []term // ? terms; ignored when required is not empty
	standalone *regexValue

	// JSON.
	expr *expr

	// Space-delimited.
	fields    []field
	ellipsis  int  // index of "..." in fields, or -1
	emptyList bool // "[]": every line, all fields positional
	names     map[string]int

	parsers fastjson.ParserPool // for Events without a pre-parsed JSON value
	numBufs sync.Pool           // *[]byte: scratch for the text of JSON numbers
}

// Kind reports the kind of the pattern.
func (p *Pattern) Kind() Kind { return p.kind }

// NeedsJSON reports whether the pattern looks into JSON (a JSON pattern), so
// that the caller can supply Event.JSON.
func (p *Pattern) NeedsJSON() bool { return p.kind == JSON }

// String prints the pattern back in canonical form. Parse(p.String()) gives
// a pattern that matches the same events.
func (p *Pattern) String() string {
	var b strings.Builder
	switch p.kind {
	case MatchAll:
		return ""
	case Regex:
		b.WriteByte('%')
		b.WriteString(p.standalone.src)
		b.WriteByte('%')
	case Terms:
		for i, t := range p.terms {
			if i > 0 {
				b.WriteByte(' ')
			}
			t.print(&b)
		}
	case JSON:
		b.WriteString("{ ")
		p.expr.print(&b, false)
		b.WriteString(" }")
	case SpaceDelimited:
		b.WriteByte('[')
		for i, f := range p.fields {
			if i > 0 {
				b.WriteString(", ")
			}
			f.print(&b)
		}
		b.WriteByte(']')
	}
	return b.String()
}

// termKind says how a term takes part in a term pattern.
type termKind uint8

const (
	termInclude  termKind = iota // ERROR: must occur
	termOptional                 // ?ERROR: one of the ? terms must occur
	termExclude                  // -ERROR: must not occur
)

// term is one word or "quoted phrase" of a term pattern.
type term struct {
	kind   termKind
	raw    string // the term's text, unescaped, as written (with any * at the ends)
	needle []byte // raw without leading and trailing *: searched as a substring
	any    bool   // needle is empty: every message contains it
}

func (t term) print(b *strings.Builder) {
	switch t.kind {
	case termOptional:
		b.WriteByte('?')
	case termExclude:
		b.WriteByte('-')
	}
	if isPlainTerm(t.raw) {
		b.WriteString(t.raw)
		return
	}
	writeQuoted(b, t.raw)
}

// isPlainTerm reports whether a term can be printed without quotes.
func isPlainTerm(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '*':
		case i > 0 && strings.IndexByte(".:/@#=,;+", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// writeQuoted writes s as a double-quoted string, escaping " and \.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// exprKind is the kind of a node of a JSON or space-delimited condition tree.
type exprKind uint8

const (
	exprCond exprKind = iota
	exprAnd
	exprOr
)

// expr is a condition tree: && and || over conditions.
type expr struct {
	kind exprKind
	list []*expr // operands of && and ||
	cond *cond   // for exprCond
}

func (e *expr) print(b *strings.Builder, inAnd bool) {
	switch e.kind {
	case exprCond:
		e.cond.print(b)
	case exprAnd:
		for i, x := range e.list {
			if i > 0 {
				b.WriteString(" && ")
			}
			x.print(b, true)
		}
	case exprOr:
		if inAnd {
			b.WriteByte('(')
		}
		for i, x := range e.list {
			if i > 0 {
				b.WriteString(" || ")
			}
			x.print(b, false)
		}
		if inAnd {
			b.WriteByte(')')
		}
	}
}

// op is a comparison operator or a JSON test.
type op uint8

const (
	opNone op = iota // a space-delimited field without a condition
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opIsNull
	opIsTrue
	opIsFalse
	opNotExists
)

var opText = [...]string{
	opNone: "", opEq: "=", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">=",
	opIsNull: "IS NULL", opIsTrue: "IS TRUE", opIsFalse: "IS FALSE", opNotExists: "NOT EXISTS",
}

func (o op) relational() bool { return o >= opLt && o <= opGe }

// cond is one comparison: a JSON selector or a space-delimited field name, an
// operator and a value.
type cond struct {
	sel   *selector // JSON patterns
	field string    // space-delimited patterns
	op    op
	val   value
}

func (c *cond) print(b *strings.Builder) {
	if c.sel != nil {
		b.WriteString(c.sel.String())
	} else {
		b.WriteString(c.field)
	}
	if c.op == opNone {
		return
	}
	b.WriteByte(' ')
	b.WriteString(opText[c.op])
	if c.op >= opIsNull {
		return
	}
	b.WriteByte(' ')
	c.val.print(b)
}

// valueKind is the kind of the right-hand side of a comparison.
type valueKind uint8

const (
	valString valueKind = iota // "text" or text, with * at the start and/or end as wildcards
	valNumber                  // 400, -1.5, 10e3
	valAny                     // * or "*": any value
	valRegex                   // %regex%
)

// value is the right-hand side of a comparison.
type value struct {
	kind valueKind
	str  string   // valString: the text, unescaped; valNumber: the number as written
	num  float64  // valNumber
	wild wildcard // valString
	re   *regexValue
}

func (v *value) print(b *strings.Builder) {
	switch v.kind {
	case valAny:
		b.WriteByte('*')
	case valNumber:
		b.WriteString(v.str)
	case valRegex:
		b.WriteByte('%')
		b.WriteString(v.re.src)
		b.WriteByte('%')
	default:
		writeQuoted(b, v.str)
	}
}

// regexValue is a validated %regex%.
type regexValue struct {
	src  string // between the % signs, as written
	re   *regexp.Regexp
	lits [][]byte // a match contains one of these (nil: no prefilter)
}

// field is one comma-separated field of a space-delimited pattern.
type field struct {
	ellipsis bool
	name     string // "" for an empty slot, extracted positionally as $N
	cond     *expr  // nil: no condition
}

func (f field) print(b *strings.Builder) {
	switch {
	case f.ellipsis:
		b.WriteString("...")
	case f.cond != nil:
		f.cond.print(b, false)
	default:
		b.WriteString(f.name)
	}
}

// ReadsRoot reports whether a JSON pattern's selectors may read the top-level
// key: a selector starting with $.key, or with the $.* wildcard. Callers use
// it to build an Event.Extra only for the patterns that can see it.
func (p *Pattern) ReadsRoot(key string) bool {
	if p.kind != JSON || p.expr == nil {
		return false
	}
	var walk func(e *expr) bool
	walk = func(e *expr) bool {
		if e.kind == exprCond {
			if e.cond.sel == nil || len(e.cond.sel.segs) == 0 {
				return false
			}
			g := e.cond.sel.segs[0]
			return g.kind == segWildcard || (g.kind == segKey && g.key == key)
		}
		for _, x := range e.list {
			if walk(x) {
				return true
			}
		}
		return false
	}
	return walk(p.expr)
}

// RequiredStrings reports a set of strings one of which the top-level field
// key must hold, as a JSON string, for a JSON pattern to match: the pattern
// is false for every event whose key is a string outside the set. ok is
// false when the pattern implies no such set. Callers index many patterns
// by one field with it (eventName), and evaluate a pattern only for events
// whose field is in its set, or is not a string.
func (p *Pattern) RequiredStrings(key string) (set []string, ok bool) {
	if p.kind != JSON || p.expr == nil {
		return nil, false
	}
	return p.expr.required(key)
}

func (e *expr) required(key string) ([]string, bool) {
	switch e.kind {
	case exprCond:
		c := e.cond
		if c.sel == nil || len(c.sel.segs) != 1 || c.sel.segs[0].kind != segKey || c.sel.segs[0].key != key ||
			c.op != opEq || c.val.kind != valString || c.val.wild.mode != wildExact {
			return nil, false
		}
		return []string{string(c.val.wild.core)}, true
	case exprAnd:
		// Any operand's set will do; the smallest prunes most.
		var best []string
		found := false
		for _, x := range e.list {
			if s, ok := x.required(key); ok && (!found || len(s) < len(best)) {
				best, found = s, true
			}
		}
		return best, found
	case exprOr:
		var all []string
		for _, x := range e.list {
			s, ok := x.required(key)
			if !ok {
				return nil, false
			}
			all = append(all, s...)
		}
		return all, true
	}
	return nil, false
}
