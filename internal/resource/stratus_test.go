package resource

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// stratusDir holds CloudTrail records from Stratus Red Team detonations (Apache-2.0, see its
// README): one JSON array of records per file, anonymised accounts, scrambled region names.
const stratusDir = "../../testdata/stratus-red-team"

// loadStratus returns the records of one file. Each file is a JSON array; a {"Records":[…]}
// wrapper is accepted too.
func loadStratus(t testing.TB, name string) []*fastjson.Value {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stratusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := fastjson.ParseBytes(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if recs := v.GetArray("Records"); recs != nil {
		return recs
	}
	recs, err := v.Array()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

// findEvent returns the first record with eventName whose text contains needle.
func findEvent(t *testing.T, recs []*fastjson.Value, eventName, needle string) *fastjson.Value {
	t.Helper()
	for _, r := range recs {
		if str(r, "eventName") == eventName && strings.Contains(r.String(), needle) {
			return r
		}
	}
	t.Fatalf("no %s record containing %q", eventName, needle)
	return nil
}

func TestStratus(t *testing.T) {
	for _, tc := range []struct {
		file, event, needle string
		want                []Ref
	}{
		{"aws.credential-access.secretsmanager-retrieve-secrets.json", "GetSecretValue", "retrieve-secret-18-",
			[]Ref{{"arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-18-4Rzn83",
				"secretsmanager:secret", "", "requestParameters.secretId"}}},
		{"aws.credential-access.ec2-get-password-data.json", "GetPasswordData", "i-i2jnm5swa59p4fxg",
			[]Ref{{"arn:aws:ec2:apiso-northsouth-3r:457448411975:instance/i-i2jnm5swa59p4fxg", "ec2:instance", "", "requestParameters.instanceId"}}},
		{"aws.credential-access.ec2-get-password-data.json", "AssumeRole", "roleArn",
			[]Ref{{"arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role", "iam:role", "", "resources"}}},
		{"aws.exfiltration.rds-share-snapshot.json", "ModifyDBSnapshotAttribute", "exfiltration",
			[]Ref{{"arn:aws:rds:meiso-eastwest-2r:171471557522:snapshot:exfiltration", "rds:snapshot", "", "requestParameters.dBSnapshotIdentifier"}}},
		{"aws.exfiltration.ec2-share-ebs-snapshot.json", "ModifySnapshotAttribute", "snap-041993b54a9b3af6f",
			[]Ref{{"arn:aws:ec2:me-central-3r::snapshot/snap-041993b54a9b3af6f", "ec2:snapshot", "", "requestParameters.snapshotId"}}},
		{"aws.exfiltration.ec2-security-group-open-port-22-ingress.json", "AuthorizeSecurityGroupIngress", "sg-003dc7f1f1c686164",
			[]Ref{{"arn:aws:ec2:us-northeast-1r:032092706103:security-group/sg-003dc7f1f1c686164", "ec2:security-group", "", "requestParameters.groupId"}}},
		{"aws.persistence.iam-create-admin-user.json", "AttachUserPolicy", "malicious-iam-user",
			[]Ref{
				{"arn:aws:iam::229654561268:user/malicious-iam-user", "iam:user", "", "requestParameters.userName"},
				{"arn:aws:iam::aws:policy/AdministratorAccess", "iam:policy", "", "requestParameters.policyArn"},
			}},
		{"aws.persistence.iam-backdoor-role.json", "UpdateAssumeRolePolicy", "roleName",
			[]Ref{{"arn:aws:iam::751203476945:role/stratus-red-team-backdoor-r-role", "iam:role", "", "requestParameters.roleName"}}},
		{"aws.persistence.lambda-overwrite-code.json", "UpdateFunctionCode20150331v2", "functionName",
			[]Ref{{"arn:aws:lambda:ap-westeast-2r:266106314375:function:stratus-red-team-olc-func-vayhjqkdav", "lambda:function", "", "requestParameters.functionName"}}},
		{"aws.execution.ssm-send-command.json", "SendCommand", "instanceIds",
			[]Ref{
				{"arn:aws:ec2:sagov-westsouth-1r:056392974792:instance/i-00456A8D163f546Ff", "ec2:instance", "", "requestParameters.instanceIds"},
				{"arn:aws:ec2:sagov-westsouth-1r:056392974792:instance/i-cfE23b1a7ceba6f86", "ec2:instance", "", "requestParameters.instanceIds"},
				{"arn:aws:ec2:sagov-westsouth-1r:056392974792:instance/i-9D40CCFc0aE91CFa5", "ec2:instance", "", "requestParameters.instanceIds"},
			}},
		{"aws.defense-evasion.cloudtrail-stop.json", "StopLogging", "buykxbqejv",
			[]Ref{{"arn:aws:cloudtrail:apiso-centralnorth-2r:143434273843:trail/stratus-red-team-ct-stop-trail-buykxbqejv", "cloudtrail:trail", "", "requestParameters.name"}}},
		// Filter-based and list calls name no resource.
		{"aws.credential-access.secretsmanager-batch-retrieve-secrets.json", "BatchGetSecretValue", "tag-key", nil},
		{"aws.credential-access.secretsmanager-retrieve-secrets.json", "ListSecrets", "tag-key", nil},
		{"aws.credential-access.ec2-steal-instance-credentials.json", "DescribeInstances", "instancesSet", nil},
	} {
		t.Run(tc.event, func(t *testing.T) {
			got := Touched(findEvent(t, loadStratus(t, tc.file), tc.event, tc.needle))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", show(got), show(tc.want))
			}
		})
	}
}

// TestStratusGetParameters: CloudTrail lists each parameter in resources[] without a type; the
// ARNs built from requestParameters.names must coincide with them, leaving one Ref per name.
func TestStratusGetParameters(t *testing.T) {
	ev := findEvent(t, loadStratus(t, "aws.credential-access.ssm-retrieve-securestring-parameters.json"), "GetParameters", "names")
	got := Touched(ev)
	names := ev.GetArray("requestParameters", "names")
	if len(got) == 0 || len(got) != len(names) {
		t.Fatalf("got %d refs for %d names:\n%s", len(got), len(names), show(got))
	}
	for i, r := range got {
		want := "arn:aws:ssm:cn-west-3r:933175858973:parameter/" + strings.TrimPrefix(string(names[i].GetStringBytes()), "/")
		if r.ARN != want || r.Type != "ssm:parameter" || r.From != "resources" {
			t.Errorf("ref %d = %+v, want ARN %s from resources", i, r, want)
		}
	}
}

// TestStratusAll runs every record of every file and checks the invariants.
func TestStratusAll(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(stratusDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Stratus files in %s: %v", stratusDir, err)
	}
	var records, refs int
	for _, f := range files {
		for _, ev := range loadStratus(t, filepath.Base(f)) {
			records++
			got := Touched(ev)
			refs += len(got)
			checkInvariants(t, got)
		}
	}
	t.Logf("%d files, %d records, %d refs", len(files), records, refs)
	if refs == 0 {
		t.Fatal("no resources found in any Stratus record")
	}
}

func checkInvariants(t testing.TB, got []Ref) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range got {
		if !strings.HasPrefix(r.ARN, "arn:") {
			t.Errorf("ARN %q does not start with arn:", r.ARN)
		}
		if r.Parent != "" && !strings.HasPrefix(r.Parent, "arn:") {
			t.Errorf("Parent %q of %q does not start with arn:", r.Parent, r.ARN)
		}
		if seen[r.ARN] {
			t.Errorf("duplicate ARN %q", r.ARN)
		}
		seen[r.ARN] = true
		if r.From == "" {
			t.Errorf("ref %q has no From", r.ARN)
		}
	}
}
