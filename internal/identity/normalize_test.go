package identity

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// norm is the part of a Principal the table checks, flattened.
type norm struct {
	Type, ARN, Account, User, Key, Role, Session, PermSet string
	SI, Provider, ICUser, InvokedBy, Issuer, Created      string
	MFA                                                   bool
	Flags                                                 string // hidden, assumedRoot, ec2=, delegate=, signIn
}

func project(p Principal) norm {
	n := norm{
		Type: p.Type, ARN: p.ARN, Account: p.AccountID, User: p.UserName, Key: p.AccessKeyID,
		Role: p.RoleName, Session: p.SessionName, PermSet: p.PermissionSet, SI: p.SourceIdentity,
		Provider: p.IdentityProvider + p.WebIdentityProvider, ICUser: p.IdentityCenterUserID,
		InvokedBy: p.InvokedBy, Issuer: p.IssuerARN, MFA: p.MFA,
	}
	if !p.SessionCreated.IsZero() {
		n.Created = p.SessionCreated.Format(time.RFC3339)
	}
	var f []string
	if p.NameHidden {
		f = append(f, "hidden")
	}
	if p.AssumedRoot {
		f = append(f, "assumedRoot")
	}
	if p.EC2RoleDelivery != "" {
		f = append(f, "ec2="+p.EC2RoleDelivery)
	}
	if p.DelegateAccountID != "" {
		f = append(f, "delegate="+p.DelegateAccountID)
	}
	if p.SignInSessionARN != "" {
		f = append(f, "signIn")
	}
	n.Flags = strings.Join(f, ",")
	return n
}

type identityCase struct {
	name  string
	event *fastjson.Value
}

