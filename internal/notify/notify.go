// Package notify delivers notifications: to standard output, as an HTTP POST
// of JSON (SNS-style or Slack-compatible), as e-mail over SMTP, and through
// the Amazon SNS API. Delivery is queued and retried with exponential
// backoff; evaluation (package rules/engine) decides what to send, this
// package only sends it.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Message is one delivery: a notification for one subscription.
type Message struct {
	Protocol string // email, email-json, http, https, sns, stdout
	Endpoint string // address, URL or topic ARN
	Format   string // http/https: "" (SNS-style JSON) or "slack"
	TopicARN string // the ARN the notification was sent to (topic or destination)
	Subject  string
	Body     string // the SNS message: alarm JSON, or the log event
	Time     time.Time
	// What caused it, for Slack text and e-mail headers.
	Alarm, State, Reason string
	Filter, EventID      string
	// Actors names who caused it ("alice@example.com via AWSReservedSSO_…").
	Actors []string
	// Summary is the line a person reads first (EventSummary,
	// AlarmSummary). E-mail, Slack and file deliveries lead with it;
	// SNS-format deliveries keep Body exactly as SNS would send it.
	Summary string
}

// ID is a stable identifier of the message (its content hash), used as the
// SNS-style MessageId so that redeliveries can be recognised.
func (m Message) ID() string {
	h := sha256.New()
	for _, s := range []string{m.Protocol, m.Endpoint, m.TopicARN, m.Subject, m.Body, m.Time.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return sum[:8] + "-" + sum[8:12] + "-" + sum[12:16] + "-" + sum[16:20] + "-" + sum[20:32]
}

func (m Message) String() string {
	return fmt.Sprintf("%s:%s (%s)", m.Protocol, m.Endpoint, m.Subject)
}

// Sink sends messages of one kind.
type Sink interface {
	Send(ctx context.Context, m Message) error
}

// Router picks the sink for a message.
type Router interface {
	Sink(m Message) (Sink, error)
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a 4xx answer, a bad address).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Retry is the delivery retry policy: Attempts tries in all, waiting
// Initial, then twice as long each time, at most Max, between them.
type Retry struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
	// Sleep waits d or until ctx is done; nil is a timer. Tests replace it
	// so that they never depend on timing.
	Sleep func(ctx context.Context, d time.Duration) error
	// Timeout bounds one attempt; 0 is 30 seconds.
	Timeout time.Duration
}

// DefaultRetry is 5 attempts, 1 s to 30 s apart.
func DefaultRetry() Retry {
	return Retry{Attempts: 5, Initial: time.Second, Max: 30 * time.Second}
}

func (r Retry) backoff(attempt int) time.Duration {
	d := r.Initial
	for i := 1; i < attempt && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Result is the outcome of delivering one message.
type Result struct {
	Message  Message
	Attempts int
	Err      error // nil when delivered
}

// Dispatcher queues messages and delivers them on a few workers with
// retries. Enqueue blocks while the queue is full, so memory stays bounded.
type Dispatcher struct {
	ctx     context.Context
	router  Router
	retry   Retry
	queue   chan Message
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []Result
	once    sync.Once
}

// NewDispatcher starts workers delivering through router. Cancelling ctx
// abandons deliveries in progress (they fail with the context's error).
func NewDispatcher(ctx context.Context, router Router, retry Retry, workers, queue int) *Dispatcher {
	if workers < 1 {
		workers = 1
	}
	if retry.Attempts < 1 {
		retry.Attempts = 1
	}
	if retry.Sleep == nil {
		retry.Sleep = sleepTimer
	}
	if retry.Timeout == 0 {
		retry.Timeout = 30 * time.Second
	}
	d := &Dispatcher{ctx: ctx, router: router, retry: retry, queue: make(chan Message, queue)}
	for range workers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for m := range d.queue {
				r := d.deliver(m)
				d.mu.Lock()
				d.results = append(d.results, r)
				d.mu.Unlock()
			}
		}()
	}
	return d
}

// Enqueue queues m for delivery.
func (d *Dispatcher) Enqueue(m Message) {
	select {
	case d.queue <- m:
	case <-d.ctx.Done():
		d.mu.Lock()
		d.results = append(d.results, Result{Message: m, Err: fmt.Errorf("deliver %s: %w", m, d.ctx.Err())})
		d.mu.Unlock()
	}
}

// Close waits for every queued message and returns the results in the
// order deliveries finished.
func (d *Dispatcher) Close() []Result {
	d.once.Do(func() { close(d.queue) })
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.results
}

func (d *Dispatcher) deliver(m Message) Result { return Deliver(d.ctx, d.router, d.retry, m) }

// Deliver sends m through router now, retrying as retry says, and returns
// when it was delivered or given up on (watch delivers one message at a
// time so that it can record each delivery before the next).
func Deliver(ctx context.Context, router Router, retry Retry, m Message) Result {
	if retry.Attempts < 1 {
		retry.Attempts = 1
	}
	if retry.Sleep == nil {
		retry.Sleep = sleepTimer
	}
	if retry.Timeout == 0 {
		retry.Timeout = 30 * time.Second
	}
	sink, err := router.Sink(m)
	if err != nil {
		return Result{Message: m, Err: fmt.Errorf("deliver %s: %w", m, err)}
	}
	var last error
	for attempt := 1; attempt <= retry.Attempts; attempt++ {
		if attempt > 1 {
			if err := retry.Sleep(ctx, retry.backoff(attempt-1)); err != nil {
				return Result{Message: m, Attempts: attempt - 1, Err: fmt.Errorf("deliver %s: %w (last error: %v)", m, err, last)}
			}
		}
		actx, cancel := context.WithTimeout(ctx, retry.Timeout)
		err := sink.Send(actx, m)
		cancel()
		if err == nil {
			return Result{Message: m, Attempts: attempt}
		}
		last = err
		if IsPermanent(err) || ctx.Err() != nil {
			return Result{Message: m, Attempts: attempt, Err: fmt.Errorf("deliver %s: %w", m, err)}
		}
	}
	return Result{Message: m, Attempts: retry.Attempts, Err: fmt.Errorf("deliver %s: gave up after %d attempts: %w", m, retry.Attempts, last)}
}
