package filterpattern

// space parses a space-delimited pattern: "[" field ("," field)* "]"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-term-space-delimited-log-events).
func (ps *parser) space(p *Pattern) error {
	s := &ps.s
	open := s.pos
	s.pos++ // [
	s.skipSpace()
	if s.peek() == ']' {
		s.pos++
		p.emptyList = true
	} else {
		for {
			s.skipSpace()
			fieldStart := s.pos
			f, err := ps.field(p)
			if err != nil {
				return err
			}
			if f.ellipsis {
				if p.ellipsis >= 0 {
					return errorf(fieldStart, "a space-delimited pattern may contain \"...\" only once")
				}
				p.ellipsis = len(p.fields)
			}
			p.fields = append(p.fields, f)
			s.skipSpace()
			if s.peek() == ',' {
				s.pos++
				continue
			}
			if s.peek() == ']' {
				s.pos++
				break
			}
			if s.eof() {
				return errorf(s.pos, "expected \"]\" to close the \"[\" at column %d, found end of pattern", open+1)
			}
			return errorf(s.pos, "expected \",\" or \"]\" after a field, found %s", s.found())
		}
	}
	s.skipSpace()
	if !s.eof() {
		return errorf(s.pos, "unexpected %s after the closing \"]\" of the space-delimited pattern", s.found())
	}
	p.names = make(map[string]int)
	for i, f := range p.fields {
		if f.name == "" {
			continue
		}
		if _, dup := p.names[f.name]; dup {
			return errorf(open, "field name %q is used twice", f.name)
		}
		p.names[f.name] = i
	}
	return nil
}

// field parses one field: empty, "...", a name, or conditions on a name
// joined with && and || ("status_code = 404 || status_code = 410").
func (ps *parser) field(p *Pattern) (field, error) {
	s := &ps.s
	s.skipSpace()
	if c := s.peek(); c == ',' || c == ']' {
		return field{}, nil // an empty slot, extracted as $N
	}
	if s.hasPrefix("...") {
		s.pos += 3
		s.skipSpace()
		if c := s.peek(); c != ',' && c != ']' && !s.eof() {
			return field{}, errorf(s.pos, "\"...\" stands for any number of fields and cannot have conditions; found %s", s.found())
		}
		return field{ellipsis: true}, nil
	}
	start := s.pos
	e, err := ps.spaceOr()
	if err != nil {
		return field{}, err
	}
	if e.kind == exprCond && e.cond.op == opNone {
		return field{name: e.cond.field}, nil
	}
	// Every condition of a field names that field.
	var name string
	var check func(x *expr) error
	check = func(x *expr) error {
		if x.kind != exprCond {
			for _, y := range x.list {
				if err := check(y); err != nil {
					return err
				}
			}
			return nil
		}
		if x.cond.op == opNone {
			return errorf(start, "field %q needs an operator (=, !=, <, <=, >, >=) when combined with && or ||", x.cond.field)
		}
		if name == "" {
			name = x.cond.field
		} else if x.cond.field != name {
			return errorf(start, "the conditions of one field must all name that field: found %q and %q", name, x.cond.field)
		}
		return nil
	}
	if err := check(e); err != nil {
		return field{}, err
	}
	return field{name: name, cond: e}, nil
}

func (ps *parser) spaceOr() (*expr, error) {
	x, err := ps.spaceAnd()
	if err != nil {
		return nil, err
	}
	for {
		ps.s.skipSpace()
		if !ps.s.hasPrefix("||") {
			return x, nil
		}
		ps.s.pos += 2
		y, err := ps.spaceAnd()
		if err != nil {
			return nil, err
		}
		x = join(exprOr, x, y)
	}
}

func (ps *parser) spaceAnd() (*expr, error) {
	x, err := ps.spaceCond()
	if err != nil {
		return nil, err
	}
	for {
		ps.s.skipSpace()
		if !ps.s.hasPrefix("&&") {
			return x, nil
		}
		ps.s.pos += 2
		y, err := ps.spaceCond()
		if err != nil {
			return nil, err
		}
		x = join(exprAnd, x, y)
	}
}

// spaceCond parses name [op value].
func (ps *parser) spaceCond() (*expr, error) {
	s := &ps.s
	s.skipSpace()
	start := s.pos
	for s.pos < len(s.src) && (isAlnum(s.src[s.pos]) || s.src[s.pos] == '_' || s.src[s.pos] == '-') {
		s.pos++
	}
	name := s.src[start:s.pos]
	if name == "" {
		return nil, errorf(start, "expected a field name (letters, digits, \"_\" and \"-\"), found %s", s.found())
	}
	c := &cond{field: name}
	s.skipSpace()
	opStart := s.pos
	if o := s.operator(); o != opNone {
		if o == opEq && s.peek() == '=' {
			return nil, errorf(opStart, "\"==\" is not an operator; use \"=\"")
		}
		c.op = o
		v, err := ps.value(o, opStart, wordSpace)
		if err != nil {
			return nil, err
		}
		c.val = v
	} else if ch := s.peek(); !s.eof() && ch != ',' && ch != ']' && !s.hasPrefix("&&") && !s.hasPrefix("||") {
		return nil, errorf(s.pos, "expected an operator (=, !=, <, <=, >, >=), \",\" or \"]\" after field %q, found %s", name, s.found())
	}
	return &expr{kind: exprCond, cond: c}, nil
}
