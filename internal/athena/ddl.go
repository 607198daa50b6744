package athena

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Default table names: those of the AWS guides' partition-projected tables
// and of the queries users already have (seed 003).
const (
	DefaultCloudTrailTable  = "cloudtrail_logs_pp"
	DefaultS3AccessLogTable = "server_access_logs_pp"
)

// cloudTrailColumnsDDL is the column list of CloudTrailDocURL's CREATE
// EXTERNAL TABLE cloudtrail_logs_pp, as printed there. TestCloudTrailDDLColumns
// checks that it declares exactly CloudTrailColumns.
const cloudTrailColumnsDDL = `    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
             userid: STRING,
             identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            ec2roledelivery:string,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: map<string,string>>
        >
    >,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
      reason:STRING,
      updatedfields:STRING,
      originalrequestid:STRING,
      originaleventid:STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
      tlsversion:STRING,
      ciphersuite:STRING,
      clientprovidedhostheader:STRING>`

// s3AccessLogRegex is the RegexSerDe input.regex of S3AccessLogDocURL's
// table, as printed there (a Hive string literal: \\ and \" are escapes).
const s3AccessLogRegex = `([^ ]*) ([^ ]*) \\[(.*?)\\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$`

// TrailTable says where a trail delivers its log files and what to call the
// Athena table that reads them.
type TrailTable struct {
	Database string // optional: the table is created as Database.Table
	Table    string // default DefaultCloudTrailTable
	Bucket   string // the trail's S3 bucket
	Prefix   string // the trail's S3 key prefix, if it has one
	// OrgID makes it an organization trail: s3://Bucket/Prefix/AWSLogs/OrgID/ACCOUNT/CloudTrail/REGION/.
	OrgID string
	// Accounts and Regions are projected as enum partitions "account" and
	// "region"; an empty list projects the partition as injected (queries
	// must then give its value in WHERE). A single account or region of a
	// trail that is not an organization trail is part of the location, as
	// in the Athena user guide, and is no partition.
	Accounts []string
	Regions  []string
	// From is the first day projected; the range ends at NOW.
	From time.Time
}

// AccessLogTable says where S3 server access logs are delivered in the
// date-based partitioned key format
// (PREFIX/SOURCE-ACCOUNT/SOURCE-REGION/SOURCE-BUCKET/YYYY/MM/DD/...) and
// what to call the Athena table that reads them.
type AccessLogTable struct {
	Database string // optional: the table is created as Database.Table
	Table    string // default DefaultS3AccessLogTable
	Bucket   string // the destination bucket of the logs
	Prefix   string // the destination prefix (a folder: a trailing / is implied)
	// The logged (source) bucket, its account and its region: the key
	// format's first three levels.
	SourceAccount, SourceRegion, SourceBucket string
	From                                      time.Time // first day projected; the range ends at NOW
}

