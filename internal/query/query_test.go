package query

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/inventory"
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

func TestTagViews(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(q string) string {
		e, err := Open(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		var c collect
		if err := e.Run(context.Background(), q, &c); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(c.rows)
	}
	q := `SELECT snapshot_id, strftime(taken_at, '%Y-%m-%dT%H:%M:%S'), arn, tag_key, tag_value FROM resource_tags ORDER BY ALL`
	if got := run(q); got != "[]" {
		t.Errorf("no inventory: %s", got)
	}
	snap := &inventory.Snapshot{ID: "s1", TakenAt: time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC), Source: "import x", Problems: []string{"p"},
		Resources: []inventory.Resource{{ARN: "arn:aws:s3:::a", Tags: map[string]string{"service": "aaa", "env": "prod"}}, {ARN: "arn:aws:s3:::b", Tags: map[string]string{}}}}
	if err := inventory.Save(dir, snap); err != nil {
		t.Fatal(err)
	}
	want := "[[s1 2024-01-08T09:00:00 arn:aws:s3:::a env prod] [s1 2024-01-08T09:00:00 arn:aws:s3:::a service aaa] [s1 2024-01-08T09:00:00 arn:aws:s3:::b <nil> <nil>]]"
	if got := run(q); got != want {
		t.Errorf("resource_tags\n got %s\nwant %s", got, want)
	}
	if got := run(`SELECT snapshot_id, source, resources, problems FROM tag_snapshots`); got != "[[s1 import x 2 [p]]]" {
		t.Errorf("tag_snapshots %s", got)
	}
}
