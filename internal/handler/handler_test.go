package handler

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

func record(id, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2025-03-01T10:01:02Z","eventSource":"iam.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","eventID":"%s","recipientAccountId":"111122223333"}`, name, id)
}

type fixture struct {
	h     *Handler
	emf   bytes.Buffer
	mu    sync.Mutex
	hooks []string
	s3    *s3.Client
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Message string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &env)
		var ev struct{ EventID string }
		json.Unmarshal([]byte(env.Message), &ev)
		f.mu.Lock()
		f.hooks = append(f.hooks, ev.EventID)
		f.mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	set, err := rules.Load("r.yaml", []byte(`
subscriptionFilters:
  - filterName: new-users
    filterPattern: '{ $.eventName = CreateUser }'
    destinationArn: arn:aws:sns:us-east-1:111122223333:alerts
metricFilters:
  - filterName: iam-changes
    filterPattern: '{ $.eventSource = iam.amazonaws.com }'
    metricTransformations:
      - {metricName: IAMChanges, metricNamespace: CloudTrailMetrics, metricValue: "1", unit: Count, dimensions: {EventName: $.eventName}}
targets:
  - arn: arn:aws:sns:us-east-1:111122223333:alerts
    subscriptions:
      - {protocol: http, endpoint: '`+hook.URL+`'}
`), rules.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := pipeline.NewIdentity(identity.DefaultConfig())
	prog, err := engine.Compile(set, engine.Options{Actor: ids.Actor, Extra: ids.Extra, Immediate: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	f.s3 = s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	f.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("trail")})
	f.h = &Handler{Eval: pipeline.New(prog, ids, 2), Set: set, Router: notify.NewRouter(notify.Config{}),
		Retry: notify.Retry{Attempts: 1}, EMF: &f.emf, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Bucket: func(name string) source.Bucket { return &source.S3Bucket{Client: f.s3, Name: name} }}
	return f
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// Seed 004's path: the trail's log group subscribed to the function.
func TestCloudWatchLogsSubscription(t *testing.T) {
	f := newFixture(t)
	data := fmt.Sprintf(`{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"CloudTrail/DefaultLogGroup","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["all"],"logEvents":[{"id":"1","timestamp":1740823262000,"message":%q},{"id":"2","timestamp":1740823262000,"message":%q}]}`,
		record("e1", "CreateUser"), record("e2", "ListUsers"))
	payload := fmt.Sprintf(`{"awslogs":{"data":%q}}`, base64.StdEncoding.EncodeToString(gz(data)))
	resp, err := f.h.Invoke(context.Background(), []byte(payload))
	if err != nil || resp != nil {
		t.Fatalf("Invoke: %v, %v", resp, err)
	}
	if strings.Join(f.hooks, ",") != "e1" {
		t.Errorf("webhook got %v, want [e1]", f.hooks)
	}
	lines := strings.Split(strings.TrimSpace(f.emf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("EMF lines %q", lines)
	}
	var doc map[string]any
	json.Unmarshal([]byte(lines[0]), &doc)
	want := `{"EventName":"CreateUser","IAMChanges":1,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["EventName"]],"Metrics":[{"Name":"IAMChanges","Unit":"Count"}],"Namespace":"CloudTrailMetrics"}],"Timestamp":1740823262000},"eventID":"e1","trailwatchFilter":"iam-changes"}`
	if lines[0] != want {
		t.Errorf("EMF line\n got %s\nwant %s", lines[0], want)
	}
}

// An SQS batch: a readable object, a missing one (retried alone), and a
// message that is not a notification.
func TestSQSBatchPartialFailure(t *testing.T) {
	f := newFixture(t)
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/111122223333_CloudTrail_us-east-1_20250301T1005Z_a.json.gz"
	f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(key),
		Body: bytes.NewReader(gz(`{"Records":[` + record("e1", "CreateUser") + `]}`))})
	note := func(k string) string {
		return fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"trail"},"object":{"key":%q}}}]}`, k)
	}
	batch, _ := json.Marshal(map[string]any{"Records": []map[string]string{
		{"eventSource": "aws:sqs", "messageId": "m1", "body": note(key)},
		{"eventSource": "aws:sqs", "messageId": "m2", "body": note(strings.Replace(key, "_a.", "_missing.", 1))},
		{"eventSource": "aws:sqs", "messageId": "m3", "body": "hello"},
	}})
	resp, err := f.h.Invoke(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	if string(got) != `{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}` {
		t.Errorf("response %s", got)
	}
	if strings.Join(f.hooks, ",") != "e1" {
		t.Errorf("webhook got %v", f.hooks)
	}
}

func TestUnsupportedPayload(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{`[]`, `{"foo":1}`, `not json`} {
		if _, err := f.h.Invoke(context.Background(), []byte(p)); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
}
