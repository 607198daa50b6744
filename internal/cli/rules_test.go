package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestRulesGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"list", []string{"rules", "list"}, 0},
		{"list_json", []string{"rules", "list", "--format", "json"}, 0},
		{"show_seeds", []string{"rules", "show", "seeds"}, 0},
		{"show_seeds_param", []string{"rules", "show", "--param", "MaintenanceRoleName=ops-maint", "seeds"}, 0},
		{"show_cis", []string{"rules", "show", "cis"}, 0},
		{"show_template", []string{"rules", "show", "--param", "CloudWatchLogsGroup=trail", filepath.Join(rulesData, "seed004-iam.yaml")}, 0},
		{"show_console_template", []string{"rules", "show", "--param", "NotifyEmailAddress=a@example.com", filepath.Join(rulesData, "seed004-console.yaml")}, 0},
		{"show_source_seeds", []string{"rules", "show", "--source", "seeds"}, 0},
		{"show_unknown", []string{"rules", "show", "nist"}, 2},
		{"test_pass", []string{"rules", "test", filepath.Join(rulesData, "seeds_test.yaml"), filepath.Join(rulesData, "seed004_test.yaml")}, 0},
		{"test_fail", []string{"rules", "test", "testdata/rules/failing_test.yaml"}, 1},
		{"test_missing_file", []string{"rules", "test", "testdata/rules/nope.yaml"}, 2},
		{"no_subcommand", []string{"rules"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			golden(t, "rules/"+tt.name, fmt.Sprintf("%s--- stderr ---\n%s--- exit %d ---\n", stdout, stderr, code))
		})
	}
}

// TestRulesTestCatchesFailures checks, independently of golden files, that
// every wrong expectation of failing_test.yaml is reported.
func TestRulesTestCatchesFailures(t *testing.T) {
	stdout, _, code := run(t, "", "rules", "test", "testdata/rules/failing_test.yaml")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"FAIL  testdata/rules/failing_test.yaml: wrong expectations",
		"filter seed004-console-signin matched [e0000001-0000-0000-0000-000000000001, e0000008-0000-0000-0000-000000000008], want [e0000001-0000-0000-0000-000000000001]",
		`matches: no filter "no-such-filter" in the rules`,
		"alarm AlarmIAMWarn ended in OK, want ALARM",
		"transitions were [",
		"4 notifications, want 2",
		"PASS  testdata/rules/failing_test.yaml: right expectations",
		"1 passed, 1 failed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// FuzzNodeJSON: inline test events always become valid JSON, or an error.
func FuzzNodeJSON(f *testing.F) {
	for _, s := range []string{"{a: 1, b: [x, 2.5, null, true]}", "a: &x 1\nb: *x", "- 1e3\n- 0x10\n- .inf", "'quoted': \"é\\n\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n yaml.Node
		if yaml.Unmarshal([]byte(s), &n) != nil {
			return
		}
		b, err := nodeJSON(nil, &n)
		if err == nil && !json.Valid(b) {
			t.Errorf("%q gave invalid JSON %s", s, b)
		}
	})
}
