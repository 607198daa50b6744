// Package query runs SQL over a trailwatch store on embedded DuckDB, with
// the table names of AWS's Athena tables (cloudtrail_logs,
// cloudtrail_logs_pp, s3_access_logs, server_access_logs_pp) as views over
// the store's committed Parquet files (s3_access_logs and
// server_access_logs_pp for S3 server access logs), cloudtrail_actors with the actor
// resolved for each event, tag_snapshots and resource_tags from the tag
// inventory, and whatever compatibility SQL the
// caller installs first (the Athena/Trino function layer).
package query

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/marcboeker/go-duckdb/v2" // registers the "duckdb" driver

	"github.com/parquet-go/parquet-go"

	"github.com/trailwatch/trailwatch/internal/inventory"
	"github.com/trailwatch/trailwatch/internal/s3log"
	"github.com/trailwatch/trailwatch/internal/store"
)

// Engine is an in-memory DuckDB database with the store's views.
type Engine struct {
	// Rewrite, when set, rewrites each statement before it runs
	// (RewriteAthena).
	Rewrite func(string) string
	// Names, when set, names the result columns from the statement's
	// parse tree (DuckDB's json_serialize_sql) and the names DuckDB gave
	// them (trino.OutputNames).
	Names func(ast []byte, cols []string) []string

	db        *sql.DB
	conn      *sql.Conn
	databases bool   // createDatabases ran
	tmp       string // schema-only Parquet files for empty tables
}

// Open creates the database, runs setup (compatibility macros), and
// creates the views of the store's tables.
func Open(ctx context.Context, st *store.Store, setup []string) (*Engine, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	conn, err := db.Conn(ctx) // one connection: macros and views live per database, settings per connection
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	e := &Engine{db: db, conn: conn}
	for _, stmt := range setup {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			e.Close()
			return nil, fmt.Errorf("install compatibility SQL %q: %w", firstLine(stmt), err)
		}
	}
	if err := e.createViews(ctx, st); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close releases the database.
func (e *Engine) Close() error {
	e.conn.Close()
	err := e.db.Close()
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
	return err
}

func (e *Engine) createViews(ctx context.Context, st *store.Store) error {
	files := st.Files(store.TableCloudTrail)
	if len(files) == 0 {
		f, err := e.emptyFile(store.TableCloudTrail, []store.CloudTrailRow{})
		if err != nil {
			return err
		}
		files = []string{f}
	}
	// Athena's partition-projected table has the partition column
	// `timestamp` (yyyy/MM/dd); the store's Hive partitions (account,
	// region, date) stay as extra columns.
	// actorkey is the store's, not Athena's: only cloudtrail_actors
	// reads it.
	records := fmt.Sprintf(`read_parquet(%s, hive_partitioning = true, hive_types = {'account': VARCHAR, 'region': VARCHAR, 'date': VARCHAR})`, sqlList(files))
	ct := fmt.Sprintf(`CREATE VIEW cloudtrail_logs AS SELECT * EXCLUDE (actorkey), strftime(CAST("date" AS DATE), '%%Y/%%m/%%d') AS "timestamp"
FROM %s`, records)
	actors := st.Files(store.TableActors)
	if len(actors) == 0 {
		f, err := e.emptyFile(store.TableActors, []store.ActorRow{})
		if err != nil {
			return err
		}
		actors = []string{f}
	}
	// One row per event, as the records' actor keys join them to the
	// actors table's rows (one per key).
	// A principal's key can have two rows, for its records inside and
	// outside the lifetime of its issued credentials (store.ActorRow);
	// an unreadable eventtime counts as inside, as in internal/identity.
	at := fmt.Sprintf(`CREATE VIEW cloudtrail_actors AS SELECT l.eventid, l.eventtime, l.eventname,
	a.* EXCLUDE (actorkey, lifetime_start, lifetime_end, in_lifetime)
FROM %s l JOIN read_parquet(%s, hive_partitioning = false) a ON l.actorkey = a.actorkey
WHERE a.in_lifetime IS NULL OR a.in_lifetime = coalesce(epoch_us(TRY_CAST(l.eventtime AS TIMESTAMPTZ))
	BETWEEN coalesce(a.lifetime_start, -9223372036854775808) AND coalesce(a.lifetime_end, 9223372036854775807), true)`, records, sqlList(actors))
	s3 := st.Files(store.TableS3Access)
	if len(s3) == 0 {
		f, err := e.emptyFile(store.TableS3Access, []s3log.Row{})
		if err != nil {
			return err
		}
		s3 = []string{f}
	}
	// Athena's S3 access log table is partitioned by `timestamp`
	// (yyyy/MM/dd, as seed 003 queries it); the store's bucket and date
	// partitions stay as extra columns.
	sa := fmt.Sprintf(`CREATE VIEW s3_access_logs AS SELECT * EXCLUDE (bucket, "date"), strftime(CAST("date" AS DATE), '%%Y/%%m/%%d') AS "timestamp"
FROM read_parquet(%s, hive_partitioning = true, hive_types = {'bucket': VARCHAR, 'date': VARCHAR})`, sqlList(s3))
	for _, stmt := range []string{ct, `CREATE VIEW cloudtrail_logs_pp AS SELECT * FROM cloudtrail_logs`, at,
		sa, `CREATE VIEW server_access_logs_pp AS SELECT * FROM s3_access_logs`} {
		if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create view: %w", err)
		}
	}
	return e.createTagViews(ctx, st.Dir)
}

