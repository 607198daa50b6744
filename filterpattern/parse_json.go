package filterpattern

import "strings"

// json parses a JSON pattern: "{" expr "}"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-json-log-events).
func (ps *parser) json(p *Pattern) error {
	s := &ps.s
	open := s.pos
	s.pos++ // {
	s.skipSpace()
	if s.peek() == '}' {
		return errorf(s.pos, "expected a condition such as $.eventName = CreateUser inside { }, found \"}\"")
	}
	e, err := ps.or()
	if err != nil {
		return err
	}
	s.skipSpace()
	switch {
	case s.eof():
		return errorf(s.pos, "expected \"}\" to close the \"{\" at column %d, found end of pattern", open+1)
	case s.peek() == ')':
		return errorf(s.pos, "unexpected \")\" without a matching \"(\"")
	case s.peek() != '}':
		return errorf(s.pos, "expected \"&&\", \"||\" or \"}\", found %s", s.found())
	}
	s.pos++
	s.skipSpace()
	if !s.eof() {
		return errorf(s.pos, "unexpected %s after the closing \"}\" of the JSON pattern", s.found())
	}
	p.expr = e
	return nil
}

// or parses and ("||" and)*: && binds tighter than || ("() > && > ||").
func (ps *parser) or() (*expr, error) {
	x, err := ps.and()
	if err != nil {
		return nil, err
	}
	for {
		ps.s.skipSpace()
		if !ps.s.hasPrefix("||") {
			return x, nil
		}
		ps.s.pos += 2
		y, err := ps.and()
		if err != nil {
			return nil, err
		}
		x = join(exprOr, x, y)
	}
}

func (ps *parser) and() (*expr, error) {
	x, err := ps.primary()
	if err != nil {
		return nil, err
	}
	for {
		ps.s.skipSpace()
		if !ps.s.hasPrefix("&&") {
			return x, nil
		}
		ps.s.pos += 2
		y, err := ps.primary()
		if err != nil {
			return nil, err
		}
		x = join(exprAnd, x, y)
	}
}

// join combines x and y with && or ||, flattening chains.
func join(k exprKind, x, y *expr) *expr {
	if x.kind != k {
		x = &expr{kind: k, list: []*expr{x}}
	}
	if y.kind == k {
		x.list = append(x.list, y.list...)
	} else {
		x.list = append(x.list, y)
	}
	return x
}

// primary parses "(" or ")" or a condition.
func (ps *parser) primary() (*expr, error) {
	s := &ps.s
	s.skipSpace()
	switch c := s.peek(); {
	case c == '(':
		open := s.pos
		s.pos++
		e, err := ps.or()
		if err != nil {
			return nil, err
		}
		s.skipSpace()
		if s.peek() != ')' {
			return nil, errorf(s.pos, "expected \")\" to close the \"(\" at column %d, found %s", open+1, s.found())
		}
		s.pos++
		return e, nil
	case c == '$':
		c, err := ps.jsonCond()
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprCond, cond: c}, nil
	case s.eof() || c == '}' || c == ')' || s.hasPrefix("&&") || s.hasPrefix("||"):
		return nil, errorf(s.pos, "expected a condition such as $.eventName = CreateUser, found %s", s.found())
	default:
		return nil, errorf(s.pos, "expected a selector starting with \"$.\", found %s", s.found())
	}
}

// jsonCond parses selector (op value | IS NULL | IS TRUE | IS FALSE | NOT EXISTS).
func (ps *parser) jsonCond() (*cond, error) {
	s := &ps.s
	selStart := s.pos
	sel, err := s.selector()
	if err != nil {
		return nil, err
	}
	if sel.wild > 0 {
		ps.wild++
		if ps.wild > MaxWildcardSelectors {
			return nil, errorf(selStart, "a filter pattern may contain at most %d wildcard selectors", MaxWildcardSelectors)
		}
	}
	selText := s.src[selStart:s.pos]
	c := &cond{sel: sel}
	s.skipSpace()
	opStart := s.pos
	if o := s.operator(); o != opNone {
		if o == opEq && s.peek() == '=' {
			return nil, errorf(opStart, "\"==\" is not an operator; use \"=\"")
		}
		c.op = o
		c.val, err = ps.value(o, opStart, wordJSON)
		return c, err
	}
	kw := s.keyword()
	switch kw {
	case "IS":
		s.skipSpace()
		at := s.pos
		switch k := s.keyword(); k {
		case "NULL":
			c.op = opIsNull
		case "TRUE":
			c.op = opIsTrue
		case "FALSE":
			c.op = opIsFalse
		case "NOT":
			return nil, errorf(at, "IS NOT is not supported; use != or NOT EXISTS")
		default:
			s.pos = at
			if strings.EqualFold(k, "null") || strings.EqualFold(k, "true") || strings.EqualFold(k, "false") {
				return nil, errorf(at, "keywords are upper case: write IS %s", strings.ToUpper(k))
			}
			return nil, errorf(at, "expected NULL, TRUE or FALSE after IS, found %s", s.found())
		}
		return c, nil
	case "NOT":
		s.skipSpace()
		at := s.pos
		if k := s.keyword(); k != "EXISTS" {
			s.pos = at
			if strings.EqualFold(k, "exists") {
				return nil, errorf(at, "keywords are upper case: write NOT EXISTS")
			}
			return nil, errorf(at, "expected EXISTS after NOT, found %s", s.found())
		}
		c.op = opNotExists
		return c, nil
	case "EXISTS":
		return nil, errorf(opStart, "EXISTS is not supported; use %s = * to test that a field exists", selText)
	}
	if strings.EqualFold(kw, "is") || strings.EqualFold(kw, "not") || strings.EqualFold(kw, "exists") {
		return nil, errorf(opStart, "keywords are upper case: write %s", strings.ToUpper(kw))
	}
	s.pos = opStart
	return nil, errorf(opStart, "expected an operator (=, !=, <, <=, >, >=, IS or NOT EXISTS) after %s, found %s", selText, s.found())
}
