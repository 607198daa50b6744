package resource

import (
	"testing"

	"github.com/valyala/fastjson"
)

// seeds are records covering every reader; the fuzzer mutates them.
var seeds = []string{
	rec("s3.amazonaws.com", "DeleteObjects", `{"bucketName":"b1","key":"k","delete":{"Object":[{"Key":"k1"}]},"x-amz-copy-source":"s/k"}`),
	rec("s3.amazonaws.com", "GetObject", `{"bucketName":"arn:aws:s3:us-east-2:111122223333:accesspoint/ap1","key":"k"}`),
	rec("iam.amazonaws.com", "CreatePolicy", `{"userName":"u","roleName":"r","groupName":"g","policyName":"p","path":"/a/","policyArn":"arn:aws:iam::aws:policy/P"}`),
	rec("sts.amazonaws.com", "AssumeRole", `{"roleArn":"arn:aws:iam::111122223333:role/R"}`),
	rec("dynamodb.amazonaws.com", "BatchGetItem", `{"tableName":"T","requestItems":{"A":{}}}`),
	rec("lambda.amazonaws.com", "Invoke", `{"functionName":"111122223333:function:f:1"}`),
	rec("sqs.amazonaws.com", "SendMessage", `{"queueUrl":"https://sqs.us-east-2.amazonaws.com/111122223333/q","queueName":"q"}`),
	rec("sns.amazonaws.com", "CreateTopic", `{"topicArn":"arn:aws:sns:us-east-2:111122223333:t","name":"t","targetArn":"arn:aws:sns:us-east-2:111122223333:endpoint/APNS/a/b"}`),
	rec("kms.amazonaws.com", "CreateAlias", `{"keyId":"k","targetKeyId":"arn:aws:kms:us-east-2:111122223333:key/k","aliasName":"alias/a"}`),
	rec("secretsmanager.amazonaws.com", "CreateSecret", `{"secretId":"s","secretIdList":["a"],"name":"n"}`),
	rec("ssm.amazonaws.com", "GetParameters", `{"name":"/p:1","names":["a","arn:aws:ssm:us-east-2:111122223333:parameter/b:2"],"instanceIds":["i-1","mi-1"],"target":"i-2"}`),
	rec("ec2.amazonaws.com", "AttachVolume", `{"instancesSet":{"items":[{"instanceId":"i-1"}]},"volumeSet":{"items":[{"volumeId":"v"}]},"volumeId":"v2","groupId":"sg","snapshotId":"s","imageId":"a"}`),
	rec("ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", `{"instanceId":"i-1"}`),
	rec("rds.amazonaws.com", "CopyDBSnapshot", `{"dBInstanceIdentifier":"D","sourceDBSnapshotIdentifier":"arn:aws:rds:us-east-1:111122223333:snapshot:s","dBClusterSnapshotIdentifier":"c"}`),
	rec("ecr.amazonaws.com", "BatchGetImage", `{"repositoryName":"r","registryId":"444455556666"}`),
	rec("logs.amazonaws.com", "FilterLogEvents", `{"logGroupName":"g","logGroupIdentifier":"arn:aws:logs:us-east-2:111122223333:log-group:h:*"}`),
	rec("cloudtrail.amazonaws.com", "DeleteTrail", `{"name":"t","trailName":"arn:aws:cloudtrail:us-east-2:111122223333:trail/t2","resourceArn":"arn:aws:cloudtrail:us-east-2:111122223333:trail/t3"}`),
	`{"awsRegion":"cn-north-1","resources":[{"ARN":"arn:aws-cn:s3:::b/k","type":"AWS::S3::Object"},{"ARNPrefix":"arn:aws-cn:s3:::b/p"},{"ARN":"arn:aws-cn:sns:cn-north-1:1:t:sub"}]}`,
	`{"resources":[{"ARN":"arn:aws:s3:::"},{"ARN":"arn:a:b:c:d:"},{"ARN":"arn:::::x"}],"requestParameters":{"bucketName":""}}`,
	`[]`, `null`, `"x"`, `{}`,
}

func FuzzTouched(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := fastjson.Parse(s)
		if err != nil {
			return
		}
		checkInvariants(t, Touched(v))
	})
}

func BenchmarkTouched(b *testing.B) {
	for _, tc := range []struct{ name, ev string }{
		{"s3-object", `{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-2","recipientAccountId":"111122223333",
			"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/R/s","accountId":"111122223333"},
			"requestParameters":{"bucketName":"b1","key":"dir/k.txt","Host":"b1.s3.us-east-2.amazonaws.com"},
			"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b1/dir/k.txt"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b1"}]}`},
		{"iam", rec("iam.amazonaws.com", "AttachUserPolicy", `{"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","userName":"bob"}`)},
		{"list", rec("s3.amazonaws.com", "ListBuckets", `{"Host":"s3.amazonaws.com"}`)},
	} {
		v, err := fastjson.Parse(tc.ev)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Touched(v)
			}
		})
	}
}
