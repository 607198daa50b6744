package resource

import (
	"bytes"
	"strings"

	"github.com/valyala/fastjson"
)

// fromRequest derives resources from requestParameters. Parameter names are only meaningful
// within their service ("name" is an SSM parameter in ssm, a trail in cloudtrail), so the
// event source picks the reader.
func (c *collector) fromRequest() {
	rp := c.ev.Get("requestParameters")
	if rp == nil || rp.Type() != fastjson.TypeObject {
		return
	}
	// Compared as bytes: most events name nothing and should cost no allocation.
	name := c.ev.GetStringBytes("eventName")
	switch string(c.ev.GetStringBytes("eventSource")) {
	case "s3.amazonaws.com":
		c.s3(rp)
	case "iam.amazonaws.com":
		c.iam(rp, name)
	case "sts.amazonaws.com":
		c.addARN(str(rp, "roleArn"), "requestParameters.roleArn", "iam:role")
	case "dynamodb.amazonaws.com":
		c.dynamodb(rp)
	case "lambda.amazonaws.com":
		c.lambda(rp)
	case "sqs.amazonaws.com":
		c.sqs(rp)
	case "sns.amazonaws.com":
		c.sns(rp, name)
	case "kms.amazonaws.com":
		c.kms(rp)
	case "secretsmanager.amazonaws.com":
		c.secretsmanager(rp, name)
	case "ssm.amazonaws.com":
		c.ssm(rp, name)
	case "ec2.amazonaws.com":
		c.ec2(rp)
	case "ec2-instance-connect.amazonaws.com":
		c.ec2Instance(str(rp, "instanceId"), "requestParameters.instanceId")
	case "rds.amazonaws.com":
		c.rds(rp)
	case "ecr.amazonaws.com":
		c.ecr(rp)
	case "logs.amazonaws.com":
		c.logs(rp)
	case "cloudtrail.amazonaws.com":
		c.cloudtrail(rp, name)
	}
	// Tagging APIs of many services (TagResource, UntagResource, ListTagsForResource) name
	// the resource by ARN.
	c.addARN(str(rp, "resourceArn"), "requestParameters.resourceArn", "")
	c.addARN(str(rp, "resourceARN"), "requestParameters.resourceARN", "")
}

// regional builds arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, or "" when the record
// lacks the region or account (an ARN without them would never match a tag snapshot).
func (c *collector) regional(service, resource string) string {
	return c.build(service, c.reg(), c.acct(), resource)
}

func (c *collector) build(service, region, account, resource string) string {
	if region == "" || account == "" || resource == "" {
		return ""
	}
	return "arn:" + c.part() + ":" + service + ":" + region + ":" + account + ":" + resource
}

// named adds the resource named by field: an ARN as given, otherwise mk(name).
func (c *collector) named(rp *fastjson.Value, field string, mk func(string) string) {
	c.namedValue(str(rp, field), "requestParameters."+field, mk)
}

func (c *collector) namedValue(v, from string, mk func(string) string) {
	if v == "" {
		return
	}
	if strings.HasPrefix(v, "arn:") {
		c.addARN(v, from, "")
		return
	}
	c.addARN(mk(v), from, "")
}

// stringsAt returns the string elements at keys: a JSON array of strings, or one string.
func stringsAt(rp *fastjson.Value, keys ...string) []string {
	v := rp.Get(keys...)
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		return []string{string(v.GetStringBytes())}
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]string, 0, len(a))
		for _, e := range a {
			if s := e.GetStringBytes(); len(s) > 0 {
				out = append(out, string(s))
			}
		}
		return out
	}
	return nil
}

// items returns the objects at keys: a JSON array, or a lone object (XML-derived request
// parameters collapse one-element lists).
func items(rp *fastjson.Value, keys ...string) []*fastjson.Value {
	v := rp.Get(keys...)
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeArray:
		a, _ := v.Array()
		return a
	case fastjson.TypeObject:
		return []*fastjson.Value{v}
	}
	return nil
}

