package athena

import (
	"os"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006/01/02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestDocDDL: with the guides' placeholders replaced by real values, the
// statements are exactly those the guides print (testdata/README.md).
func TestDocDDL(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(b), "\n") + "\n"
	}
	got, err := CloudTrailDDL(TrailTable{Bucket: "amzn-s3-demo-bucket", Accounts: []string{"111122223333"}, Regions: []string{"us-east-1"}, From: day("2020/01/01")})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer("account-id", "111122223333", "aws-region", "us-east-1").Replace(read("cloudtrail_logs_pp.doc.sql"))
	if got != want {
		t.Errorf("CloudTrailDDL\n%s\nwant (the guide's)\n%s", got, want)
	}

	got, err = S3AccessLogDDL(AccessLogTable{Database: "s3_access_logs_db", Table: "mybucket_logs", Bucket: "bucket-name", Prefix: "prefix-name/",
		SourceAccount: "111122223333", SourceRegion: "us-east-1", SourceBucket: "source-bucket-name", From: day("2024/01/01")})
	if err != nil {
		t.Fatal(err)
	}
	want = strings.NewReplacer("account-id", "111122223333", "/region/", "/us-east-1/").Replace(read("server_access_logs.doc.sql"))
	if got != want {
		t.Errorf("S3AccessLogDDL\n%s\nwant (the guide's)\n%s", got, want)
	}
}

// tail is the statement after the column list.
func tail(ddl string) string {
	_, after, _ := strings.Cut(ddl, "\n  )\n")
	return after
}

