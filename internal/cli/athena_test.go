package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestAthenaDDLGolden(t *testing.T) {
	trail := []string{"athena", "ddl", "--bucket", "amzn-s3-demo-bucket", "--accounts", "111122223333", "--regions", "ap-northeast-1"}
	tests := []struct {
		name string
		args []string
		code int
	}{
		// The Athena user guide's statement for one account and region.
		{"single_account", append(trail, "--from", "2020/01/01"), 0},
		// Seed 003's two tables, the S3 access logs' source account and
		// region taken from --accounts and --regions.
		{"seed003_with_s3_access_logs", append(trail, "--from", "2025-05-01", "--s3-access-logs-bucket", "amzn-s3-demo-bucket-logs",
			"--s3-access-logs-prefix", "s3logs/", "--s3-access-logs-source-bucket", "amzn-s3-demo-bucket"), 0},
		{"org_trail_enum", []string{"athena", "ddl", "--bucket", "org-trail-bucket", "--prefix", "/ct/", "--org", "o-exampleorgid",
			"--accounts", "111122223333,444455556666", "--regions", "us-east-1,ap-northeast-1", "--from", "2025/01/01",
			"--database", "security", "--table", "org_trail"}, 0},
		{"org_trail_injected", []string{"athena", "ddl", "--bucket", "org-trail-bucket", "--org", "o-exampleorgid", "--from", "2025/01/01"}, 0},
		{"help", []string{"athena", "ddl", "--help"}, 0},
		{"no_subcommand", []string{"athena"}, 2},
		{"no_bucket", []string{"athena", "ddl", "--from", "2025/01/01"}, 2},
		{"no_from", trail, 2},
		{"bad_from", append(trail, "--from", "May 1"), 2},
		{"bad_account", []string{"athena", "ddl", "--bucket", "b-1", "--accounts", "1234", "--from", "2025/01/01"}, 2},
		{"bad_org", []string{"athena", "ddl", "--bucket", "b-1", "--org", "o-abc123", "--from", "2025/01/01"}, 2},
		{"s3_access_logs_account_unknown", []string{"athena", "ddl", "--bucket", "b-1", "--accounts", "111122223333,444455556666",
			"--regions", "us-east-1", "--from", "2025/01/01", "--s3-access-logs-bucket", "logs-1", "--s3-access-logs-source-bucket", "data-1"}, 2},
		{"s3_access_logs_no_source_bucket", append(trail, "--from", "2025/01/01", "--s3-access-logs-bucket", "logs-1"), 2},
		{"s3_access_logs_prefix_without_bucket", append(trail, "--from", "2025/01/01", "--s3-access-logs-prefix", "x/"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if code != 0 && stdout != "" {
				t.Errorf("a failed command printed:\n%s", stdout)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a crash:\n%s", stderr)
			}
			golden(t, "athena/"+tt.name, fmt.Sprintf("%s--- stderr ---\n%s--- exit %d ---\n", stdout, stderr, code))
		})
	}
}
