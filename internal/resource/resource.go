// Package resource says which AWS resources a CloudTrail event acted on, as ARNs.
//
// Two sources are read, in this order: the record's resources[] array (filled by
// CloudTrail for data events and some management events) and the request
// parameters of the services listed in docs/resources.md, where names are turned
// into ARNs with the event's partition, region and account.
package resource

import (
	"bytes"
	"strings"

	"github.com/valyala/fastjson"
)

// Ref is one resource an event acted on.
type Ref struct {
	ARN    string // full ARN, e.g. arn:aws:s3:::bucket/key, arn:aws:iam::111122223333:role/Admin
	Type   string // "<service>:<kind>", e.g. "s3:object", "iam:role", "ec2:instance"; "" when unknown
	Parent string // the ARN whose tags apply when this one has none of its own (an S3 object's bucket); "" otherwise
	From   string // where it was read: "resources" or "requestParameters.bucketName", etc.
}

// Touched returns the resources the event (one CloudTrail record) acted on, deduplicated by ARN,
// in a stable order (resources[] first, then requestParameters-derived). Never panics on any input.
// Resources the caller only listed, and the caller itself, are not returned.
func Touched(ev *fastjson.Value) []Ref {
	if ev == nil || ev.Type() != fastjson.TypeObject {
		return nil
	}
	c := collector{ev: ev}
	c.fromResources(ev.GetArray("resources"))
	c.fromRequest()
	return c.refs
}

// collector accumulates refs for one event; it lives on the caller's stack.
type collector struct {
	ev   *fastjson.Value
	refs []Ref

	ctxDone                    bool
	partition, region, account string
}

func (c *collector) part() string { c.context(); return c.partition }
func (c *collector) reg() string  { c.context(); return c.region }
func (c *collector) acct() string { c.context(); return c.account }

// context lazily derives the partition, region and account used to build ARNs from names.
func (c *collector) context() {
	if c.ctxDone {
		return
	}
	c.ctxDone = true
	ev := c.ev
	c.region = str(ev, "awsRegion")
	c.account = str(ev, "recipientAccountId")
	if c.account == "" {
		c.account = str(ev, "userIdentity", "accountId")
	}
	// The partition is not a field of the record; take it from an ARN the record carries.
	for _, a := range [...][]byte{
		ev.GetStringBytes("userIdentity", "arn"),
		ev.GetStringBytes("userIdentity", "sessionContext", "sessionIssuer", "arn"),
	} {
		if p := partitionOf(a); p != "" {
			c.partition = p
			return
		}
	}
	for _, r := range ev.GetArray("resources") {
		if p := partitionOf(r.GetStringBytes("ARN")); p != "" {
			c.partition = p
			return
		}
	}
	c.partition = PartitionForRegion(c.region)
}

// partitionOf returns the partition field of an ARN, or "" if a is not an ARN.
func partitionOf(a []byte) string {
	rest, ok := bytes.CutPrefix(a, []byte("arn:"))
	if !ok {
		return ""
	}
	p, _, ok := bytes.Cut(rest, []byte(":"))
	if !ok || len(p) == 0 {
		return ""
	}
	for _, ch := range p {
		if (ch < 'a' || ch > 'z') && ch != '-' {
			return ""
		}
	}
	// Known partitions are returned as constants, sparing an allocation per event.
	switch string(p) {
	case "aws":
		return "aws"
	case "aws-cn":
		return "aws-cn"
	case "aws-us-gov":
		return "aws-us-gov"
	}
	return string(p)
}

// Context returns the partition, region and account ARNs built from the
// event's names use: the partition of an ARN the record carries (else the
// region's), awsRegion, and recipientAccountId (else userIdentity.accountId).
func Context(ev *fastjson.Value) (partition, region, account string) {
	c := collector{ev: ev}
	c.context()
	return c.partition, c.region, c.account
}

// PartitionForRegion is the partition a region belongs to (the fallback when
// a record has no ARN at all).
// https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
func PartitionForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// cloudTrailTypes maps resources[].type to Ref.Type; used only when the ARN itself says nothing.
// Read-only.
var cloudTrailTypes = map[string]string{
	"AWS::S3::Bucket":                  "s3:bucket",
	"AWS::S3::Object":                  "s3:object",
	"AWS::S3::AccessPoint":             "s3:accesspoint",
	"AWS::IAM::User":                   "iam:user",
	"AWS::IAM::Role":                   "iam:role",
	"AWS::IAM::Policy":                 "iam:policy",
	"AWS::IAM::Group":                  "iam:group",
	"AWS::DynamoDB::Table":             "dynamodb:table",
	"AWS::DynamoDB::Stream":            "dynamodb:stream",
	"AWS::Lambda::Function":            "lambda:function",
	"AWS::SQS::Queue":                  "sqs:queue",
	"AWS::SNS::Topic":                  "sns:topic",
	"AWS::KMS::Key":                    "kms:key",
	"AWS::KMS::Alias":                  "kms:alias",
	"AWS::SecretsManager::Secret":      "secretsmanager:secret",
	"AWS::SSM::Parameter":              "ssm:parameter",
	"AWS::EC2::Instance":               "ec2:instance",
	"AWS::EC2::Volume":                 "ec2:volume",
	"AWS::EC2::SecurityGroup":          "ec2:security-group",
	"AWS::EC2::Snapshot":               "ec2:snapshot",
	"AWS::EC2::Image":                  "ec2:image",
	"AWS::RDS::DBInstance":             "rds:db",
	"AWS::RDS::DBCluster":              "rds:cluster",
	"AWS::RDS::DBSnapshot":             "rds:snapshot",
	"AWS::RDS::DBClusterSnapshot":      "rds:cluster-snapshot",
	"AWS::ECR::Repository":             "ecr:repository",
	"AWS::Logs::LogGroup":              "logs:log-group",
	"AWS::CloudTrail::Trail":           "cloudtrail:trail",
	"AWS::STS::AssumedRole":            "sts:assumed-role",
	"AWS::Events::EventBus":            "events:event-bus",
	"AWS::Kinesis::Stream":             "kinesis:stream",
	"AWS::StepFunctions::StateMachine": "states:stateMachine",
}

