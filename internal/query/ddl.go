package query

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/s3log"
	"github.com/trailwatch/trailwatch/internal/store"
)

// DDLOptions describe where a trail and its S3 access logs are, for the
// Athena tables with partition projection that read them in place.
type DDLOptions struct {
	Bucket, Prefix string   // the trail's S3 bucket and key prefix
	Org            string   // organization ID (o-…) of an organization trail
	Accounts       []string // accounts to project; with Org or several accounts they become a partition
	Regions        []string // regions to project
	From           time.Time
	Table          string // default cloudtrail_logs_pp
	Database       string // optional database qualifier

	S3LogsBucket, S3LogsPrefix  string // S3 server access logs, date-based layout when S3LogsAccount is set
	S3LogsAccount, S3LogsRegion string
	S3LogsSourceBucket          string
}

// athenaType is the Athena (Hive) type of a store row field, from its Go
// type: the store's Parquet schema and the DDL come from the same structs.
func athenaType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return athenaType(t.Elem())
	case reflect.String:
		return "STRING"
	case reflect.Int64, reflect.Int32:
		return "BIGINT"
	case reflect.Slice:
		return "ARRAY<" + athenaType(t.Elem()) + ">"
	case reflect.Map:
		return "MAP<STRING,STRING>"
	case reflect.Struct:
		var parts []string
		for i := range t.NumField() {
			f := t.Field(i)
			parts = append(parts, columnName(f)+": "+athenaType(f.Type))
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">"
	}
	return "STRING"
}

func columnName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
	return name
}

func columnList(row any, skip map[string]bool) string {
	t := reflect.TypeOf(row)
	var b strings.Builder
	first := true
	for i := range t.NumField() {
		f := t.Field(i)
		name := columnName(f)
		if skip[name] {
			continue
		}
		if !first {
			b.WriteString(",\n")
		}
		first = false
		fmt.Fprintf(&b, "    %s %s", name, athenaType(f.Type))
	}
	return b.String()
}

func quoteList(vals []string) string { return strings.Join(vals, ",") }

// CloudTrailDDL is the CREATE EXTERNAL TABLE for a trail, with partition
// projection as the Athena user guide shows it
// (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html):
// the JSON SerDe, CloudTrail's input format, a `timestamp` date projection
// from From to NOW, and for organization trails or several accounts or
// regions, enum projections of account and region.
func CloudTrailDDL(o DDLOptions) (string, error) {
	if o.Bucket == "" {
		return "", fmt.Errorf("a bucket is needed")
	}
	if o.From.IsZero() {
		return "", fmt.Errorf("a start date is needed")
	}
	table := o.Table
	if table == "" {
		table = "cloudtrail_logs_pp"
	}
	if o.Database != "" {
		table = o.Database + "." + table
	}
	base := "s3://" + o.Bucket + "/"
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		base += p + "/"
	}
	base += "AWSLogs/"
	if o.Org != "" {
		base += o.Org + "/"
	}
	// One account and one region are fixed in the path, as in the guide's
	// example; otherwise they are projected partitions.
	multi := o.Org != "" || len(o.Accounts) != 1 || len(o.Regions) != 1
	if multi && (len(o.Accounts) == 0 || len(o.Regions) == 0) {
		return "", fmt.Errorf("an organization trail or several accounts or regions need --accounts and --regions to project")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s(\n%s\n  )\n", table, columnList(store.CloudTrailRow{}, nil))
	props := [][2]string{{"projection.enabled", "true"}}
	var location, template string
	if multi {
		b.WriteString("PARTITIONED BY (\n   `account` string,\n   `region` string,\n   `timestamp` string)\n")
		location = base
		template = base + "${account}/CloudTrail/${region}/${timestamp}"
		props = append(props,
			[2]string{"projection.account.type", "enum"}, [2]string{"projection.account.values", quoteList(o.Accounts)},
			[2]string{"projection.region.type", "enum"}, [2]string{"projection.region.values", quoteList(o.Regions)})
	} else {
		b.WriteString("PARTITIONED BY (\n   `timestamp` string)\n")
		location = base + o.Accounts[0] + "/CloudTrail/" + o.Regions[0]
		template = location + "/${timestamp}"
	}
	props = append(props,
		[2]string{"projection.timestamp.format", "yyyy/MM/dd"},
		[2]string{"projection.timestamp.interval", "1"},
		[2]string{"projection.timestamp.interval.unit", "DAYS"},
		[2]string{"projection.timestamp.range", o.From.Format("2006/01/02") + ",NOW"},
		[2]string{"projection.timestamp.type", "date"},
		[2]string{"storage.location.template", template})
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION\n  '%s'\n", location)
	writeProps(&b, props)
	return b.String(), nil
}

// s3LogRegex is the RegexSerDe pattern of the Athena user guide's S3
// access log table
// (https://docs.aws.amazon.com/athena/latest/ug/querying-s3-access-logs.html).
const s3LogRegex = `([^ ]*) ([^ ]*) \\[(.*?)\\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$`

// S3AccessLogDDL is the table of S3 server access logs with a `timestamp`
// date projection (the date-based partitioned key layout:
// PREFIX/ACCOUNT/REGION/SOURCEBUCKET/YYYY/MM/DD/), named
// server_access_logs_pp as seed 003 queries it.
func S3AccessLogDDL(o DDLOptions) (string, error) {
	if o.S3LogsBucket == "" || o.S3LogsAccount == "" || o.S3LogsRegion == "" || o.S3LogsSourceBucket == "" {
		return "", fmt.Errorf("S3 access logs need their bucket, and the source account, region and bucket of the date-based key layout")
	}
	table := "server_access_logs_pp"
	if o.Database != "" {
		table = o.Database + "." + table
	}
	loc := "s3://" + o.S3LogsBucket + "/"
	if p := strings.Trim(o.S3LogsPrefix, "/"); p != "" {
		loc += p + "/"
	}
	loc += o.S3LogsAccount + "/" + o.S3LogsRegion + "/" + o.S3LogsSourceBucket + "/"
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s(\n%s\n  )\n", table, columnList(s3log.Row{}, nil))
	b.WriteString("PARTITIONED BY (\n   `timestamp` string)\n")
	b.WriteString("ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'\n")
	fmt.Fprintf(&b, "WITH SERDEPROPERTIES (\n  'input.regex'='%s')\n", s3LogRegex)
	b.WriteString("STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION\n  '%s'\n", loc)
	writeProps(&b, [][2]string{
		{"projection.enabled", "true"},
		{"projection.timestamp.format", "yyyy/MM/dd"},
		{"projection.timestamp.interval", "1"},
		{"projection.timestamp.interval.unit", "days"},
		{"projection.timestamp.type", "date"},
		{"projection.timestamp.range", o.From.Format("2006/01/02") + ",NOW"},
		{"storage.location.template", loc + "${timestamp}"},
	})
	return b.String(), nil
}

func writeProps(b *strings.Builder, props [][2]string) {
	b.WriteString("TBLPROPERTIES (\n")
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ")"
		}
		fmt.Fprintf(b, "  '%s'='%s'%s\n", p[0], p[1], sep)
	}
}
