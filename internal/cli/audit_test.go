package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditGolden imports testdata/audit's snapshots into a store and audits
// its events: the report, CSV and JSON, and the errors of bad invocations.
func TestAuditGolden(t *testing.T) {
	dir := "testdata/audit"
	store := t.TempDir()
	imports := [][]string{
		{"inventory", "import", "--store", store, "--as-of", "2024-01-08", "--account", "123456789012",
			filepath.Join(dir, "users.json"), filepath.Join(dir, "roles.json"), filepath.Join(dir, "resources-2024-01-08.csv")},
		{"inventory", "import", "--store", store, "--as-of", "2024-01-12T00:00:00Z", filepath.Join(dir, "resources-2024-01-12.json")},
	}
	for _, args := range imports {
		if _, stderr, code := run(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	events := filepath.Join(dir, "events.json")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"inventory_list", []string{"inventory", "list", "--store", store}, 0},
		{"access_table", []string{"audit", "access", "--store", store, "--tag-key", "service", events}, 0},
		{"access_csv", []string{"audit", "access", "--store", store, "--tag-key", "service", "--format", "csv", events}, 0},
		{"access_json", []string{"audit", "access", "--store", store, "--tag-key", "service", "--format", "json", events}, 0},
		{"access_missing_input", []string{"audit", "access", "--store", store, "--tag-key", "service", "testdata/audit/missing.json", events}, 2},
		{"access_no_key", []string{"audit", "access", "--store", store, events}, 2},
		{"import_bad_files", []string{"inventory", "import", "--store", store, "--as-of", "2024-01-08", events, "testdata/audit/missing.json", filepath.Join(dir, "README.md")}, 2},
		{"scan_cross_tag_rule", []string{"scan", "--rules", filepath.Join(dir, "cross-tag-rules.yaml"), "--inventory", store, "--tag-key", "service", "--format", "log", events}, 0},
		{"scan_tag_key_without_inventory", []string{"scan", "--rules", filepath.Join(dir, "cross-tag-rules.yaml"), "--tag-key", "service", events}, 2},
		{"import_bad_time", []string{"inventory", "import", "--store", store, "--as-of", "yesterday", filepath.Join(dir, "users.json")}, 2},
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
			out := strings.ReplaceAll(stdout+"--- stderr ---\n"+stderr, store, "STORE")
			golden(t, "audit/"+tt.name, fmt.Sprintf("%s--- exit %d ---\n", out, code))
		})
	}
}

// TestAuditPointInTime: the bucket moved from bbb to aaa by PutBucketTagging
// between two reads by the same aaa user; only the read before the change
// is a finding.
func TestAuditPointInTime(t *testing.T) {
	store := t.TempDir()
	for _, args := range [][]string{
		{"inventory", "import", "--store", store, "--as-of", "2024-01-08", "testdata/audit/users.json", "testdata/audit/resources-2024-01-08.csv"},
		{"inventory", "import", "--store", store, "--as-of", "2024-01-12", "testdata/audit/resources-2024-01-12.json"},
	} {
		if _, stderr, code := run(t, "", args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	stdout, stderr, code := run(t, "", "audit", "access", "--store", store, "--tag-key", "service", "--format", "csv", "testdata/audit/events.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var row string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "user/hoge0108,") && strings.Contains(l, "arn:aws:s3:::hoge0108b,") {
			row = l
		}
	}
	if row == "" {
		t.Fatalf("no finding hoge0108 → hoge0108b:\n%s", stdout)
	}
	if !strings.Contains(row, ",2,2024-01-09T22:40:00Z,2024-01-09T22:41:00Z,") || strings.Contains(row, "0000000000a8") {
		t.Errorf("want the two reads before the tagging call only (not a8, after it): %s", row)
	}
}

// TestWatchCrossTagRule: watch reads the tag inventory as scan does; the
// audit scenario's events, in a directory, alert on the same five events.
func TestWatchCrossTagRule(t *testing.T) {
	store := t.TempDir()
	for _, args := range [][]string{
		{"inventory", "import", "--store", store, "--as-of", "2024-01-08", "testdata/audit/users.json", "testdata/audit/roles.json", "testdata/audit/resources-2024-01-08.csv"},
		{"inventory", "import", "--store", store, "--as-of", "2024-01-12", "testdata/audit/resources-2024-01-12.json"},
	} {
		if _, stderr, code := run(t, "", args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/audit/events.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "events.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "", "watch", "--rules", "testdata/audit/cross-tag-rules.yaml", "--inventory", store, "--tag-key", "service",
		"--state", filepath.Join(t.TempDir(), "state.json"), "--once", "--start", "2024-01-01", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m struct{ Type, Filter, EventID string }
		if json.Unmarshal([]byte(l), &m) == nil && m.Type == "match" && m.Filter == "cross-service-access" {
			ids = append(ids, m.EventID[len(m.EventID)-2:])
		}
	}
	if got := strings.Join(ids, " "); got != "a2 a3 a4 a6 a7" {
		t.Errorf("cross-service matches %q, want a2 a3 a4 a6 a7\n%s", got, out)
	}
}
