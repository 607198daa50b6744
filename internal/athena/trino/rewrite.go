package trino

import (
	"fmt"
	"regexp"
	"strings"
)

// Rewrite rewrites the Trino calls in one SQL text that DuckDB cannot take
// as macros, and leaves everything else byte for byte as it was:
//
//   - date_parse(s, 'fmt') and date_format(t, 'fmt') (MySQL specifiers),
//     parse_datetime(s, 'fmt') and format_datetime(t, 'fmt') (Joda-Time
//     patterns) become strptime/strftime with the format translated, because
//     DuckDB needs these formats as constants, which a macro cannot compute.
//     A format that is not a string literal is left alone (the macro then
//     says so); a specifier DuckDB has no equivalent for becomes an error()
//     naming it.
//   - json_extract, json_extract_scalar and json_size with a literal path
//     in Trino's bracket notation ($["a b"], $[name]) get DuckDB's ($."a b").
//   - transform(a, f) becomes list_transform, any_match, all_match and
//     none_match list_bool_or/list_bool_and over list_transform: a macro
//     cannot pass a lambda on.
//   - if(c, v) gets its NULL else-value (DuckDB's if takes three arguments).
//   - UNNEST(a, b, ...) and UNNEST(...) WITH ORDINALITY, which DuckDB
//     rejects, become a subquery of DuckDB unnest calls (rewriteUnnest).
//   - default.t and awsdatacatalog.default.t name Athena's default
//     database, whose name DuckDB reads as the keyword DEFAULT: it is
//     quoted ("default"), a schema that holds the tables (query.Open).
//   - A TIMESTAMP literal with a time zone ('2020-03-01 00:00 UTC') is a
//     timestamp with time zone in Trino: it becomes a TIMESTAMPTZ literal.
//
// String literals, quoted identifiers and comments are never changed, and a
// name preceded by a dot (a qualified name) is not a Trino call.
func Rewrite(sql string) string {
	var b strings.Builder
	b.Grow(len(sql))
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(sql, i)
			b.WriteString(sql[i:j])
			i = j
		case c == '-' && strings.HasPrefix(sql[i:], "--"), c == '/' && strings.HasPrefix(sql[i:], "/*"):
			j := skipComment(sql, i)
			b.WriteString(sql[i:j])
			i = j
		case isIdentStart(c):
			j := i
			for j < len(sql) && isIdentByte(sql[j]) {
				j++
			}
			if j < len(sql) && sql[j] == '.' && strings.EqualFold(sql[i:j], "default") {
				// Athena's default database: a keyword to DuckDB.
				b.WriteString(`"default"`)
				i = j
				continue
			}
			if out, end, ok := rewriteCall(sql, i, j); ok {
				b.WriteString(out)
				i = end
				continue
			}
			if out, end, ok := rewriteTimestamp(sql, i, j); ok {
				b.WriteString(out)
				i = end
				continue
			}
			b.WriteString(sql[i:j])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// rewriteCall rewrites the call whose name is sql[start:nameEnd], if it is
// one Rewrite handles; end is the index after its closing parenthesis.
func rewriteCall(sql string, start, nameEnd int) (out string, end int, ok bool) {
	if prev := prevSignificant(sql, start); prev == '.' {
		return "", 0, false
	}
	name := strings.ToLower(sql[start:nameEnd])
	open := nameEnd
	for open < len(sql) && isSpace(sql[open]) {
		open++
	}
	if open >= len(sql) || sql[open] != '(' {
		return "", 0, false
	}
	switch name {
	case "date_parse", "date_format", "parse_datetime", "format_datetime",
		"json_extract", "json_extract_scalar", "json_size",
		"transform", "any_match", "all_match", "none_match", "if", "unnest":
	default:
		return "", 0, false
	}
	args, end, ok := splitArgs(sql, open)
	if !ok {
		return "", 0, false
	}
	for i := range args {
		args[i] = Rewrite(args[i])
	}
	switch name {
	case "date_parse", "date_format", "parse_datetime", "format_datetime":
		if len(args) != 2 {
			return "", 0, false
		}
		lit, isLit := stringLiteral(args[1])
		if !isLit {
			return "", 0, false
		}
		var f string
		var err error
		switch name {
		case "date_parse", "date_format":
			f, err = mysqlToStrftime(lit)
		case "parse_datetime":
			f, err = jodaToStrftime(lit, true)
		default:
			f, err = jodaToStrftime(lit, false)
		}
		if err != nil {
			return "error(" + sqlString(fmt.Sprintf("%s: format %s: %v", name, sqlString(lit), err)) + ")", end, true
		}
		switch name {
		case "date_parse":
			return "strptime(" + args[0] + ", " + sqlString(f) + ")", end, true
		case "parse_datetime":
			return "CAST(strptime(" + args[0] + ", " + sqlString(f) + ") AS TIMESTAMPTZ)", end, true
		default:
			return "strftime(CAST(" + args[0] + " AS TIMESTAMP), " + sqlString(f) + ")", end, true
		}
	case "json_extract", "json_extract_scalar", "json_size":
		if len(args) != 2 {
			return "", 0, false
		}
		lit, isLit := stringLiteral(args[1])
		if !isLit {
			return "", 0, false
		}
		p, changed := jsonPath(lit)
		if !changed {
			return "", 0, false
		}
		return sql[start:nameEnd] + "(" + args[0] + ", " + sqlString(p) + ")", end, true
	case "transform":
		return "list_transform(" + strings.Join(args, ", ") + ")", end, true
	case "any_match", "all_match", "none_match":
		if len(args) != 2 {
			return "", 0, false
		}
		each := "list_transform(" + args[0] + ", " + args[1] + ")"
		switch name {
		case "any_match":
			return "list_bool_or(" + each + ")", end, true
		case "all_match":
			return "list_bool_and(" + each + ")", end, true
		}
		return "(NOT list_bool_or(" + each + "))", end, true
	case "if":
		if len(args) != 2 {
			return "", 0, false
		}
		return sql[start:nameEnd] + "(" + args[0] + ", " + args[1] + ", NULL)", end, true
	case "unnest":
		return rewriteUnnest(sql, args, end)
	}
	return "", 0, false
}

// rewriteUnnest rewrites the UNNEST relations DuckDB rejects, several
// arrays at once or WITH ORDINALITY, into a (lateral) subquery of DuckDB
// unnest calls, which pad the shorter arrays with NULLs as Trino does; the
// alias and column names that follow stay as they are. UNNEST of one array
// without ordinality is DuckDB's own.
func rewriteUnnest(sql string, args []string, end int) (string, int, bool) {
	ordinality := false
	if rest, ok := keyword(sql, end, "with"); ok {
		if rest, ok = keyword(sql, rest, "ordinality"); ok {
			ordinality, end = true, rest
		}
	}
	if len(args) == 0 || len(args) == 1 && !ordinality {
		return "", 0, false
	}
	for _, a := range args {
		if strings.Contains(a, ":=") { // DuckDB's unnest(l, recursive := true)
			return "", 0, false
		}
	}
	var items, lens []string
	for i, a := range args {
		items = append(items, fmt.Sprintf("unnest(%s) AS unnest_%d", a, i+1))
		lens = append(lens, "len("+a+")")
	}
	if ordinality {
		n := lens[0]
		if len(lens) > 1 {
			n = "greatest(" + strings.Join(lens, ", ") + ")"
		}
		items = append(items, "unnest(generate_series(1, "+n+")) AS ordinality")
	}
	return "(SELECT " + strings.Join(items, ", ") + ")", end, true
}

// zonedTimestamp is a Trino timestamp literal with a time zone: date,
// time with or without seconds, and a zone name or offset.
var zonedTimestamp = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}) (\d{1,2}:\d{2})(:\d{2}(?:\.\d+)?)? ?([A-Za-z][A-Za-z0-9_/+-]*|[+-]\d{2}(?::?\d{2})?)$`)

// rewriteTimestamp turns TIMESTAMP '... zone' into DuckDB's TIMESTAMPTZ
// literal, seconds added where Trino left them out.
func rewriteTimestamp(sql string, start, nameEnd int) (string, int, bool) {
	if !strings.EqualFold(sql[start:nameEnd], "timestamp") || prevSignificant(sql, start) == '.' {
		return "", 0, false
	}
	q := nameEnd
	for q < len(sql) && isSpace(sql[q]) {
		q++
	}
	if q >= len(sql) || sql[q] != '\'' {
		return "", 0, false
	}
	end := skipQuoted(sql, q)
	lit, ok := stringLiteral(sql[q:end])
	if !ok {
		return "", 0, false
	}
	m := zonedTimestamp.FindStringSubmatch(strings.TrimSpace(lit))
	if m == nil {
		return "", 0, false
	}
	secs := m[3]
	if secs == "" {
		secs = ":00"
	}
	sep := " "
	if m[4][0] == '+' || m[4][0] == '-' {
		sep = ""
	}
	return "TIMESTAMPTZ " + sqlString(m[1]+" "+m[2]+secs+sep+m[4]), end, true
}

// keyword reports whether the word kw (any case) follows white space at i
// in s, and returns the index after it.
func keyword(s string, i int, kw string) (int, bool) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if len(s)-i < len(kw) || !strings.EqualFold(s[i:i+len(kw)], kw) || i+len(kw) < len(s) && isIdentByte(s[i+len(kw)]) {
		return 0, false
	}
	return i + len(kw), true
}

// mysqlToStrftime translates the MySQL format specifiers of Trino's
// date_parse and date_format
// (https://trino.io/docs/current/functions/datetime.html#mysql-date-functions)
// into DuckDB's strptime/strftime ones.
func mysqlToStrftime(f string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(f) { // a lone % at the end is itself
			b.WriteString("%%")
			break
		}
		i++
		switch s := f[i]; s {
		case 'a', 'b', 'd', 'H', 'I', 'j', 'm', 'p', 'S', 'Y', 'y', 'f':
			b.WriteByte('%')
			b.WriteByte(s)
		case 'c':
			b.WriteString("%-m")
		case 'e':
			b.WriteString("%-d")
		case 'h':
			b.WriteString("%I")
		case 'i':
			b.WriteString("%M")
		case 'k':
			b.WriteString("%-H")
		case 'l':
			b.WriteString("%-I")
		case 'M':
			b.WriteString("%B")
		case 'r':
			b.WriteString("%I:%M:%S %p")
		case 's':
			b.WriteString("%S")
		case 'T':
			b.WriteString("%H:%M:%S")
		case 'v':
			b.WriteString("%V")
		case 'W':
			b.WriteString("%A")
		case 'x':
			b.WriteString("%G")
		case '%':
			b.WriteString("%%")
		case 'D', 'U', 'u', 'V', 'w', 'X':
			// Trino: "not currently supported".
			return "", fmt.Errorf("%%%c is not supported", s)
		default: // %x for any other x is x
			if s == '%' {
				b.WriteString("%%")
			} else {
				b.WriteByte(s)
			}
		}
	}
	return b.String(), nil
}

// jodaToStrftime translates a Joda-Time pattern of Trino's parse_datetime
// and format_datetime
// (https://www.joda.org/joda-time/apidocs/org/joda/time/format/DateTimeFormat.html)
// into DuckDB's strptime (parse) or strftime format. The number of letters
// matters as in Joda: MMM is a month's short name, MM two digits, M one or
// two. Text in single quotes is literal, and two single quotes are one.
// Formatting prints the zone as UTC, the session time zone.
func jodaToStrftime(p string, parse bool) (string, error) {
	var b strings.Builder
	lit := func(s string) { b.WriteString(strings.ReplaceAll(s, "%", "%%")) }
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			if i+1 < len(p) && p[i+1] == '\'' { // '' outside quotes
				b.WriteByte('\'')
				i += 2
				continue
			}
			// Quoted text up to the closing quote; '' inside is a quote.
			j := i + 1
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit(p[j : j+1])
				j++
			}
			if j >= len(p) {
				return "", fmt.Errorf("unterminated quote")
			}
			i = j + 1
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			lit(p[i : i+1])
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		var s string
		switch c {
		case 'y', 'Y':
			s = "%Y"
			if n == 2 {
				s = "%y"
			}
		case 'x':
			s = "%G"
		case 'w':
			s = "%V"
		case 'e':
			s = "%u"
		case 'E':
			s = "%a"
			if n >= 4 {
				s = "%A"
			}
		case 'D':
			s = "%j"
			if n < 3 {
				s = "%-j"
			}
		case 'M':
			switch {
			case n >= 4:
				s = "%B"
			case n == 3:
				s = "%b"
			case n == 2:
				s = "%m"
			default:
				s = "%-m"
			}
		case 'd':
			s = twoDigit(n, "%d", "%-d")
		case 'a':
			s = "%p"
		case 'h':
			s = twoDigit(n, "%I", "%-I")
		case 'H':
			s = twoDigit(n, "%H", "%-H")
		case 'm':
			s = twoDigit(n, "%M", "%-M")
		case 's':
			s = twoDigit(n, "%S", "%-S")
		case 'S':
			switch {
			case n <= 3:
				s = "%g"
			case n <= 6:
				s = "%f"
			default:
				s = "%n"
			}
		case 'Z':
			switch {
			case parse && n <= 2:
				s = "%z"
			case parse:
				s = "%Z"
			case n == 1:
				s = "+0000"
			case n == 2:
				s = "+00:00"
			default:
				s = "UTC"
			}
		case 'z':
			s = "%Z"
			if !parse {
				s = "UTC"
			}
		default:
			return "", fmt.Errorf("pattern letter %c is not supported", c)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func twoDigit(n int, padded, unpadded string) string {
	if n >= 2 {
		return padded
	}
	return unpadded
}

// jsonPath translates Trino's bracket notation for object keys ($["a b"],
// $[name]) into DuckDB's ($."a b"); array indexes stay.
func jsonPath(p string) (string, bool) {
	if !strings.Contains(p, "[") {
		return p, false
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(p); {
		if p[i] != '[' {
			b.WriteByte(p[i])
			i++
			continue
		}
		j := i + 1
		switch {
		case j < len(p) && p[j] == '"':
			// ["key"], with \" and \\ escapes
			k := j + 1
			var key strings.Builder
			for k < len(p) && p[k] != '"' {
				if p[k] == '\\' && k+1 < len(p) {
					k++
				}
				key.WriteByte(p[k])
				k++
			}
			if k+1 < len(p) && p[k] == '"' && p[k+1] == ']' {
				b.WriteString(`."` + strings.ReplaceAll(key.String(), `"`, `""`) + `"`)
				i = k + 2
				changed = true
				continue
			}
		case j < len(p) && (isIdentStart(p[j])):
			k := j
			for k < len(p) && p[k] != ']' {
				k++
			}
			if k < len(p) {
				b.WriteString(`."` + p[j:k] + `"`)
				i = k + 1
				changed = true
				continue
			}
		}
		b.WriteByte(p[i])
		i++
	}
	return b.String(), changed
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentByte(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// prevSignificant returns the byte before i that is not white space (0 at
// the start).
func prevSignificant(s string, i int) byte {
	for i--; i >= 0; i-- {
		if !isSpace(s[i]) {
			return s[i]
		}
	}
	return 0
}

// skipQuoted returns the index after the string literal or quoted
// identifier starting at i (a doubled quote is an escaped one).
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// skipComment returns the index after the -- or /* */ comment at i.
func skipComment(s string, i int) int {
	if s[i] == '-' {
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(s)
	}
	if j := strings.Index(s[i+2:], "*/"); j >= 0 {
		return i + 2 + j + 2
	}
	return len(s)
}

// splitArgs splits the argument list whose "(" is at open into its
// top-level arguments (trimmed); end is the index after the matching ")".
func splitArgs(s string, open int) (args []string, end int, ok bool) {
	depth, start := 0, open+1
	for i := open; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			i = skipQuoted(s, i) - 1
		case c == '-' && strings.HasPrefix(s[i:], "--"), c == '/' && strings.HasPrefix(s[i:], "/*"):
			i = skipComment(s, i) - 1
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
			if depth == 0 {
				if c != ')' {
					return nil, 0, false
				}
				last := strings.TrimSpace(s[start:i])
				if last == "" && len(args) == 0 {
					return nil, i + 1, true
				}
				return append(args, last), i + 1, true
			}
		case c == ',' && depth == 1:
			args = append(args, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return nil, 0, false
}

// stringLiteral returns the value of a single-quoted SQL string literal.
func stringLiteral(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || skipQuoted(s, 0) != len(s) {
		return "", false
	}
	return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
