package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestWhoisGolden(t *testing.T) {
	sso := filepath.Join(identityData, "chains", "sso.jsonl")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"org_key_text", []string{"whois", "ASIAHOP3EXAMPLE00003", orgTrail}, 0},
		{"org_key_json", []string{"whois", "--format", "json", "ASIAHOP2EXAMPLE00002", orgTrail}, 0},
		{"org_event_id", []string{"whois", "e0000000-0000-4000-8000-000000000004", orgTrail}, 0},
		{"org_origin_arn", []string{"whois", "arn:aws:iam::222222222222:user/alice", orgTrail}, 0},
		{"identity_center_session_arn", []string{"whois", "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_abc123def4567890/alice@example.com", sso}, 0},
		{"identity_center_unresolved_sign_in", []string{"whois", "ASIASSOBOB00000001", sso}, 0},
		{"stratus_get_password_data_key", []string{"whois", "ASIANQQHHS551LWULIWD", filepath.Join(stratusData, "aws.credential-access.ec2-get-password-data.json")}, 0},
		{"stratus_federation_token_key", []string{"whois", "ASIASTJKC5GCM7ZE6LUP", filepath.Join(stratusData, "aws.persistence.sts-federation-token.json")}, 0},
		{"expired_key", []string{"whois", "ASIASHORT0000000001", filepath.Join(identityData, "chains", "expired.json")}, 0},
		{"not_found", []string{"whois", "ASIANOTINTHEINPUT000", orgTrail}, 1},
		{"missing_input_still_answers", []string{"whois", "ASIAHOP1EXAMPLE00001", "testdata/whois/missing.json", orgTrail}, 2},
		{"no_subject", []string{"whois"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a crash:\n%s", stderr)
			}
			golden(t, "whois/"+tt.name, fmt.Sprintf("%s--- stderr ---\n%s--- exit %d ---\n", stdout, stderr, code))
		})
	}
}

// TestWhoisTree checks the tree independently of golden files: the origin
// first, each hop nested under the one before, the uses under the last.
func TestWhoisTree(t *testing.T) {
	stdout, _, code := run(t, "", "whois", "ASIAHOP3EXAMPLE00003", orgTrail)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(stdout, "\n")
	indent := func(prefix string) int {
		for _, l := range lines {
			if i := strings.Index(l, prefix); i >= 0 {
				return i
			}
		}
		t.Fatalf("no line with %q:\n%s", prefix, stdout)
		return 0
	}
	origin := indent("alice  IAMUser  arn:aws:iam::222222222222:user/alice  [key-chain]")
	hop1 := indent("AssumeRole  2025-03-01T10:00:00Z  e0000000-0000-4000-8000-000000000001")
	hop2 := indent("AssumeRole  2025-03-01T10:01:00Z  e0000000-0000-4000-8000-000000000002")
	hop3 := indent("AssumeRole  2025-03-01T10:02:00Z  e0000000-0000-4000-8000-000000000005")
	uses := indent("4 event(s), 2025-03-01T10:03:00Z to 2025-03-01T10:06:00Z")
	if !(origin == 0 && origin < hop1 && hop1 < hop2 && hop2 < hop3 && hop3 < uses) {
		t.Errorf("not nested (origin %d, hops %d %d %d, uses %d):\n%s", origin, hop1, hop2, hop3, uses, stdout)
	}
}
