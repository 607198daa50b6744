package filterpattern

import (
	"strings"
	"unsafe"

	"github.com/valyala/fastjson"
)

// notEqualMatchesMissing decides `selector != value` when the selector
// selects nothing (the field is missing). false: the comparison is false, like
// every other comparison on a missing field, and only NOT EXISTS is true.
//
// This is the behaviour CloudWatch Logs shows (docs/filterpattern.md, "!= on a
// missing field"): `{ $.user.phone != "080..." }` does not match an event
// without user.phone, and the documented workaround is
// `{ ($.user.phone != "080...") || ($.user.phone NOT EXISTS) }`. It makes
// `{($.userIdentity.sessionContext.sessionIssuer.userName != cm-policymaintainer) && (...)}`
// skip IAM-user and root events, which have no sessionContext. Set to true to
// treat a missing field as "not equal".
const notEqualMatchesMissing = false

// jsonExtractsSelectors decides what MatchExtract reports for a JSON pattern.
// false: an empty map, as documented for TestMetricFilter ("If you are not
// using a space-delimited filter, this will be empty"). true: each selector of
// the pattern without a wildcard that resolves to a scalar, keyed by its
// canonical text ("$.eventName"), with the value's text.
const jsonExtractsSelectors = false

// jsonCtx is the state of one JSON evaluation. It lives on the caller's stack.
type jsonCtx struct {
	p     *Pattern
	root  *fastjson.Object
	extra *fastjson.Object // consulted before root for top-level keys
}

// matchJSON evaluates a JSON pattern
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-json-log-events).
func (p *Pattern) matchJSON(ev *Event) bool {
	if ev.JSON != nil {
		return p.evalJSONRoot(ev.JSON, ev.Extra)
	}
	ps := p.parsers.Get()
	v, err := ps.ParseBytes(ev.Message)
	ok := err == nil && p.evalJSONRoot(v, ev.Extra)
	p.parsers.Put(ps)
	return ok
}

func (p *Pattern) evalJSONRoot(v, extra *fastjson.Value) bool {
	ctx := jsonCtx{p: p}
	if !ctx.init(v, extra) {
		return false
	}
	return p.expr.evalJSON(&ctx)
}

// init sets the roots; it reports false when the message is not a JSON object.
func (ctx *jsonCtx) init(v, extra *fastjson.Value) bool {
	ctx.root = v.GetObject()
	if ctx.root == nil {
		return false
	}
	if extra != nil {
		ctx.extra = extra.GetObject()
	}
	return true
}

func (e *expr) evalJSON(ctx *jsonCtx) bool {
	switch e.kind {
	case exprAnd:
		for _, x := range e.list {
			if !x.evalJSON(ctx) {
				return false
			}
		}
		return true
	case exprOr:
		for _, x := range e.list {
			if x.evalJSON(ctx) {
				return true
			}
		}
		return false
	}
	return e.cond.evalJSON(ctx)
}

// evalJSON evaluates one condition. A selector with a wildcard is
// existential: the condition holds when any selected value satisfies it
// ("select any array element or any JSON object field").
func (c *cond) evalJSON(ctx *jsonCtx) bool {
	if c.sel.wild == 0 {
		v := ctx.lookup(c.sel.segs)
		if v == nil {
			// "NOT EXISTS ... will only be true if specified object does not exist in log data"
			return c.op == opNotExists || c.op == opNe && notEqualMatchesMissing
		}
		if c.op == opNotExists {
			return false
		}
		return c.testJSON(v, ctx)
	}
	found, reached := c.walkRoot(ctx)
	if c.op == opNotExists {
		return !reached
	}
	if !reached {
		return c.op == opNe && notEqualMatchesMissing
	}
	return found
}

// top returns the top-level value for key, from Extra first.
func (ctx *jsonCtx) top(key string) *fastjson.Value {
	if ctx.extra != nil {
		if v := ctx.extra.Get(key); v != nil {
			return v
		}
	}
	return ctx.root.Get(key)
}

