package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailwatch/trailwatch/internal/source"
)

// fakeS3 is an S3 API server in the test process (gofakes3) and a client
// for it.
func fakeS3(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return c
}

func putS3(t *testing.T, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}

// Polling S3 through the S3 API: an organization trail under a custom
// prefix, checkpoints as StartAfter keys, a restart in between.
func TestPollS3OrganizationTrail(t *testing.T) {
	const bucket = "org-trail"
	c := fakeS3(t, bucket)
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, base.Add(20*time.Minute))
	loc := Location{Bucket: &source.S3Bucket{Client: c, Name: bucket}, Prefix: "logs/"}
	org := "logs/AWSLogs/o-abc123/"
	putS3(t, c, bucket, strings.Replace(key(org, "us-east-1", base.Add(5*time.Minute), "a"), org+"AWSLogs/", org, 1),
		logFile(t, event("u1", "CreateUser", base.Add(time.Minute))))
	k2 := strings.Replace(key(org, "eu-west-1", base.Add(6*time.Minute), "b"), org+"AWSLogs/", org, 1)
	putS3(t, c, bucket, k2, logFile(t, event("u2", "CreateUser", base.Add(2*time.Minute))))
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1})

	putS3(t, c, bucket, strings.Replace(key(org, "eu-west-1", base.Add(9*time.Minute), "c"), org+"AWSLogs/", org, 1),
		logFile(t, event("u3", "CreateUser", base.Add(7*time.Minute))))
	h.clock = h.clock.Add(time.Minute)
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1, "u3": 1})
	st, err := LoadState(h.state)
	if err != nil {
		t.Fatal(err)
	}
	cp := st.Prefixes["s3://org-trail/logs/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/"]
	if cp == nil || !strings.HasSuffix(cp.After, "_c.json.gz") {
		t.Errorf("checkpoint %+v in %v", cp, st.Prefixes)
	}
}

// fakeQueue is an SQS queue with visibility: a received message is hidden
// until deleted or until the test makes it visible again.
type fakeQueue struct {
	mu       sync.Mutex
	bodies   map[string]string
	inFlight map[string]bool
	deleted  []string
	n        int
}

func (q *fakeQueue) send(body string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n++
	id := fmt.Sprintf("m%d", q.n)
	q.bodies[id] = body
	return id
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &sqs.ReceiveMessageOutput{}
	for i := 1; i <= q.n && len(out.Messages) < int(in.MaxNumberOfMessages); i++ {
		id := fmt.Sprintf("m%d", i)
		body, ok := q.bodies[id]
		if !ok || q.inFlight[id] {
			continue
		}
		q.inFlight[id] = true
		out.Messages = append(out.Messages, types.Message{MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id), Body: aws.String(body)})
	}
	return out, nil
}

func (q *fakeQueue) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := strings.TrimPrefix(aws.ToString(in.ReceiptHandle), "rh-")
	delete(q.bodies, id)
	q.deleted = append(q.deleted, id)
	return &sqs.DeleteMessageOutput{}, nil
}

// timeout makes every message in flight visible again.
func (q *fakeQueue) timeout() { q.mu.Lock(); q.inFlight = map[string]bool{}; q.mu.Unlock() }

func (q *fakeQueue) left() int { q.mu.Lock(); defer q.mu.Unlock(); return len(q.bodies) }

func s3Event(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{"bucket": map[string]any{"name": bucket}, "object": map[string]any{"key": url.QueryEscape(key), "size": 1}},
	}}})
	return string(b)
}

// Messages are deleted only after their objects' alerts were delivered; a
// redelivered message sends nothing twice; SNS-wrapped notifications and
// S3's test event are understood; a message that is not a notification
// stays for the dead-letter queue.
func TestConsumeSQS(t *testing.T) {
	const bucket = "trail"
	c := fakeS3(t, bucket)
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, base.Add(20*time.Minute))
	q := &fakeQueue{bodies: map[string]string{}, inFlight: map[string]bool{}}
	queue := Queue{Client: q, URL: "https://sqs.example/q", Bucket: func(name string) source.Bucket { return &source.S3Bucket{Client: c, Name: name} }}

	k1 := key("", "us-east-1", base.Add(5*time.Minute), "a b") // a space: "+" in the notification
	putS3(t, c, bucket, k1, logFile(t, event("u1", "CreateUser", base.Add(time.Minute))))
	k2 := key("", "us-east-1", base.Add(6*time.Minute), "b")
	putS3(t, c, bucket, k2, logFile(t, event("u2", "CreateUser", base.Add(2*time.Minute))))
	q.send(s3Event(bucket, k1))
	wrapped, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "x", "Message": s3Event(bucket, k2)})
	q.send(string(wrapped))
	q.send(`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"trail"}`)
	bad := q.send(`not json`)

	consume := func() {
		t.Helper()
		w := h.watcher()
		if err := w.Consume(context.Background(), queue); err != nil {
			t.Fatal(err)
		}
	}
	h.hook.setFail(true)
	consume()
	if q.left() != 3 { // the test event is gone; both objects' messages stay
		t.Errorf("after failed deliveries %d messages left, want 3 (deleted %v)", q.left(), q.deleted)
	}
	h.hook.setFail(false)
	q.timeout()
	consume()
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1})
	if q.left() != 1 || q.bodies[bad] == "" {
		t.Errorf("left %v, want only the malformed message", q.bodies)
	}
	// The same notification again (S3 delivers at least once).
	q.send(s3Event(bucket, k1))
	q.timeout()
	consume()
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1})
	if q.left() != 1 {
		t.Errorf("duplicate notification not deleted: %v", q.bodies)
	}
}
