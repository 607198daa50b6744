package athena

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "github.com/marcboeker/go-duckdb/v2" // the "duckdb" driver
	"github.com/parquet-go/parquet-go"

	"github.com/trailwatch/trailwatch/internal/s3log"
	"github.com/trailwatch/trailwatch/internal/store"
)

// parseColumns reads a DDL column list ("name TYPE, name TYPE, ...").
func parseColumns(t *testing.T, block string) []Column {
	t.Helper()
	var cols []Column
	depth, start := 0, 0
	flush := func(s string) {
		s = strings.TrimSpace(s)
		name, typ, ok := strings.Cut(s, " ")
		if !ok {
			t.Fatalf("column %q has no type", s)
		}
		canon, err := CanonicalType(typ)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, Column{strings.Trim(name, "`"), canon})
	}
	for i := 0; i < len(block); i++ {
		switch block[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				flush(block[start:i])
				start = i + 1
			}
		}
	}
	flush(block[start:])
	return cols
}

// TestCloudTrailDDLColumns: the column list printed in the DDL (the
// guide's text) declares exactly CloudTrailColumns.
func TestCloudTrailDDLColumns(t *testing.T) {
	if got, want := parseColumns(t, cloudTrailColumnsDDL), CloudTrailColumns(); !reflect.DeepEqual(got, want) {
		t.Errorf("DDL columns\n%v\nwant\n%v", got, want)
	}
	for _, c := range append(CloudTrailColumns(), S3AccessLogColumns()...) {
		if canon, err := CanonicalType(c.Type); err != nil || canon != c.Type {
			t.Errorf("column %s: type %s is not canonical (%s, %v)", c.Name, c.Type, canon, err)
		}
	}
}

// goType is the canonical Athena type of a store row's Go field.
func goType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return goType(t.Elem())
	case reflect.String:
		return "STRING"
	case reflect.Int64:
		return "BIGINT"
	case reflect.Slice:
		return "ARRAY<" + goType(t.Elem()) + ">"
	case reflect.Map:
		return "MAP<" + goType(t.Key()) + "," + goType(t.Elem()) + ">"
	case reflect.Struct:
		var parts []string
		for _, c := range goColumns(t) {
			parts = append(parts, c.Name+":"+c.Type)
		}
		return "STRUCT<" + strings.Join(parts, ",") + ">"
	}
	return "?" + t.String()
}

func goColumns(t reflect.Type) []Column {
	var cols []Column
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		cols = append(cols, Column{name, goType(f.Type)})
	}
	return cols
}

// TestStoreRowsMatch: the Parquet rows the store writes (internal/store,
// internal/s3log) have exactly the Athena tables' columns, and DuckDB reads
// them with the types DuckDBType gives.
func TestStoreRowsMatch(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	describe := func(q string) []string {
		rows, err := conn.QueryContext(ctx, "DESCRIBE "+q)
		if err != nil {
			t.Fatalf("DESCRIBE %s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, vals[0].(string)+" "+vals[1].(string))
		}
		return out
	}
	for _, c := range []struct {
		name string
		row  any
		cols []Column
		w    func(f *os.File) error
	}{
		// The store adds actorkey, the join key to its actors table, which
		// the cloudtrail_logs view leaves out.
		{"cloudtrail", store.CloudTrailRow{}, append(CloudTrailColumns(), Column{Name: "actorkey", Type: "BIGINT"}), func(f *os.File) error {
			return parquet.NewGenericWriter[store.CloudTrailRow](f).Close()
		}},
		{"s3access", s3log.Row{}, S3AccessLogColumns(), func(f *os.File) error {
			return parquet.NewGenericWriter[s3log.Row](f).Close()
		}},
	} {
		if got := goColumns(reflect.TypeOf(c.row)); !reflect.DeepEqual(got, c.cols) {
			t.Errorf("%s: store row columns\n%v\nwant\n%v", c.name, got, c.cols)
		}
		path := filepath.Join(t.TempDir(), c.name+".parquet")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.w(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		ddl, err := DuckDBCreateTable(c.name, c.cols)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, ddl); err != nil {
			t.Fatalf("%s: %v", ddl, err)
		}
		if got, want := describe("SELECT * FROM read_parquet('"+path+"')"), describe(c.name); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: DuckDB reads the store's Parquet as\n%q\nwant\n%q", c.name, got, want)
		}
	}
}

func TestDuckDBType(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"STRING", "VARCHAR", ""},
		{"string", "VARCHAR", ""},
		{"bigint", "BIGINT", ""},
		{"int", "INTEGER", ""},
		{"DECIMAL(10, 2)", "DECIMAL(10,2)", ""},
		{"varchar(20)", "VARCHAR", ""},
		{"ARRAY<STRUCT<arn:STRING,accountid:STRING,type:STRING>>", `STRUCT("arn" VARCHAR, "accountid" VARCHAR, "type" VARCHAR)[]`, ""},
		{"map<string,string>", "MAP(VARCHAR, VARCHAR)", ""},
		{"STRUCT< federatedprovider: STRING,\n attributes: map<string,string>>", `STRUCT("federatedprovider" VARCHAR, "attributes" MAP(VARCHAR, VARCHAR))`, ""},
		{"struct<`Key`:string>", `STRUCT("key" VARCHAR)`, ""},
		{"ARRAY<ARRAY<INT>>", "INTEGER[][]", ""},
		{"", "", `athena type "": a type or name is missing at the end`},
		{"STRUCT<a STRING>", "", `athena type "STRUCT<a STRING>": want ':' at offset 9, found 'S'`},
		{"STRUCT<a:STRING", "", `athena type "STRUCT<a:STRING": '>' is missing at the end`},
		{"STRUCT<a:STRING,a:INT>", "", `athena type "STRUCT<a:STRING,a:INT>": field a appears twice`},
		{"ARRAY<UUID>", "", `athena type "ARRAY<UUID>": unknown type UUID`},
		{"STRING STRING", "", `athena type "STRING STRING": unexpected "STRING" at offset 7`},
		{"MAP<STRING>", "", `athena type "MAP<STRING>": want ',' at offset 10, found '>'`},
	} {
		got, err := DuckDBType(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("DuckDBType(%q): error %v, want %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("DuckDBType(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestDuckDBCreateTable: DuckDB accepts the tables, keyword column names
// included (timestamp, key, type).
func TestDuckDBCreateTable(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, cols := range map[string][][]Column{
		"cloudtrail_logs_pp":    {CloudTrailColumns(), CloudTrailPartitions()},
		"server_access_logs_pp": {S3AccessLogColumns(), S3AccessLogPartitions()},
	} {
		ddl, err := DuckDBCreateTable(name, cols...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ddl); err != nil {
			t.Errorf("%s: %v", ddl, err)
		}
	}
	if _, err := DuckDBCreateTable("x", []Column{{"a", "NOPE"}}); err == nil || !strings.Contains(err.Error(), "table x: column a:") {
		t.Errorf("bad type: error %v", err)
	}
}
