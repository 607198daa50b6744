package watch

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/source"
)

// SQSAPI is the part of the SQS client watch uses.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Queue is an SQS queue of S3 event notifications for new log objects.
type Queue struct {
	Client SQSAPI
	URL    string
	// Bucket returns the Bucket for a bucket name.
	Bucket func(name string) source.Bucket
	// Wait is the long-poll time of one receive (at most 20 s).
	Wait time.Duration
}

// Consume evaluates the objects announced on q until ctx is done (or after
// one receive, with Config.Once). A message is deleted only once every
// object it names was evaluated and its notifications delivered; otherwise
// it becomes visible again after the queue's visibility timeout and is
// received again, here or by another watch sharing the queue. A message
// that is not an S3 notification is left for the queue's redrive policy
// (dead-letter queue) to take.
func (w *Watcher) Consume(ctx context.Context, q Queue) error {
	wait := int32(q.Wait / time.Second)
	if wait > 20 || q.Wait == 0 {
		wait = 20
	}
	for ctx.Err() == nil {
		out, err := q.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			w.log.Error("receive failed; trying again", "queue", q.URL, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(w.cfg.Interval):
			}
			continue
		}
		w.metrics.polled(w.cfg.Now())
		var items []*item
		for _, m := range out.Messages {
			items = append(items, w.messageItems(ctx, q, m)...)
		}
		sortItems(items)
		w.evaluate(ctx, items)
		w.started = true
		if w.cfg.Once {
			return nil
		}
	}
	return nil
}

// messageItems turns one message into the items it names; the message is
// deleted when the last of them is done and all went well.
func (w *Watcher) messageItems(ctx context.Context, q Queue, m types.Message) []*item {
	refs, err := source.ParseS3Notification([]byte(aws.ToString(m.Body)))
	if err != nil {
		w.metrics.ObjectErrors.Inc()
		w.log.Error("message skipped; it stays on the queue for its redrive policy", "messageId", aws.ToString(m.MessageId), "err", err)
		return nil
	}
	var logs []source.ObjectRef
	for _, r := range refs {
		if k, ok := cloudtrail.ParseKey(r.Key); ok && k.Digest {
			continue
		}
		logs = append(logs, r)
	}
	del := func() {
		_, err := q.Client.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: m.ReceiptHandle})
		if err != nil {
			w.log.Error("delete failed; the message will be received again and its alerts suppressed as duplicates", "messageId", aws.ToString(m.MessageId), "err", err)
		}
	}
	if len(logs) == 0 {
		del() // a test event, a digest file: nothing to do
		return nil
	}
	pending, allOK := len(logs), true
	var items []*item
	for _, r := range logs {
		b := q.Bucket(r.Bucket)
		key := r.Key
		it := &item{url: b.URL(key), key: key, t: keyTime(key)}
		it.open = func(ctx context.Context) ([]byte, error) { return readAll(ctx, b, key) }
		it.done = func(ok bool) {
			allOK = allOK && ok
			pending--
			if pending == 0 && allOK {
				del()
			}
		}
		items = append(items, it)
	}
	return items
}
