package query

import "strings"

// Athena (Trino) functions as DuckDB macros, so that the queries users run
// on Athena run here unchanged. Each follows the Trino function reference
// (https://trino.io/docs/current/functions.html), which Athena engine
// version 3 implements; docs/athena.md lists them and what still differs.
//
// Macros shadow DuckDB's built-in functions of the same name; where a macro
// needs the built-in it names it system.main.NAME.

// mysqlToStrftime rewrites MySQL-style specifiers (date_parse,
// date_format) that differ from strftime: %i minutes, %s seconds, %T time,
// %r 12-hour time, %e unpadded day, %k unpadded hour, %l unpadded 12-hour,
// %v week.
var mysqlToStrftime = strings.NewReplacer(
	"%%", "%%", "%i", "%M", "%s", "%S", "%T", "%H:%M:%S", "%r", "%I:%M:%S %p",
	"%e", "%-d", "%k", "%-H", "%l", "%-I", "%v", "%V")

// jodaToStrftime rewrites the Joda-Time patterns of parse_datetime and
// format_datetime (longest token first, so MMM is not MM + M); quoted
// literals lose their quotes ('T' -> T, ” -> ').
func jodaToStrftime(p string) string {
	tokens := [][2]string{
		{"yyyy", "%Y"}, {"YYYY", "%Y"}, {"yy", "%y"},
		{"MMMM", "%B"}, {"MMM", "%b"}, {"MM", "%m"},
		{"dd", "%d"}, {"EEEE", "%A"}, {"EEE", "%a"},
		{"HH", "%H"}, {"hh", "%I"}, {"mm", "%M"}, {"ss", "%S"},
		{"SSSSSS", "%f"}, {"SSS", "%g"}, {"a", "%p"}, {"ZZ", "%z"}, {"Z", "%z"},
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		if p[i] == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j == 0 { // ''
				b.WriteByte('\'')
				i += 2
				continue
			}
			if j < 0 {
				j = len(p) - i - 1
			}
			b.WriteString(strings.ReplaceAll(p[i+1:i+1+j], "%", "%%"))
			i += j + 2
			continue
		}
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(p[i:], t[0]) {
				b.WriteString(t[1])
				i += len(t[0])
				matched = true
				break
			}
		}
		if !matched {
			if p[i] == '%' {
				b.WriteByte('%')
			}
			b.WriteByte(p[i])
			i++
		}
	}
	return b.String()
}

// formatFuncs are the Athena functions whose format argument DuckDB needs
// as a constant strftime pattern: RewriteAthena translates the literal.
var formatFuncs = map[string]struct {
	call      string // DuckDB function
	cast      string // cast of the first argument, if any
	translate func(string) string
}{
	"date_parse":      {"strptime", "", mysqlToStrftime.Replace},
	"date_format":     {"strftime", "TIMESTAMP", mysqlToStrftime.Replace},
	"parse_datetime":  {"strptime", "", jodaToStrftime},
	"format_datetime": {"strftime", "TIMESTAMP", jodaToStrftime},
}

// RewriteAthena rewrites the calls DuckDB cannot take as macros:
// date_parse, date_format, parse_datetime and format_datetime with a
// string-literal format become strptime/strftime with the format
// translated. String literals, quoted identifiers and comments are left
// alone; a call whose format is not a literal is left as it is (and fails
// to bind, saying which function).
func RewriteAthena(sql string) string {
	var b strings.Builder
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(sql, i)
			b.WriteString(sql[i:j])
			i = j
			continue
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			b.WriteString(sql[i : i+j])
			i += j
			continue
		case isIdentByte(c) && (i == 0 || !isIdentByte(sql[i-1])):
			j := i
			for j < len(sql) && isIdentByte(sql[j]) {
				j++
			}
			name := strings.ToLower(sql[i:j])
			k := j
			for k < len(sql) && (sql[k] == ' ' || sql[k] == '\t' || sql[k] == '\n' || sql[k] == '\r') {
				k++
			}
			if f, ok := formatFuncs[name]; ok && k < len(sql) && sql[k] == '(' {
				if args, end, ok := splitArgs(sql, k); ok && len(args) == 2 {
					if lit, ok := stringLiteral(args[1]); ok {
						first := RewriteAthena(args[0])
						if f.cast != "" {
							first = "CAST(" + first + " AS " + f.cast + ")"
						}
						b.WriteString(f.call + "(" + first + ", " + sqlString(f.translate(lit)) + ")")
						i = end
						continue
					}
				}
			}
			b.WriteString(sql[i:j])
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipQuoted returns the index after the quoted literal or identifier
// starting at i (” and "" are escaped quotes).
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

// splitArgs splits the argument list whose "(" is at open; end is the
// index after the matching ")".
func splitArgs(s string, open int) (args []string, end int, ok bool) {
	depth, start := 0, open+1
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			i = skipQuoted(s, i) - 1
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(args, strings.TrimSpace(s[start:i])), i + 1, true
			}
		case ',':
			if depth == 1 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return nil, 0, false
}

