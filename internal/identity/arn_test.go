package identity

import (
	"testing"
	"time"
)

func TestARNParts(t *testing.T) {
	for _, tt := range []struct {
		arn, role, session string
		ok                 bool
	}{
		{"arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com", "Admin", "alice@example.com", true},
		{"arn:aws-us-gov:sts::123456789012:assumed-role/R/s", "R", "s", true},
		{"arn:aws:sts::844015365555:assumed-role/AWSReservedSSOrandoml3I7nL6f7BmB@gmail.com", "", "", false}, // anonymised, no session
		{"arn:aws:iam::123456789012:role/Admin", "", "", false},
		{"arn:aws:sts::123456789012:federated-user/bob", "", "", false},
		{"not an arn", "", "", false},
	} {
		role, session, ok := assumedRoleParts(tt.arn)
		if role != tt.role || session != tt.session || ok != tt.ok {
			t.Errorf("assumedRoleParts(%q) = %q, %q, %v", tt.arn, role, session, ok)
		}
	}
	if n, ok := federatedUserName("arn:aws:sts::742491224508:federated-user/stratus_red_team"); n != "stratus_red_team" || !ok {
		t.Errorf("federatedUserName = %q, %v", n, ok)
	}
	if n := resourceName("arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_A_B_0123"); n != "AWSReservedSSO_A_B_0123" {
		t.Errorf("resourceName = %q", n)
	}
}

func TestPermissionSet(t *testing.T) {
	for role, want := range map[string]string{
		"AWSReservedSSO_AdministratorAccess_abc123":       "AdministratorAccess",
		"AWSReservedSSO_account-admin_599c9e90e350d2ff":   "account-admin",
		"AWSReservedSSO_Read_Only_Billing_0f0f0f0f0f0f0f": "Read_Only_Billing", // underscores in the name
		"AWSReservedSSO_NoHash":                           "NoHash",
		"AWSReservedSSO_":                                 "",
		"Admin":                                           "",
	} {
		if got, _ := permissionSet(role); got != want {
			t.Errorf("permissionSet(%q) = %q, want %q", role, got, want)
		}
	}
}

func TestGeneratedSessionName(t *testing.T) {
	for s, want := range map[string]bool{
		"aws-go-sdk-1722375070115152000": true, "botocore-session-1700000000": true, "i-786a3A8B5C0d92eF4": true,
		"i-0123abcd": true, "1722375070": true, "5f0c7a44-4a57-4e71-9b2c-1a5ad0c1a7c2": true, "AWSCLI-Session": true,
		"alice@example.com": false, "deploy-run-42": false, "cli": false, "i-am-root": false, "aws-go-sdk-": false, "": false,
	} {
		if got := generatedSessionName(s); got != want {
			t.Errorf("generatedSessionName(%q) = %v", s, got)
		}
	}
}

func TestParseTime(t *testing.T) {
	for s, want := range map[string]string{
		"2024-07-30T21:31:15Z":      "2024-07-30T21:31:15Z",
		"2020-09-14T00:50:17.000Z":  "2020-09-14T00:50:17Z",
		"20131102T010628Z":          "2013-11-02T01:06:28Z",
		"Jul 30, 2024, 9:46:15 PM":  "2024-07-30T21:46:15Z",
		"Jan 22, 2021 12:46:28 AM":  "2021-01-22T00:46:28Z",
		"Oct 2, 2019, 11:12:29 PM":  "2019-10-02T23:12:29Z",
		"2021-04-15T05:14:36+00:00": "2021-04-15T05:14:36Z",
		"2021-04-15T14:14:36+09:00": "2021-04-15T05:14:36Z",
		"yesterday":                 "",
		"":                          "",
	} {
		got, ok := parseTime(s)
		if (want == "") == ok || (ok && got.Format(time.RFC3339) != want) {
			t.Errorf("parseTime(%q) = %v, %v; want %q", s, got, ok, want)
		}
	}
}