// tables are the views every store has, in the schema main.
func tables() []string {
	return []string{"cloudtrail_logs", "cloudtrail_logs_pp", "cloudtrail_actors", "s3_access_logs",
		"server_access_logs_pp", "tag_snapshots", "resource_tags"}
}

// createDatabases makes the tables answer to the names Athena queries
// give them too: default.t (Athena's default database), and
// awsdatacatalog.default.t (its catalog, as the console writes it). Run
// calls it for the first statement that may use them: the views take
// 10 ms to make.
func (e *Engine) createDatabases(ctx context.Context) error {
	if e.databases {
		return nil
	}
	e.databases = true
	stmts := []string{`CREATE SCHEMA "default"`, `ATTACH ':memory:' AS awsdatacatalog`, `CREATE SCHEMA awsdatacatalog."default"`}
	for _, t := range tables() {
		stmts = append(stmts, fmt.Sprintf(`CREATE VIEW "default".%s AS SELECT * FROM memory.main.%[1]s`, t),
			fmt.Sprintf(`CREATE VIEW awsdatacatalog."default".%s AS SELECT * FROM memory.main.%[1]s`, t))
	}
	for _, stmt := range stmts {
		if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create database names: %w", err)
		}
	}
	return nil
}

// AddDatabase makes the tables answer to name.t too, for queries written
// for an Athena database of that name.
func (e *Engine) AddDatabase(ctx context.Context, name string) error {
	if err := e.createDatabases(ctx); err != nil {
		return err
	}
	for _, own := range []string{"main", "temp", "system", "information_schema", "pg_catalog"} {
		if strings.EqualFold(name, own) {
			return fmt.Errorf("database %s: the name is DuckDB's own", name)
		}
	}
	q := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + q, "CREATE SCHEMA IF NOT EXISTS awsdatacatalog." + q}
	for _, t := range tables() {
		stmts = append(stmts, fmt.Sprintf(`CREATE OR REPLACE VIEW %s.%s AS SELECT * FROM memory.main.%[2]s`, q, t),
			fmt.Sprintf(`CREATE OR REPLACE VIEW awsdatacatalog.%s.%s AS SELECT * FROM memory.main.%[2]s`, q, t))
	}
	for _, stmt := range stmts {
		if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("database %s: %w", name, err)
		}
	}
	return nil
}

// createTagViews makes the inventory's snapshots tables: tag_snapshots
// (one row per snapshot) and resource_tags (one row per ARN and tag; an
// ARN known to carry no tags has one row with NULL key and value).
func (e *Engine) createTagViews(ctx context.Context, dir string) error {
	heads, bodies, err := inventory.Files(dir)
	if err != nil {
		return err
	}
	snaps := `CREATE VIEW tag_snapshots AS SELECT NULL::VARCHAR AS snapshot_id, NULL::TIMESTAMP AS taken_at, NULL::VARCHAR AS source,
NULL::BIGINT AS resources, NULL::VARCHAR[] AS problems WHERE false`
	tags := `CREATE VIEW resource_tags AS SELECT NULL::VARCHAR AS snapshot_id, NULL::TIMESTAMP AS taken_at, NULL::VARCHAR AS arn,
NULL::VARCHAR AS tag_key, NULL::VARCHAR AS tag_value WHERE false`
	if len(heads) > 0 {
		snaps = fmt.Sprintf(`CREATE VIEW tag_snapshots AS SELECT id AS snapshot_id, timezone('UTC', takenAt) AS taken_at, source, resources,
coalesce(problems, []) AS problems FROM read_json(%s, format = 'auto', columns = {id: 'VARCHAR', takenAt: 'TIMESTAMPTZ', source: 'VARCHAR', resources: 'BIGINT', problems: 'VARCHAR[]'})`, sqlList(heads))
		tags = fmt.Sprintf(`CREATE VIEW resource_tags AS SELECT s.snapshot_id, s.taken_at, r.arn, r.tag.key AS tag_key, r.tag.value AS tag_value
FROM (SELECT regexp_extract(filename, '([^/\\]+)\.jsonl$', 1) AS snapshot_id, arn,
      unnest(CASE WHEN len(tags) = 0 THEN [NULL::STRUCT("key" VARCHAR, "value" VARCHAR)] ELSE tags END) AS tag
      FROM read_json(%s, format = 'newline_delimited', filename = true,
           columns = {arn: 'VARCHAR', tags: 'STRUCT("key" VARCHAR, "value" VARCHAR)[]'})) r
JOIN tag_snapshots s USING (snapshot_id)`, sqlList(bodies))
	}
	for _, stmt := range []string{snaps, tags} {
		if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create view: %w", err)
		}
	}
	return nil
}

