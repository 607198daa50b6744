package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/source"
)

// identityFlags are the resolution bounds actors and whois share.
type identityFlags struct {
	window         time.Duration
	windowEvents   int
	maxCredentials int
	workers        int
}

func (f *identityFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&f.window, "window", identity.DefaultWindow, "reorder window: how far in event time input may run ahead of the event that issued a key before its uses are resolved without it")
	fl.IntVar(&f.windowEvents, "window-events", identity.DefaultWindowEvents, "most events held in the reorder window")
	fl.IntVar(&f.maxCredentials, "max-credentials", identity.DefaultMaxCredentials, "most issued credentials remembered (about 1-2 KB each)")
	fl.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "inputs decoded in parallel")
}

func (f *identityFlags) check(cmd string) error {
	switch {
	case f.window < 0:
		return &usageError{fmt.Errorf("%s: --window must not be negative", cmd)}
	case f.windowEvents < 1:
		return &usageError{fmt.Errorf("%s: --window-events must be at least 1", cmd)}
	case f.maxCredentials < 1:
		return &usageError{fmt.Errorf("%s: --max-credentials must be at least 1", cmd)}
	}
	return nil
}

func (f *identityFlags) config() identity.Config {
	return identity.Config{Window: f.window, WindowEvents: f.windowEvents, MaxCredentials: f.maxCredentials}
}

type actorsOptions struct {
	identityFlags
	format string
	inputs []string
}

