package cli

import (
	"path/filepath"
	"testing"
)

func TestAthenaDDLGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"single_account", []string{"athena", "ddl", "--bucket", "amzn-s3-demo-bucket", "--accounts", "111122223333", "--regions", "us-east-1", "--from", "2020/01/01"}, 0},
		{"org_trail_with_s3_logs", []string{"athena", "ddl", "--bucket", "trail-bucket", "--prefix", "ct/", "--org", "o-abc123",
			"--accounts", "111122223333,444455556666", "--regions", "us-east-1,ap-northeast-1", "--from", "2025/05/01", "--database", "security",
			"--s3-logs-bucket", "log-bucket", "--s3-logs-prefix", "s3logs", "--s3-logs-account", "111122223333", "--s3-logs-region", "ap-northeast-1",
			"--s3-logs-source-bucket", "example-bucket"}, 0},
		{"org_without_accounts", []string{"athena", "ddl", "--bucket", "b", "--org", "o-abc123", "--from", "2025/05/01"}, 2},
		{"no_from", []string{"athena", "ddl", "--bucket", "b", "--accounts", "1", "--regions", "r"}, 2},
		{"bad_from", []string{"athena", "ddl", "--bucket", "b", "--accounts", "1", "--regions", "r", "--from", "May 1"}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "", c.args...)
			golden(t, filepath.Join("athena", c.name), stdout+"--- stderr ---\n"+stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
		})
	}
}
