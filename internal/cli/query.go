//go:build !noduckdb

package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/athena/trino"
	"github.com/trailwatch/trailwatch/internal/javafmt"
	"github.com/trailwatch/trailwatch/internal/query"
	"github.com/trailwatch/trailwatch/internal/store"
)

type queryOptions struct {
	store     string
	format    string
	file      string
	sql       string
	databases []string
}

func newQueryCmd(s Streams) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query --store DIR [--format table|csv|json] [SQL | -f FILE]",
		Short: "Run Athena SQL over an ingested store on embedded DuckDB",
		Long: `Run SQL over a store made by 'trailwatch ingest', with the table names of AWS's
Athena tables so that the queries you run on Athena run here unchanged:

  cloudtrail_logs, cloudtrail_logs_pp   CloudTrail, the Athena CloudTrail table's
                                        columns, plus "timestamp" (yyyy/MM/dd) and
                                        the store's partitions account, region, date
  cloudtrail_actors                     who is behind each event, joined on eventid
  s3_access_logs, server_access_logs_pp S3 server access logs, the Athena table's
                                        columns, plus "timestamp" (yyyy/MM/dd)
  tag_snapshots, resource_tags          tags collected by 'trailwatch inventory'

The tables also answer to default.TABLE and AwsDataCatalog.default.TABLE, as
Athena's default database, and to NAME.TABLE for each --database NAME.

Athena (Trino) functions such as json_extract_scalar, from_iso8601_timestamp,
date_parse and regexp_like are available (docs/athena.md lists them and the
dialect differences that remain). Result columns are named and values printed
as in Athena's results: _col1 for an unnamed expression, doubles as 1.5E9,
timestamps with time zone as 2025-03-01 00:00:03.000 UTC.

The statement comes from the argument, from -f FILE, or, with neither, from an
interactive prompt (statements end with ";"; history is kept in
~/.trailwatch_history). Output is an aligned table on a terminal, CSV or JSON
Lines otherwise (--format).`,
		Example: `  trailwatch query --store ./ct "SELECT eventname, count(*) AS n FROM cloudtrail_logs
      WHERE timestamp >= '2025/03/01' GROUP BY 1 ORDER BY n DESC LIMIT 10"
  trailwatch query --store ./ct -f seed003.sql --format csv > out.csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.sql = args[0]
			}
			return runQuery(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", "", "store directory made by 'trailwatch ingest'")
	f.StringVar(&o.format, "format", "", "output format: table, csv or json (default: table on a terminal, else csv)")
	f.StringVarP(&o.file, "file", "f", "", "read the SQL from FILE")
	f.StringArrayVar(&o.databases, "database", nil, "also answer to `NAME`.TABLE, the Athena database the queries name (repeatable)")
	cmd.MarkFlagRequired("store")
	return cmd
}

func runQuery(ctx context.Context, o *queryOptions, s Streams) error {
	if o.format == "" {
		o.format = "csv"
		if s.OutIsTTY {
			o.format = "table"
		}
	}
	switch o.format {
	case "table", "csv", "json":
	default:
		return &usageError{fmt.Errorf("query: --format must be table, csv or json, not %q", o.format)}
	}
	if o.file != "" && o.sql != "" {
		return &usageError{errors.New("query: give the SQL as an argument or with -f, not both")}
	}
	if o.file != "" {
		b, err := os.ReadFile(o.file)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("query: %w", err)}
		}
		o.sql = string(b)
	}
	if _, err := os.Stat(filepath.Join(o.store, "manifest.json")); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("query: %s is not a trailwatch store (no manifest.json); create it with 'trailwatch ingest --store %s INPUT...'", o.store, o.store)}
	}
	st, err := store.Open(o.store)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("query: %w", err)}
	}
	eng, err := query.Open(ctx, st, querySetup())
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("query: %w", err)}
	}
	defer eng.Close()
	eng.Rewrite = trino.Rewrite
	for _, d := range o.databases {
		if err := eng.AddDatabase(ctx, d); err != nil {
			return &usageError{fmt.Errorf("query: --database: %w", err)}
		}
	}
	eng.Names = trino.OutputNames
	if strings.TrimSpace(o.sql) == "" {
		return queryPrompt(ctx, eng, o, s)
	}
	out := bufio.NewWriter(s.Out)
	defer out.Flush()
	if err := runSink(ctx, eng, o.sql, o.format, out); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("query: %w", err)}
	}
	return nil
}

// queryPrompt reads statements ending in ";" and runs each; errors are
// printed and the prompt goes on.
func queryPrompt(ctx context.Context, eng *query.Engine, o *queryOptions, s Streams) error {
	history := ""
	if home, err := os.UserHomeDir(); err == nil {
		history = filepath.Join(home, ".trailwatch_history")
	}
	in := bufio.NewScanner(s.In)
	in.Buffer(make([]byte, 64<<10), 16<<20)
	var stmt strings.Builder
	prompt := func() {
		if s.ErrIsTTY {
			if stmt.Len() == 0 {
				fmt.Fprint(s.Err, "trailwatch> ")
			} else {
				fmt.Fprint(s.Err, "        ...> ")
			}
		}
	}
	prompt()
	for in.Scan() {
		line := in.Text()
		stmt.WriteString(line)
		stmt.WriteByte('\n')
		if !strings.HasSuffix(strings.TrimSpace(line), ";") {
			prompt()
			continue
		}
		q := strings.TrimSpace(stmt.String())
		stmt.Reset()
		if history != "" {
			if f, err := os.OpenFile(history, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
				fmt.Fprintln(f, strings.ReplaceAll(q, "\n", " "))
				f.Close()
			}
		}
		out := bufio.NewWriter(s.Out)
		if err := runSink(ctx, eng, q, o.format, out); err != nil {
			out.Flush()
			fmt.Fprintf(s.Err, "trailwatch: query: %v\n", err)
		}
		out.Flush()
		if ctx.Err() != nil {
			return nil
		}
		prompt()
	}
	return in.Err()
}

func newResultSink(format string, w *bufio.Writer) query.Sink {
	switch format {
	case "json":
		return &jsonSink{w: w}
	case "table":
		return &tableSink{w: w}
	}
	return &csvSink{w: csv.NewWriter(w)}
}

// cellText renders a value as Athena's console does: NULL as empty in CSV
// and "NULL" in tables, nested values as JSON, times in ISO 8601, doubles
// as Java prints them (1.740787203E9), dates, times and timestamps with
// time zone in Athena's forms (query.Date, query.TimeOfDay, query.Instant).
func cellText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.000"), true
	case float64:
		return javafmt.Double(x), true
	case fmt.Stringer:
		return x.String(), true
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b), true
	}
	return fmt.Sprint(v), true
}

type csvSink struct{ w *csv.Writer }

func (c *csvSink) Columns(n []string) error { return c.w.Write(n) }
func (c *csvSink) Row(v []any) error {
	rec := make([]string, len(v))
	for i, x := range v {
		rec[i], _ = cellText(x)
	}
	if err := c.w.Write(rec); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

type jsonSink struct {
	w    *bufio.Writer
	cols []string
}

func (j *jsonSink) Columns(n []string) error { j.cols = n; return nil }
func (j *jsonSink) Row(v []any) error {
	j.w.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			j.w.WriteByte(',')
		}
		k, _ := json.Marshal(j.cols[i])
		j.w.Write(k)
		j.w.WriteByte(':')
		switch t := x.(type) {
		case time.Time:
			x = t.UTC().Format(time.RFC3339Nano)
		case query.Instant:
			x = t.UTC().Format(time.RFC3339Nano)
		case fmt.Stringer:
			x = t.String()
		}
		b, err := json.Marshal(x)
		if err != nil {
			b, _ = json.Marshal(fmt.Sprint(x))
		}
		j.w.Write(b)
	}
	_, err := j.w.WriteString("}\n")
	return err
}

// tableSink buffers up to tableRows rows to size the columns, then prints
// them aligned; longer results print in blocks of that size.
type tableSink struct {
	w    *bufio.Writer
	cols []string
	rows [][]string
	n    int
}

const tableRows = 1000

func (t *tableSink) Columns(n []string) error { t.cols = n; return nil }
func (t *tableSink) Row(v []any) error {
	r := make([]string, len(v))
	for i, x := range v {
		s, ok := cellText(x)
		if !ok {
			s = "NULL"
		}
		r[i] = s
	}
	t.rows = append(t.rows, r)
	t.n++
	if len(t.rows) == tableRows {
		t.flush(false)
	}
	return nil
}

func (t *tableSink) flush(final bool) {
	width := make([]int, len(t.cols))
	for i, c := range t.cols {
		width[i] = utf8.RuneCountInString(c)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = min(max(width[i], utf8.RuneCountInString(c)), 80)
		}
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				t.w.WriteString(" | ")
			}
			if utf8.RuneCountInString(c) > width[i] {
				c = string([]rune(c)[:width[i]-1]) + "…"
			}
			t.w.WriteString(c)
			if i < len(cells)-1 {
				t.w.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		t.w.WriteByte('\n')
	}
	line(t.cols)
	sep := make([]string, len(t.cols))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	t.rows = t.rows[:0]
	if final {
		fmt.Fprintf(t.w, "(%d rows)\n", t.n)
	}
}

// Close is called through closeSink after the last row.
func (t *tableSink) Close() { t.flush(true) }

// runSink runs q into a new sink of the format and finishes it.
func runSink(ctx context.Context, eng *query.Engine, q, format string, w *bufio.Writer) error {
	sink := newResultSink(format, w)
	err := eng.Run(ctx, q, sink)
	if t, ok := sink.(*tableSink); ok && err == nil {
		t.Close()
	}
	return err
}

// querySetup is the SQL installed on every query database before the
// views: the Athena (Trino) function layer.
func querySetup() []string { return trino.Statements() }
