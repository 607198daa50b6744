package query

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/store"
)

func openCompat(t *testing.T) *Engine {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(context.Background(), st, AthenaCompat())
	if err != nil {
		t.Fatal(err)
	}
	e.Rewrite = RewriteAthena
	t.Cleanup(func() { e.Close() })
	return e
}

func one(t *testing.T, e *Engine, q string) any {
	t.Helper()
	var c collect
	if err := e.Run(context.Background(), "SELECT "+q, &c); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return c.rows[0][0]
}

// TestAthenaFunctions checks each bridged function against the value the
// Trino documentation gives (https://trino.io/docs/current/functions.html).
func TestAthenaFunctions(t *testing.T) {
	e := openCompat(t)
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		expr string
		want any
	}{
		// json-functions: json_extract_scalar returns the scalar as varchar, NULL for objects.
		{`json_extract_scalar('{"bucketName":"b","key":"k/1","n":5,"o":{"a":1}}', '$.bucketName')`, "b"},
		{`json_extract_scalar('{"bucketName":"b","n":5}', '$.n')`, "5"},
		{`json_extract_scalar('{"o":{"a":1}}', '$.o')`, nil},
		{`json_extract_scalar('{"o":{"a":1}}', '$.missing')`, nil},
		{`json_extract_scalar(NULL, '$.a')`, nil},
		{`json_extract_scalar('{"a":[{"b":"x"}]}', '$.a[0].b')`, "x"},
		{`CAST(json_extract('{"o":{"a":1}}', '$.o') AS VARCHAR)`, `{"a":1}`},
		// datetime-functions.
		{`from_iso8601_timestamp('2025-05-01T06:00:00Z')`, ts("2025-05-01T06:00:00Z")},
		{`from_iso8601_timestamp('2025-05-01T06:00:00.5+09:00')`, ts("2025-04-30T21:00:00.5Z")},
		{`to_iso8601(TIMESTAMPTZ '2025-05-01 06:00:00+00')`, "2025-05-01T06:00:00.000Z"},
		{`from_unixtime(1746079200)`, ts("2025-05-01T06:00:00Z")},
		{`date_parse('2025-05-01 06:07:08', '%Y-%m-%d %H:%i:%s')`, ts("2025-05-01T06:07:08Z")},
		{`date_format(TIMESTAMP '2025-05-01 06:07:08', '%Y/%m/%d %H:%i')`, "2025/05/01 06:07"},
		// seed 003: S3 access log times.
		{`parse_datetime('06/Feb/2019:00:00:38 +0000', 'dd/MMM/yyyy:HH:mm:ss Z')`, ts("2019-02-06T00:00:38Z")},
		{`parse_datetime('2025-05-01T06:00:00Z', 'yyyy-MM-dd''T''HH:mm:ss''Z''')`, ts("2025-05-01T06:00:00Z")},
		{`format_datetime(TIMESTAMP '2025-05-01 06:07:08', 'yyyy/MM/dd')`, "2025/05/01"},
		{`date_add('day', 2, TIMESTAMP '2025-05-01 06:00:00')`, ts("2025-05-03T06:00:00Z")},
		{`date_add('hour', -1, TIMESTAMP '2025-05-01 06:00:00')`, ts("2025-05-01T05:00:00Z")},
		{`date_add(DATE '2025-05-01', INTERVAL 1 DAY)`, ts("2025-05-02T00:00:00Z")},
		{`date_diff('day', TIMESTAMP '2025-05-01 23:00:00', TIMESTAMP '2025-05-02 01:00:00')`, int64(0)},
		{`date_diff('hour', TIMESTAMP '2025-05-01 23:00:00', TIMESTAMP '2025-05-02 01:30:00')`, int64(2)},
		// regexp-functions.
		{`regexp_like('AWSReservedSSO_Admin_abc', 'SSO_')`, true},
		{`regexp_like('abc', '^b')`, false},
		{`regexp_extract('arn:aws:sts::1:assumed-role/R/alice', 'assumed-role/([^/]+)', 1)`, "R"},
		{`regexp_extract('1a 2b 14m', '\d+')`, "1"},
		{`regexp_extract('abc', 'x')`, nil},
		// array-functions, map-functions.
		{`cardinality([1, 2, 3])`, int64(3)},
		{`cardinality(MAP {'a': 1, 'b': 2})`, int64(2)},
		{`element_at([10, 20], 2)`, int32(20)},
		{`element_at([10, 20], 5)`, nil},
		{`element_at([10, 20], -1)`, int32(20)},
		{`element_at(MAP {'aud': 'x'}, 'aud')`, "x"},
		{`element_at(MAP {'aud': 'x'}, 'sub')`, nil},
	} {
		got := one(t, e, c.expr)
		if tm, ok := got.(time.Time); ok {
			got = tm.UTC()
		}
		if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", c.want, c.want) {
			t.Errorf("%s = %T %v, want %T %v", c.expr, got, got, c.want, c.want)
		}
	}
}

func TestRewriteAthena(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z') AS t`,
			`SELECT strptime(requestdatetime, '%d/%b/%Y:%H:%M:%S %z') AS t`},
		{`select DATE_PARSE(x, '%Y-%m-%d %H:%i:%s')`, `select strptime(x, '%Y-%m-%d %H:%M:%S')`},
		{`date_format(from_iso8601_timestamp(eventtime), '%Y/%m/%d')`, `strftime(CAST(from_iso8601_timestamp(eventtime) AS TIMESTAMP), '%Y/%m/%d')`},
		{`format_datetime(date_parse(a, '%Y'), 'yyyy''T''HH')`, `strftime(CAST(strptime(a, '%Y') AS TIMESTAMP), '%YT%H')`},
		{`parse_datetime(s, 'yyyy-MM-dd''T''HH:mm:ss''Z''')`, `strptime(s, '%Y-%m-%dT%H:%M:%SZ')`},
		// Left alone: literals, identifiers, comments, non-literal formats, other names.
		{`SELECT 'date_parse(x, ''%i'')', "date_parse" FROM t -- date_parse(x, '%i')`, `SELECT 'date_parse(x, ''%i'')', "date_parse" FROM t -- date_parse(x, '%i')`},
		{`SELECT date_parse(x, fmt), my_date_parse(x, '%i')`, `SELECT date_parse(x, fmt), my_date_parse(x, '%i')`},
		{`SELECT date_parse(x, '%i'`, `SELECT date_parse(x, '%i'`},
		{`parse_datetime(s, '100%')`, `strptime(s, '100%%')`},
	} {
		if got := RewriteAthena(c.in); got != c.want {
			t.Errorf("RewriteAthena(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzRewriteAthena: the rewrite never panics, and SQL without any of the
// rewritten function names comes back unchanged.
func FuzzRewriteAthena(f *testing.F) {
	for _, s := range []string{`SELECT parse_datetime(a, 'dd/MMM/yyyy')`, `date_format(x, '%i')`, `'it''s'`, `"q""x"`, `-- c`, `date_parse((`, `date_parse(a, 'x', 'y')`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		got := RewriteAthena(sql)
		lower := strings.ToLower(sql)
		for name := range formatFuncs {
			if strings.Contains(lower, name) {
				return
			}
		}
		if got != sql {
			t.Fatalf("RewriteAthena(%q) = %q, want it unchanged", sql, got)
		}
	})
}