// S3: arn:${Partition}:s3:::${BucketName} and arn:${Partition}:s3:::${BucketName}/${ObjectName};
// no region or account.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
// Request fields (bucketName, key, x-amz-copy-source) as logged:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html
// DeleteObjects: CloudTrail does not log the keys (only the bucket); delete.Object[].Key is
// read in case a producer includes it.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/logging-with-S3.html
func (c *collector) s3(rp *fastjson.Value) {
	bucket := str(rp, "bucketName")
	var objPrefix string
	switch {
	case bucket == "" || (strings.ContainsRune(bucket, '/') && !strings.HasPrefix(bucket, "arn:")):
		// ListBuckets and friends name no bucket.
	case strings.HasPrefix(bucket, "arn:"):
		// Access point ARN given as the bucket; its objects are …:accesspoint/NAME/object/KEY.
		c.addARN(bucket, "requestParameters.bucketName", "")
		if t, _ := typeOf(bucket); t == "s3:accesspoint" {
			objPrefix = bucket + "/object/"
		}
	default:
		b := "arn:" + c.part() + ":s3:::" + bucket
		c.addARN(b, "requestParameters.bucketName", "s3:bucket")
		objPrefix = b + "/"
	}
	if objPrefix != "" {
		if key := str(rp, "key"); key != "" {
			c.addARN(objPrefix+key, "requestParameters.key", "s3:object")
		}
		for _, o := range items(rp, "delete", "Object") {
			if key := str(o, "Key"); key != "" {
				c.addARN(objPrefix+key, "requestParameters.delete.Object[].Key", "s3:object")
			}
		}
	}
	// CopyObject / UploadPartCopy read the source "bucket/key[?versionId=…]" (may be URL-encoded;
	// kept as logged).
	if src := str(rp, "x-amz-copy-source"); src != "" {
		src = strings.TrimPrefix(src, "/")
		src, _, _ = strings.Cut(src, "?versionId=")
		if b, k, ok := strings.Cut(src, "/"); ok && b != "" && k != "" {
			c.addARN("arn:"+c.part()+":s3:::"+b+"/"+k, "requestParameters.x-amz-copy-source", "s3:object")
		}
	}
}

// IAM: arn:${Partition}:iam::${Account}:user/${UserNameWithPath}, role/${RoleNameWithPath},
// group/${GroupNameWithPath}, policy/${PolicyNameWithPath}, instance-profile/…; no region.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
// Only Create* requests carry the path; elsewhere the ARN is built with path "/".
func (c *collector) iam(rp *fastjson.Value, eventName []byte) {
	path := str(rp, "path")
	if len(path) < 2 || path[0] != '/' || path[len(path)-1] != '/' {
		path = "/"
	}
	global := func(kind string) func(string) string {
		return func(n string) string {
			return c.iamARN(kind + path + n)
		}
	}
	c.named(rp, "userName", global("user"))
	c.named(rp, "roleName", global("role"))
	c.named(rp, "groupName", global("group"))
	c.named(rp, "instanceProfileName", global("instance-profile"))
	c.addARN(str(rp, "policyArn"), "requestParameters.policyArn", "iam:policy")
	// policyName elsewhere names an inline policy, which has no ARN.
	if string(eventName) == "CreatePolicy" {
		c.named(rp, "policyName", global("policy"))
	}
}

func (c *collector) iamARN(resource string) string {
	if c.acct() == "" {
		return ""
	}
	return "arn:" + c.part() + ":iam::" + c.acct() + ":" + resource
}

// DynamoDB: arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}.
// tableName may already be a table ARN; BatchGetItem/BatchWriteItem key requestItems by table.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
func (c *collector) dynamodb(rp *fastjson.Value) {
	table := func(n string) string { return c.regional("dynamodb", "table/"+n) }
	c.named(rp, "tableName", table)
	if o := rp.Get("requestItems"); o != nil && o.Type() == fastjson.TypeObject {
		obj, _ := o.Object()
		obj.Visit(func(k []byte, _ *fastjson.Value) {
			c.namedValue(string(k), "requestParameters.requestItems", table)
		})
	}
}

// Lambda: arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}.
// functionName is a name, name:qualifier, ACCOUNT:function:NAME, or a full (qualified) ARN;
// the qualifier is dropped because tags belong to the function, not a version or alias.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
// https://docs.aws.amazon.com/lambda/latest/dg/API_GetFunction.html (FunctionName formats)
func (c *collector) lambda(rp *fastjson.Value) {
	fn := str(rp, "functionName")
	if fn == "" {
		return
	}
	c.addARN(c.lambdaARN(fn), "requestParameters.functionName", "lambda:function")
}

func (c *collector) lambdaARN(fn string) string {
	if strings.HasPrefix(fn, "arn:") {
		p := splitARN(fn)
		if !p.ok || p.service != "lambda" {
			return fn
		}
		kind, rest, _ := strings.Cut(p.resource, ":")
		if kind != "function" {
			return fn
		}
		name, _, _ := strings.Cut(rest, ":")
		if name == "" {
			return ""
		}
		return fn[:len(fn)-len(p.resource)] + "function:" + name
	}
	account, name := c.acct(), fn
	if a, n, ok := strings.Cut(fn, ":function:"); ok {
		account, name = a, n
	}
	name, _, _ = strings.Cut(name, ":")
	if name == "" {
		return ""
	}
	return c.build("lambda", c.reg(), account, "function:"+name)
}

