package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// minio starts a MinIO server (the binary named by $MINIO_BIN, built from
// its Go module by .ci/run) and returns its URL. Without it the test is
// skipped, unless $TRAILWATCH_REQUIRE_MINIO is set (CI), where it fails.
func minio(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("MINIO_BIN")
	if bin == "" {
		if os.Getenv("TRAILWATCH_REQUIRE_MINIO") != "" {
			t.Fatal("MINIO_BIN is not set; .ci/run builds MinIO and sets it")
		}
		t.Skip("MINIO_BIN not set: no MinIO server to test against")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, t.TempDir())
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER=trailwatch", "MINIO_ROOT_PASSWORD=trailwatch-secret", "MINIO_BROWSER=off")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(url + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWatchKillRestartMinIO plants CloudTrail log objects in a MinIO bucket
// while `trailwatch watch --deliver` runs, kills it with SIGKILL twice
// mid-stream, restarts it, and checks that every planted event alerted
// exactly once (by SNS MessageId, which is stable across redeliveries) and
// that raw redeliveries, if any, are bounded by the number of kills.
func TestWatchKillRestartMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	endpoint := minio(t)
	ctx := context.Background()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("trailwatch", "trailwatch-secret", "")})
	const bucket = "trail-bucket"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	raw, byID := 0, map[string]map[string]bool{} // eventID → MessageIds
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ MessageId, Message string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &env)
		var ev struct{ EventID string }
		json.Unmarshal([]byte(env.Message), &ev)
		mu.Lock()
		raw++
		if byID[ev.EventID] == nil {
			byID[ev.EventID] = map[string]bool{}
		}
		byID[ev.EventID][env.MessageId] = true
		mu.Unlock()
	}))
	defer hook.Close()
	delivered := func() int { mu.Lock(); defer mu.Unlock(); return len(byID) }

	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rulesFile, []byte(`
subscriptionFilters:
  - filterName: new-users
    filterPattern: '{ $.eventName = CreateUser }'
    destinationArn: arn:aws:sns:us-east-1:111122223333:alerts
targets:
  - arn: arn:aws:sns:us-east-1:111122223333:alerts
    subscriptions:
      - {protocol: http, endpoint: '`+hook.URL+`'}
`), 0o644)
	bin := filepath.Join(dir, "trailwatch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	state := filepath.Join(dir, "state.json")
	base := time.Now().UTC().Add(-50 * time.Minute).Truncate(time.Minute)
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "watch", "--rules", rulesFile, "--deliver", "--state", state, "--interval", "100ms",
			"--start", base.Format(time.RFC3339), "--endpoint-url", endpoint, "--aws-region", "us-east-1", "--format", "json",
			"s3://"+bucket+"/")
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=trailwatch", "AWS_SECRET_ACCESS_KEY=trailwatch-secret", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &errb
	}

	const objects, perObject = 40, 5
	plant := func(i int) {
		delivery := base.Add(time.Duration(i) * time.Minute)
		var recs []string
		for j := range perObject {
			id := fmt.Sprintf("evt-%03d-%d", i, j)
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"%s","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","eventID":"%s","recipientAccountId":"111122223333"}`,
				delivery.Add(-time.Minute).Format(time.RFC3339), id))
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventTime":"%s","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","eventID":"noise-%03d-%d","recipientAccountId":"111122223333"}`,
				delivery.Add(-time.Minute).Format(time.RFC3339), i, j))
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(recs, ","))
		zw.Close()
		region := []string{"us-east-1", "eu-west-1"}[i%2]
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/%s/%s/111122223333_CloudTrail_%s_%s_%04d.json.gz",
			region, delivery.Format("2006/01/02"), region, delivery.Format("20060102T1504Z"), i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
			t.Fatal(err)
		}
	}

	cmd, errb := start()
	kills := 0
	for i := range objects {
		plant(i)
		time.Sleep(30 * time.Millisecond)
		if i == 13 || i == 27 {
			// SIGKILL at a moment unrelated to deliveries, then restart.
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			kills++
			cmd, errb = start()
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for delivered() < objects*perObject && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("watch did not stop cleanly on SIGTERM: %v\n%s", err, errb.String())
	}

	mu.Lock()
	defer mu.Unlock()
	for i := range objects {
		for j := range perObject {
			id := fmt.Sprintf("evt-%03d-%d", i, j)
			if n := len(byID[id]); n != 1 {
				t.Errorf("%s alerted with %d distinct messages, want 1", id, n)
			}
		}
	}
	if len(byID) != objects*perObject {
		t.Errorf("%d events alerted, want %d:\n%s", len(byID), objects*perObject, errb.String())
	}
	if dup := raw - len(byID); dup > kills {
		t.Errorf("%d raw redeliveries after %d kills", dup, kills)
	} else {
		t.Logf("%d events, %d deliveries, %d kills", len(byID), raw, kills)
	}
}
