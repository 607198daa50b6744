package trino

import (
	"encoding/json"
	"strconv"
	"strings"
)

// OutputNames returns the names Athena (Trino) gives the result columns of
// the query whose DuckDB parse tree is ast (json_serialize_sql), given the names DuckDB gave
// them (cols). Trino names a select item by its alias, else, when it is a
// column or a field of one (a, t.a, useridentity.arn), by its last name,
// both lower-cased as Trino does with every identifier, else "_col" and
// the column's position from 0 (LogicalPlanner: "_col" + columnNumber),
// where DuckDB names it after the expression text ("count_star()"). A UNION and the like take the names of their first
// query. When the tree is not a single query whose select list matches
// cols (another statement, or more than one * in the list), cols are
// returned as they are.
func OutputNames(ast []byte, cols []string) []string {
	var tree struct {
		Error      bool `json:"error"`
		Statements []struct {
			Node *queryNode `json:"node"`
		} `json:"statements"`
	}
	if json.Unmarshal(ast, &tree) != nil || tree.Error || len(tree.Statements) != 1 {
		return cols
	}
	n := tree.Statements[0].Node
	for n != nil && n.Type == "SET_OPERATION_NODE" {
		n = n.Left
	}
	if n == nil || n.Type != "SELECT_NODE" {
		return cols
	}
	stars := 0
	for _, e := range n.SelectList {
		if e.Class == "STAR" {
			stars++
		}
	}
	// One * stands for the columns the other items leave over.
	width := len(cols) - (len(n.SelectList) - stars)
	if stars > 1 || (stars == 0 && width != 0) || (stars == 1 && width < 0) {
		return cols
	}
	out := make([]string, 0, len(cols))
	for _, e := range n.SelectList {
		switch {
		case e.Class == "STAR":
			out = append(out, cols[len(out):len(out)+width]...)
		case e.Alias != "":
			out = append(out, strings.ToLower(e.Alias))
		case e.Class == "COLUMN_REF" && len(e.ColumnNames) > 0:
			out = append(out, strings.ToLower(e.ColumnNames[len(e.ColumnNames)-1]))
		default:
			out = append(out, "_col"+strconv.Itoa(len(out)))
		}
	}
	return out
}

// queryNode is the part of a DuckDB query node OutputNames reads.
type queryNode struct {
	Type       string `json:"type"`
	SelectList []struct {
		Class       string   `json:"class"`
		Alias       string   `json:"alias"`
		ColumnNames []string `json:"column_names"`
	} `json:"select_list"`
	Left *queryNode `json:"left"`
}