func newActorsCmd(s Streams) *cobra.Command {
	o := &actorsOptions{}
	cmd := &cobra.Command{
		Use:   "actors [--format text|json] INPUT...",
		Short: "Say who is really behind each CloudTrail event",
		Long: `Print, for every event, the principal that made it and the origin at the root of
its credential chain: the IAM user, root user, IAM Identity Center user, SAML or
web identity subject, or AWS service behind a role session, and how that was
found:

  direct           the principal is its own origin
  key-chain        the session's access key was issued in the input (AssumeRole,
                   AssumeRoleWithSAML, AssumeRoleWithWebIdentity, GetSessionToken,
                   GetFederationToken), followed back hop by hop
  identity-center  an AWSReservedSSO_ role session: Identity Center sets the
                   session name to the user's name
  sourceIdentity   the session's source identity (sts:SetSourceIdentity)
  session-name     only the session name, or the EC2 instance it was delivered to
  unresolved       nothing names the origin

Events are put back in event-time order within a reorder window (--window of
event time, at most --window-events events), so a key used before the file with
its AssumeRole is read is still resolved. See docs/identity.md.

INPUT is as for 'trailwatch match': files, directories (walked recursively),
"-" for standard input (the default), gzip detected by content. An unreadable
input is reported and the others are still processed; the exit status is then 2.

Output formats:
  text  one aligned line per event: time, event name, method, who, event ID
  json  one JSON object per event:
        {"eventID","eventTime","eventName","principal":{"type","arn","accountId"},
         "origin":{"type","arn","name"},"sourceIdentity","method",
         "chain":[{"eventID","eventName","accessKeyId","arn",...}],"evidence":[...]}`,
		Example: `  # Who is behind the events of a day of an organization trail?
  trailwatch actors AWSLogs/o-abc123/

  # Events whose origin could not be named, with the evidence
  trailwatch actors --format json AWSLogs/ | jq 'select(.method == "unresolved")'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.format {
			case "text", "json":
			default:
				return &usageError{fmt.Errorf("actors: --format must be text or json, not %q", o.format)}
			}
			if err := o.check("actors"); err != nil {
				return err
			}
			o.inputs = args
			if len(o.inputs) == 0 {
				o.inputs = []string{"-"}
			}
			return runActors(cmd.Context(), o, s)
		},
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	o.register(cmd)
	return cmd
}

func runActors(ctx context.Context, o *actorsOptions, s Streams) error {
	out := bufio.NewWriterSize(s.Out, 256<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	r := identity.NewResolver(o.config())
	w := identity.NewWindow(r)
	var werr error
	emit := func(ev *identity.Event, a identity.Actor) {
		if werr != nil {
			return
		}
		if o.format == "json" {
			werr = enc.Encode(a)
			return
		}
		_, werr = fmt.Fprintf(out, "%-20s  %-30s  %-15s  %s  %s\n", a.EventTime, a.EventName, a.Method, a.Who(), a.EventID)
	}
	res := readIdentityEvents(ctx, o.inputs, o.workers, s, func(ev identity.Event) { w.Push(ev, emit) })
	w.Flush(emit)
	if werr == nil {
		werr = out.Flush()
	}
	if werr != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("write output: %w", werr)}
	}
	reportLimits(s, "actors", r)
	return res.exit("actors")
}

// reportLimits says on stderr when resolution hit its bounds, so a user
// knows which answers may be incomplete and which flag to raise.
func reportLimits(s Streams, cmd string, r *identity.Resolver) {
	st, cfg := r.Stats(), r.Config()
	if st.Late > 0 {
		fmt.Fprintf(s.Err, "trailwatch: %s: %d events arrived after later events had been resolved (--window %s); their chains may be incomplete (raise --window, or read inputs in time order)\n", cmd, st.Late, cfg.Window)
	}
	if st.Forced > 0 {
		fmt.Fprintf(s.Err, "trailwatch: %s: the reorder window was full (--window-events %d); %d events were resolved early (raise --window-events)\n", cmd, cfg.WindowEvents, st.Forced)
	}
	if st.Evicted > 0 {
		fmt.Fprintf(s.Err, "trailwatch: %s: %d issued credentials were forgotten before they expired (raise --max-credentials)\n", cmd, st.Evicted)
	}
}

// readResult counts what reading the inputs met.
type readResult struct {
	events    int
	inputErrs int64
	cancelled bool
}

// exit turns input errors and cancellation into the command's exit status.
func (r readResult) exit(cmd string) error {
	if r.inputErrs > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("%s: %d input error(s); %d events read; the errors above name what was skipped", cmd, r.inputErrs, r.events)}
	}
	if r.cancelled {
		return &exitError{code: exitError2, err: fmt.Errorf("%s: interrupted", cmd)}
	}
	return nil
}

// readIdentityEvents decodes inputs on workers goroutines and calls fn with
// each record's identity.Event, input by input in order, on the caller's
// goroutine. Errors and notices are reported on stderr as they come; one
// input's failure does not stop the others.
func readIdentityEvents(ctx context.Context, inputs []string, workers int, s Streams, fn func(identity.Event)) readResult {
	return readRecords(ctx, inputs, workers, s, false,
		func(rec *cloudtrail.Record) (identity.Event, bool) { return identity.FromRecord(rec), true }, fn)
}

// recordBatch is what a worker took from up to recordBatchSize records of
// one input, in input order.
type recordBatch[T any] struct {
	kept    []T
	n       int
	errs    []error
	notices []string
}

const recordBatchSize = 512

// readRecords decodes inputs (delivery files in their names' time order,
// which keeps the stream close to event-time order) on workers goroutines;
// pick runs on the workers for each record and says what to keep, keep
// runs on the caller's goroutine in input order. quiet counts problems
// without printing them (a second pass over inputs a first pass reported
// on).
func readRecords[T any](ctx context.Context, inputs []string, workers int, s Streams, quiet bool, pick func(*cloudtrail.Record) (T, bool), keep func(T)) readResult {
	errw := &lockedWriter{w: s.Err}
	var res readResult
	var inputErrs atomic.Int64
	report := func(err error) {
		inputErrs.Add(1)
		if !quiet {
			fmt.Fprintf(errw, "trailwatch: %v\n", err)
		}
	}
	notice := func(msg string) {
		if !quiet {
			fmt.Fprintf(errw, "trailwatch: %s\n", msg)
		}
	}
	readers := sync.Pool{New: func() any { return new(cloudtrail.Reader) }}
	ins := sortedInputs(ctx, inputs, s.In, report, notice)
	prog := &counter{s: s}
	source.Ordered(ctx, ins, workers,
		func(ctx context.Context, in source.Input, send func(*recordBatch[T])) {
			rd := readers.Get().(*cloudtrail.Reader)
			defer readers.Put(rd)
			b := &recordBatch[T]{}
			defer func() { send(b) }()
			pipeline.EachInputRecord(ctx, rd, in, func() (*[]string, *[]error) { return &b.notices, &b.errs }, func(rec *cloudtrail.Record) bool {
				b.n++
				if x, ok := pick(rec); ok {
					b.kept = append(b.kept, x)
				}
				if b.n >= recordBatchSize {
					send(b)
					b = &recordBatch[T]{}
				}
				return true
			})
		},
		func(_ source.Input, b *recordBatch[T]) {
			for _, err := range b.errs {
				report(err)
			}
			for _, n := range b.notices {
				notice(n)
			}
			for _, x := range b.kept {
				keep(x)
			}
			res.events += b.n
			prog.update(0, res.events)
		},
		func(source.Input) { prog.update(1, res.events) })
	prog.done()
	res.inputErrs = inputErrs.Load()
	res.cancelled = ctx.Err() != nil
	return res
}

// counter draws "N files, M events read" on stderr, only when stderr is a
// terminal, a few times a second. (match's progress counts matches, which
// these commands do not have.)
type counter struct {
	s     Streams
	files int
	last  time.Time
	drawn bool
}

func (c *counter) update(files, events int) {
	c.files += files
	if !c.s.ErrIsTTY {
		return
	}
	if now := time.Now(); now.Sub(c.last) >= 200*time.Millisecond {
		c.last, c.drawn = now, true
		fmt.Fprintf(c.s.Err, "\r\033[K%d files, %d events read", c.files, events)
	}
}

func (c *counter) done() {
	if c.drawn {
		fmt.Fprint(c.s.Err, "\r\033[K")
	}
}