// stringLiteral returns the value of a single-quoted SQL literal.
func stringLiteral(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || skipQuoted(s, 0) != len(s) {
		return "", false
	}
	return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// AthenaCompat returns the statements that install the compatibility
// layer on a DuckDB connection.
func AthenaCompat() []string {
	return []string{
		// Athena works in UTC.
		`SET TimeZone = 'UTC'`,
		// json_extract_scalar: the scalar at the JSONPath as varchar; NULL
		// for objects, arrays and missing paths.
		`CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS
			CASE WHEN json_type(CAST(j AS JSON), p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(CAST(j AS JSON), p) END`,
		`CREATE OR REPLACE MACRO json_array_get(j, i) AS json_extract(CAST(j AS JSON), '$[' || CAST(i AS VARCHAR) || ']')`,
		`CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)`,
		`CREATE OR REPLACE MACRO json_parse(s) AS CAST(s AS JSON)`,
		// Times.
		`CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
		`CREATE OR REPLACE MACRO from_iso8601_date(s) AS CAST(s AS DATE)`,
		`CREATE OR REPLACE MACRO to_iso8601(t) AS strftime(CAST(t AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')`,
		`CREATE OR REPLACE MACRO from_unixtime(n) AS to_timestamp(CAST(n AS DOUBLE))`,
		`CREATE OR REPLACE MACRO to_unixtime(t) AS epoch(CAST(t AS TIMESTAMPTZ))`,
		// date_add(unit, n, t) as Trino has it, beside DuckDB's date_add(t, interval).
		`CREATE OR REPLACE MACRO date_add(d, i) AS d + i,
			(unit, n, t) AS t + CAST(n AS BIGINT) * CASE lower(unit)
				WHEN 'millisecond' THEN INTERVAL 1 MILLISECOND WHEN 'second' THEN INTERVAL 1 SECOND
				WHEN 'minute' THEN INTERVAL 1 MINUTE WHEN 'hour' THEN INTERVAL 1 HOUR WHEN 'day' THEN INTERVAL 1 DAY
				WHEN 'week' THEN INTERVAL 7 DAY WHEN 'month' THEN INTERVAL 1 MONTH WHEN 'quarter' THEN INTERVAL 3 MONTH
				WHEN 'year' THEN INTERVAL 1 YEAR END`,
		// Trino's date_diff counts whole units elapsed, which is DuckDB's
		// date_sub (DuckDB's date_diff counts boundaries crossed).
		`CREATE OR REPLACE MACRO date_diff(unit, a, b) AS date_sub(unit, a, b)`,
		// Regular expressions: a match anywhere; NULL when nothing matches.
		`CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)`,
		`CREATE OR REPLACE MACRO regexp_extract(s, p) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p, 0) END,
			(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p, g) END`,
		// Arrays and maps: 1-based, NULL out of range.
		`CREATE OR REPLACE MACRO element_at(c, k) AS c[k]`,
		`CREATE OR REPLACE MACRO cardinality(x) AS CAST(greatest(json_array_length(to_json(x)), len(json_keys(to_json(x)))) AS BIGINT)`,
	}
}
