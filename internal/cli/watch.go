package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
	"github.com/trailwatch/trailwatch/internal/watch"
)

type watchOptions struct {
	ruleFiles, packs, params []string
	state                    string
	sqsURL                   string
	inventory, tagKey        string
	format                   string
	interval, allowance      time.Duration
	lookback, dedupe         time.Duration
	start                    string
	accounts, regions        []string
	once                     bool
	workers                  int
	listen                   string
	logFormat                string
	deliver                  bool
	smtp, smtpFrom, snsURL   string
	awsRegion, profile       string
	endpoint                 string
	sources                  []string

	// retry overrides the delivery retry policy (tests).
	retry *notify.Retry
	// ready is told the address --listen bound (tests).
	ready func(addr string)
}

func newWatchCmd(s Streams) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch --state FILE [--rules FILE]... [--pack NAME]... (SOURCE... | --sqs QUEUE_URL)",
		Short: "Evaluate rules continuously on new CloudTrail logs, alerting once per event",
		Long: `Evaluate rules (as for 'trailwatch scan') continuously on new CloudTrail log
files, and deliver their notifications once each.

SOURCE is s3://BUCKET[/PREFIX] or a local directory. Under it, trails' delivery
prefixes (AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/, organization trails
included) are found and polled every --interval, each from a checkpoint key
(S3 ListObjectsV2 StartAfter). Objects that land late, up to --lookback behind
the newest, are still picked up. A new prefix starts at --start (default: 15
minutes ago). A directory of files not in the layout is taken in name order.

With --sqs, objects are announced by S3 event notifications on an SQS queue
(direct, through SNS, from EventBridge, or CloudTrail's own SNS notifications);
a message is deleted only after its objects were evaluated and their alerts
delivered, so several watch processes can share one queue.

Exactly once: the state file (--state, written atomically) records each
prefix's checkpoint and every alarm change, notification and delivery made
(kept for --dedupe-window). After a crash, objects not checkpointed are
evaluated again and what was already sent is not sent again; recent objects are
replayed to warm the alarms up to where they were. Alarms are evaluated every
minute on the wall clock minus --allowance (CloudTrail's delivery delay).
SIGTERM or Ctrl-C stops after the object in progress.

Output (stdout) is one line per match, alarm change and notification, as
'scan --format log', or JSON Lines as 'scan --format json'. Logs go to stderr
(--log-format text|json). --listen serves /healthz and Prometheus /metrics.`,
		Example: `  # Seed 004: IAM changes and console sign-ins, e-mailed within minutes
  trailwatch watch --pack cis --deliver --state /var/lib/trailwatch/state.json \
      --listen :9090 s3://my-trail-bucket/AWSLogs/

  # Several processes sharing the work of one queue
  trailwatch watch --pack cis --deliver --state state.json \
      --sqs https://sqs.eu-west-1.amazonaws.com/111122223333/trail-objects

  # A local directory, once, from a given time
  trailwatch watch --pack cis --state st.json --once --start 2024-08-01 testdata/sample-trail`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.sources = args
			return runWatch(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.ruleFiles, "rules", nil, "rules file or CloudFormation template (repeatable)")
	f.StringArrayVar(&o.packs, "pack", nil, "built-in rule pack (repeatable)")
	f.StringArrayVar(&o.params, "param", nil, "parameter KEY=VALUE for rules files and templates (repeatable)")
	f.StringVar(&o.state, "state", "", "state file: checkpoints and what was already sent (required)")
	f.StringVar(&o.sqsURL, "sqs", "", "SQS queue URL of S3 event notifications for new log objects")
	tagFlags(f, &o.inventory, &o.tagKey)
	f.StringVarP(&o.format, "format", "f", "log", "output: log (one line per match, alarm change, notification) or json (JSON Lines)")
	f.DurationVar(&o.interval, "interval", time.Minute, "polling period")
	f.DurationVar(&o.allowance, "allowance", 10*time.Minute, "how late records may arrive: alarms are evaluated for now minus this")
	f.DurationVar(&o.lookback, "lookback", time.Hour, "how far behind the newest object a late object is still found")
	f.DurationVar(&o.dedupe, "dedupe-window", 24*time.Hour, "how long alarm changes, notifications and deliveries are remembered")
	f.StringVar(&o.start, "start", "", "where new prefixes start: objects delivered at or after T (RFC 3339 or YYYY-MM-DD; default 15 minutes ago)")
	f.StringArrayVar(&o.accounts, "account", nil, "only this account's logs (repeatable)")
	f.StringArrayVar(&o.regions, "region", nil, "only this region's logs (repeatable)")
	f.BoolVar(&o.once, "once", false, "poll (or receive) once, evaluate, and exit")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "objects decoded in parallel")
	f.StringVar(&o.listen, "listen", "", "serve /healthz and /metrics on this address (e.g. :9090)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.BoolVar(&o.deliver, "deliver", false, "deliver notifications to their targets' subscriptions (default: only report them)")
	f.BoolVar(&o.deliver, "notify", false, "same as --deliver")
	f.StringVar(&o.smtp, "smtp", "", "SMTP server host:port for e-mail subscriptions")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of e-mails")
	f.StringVar(&o.snsURL, "sns-endpoint", "", "SNS endpoint URL for sns subscriptions (default: AWS)")
	f.StringVar(&o.awsRegion, "aws-region", "", "AWS region of the S3 and SQS clients (default: from the AWS configuration)")
	f.StringVar(&o.profile, "profile", "", "AWS shared configuration profile")
	f.StringVar(&o.endpoint, "endpoint-url", "", "S3 and SQS endpoint URL (MinIO, LocalStack); path-style S3 addressing")
	return cmd
}

