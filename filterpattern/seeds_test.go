package filterpattern

import "testing"

// seed001Pattern is the exclusion pattern of seed 001: IAM policy changes not
// made through the maintenance role, verbatim.
const seed001Pattern = `{($.userIdentity.sessionContext.sessionIssuer.userName!=cm-policymaintainer)&&(($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy))}`

func TestSeed001ExcludesMaintenanceRole(t *testing.T) {
	checkMatches(t, seed001Pattern, []matchCase{
		{"maintenance role changes a policy", roleEvent, false},
		{"another role changes a policy", ev(t, "userIdentity.sessionContext.sessionIssuer.userName", "cm-dummuyRole"), true},
		{"another role, not a policy change", ev(t, "userIdentity.sessionContext.sessionIssuer.userName", "cm-dummuyRole", "eventName", "dummyEvent"), false},
	})
}

// TestSeed001IAMUserEventsAreNotMatched pins the notEqualMatchesMissing
// decision: an IAM user (or root) has no sessionContext, so the != on
// sessionIssuer.userName is false and the whole pattern misses IAM-user policy
// changes, as it does in CloudWatch Logs. The NOT EXISTS form catches them.
func TestSeed001IAMUserEventsAreNotMatched(t *testing.T) {
	userEvent := ev(t, "userIdentity", iamUserIdentity, "eventName", "AttachUserPolicy")
	rootEvent := ev(t, "userIdentity", rootIdentity, "eventName", "PutUserPolicy")
	checkMatches(t, seed001Pattern, []matchCase{
		{"IAM user policy change", userEvent, false},
		{"root policy change", rootEvent, false},
	})
	fixed := `{(($.userIdentity.sessionContext.sessionIssuer.userName!=cm-policymaintainer)||($.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS))&&(($.eventName=PutRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=PutUserPolicy))}`
	checkMatches(t, fixed, []matchCase{
		{"IAM user policy change", userEvent, true},
		{"root policy change", rootEvent, true},
		{"maintenance role", roleEvent, false},
		{"another role", ev(t, "userIdentity.sessionContext.sessionIssuer.userName", "other"), true},
	})
	// The seed's article gives the IAM-user form, with a non-ASCII name.
	checkMatches(t, `{($.userIdentity.userName!=ユーザー名)&&(($.eventName=AttachUserPolicy))}`, []matchCase{
		{"other user", userEvent, true},
		{"that user", ev(t, "userIdentity", map[string]any{"type": "IAMUser", "userName": "ユーザー名"}, "eventName", "AttachUserPolicy"), false},
	})
}

// consoleSignIn is the AWS example "IAM user, successful sign-in without MFA"
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
const consoleSignIn = `{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/anaya","accountId":"111122223333","userName":"anaya"},"eventTime":"2022-11-10T16:24:34Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-2","sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:62.0) Gecko/20100101 Firefox/62.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MobileVersion":"No","LoginTo":"https://console.aws.amazon.com/sns","MFAUsed":"No"},"eventID":"3fcfb182-98f8-4744-bd45-10a395ab61cb","eventType":"AwsConsoleSignIn"}`

func TestSeed004(t *testing.T) {
	checkMatches(t, `{ $.eventType = "AwsConsoleSignIn" }`, []matchCase{
		{"console sign-in", consoleSignIn, true},
		{"API call", roleEvent, false},
	})
	iamOps := `{($.eventName=CreateAccessKey)||($.eventName=CreateUser)||($.eventName=CreateLoginProfile)||($.eventName=AddUserToGroup)||($.eventName=PutUserPolicy)||($.eventName=AttachUserPolicy)||($.eventName=AttachUserPolicy)||($.eventName=CreateAccessKey)||($.eventName=CreateRole)||($.eventName=CreatePolicyVersion)}`
	cases := []matchCase{{"PutRolePolicy is not in the list", roleEvent, false}}
	for _, name := range []string{"CreateAccessKey", "CreateUser", "CreateLoginProfile", "AddUserToGroup", "PutUserPolicy", "AttachUserPolicy", "CreateRole", "CreatePolicyVersion"} {
		cases = append(cases, matchCase{name, ev(t, "eventName", name, "userIdentity", iamUserIdentity), true})
	}
	cases = append(cases, matchCase{"prefix only", ev(t, "eventName", "CreateAccessKeyX"), false})
	checkMatches(t, iamOps, cases)
}