// readCases reads the {case, identity_type, ..., event} lines of a cases file.
func readCases(t *testing.T, path string) []identityCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []identityCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		v, err := fastjson.ParseBytes(append([]byte(nil), sc.Bytes()...))
		if err != nil {
			t.Fatalf("%s: line %d: %v", path, len(out)+1, err)
		}
		out = append(out, identityCase{
			name:  string(v.GetStringBytes("case")) + " / " + string(v.GetStringBytes("identity_type")),
			event: v.Get("event"),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNormalizeCases normalises every example event, of every userIdentity
// type, and resolves it on its own (no other event known).
func TestNormalizeCases(t *testing.T) {
	const acct = "111122223333"
	tests := map[string]struct {
		want    norm
		summary string
	}{
		"console sign-in: IAM user, successful sign-in without MFA / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/anaya", Account: acct, User: "anaya"}, "anaya (direct)"},
		"console sign-in: IAM user, successful sign-in with MFA / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/anaya", Account: acct, User: "anaya", MFA: true}, "anaya (direct)"},
		"console sign-in: IAM user, unsuccessful sign-in / IAMUser": {
			norm{Type: "IAMUser", Account: acct, User: "anaya", MFA: true}, "anaya (direct)"},
		"console sign-in: IAM user, sign-in process checks for MFA (single MFA device type) / IAMUser": {
			norm{Type: "IAMUser", Account: acct, User: "anaya"}, "anaya (direct)"},
		"console sign-in: IAM user, sign-in process checks for MFA (multiple MFA device types) / IAMUser": {
			norm{Type: "IAMUser", Account: acct, User: "anaya"}, "anaya (direct)"},
		"console sign-in: Root user, successful sign-in without MFA / Root": {
			norm{Type: "Root", ARN: "arn:aws:iam::111122223333:root", Account: acct}, "arn:aws:iam::111122223333:root (direct)"},
		// additionalEventData.MFAUsed is "YES" here, "Yes" elsewhere.
		"console sign-in: Root user, successful sign-in with MFA / Root": {
			norm{Type: "Root", ARN: "arn:aws:iam::111122223333:root", Account: acct, MFA: true}, "arn:aws:iam::111122223333:root (direct)"},
		"console sign-in: Root user, unsuccessful sign-in / Root": {
			norm{Type: "Root", ARN: "arn:aws:iam::111122223333:root", Account: acct}, "arn:aws:iam::111122223333:root (direct)"},
		"console sign-in: Root user, MFA changed / Root": {
			norm{Type: "Root", ARN: "arn:aws:iam::111122223333:root", Account: acct, Key: "EXAMPLE", Created: "2020-10-13T21:05:40Z"}, "arn:aws:iam::111122223333:root (direct)"},
		"console sign-in: Root user, password changed / Root": {
			norm{Type: "Root", ARN: "arn:aws:iam::111122223333:root", Account: acct}, "arn:aws:iam::111122223333:root (direct)"},
		"IAM guide: Example IAM API event in CloudTrail log file / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::444455556666:user/JaneDoe", Account: "444455556666", User: "JaneDoe", Key: "AKIAI44QH8DHBEXAMPLE",
				InvokedBy: "signin.amazonaws.com", Created: "2014-07-15T21:39:40Z"}, "JaneDoe (direct)"},
		"IAM guide: Example cross-account AWS STS API events in CloudTrail log files / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::777788889999:user/JohnDoe", Account: "777788889999", User: "JohnDoe", Key: "AKIAQRSTUVWXYZEXAMPLE"}, "JohnDoe (direct)"},
		// Alone, the role account's copy names only the caller's account;
		// the source identity the caller set names the caller.
		"IAM guide: Example cross-account AWS STS API events in CloudTrail log files / AWSAccount": {
			norm{Type: "AWSAccount", Account: "777788889999"}, "JohnDoe (sourceIdentity)"},
		"IAM guide: Example AWS STS role chaining API event in CloudTrail log file / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1", Account: "111111111111", Key: "AKIAI44QH8DHBEXAMPLE",
				Role: "JohnDoe", Session: "JohnRole1", SI: "JohnDoe", Issuer: "arn:aws:iam::111111111111:role/JohnRole1", Created: "2019-10-02T21:50:54Z"},
			"JohnDoe (sourceIdentity)"},
		"IAM guide: Example AWS service AWS STS API event in CloudTrail log file / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::777788889999:assumed-role/AssumeNothing/devdsk", Account: "777788889999", Key: "AKIAQRSTUVWXYZEXAMPLE",
				Role: "AssumeNothing", Session: "devdsk", Issuer: "arn:aws:iam::777788889999:role/AssumeNothing", Created: "2016-11-14T17:25:26Z"},
			"devdsk via AssumeNothing (session-name)"},
		"IAM guide: Example SAML AWS STS API event in CloudTrail log file / SAMLUser": {
			norm{Type: "SAMLUser", User: "SamlExample", Provider: "bdGOnTesti4+ExamplexL/jEvs="}, "SamlExample (direct)"},
		"IAM guide: Example web identity AWS STS API event in CloudTrail log file / WebIdentityUser": {
			norm{Type: "WebIdentityUser", User: "<id of user>", Provider: "accounts.google.com"}, "<id of user> (direct)"},
		"IAM guide: Example sign-in success event in CloudTrail log file / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/JohnDoe", Account: acct, User: "JohnDoe"}, "JohnDoe (direct)"},
		"IAM guide: Example sign-in failure event in CloudTrail log file / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/JaneDoe", Account: acct, User: "JaneDoe"}, "JaneDoe (direct)"},
		"IAM guide: Example sign-in failure event caused by incorrect user name / IAMUser": {
			norm{Type: "IAMUser", Account: "123456789012", Flags: "hidden"}, "HIDDEN_DUE_TO_SECURITY_REASONS (unresolved)"},
		"IAM guide: source identity - AssumeRole request with sourceIdentity / AWSAccount": {
			norm{Type: "AWSAccount", Account: acct}, "source-identity-value-set (sourceIdentity)"},
		"IAM guide: source identity - AssumedRole session with sessionContext.sourceIdentity / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/DevRole/Dev1", Account: "123456789012", Key: "ASIAIOSFODNN7EXAMPLE",
				Role: "DevRole", Session: "Dev1", SI: "source-identity-value-present", Issuer: "arn:aws:iam::123456789012:role/DevRole", Created: "2021-02-21T23:46:28Z"},
			"source-identity-value-present via DevRole (sourceIdentity)"},
		"userIdentity snippet: IAM Identity Center user (IdentityCenterUser) / IdentityCenterUser": {
			norm{Type: "IdentityCenterUser", Account: "123456789012", ICUser: "544894e8-80c1-707f-60e3-3ba6510dfac1"}, "544894e8-80c1-707f-60e3-3ba6510dfac1 (direct)"},
		// The ARN's session name wins over the principal ID's; creationDate
		// is in ISO 8601 basic format.
		"userIdentity snippet: AssumedRole with signInSessionArn / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName", Account: "123456789012",
				Role: "RoleToBeAssumed", Session: "MySessionName", Issuer: "arn:aws:iam::123456789012:role/RoleToBeAssumed", Created: "2013-11-02T01:06:28Z", Flags: "signIn"},
			"MySessionName via RoleToBeAssumed (session-name)"},
		"userIdentity snippet: AssumedRole via product-provider delegate (invokedByDelegate) / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/Alice/Session", Account: "123456789012",
				Role: "Alice", Session: "Session", Issuer: "arn:aws:iam::123456789012:role/Alice", Created: "2013-11-02T01:06:28Z", Flags: "delegate=999999999999"},
			"Session via Alice (session-name)"},
		"event snippet: AssumeRole request+response with sourceIdentity=Admin (credentials in responseElements) / (fragment: requestParameters/responseElements only)": {
			norm{}, "Admin (sourceIdentity)"},
		"Identity Center user: ListApplications in AWS access portal / IdentityCenterUser": {
			norm{Type: "IdentityCenterUser", Account: acct, ICUser: "94d00cd8-e9e6-4810-b177-b08e84775435"}, "94d00cd8-e9e6-4810-b177-b08e84775435 (direct)"},
		"Identity Center user: CreateToken (OIDC device code) / IdentityCenterUser": {
			norm{Type: "IdentityCenterUser", Account: acct, ICUser: "94d00cd8-e9e6-4810-b177-b08e84775435"}, "94d00cd8-e9e6-4810-b177-b08e84775435 (direct)"},
		"real: IAMUser calls AssumeRole; responseElements.credentials.accessKeyId issued / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::457448411975:user/christophe", Account: "457448411975", User: "christophe", Key: "AKIAWOGXN38MFN92ING5"}, "christophe (direct)"},
		// Alone, without the AssumeRole that issued its key.
		"real: AssumedRole session using key from the AssumeRole above / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::457448411975:assumed-role/stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000",
				Account: "457448411975", Key: "ASIANQQHHS551LWULIWD", Role: "stratus-red-team-ec2-get-password-data-role", Session: "aws-go-sdk-1722375070115152000",
				Issuer: "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role", Created: "2024-07-30T21:31:15Z"},
			"aws-go-sdk-1722375070115152000 via stratus-red-team-ec2-get-password-data-role (unresolved)"},
		"real: IAMUser calls GetFederationToken / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user", Account: "742491224508",
				User: "stratus-red-team-user-federation-user", Key: "AKIA6V1GNZTT65XQH36M"}, "stratus-red-team-user-federation-user (direct)"},
		"real: FederatedUser using GetFederationToken credentials / FederatedUser": {
			norm{Type: "FederatedUser", ARN: "arn:aws:sts::742491224508:federated-user/stratus_red_team", Account: "742491224508", Key: "ASIASTJKC5GCM7ZE6LUP",
				Session: "stratus_red_team", Issuer: "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user", Created: "2024-11-30T08:43:17Z"},
			"stratus-red-team-user-federation-user via federated user stratus_red_team (direct)"},
		"real: AssumeRole issuing key later used for LeaveOrganization / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::307578594326:user/christophe", Account: "307578594326", User: "christophe", Key: "AKIADVISM0T50G52IF0D"}, "christophe (direct)"},
		"real: AssumedRole LeaveOrganization using that key / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000",
				Account: "307578594326", Key: "ASIA36EV31F1RB3OA8IG", Role: "stratus-red-team-leave-org-role", Session: "aws-go-sdk-1722587398902687000",
				Issuer: "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role", Created: "2024-08-02T08:30:00Z"},
			"aws-go-sdk-1722587398902687000 via stratus-red-team-leave-org-role (unresolved)"},
		"real: AWSService (ec2.amazonaws.com) AssumeRole for instance profile / AWSService": {
			norm{Type: "AWSService", InvokedBy: "ec2.amazonaws.com"}, "ec2.amazonaws.com (direct)"},

		// extra-cases.jsonl
		"AWS service event: userIdentity with only accountId and invokedBy (no type) / (none: invokedBy only)": {
			norm{Type: "AWSService", Account: "123456789012", InvokedBy: "AWS Internal"}, "AWS Internal (direct)"},
		"constructed: Directory user / Directory": {
			norm{Type: "Directory", Account: acct, User: "jdoe@example.com"}, "jdoe@example.com (direct)"},
		"constructed: Unknown identity of an Identity Center user in the access portal (before July 2025) / Unknown": {
			norm{Type: "Unknown", Account: acct, User: "bobsmith@example.com", ICUser: "94d00cd8-e9e6-4810-b177-b08e84775435"}, "bobsmith@example.com (direct)"},
		"constructed: Unknown identity with nothing to go on / Unknown": {
			norm{Type: "Unknown", Account: acct}, "Unknown (unresolved)"},
		"constructed: IdentityCenterUser with additionalEventData.UserName / IdentityCenterUser": {
			norm{Type: "IdentityCenterUser", Account: acct, User: "alice@example.com", ICUser: "544894e8-80c1-707f-60e3-3ba6510dfac1"}, "alice@example.com (direct)"},
		"constructed: Identity Center role session (seed 003) / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ViewOnlyAccess_abcd1234efgh5678/example@example.com",
				Account: "123456789012", Key: "ASIAEXAMPLESSO00001", Role: "AWSReservedSSO_ViewOnlyAccess_abcd1234efgh5678", Session: "example@example.com",
				PermSet: "ViewOnlyAccess", Issuer: "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_ViewOnlyAccess_abcd1234efgh5678",
				Created: "2025-04-30T16:20:00Z"},
			"example@example.com via AWSReservedSSO_ViewOnlyAccess_abcd1234efgh5678 (identity-center)"},
		"constructed: web identity role session (webIdFederationData) / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions", Account: "123456789012", Key: "ASIAEXAMPLEWEBID0001",
				Role: "deploy", Session: "GitHubActions", Provider: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
				Issuer: "arn:aws:iam::123456789012:role/deploy", Created: "2024-06-01T12:00:00Z"},
			"GitHubActions via deploy (session-name)"},
		"constructed: seed 002 CreateBucket in a role session with a source identity / AssumedRole": {
			norm{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/TestRoleForSourceID/Dev-project", Account: "123456789012", Key: "EXAMPLEEXMAPLES5MW",
				Role: "TestRoleForSourceID", Session: "Dev-project", SI: "TestUserForSourceID", Issuer: "arn:aws:iam::123456789012:role/TestRoleForSourceID", Created: "2021-04-15T04:14:36Z"},
			"TestUserForSourceID via TestRoleForSourceID (sourceIdentity)"},
		"constructed: IAM user with temporary credentials from GetSessionToken and MFA / IAMUser": {
			norm{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/bob", Account: acct, User: "bob", Key: "ASIAEXAMPLEGST00001", MFA: true, Created: "2024-03-01T09:00:00Z"},
			"bob (direct)"},
		"constructed: root session from AssumeRoot (assumedRoot) / Root": {
			norm{Type: "Root", ARN: "arn:aws:iam::222233334444:root", Account: "222233334444", Key: "ASIAEXAMPLEROOT0001", Created: "2024-12-01T10:00:00Z", Flags: "assumedRoot"},
			"arn:aws:iam::222233334444:root (direct)"},
	}
	var all []identityCase
	all = append(all, readCases(t, "../../testdata/identity/cases.jsonl")...)
	all = append(all, readCases(t, "../../testdata/identity/extra-cases.jsonl")...)
	types := map[string]bool{}
	done := map[string]bool{}
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			tt, ok := tests[c.name]
			if !ok {
				t.Fatalf("no expectation for this case: add one")
			}
			done[c.name] = true
			p := Normalize(c.event)
			types[p.Type] = true
			if got := project(p); got != tt.want {
				t.Errorf("normalised\n got %+v\nwant %+v", got, tt.want)
			}
			ev := ParseEvent(c.event)
			r := NewResolver(DefaultConfig())
			r.Observe(&ev)
			if got := r.Resolve(&ev).Summary(); got != tt.summary {
				t.Errorf("resolved alone: %q, want %q", got, tt.summary)
			}
		})
	}
	for name := range tests {
		if !done[name] {
			t.Errorf("expectation %q matches no case", name)
		}
	}
	for _, typ := range []string{TypeRoot, TypeIAMUser, TypeAssumedRole, TypeFederatedUser, TypeAWSAccount, TypeAWSService,
		TypeIdentityCenterUser, TypeWebIdentityUser, TypeSAMLUser, TypeDirectory, TypeUnknown} {
		if !types[typ] {
			t.Errorf("no case of userIdentity type %s", typ)
		}
	}
}

