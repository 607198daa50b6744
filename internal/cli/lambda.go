package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/handler"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

type lambdaOptions struct {
	ruleFiles, packs, params []string
	deliver                  bool
	smtp, smtpFrom, snsURL   string
	event                    string
	endpoint                 string
	// retry overrides the delivery retry policy (tests).
	retry *notify.Retry
}

func newLambdaCmd(s Streams) *cobra.Command {
	o := &lambdaOptions{}
	cmd := &cobra.Command{
		Use:   "lambda [--rules FILE]... [--pack NAME]... [--deliver] [--event FILE]",
		Short: "Run the rules as an AWS Lambda function (CloudWatch Logs subscriptions, S3 and SQS events)",
		Long: `Run the rules as an AWS Lambda function handler (aws-lambda-go). It takes:

  - CloudWatch Logs subscription events ({"awslogs":{"data":...}}): the trail's
    log group subscribed to the function, as in seed 004;
  - S3 event notifications (direct, through SNS or EventBridge) of new log files;
  - SQS batches of such notifications, reporting partial batch failures
    (batchItemFailures) so that only failed messages are retried.

Subscription filter matches are delivered to their targets (--deliver; e-mail,
HTTP, Slack, SNS). Metric filter values are written to stdout as CloudWatch
Embedded Metric Format lines stamped with the event time, so CloudWatch
aggregates them across concurrent invocations and CloudWatch alarms (defined in
the deployment, see deploy/) evaluate them. Objects that cannot be read and
deliveries that fail make the invocation (or the SQS message) fail, so Lambda
retries it.

In Lambda the binary is named bootstrap and reads its arguments from
TRAILWATCH_ARGS (e.g. "--pack cis --deliver"). With --event FILE the handler
runs once on a saved payload, locally, and prints its response.`,
		Example: `  # Try the handler on a saved CloudWatch Logs subscription event
  trailwatch lambda --pack seeds --event awslogs-event.json

  # Deployment: see deploy/template.yaml (AWS SAM)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLambda(cmd.Context(), o, s) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.ruleFiles, "rules", nil, "rules file or CloudFormation template (repeatable)")
	f.StringArrayVar(&o.packs, "pack", nil, "built-in rule pack (repeatable)")
	f.StringArrayVar(&o.params, "param", nil, "parameter KEY=VALUE for rules files and templates (repeatable)")
	f.BoolVar(&o.deliver, "deliver", false, "deliver notifications to their targets' subscriptions (default: only log them)")
	f.StringVar(&o.smtp, "smtp", "", "SMTP server host:port for e-mail subscriptions")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of e-mails")
	f.StringVar(&o.snsURL, "sns-endpoint", "", "SNS endpoint URL for sns subscriptions (default: AWS)")
	f.StringVar(&o.event, "event", "", "invoke the handler once with the payload in FILE, locally, and print the response")
	f.StringVar(&o.endpoint, "endpoint-url", "", "S3 endpoint URL (MinIO, LocalStack) for objects named by S3 notifications")
	return cmd
}

func runLambda(ctx context.Context, o *lambdaOptions, s Streams) error {
	if o.event == "" && os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return &usageError{errors.New("lambda: not running in AWS Lambda (AWS_LAMBDA_RUNTIME_API is not set); use --event FILE to invoke the handler locally")}
	}
	var payload []byte
	if o.event != "" {
		b, err := os.ReadFile(o.event)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("lambda: --event: %w", err)}
		}
		payload = b
	}
	errw := &lockedWriter{w: s.Err}
	set, params, err := loadRules("lambda", o.ruleFiles, o.packs, o.params, errw)
	if err != nil {
		return err
	}
	// Alarms are CloudWatch's: the function publishes their metrics.
	local := *set
	local.Alarms = nil
	ids := pipeline.NewIdentity(identity.DefaultConfig())
	popts := programOptions(params)
	popts.Actor, popts.Extra, popts.Immediate = ids.Actor, ids.Extra, true
	prog, err := engine.Compile(&local, popts)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("lambda: %w", err)}
	}
	logger := slog.New(slog.NewJSONHandler(s.Err, nil))
	out := &lockedWriter{w: s.Out}
	h := &handler.Handler{Eval: pipeline.New(prog, ids, 2), Set: set, Retry: notify.DefaultRetry(), EMF: out, Log: logger}
	if o.retry != nil {
		h.Retry = *o.retry
	}
	if o.deliver {
		h.Router = newRouter(deliveryFor(set, o.smtp, o.smtpFrom, o.snsURL), out)
	}
	var clients *awsClients
	h.Bucket = func(name string) source.Bucket {
		if clients == nil {
			c, err := newAWSClients(ctx, "", "", o.endpoint)
			if err != nil {
				return failingBucket{err}
			}
			clients = c
		}
		return &source.S3Bucket{Client: clients.s3, Name: name}
	}
	if payload != nil {
		resp, err := h.Invoke(ctx, payload)
		if resp != nil {
			b, _ := json.Marshal(resp)
			fmt.Fprintf(out, "%s\n", b)
		}
		if err != nil {
			return &exitError{code: 1, err: fmt.Errorf("lambda: %w", err)}
		}
		return nil
	}
	awslambda.StartWithOptions(func(ctx context.Context, raw json.RawMessage) (any, error) {
		return h.Invoke(ctx, raw)
	}, awslambda.WithContext(ctx))
	return nil
}

// failingBucket stands for a bucket whose client could not be made.
type failingBucket struct{ err error }

func (b failingBucket) URL(key string) string { return key }
func (b failingBucket) List(context.Context, string, string, func(source.Object) bool) error {
	return b.err
}
func (b failingBucket) Dirs(context.Context, string) ([]string, error) { return nil, b.err }
func (b failingBucket) Open(context.Context, string) (io.ReadCloser, error) {
	return nil, b.err
}
