package query

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/athena"
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
	// Athena's columns, then the store's partitions and Athena's
	// projected partition; not the store's actorkey.
	want := []string{}
	for _, col := range athena.CloudTrailColumns() {
		want = append(want, col.Name)
	}
	got := describe(t, e, "cloudtrail_logs")
	slices.Sort(got[len(want):])
	want = append(want, "account", "date", "region", "timestamp")
	if !slices.Equal(got, want) {
		t.Errorf("cloudtrail_logs columns\n%v\nwant\n%v", got, want)
	}
	want = []string{"eventid", "eventtime", "eventname", "principal_type", "principal_arn", "accesskeyid", "who", "origin_type",
		"origin_name", "origin_arn", "origin_accountid", "origin_id", "permission_set", "method", "sourceidentity", "chain_length", "chain"}
	if got := describe(t, e, "cloudtrail_actors"); !slices.Equal(got, want) {
		t.Errorf("cloudtrail_actors columns\n%v\nwant\n%v", got, want)
	}
}

// describe lists the column names of a view.
func describe(t *testing.T, e *Engine, view string) []string {
	t.Helper()
	var c collect
	if err := e.Run(context.Background(), `DESCRIBE `+view, &c); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range c.rows {
		names = append(names, fmt.Sprint(r[0]))
	}
	return names
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
