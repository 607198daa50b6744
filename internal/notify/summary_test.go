package notify

import "testing"

func TestEventSummary(t *testing.T) {
	for _, c := range []struct{ name, event, who, want string }{
		{"role session with resolved actor",
			`{"eventTime":"2024-07-30T21:31:16Z","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"roleName":"X","policyName":"p"},"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com"}}`,
			"alice@example.com via AWSReservedSSO_Admin_abc",
			"alice@example.com via AWSReservedSSO_Admin_abc called iam:PutRolePolicy on role X in 111122223333/us-east-1 at 2024-07-30T21:31:16Z"},
		{"no actor: userIdentity.arn; failed call",
			`{"eventTime":"2024-07-30T21:31:16Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","recipientAccountId":"1","errorCode":"AccessDenied","requestParameters":{"bucketName":"b"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob"}}`,
			"", "arn:aws:iam::1:user/bob called s3:PutBucketPolicy on bucket b in 1/eu-west-1 at 2024-07-30T21:31:16Z (failed: AccessDenied)"},
		{"console sign-in: no request parameters, root",
			`{"eventTime":"2024-07-30T21:31:16Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","recipientAccountId":"1","requestParameters":null,"userIdentity":{"type":"Root"}}`,
			"", "Root called signin:ConsoleLogin in 1/us-east-1 at 2024-07-30T21:31:16Z"},
		{"target from resources",
			`{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","resources":[{"ARN":"arn:aws:kms:us-east-1:1:key/k"}]}`,
			"x", "x called kms:ScheduleKeyDeletion on arn:aws:kms:us-east-1:1:key/k"},
		{"not JSON", "  plain log line  ", "", "plain log line"},
		{"empty object", `{}`, "", "someone called :"},
	} {
		if got := EventSummary([]byte(c.event), c.who); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	if got := AlarmSummary(`ALARM: "A" in US East (N. Virginia)`, "Threshold Crossed: …", []string{"alice", "bob"}); got != `ALARM: "A" in US East (N. Virginia) — Threshold Crossed: … (caused by alice; bob)` {
		t.Errorf("AlarmSummary = %q", got)
	}
}
