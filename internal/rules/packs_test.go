package rules

import (
	"strings"
	"testing"
)

// cisPatterns are the filter patterns of the CIS AWS Foundations Benchmark
// monitoring controls as Security Hub publishes them ("Security Hub
// controls for CloudWatch", CloudWatch.1-14,
// https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html)
// and, for AWS Organizations changes, as CIS v1.4.0 control 4.15 gives it.
// The pack must carry them character for character: Security Hub's check
// "fails if the exact metric filters prescribed by CIS are not used".
func cisPatterns() map[string]string {
	return map[string]string{
		"cis-root-account-usage":              `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`,
		"cis-unauthorized-api-calls":          `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
		"cis-console-signin-without-mfa":      `{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}`,
		"cis-iam-policy-changes":              `{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`,
		"cis-cloudtrail-changes":              `{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`,
		"cis-console-authentication-failures": `{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`,
		"cis-disable-or-delete-cmk":           `{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`,
		"cis-s3-bucket-policy-changes":        `{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`,
		"cis-aws-config-changes":              `{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}`,
		"cis-security-group-changes":          `{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}`,
		"cis-nacl-changes":                    `{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`,
		"cis-network-gateway-changes":         `{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`,
		"cis-route-table-changes":             `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`,
		"cis-vpc-changes":                     `{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`,
		"cis-organizations-changes":           `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`,
	}
}

func TestCISPack(t *testing.T) {
	s, err := LoadPack("cis", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cisPatterns := cisPatterns()
	if len(s.MetricFilters) != len(cisPatterns) {
		t.Errorf("%d filters, want %d", len(s.MetricFilters), len(cisPatterns))
	}
	for _, f := range s.MetricFilters {
		want, ok := cisPatterns[f.FilterName]
		if !ok {
			t.Errorf("unexpected filter %s", f.FilterName)
			continue
		}
		if f.FilterPattern != want {
			t.Errorf("%s: pattern\n got %s\nwant %s", f.FilterName, f.FilterPattern, want)
		}
		mt := f.MetricTransformations[0]
		if mt.MetricNamespace != "CISBenchmark" || mt.MetricValue != "1" {
			t.Errorf("%s: transformation %+v", f.FilterName, mt)
		}
		// The alarm CIS prescribes: Sum >= 1 over 300 s, 1 evaluation period.
		var found bool
		for _, a := range s.Alarms {
			if a.MetricName == mt.MetricName && a.Namespace == mt.MetricNamespace {
				found = true
				if a.Statistic != "Sum" || a.Period != 300 || a.EvaluationPeriods != 1 || a.Threshold != 1 ||
					a.ComparisonOperator != "GreaterThanOrEqualToThreshold" || len(a.AlarmActions) != 1 {
					t.Errorf("%s: alarm %+v", f.FilterName, a)
				}
			}
		}
		if !found {
			t.Errorf("%s: no alarm on %s", f.FilterName, mt.MetricName)
		}
	}
	if _, err := s.Validate(); err != nil {
		t.Error(err)
	}
	if got := s.Alarms[0].AlarmActions[0]; got != "arn:aws:sns:us-east-1:123456789012:cis-alarms" {
		t.Errorf("action %s", got)
	}
}

func TestSeedsPackParameters(t *testing.T) {
	s, err := LoadPack("seeds", LoadOptions{Params: map[string]string{"MaintenanceRoleName": "ops-maint", "AWS::AccountId": "000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	var seed001 *MetricFilter
	for i := range s.MetricFilters {
		if s.MetricFilters[i].FilterName == "seed001-iam-policy-changes" {
			seed001 = &s.MetricFilters[i]
		}
	}
	if seed001 == nil || !strings.HasPrefix(seed001.FilterPattern, "{($.userIdentity.sessionContext.sessionIssuer.userName!=ops-maint)&&(") {
		t.Fatalf("seed 001 filter %+v", seed001)
	}
	if w, err := s.Validate(); err != nil || len(w) != 0 {
		t.Errorf("validate: %v %v", w, err)
	}
	if tg := s.Target("arn:aws:lambda:us-east-1:000000000000:function:func-000000000000-AwsConsoleSignIn"); tg == nil ||
		tg.Subscriptions[0].Subject != "000000000000-AwsConsoleSignIn" {
		t.Errorf("console sign-in target %+v", tg)
	}
	if _, err := LoadPack("nope", LoadOptions{}); err == nil || !strings.Contains(err.Error(), "cis, seeds") {
		t.Errorf("unknown pack: %v", err)
	}
	if _, err := LoadPack("../x", LoadOptions{}); err == nil {
		t.Error("path accepted as pack name")
	}
}
