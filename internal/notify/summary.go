package notify

import (
	"strings"

	"github.com/valyala/fastjson"
)

// summaryTargets are the request parameters that name what a call acted
// on, most telling first; the first one present is the summary's target.
var summaryTargets = []struct{ key, kind string }{
	{"roleName", "role"},
	{"userName", "user"},
	{"groupName", "group"},
	{"policyArn", "policy"},
	{"policyName", "policy"},
	{"bucketName", "bucket"},
	{"functionName", "function"},
	{"trailName", "trail"},
	{"name", ""},
	{"keyId", "key"},
	{"secretId", "secret"},
	{"tableName", "table"},
	{"topicArn", "topic"},
	{"queueUrl", "queue"},
	{"instanceId", "instance"},
	{"groupId", "security group"},
	{"logGroupName", "log group"},
	{"dBInstanceIdentifier", "DB instance"},
	{"repositoryName", "repository"},
}

// EventSummary is the line a person reads first about a CloudTrail event:
//
//	alice via AWSReservedSSO_Admin_abc called iam:PutRolePolicy on role X in 111122223333/us-east-1 at 2024-07-30T21:31:16Z
//
// who is the resolved actor ("" falls back to userIdentity.arn, then its
// type); the action is the service (eventSource without
// ".amazonaws.com") and eventName; the target is the first request
// parameter of summaryTargets present, else the first resource ARN; a
// failed call ends in "(failed: errorCode)". A message that is not a
// JSON object is summarised as its first 120 characters.
func EventSummary(event []byte, who string) string {
	var p fastjson.Parser
	v, err := p.ParseBytes(event)
	if err != nil || v.Type() != fastjson.TypeObject {
		s := strings.TrimSpace(string(event))
		if r := []rune(s); len(r) > 120 {
			s = string(r[:119]) + "…"
		}
		return s
	}
	str := func(keys ...string) string { return string(v.GetStringBytes(keys...)) }
	if who == "" {
		who = str("userIdentity", "arn")
	}
	if who == "" {
		who = str("userIdentity", "type")
	}
	if who == "" {
		who = "someone"
	}
	var b strings.Builder
	b.WriteString(who)
	b.WriteString(" called ")
	b.WriteString(strings.TrimSuffix(str("eventSource"), ".amazonaws.com"))
	b.WriteByte(':')
	b.WriteString(str("eventName"))
	target := ""
	if rp := v.Get("requestParameters"); rp != nil && rp.Type() == fastjson.TypeObject {
		for _, t := range summaryTargets {
			if s := string(rp.GetStringBytes(t.key)); s != "" {
				target = strings.TrimSpace(t.kind + " " + s)
				break
			}
		}
	}
	if target == "" {
		if rs := v.GetArray("resources"); len(rs) > 0 {
			target = string(rs[0].GetStringBytes("ARN"))
		}
	}
	if target != "" {
		b.WriteString(" on ")
		b.WriteString(target)
	}
	account, region := str("recipientAccountId"), str("awsRegion")
	if account != "" || region != "" {
		b.WriteString(" in ")
		b.WriteString(strings.Trim(account+"/"+region, "/"))
	}
	if t := str("eventTime"); t != "" {
		b.WriteString(" at ")
		b.WriteString(t)
	}
	if e := str("errorCode"); e != "" {
		b.WriteString(" (failed: ")
		b.WriteString(e)
		b.WriteByte(')')
	}
	return b.String()
}

// AlarmSummary is the first line of an alarm notification:
// `ALARM: "name" in US East (N. Virginia) — reason (caused by a; b)`.
func AlarmSummary(subject, reason string, actors []string) string {
	s := subject
	if reason != "" {
		s += " — " + reason
	}
	if len(actors) > 0 {
		s += " (caused by " + strings.Join(actors, "; ") + ")"
	}
	return s
}