// fromResources reads CloudTrail's own list of resources.
func (c *collector) fromResources(rs []*fastjson.Value) {
	for _, r := range rs {
		a := str(r, "ARN")
		if a == "" {
			// S3 data events describe a set of objects by "ARNPrefix" (arn:aws:s3:::bucket/prefix);
			// that is no single object, but it names the bucket.
			// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html
			if p := str(r, "ARNPrefix"); strings.HasPrefix(p, "arn:") {
				if b := s3BucketOf(p); b != "" {
					c.addARN(b, "resources", "")
				}
			}
			continue
		}
		c.addARN(a, "resources", cloudTrailTypes[string(r.GetStringBytes("type"))])
	}
}

// addARN records a if it looks like an ARN and is new. Type and Parent come from the ARN;
// fallbackType is used when the ARN's shape is not recognised.
func (c *collector) addARN(a, from, fallbackType string) {
	if !looksLikeARN(a) {
		return
	}
	for i := range c.refs {
		if c.refs[i].ARN == a {
			return
		}
	}
	t, parent := typeOf(a)
	if t == "" {
		t = fallbackType
	}
	if c.refs == nil {
		c.refs = make([]Ref, 0, 4)
	}
	c.refs = append(c.refs, Ref{ARN: a, Type: t, Parent: parent, From: from})
}

// looksLikeARN accepts arn:partition:service:region:account:resource with a non-empty
// partition, service and resource.
func looksLikeARN(a string) bool {
	p := splitARN(a)
	return p.ok
}

type arnParts struct {
	partition, service, region, account, resource string
	ok                                            bool
}

func splitARN(a string) arnParts {
	var p arnParts
	rest, ok := strings.CutPrefix(a, "arn:")
	if !ok {
		return p
	}
	var fields [4]string
	for i := range fields {
		f, r, ok := strings.Cut(rest, ":")
		if !ok {
			return p
		}
		fields[i], rest = f, r
	}
	if fields[0] == "" || fields[1] == "" || rest == "" {
		return p
	}
	return arnParts{fields[0], fields[1], fields[2], fields[3], rest, true}
}

// typeOf derives "<service>:<kind>" from the ARN's resource part: the text before the first
// '/' or ':'. Services whose resource is a bare name (S3, SQS, SNS) are special.
func typeOf(a string) (typ, parent string) {
	p := splitARN(a)
	if !p.ok {
		return "", ""
	}
	switch p.service {
	case "s3":
		if p.region == "" && p.account == "" {
			if bucket, _, isObject := strings.Cut(p.resource, "/"); isObject {
				return "s3:object", a[:len(a)-len(p.resource)] + bucket
			}
			return "s3:bucket", ""
		}
		// Objects reached through an access point: arn:…:accesspoint/NAME/object/KEY.
		if ap, _, isObject := strings.Cut(p.resource, "/object/"); isObject && strings.HasPrefix(ap, "accesspoint/") {
			return "s3:object", a[:len(a)-len(p.resource)] + ap
		}
	case "sqs":
		return "sqs:queue", ""
	case "sns":
		switch {
		case strings.Contains(p.resource, "/"):
		case strings.Contains(p.resource, ":"):
			return "sns:subscription", ""
		default:
			return "sns:topic", ""
		}
	}
	kind := p.resource
	if i := strings.IndexAny(kind, "/:"); i >= 0 {
		kind = kind[:i]
	}
	if kind == "" {
		return "", ""
	}
	return p.service + ":" + kind, ""
}

// s3BucketOf returns the bucket ARN of an S3 bucket, object or object-prefix ARN, or "".
func s3BucketOf(a string) string {
	p := splitARN(a)
	if !p.ok || p.service != "s3" || p.region != "" || p.account != "" {
		return ""
	}
	b, _, _ := strings.Cut(p.resource, "/")
	if b == "" {
		return ""
	}
	return a[:len(a)-len(p.resource)] + b
}

// str returns the string at keys, or "" when absent or not a string.
func str(v *fastjson.Value, keys ...string) string {
	return string(v.GetStringBytes(keys...))
}
