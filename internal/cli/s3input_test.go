package cli

import (
	"bytes"
	"context"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestS3Inputs: INPUT may be s3://BUCKET/PREFIX (GUIDE §3). The sample
// trail is uploaded to an S3 API server in the test process and read
// through the SDK's default configuration (AWS_ENDPOINT_URL_S3); the
// answers equal those from the local copy.
func TestS3Inputs(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	root := "../../testdata/sample-trail"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(filepath.ToSlash(rel)), Body: bytes.NewReader(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"match", "--format", "json", "{ $.eventSource = iam.amazonaws.com }"},
		{"scan", "--pack", "cis", "--format", "json"},
		{"actors", "--format", "json"},
	} {
		local, lerr, lcode := run(t, "", append(args, root+"/AWSLogs")...)
		remote, rerr, rcode := run(t, "", append(args, "s3://trail/AWSLogs/")...)
		// Only the names of the inputs differ.
		local = strings.ReplaceAll(local, root+"/", "s3://trail/")
		if lcode != rcode || local != remote || local == "" {
			t.Errorf("%v: local exit %d (%d bytes), s3 exit %d (%d bytes)\nlocal stderr: %s\ns3 stderr: %s", args, lcode, len(local), rcode, len(remote), lerr, rerr)
		}
	}
	// ingest: the same rows as from the local copy, and a second ingest of
	// the objects adds nothing.
	s3store, localStore := t.TempDir(), t.TempDir()
	for _, args := range [][]string{{"ingest", "--store", s3store, "s3://trail/AWSLogs/"}, {"ingest", "--store", localStore, root}} {
		if _, stderr, code := run(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	again, _, code := run(t, "", "ingest", "--store", s3store, "s3://trail/AWSLogs/")
	if code != 0 || !strings.Contains(again, "ingested 0 records") {
		t.Errorf("second ingest from S3: exit %d: %s", code, again)
	}
	q := "SELECT count(*), count(DISTINCT eventid), count(DISTINCT eventname) FROM cloudtrail_logs"
	a, _, _ := run(t, "", "query", "--store", s3store, "--format", "csv", q)
	b, _, _ := run(t, "", "query", "--store", localStore, "--format", "csv", q)
	if a != b || !strings.Contains(a, "310,") {
		t.Errorf("store from S3 %q, from the local copy %q", a, b)
	}

	_, stderr, code := run(t, "", "match", "{ $.eventName = x }", "s3://no-such-bucket/")
	if code != 2 || !strings.Contains(stderr, "read s3://no-such-bucket/") {
		t.Errorf("missing bucket: exit %d: %s", code, stderr)
	}
}
