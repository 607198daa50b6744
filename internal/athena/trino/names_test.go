package trino

import (
	"context"
	"slices"
	"testing"
)

// TestOutputNames: result columns are named as Athena (Trino) names them:
// the alias, else a column's or field's last name, else _colN by position
// (Trino's LogicalPlanner: field.getName().orElse("_col" + columnNumber)).
func TestOutputNames(t *testing.T) {
	conn := openDB(t)
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE logs AS SELECT 'AssumeRole' AS eventname, {'arn': 'a', 'sessioncontext': {'sessionissuer': {'username': 'u'}}} AS useridentity, '2024-01-01T00:00:00Z' AS eventtime`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{`SELECT eventname, count(*) FROM logs GROUP BY 1`, []string{"eventname", "_col1"}},
		{`SELECT count(*) AS Total, EventName AS "Event Name", useridentity.ARN FROM logs GROUP BY 2, 3`, []string{"total", "event name", "arn"}},
		{`SELECT count(*) AS n, useridentity.arn, useridentity.sessioncontext.sessionissuer.username FROM logs GROUP BY 2, 3`, []string{"n", "arn", "username"}},
		{`SELECT l.eventname, 1 + 1, 'x', CAST(eventtime AS VARCHAR), CASE WHEN true THEN 1 END FROM logs l`, []string{"eventname", "_col1", "_col2", "_col3", "_col4"}},
		{`SELECT date_format(from_iso8601_timestamp(eventtime), '%Y'), json_extract_scalar('{"a":1}', '$.a') AS a FROM logs`, []string{"_col0", "a"}},
		{`SELECT *, 1 FROM logs`, []string{"eventname", "useridentity", "eventtime", "_col3"}},
		{`SELECT 1, * FROM logs`, []string{"_col0", "eventname", "useridentity", "eventtime"}},
		{`SELECT 1 UNION ALL SELECT 2 AS two`, []string{"_col0"}},
		{`WITH t AS (SELECT eventname FROM logs) SELECT eventname, upper(eventname) FROM t`, []string{"eventname", "_col1"}},
		{`SELECT (SELECT 1) FROM logs`, []string{"_col0"}},
		// DuckDB's own names where Trino's cannot be worked out.
		{`SELECT *, * FROM logs`, []string{"eventname", "useridentity", "eventtime", "eventname", "useridentity", "eventtime"}},
		{`DESCRIBE logs`, nil},
	} {
		q := Rewrite(c.sql)
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		cols, err := rows.Columns()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		var ast []byte
		if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", q).Scan(&ast); err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		got := OutputNames(ast, cols)
		want := c.want
		if want == nil {
			want = cols
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: names %q, want %q (DuckDB's: %q)", c.sql, got, want, cols)
		}
	}
	for _, bad := range []string{``, `{`, `{"error":true}`, `{"statements":[]}`, `{"statements":[{"node":{"type":"SELECT_NODE","select_list":[]}}]}`} {
		if got := OutputNames([]byte(bad), []string{"a"}); !slices.Equal(got, []string{"a"}) {
			t.Errorf("%q: names %q, want DuckDB's", bad, got)
		}
	}
}

// FuzzOutputNames: any tree gives one name per column.
func FuzzOutputNames(f *testing.F) {
	f.Add([]byte(`{"error":false,"statements":[{"node":{"type":"SELECT_NODE","select_list":[{"class":"STAR"},{"class":"FUNCTION","alias":""},{"class":"COLUMN_REF","column_names":["a","B"]}]}}]}`), 4)
	f.Add([]byte(`{"statements":[{"node":{"type":"SET_OPERATION_NODE","left":{"type":"SELECT_NODE","select_list":[{"class":"CONSTANT","alias":"X"}]}}}]}`), 1)
	f.Fuzz(func(t *testing.T, ast []byte, n int) {
		cols := make([]string, n%64&63)
		for i := range cols {
			cols[i] = "c"
		}
		if got := OutputNames(ast, cols); len(got) != len(cols) {
			t.Fatalf("%d names for %d columns", len(got), len(cols))
		}
	})
}
