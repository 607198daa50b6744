// Package athena knows AWS's Amazon Athena tables for CloudTrail and for S3
// server access logs: their columns and types as the AWS guides define them,
// the same types in DuckDB, and the CREATE EXTERNAL TABLE statements with
// partition projection that make Athena read a trail's delivery files in
// place (ddl.go). The Trino SQL dialect on DuckDB is package
// internal/athena/trino.
package athena

import (
	"fmt"
	"strings"
)

// Sources of the table definitions.
const (
	// CloudTrailDocURL is the Athena user guide's CloudTrail table with
	// partition projection (cloudtrail_logs_pp); the manually partitioned
	// table (create-cloudtrail-table.html) has the same columns.
	CloudTrailDocURL = "https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html"
	// S3AccessLogDocURL is the S3 user guide's Athena table for server
	// access logs with date-based partitioning and partition projection.
	S3AccessLogDocURL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-s3-access-logs-to-identify-requests.html"
)

// Column is a table column: its name and its Athena (Hive DDL) type in
// canonical form: keywords in upper case, field names in lower case, no
// spaces (STRUCT<arn:STRING,accountid:STRING>, ARRAY<...>, MAP<STRING,STRING>).
type Column struct {
	Name, Type string
}

// CloudTrailColumns returns the columns of the Athena CloudTrail table, in
// the order of CloudTrailDocURL's CREATE EXTERNAL TABLE cloudtrail_logs_pp.
// Athena reads each CloudTrail record with the Hive JSON SerDe, so
// requestparameters, responseelements, additionaleventdata and
// serviceeventdetails hold the JSON text of the object.
func CloudTrailColumns() []Column {
	return []Column{
		{"eventversion", "STRING"},
		{"useridentity", "STRUCT<" +
			"type:STRING,principalid:STRING,arn:STRING,accountid:STRING,invokedby:STRING,accesskeyid:STRING,username:STRING," +
			"onbehalfof:STRUCT<userid:STRING,identitystorearn:STRING>," +
			"sessioncontext:STRUCT<" +
			"attributes:STRUCT<mfaauthenticated:STRING,creationdate:STRING>," +
			"sessionissuer:STRUCT<type:STRING,principalid:STRING,arn:STRING,accountid:STRING,username:STRING>," +
			"ec2roledelivery:STRING," +
			"webidfederationdata:STRUCT<federatedprovider:STRING,attributes:MAP<STRING,STRING>>>>"},
		{"eventtime", "STRING"},
		{"eventsource", "STRING"},
		{"eventname", "STRING"},
		{"awsregion", "STRING"},
		{"sourceipaddress", "STRING"},
		{"useragent", "STRING"},
		{"errorcode", "STRING"},
		{"errormessage", "STRING"},
		{"requestparameters", "STRING"},
		{"responseelements", "STRING"},
		{"additionaleventdata", "STRING"},
		{"requestid", "STRING"},
		{"eventid", "STRING"},
		{"readonly", "STRING"},
		{"resources", "ARRAY<STRUCT<arn:STRING,accountid:STRING,type:STRING>>"},
		{"eventtype", "STRING"},
		{"apiversion", "STRING"},
		{"recipientaccountid", "STRING"},
		{"serviceeventdetails", "STRING"},
		{"sharedeventid", "STRING"},
		{"vpcendpointid", "STRING"},
		{"vpcendpointaccountid", "STRING"},
		{"eventcategory", "STRING"},
		{"addendum", "STRUCT<reason:STRING,updatedfields:STRING,originalrequestid:STRING,originaleventid:STRING>"},
		{"sessioncredentialfromconsole", "STRING"},
		{"edgedevicedetails", "STRING"},
		{"tlsdetails", "STRUCT<tlsversion:STRING,ciphersuite:STRING,clientprovidedhostheader:STRING>"},
	}
}

// CloudTrailPartitions returns the partition columns of the
// partition-projected CloudTrail table: timestamp, the delivery date as
// yyyy/MM/dd. (Tables for organization trails or several accounts or
// regions add account and region before it; see CloudTrailDDL.)
func CloudTrailPartitions() []Column {
	return []Column{{"timestamp", "STRING"}}
}

