// Package trino makes the SQL users run on Amazon Athena (engine version 3,
// Trino) run unchanged on DuckDB 1.3: Statements installs Trino's functions
// as DuckDB macros on a connection, and Rewrite rewrites what a macro
// cannot express (functions whose format DuckDB needs as a constant, lambda
// functions, two-argument if, UNNEST of several arrays or WITH ORDINALITY,
// timestamp literals with a zone). docs/athena.md lists what is bridged
// and the dialect differences that remain.
//
// Each macro follows the Trino function reference
// (https://trino.io/docs/current/functions.html); the tests check them
// against the values it documents.
package trino

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
)

// Statements returns the SQL that installs the compatibility layer on one
// DuckDB connection: settings (Athena works in UTC and divides integers as
// integers) and temporary macros, which live in the connection's temp
// schema, shadow DuckDB's built-in functions of the same name and are gone
// when the connection closes. Run them on every new connection (InitConn
// does that for duckdb.NewConnector). Where a macro needs the built-in
// function it shadows, it calls it as system.main.NAME.
func Statements() []string {
	m := func(def string) string { return "CREATE OR REPLACE TEMP MACRO " + def }
	return []string{
		`SET TimeZone = 'UTC'`,
		// Trino's / on integers truncates (5 / 2 = 2); DuckDB's returns a
		// double unless told otherwise.
		`SET integer_division = true`,

		// JSON (https://trino.io/docs/current/functions/json.html). The
		// scalar at the path as varchar; NULL for objects, arrays, JSON
		// null, a missing path and text that is not JSON.
		m(`json_extract_scalar(j, p) AS try(json_extract_string(json_value(j, p), '$'))`),
		// json_array_get: zero-based, negative from the end, NULL out of
		// range; a string element comes back without its quotes (Trino's
		// documented behaviour).
		m(`json_array_get(j, i) AS (CASE WHEN json_type(json_extract(j, CASE WHEN i < 0 THEN '$[#' ELSE '$[' END || CAST(i AS VARCHAR) || ']')) = 'VARCHAR'
			THEN json_extract_string(j, CASE WHEN i < 0 THEN '$[#' ELSE '$[' END || CAST(i AS VARCHAR) || ']')
			ELSE CAST(json_extract(j, CASE WHEN i < 0 THEN '$[#' ELSE '$[' END || CAST(i AS VARCHAR) || ']') AS VARCHAR) END)`),
		m(`json_array_contains(j, v) AS list_contains(json_extract_string(j, '$[*]'), CAST(v AS VARCHAR))`),
		m(`json_array_length(j) AS CASE WHEN json_type(j) = 'ARRAY' THEN CAST(system.main.json_array_length(j) AS BIGINT) END`),
		m(`json_size(j, p) AS CASE json_type(j, p) WHEN 'ARRAY' THEN CAST(system.main.json_array_length(j, p) AS BIGINT)
			WHEN 'OBJECT' THEN CAST(len(json_keys(j, p)) AS BIGINT) WHEN NULL THEN NULL ELSE CAST(0 AS BIGINT) END`),
		m(`json_format(j) AS CAST(json(j) AS VARCHAR)`),
		m(`json_parse(s) AS json(s)`),
		m(`is_json_scalar(j) AS json_type(json(j)) NOT IN ('OBJECT', 'ARRAY')`),

		// Date and time (https://trino.io/docs/current/functions/datetime.html).
		m(`from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`),
		m(`from_iso8601_timestamp_nanos(s) AS CAST(s AS TIMESTAMPTZ)`),
		m(`from_iso8601_date(s) AS CAST(s AS DATE)`),
		// to_iso8601: a date as 2020-05-11, a timestamp with milliseconds,
		// a timestamp with time zone also with its zone (always UTC here).
		m(`to_iso8601(x) AS CASE
			WHEN typeof(x) = 'DATE' THEN strftime(CAST(x AS DATE), '%Y-%m-%d')
			WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'
			ELSE strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g') END`),
		m(`from_unixtime(n) AS to_timestamp(CAST(n AS DOUBLE)),
			(n, zone) AS to_timestamp(CAST(n AS DOUBLE)),
			(n, h, mi) AS to_timestamp(CAST(n AS DOUBLE))`),
		m(`to_unixtime(t) AS epoch(CAST(t AS TIMESTAMPTZ))`),
		// date_add(unit, value, timestamp) beside DuckDB's date_add(date, interval).
		m(`date_add(d, i) AS d + i,
			(unit, n, t) AS t + CAST(n AS BIGINT) * CASE lower(unit)
				WHEN 'millisecond' THEN INTERVAL 1 MILLISECOND WHEN 'second' THEN INTERVAL 1 SECOND
				WHEN 'minute' THEN INTERVAL 1 MINUTE WHEN 'hour' THEN INTERVAL 1 HOUR
				WHEN 'day' THEN INTERVAL 1 DAY WHEN 'week' THEN INTERVAL 7 DAY
				WHEN 'month' THEN INTERVAL 1 MONTH WHEN 'quarter' THEN INTERVAL 3 MONTH
				WHEN 'year' THEN INTERVAL 1 YEAR
				ELSE error('date_add: ''' || unit || ''' is not a valid unit') END`),
		// Trino's date_diff counts whole units elapsed: DuckDB's date_sub
		// (DuckDB's date_diff counts unit boundaries crossed).
		m(`date_diff(unit, a, b) AS date_sub(unit, a, b)`),
		m(`day_of_week(x) AS isodow(x)`),
		m(`dow(x) AS isodow(x)`),
		m(`day_of_month(x) AS day(x)`),
		m(`day_of_year(x) AS dayofyear(x)`),
		m(`year_of_week(x) AS isoyear(x)`),
		m(`yow(x) AS isoyear(x)`),
		m(`week_of_year(x) AS week(x)`),
		m(`millisecond(x) AS system.main.millisecond(x) % 1000`),
		m(`last_day_of_month(x) AS last_day(x)`),
		m(`current_timezone() AS current_setting('TimeZone')`),
		// with_timezone: a local timestamp read in zone z. at_timezone keeps
		// the instant (DuckDB holds no zone with it, and prints UTC); going
		// through zone z and back checks that z is a zone.
		m(`with_timezone(t, z) AS timezone(z, CAST(t AS TIMESTAMP))`),
		m(`at_timezone(t, z) AS timezone(z, timezone(z, CAST(t AS TIMESTAMPTZ)))`),
		// date_parse, date_format, parse_datetime and format_datetime are
		// rewritten into strptime/strftime when their format is a string
		// literal (Rewrite); DuckDB needs these formats as constants, which
		// a macro cannot compute. What is left here is a call whose format
		// is not a literal.
		m(`date_parse(s, f) AS error('date_parse: the format must be a string literal')`),
		m(`date_format(t, f) AS error('date_format: the format must be a string literal')`),
		m(`parse_datetime(s, f) AS error('parse_datetime: the format must be a string literal')`),
		m(`format_datetime(t, f) AS error('format_datetime: the format must be a string literal')`),

		// Regular expressions (https://trino.io/docs/current/functions/regexp.html):
		// a match anywhere in the string; NULL when nothing matches;
		// regexp_replace replaces every match and takes $1 for a group.
		// trino_replacement turns a Java replacement string (\x escapes x, $n
		// is group n) into RE2's (\n is group n, \\ a backslash).
		m(`trino_replacement(r) AS replace(replace(
			system.main.regexp_replace(system.main.regexp_replace(
				replace(replace(r, '\\', chr(2)), '\$', chr(1)),
				'\\(.)', '\1', 'g'), '\$([0-9])', '\\\1', 'g'),
			chr(2), '\\'), chr(1), '$')`),
		m(`regexp_like(s, p) AS regexp_matches(s, p)`),
		m(`regexp_extract(s, p) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p, 0) END,
			(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN system.main.regexp_extract(s, p, g) END`),
		m(`regexp_count(s, p) AS CAST(len(regexp_extract_all(s, p)) AS BIGINT)`),
		// regexp_position: 1-based start of the first match (from start),
		// -1 when there is none: the length of the text before it, plus one.
		m(`regexp_position(s, p) AS CASE WHEN regexp_matches(s, p) THEN CAST(len(string_split_regex(s, p)[1]) + 1 AS BIGINT)
				WHEN s IS NOT NULL AND p IS NOT NULL THEN CAST(-1 AS BIGINT) END,
			(s, p, start) AS CASE WHEN start < 1 THEN error('regexp_position: start must be positive')
				WHEN regexp_matches(substr(s, start), p) THEN CAST(len(string_split_regex(substr(s, start), p)[1]) + start AS BIGINT)
				WHEN s IS NOT NULL AND p IS NOT NULL THEN CAST(-1 AS BIGINT) END`),
		m(`regexp_split(s, p) AS string_split_regex(s, p)`),
		m(`regexp_replace(s, p) AS system.main.regexp_replace(s, p, '', 'g'),
			(s, p, r) AS system.main.regexp_replace(s, p, trino_replacement(r), 'g')`),

		// Arrays and maps (https://trino.io/docs/current/functions/array.html,
		// https://trino.io/docs/current/functions/map.html).
		// cardinality of an array or a map: DuckDB's len takes lists only and
		// its cardinality maps only, and a macro cannot look at the type
		// without binding both, so count through JSON.
		m(`cardinality(x) AS CAST(system.main.json_array_length(to_json(x)) + len(json_keys(to_json(x))) AS BIGINT)`),
		// element_at: 1-based, negative from the end, NULL out of range or
		// for a missing key (DuckDB's subscript does all of that).
		m(`element_at(c, k) AS c[k]`),
		// array_join: NULL elements are left out, or replaced by the third
		// argument. (DuckDB's array_to_string needs a constant separator.)
		m(`trino_join(a, d) AS CASE WHEN a IS NOT NULL THEN coalesce(list_reduce(a,
			(acc, x) -> CASE WHEN acc IS NULL THEN x ELSE acc || d || x END, CAST(NULL AS VARCHAR)), '') END`),
		m(`array_join(a, d) AS trino_join(list_filter(list_transform(a, x -> CAST(x AS VARCHAR)), x -> x IS NOT NULL), d),
			(a, d, n) AS trino_join(list_transform(a, x -> coalesce(CAST(x AS VARCHAR), n)), d)`),
		m(`array_position(a, x) AS CAST(coalesce(list_position(a, x), 0) AS BIGINT)`),
		m(`array_max(a) AS list_max(a)`),
		m(`array_min(a) AS list_min(a)`),
		m(`arrays_overlap(a, b) AS list_has_any(a, b)`),
		m(`slice(a, s, n) AS CASE WHEN s > 0 THEN list_slice(a, s, s + n - 1)
			ELSE list_slice(a, len(a) + s + 1, len(a) + s + n) END`),
		m(`sequence(a, b) AS generate_series(a, b), (a, b, s) AS generate_series(a, b, s)`),

		// Strings (https://trino.io/docs/current/functions/string.html).
		// concat is NULL when an argument is (DuckDB's skips NULLs); || also
		// concatenates arrays.
		m(`concat(a, b) AS a || b, (a, b, c) AS a || b || c, (a, b, c, d) AS a || b || c || d,
			(a, b, c, d, e) AS a || b || c || d || e, (a, b, c, d, e, f) AS a || b || c || d || e || f`),
		m(`replace(s, f) AS system.main.replace(s, f, ''), (s, f, r) AS system.main.replace(s, f, r)`),
		m(`split_part(s, d, i) AS CASE WHEN i <= len(string_split(s, d)) THEN system.main.split_part(s, d, i) END`),
		m(`levenshtein_distance(a, b) AS levenshtein(a, b)`),
		m(`hamming_distance(a, b) AS hamming(a, b)`),
		m(`codepoint(s) AS unicode(s)`),
		m(`to_utf8(s) AS encode(s)`),
		m(`from_utf8(b) AS decode(b)`),

		// URLs (https://trino.io/docs/current/functions/url.html). Trino
		// parses with java.net.URI: NULL when the text is not a URI
		// (a space, "<>\\^`{|}", a control character, a bad %-escape),
		// and path, query and fragment come back %-decoded. The parts are
		// RFC 3986's (appendix B): 2 scheme, 4 authority, 5 path, 6 "?"
		// and 7 query, 8 "#" and 9 fragment. An opaque URI (mailto:a@b)
		// has no path or query.
		m(`trino_url_part(u, g) AS CASE WHEN NOT regexp_matches(u, '[\x00-\x20"<>\\^` + "`" + `{|}\x7f]|%($|.$|[^0-9A-Fa-f]|.[^0-9A-Fa-f])')
			THEN system.main.regexp_extract(u, '^(([A-Za-z][A-Za-z0-9+.-]*):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$', g) END`),
		m(`trino_url_opaque(u) AS trino_url_part(u, 2) <> '' AND trino_url_part(u, 3) = '' AND NOT starts_with(trino_url_part(u, 5), '/')`),
		m(`url_extract_protocol(u) AS nullif(trino_url_part(u, 2), '')`),
		m(`url_extract_host(u) AS nullif(system.main.regexp_replace(system.main.regexp_replace(trino_url_part(u, 4), '^[^@]*@', ''), ':[0-9]*$', ''), '')`),
		m(`url_extract_port(u) AS TRY_CAST(nullif(system.main.regexp_extract(trino_url_part(u, 4), ':([0-9]+)$', 1), '') AS BIGINT)`),
		m(`url_extract_path(u) AS CASE WHEN NOT trino_url_opaque(u) THEN system.main.url_decode(trino_url_part(u, 5)) END`),
		m(`url_extract_query(u) AS CASE WHEN trino_url_part(u, 6) <> '' AND NOT trino_url_opaque(u) THEN system.main.url_decode(trino_url_part(u, 7)) END`),
		m(`url_extract_fragment(u) AS CASE WHEN trino_url_part(u, 8) <> '' THEN system.main.url_decode(trino_url_part(u, 9)) END`),
		// The first name or name=value of the decoded query whose name is n:
		// its value, "" without "="; NULL when there is none.
		m(`url_extract_parameter(u, n) AS (SELECT CASE WHEN strpos(a, '=') > 0 THEN substr(a, strpos(a, '=') + 1) ELSE '' END
			FROM (SELECT list_filter(string_split(url_extract_query(u), '&'), x -> system.main.split_part(x, '=', 1) = n)[1] AS a) WHERE a IS NOT NULL)`),
		// url_encode is Java's URLEncoder (space as +, * kept, ~ escaped);
		// url_decode is URLDecoder (+ as space).
		m(`url_encode(s) AS replace(replace(replace(system.main.url_encode(s), '%20', '+'), '%2A', '*'), '~', '%7E')`),
		m(`url_decode(s) AS system.main.url_decode(replace(s, '+', ' '))`),

		// Math (https://trino.io/docs/current/functions/math.html).
		m(`rand() AS random()`),
		m(`truncate(x) AS trunc(x)`),
		m(`is_nan(x) AS isnan(x)`),
		m(`is_finite(x) AS isfinite(x)`),
		m(`is_infinite(x) AS isinf(x)`),
		m(`nan() AS CAST('NaN' AS DOUBLE)`),
		m(`infinity() AS CAST('Infinity' AS DOUBLE)`),

		// Aggregates (https://trino.io/docs/current/functions/aggregate.html).
		m(`approx_distinct(x) AS approx_count_distinct(x), (x, e) AS approx_count_distinct(x)`),
		m(`approx_percentile(x, p) AS approx_quantile(x, p)`),
		m(`every(x) AS bool_and(x)`),
	}
}

// Execer runs a statement: *sql.DB, *sql.Conn and *sql.Tx are Execers.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Install runs Statements on conn. With a *sql.DB it reaches one pooled
// connection only: use a *sql.Conn, or InitConn with duckdb.NewConnector.
func Install(ctx context.Context, conn Execer) error {
	for _, stmt := range Statements() {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("install Athena compatibility: %s: %w", firstLine(stmt), err)
		}
	}
	return nil
}

// InitConn runs Statements on a new driver connection; it has the
// signature of duckdb.NewConnector's connection initialiser, so that every
// connection of a pool gets the layer:
//
//	connector, err := duckdb.NewConnector(path, trino.InitConn)
func InitConn(execer driver.ExecerContext) error {
	for _, stmt := range Statements() {
		if _, err := execer.ExecContext(context.Background(), stmt, nil); err != nil {
			return fmt.Errorf("install Athena compatibility: %s: %w", firstLine(stmt), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
