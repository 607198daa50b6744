package resource

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// rec builds a record in account 111122223333, us-east-2, partition aws.
func rec(source, name, params string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","awsRegion":"us-east-2","recipientAccountId":"111122223333",
"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Alice","accountId":"111122223333","userName":"Alice"},
"eventSource":%q,"eventName":%q,"requestParameters":%s}`, source, name, params)
}

func parse(t testing.TB, s string) *fastjson.Value {
	t.Helper()
	v, err := fastjson.Parse(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return v
}

func TestTouched(t *testing.T) {
	rp := "requestParameters."
	for _, tc := range []struct {
		name string
		ev   string
		want []Ref
	}{
		// resources[]
		{"resources s3 object and bucket", `{"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-2","recipientAccountId":"111122223333",
			"requestParameters":{"bucketName":"b1","key":"dir/k.txt","Host":"b1.s3.us-east-2.amazonaws.com"},
			"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b1/dir/k.txt"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b1"}]}`,
			[]Ref{
				{"arn:aws:s3:::b1/dir/k.txt", "s3:object", "arn:aws:s3:::b1", "resources"},
				{"arn:aws:s3:::b1", "s3:bucket", "", "resources"},
			}},
		{"resources ARNPrefix names the bucket", `{"eventSource":"s3.amazonaws.com","eventName":"DeleteObjects","requestParameters":{"bucketName":"b1","delete":""},
			"resources":[{"type":"AWS::S3::Object","ARNPrefix":"arn:aws:s3:::b1/"},{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b1"}]}`,
			[]Ref{{"arn:aws:s3:::b1", "s3:bucket", "", "resources"}}},
		{"resources kms without type, alias typed as key", `{"eventSource":"kms.amazonaws.com","eventName":"CreateAlias","awsRegion":"us-west-2","recipientAccountId":"111122223333",
			"requestParameters":{"aliasName":"alias/ExampleAlias","targetKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"},
			"resources":[{"ARN":"arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","accountId":"111122223333"},
			{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias"}]}`,
			[]Ref{
				{"arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "kms:key", "", "resources"},
				{"arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias", "kms:alias", "", "resources"},
			}},
		{"resources unknown service keeps ARN", `{"resources":[{"ARN":"arn:aws:bedrock:us-east-1::foundation-model/x","type":"AWS::Bedrock::Model"}]}`,
			[]Ref{{"arn:aws:bedrock:us-east-1::foundation-model/x", "bedrock:foundation-model", "", "resources"}}},
		{"resources junk skipped", `{"resources":[{"ARN":"not-an-arn"},{"ARN":42},{"ARN":"arn:aws"},null,"x",{"ARN":"arn::s3:::b"},{"type":"AWS::S3::Bucket"}]}`, nil},
		{"resources not an array", `{"resources":{"ARN":"arn:aws:s3:::b"}}`, nil},

		// S3
		{"s3 bucket", rec("s3.amazonaws.com", "GetBucketAcl", `{"bucketName":"b1","acl":""}`),
			[]Ref{{"arn:aws:s3:::b1", "s3:bucket", "", rp + "bucketName"}}},
		{"s3 object", rec("s3.amazonaws.com", "PutObject", `{"bucketName":"b1","key":"a/b c.txt"}`),
			[]Ref{
				{"arn:aws:s3:::b1", "s3:bucket", "", rp + "bucketName"},
				{"arn:aws:s3:::b1/a/b c.txt", "s3:object", "arn:aws:s3:::b1", rp + "key"},
			}},
		{"s3 delete objects array", rec("s3.amazonaws.com", "DeleteObjects", `{"bucketName":"b1","delete":{"Object":[{"Key":"k1"},{"Key":"k2"},{"Key":7}]}}`),
			[]Ref{
				{"arn:aws:s3:::b1", "s3:bucket", "", rp + "bucketName"},
				{"arn:aws:s3:::b1/k1", "s3:object", "arn:aws:s3:::b1", rp + "delete.Object[].Key"},
				{"arn:aws:s3:::b1/k2", "s3:object", "arn:aws:s3:::b1", rp + "delete.Object[].Key"},
			}},
		{"s3 delete objects single", rec("s3.amazonaws.com", "DeleteObjects", `{"bucketName":"b1","delete":{"Object":{"Key":"k1"}}}`),
			[]Ref{
				{"arn:aws:s3:::b1", "s3:bucket", "", rp + "bucketName"},
				{"arn:aws:s3:::b1/k1", "s3:object", "arn:aws:s3:::b1", rp + "delete.Object[].Key"},
			}},
		{"s3 copy source", rec("s3.amazonaws.com", "CopyObject", `{"bucketName":"dst","key":"k","x-amz-copy-source":"src/p/q?versionId=3"}`),
			[]Ref{
				{"arn:aws:s3:::dst", "s3:bucket", "", rp + "bucketName"},
				{"arn:aws:s3:::dst/k", "s3:object", "arn:aws:s3:::dst", rp + "key"},
				{"arn:aws:s3:::src/p/q", "s3:object", "arn:aws:s3:::src", rp + "x-amz-copy-source"},
			}},
		{"s3 access point ARN as bucket", rec("s3.amazonaws.com", "GetObject", `{"bucketName":"arn:aws:s3:us-east-2:111122223333:accesspoint/ap1","key":"k"}`),
			[]Ref{
				{"arn:aws:s3:us-east-2:111122223333:accesspoint/ap1", "s3:accesspoint", "", rp + "bucketName"},
				{"arn:aws:s3:us-east-2:111122223333:accesspoint/ap1/object/k", "s3:object", "arn:aws:s3:us-east-2:111122223333:accesspoint/ap1", rp + "key"},
			}},
		{"s3 list buckets touches nothing", rec("s3.amazonaws.com", "ListBuckets", `{"Host":"s3.amazonaws.com"}`), nil},
		{"s3 key without bucket", rec("s3.amazonaws.com", "GetObject", `{"key":"k"}`), nil},
		{"s3 bucket wrong type", rec("s3.amazonaws.com", "GetObject", `{"bucketName":["b"],"key":{"a":1}}`), nil},
		{"s3 china partition from identity", `{"eventSource":"s3.amazonaws.com","awsRegion":"cn-north-1","userIdentity":{"arn":"arn:aws-cn:iam::111122223333:user/A"},"requestParameters":{"bucketName":"b"}}`,
			[]Ref{{"arn:aws-cn:s3:::b", "s3:bucket", "", rp + "bucketName"}}},
		{"s3 gov partition from region", `{"eventSource":"s3.amazonaws.com","awsRegion":"us-gov-west-1","requestParameters":{"bucketName":"b"}}`,
			[]Ref{{"arn:aws-us-gov:s3:::b", "s3:bucket", "", rp + "bucketName"}}},

		// IAM
		{"iam attach user policy", rec("iam.amazonaws.com", "AttachUserPolicy", `{"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","userName":"bob"}`),
			[]Ref{
				{"arn:aws:iam::111122223333:user/bob", "iam:user", "", rp + "userName"},
				{"arn:aws:iam::aws:policy/AdministratorAccess", "iam:policy", "", rp + "policyArn"},
			}},
		{"iam role with path", rec("iam.amazonaws.com", "CreateRole", `{"roleName":"r","path":"/svc/","assumeRolePolicyDocument":"{}"}`),
			[]Ref{{"arn:aws:iam::111122223333:role/svc/r", "iam:role", "", rp + "roleName"}}},
		{"iam role ARN where name expected", rec("iam.amazonaws.com", "GetRole", `{"roleName":"arn:aws:iam::111122223333:role/x"}`),
			[]Ref{{"arn:aws:iam::111122223333:role/x", "iam:role", "", rp + "roleName"}}},
		{"iam create policy", rec("iam.amazonaws.com", "CreatePolicy", `{"policyName":"p","policyDocument":"{}"}`),
			[]Ref{{"arn:aws:iam::111122223333:policy/p", "iam:policy", "", rp + "policyName"}}},
		{"iam inline policy name is no ARN", rec("iam.amazonaws.com", "PutRolePolicy", `{"policyName":"p","roleName":"r"}`),
			[]Ref{{"arn:aws:iam::111122223333:role/r", "iam:role", "", rp + "roleName"}}},
		{"iam self (no userName) touches nothing", rec("iam.amazonaws.com", "CreateAccessKey", `{}`), nil},
		{"iam without account", `{"eventSource":"iam.amazonaws.com","requestParameters":{"userName":"bob"}}`, nil},
		{"iam account from userIdentity", `{"eventSource":"iam.amazonaws.com","userIdentity":{"accountId":"444455556666"},"requestParameters":{"userName":"bob"}}`,
			[]Ref{{"arn:aws:iam::444455556666:user/bob", "iam:user", "", rp + "userName"}}},
		{"sts assume role", rec("sts.amazonaws.com", "AssumeRole", `{"roleArn":"arn:aws:iam::999988887777:role/X","roleSessionName":"s"}`),
			[]Ref{{"arn:aws:iam::999988887777:role/X", "iam:role", "", rp + "roleArn"}}},

		// DynamoDB
		{"dynamodb table name", rec("dynamodb.amazonaws.com", "GetItem", `{"tableName":"T"}`),
			[]Ref{{"arn:aws:dynamodb:us-east-2:111122223333:table/T", "dynamodb:table", "", rp + "tableName"}}},
		{"dynamodb table ARN", rec("dynamodb.amazonaws.com", "GetItem", `{"tableName":"arn:aws:dynamodb:eu-west-1:444455556666:table/T"}`),
			[]Ref{{"arn:aws:dynamodb:eu-west-1:444455556666:table/T", "dynamodb:table", "", rp + "tableName"}}},
		{"dynamodb batch", rec("dynamodb.amazonaws.com", "BatchGetItem", `{"requestItems":{"A":{"keys":[]},"B":{}}}`),
			[]Ref{
				{"arn:aws:dynamodb:us-east-2:111122223333:table/A", "dynamodb:table", "", rp + "requestItems"},
				{"arn:aws:dynamodb:us-east-2:111122223333:table/B", "dynamodb:table", "", rp + "requestItems"},
			}},
		{"dynamodb no region", `{"eventSource":"dynamodb.amazonaws.com","recipientAccountId":"111122223333","requestParameters":{"tableName":"T"}}`, nil},

		// Lambda
		{"lambda name", rec("lambda.amazonaws.com", "AddPermission20150331v2", `{"functionName":"f"}`),
			[]Ref{{"arn:aws:lambda:us-east-2:111122223333:function:f", "lambda:function", "", rp + "functionName"}}},
		{"lambda name with qualifier", rec("lambda.amazonaws.com", "Invoke", `{"functionName":"f:prod"}`),
			[]Ref{{"arn:aws:lambda:us-east-2:111122223333:function:f", "lambda:function", "", rp + "functionName"}}},
		{"lambda partial ARN", rec("lambda.amazonaws.com", "GetFunction", `{"functionName":"444455556666:function:f"}`),
			[]Ref{{"arn:aws:lambda:us-east-2:444455556666:function:f", "lambda:function", "", rp + "functionName"}}},
		{"lambda qualified ARN", rec("lambda.amazonaws.com", "GetFunction", `{"functionName":"arn:aws:lambda:eu-west-1:444455556666:function:f:$LATEST"}`),
			[]Ref{{"arn:aws:lambda:eu-west-1:444455556666:function:f", "lambda:function", "", rp + "functionName"}}},
		{"lambda list touches nothing", rec("lambda.amazonaws.com", "ListFunctions20150331", `{}`), nil},

		// SQS
		{"sqs queue url", rec("sqs.amazonaws.com", "SendMessage", `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/444455556666/q1"}`),
			[]Ref{{"arn:aws:sqs:eu-west-1:444455556666:q1", "sqs:queue", "", rp + "queueUrl"}}},
		{"sqs legacy url", rec("sqs.amazonaws.com", "SendMessage", `{"queueUrl":"https://queue.amazonaws.com/444455556666/q1"}`),
			[]Ref{{"arn:aws:sqs:us-east-1:444455556666:q1", "sqs:queue", "", rp + "queueUrl"}}},
		{"sqs regional legacy url", rec("sqs.amazonaws.com", "SendMessage", `{"queueUrl":"https://ap-south-1.queue.amazonaws.com/444455556666/q1.fifo"}`),
			[]Ref{{"arn:aws:sqs:ap-south-1:444455556666:q1.fifo", "sqs:queue", "", rp + "queueUrl"}}},
		{"sqs vpce url uses event region", rec("sqs.amazonaws.com", "SendMessage", `{"queueUrl":"https://vpce-1.sqs.us-east-2.vpce.amazonaws.com/444455556666/q1"}`),
			[]Ref{{"arn:aws:sqs:us-east-2:444455556666:q1", "sqs:queue", "", rp + "queueUrl"}}},
		{"sqs queue name", rec("sqs.amazonaws.com", "CreateQueue", `{"queueName":"q2"}`),
			[]Ref{{"arn:aws:sqs:us-east-2:111122223333:q2", "sqs:queue", "", rp + "queueName"}}},
		{"sqs bad url", rec("sqs.amazonaws.com", "SendMessage", `{"queueUrl":"https://sqs.us-east-1.amazonaws.com/"}`), nil},

		// SNS
		{"sns topic", rec("sns.amazonaws.com", "Publish", `{"topicArn":"arn:aws:sns:us-east-2:111122223333:t"}`),
			[]Ref{{"arn:aws:sns:us-east-2:111122223333:t", "sns:topic", "", rp + "topicArn"}}},
		{"sns create topic", rec("sns.amazonaws.com", "CreateTopic", `{"name":"t2"}`),
			[]Ref{{"arn:aws:sns:us-east-2:111122223333:t2", "sns:topic", "", rp + "name"}}},
		{"sns topic not ARN", rec("sns.amazonaws.com", "Publish", `{"topicArn":"t"}`), nil},

		// KMS
		{"kms key id", rec("kms.amazonaws.com", "Decrypt", `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`),
			[]Ref{{"arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "kms:key", "", rp + "keyId"}}},
		{"kms alias name", rec("kms.amazonaws.com", "Encrypt", `{"keyId":"alias/app"}`),
			[]Ref{{"arn:aws:kms:us-east-2:111122223333:alias/app", "kms:alias", "", rp + "keyId"}}},
		{"kms alias ARN", rec("kms.amazonaws.com", "Encrypt", `{"keyId":"arn:aws:kms:us-east-2:444455556666:alias/app"}`),
			[]Ref{{"arn:aws:kms:us-east-2:444455556666:alias/app", "kms:alias", "", rp + "keyId"}}},
		{"kms key ARN", rec("kms.amazonaws.com", "Encrypt", `{"keyId":"arn:aws:kms:us-east-2:444455556666:key/k1"}`),
			[]Ref{{"arn:aws:kms:us-east-2:444455556666:key/k1", "kms:key", "", rp + "keyId"}}},
		{"kms list touches nothing", rec("kms.amazonaws.com", "ListKeys", `null`), nil},

		// Secrets Manager
		{"secret by ARN", rec("secretsmanager.amazonaws.com", "GetSecretValue", `{"secretId":"arn:aws:secretsmanager:us-east-2:111122223333:secret:db-AbCdEf"}`),
			[]Ref{{"arn:aws:secretsmanager:us-east-2:111122223333:secret:db-AbCdEf", "secretsmanager:secret", "", rp + "secretId"}}},
		{"secret by name is partial", rec("secretsmanager.amazonaws.com", "GetSecretValue", `{"secretId":"prod/db"}`),
			[]Ref{{"arn:aws:secretsmanager:us-east-2:111122223333:secret:prod/db", "secretsmanager:secret", "", rp + "secretId"}}},
		{"secret batch list", rec("secretsmanager.amazonaws.com", "BatchGetSecretValue", `{"secretIdList":["a",3,"arn:aws:secretsmanager:us-east-2:111122223333:secret:b-123456"]}`),
			[]Ref{
				{"arn:aws:secretsmanager:us-east-2:111122223333:secret:a", "secretsmanager:secret", "", rp + "secretIdList"},
				{"arn:aws:secretsmanager:us-east-2:111122223333:secret:b-123456", "secretsmanager:secret", "", rp + "secretIdList"},
			}},
		{"secret batch by filter touches nothing", rec("secretsmanager.amazonaws.com", "BatchGetSecretValue", `{"filters":[{"key":"tag-key","values":["x"]}]}`), nil},

		// SSM
		{"ssm parameter leading slash", rec("ssm.amazonaws.com", "GetParameter", `{"name":"/app/db","withDecryption":true}`),
			[]Ref{{"arn:aws:ssm:us-east-2:111122223333:parameter/app/db", "ssm:parameter", "", rp + "name"}}},
		{"ssm parameter no slash, selector", rec("ssm.amazonaws.com", "GetParameter", `{"name":"db:3"}`),
			[]Ref{{"arn:aws:ssm:us-east-2:111122223333:parameter/db", "ssm:parameter", "", rp + "name"}}},
		{"ssm parameters", rec("ssm.amazonaws.com", "GetParameters", `{"names":["/a","b","/a:prod","arn:aws:ssm:us-east-2:444455556666:parameter/c:2"]}`),
			[]Ref{
				{"arn:aws:ssm:us-east-2:111122223333:parameter/a", "ssm:parameter", "", rp + "names"},
				{"arn:aws:ssm:us-east-2:111122223333:parameter/b", "ssm:parameter", "", rp + "names"},
				{"arn:aws:ssm:us-east-2:444455556666:parameter/c", "ssm:parameter", "", rp + "names"},
			}},
		{"ssm document name is not a parameter", rec("ssm.amazonaws.com", "CreateDocument", `{"name":"doc"}`), nil},
		{"ssm send command", rec("ssm.amazonaws.com", "SendCommand", `{"documentName":"AWS-RunShellScript","instanceIds":["i-1","mi-2"]}`),
			[]Ref{
				{"arn:aws:ec2:us-east-2:111122223333:instance/i-1", "ec2:instance", "", rp + "instanceIds"},
				{"arn:aws:ssm:us-east-2:111122223333:managed-instance/mi-2", "ssm:managed-instance", "", rp + "instanceIds"},
			}},
		{"ssm start session", rec("ssm.amazonaws.com", "StartSession", `{"target":"i-9"}`),
			[]Ref{{"arn:aws:ec2:us-east-2:111122223333:instance/i-9", "ec2:instance", "", rp + "target"}}},

		// EC2
		{"ec2 instances set", rec("ec2.amazonaws.com", "StopInstances", `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"},{}]},"force":true}`),
			[]Ref{
				{"arn:aws:ec2:us-east-2:111122223333:instance/i-1", "ec2:instance", "", rp + "instancesSet.items[].instanceId"},
				{"arn:aws:ec2:us-east-2:111122223333:instance/i-2", "ec2:instance", "", rp + "instancesSet.items[].instanceId"},
			}},
		{"ec2 run instances names no instance", rec("ec2.amazonaws.com", "RunInstances", `{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1}]}}`), nil},
		{"ec2 password data", rec("ec2.amazonaws.com", "GetPasswordData", `{"instanceId":"i-3"}`),
			[]Ref{{"arn:aws:ec2:us-east-2:111122223333:instance/i-3", "ec2:instance", "", rp + "instanceId"}}},
		{"ec2 attach volume", rec("ec2.amazonaws.com", "AttachVolume", `{"volumeId":"vol-1","instanceId":"i-4","device":"/dev/sdf"}`),
			[]Ref{
				{"arn:aws:ec2:us-east-2:111122223333:instance/i-4", "ec2:instance", "", rp + "instanceId"},
				{"arn:aws:ec2:us-east-2:111122223333:volume/vol-1", "ec2:volume", "", rp + "volumeId"},
			}},
		{"ec2 security group", rec("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","ipPermissions":{}}`),
			[]Ref{{"arn:aws:ec2:us-east-2:111122223333:security-group/sg-1", "ec2:security-group", "", rp + "groupId"}}},
		{"ec2 snapshot and image have no account", rec("ec2.amazonaws.com", "ModifySnapshotAttribute", `{"snapshotId":"snap-1","imageId":"ami-1"}`),
			[]Ref{
				{"arn:aws:ec2:us-east-2::snapshot/snap-1", "ec2:snapshot", "", rp + "snapshotId"},
				{"arn:aws:ec2:us-east-2::image/ami-1", "ec2:image", "", rp + "imageId"},
			}},
		{"ec2 describe all touches nothing", rec("ec2.amazonaws.com", "DescribeInstances", `{"filterSet":{},"instancesSet":{}}`), nil},
		{"ec2 items wrong type", rec("ec2.amazonaws.com", "StopInstances", `{"instancesSet":{"items":"i-1"}}`), nil},
		{"ec2 instance connect", rec("ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", `{"instanceId":"i-5","instanceOSUser":"ec2-user"}`),
			[]Ref{{"arn:aws:ec2:us-east-2:111122223333:instance/i-5", "ec2:instance", "", rp + "instanceId"}}},

		// RDS
		{"rds instance", rec("rds.amazonaws.com", "DeleteDBInstance", `{"dBInstanceIdentifier":"MyDB"}`),
			[]Ref{{"arn:aws:rds:us-east-2:111122223333:db:mydb", "rds:db", "", rp + "dBInstanceIdentifier"}}},
		{"rds cluster", rec("rds.amazonaws.com", "ModifyDBCluster", `{"dBClusterIdentifier":"c1"}`),
			[]Ref{{"arn:aws:rds:us-east-2:111122223333:cluster:c1", "rds:cluster", "", rp + "dBClusterIdentifier"}}},
		{"rds snapshot", rec("rds.amazonaws.com", "CreateDBSnapshot", `{"dBSnapshotIdentifier":"s1","dBInstanceIdentifier":"d1"}`),
			[]Ref{
				{"arn:aws:rds:us-east-2:111122223333:db:d1", "rds:db", "", rp + "dBInstanceIdentifier"},
				{"arn:aws:rds:us-east-2:111122223333:snapshot:s1", "rds:snapshot", "", rp + "dBSnapshotIdentifier"},
			}},
		{"rds cluster snapshot copy from ARN", rec("rds.amazonaws.com", "CopyDBClusterSnapshot", `{"sourceDBClusterSnapshotIdentifier":"arn:aws:rds:us-east-1:444455556666:cluster-snapshot:src","targetDBClusterSnapshotIdentifier":"dst"}`),
			[]Ref{
				{"arn:aws:rds:us-east-1:444455556666:cluster-snapshot:src", "rds:cluster-snapshot", "", rp + "sourceDBClusterSnapshotIdentifier"},
				{"arn:aws:rds:us-east-2:111122223333:cluster-snapshot:dst", "rds:cluster-snapshot", "", rp + "targetDBClusterSnapshotIdentifier"},
			}},

		// ECR
		{"ecr repository", rec("ecr.amazonaws.com", "BatchGetImage", `{"repositoryName":"team/app","imageIds":[]}`),
			[]Ref{{"arn:aws:ecr:us-east-2:111122223333:repository/team/app", "ecr:repository", "", rp + "repositoryName"}}},
		{"ecr other registry", rec("ecr.amazonaws.com", "BatchGetImage", `{"repositoryName":"app","registryId":"444455556666"}`),
			[]Ref{{"arn:aws:ecr:us-east-2:444455556666:repository/app", "ecr:repository", "", rp + "repositoryName"}}},

		// CloudWatch Logs
		{"logs group", rec("logs.amazonaws.com", "DeleteLogGroup", `{"logGroupName":"/aws/lambda/f"}`),
			[]Ref{{"arn:aws:logs:us-east-2:111122223333:log-group:/aws/lambda/f", "logs:log-group", "", rp + "logGroupName"}}},
		{"logs group identifier ARN", rec("logs.amazonaws.com", "StartLiveTail", `{"logGroupIdentifier":"arn:aws:logs:us-east-2:111122223333:log-group:g:*"}`),
			[]Ref{{"arn:aws:logs:us-east-2:111122223333:log-group:g", "logs:log-group", "", rp + "logGroupIdentifier"}}},

		// CloudTrail
		{"cloudtrail stop logging", rec("cloudtrail.amazonaws.com", "StopLogging", `{"name":"t1"}`),
			[]Ref{{"arn:aws:cloudtrail:us-east-2:111122223333:trail/t1", "cloudtrail:trail", "", rp + "name"}}},

		// generic tagging
		{"tag resource by ARN", rec("secretsmanager.amazonaws.com", "TagResource", `{"resourceArn":"arn:aws:secretsmanager:us-east-2:111122223333:secret:x-abcdef"}`),
			[]Ref{{"arn:aws:secretsmanager:us-east-2:111122223333:secret:x-abcdef", "secretsmanager:secret", "", rp + "resourceArn"}}},

		// dedup: resources[] wins
		{"dedup across sources", `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-2","recipientAccountId":"111122223333",
			"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/R"},"resources":[{"ARN":"arn:aws:iam::111122223333:role/R","type":"AWS::IAM::Role"},{"ARN":"arn:aws:iam::111122223333:role/R"}]}`,
			[]Ref{{"arn:aws:iam::111122223333:role/R", "iam:role", "", "resources"}}},

		// odd shapes
		{"not an object", `[1,2]`, nil},
		{"requestParameters null", rec("s3.amazonaws.com", "ListBuckets", `null`), nil},
		{"requestParameters string", rec("s3.amazonaws.com", "GetObject", `"bucketName"`), nil},
		{"unknown service", rec("example.amazonaws.com", "Do", `{"bucketName":"b","userName":"u"}`), nil},
		{"eventSource wrong type", `{"eventSource":5,"requestParameters":{"bucketName":"b"}}`, nil},
		{"region wrong type", `{"eventSource":"dynamodb.amazonaws.com","awsRegion":1,"recipientAccountId":"111122223333","requestParameters":{"tableName":"T"}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Touched(parse(t, tc.ev))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", show(got), show(tc.want))
			}
		})
	}
}

func TestTouchedNil(t *testing.T) {
	if got := Touched(nil); got != nil {
		t.Fatalf("Touched(nil) = %v", got)
	}
}

func show(rs []Ref) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %+v\n", r)
	}
	return b.String()
}