// S3AccessLogColumns returns the columns of the Athena table for S3 server
// access logs, in the order of S3AccessLogDocURL. The RegexSerDe keeps
// fields as logged: "-" for empty, quotes around request_uri, referrer and
// useragent; bytessent and objectsize are NULL when not numbers.
func S3AccessLogColumns() []Column {
	cols := []Column{}
	for _, name := range []string{
		"bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester", "requestid", "operation", "key",
		"request_uri", "httpstatus", "errorcode", "bytessent", "objectsize", "totaltime", "turnaroundtime",
		"referrer", "useragent", "versionid", "hostid", "sigv", "ciphersuite", "authtype", "endpoint",
		"tlsversion", "accesspointarn", "aclrequired",
	} {
		typ := "STRING"
		if name == "bytessent" || name == "objectsize" {
			typ = "BIGINT"
		}
		cols = append(cols, Column{name, typ})
	}
	return cols
}

// S3AccessLogPartitions returns the partition columns of the
// partition-projected S3 access log table: timestamp, yyyy/MM/dd.
func S3AccessLogPartitions() []Column {
	return []Column{{"timestamp", "STRING"}}
}

// DuckDBType converts an Athena (Hive DDL) type to the DuckDB type that
// holds the same values: STRING -> VARCHAR, STRUCT<a:T> -> STRUCT("a" T),
// ARRAY<T> -> T[], MAP<K,V> -> MAP(K, V), and the numeric, boolean and
// time types to their DuckDB names. Keywords are case-insensitive and
// spaces are allowed, as in Athena DDL.
func DuckDBType(athenaType string) (string, error) {
	t, err := parseType(athenaType)
	if err != nil {
		return "", err
	}
	return t.duckDB(), nil
}

// CanonicalType returns an Athena type in the canonical form of Column.Type
// (upper-case keywords, lower-case field names, no spaces).
func CanonicalType(athenaType string) (string, error) {
	t, err := parseType(athenaType)
	if err != nil {
		return "", err
	}
	return t.canonical(), nil
}

// DuckDBCreateTable returns a DuckDB CREATE TABLE statement with the
// columns (and then the partition columns) in their DuckDB types.
func DuckDBCreateTable(name string, columns ...[]Column) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", quoteIdent(name))
	n := 0
	for _, cols := range columns {
		for _, c := range cols {
			t, err := DuckDBType(c.Type)
			if err != nil {
				return "", fmt.Errorf("table %s: column %s: %w", name, c.Name, err)
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			fmt.Fprintf(&b, "%s %s", quoteIdent(c.Name), t)
		}
	}
	b.WriteString(")")
	return b.String(), nil
}

// quoteIdent quotes a DuckDB identifier (names such as "type", "key" and
// "timestamp" are keywords).
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// athenaType is a parsed Athena type.
type athenaType struct {
	name   string // STRING, BIGINT, ...; STRUCT, ARRAY, MAP for the nested kinds
	fields []athenaField
	elem   *athenaType // ARRAY
	key    *athenaType // MAP
	value  *athenaType // MAP
	params string      // DECIMAL(p,s), VARCHAR(n), CHAR(n): the text between the parentheses
}

type athenaField struct {
	name string
	typ  *athenaType
}

// duckPrimitive maps an Athena primitive type (upper case) to DuckDB's
// (https://docs.aws.amazon.com/athena/latest/ug/data-types.html).
func duckPrimitive(name string) (string, bool) {
	switch name {
	case "STRING", "VARCHAR", "CHAR":
		return "VARCHAR", true
	case "BOOLEAN", "TINYINT", "SMALLINT", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "DECIMAL":
		return name, true
	case "INT", "INTEGER":
		return "INTEGER", true
	case "FLOAT", "REAL":
		return "FLOAT", true
	case "BINARY":
		return "BLOB", true
	}
	return "", false
}