// TestCISCloudWatchControls runs the 14 CIS AWS Foundations Benchmark
// monitoring patterns, verbatim from the Security Hub controls CloudWatch.1 to
// CloudWatch.14 (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html;
// text from awsdocs/aws-security-hub-user-guide doc_source/cloudwatch-controls.md),
// each on a CloudTrail event it must match and one it must not.
func TestCISCloudWatchControls(t *testing.T) {
	for _, c := range []struct {
		control, pattern string
		match, noMatch   []any // edits of roleEvent
	}{
		{"CloudWatch.1 root user (CIS 1.1/3.3, 1.7/4.3)",
			`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`,
			[]any{"userIdentity", rootIdentity, "eventName", "CreateAccessKey"},
			[]any{"userIdentity", map[string]any{"type": "Root", "invokedBy": "support.amazonaws.com"}}},
		{"CloudWatch.2 unauthorized API calls (CIS 3.1)",
			`{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
			[]any{"errorCode", "AccessDenied", "errorMessage", "User is not authorized"},
			[]any{"errorCode", "ThrottlingException"}},
		{"CloudWatch.3 console sign-in without MFA (CIS 3.2)",
			`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`,
			[]any{"eventName", "ConsoleLogin", "userIdentity", iamUserIdentity, "additionalEventData.MFAUsed", "No", "responseElements", map[string]any{"ConsoleLogin": "Success"}},
			[]any{"eventName", "ConsoleLogin", "userIdentity", iamUserIdentity, "additionalEventData.MFAUsed", "Yes", "responseElements", map[string]any{"ConsoleLogin": "Success"}}},
		{"CloudWatch.4 IAM policy changes (CIS 3.4/4.4)",
			`{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`,
			[]any{"eventName", "DetachGroupPolicy"},
			[]any{"eventName", "ListRolePolicies"}},
		{"CloudWatch.5 CloudTrail configuration changes (CIS 3.5/4.5)",
			`{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`,
			[]any{"eventSource", "cloudtrail.amazonaws.com", "eventName", "StopLogging"},
			[]any{"eventSource", "cloudtrail.amazonaws.com", "eventName", "DescribeTrails"}},
		{"CloudWatch.6 console authentication failures (CIS 3.6/4.6)",
			`{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`,
			[]any{"eventName", "ConsoleLogin", "errorMessage", "Failed authentication", "responseElements", map[string]any{"ConsoleLogin": "Failure"}},
			[]any{"eventName", "ConsoleLogin", "responseElements", map[string]any{"ConsoleLogin": "Success"}}},
		{"CloudWatch.7 disabling or deleting CMKs (CIS 3.7/4.7)",
			`{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`,
			[]any{"eventSource", "kms.amazonaws.com", "eventName", "ScheduleKeyDeletion"},
			[]any{"eventSource", "kms.amazonaws.com", "eventName", "Decrypt"}},
		{"CloudWatch.8 S3 bucket policy changes (CIS 3.8/4.8)",
			`{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`,
			[]any{"eventSource", "s3.amazonaws.com", "eventName", "PutBucketPolicy"},
			[]any{"eventSource", "s3.amazonaws.com", "eventName", "GetBucketPolicy"}},
		{"CloudWatch.9 AWS Config changes (CIS 3.9/4.9)",
			`{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}`,
			[]any{"eventSource", "config.amazonaws.com", "eventName", "StopConfigurationRecorder"},
			[]any{"eventSource", "iam.amazonaws.com", "eventName", "StopConfigurationRecorder"}},
		{"CloudWatch.10 security group changes (CIS 3.10/4.10)",
			`{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}`,
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "AuthorizeSecurityGroupIngress"},
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "DescribeSecurityGroups"}},
		{"CloudWatch.11 NACL changes (CIS 3.11/4.11)",
			`{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`,
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "ReplaceNetworkAclEntry"},
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "DescribeNetworkAcls"}},
		{"CloudWatch.12 network gateway changes (CIS 3.12/4.12)",
			`{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`,
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "AttachInternetGateway"},
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "DescribeInternetGateways"}},
		{"CloudWatch.13 route table changes (CIS 3.13/4.13)",
			`{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`,
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "CreateRoute"},
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "CreateRoutes"}},
		{"CloudWatch.14 VPC changes (CIS 3.14/4.14)",
			`{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`,
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "CreateVpcPeeringConnection"},
			[]any{"eventSource", "ec2.amazonaws.com", "eventName", "DescribeVpcs"}},
	} {
		t.Run(c.control, func(t *testing.T) {
			checkMatches(t, c.pattern, []matchCase{
				{"matching event", ev(t, c.match...), true},
				{"non-matching event", ev(t, c.noMatch...), false},
			})
		})
	}
}