func runWatch(ctx context.Context, o *watchOptions, s Streams) error {
	switch o.format {
	case "log", "json":
	case "text":
		o.format = "log"
	default:
		return &usageError{fmt.Errorf("watch: --format must be log or json, not %q", o.format)}
	}
	if o.state == "" {
		return &usageError{errors.New("watch: --state FILE is required: it is what makes alerts go out once across restarts")}
	}
	if (len(o.sources) == 0) == (o.sqsURL == "") {
		return &usageError{errors.New("watch: give SOURCE (s3://BUCKET/PREFIX or a directory) or --sqs QUEUE_URL, not both")}
	}
	if o.interval <= 0 || o.allowance < 0 || o.lookback < 0 || o.dedupe <= 0 {
		return &usageError{errors.New("watch: --interval and --dedupe-window must be positive, --allowance and --lookback not negative")}
	}
	var logger *slog.Logger
	switch o.logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(s.Err, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(s.Err, nil))
	default:
		return &usageError{fmt.Errorf("watch: --log-format must be text or json, not %q", o.logFormat)}
	}
	start := time.Now().Add(-15 * time.Minute)
	if o.start != "" {
		t, err := parseTime("start", o.start)
		if err != nil {
			return err
		}
		start = t
	}
	errw := &lockedWriter{w: s.Err}
	set, params, err := loadRules("watch", o.ruleFiles, o.packs, o.params, errw)
	if err != nil {
		return err
	}
	ids := pipeline.NewIdentity(identity.Config{Window: o.allowance, MaxCredentials: identity.DefaultMaxCredentials})
	if ids.Tags, err = loadTags("watch", o.inventory, o.tagKey); err != nil {
		return err
	}
	popts := programOptions(params)
	popts.Lateness, popts.Actor, popts.Extra, popts.Immediate = o.allowance, ids.Actor, ids.Extra, true
	prog, err := engine.Compile(set, popts)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("watch: %w", err)}
	}

	out := bufio.NewWriter(s.Out)
	var outMu sync.Mutex
	w := &scanWriter{format: o.format, out: out}
	sink := func(x engine.Output) {
		outMu.Lock()
		defer outMu.Unlock()
		w.write(x)
		out.Flush()
	}
	var router notify.Router
	if o.deliver {
		router = newRouter(deliveryFor(set, o.smtp, o.smtpFrom, o.snsURL),
			writerFunc(func(p []byte) (int, error) {
				outMu.Lock()
				defer outMu.Unlock()
				n, err := out.Write(p)
				out.Flush()
				return n, err
			}))
	}
	retry := notify.DefaultRetry()
	if o.retry != nil {
		retry = *o.retry
	}
	metrics := watch.NewMetrics()
	cfg := watch.Config{StatePath: o.state, Allowance: o.allowance, Interval: o.interval, Lookback: o.lookback,
		DedupeWindow: o.dedupe, Start: start, Accounts: o.accounts, Regions: o.regions, Once: o.once}
	wt, err := watch.New(cfg, pipeline.New(prog, ids, o.workers), sink, router, retry, logger, metrics)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("watch: %w", err)}
	}

	if o.listen != "" {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("watch: --listen: %w", err)}
		}
		srv := &http.Server{Handler: metrics.Handler(3*o.interval+time.Minute, time.Now), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		logger.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
		if o.ready != nil {
			o.ready(ln.Addr().String())
		}
	}

	var clients *awsClients
	needAWS := o.sqsURL != ""
	for _, src := range o.sources {
		needAWS = needAWS || strings.HasPrefix(src, "s3://")
	}
	if needAWS {
		if clients, err = newAWSClients(ctx, o.awsRegion, o.profile, o.endpoint); err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("watch: %w", err)}
		}
	}
	logger.Info("watching", "sources", o.sources, "sqs", o.sqsURL, "state", o.state, "allowance", o.allowance.String())
	if o.sqsURL != "" {
		err = wt.Consume(ctx, watch.Queue{Client: clients.sqs, URL: o.sqsURL,
			Bucket: func(name string) source.Bucket { return &source.S3Bucket{Client: clients.s3, Name: name} }})
	} else {
		var locs []watch.Location
		for _, src := range o.sources {
			if strings.HasPrefix(src, "s3://") {
				bucket, prefix, perr := source.ParseS3URL(src)
				if perr != nil {
					return &usageError{fmt.Errorf("watch: %w", perr)}
				}
				locs = append(locs, watch.Location{Bucket: &source.S3Bucket{Client: clients.s3, Name: bucket}, Prefix: prefix})
				continue
			}
			if st, serr := os.Stat(src); serr != nil || !st.IsDir() {
				return &usageError{fmt.Errorf("watch: %s: want s3://BUCKET[/PREFIX] or a directory", src)}
			}
			locs = append(locs, watch.Location{Bucket: source.Dir{Root: src}})
		}
		err = wt.Poll(ctx, locs)
	}
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("watch: %w", err)}
	}
	logger.Info("stopped")
	return nil
}

// awsClients are the S3 and SQS clients watch uses, from the SDK's default
// credential chain.
type awsClients struct {
	s3  *s3.Client
	sqs *sqs.Client
}

func newAWSClients(ctx context.Context, region, profile, endpoint string) (*awsClients, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c := &awsClients{
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
				o.UsePathStyle = true
			}
		}),
		sqs: sqs.NewFromConfig(cfg, func(o *sqs.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
		}),
	}
	return c, nil
}