// emptyFile writes a Parquet file with T's schema and no rows, so that a
// table with no data still has its columns.
func (e *Engine) emptyFile(table string, rows any) (string, error) {
	if e.tmp == "" {
		d, err := os.MkdirTemp("", "trailwatch-query-")
		if err != nil {
			return "", fmt.Errorf("create empty table %s: %w", table, err)
		}
		e.tmp = d
	}
	part := filepath.Join("account=unknown", "region=unknown", "date=unknown")
	if table == store.TableS3Access {
		part = filepath.Join("bucket=unknown", "date=2000-01-01")
	}
	path := filepath.Join(e.tmp, table, part, table+".parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("create empty table %s: %w", table, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("create empty table %s: %w", table, err)
	}
	defer f.Close()
	var w interface{ Close() error }
	switch rows.(type) {
	case []store.CloudTrailRow:
		w = parquet.NewGenericWriter[store.CloudTrailRow](f)
	case []store.ActorRow:
		w = parquet.NewGenericWriter[store.ActorRow](f)
	case []s3log.Row:
		w = parquet.NewGenericWriter[s3log.Row](f)
	default:
		return "", fmt.Errorf("create empty table %s: no schema for %T", table, rows)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("create empty table %s: %w", table, err)
	}
	return path, nil
}

// Columns and rows of a result, streamed.
type Sink interface {
	Columns(names []string) error
	Row(values []any) error
}

// Run executes one statement and streams its result to sink.
func (e *Engine) Run(ctx context.Context, query string, sink Sink) error {
	if e.Rewrite != nil {
		query = e.Rewrite(query)
	}
	if l := strings.ToLower(query); strings.Contains(l, "default") || strings.Contains(l, "awsdatacatalog") {
		if err := e.createDatabases(ctx); err != nil {
			return err
		}
	}
	// The parse tree is asked for first: a statement run on the
	// connection while a result streams would cut the result short.
	var ast []byte
	if e.Names != nil {
		// Statements DuckDB cannot serialize (SHOW, DESCRIBE, …) say so
		// in the JSON, and keep DuckDB's names.
		if err := e.conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", query).Scan(&ast); err != nil {
			ast = nil
		}
	}
	rows, err := e.conn.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if ast != nil {
		cols = e.Names(ast, cols)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	if err := sink.Columns(cols); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if t, ok := v.(time.Time); ok {
				vals[i] = typedTime(types[i].DatabaseTypeName(), t)
			}
		}
		if err := sink.Row(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Date is a DATE value, which Athena prints as 2025-03-01.
type Date struct{ time.Time }

func (d Date) String() string { return d.UTC().Format(time.DateOnly) }

// Instant is a TIMESTAMP WITH TIME ZONE value. DuckDB keeps the instant,
// not the zone, so it prints in UTC, as Athena prints one in UTC:
// 2025-03-01 00:00:03.000 UTC.
type Instant struct{ time.Time }

func (i Instant) String() string { return i.UTC().Format("2006-01-02 15:04:05.000") + " UTC" }

// TimeOfDay is a TIME value, which Athena prints as 15:04:05.000.
type TimeOfDay struct{ time.Time }

func (t TimeOfDay) String() string { return t.Format("15:04:05.000") }

// typedTime tells apart the SQL types the driver scans all as time.Time
// (a TIMESTAMP stays a time.Time).
func typedTime(sqlType string, t time.Time) any {
	switch sqlType {
	case "DATE":
		return Date{t}
	case "TIMESTAMPTZ":
		return Instant{t}
	case "TIME":
		return TimeOfDay{t}
	}
	return t
}

func sqlList(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
