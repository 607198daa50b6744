// Command duckdb-query runs one SQL statement on embedded DuckDB and prints
// the rows as tab-separated text. It exists only so bench/ can compare
// trailwatch with DuckDB's own read_json on the same machine without a
// DuckDB CLI; it is a separate module so the main build stays cgo-free.
package main

import (
	"database/sql"
	"fmt"
	"os"
	"strings"

	_ "github.com/marcboeker/go-duckdb/v2"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: duckdb-query SQL")
		os.Exit(2)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckdb-query:", err)
		os.Exit(2)
	}
	defer db.Close()
	rows, err := db.Query(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckdb-query:", err)
		os.Exit(2)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			fmt.Fprintln(os.Stderr, "duckdb-query:", err)
			os.Exit(2)
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = fmt.Sprint(v)
		}
		fmt.Println(strings.Join(s, "\t"))
	}
	if err := rows.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "duckdb-query:", err)
		os.Exit(2)
	}
}