// SQS: arn:${Partition}:sqs:${Region}:${Account}:${QueueName}, from queueUrl
// https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (legacy hosts REGION.queue.amazonaws.com and
// queue.amazonaws.com = us-east-1), or queueName (CreateQueue, GetQueueUrl).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
func (c *collector) sqs(rp *fastjson.Value) {
	if u := str(rp, "queueUrl"); u != "" {
		c.addARN(c.sqsARN(u), "requestParameters.queueUrl", "sqs:queue")
	}
	c.named(rp, "queueName", func(n string) string { return c.regional("sqs", n) })
}

func (c *collector) sqsARN(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		rest = u
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	account, name, ok := strings.Cut(strings.TrimSuffix(path, "/"), "/")
	if !ok || account == "" || name == "" || strings.ContainsAny(name, "/?#:") {
		return ""
	}
	region := c.reg()
	switch {
	case strings.HasPrefix(host, "sqs."):
		if r, _, ok := strings.Cut(host[len("sqs."):], "."); ok && r != "" {
			region = r
		}
	case strings.HasPrefix(host, "queue.amazonaws.com"):
		region = "us-east-1"
	default:
		if r, _, ok := strings.Cut(host, ".queue."); ok && r != "" {
			region = r
		}
	}
	return c.build("sqs", region, account, name)
}

// SNS: arn:${Partition}:sns:${Region}:${Account}:${TopicName}; topicArn (most calls),
// targetArn (Publish to an endpoint), name (CreateTopic).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
func (c *collector) sns(rp *fastjson.Value, eventName []byte) {
	c.addARN(str(rp, "topicArn"), "requestParameters.topicArn", "sns:topic")
	c.addARN(str(rp, "targetArn"), "requestParameters.targetArn", "")
	if string(eventName) == "CreateTopic" {
		c.named(rp, "name", func(n string) string { return c.regional("sns", n) })
	}
}

// KMS: arn:${Partition}:kms:${Region}:${Account}:key/${KeyId} and …:alias/${Alias}.
// keyId is a key id, key ARN, alias name ("alias/x") or alias ARN. CloudTrail's resources[]
// for KMS often has the key ARN without a "type" (ct-enablekey), and lists aliases too
// (ct-createalias).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
// https://docs.aws.amazon.com/kms/latest/developerguide/ct-enablekey.html
// https://docs.aws.amazon.com/kms/latest/developerguide/ct-createalias.html
func (c *collector) kms(rp *fastjson.Value) {
	key := func(id string) string {
		if strings.HasPrefix(id, "alias/") {
			return c.regional("kms", id)
		}
		return c.regional("kms", "key/"+id)
	}
	for _, f := range [...]string{"keyId", "targetKeyId", "sourceKeyId", "destinationKeyId", "aliasName"} {
		c.named(rp, f, key)
	}
}

// Secrets Manager: arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}.
// A real secret ARN ends in "-" and six random characters that a name does not carry, so a
// secretId given by name yields a partial ARN (…:secret:NAME); match it against full ARNs
// with strings.HasPrefix(full, partial+"-").
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
func (c *collector) secretsmanager(rp *fastjson.Value, eventName []byte) {
	secret := func(n string) string { return c.regional("secretsmanager", "secret:"+n) }
	c.named(rp, "secretId", secret)
	for _, s := range stringsAt(rp, "secretIdList") {
		c.namedValue(s, "requestParameters.secretIdList", secret)
	}
	if string(eventName) == "CreateSecret" {
		c.named(rp, "name", secret)
	}
}

// SSM: arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash},
// so "/x" and "x" both give …:parameter/x. A ":version" or ":label" selector is dropped.
// SendCommand/StartSession/GetCommandInvocation act on EC2 instances (or mi- managed nodes).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
func (c *collector) ssm(rp *fastjson.Value, eventName []byte) {
	param := func(n string) string {
		n, _, _ = strings.Cut(n, ":")
		n = strings.TrimPrefix(n, "/")
		if n == "" {
			return ""
		}
		return c.regional("ssm", "parameter/"+n)
	}
	// "name" is a document name in CreateDocument, SendCommand and others.
	if bytes.Contains(eventName, []byte("Parameter")) {
		if n := str(rp, "name"); n != "" {
			c.namedValue(stripSSMSelector(n), "requestParameters.name", param)
		}
		for _, n := range stringsAt(rp, "names") {
			c.namedValue(stripSSMSelector(n), "requestParameters.names", param)
		}
	}
	for _, id := range stringsAt(rp, "instanceIds") {
		c.ssmTarget(id, "requestParameters.instanceIds")
	}
	c.ssmTarget(str(rp, "instanceId"), "requestParameters.instanceId")
	c.ssmTarget(str(rp, "target"), "requestParameters.target")
}

// stripSSMSelector drops a ":version"/":label" selector from a parameter ARN; names are
// handled by the builder.
func stripSSMSelector(n string) string {
	p := splitARN(n)
	if !p.ok {
		return n
	}
	if i := strings.IndexByte(p.resource, ':'); i >= 0 {
		return n[:len(n)-len(p.resource)+i]
	}
	return n
}