// TestIssuanceDocsSnippet checks the documentation's AssumeRole fragment,
// whose expiration lacks the second comma.
func TestIssuanceDocsSnippet(t *testing.T) {
	for _, c := range readCases(t, "../../testdata/identity/cases.jsonl") {
		if !strings.HasPrefix(c.name, "event snippet: AssumeRole") {
			continue
		}
		ev := ParseEvent(c.event)
		is := ev.Issue
		if is == nil {
			t.Fatal("no issuance read")
		}
		want := Issuance{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", ARN: "arn:aws:sts::111122223333:assumed-role/Developer_Role/Session_Name",
			RoleARN: "arn:aws:iam::111122223333:role/Developer_Role", RoleName: "Developer_Role", SessionName: "Session_Name", SourceIdentity: "Admin",
			Expiration: time.Date(2021, 1, 22, 0, 46, 28, 0, time.UTC)}
		if is.AccessKeyID != want.AccessKeyID || is.ARN != want.ARN || is.RoleARN != want.RoleARN || is.RoleName != want.RoleName ||
			is.SessionName != want.SessionName || is.SourceIdentity != want.SourceIdentity || !is.Expiration.Equal(want.Expiration) || is.ExpirationEstimated {
			t.Errorf("issuance\n got %+v\nwant %+v", *is, want)
		}
		return
	}
	t.Fatal("case not found")
}