var (
	bucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	nameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// CloudTrailDDL returns the CREATE EXTERNAL TABLE statement (without a
// terminating semicolon) of CloudTrailDocURL for t: the guide's columns,
// JSON SerDe, CloudTrailInputFormat and a `timestamp` date projection
// (yyyy/MM/dd, from t.From to NOW), and for an organization trail or
// several accounts or regions, `account` and `region` partitions projected
// as enum (or injected) with the storage.location.template of the
// delivery layout.
func CloudTrailDDL(t TrailTable) (string, error) {
	table, err := tableName(t.Database, t.Table, DefaultCloudTrailTable)
	if err != nil {
		return "", err
	}
	if err := checkBucket("bucket", t.Bucket); err != nil {
		return "", err
	}
	prefix, err := checkPrefix("prefix", t.Prefix)
	if err != nil {
		return "", err
	}
	if t.OrgID != "" && !orgRE.MatchString(t.OrgID) {
		return "", fmt.Errorf("organization ID %q: want o- and 10 to 32 lower-case letters or digits", t.OrgID)
	}
	if err := checkList("account", t.Accounts, accountRE, "12 digits"); err != nil {
		return "", err
	}
	if err := checkList("region", t.Regions, regionRE, "a region code such as us-east-1"); err != nil {
		return "", err
	}
	if t.From.IsZero() {
		return "", errors.New("the first day to project is missing")
	}

	// s3://bucket/prefix/AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
	base := "s3://" + t.Bucket + "/" + prefix + "AWSLogs/"
	if t.OrgID != "" {
		base += t.OrgID + "/"
	}
	type partition struct{ name, fixed string }
	account := partition{name: "account"}
	if t.OrgID == "" && len(t.Accounts) == 1 {
		account.fixed = t.Accounts[0]
	}
	region := partition{name: "region"}
	if t.OrgID == "" && len(t.Regions) == 1 {
		region.fixed = t.Regions[0]
	}
	var props [][2]string
	props = append(props, [2]string{"projection.enabled", "true"})
	partitions := []string{}
	for _, p := range []struct {
		partition
		values []string
	}{{account, t.Accounts}, {region, t.Regions}} {
		if p.fixed != "" {
			continue
		}
		partitions = append(partitions, p.name)
		if len(p.values) == 0 {
			props = append(props, [2]string{"projection." + p.name + ".type", "injected"})
			continue
		}
		props = append(props,
			[2]string{"projection." + p.name + ".type", "enum"},
			[2]string{"projection." + p.name + ".values", strings.Join(p.values, ",")})
	}
	partitions = append(partitions, "timestamp")

	seg := func(p partition) string {
		if p.fixed != "" {
			return p.fixed
		}
		return "${" + p.name + "}"
	}
	template := base + seg(account) + "/CloudTrail/" + seg(region) + "/${timestamp}"
	// The location is the template's fixed part; without partitions other
	// than timestamp it is the guide's s3://bucket/AWSLogs/account-id/CloudTrail/aws-region.
	location := strings.TrimSuffix(template, "/${timestamp}")
	if i := strings.Index(location, "${"); i >= 0 {
		location = location[:i]
	}
	props = append(props, timestampProps(t.From)...)
	props = append(props, [2]string{"storage.location.template", template})

	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s(\n%s\n  )\n", table, cloudTrailColumnsDDL)
	b.WriteString("PARTITIONED BY (\n")
	for i, p := range partitions {
		sep := ","
		if i == len(partitions)-1 {
			sep = ")"
		}
		fmt.Fprintf(&b, "   `%s` string%s\n", p, sep)
	}
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION\n  '%s'\n", location)
	b.WriteString("TBLPROPERTIES (\n")
	writeProps(&b, props)
	return b.String(), nil
}

// S3AccessLogDDL returns the CREATE EXTERNAL TABLE statement (without a
// terminating semicolon) of S3AccessLogDocURL for t: the guide's columns,
// RegexSerDe with its input.regex, and a `timestamp` date projection
// (yyyy/MM/dd, from t.From to NOW) over the date-based key format.
func S3AccessLogDDL(t AccessLogTable) (string, error) {
	table, err := tableName(t.Database, t.Table, DefaultS3AccessLogTable)
	if err != nil {
		return "", err
	}
	if err := checkBucket("S3 access log bucket", t.Bucket); err != nil {
		return "", err
	}
	prefix, err := checkPrefix("S3 access log prefix", t.Prefix)
	if err != nil {
		return "", err
	}
	if !accountRE.MatchString(t.SourceAccount) {
		return "", fmt.Errorf("S3 access logs: source account %q: want 12 digits", t.SourceAccount)
	}
	if !regionRE.MatchString(t.SourceRegion) {
		return "", fmt.Errorf("S3 access logs: source region %q: want a region code such as us-east-1", t.SourceRegion)
	}
	if err := checkBucket("S3 access logs: source bucket", t.SourceBucket); err != nil {
		return "", err
	}
	if t.From.IsZero() {
		return "", errors.New("the first day to project is missing")
	}
	location := "s3://" + t.Bucket + "/" + prefix + t.SourceAccount + "/" + t.SourceRegion + "/" + t.SourceBucket + "/"

	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s(\n", table)
	cols := S3AccessLogColumns()
	for i, c := range cols {
		sep := ","
		if i == len(cols)-1 {
			sep = ")"
		}
		fmt.Fprintf(&b, "  `%s` %s%s\n", c.Name, c.Type, sep)
	}
	b.WriteString("  PARTITIONED BY (\n   `timestamp` string)\n")
	b.WriteString("ROW FORMAT SERDE\n  'org.apache.hadoop.hive.serde2.RegexSerDe'\n")
	fmt.Fprintf(&b, "WITH SERDEPROPERTIES (\n  'input.regex'='%s')\n", s3AccessLogRegex)
	b.WriteString("STORED AS INPUTFORMAT\n  'org.apache.hadoop.mapred.TextInputFormat'\n")
	b.WriteString("OUTPUTFORMAT\n  'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION\n  '%s'\n", location)
	b.WriteString(" TBLPROPERTIES (\n")
	props := [][2]string{{"projection.enabled", "true"}}
	props = append(props, timestampProps(t.From)...)
	props = append(props, [2]string{"storage.location.template", location + "${timestamp}"})
	writeProps(&b, props)
	return b.String(), nil
}

// timestampProps are the guides' date projection of `timestamp`.
func timestampProps(from time.Time) [][2]string {
	return [][2]string{
		{"projection.timestamp.format", "yyyy/MM/dd"},
		{"projection.timestamp.interval", "1"},
		{"projection.timestamp.interval.unit", "DAYS"},
		{"projection.timestamp.range", from.UTC().Format("2006/01/02") + ",NOW"},
		{"projection.timestamp.type", "date"},
	}
}

func writeProps(b *strings.Builder, props [][2]string) {
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ")"
		}
		fmt.Fprintf(b, "  '%s'='%s'%s\n", p[0], p[1], sep)
	}
}

func tableName(database, table, def string) (string, error) {
	if table == "" {
		table = def
	}
	if !nameRE.MatchString(table) {
		return "", fmt.Errorf("table name %q: want letters, digits and underscores", table)
	}
	if database == "" {
		return table, nil
	}
	if !nameRE.MatchString(database) {
		return "", fmt.Errorf("database name %q: want letters, digits and underscores", database)
	}
	return database + "." + table, nil
}

func checkBucket(what, b string) error {
	if b == "" {
		return fmt.Errorf("%s is missing", what)
	}
	if !bucketRE.MatchString(b) || strings.Contains(b, "..") {
		return fmt.Errorf("%s %q is not an S3 bucket name", what, b)
	}
	return nil
}

// checkPrefix returns the key prefix as a folder ("" or "a/b/").
func checkPrefix(what, p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, r := range p {
		if r < ' ' || r == 0x7f || r == '\'' || r == '\\' || r == '$' {
			return "", fmt.Errorf("%s %q: quotes, backslashes, $ and control characters are not allowed", what, p)
		}
	}
	return p + "/", nil
}

func checkList(what string, vals []string, re *regexp.Regexp, want string) error {
	seen := map[string]bool{}
	for _, v := range vals {
		if !re.MatchString(v) {
			return fmt.Errorf("%s %q: want %s", what, v, want)
		}
		if seen[v] {
			return fmt.Errorf("%s %s is listed twice", what, v)
		}
		seen[v] = true
	}
	return nil
}