// lookup resolves a selector without wildcards; nil when it selects nothing.
func (ctx *jsonCtx) lookup(segs []segment) *fastjson.Value {
	if len(segs) == 0 || segs[0].kind != segKey {
		return nil // the root is an object: it has no elements
	}
	v := ctx.top(segs[0].key)
	for i := 1; i < len(segs) && v != nil; i++ {
		v = step(v, &segs[i])
	}
	return v
}

// step applies one key or index step.
func step(v *fastjson.Value, g *segment) *fastjson.Value {
	switch g.kind {
	case segKey:
		if o := v.GetObject(); o != nil {
			return o.Get(g.key)
		}
	case segIndex:
		if a := v.GetArray(); g.index < len(a) {
			return a[g.index]
		}
	}
	return nil
}

// walkRoot resolves a selector with a wildcard. found: some selected value
// satisfies the condition; reached: the selector selected some value.
func (c *cond) walkRoot(ctx *jsonCtx) (found, reached bool) {
	g := &c.sel.segs[0]
	rest := c.sel.segs[1:]
	switch g.kind {
	case segKey:
		if v := ctx.top(g.key); v != nil {
			return c.walk(v, rest, ctx)
		}
		return false, false
	case segWildcard, segWildIndex:
		visit := func(x *fastjson.Value) {
			if found {
				return
			}
			f, r := c.walk(x, rest, ctx)
			found, reached = f, reached || r
		}
		if ctx.extra != nil {
			ctx.extra.Visit(func(_ []byte, x *fastjson.Value) { visit(x) })
		}
		ctx.root.Visit(func(k []byte, x *fastjson.Value) {
			if ctx.extra != nil && len(k) > 0 && ctx.extra.Get(unsafe.String(&k[0], len(k))) != nil {
				return // shadowed by Extra
			}
			visit(x)
		})
	}
	return found, reached
}

// walk applies segs to v, fanning out at a wildcard.
func (c *cond) walk(v *fastjson.Value, segs []segment, ctx *jsonCtx) (found, reached bool) {
	for i := range segs {
		g := &segs[i]
		if g.kind == segWildcard || g.kind == segWildIndex {
			rest := segs[i+1:]
			if a := v.GetArray(); a != nil {
				for _, x := range a {
					f, r := c.walk(x, rest, ctx)
					reached = reached || r
					if f {
						return true, true
					}
				}
				return false, reached
			}
			if o := v.GetObject(); o != nil {
				o.Visit(func(_ []byte, x *fastjson.Value) {
					if found {
						return
					}
					f, r := c.walk(x, rest, ctx)
					found, reached = f, reached || r
				})
			}
			return found, reached
		}
		if v = step(v, g); v == nil {
			return false, false
		}
	}
	if c.op == opNotExists {
		return true, true
	}
	return c.testJSON(v, ctx), true
}

// testJSON applies the condition to a selected value. "Property selectors
// point to value nodes ... If a property selector points to an array or
// object, the filter pattern won't match": every comparison is false on an
// object or array, != included ("both {$.users = 1} and {$.users != 1} will
// fail to match a log event where users is an array").
func (c *cond) testJSON(v *fastjson.Value, ctx *jsonCtx) bool {
	t := v.Type()
	switch c.op {
	case opIsNull:
		return t == fastjson.TypeNull
	case opIsTrue:
		return t == fastjson.TypeTrue
	case opIsFalse:
		return t == fastjson.TypeFalse
	}
	if t == fastjson.TypeObject || t == fastjson.TypeArray {
		return false
	}
	switch c.op {
	case opEq:
		return c.val.equalJSON(v, t, ctx)
	case opNe:
		return !c.val.equalJSON(v, t, ctx)
	}
	f, ok := numberOf(v, t)
	return ok && compareNumbers(c.op, f, c.val.num)
}