func (c *collector) ssmTarget(id, from string) {
	switch {
	case strings.HasPrefix(id, "i-"):
		c.ec2Instance(id, from)
	case strings.HasPrefix(id, "mi-"):
		c.addARN(c.regional("ssm", "managed-instance/"+id), from, "ssm:managed-instance")
	}
}

// EC2: arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}, volume/${VolumeId},
// security-group/${SecurityGroupId}; snapshots and images have no account:
// arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}, …::image/${ImageId}.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
// Request shapes (instancesSet.items[].instanceId) as in the EC2 CloudTrail examples:
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-with-cloudtrail.html
func (c *collector) ec2(rp *fastjson.Value) {
	for _, it := range items(rp, "instancesSet", "items") {
		c.ec2Instance(str(it, "instanceId"), "requestParameters.instancesSet.items[].instanceId")
	}
	c.ec2Instance(str(rp, "instanceId"), "requestParameters.instanceId")
	vol := func(id string) string { return c.regional("ec2", "volume/"+id) }
	for _, it := range items(rp, "volumeSet", "items") {
		c.namedValue(str(it, "volumeId"), "requestParameters.volumeSet.items[].volumeId", vol)
	}
	c.named(rp, "volumeId", vol)
	c.named(rp, "groupId", func(id string) string { return c.regional("ec2", "security-group/"+id) })
	c.named(rp, "snapshotId", func(id string) string { return c.noAccount("ec2", "snapshot/"+id) })
	c.named(rp, "imageId", func(id string) string { return c.noAccount("ec2", "image/"+id) })
}

// noAccount builds a regional ARN whose account field is empty by design (EBS snapshots, AMIs).
func (c *collector) noAccount(service, resource string) string {
	if c.reg() == "" {
		return ""
	}
	return "arn:" + c.part() + ":" + service + ":" + c.reg() + "::" + resource
}

func (c *collector) ec2Instance(id, from string) {
	c.namedValue(id, from, func(id string) string { return c.regional("ec2", "instance/"+id) })
}

// RDS: arn:${Partition}:rds:${Region}:${Account}:db:${DbInstanceName}, cluster:…, snapshot:…,
// cluster-snapshot:…. Identifiers are stored lower-case, so names are lower-cased; ARNs (used
// for shared snapshots) are kept.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (DBInstanceIdentifier)
func (c *collector) rds(rp *fastjson.Value) {
	for _, f := range [...]struct{ field, kind string }{
		{"dBInstanceIdentifier", "db:"},
		{"dBClusterIdentifier", "cluster:"},
		{"dBSnapshotIdentifier", "snapshot:"},
		{"sourceDBSnapshotIdentifier", "snapshot:"},
		{"targetDBSnapshotIdentifier", "snapshot:"},
		{"dBClusterSnapshotIdentifier", "cluster-snapshot:"},
		{"sourceDBClusterSnapshotIdentifier", "cluster-snapshot:"},
		{"targetDBClusterSnapshotIdentifier", "cluster-snapshot:"},
	} {
		c.named(rp, f.field, func(id string) string { return c.regional("rds", f.kind+strings.ToLower(id)) })
	}
}

// ECR: arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}; registryId,
// when given, is the account that owns the repository.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
func (c *collector) ecr(rp *fastjson.Value) {
	account := c.acct()
	if r := str(rp, "registryId"); isAccountID(r) {
		account = r
	}
	c.named(rp, "repositoryName", func(n string) string { return c.build("ecr", c.reg(), account, "repository/"+n) })
}

// CloudWatch Logs: arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName};
// logGroupIdentifier (newer APIs) is a name or an ARN, sometimes ending in ":*".
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html
func (c *collector) logs(rp *fastjson.Value) {
	group := func(n string) string { return c.regional("logs", "log-group:"+n) }
	c.named(rp, "logGroupName", group)
	if id := str(rp, "logGroupIdentifier"); id != "" {
		c.namedValue(strings.TrimSuffix(id, ":*"), "requestParameters.logGroupIdentifier", group)
	}
}

// CloudTrail: arn:${Partition}:cloudtrail:${Region}:${Account}:trail/${TrailName}; "name"
// (DeleteTrail, StopLogging, …) or "trailName" (PutEventSelectors), a name or an ARN.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html
func (c *collector) cloudtrail(rp *fastjson.Value, eventName []byte) {
	trail := func(n string) string { return c.regional("cloudtrail", "trail/"+n) }
	if bytes.HasSuffix(eventName, []byte("Trail")) || bytes.HasSuffix(eventName, []byte("Logging")) || string(eventName) == "GetTrailStatus" {
		c.named(rp, "name", trail)
	}
	c.named(rp, "trailName", trail)
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
