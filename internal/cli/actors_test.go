package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	identityData = filepath.Join("..", "..", "testdata", "identity")
	orgTrail     = filepath.Join(identityData, "chains", "org")
	stratusData  = filepath.Join("..", "..", "testdata", "stratus-red-team")
)

func TestActorsGolden(t *testing.T) {
	seed002 := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"EXAMPLE7QVTJGYYOJF:Dev-project","arn":"arn:aws:sts::123456789012:assumed-role/TestRoleForSourceID/Dev-project","accountId":"123456789012","accessKeyId":"EXAMPLEEXMAPLES5MW","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"EXAMPLEEXAMPLE","arn":"arn:aws:iam::123456789012:role/TestRoleForSourceID","accountId":"123456789012","userName":"TestRoleForSourceID"},"webIdFederationData":{},"attributes":{"mfaAuthenticated":"false","creationDate":"2021-04-15T04:14:36Z"},"sourceIdentity":"TestUserForSourceID"}},"eventTime":"2021-04-15T04:23:19Z","eventSource":"s3.amazonaws.com","eventName":"CreateBucket"}`
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"org_trail_text", "", []string{"actors", orgTrail}, 0},
		{"org_trail_json", "", []string{"actors", "--format", "json", orgTrail}, 0},
		{"org_trail_window_full", "", []string{"actors", "--window-events", "1", orgTrail}, 0},
		{"identity_center_text", "", []string{"actors", filepath.Join(identityData, "chains", "sso.jsonl")}, 0},
		{"identity_center_json", "", []string{"actors", "-f", "json", filepath.Join(identityData, "chains", "sso.jsonl")}, 0},
		{"expired_text", "", []string{"actors", filepath.Join(identityData, "chains", "expired.json")}, 0},
		{"stratus_get_password_data_text", "", []string{"actors", filepath.Join(stratusData, "aws.credential-access.ec2-get-password-data.json")}, 0},
		{"stratus_federation_token_json", "", []string{"actors", "--format", "json", filepath.Join(stratusData, "aws.persistence.sts-federation-token.json")}, 0},
		{"stratus_steal_instance_credentials_text", "", []string{"actors", filepath.Join(stratusData, "aws.credential-access.ec2-steal-instance-credentials.json")}, 0},
		{"stdin_seed002_json", seed002, []string{"actors", "--format", "json"}, 0},
		{"bad_inputs_continue", "", []string{"actors", "testdata/match/truncated.json.gz", "testdata/actors/missing.json", filepath.Join(identityData, "chains", "expired.json")}, 2},
		{"bad_format", "", []string{"actors", "--format", "yaml", orgTrail}, 2},
		{"bad_window", "", []string{"actors", "--window", "-1m", orgTrail}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a crash:\n%s", stderr)
			}
			golden(t, "actors/"+tt.name, fmt.Sprintf("%s--- stderr ---\n%s--- exit %d ---\n", stdout, stderr, code))
		})
	}
}

// TestActorsJSONContract checks the JSON line shape the command-line
// contract names, key by key and in order, independently of golden files.
func TestActorsJSONContract(t *testing.T) {
	stdout, stderr, code := run(t, "", "actors", "--format", "json", filepath.Join(stratusData, "aws.credential-access.ec2-get-password-data.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 34 {
		t.Fatalf("%d lines, want one per event (34)", len(lines))
	}
	chained := 0
	for _, line := range lines {
		if keys := topKeys(t, line); !slices.Equal(keys[:8], []string{"eventID", "eventTime", "eventName", "principal", "origin", "sourceIdentity", "method", "chain"}) {
			t.Fatalf("keys %v", keys)
		}
		var a struct {
			EventName string
			Principal map[string]any
			Origin    map[string]any
			Method    string
			Chain     []map[string]any
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"type", "arn", "accountId"} {
			if _, ok := a.Principal[k]; !ok {
				t.Errorf("principal lacks %s: %s", k, line)
			}
		}
		for _, k := range []string{"type", "arn", "name"} {
			if _, ok := a.Origin[k]; !ok {
				t.Errorf("origin lacks %s: %s", k, line)
			}
		}
		if a.Chain == nil {
			t.Errorf("chain is not an array: %s", line)
		}
		if a.EventName != "GetPasswordData" {
			continue
		}
		chained++
		if a.Method != "key-chain" || a.Origin["arn"] != "arn:aws:iam::457448411975:user/christophe" || len(a.Chain) != 1 {
			t.Errorf("GetPasswordData: %s", line)
			continue
		}
		for _, k := range []string{"eventID", "eventName", "accessKeyId", "arn"} {
			if _, ok := a.Chain[0][k]; !ok {
				t.Errorf("chain link lacks %s", k)
			}
		}
		if a.Chain[0]["accessKeyId"] != "ASIANQQHHS551LWULIWD" || a.Chain[0]["eventID"] != "fd179e25-9f1a-406c-8d7d-62f9d4938ef6" {
			t.Errorf("link %v", a.Chain[0])
		}
	}
	if chained != 30 {
		t.Errorf("%d GetPasswordData events, want 30", chained)
	}
}

// topKeys returns the keys of a JSON object in the order written.
func topKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", line)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestActorsInputOrder: the answers do not depend on the order files are
// named in or on how many workers read them, within the reorder window.
func TestActorsInputOrder(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(orgTrail, "AWSLogs", "*", "*", "CloudTrail", "*", "*", "*", "*", "*"))
	if err != nil || len(files) != 4 {
		t.Fatalf("org trail files: %v %v", files, err)
	}
	want, _, code := run(t, "", "actors", "--format", "json", "--workers", "1", orgTrail)
	if code != 0 {
		t.Fatal("exit", code)
	}
	reversed := slices.Clone(files)
	slices.Reverse(reversed)
	for _, args := range [][]string{
		append([]string{"actors", "--format", "json", "--workers", "4"}, files...),
		append([]string{"actors", "--format", "json", "--workers", "3"}, reversed...),
	} {
		got, stderr, code := run(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("%v: answers differ from the directory walk:\n%s", args[4:], got)
		}
	}
}
