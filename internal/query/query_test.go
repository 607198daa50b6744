package query

import (
	"context"
	"fmt"
	"testing"

	"github.com/trailwatch/trailwatch/internal/store"
)

type collect struct {
	cols []string
	rows [][]any
}

func (c *collect) Columns(n []string) error { c.cols = n; return nil }
func (c *collect) Row(v []any) error {
	c.rows = append(c.rows, append([]any(nil), v...))
	return nil
}

func TestEmptyStoreHasColumns(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var c collect
	if err := e.Run(context.Background(), `SELECT count(*), count(useridentity.sessioncontext.sessionissuer.username) FROM cloudtrail_logs`, &c); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.rows) != "[[0 0]]" {
		t.Errorf("rows %v", c.rows)
	}
	c = collect{}
	if err := e.Run(context.Background(), `DESCRIBE cloudtrail_logs`, &c); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.rows {
		t.Logf("%v %v", r[0], r[1])
	}
}
