// Package handler runs the rules as an AWS Lambda function: it takes
// CloudWatch Logs subscription events (seed 004's path), S3 event
// notifications and SQS batches of them, delivers subscription filter
// notifications, and publishes metric filter values as CloudWatch Embedded
// Metric Format lines, so that CloudWatch aggregates them across concurrent
// invocations and CloudWatch alarms evaluate them.
package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

// Handler handles invocations. One container handles one invocation at a
// time; the mutex only guards against misuse.
type Handler struct {
	Eval *pipeline.Evaluator
	// Set is the rule set Eval's program was compiled from (for the
	// metric names of EMF lines).
	Set *rules.Set
	// Router delivers notifications; nil logs them instead.
	Router notify.Router
	Retry  notify.Retry
	// Bucket returns the Bucket for a bucket name (S3 notifications).
	Bucket func(name string) source.Bucket
	// EMF receives Embedded Metric Format lines (stdout in Lambda, where
	// CloudWatch Logs extracts the metrics).
	EMF io.Writer
	Log *slog.Logger

	mu sync.Mutex
}

// SQSResponse reports the messages of an SQS batch that failed, for
// ReportBatchItemFailures: only those are received again.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
type SQSResponse struct {
	BatchItemFailures []BatchItemFailure `json:"batchItemFailures"`
}

// BatchItemFailure names a failed SQS message.
type BatchItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// Invoke handles one invocation's payload. For an SQS batch it returns an
// SQSResponse; otherwise nil, or an error when the invocation should be
// retried (an object that could not be read, a delivery that failed).
func (h *Handler) Invoke(ctx context.Context, payload []byte) (any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var probe struct {
		AWSLogs *json.RawMessage `json:"awslogs"`
		Records []struct {
			EventSource string `json:"eventSource"`
			MessageID   string `json:"messageId"`
			Body        string `json:"body"`
		}
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("invocation payload is not JSON: %w", err)
	}
	switch {
	case probe.AWSLogs != nil:
		// The decoder reads subscription payloads as they come.
		ok := h.run(ctx, []source.Input{source.ObjectInput("awslogs", func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(payload)), nil
		})})
		if !ok[0] {
			return nil, errors.New("some notifications could not be delivered; retry the invocation")
		}
		return nil, nil
	case len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs":
		resp := SQSResponse{BatchItemFailures: []BatchItemFailure{}}
		for _, r := range probe.Records {
			refs, err := source.ParseS3Notification([]byte(r.Body))
			if err != nil {
				// Retrying will not help; the queue's redrive policy
				// moves it to the dead-letter queue after maxReceiveCount.
				h.Log.Error("SQS message is not an S3 notification", "messageId", r.MessageID, "err", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, BatchItemFailure{r.MessageID})
				continue
			}
			if !h.objects(ctx, refs) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, BatchItemFailure{r.MessageID})
			}
		}
		return resp, nil
	default:
		refs, err := source.ParseS3Notification(payload)
		if err != nil {
			return nil, fmt.Errorf("unsupported invocation: want a CloudWatch Logs subscription event, an S3 notification or an SQS batch: %w", err)
		}
		if !h.objects(ctx, refs) {
			return nil, errors.New("some objects could not be read or their notifications delivered; retry the invocation")
		}
		return nil, nil
	}
}

// objects evaluates the log objects refs name (digest files skipped) and
// reports whether all went well.
func (h *Handler) objects(ctx context.Context, refs []source.ObjectRef) bool {
	var ins []source.Input
	for _, r := range refs {
		b := h.Bucket(r.Bucket)
		key := r.Key
		ins = append(ins, source.ObjectInput(b.URL(key), func() (io.ReadCloser, error) {
			rc, err := b.Open(ctx, key)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", b.URL(key), err)
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		}))
	}
	for _, ok := range h.run(ctx, ins) {
		if !ok {
			return false
		}
	}
	return true
}

// run evaluates inputs and says, per input, whether it may be considered
// done: read (a corrupt file is reported and done) and its notifications
// delivered.
func (h *Handler) run(ctx context.Context, ins []source.Input) []bool {
	ok := make([]bool, len(ins))
	index := map[string]int{}
	ch := make(chan source.Input, len(ins))
	for i, in := range ins {
		ok[i] = true
		index[in.Name] = i
		ch <- in
	}
	close(ch)
	h.Eval.Run(ctx, ch, pipeline.Handlers{
		Error: func(in source.Input, err error) {
			h.Log.Error("read failed", "err", err)
			var oe *source.OpenError
			if errors.As(err, &oe) {
				ok[index[in.Name]] = false
			}
		},
		Notice: func(msg string) { h.Log.Info(msg) },
		Outputs: func(in source.Input, outs []engine.Output) {
			for _, o := range outs {
				if !h.output(ctx, o) {
					ok[index[in.Name]] = false
				}
			}
		},
	})
	if ctx.Err() != nil {
		for i := range ok {
			ok[i] = false
		}
	}
	return ok
}

// output publishes a metric filter match as EMF and delivers a
// subscription filter's notification; it reports false when a delivery
// failed.
func (h *Handler) output(ctx context.Context, o engine.Output) bool {
	switch o.Kind {
	case engine.KindMatch:
		if o.Match.Subscription || o.Match.Value == nil {
			return true
		}
		if line, ok := EMF(h.Set, o.Match); ok {
			h.EMF.Write(line)
		}
	case engine.KindNotification:
		n := o.Notification
		if n.Alarm != "" {
			return true // alarms are CloudWatch's, fed by the EMF metrics
		}
		if h.Router == nil {
			h.Log.Info("notification (not delivered: no --deliver)", "arn", n.ARN, "filter", n.Filter, "eventID", n.EventID, "subject", n.Subject)
			return true
		}
		all := true
		for _, m := range pipeline.Messages(n) {
			if r := notify.Deliver(ctx, h.Router, h.Retry, m); r.Err != nil {
				h.Log.Error("delivery failed", "err", r.Err)
				all = false
			} else {
				h.Log.Info("delivered", "to", m.String(), "messageId", m.ID())
			}
		}
		return all
	}
	return true
}

// EMF renders a metric filter match as one CloudWatch Embedded Metric
// Format line, timestamped with the event's time, as the metric filter
// would publish it.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
func EMF(set *rules.Set, m *engine.Match) ([]byte, bool) {
	var mt *rules.MetricTransformation
	for i := range set.MetricFilters {
		if f := &set.MetricFilters[i]; f.FilterName == m.Filter && len(f.MetricTransformations) == 1 {
			mt = &f.MetricTransformations[0]
		}
	}
	if mt == nil || m.Value == nil {
		return nil, false
	}
	if len(mt.Dimensions) > 0 && m.Dimensions == nil {
		return nil, false // a dimension field is missing: CloudWatch publishes nothing
	}
	names := make([]string, 0, len(m.Dimensions))
	doc := map[string]any{}
	for k, v := range m.Dimensions {
		names = append(names, k)
		doc[k] = v
	}
	slices.Sort(names)
	metric := map[string]string{"Name": mt.MetricName}
	if mt.Unit != "" {
		metric["Unit"] = mt.Unit
	}
	doc["_aws"] = map[string]any{
		"Timestamp": m.EventTime.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  mt.MetricNamespace,
			"Dimensions": [][]string{names},
			"Metrics":    []any{metric},
		}},
	}
	doc[mt.MetricName] = *m.Value
	doc["trailwatchFilter"] = m.Filter
	doc["eventID"] = m.EventID
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, false
	}
	return append(b, '\n'), true
}