// equalJSON reports whether a scalar equals the value. A number compares
// numerically with JSON numbers and with strings that hold a number
// ("recipientAccountId": "123456789012" = 123456789012); a string compares
// with the text of the scalar (a string's characters, a number as written,
// true, false); null equals only *.
func (val *value) equalJSON(v *fastjson.Value, t fastjson.Type, ctx *jsonCtx) bool {
	switch val.kind {
	case valAny:
		return true
	case valNumber:
		f, ok := numberOf(v, t)
		return ok && f == val.num
	}
	if t == fastjson.TypeNumber {
		// The number as written; fastjson only hands its text out through
		// MarshalTo, so borrow a buffer the Pattern owns.
		bp := ctx.p.numBufs.Get().(*[]byte)
		b := v.MarshalTo((*bp)[:0])
		ok := val.matchText(b)
		*bp = b
		ctx.p.numBufs.Put(bp)
		return ok
	}
	text, ok := scalarText(v, t)
	return ok && val.matchText(text)
}

// matchText applies a string or regex value to a scalar's text.
func (val *value) matchText(text []byte) bool {
	if val.kind == valRegex {
		return val.re.match(text)
	}
	return val.wild.match(text)
}

// numberOf returns the numeric value of a JSON number, or of a JSON string
// that is a number.
func numberOf(v *fastjson.Value, t fastjson.Type) (float64, bool) {
	switch t {
	case fastjson.TypeNumber:
		if f, err := v.Float64(); err == nil {
			return f, true
		}
		if b := v.MarshalTo(nil); isNumber(b) { // beyond float64 range
			return parseNumberBytes(b), true
		}
	case fastjson.TypeString:
		if b, _ := v.StringBytes(); isNumber(b) {
			return parseNumberBytes(b), true
		}
	}
	return 0, false
}

// scalarText returns the text of a string (unescaped only when it has
// escapes), true or false; ok is false for null and for numbers (see
// equalJSON). The slice must not be modified.
func scalarText(v *fastjson.Value, t fastjson.Type) ([]byte, bool) {
	switch t {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return b, true
	case fastjson.TypeTrue:
		return constBytes("true"), true
	case fastjson.TypeFalse:
		return constBytes("false"), true
	}
	return nil, false
}

// constBytes views a string constant as bytes without copying; the bytes are
// only read.
func constBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// scalarString is the text of a scalar as a new string, for extracted values.
func scalarString(v *fastjson.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	t := v.Type()
	if t == fastjson.TypeNumber {
		return string(v.MarshalTo(nil)), true
	}
	b, ok := scalarText(v, t)
	return string(b), ok
}

// extractJSON returns the extractedValues of a matched JSON event.
func (p *Pattern) extractJSON(ev *Event) map[string]string {
	m := map[string]string{}
	if !jsonExtractsSelectors {
		return m
	}
	root := ev.JSON
	var ps *fastjson.Parser
	if root == nil {
		ps = p.parsers.Get()
		defer p.parsers.Put(ps)
		var err error
		if root, err = ps.ParseBytes(ev.Message); err != nil {
			return m
		}
	}
	ctx := jsonCtx{p: p}
	if !ctx.init(root, ev.Extra) {
		return m
	}
	var collect func(e *expr)
	collect = func(e *expr) {
		if e.kind != exprCond {
			for _, x := range e.list {
				collect(x)
			}
			return
		}
		if e.cond.sel.wild > 0 {
			return
		}
		if s, ok := scalarString(ctx.lookup(e.cond.sel.segs)); ok {
			m[e.cond.sel.String()] = s
		}
	}
	collect(p.expr)
	return m
}

// jsonValue resolves a "$.a.b[0]" metric-value reference.
func (p *Pattern) jsonValue(ev *Event, ref string) (string, bool) {
	s := scanner{src: ref}
	if !strings.HasPrefix(ref, "$.") {
		return "", false
	}
	sel, err := s.selector()
	if err != nil || !s.eof() {
		return "", false
	}
	root := ev.JSON
	if root == nil {
		ps := p.parsers.Get()
		defer p.parsers.Put(ps)
		if root, err = ps.ParseBytes(ev.Message); err != nil {
			return "", false
		}
	}
	ctx := jsonCtx{p: p}
	if !ctx.init(root, ev.Extra) {
		return "", false
	}
	if sel.wild > 0 {
		return "", false // a metric value names one value; see ValidateMetricValue
	}
	v := ctx.lookup(sel.segs)
	if v == nil || v.Type() == fastjson.TypeNull {
		return "", false
	}
	return scalarString(v)
}
