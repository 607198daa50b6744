package filterpattern

import (
	"encoding/json"
	"strings"
	"testing"
)

// roleEvent is a realistic CloudTrail record (about 1.5 KB, compact, as
// CloudWatch Logs stores it): an assumed role changing an inline policy, from
// seed 001 with placeholder IDs.
const roleEvent = `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAXXXXXXXXXXXXXXXXX:cm-account-manager","arn":"arn:aws:sts::111122223333:assumed-role/cm-policymaintainer/cm-account-manager","accountId":"111122223333","accessKeyId":"ASIAXXXXXXXXXXXXXXXX","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAXXXXXXXXXXXXXXXXX","arn":"arn:aws:iam::111122223333:role/cm-policymaintainer","accountId":"111122223333","userName":"cm-policymaintainer"},"webIdFederationData":{},"attributes":{"creationDate":"2022-05-13T17:24:45Z","mfaAuthenticated":"false"}}},"eventTime":"2022-05-13T17:24:49Z","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"Boto3/1.20.52 Python/3.9.11 Linux/4.14.255-273-220.498.amzn2.aarch64 exec-env/AWS_Lambda_python3.9 Botocore/1.23.52","requestParameters":{"roleName":"cm-policymaintainer","policyName":"CMMaintenancePolicy","policyDocument":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]\n}"},"responseElements":null,"requestID":"0ebfbdbf-1234-4a5b-9c8d-c374fe528477","eventID":"1812dde7-1234-4a5b-9c8d-2f7853657bee","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`

// iamUserIdentity is the userIdentity of an IAM user: no sessionContext.
var iamUserIdentity = map[string]any{
	"type": "IAMUser", "principalId": "AIDAXXXXXXXXXXXXXXXXX", "arn": "arn:aws:iam::111122223333:user/chiba-sample",
	"accountId": "111122223333", "accessKeyId": "AKIAXXXXXXXXXXXXXXXX", "userName": "chiba-sample",
}

// rootIdentity is the userIdentity of the root user.
var rootIdentity = map[string]any{
	"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333",
}

// del marks a key to delete in ev.
type delKey struct{}

var del = delKey{}

// ev returns roleEvent with edits applied: pairs of a dotted path and a value
// (del deletes the key). Keys come out sorted; JSON patterns do not care.
func ev(tb testing.TB, edits ...any) string {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(roleEvent), &m); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(edits); i += 2 {
		path := strings.Split(edits[i].(string), ".")
		cur := m
		for _, k := range path[:len(path)-1] {
			next, ok := cur[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[k] = next
			}
			cur = next
		}
		last := path[len(path)-1]
		if edits[i+1] == del {
			delete(cur, last)
		} else {
			cur[last] = edits[i+1]
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func mustParse(tb testing.TB, pattern string) *Pattern {
	tb.Helper()
	p, err := Parse(pattern)
	if err != nil {
		tb.Fatalf("Parse(%q): %v", pattern, err)
	}
	return p
}

// matchCase is one event a pattern must or must not match.
type matchCase struct {
	name  string
	event string
	want  bool
}

func checkMatches(t *testing.T, pattern string, cases []matchCase) {
	t.Helper()
	p := mustParse(t, pattern)
	for _, c := range cases {
		if got := p.MatchString(c.event); got != c.want {
			t.Errorf("%s: pattern %s\nevent %s\nmatch = %v, want %v", c.name, pattern, c.event, got, c.want)
		}
	}
}
