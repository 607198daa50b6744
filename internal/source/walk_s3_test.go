package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestWalkS3 lists s3:// arguments through the S3 API (gofakes3 in the
// test process): key order, digest files skipped with a notice, a prefix
// that names one object, a missing bucket reported in order.
func TestWalkS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{
		"logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/b.json.gz",
		"logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/a.json.gz",
		"logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/01/d.json.gz",
		"logs2/other.json",
		"single.json",
	} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(k), Body: bytes.NewReader([]byte(k))}); err != nil {
			t.Fatal(err)
		}
	}
	w := Walker{S3: func(ctx context.Context, bucket string) (Bucket, error) {
		return &S3Bucket{Client: c, Name: bucket}, nil
	}}
	out := make(chan Input)
	var notices []string
	go w.Walk(ctx, []string{"s3://trail/logs", "s3://trail/single.json", "s3://missing-bucket/x"}, nil, out,
		func(err error) { t.Errorf("report %v", err) }, func(n string) { notices = append(notices, n) })
	var got []string
	for in := range out {
		rc, err := in.Open()
		if err != nil {
			got = append(got, fmt.Sprintf("%s error=%v", in.Name, strings.Contains(err.Error(), "read s3://missing-bucket/x")))
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, fmt.Sprintf("%s explicit=%v content-ok=%v", in.Name, in.Explicit, strings.HasSuffix(in.Name, string(b))))
	}
	want := []string{
		"s3://trail/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/a.json.gz explicit=false content-ok=true",
		"s3://trail/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/b.json.gz explicit=false content-ok=true",
		"s3://trail/single.json explicit=true content-ok=true",
		"s3://missing-bucket/x error=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("inputs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "skipped 1 CloudTrail digest files") {
		t.Errorf("notices %q", notices)
	}
}