func TestCloudTrailDDL(t *testing.T) {
	from := day("2025/05/01")
	for _, c := range []struct {
		name string
		in   TrailTable
		head string // the first line
		want string // tail, or the error
	}{
		{"organization trail, enum", TrailTable{Database: "security", Bucket: "trail-bucket", Prefix: "/ct/", OrgID: "o-exampleorgid",
			Accounts: []string{"111122223333", "444455556666"}, Regions: []string{"us-east-1", "ap-northeast-1"}, From: from},
			"CREATE EXTERNAL TABLE security.cloudtrail_logs_pp(",
			"PARTITIONED BY (\n   `account` string,\n   `region` string,\n   `timestamp` string)\n" +
				"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n" +
				"STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n" +
				"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n" +
				"LOCATION\n  's3://trail-bucket/ct/AWSLogs/o-exampleorgid/'\n" +
				"TBLPROPERTIES (\n  'projection.enabled'='true',\n" +
				"  'projection.account.type'='enum',\n  'projection.account.values'='111122223333,444455556666',\n" +
				"  'projection.region.type'='enum',\n  'projection.region.values'='us-east-1,ap-northeast-1',\n" +
				"  'projection.timestamp.format'='yyyy/MM/dd',\n  'projection.timestamp.interval'='1',\n" +
				"  'projection.timestamp.interval.unit'='DAYS',\n  'projection.timestamp.range'='2025/05/01,NOW',\n" +
				"  'projection.timestamp.type'='date',\n" +
				"  'storage.location.template'='s3://trail-bucket/ct/AWSLogs/o-exampleorgid/${account}/CloudTrail/${region}/${timestamp}')\n"},
		{"organization trail, injected", TrailTable{Table: "org_trail", Bucket: "trail-bucket", OrgID: "o-exampleorgid", From: from},
			"CREATE EXTERNAL TABLE org_trail(",
			"PARTITIONED BY (\n   `account` string,\n   `region` string,\n   `timestamp` string)\n" +
				"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n" +
				"STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n" +
				"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n" +
				"LOCATION\n  's3://trail-bucket/AWSLogs/o-exampleorgid/'\n" +
				"TBLPROPERTIES (\n  'projection.enabled'='true',\n" +
				"  'projection.account.type'='injected',\n  'projection.region.type'='injected',\n" +
				"  'projection.timestamp.format'='yyyy/MM/dd',\n  'projection.timestamp.interval'='1',\n" +
				"  'projection.timestamp.interval.unit'='DAYS',\n  'projection.timestamp.range'='2025/05/01,NOW',\n" +
				"  'projection.timestamp.type'='date',\n" +
				"  'storage.location.template'='s3://trail-bucket/AWSLogs/o-exampleorgid/${account}/CloudTrail/${region}/${timestamp}')\n"},
		{"one account, several regions", TrailTable{Bucket: "trail-bucket", Accounts: []string{"111122223333"}, Regions: []string{"us-east-1", "eu-west-1"}, From: from},
			"CREATE EXTERNAL TABLE cloudtrail_logs_pp(",
			"PARTITIONED BY (\n   `region` string,\n   `timestamp` string)\n" +
				"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n" +
				"STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n" +
				"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n" +
				"LOCATION\n  's3://trail-bucket/AWSLogs/111122223333/CloudTrail/'\n" +
				"TBLPROPERTIES (\n  'projection.enabled'='true',\n" +
				"  'projection.region.type'='enum',\n  'projection.region.values'='us-east-1,eu-west-1',\n" +
				"  'projection.timestamp.format'='yyyy/MM/dd',\n  'projection.timestamp.interval'='1',\n" +
				"  'projection.timestamp.interval.unit'='DAYS',\n  'projection.timestamp.range'='2025/05/01,NOW',\n" +
				"  'projection.timestamp.type'='date',\n" +
				"  'storage.location.template'='s3://trail-bucket/AWSLogs/111122223333/CloudTrail/${region}/${timestamp}')\n"},
		{"no bucket", TrailTable{From: from}, "", "bucket is missing"},
		{"bad bucket", TrailTable{Bucket: "My_Bucket", From: from}, "", `bucket "My_Bucket" is not an S3 bucket name`},
		{"bad prefix", TrailTable{Bucket: "b-1", Prefix: "a'b", From: from}, "", `prefix "a'b": quotes, backslashes, $ and control characters are not allowed`},
		{"bad org", TrailTable{Bucket: "b-1", OrgID: "o-1", From: from}, "", `organization ID "o-1": want o- and 10 to 32 lower-case letters or digits`},
		{"bad account", TrailTable{Bucket: "b-1", Accounts: []string{"1234"}, From: from}, "", `account "1234": want 12 digits`},
		{"twice", TrailTable{Bucket: "b-1", Accounts: []string{"111122223333", "111122223333"}, From: from}, "", "account 111122223333 is listed twice"},
		{"bad region", TrailTable{Bucket: "b-1", Regions: []string{"tokyo"}, From: from}, "", `region "tokyo": want a region code such as us-east-1`},
		{"no from", TrailTable{Bucket: "b-1"}, "", "the first day to project is missing"},
		{"bad table", TrailTable{Bucket: "b-1", Table: "a-b", From: from}, "", `table name "a-b": want letters, digits and underscores`},
		{"bad database", TrailTable{Bucket: "b-1", Database: "x.y", From: from}, "", `database name "x.y": want letters, digits and underscores`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CloudTrailDDL(c.in)
			if c.head == "" {
				if err == nil || err.Error() != c.want {
					t.Errorf("error %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if head, _, _ := strings.Cut(got, "\n"); head != c.head {
				t.Errorf("first line %q, want %q", head, c.head)
			}
			if !strings.Contains(got, "\n"+cloudTrailColumnsDDL+"\n  )\n") {
				t.Error("the guide's column list is missing")
			}
			if tail(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", tail(got), c.want)
			}
		})
	}
}

func TestS3AccessLogDDLErrors(t *testing.T) {
	ok := AccessLogTable{Bucket: "log-bucket", SourceAccount: "111122223333", SourceRegion: "us-east-1", SourceBucket: "data-bucket", From: day("2025/05/01")}
	if ddl, err := S3AccessLogDDL(ok); err != nil || !strings.HasPrefix(ddl, "CREATE EXTERNAL TABLE server_access_logs_pp(\n") ||
		!strings.Contains(ddl, "LOCATION\n  's3://log-bucket/111122223333/us-east-1/data-bucket/'\n") {
		t.Errorf("default table and location: %v\n%s", err, ddl)
	}
	for _, c := range []struct {
		mod  func(*AccessLogTable)
		want string
	}{
		{func(a *AccessLogTable) { a.Bucket = "" }, "S3 access log bucket is missing"},
		{func(a *AccessLogTable) { a.Prefix = "logs/${x}" }, `S3 access log prefix "logs/${x}": quotes, backslashes, $ and control characters are not allowed`},
		{func(a *AccessLogTable) { a.SourceAccount = "" }, `S3 access logs: source account "": want 12 digits`},
		{func(a *AccessLogTable) { a.SourceRegion = "US-EAST-1" }, `S3 access logs: source region "US-EAST-1": want a region code such as us-east-1`},
		{func(a *AccessLogTable) { a.SourceBucket = "" }, "S3 access logs: source bucket is missing"},
		{func(a *AccessLogTable) { a.From = time.Time{} }, "the first day to project is missing"},
		{func(a *AccessLogTable) { a.Table = "1x" }, `table name "1x": want letters, digits and underscores`},
	} {
		in := ok
		c.mod(&in)
		if _, err := S3AccessLogDDL(in); err == nil || err.Error() != c.want {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