func (t *athenaType) canonical() string {
	switch t.name {
	case "STRUCT":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = f.name + ":" + f.typ.canonical()
		}
		return "STRUCT<" + strings.Join(parts, ",") + ">"
	case "ARRAY":
		return "ARRAY<" + t.elem.canonical() + ">"
	case "MAP":
		return "MAP<" + t.key.canonical() + "," + t.value.canonical() + ">"
	}
	if t.params != "" {
		return t.name + "(" + t.params + ")"
	}
	return t.name
}

func (t *athenaType) duckDB() string {
	switch t.name {
	case "STRUCT":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = quoteIdent(f.name) + " " + f.typ.duckDB()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	case "ARRAY":
		return t.elem.duckDB() + "[]"
	case "MAP":
		return "MAP(" + t.key.duckDB() + ", " + t.value.duckDB() + ")"
	case "DECIMAL":
		if t.params != "" {
			return "DECIMAL(" + t.params + ")"
		}
	}
	d, _ := duckPrimitive(t.name)
	return d
}

// parseType parses an Athena type: a primitive, STRUCT<name:type, ...>,
// ARRAY<type> or MAP<type,type>.
func parseType(s string) (*athenaType, error) {
	p := &typeParser{s: s}
	t, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("athena type %q: %w", s, err)
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("athena type %q: unexpected %q at offset %d", s, p.s[p.i:], p.i)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// word reads an identifier (a type keyword or a field name, possibly in
// backquotes).
func (p *typeParser) word() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '`' {
		j := strings.IndexByte(p.s[p.i+1:], '`')
		if j < 0 {
			return "", fmt.Errorf("unterminated ` at offset %d", p.i)
		}
		w := p.s[p.i+1 : p.i+1+j]
		p.i += j + 2
		return w, nil
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	if p.i == start {
		if p.i == len(p.s) {
			return "", fmt.Errorf("a type or name is missing at the end")
		}
		return "", fmt.Errorf("a type or name is missing at offset %d", p.i)
	}
	return p.s[start:p.i], nil
}

func (p *typeParser) expect(c byte) error {
	p.space()
	if p.i >= len(p.s) {
		return fmt.Errorf("%q is missing at the end", c)
	}
	if p.s[p.i] != c {
		return fmt.Errorf("want %q at offset %d, found %q", c, p.i, p.s[p.i])
	}
	p.i++
	return nil
}

func (p *typeParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *typeParser) parse() (*athenaType, error) {
	w, err := p.word()
	if err != nil {
		return nil, err
	}
	name := strings.ToUpper(w)
	switch name {
	case "STRUCT":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		t := &athenaType{name: name}
		seen := map[string]bool{}
		for {
			fname, err := p.word()
			if err != nil {
				return nil, err
			}
			fname = strings.ToLower(fname)
			if seen[fname] {
				return nil, fmt.Errorf("field %s appears twice", fname)
			}
			seen[fname] = true
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			ft, err := p.parse()
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, athenaField{fname, ft})
			if p.peek(',') {
				p.i++
				continue
			}
			if err := p.expect('>'); err != nil {
				return nil, err
			}
			return t, nil
		}
	case "ARRAY":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		elem, err := p.parse()
		if err != nil {
			return nil, err
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return &athenaType{name: name, elem: elem}, nil
	case "MAP":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		k, err := p.parse()
		if err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		v, err := p.parse()
		if err != nil {
			return nil, err
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return &athenaType{name: name, key: k, value: v}, nil
	}
	if _, ok := duckPrimitive(name); !ok {
		return nil, fmt.Errorf("unknown type %s", w)
	}
	t := &athenaType{name: name}
	if p.peek('(') { // DECIMAL(10,2), VARCHAR(65535), CHAR(3)
		j := strings.IndexByte(p.s[p.i:], ')')
		if j < 0 {
			return nil, fmt.Errorf("unterminated ( at offset %d", p.i)
		}
		t.params = strings.ReplaceAll(p.s[p.i+1:p.i+j], " ", "")
		p.i += j + 1
	}
	return t, nil
}
