package trino

import (
	"strings"
	"testing"
)

func TestRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Athena's default database (the user guide's examples name it).
		{`SELECT * FROM default.cloudtrail_logs d JOIN AwsDataCatalog.DEFAULT.s3_access_logs s ON true`,
			`SELECT * FROM "default".cloudtrail_logs d JOIN AwsDataCatalog."default".s3_access_logs s ON true`},
		{`SELECT 'default.x', "default".y, default_x.z, x.default FROM t`, `SELECT 'default.x', "default".y, default_x.z, x.default FROM t`},
		// Seed 003's S3 access log time.
		{`SELECT parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z') AS log_time`,
			`SELECT CAST(strptime(requestdatetime, '%d/%b/%Y:%H:%M:%S %z') AS TIMESTAMPTZ) AS log_time`},
		{`select DATE_PARSE(eventtime, '%Y-%m-%dT%H:%i:%sZ')`, `select strptime(eventtime, '%Y-%m-%dT%H:%M:%SZ')`},
		{`date_format(from_iso8601_timestamp(eventtime), '%Y/%m/%d')`,
			`strftime(CAST(from_iso8601_timestamp(eventtime) AS TIMESTAMP), '%Y/%m/%d')`},
		{`format_datetime(date_parse(a, '%Y'), 'yyyy''T''HH')`, `strftime(CAST(strptime(a, '%Y') AS TIMESTAMP), '%YT%H')`},
		{`parse_datetime(s, 'yyyy-MM-dd''T''HH:mm:ss''Z''')`, `CAST(strptime(s, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ)`},
		{`parse_datetime(s, '''100%'' yyyy')`, `CAST(strptime(s, '100%% %Y') AS TIMESTAMPTZ)`},
		{`date_parse(s, '%Y 100%')`, `strptime(s, '%Y 100%%')`},
		{`date_parse ( s , '%Y' )`, `strptime(s, '%Y')`},
		{"date_parse(\n  split_part(x, ',', 1),\n  '%d'\n)", `strptime(split_part(x, ',', 1), '%d')`},
		{`date_format(t, '%D')`, `error('date_format: format ''%D'': %D is not supported')`},
		// JSON paths in bracket notation.
		{`json_extract_scalar(j, '$.store["book name"]')`, `json_extract_scalar(j, '$.store."book name"')`},
		{`JSON_EXTRACT(j, '$.store[book][0]')`, `JSON_EXTRACT(j, '$.store."book"[0]')`},
		{`json_extract(j, '$.a[0]')`, `json_extract(j, '$.a[0]')`},
		// Lambdas and if.
		{`transform(ARRAY[5, 6], x -> x + 1)`, `list_transform(ARRAY[5, 6], x -> x + 1)`},
		{`any_match(resources, r -> r.type = 'AWS::S3::Object')`, `list_bool_or(list_transform(resources, r -> r.type = 'AWS::S3::Object'))`},
		{`none_match(a, x -> x > 10)`, `(NOT list_bool_or(list_transform(a, x -> x > 10)))`},
		{`if(errorcode IS NULL, 'ok')`, `if(errorcode IS NULL, 'ok', NULL)`},
		{`if(a, b, c)`, `if(a, b, c)`},
		{`CREATE TABLE IF NOT EXISTS t (x int)`, `CREATE TABLE IF NOT EXISTS t (x int)`},
		// UNNEST forms DuckDB rejects; one array without ordinality is DuckDB's own.
		{`FROM x CROSS JOIN UNNEST(numbers, animals) AS t (n, a)`,
			`FROM x CROSS JOIN (SELECT unnest(numbers) AS unnest_1, unnest(animals) AS unnest_2) AS t (n, a)`},
		{`FROM t CROSS JOIN UNNEST(t.resources) with  Ordinality u(r, i)`,
			`FROM t CROSS JOIN (SELECT unnest(t.resources) AS unnest_1, unnest(generate_series(1, len(t.resources))) AS ordinality) u(r, i)`},
		{`FROM UNNEST (ARRAY[2, 5], ARRAY[7, 8, 9]) WITH ORDINALITY AS t(a, b, rownumber)`,
			`FROM (SELECT unnest(ARRAY[2, 5]) AS unnest_1, unnest(ARRAY[7, 8, 9]) AS unnest_2, unnest(generate_series(1, greatest(len(ARRAY[2, 5]), len(ARRAY[7, 8, 9])))) AS ordinality) AS t(a, b, rownumber)`},
		{`FROM t CROSS JOIN UNNEST(t.resources) AS u(r)`, `FROM t CROSS JOIN UNNEST(t.resources) AS u(r)`},
		{`SELECT unnest(resources, recursive := true) FROM t`, `SELECT unnest(resources, recursive := true) FROM t`},
		// Timestamp literals with a time zone.
		{`TIMESTAMP '2020-03-01 00:00:00 UTC'`, `TIMESTAMPTZ '2020-03-01 00:00:00 UTC'`},
		{`timestamp  '2012-10-31 01:00 America/Los_Angeles'`, `TIMESTAMPTZ '2012-10-31 01:00:00 America/Los_Angeles'`},
		{`TIMESTAMP '2020-03-01 00:00:00.123 +01:00'`, `TIMESTAMPTZ '2020-03-01 00:00:00.123+01:00'`},
		{`TIMESTAMP '2020-03-01 00:00:00'`, `TIMESTAMP '2020-03-01 00:00:00'`},
		{`WHERE timestamp >= '2025/05/01'`, `WHERE timestamp >= '2025/05/01'`},
		{`SELECT t.timestamp 'x'`, `SELECT t.timestamp 'x'`},
		{`FROM t CROSS JOIN UNNEST(t.resources) WITH ordinal_column`, `FROM t CROSS JOIN UNNEST(t.resources) WITH ordinal_column`},
		// Left alone: literals, quoted identifiers, comments, qualified
		// names, other names, formats that are not literals, broken calls.
		{`SELECT 'date_parse(x, ''%i'')', "date_parse" FROM t -- date_parse(x, '%i')`,
			`SELECT 'date_parse(x, ''%i'')', "date_parse" FROM t -- date_parse(x, '%i')`},
		{`SELECT /* date_parse(x, '%i') */ 1`, `SELECT /* date_parse(x, '%i') */ 1`},
		{`SELECT date_parse(x, fmt), my_date_parse(x, '%i'), s.date_parse(x, '%i')`,
			`SELECT date_parse(x, fmt), my_date_parse(x, '%i'), s.date_parse(x, '%i')`},
		{`SELECT date_parse(x, '%i'`, `SELECT date_parse(x, '%i'`},
		{`SELECT date_parse(x, '%i', 1)`, `SELECT date_parse(x, '%i', 1)`},
		{`SELECT date_parse(x, ARRAY[1, 2])`, `SELECT date_parse(x, ARRAY[1, 2])`},
		// Nested: the argument of an untouched call is still rewritten.
		{`SELECT coalesce(date_parse(x, '%i'), y)`, `SELECT coalesce(strptime(x, '%M'), y)`},
		{`SELECT date_parse(x, fmt || date_format(t, '%i'))`, `SELECT date_parse(x, fmt || strftime(CAST(t AS TIMESTAMP), '%M'))`},
	} {
		if got := Rewrite(c.in); got != c.want {
			t.Errorf("Rewrite(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestMySQLFormat(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"%Y-%m-%d %H:%i:%s", "%Y-%m-%d %H:%M:%S", ""},
		{"%a %b %c %d %e %f %H %h %I %j %k %l %M %p %r %S %T %v %W %x %y %%", "%a %b %-m %d %-d %f %H %I %I %j %-H %-I %B %p %I:%M:%S %p %S %H:%M:%S %V %A %G %y %%", ""},
		{"%Q", "Q", ""}, // %x for any other x is x
		{"100%", "100%%", ""},
		{"%w", "", "%w is not supported"},
		{"%X", "", "%X is not supported"},
	} {
		got, err := mysqlToStrftime(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("mysqlToStrftime(%q): error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("mysqlToStrftime(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestJodaFormat(t *testing.T) {
	for _, c := range []struct {
		in           string
		parse, print string // "" when an error is expected
		err          string
	}{
		{"dd/MMM/yyyy:HH:mm:ss Z", "%d/%b/%Y:%H:%M:%S %z", "%d/%b/%Y:%H:%M:%S +0000", ""},
		{"yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "%Y-%m-%dT%H:%M:%S.%gZ", "%Y-%m-%dT%H:%M:%S.%gZ", ""},
		{"EEEE, MMMM d, yy h:m:s a", "%A, %B %-d, %y %-I:%-M:%-S %p", "%A, %B %-d, %y %-I:%-M:%-S %p", ""},
		{"EEE MMM D DDD w x e", "%a %b %-j %j %V %G %u", "%a %b %-j %j %V %G %u", ""},
		{"H:mm ZZ z ZZZ", "%-H:%M %z %Z %Z", "%-H:%M +00:00 UTC UTC", ""},
		{"SSSSSS SSSSSSSSS", "%f %n", "%f %n", ""},
		{"''yyyy'' 'o''clock' 100%", "'%Y' o'clock 100%%", "'%Y' o'clock 100%%", ""},
		{"G yyyy", "", "", "pattern letter G is not supported"},
		{"yyyy 'open", "", "", "unterminated quote"},
	} {
		for _, parse := range []bool{true, false} {
			want := c.print
			if parse {
				want = c.parse
			}
			got, err := jodaToStrftime(c.in, parse)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Errorf("jodaToStrftime(%q, %v): error %v, want %q", c.in, parse, err, c.err)
				}
				continue
			}
			if err != nil || got != want {
				t.Errorf("jodaToStrftime(%q, %v) = %q, %v; want %q", c.in, parse, got, err, want)
			}
		}
	}
}

// FuzzRewrite: Rewrite never panics; SQL without any of the names it
// handles comes back unchanged; string literals survive.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		`SELECT parse_datetime(a, 'dd/MMM/yyyy')`, `date_format(x, '%i')`, `'it''s'`, `"q""x"`, `-- c`, `/* c`,
		`date_parse((`, `date_parse(a, 'x', 'y')`, `if(a, b)`, `transform(a, x -> x)`, `json_extract(j, '$["a"]')`,
		`date_parse(x, ']')`, `f(a, [1, (2)], {'k': 3})`,
	} {
		f.Add(s)
	}
	names := []string{"date_parse", "date_format", "parse_datetime", "format_datetime", "json_extract",
		"json_size", "transform", "any_match", "all_match", "none_match", "if", "unnest", "timestamp"}
	f.Fuzz(func(t *testing.T, sql string) {
		got := Rewrite(sql)
		lower := strings.ToLower(sql)
		for _, n := range names {
			if strings.Contains(lower, n) {
				return
			}
		}
		if got != sql {
			t.Fatalf("Rewrite(%q) = %q, want it unchanged", sql, got)
		}
	})
}
