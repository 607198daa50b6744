package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/filterpattern"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/source"
)

type matchOptions struct {
	lines   bool
	format  string
	workers int
	pattern *filterpattern.Pattern
	inputs  []string
	readers sync.Pool // *cloudtrail.Reader, one in use per worker
}

func newMatchCmd(s Streams) *cobra.Command {
	o := &matchOptions{}
	o.readers.New = func() any { return new(cloudtrail.Reader) }
	cmd := &cobra.Command{
		Use:   "match [--lines] [--format text|json|aws] PATTERN [INPUT...]",
		Short: "Test a CloudWatch Logs filter pattern against CloudTrail events",
		Long: `Test a CloudWatch Logs filter pattern (the language of metric and subscription
filters) against log events, with the answer CloudWatch Logs would give.

Without --lines, INPUT is CloudTrail in any shape: S3 delivery files
({"Records":[...]}, .json or .json.gz), directory trees in the delivery layout
(CloudTrail-Digest is skipped), single or concatenated events compact or
pretty-printed, JSON Lines, CloudWatch Logs subscription payloads and
EventBridge events. Each record is matched as the one-line compact JSON that
CloudWatch Logs stores. With --lines, every input line is one log event
exactly as given, in any log format. Gzip is detected by content. With no
INPUT, or INPUT "-", standard input is read.

Output formats:
  text  matching events, one per line (default)
  json  one JSON object per matching event, with its source and position
  aws   exactly what 'aws logs test-metric-filter' prints

Exit status is 0 if any event matched, 1 if none did, 2 on an error (a bad
pattern, an unreadable or corrupt input); other inputs are still processed.`,
		Example: `  # Which events in a trail are IAM policy changes not made by the maintenance role?
  trailwatch match '{ ($.eventName = PutRolePolicy) && ($.userIdentity.sessionContext.sessionIssuer.userName != cm-policymaintainer) }' AWSLogs/

  # Test a pattern against an event copied from the console
  pbpaste | trailwatch match --format aws '{ $.eventType = "AwsConsoleSignIn" }'

  # Space-delimited pattern over Apache access logs
  trailwatch match --lines '[ip, id, user, timestamp, request, status_code=4*, size]' access.log`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.format {
			case "text", "json", "aws":
			default:
				return &usageError{fmt.Errorf("match: --format must be text, json or aws, not %q", o.format)}
			}
			p, err := filterpattern.Parse(args[0])
			if err != nil {
				return &exitError{code: exitError2, err: fmt.Errorf("match: %w", err)}
			}
			o.pattern = p
			o.inputs = args[1:]
			if len(o.inputs) == 0 {
				o.inputs = []string{"-"}
			}
			return runMatch(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.lines, "lines", false, "treat every input line as one log event, in any format")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text, json or aws")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "inputs processed in parallel")
	return cmd
}

// matchBatch is a slice of one input's results, in order.
type matchBatch struct {
	data    []byte // hit bodies, back to back
	hits    []matchHit
	events  int // events read in this batch
	errs    []error
	notices []string
}

type matchHit struct {
	n          int // 1-based event number within the input
	start, end int // body in data
}

const (
	batchBytes = 256 << 10
	batchHits  = 2048
)

func runMatch(ctx context.Context, o *matchOptions, s Streams) error {
	out := bufio.NewWriterSize(s.Out, 256<<10)
	errw := &lockedWriter{w: s.Err}
	var inputErrs atomic.Int64
	report := func(err error) {
		inputErrs.Add(1)
		fmt.Fprintf(errw, "trailwatch: %v\n", err)
	}
	notice := func(msg string) { fmt.Fprintf(errw, "trailwatch: %s\n", msg) }

	inputs := make(chan source.Input)
	go source.Walk(ctx, o.inputs, s.In, inputs, report, notice)

	var total, matched, base int
	var fileEvents int
	if o.format == "aws" {
		out.WriteString("{\n    \"matches\": [")
	}
	var num []byte
	prog := newProgress(s)
	source.Ordered(ctx, inputs, o.workers,
		func(ctx context.Context, in source.Input, send func(*matchBatch)) {
			matchInput(ctx, o, in, send)
		},
		func(in source.Input, b *matchBatch) {
			for _, err := range b.errs {
				report(err)
			}
			for _, n := range b.notices {
				notice(n)
			}
			for _, h := range b.hits {
				body := b.data[h.start:h.end]
				switch o.format {
				case "text":
					out.Write(body)
					out.WriteByte('\n')
				case "json":
					num = strconv.AppendInt(num[:0], int64(base+h.n), 10)
					out.WriteString(`{"eventNumber":`)
					out.Write(num)
					out.Write(body)
					out.WriteString("}\n")
				case "aws":
					if matched > 0 {
						out.WriteByte(',')
					}
					num = strconv.AppendInt(num[:0], int64(base+h.n), 10)
					out.WriteString("\n        {\n            \"eventNumber\": ")
					out.Write(num)
					out.Write(body)
					out.WriteString("\n        }")
				}
				matched++
			}
			fileEvents += b.events
			total += b.events
			prog.update(0, total, matched)
		},
		func(source.Input) {
			base += fileEvents
			fileEvents = 0
			prog.update(1, total, matched)
		})
	prog.done()
	if o.format == "aws" {
		if matched > 0 {
			out.WriteString("\n    ]\n}\n")
		} else {
			out.WriteString("]\n}\n")
		}
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("write output: %w", err)}
	}
	if n := inputErrs.Load(); n > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("match: %d input error(s); %d events read, %d matched; the errors above name what was skipped", n, total, matched)}
	}
	if ctx.Err() != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("match: interrupted")}
	}
	if matched == 0 {
		return &exitError{code: exitNoMatch}
	}
	return nil
}

// matchInput reads one input and sends its matches in batches.
func matchInput(ctx context.Context, o *matchOptions, in source.Input, send func(*matchBatch)) {
	b := &matchBatch{}
	defer func() { send(b) }()
	rc, err := in.Open()
	if err != nil {
		b.errs = append(b.errs, err)
		return
	}
	defer rc.Close()
	rd := o.readers.Get().(*cloudtrail.Reader)
	defer o.readers.Put(rd)

	n := 0
	var ev filterpattern.Event
	hit := func(body func(dst []byte) []byte) {
		start := len(b.data)
		b.data = body(b.data)
		b.hits = append(b.hits, matchHit{n: n, start: start, end: len(b.data)})
		if len(b.data) >= batchBytes || len(b.hits) >= batchHits {
			send(b)
			b = &matchBatch{}
		}
	}
	if o.lines {
		r, err := rd.Open(rc)
		if err != nil {
			b.errs = append(b.errs, fmt.Errorf("read %s: %w", in.Name, err))
			return
		}
		lr := source.NewLineReader(r, in.Name)
		for {
			line, err := lr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				b.errs = append(b.errs, err)
				if errors.Is(err, source.ErrLineTooLong) {
					continue
				}
				return // a read error ends this input
			}
			n++
			b.events++
			ev = filterpattern.Event{Message: line}
			if o.pattern.Match(&ev) {
				hit(func(dst []byte) []byte { return o.formatHit(dst, &ev, in.Name, lr.Line(), nil) })
			}
			if n&1023 == 0 && ctx.Err() != nil {
				return
			}
		}
	}
	pipeline.EachRecord(ctx, rd, in, rc, func() (*[]string, *[]error) { return &b.notices, &b.errs }, func(rec *cloudtrail.Record) bool {
		n++
		b.events++
		ev = filterpattern.Event{Message: rec.Raw, JSON: rec.JSON}
		if o.pattern.Match(&ev) {
			hit(func(dst []byte) []byte { return o.formatHit(dst, &ev, in.Name, rec.Index, rec) })
		}
		return true
	})
}

// formatHit appends the body of one matching event for the output format;
// runMatch adds the event number around it.
func (o *matchOptions) formatHit(dst []byte, ev *filterpattern.Event, name string, pos int, rec *cloudtrail.Record) []byte {
	switch o.format {
	case "text":
		return append(dst, ev.Message...)
	case "aws":
		_, ex := o.pattern.MatchExtract(ev)
		dst = append(dst, ",\n            \"eventMessage\": "...)
		dst = appendPyJSONString(dst, ev.Message)
		dst = append(dst, ",\n            \"extractedValues\": {"...)
		for i, k := range sortedExtracted(ex) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n                "...)
			dst = appendPyJSONString(dst, []byte(k))
			dst = append(dst, ": "...)
			dst = appendPyJSONString(dst, []byte(ex[k]))
		}
		if len(ex) > 0 {
			dst = append(dst, "\n            "...)
		}
		return append(dst, '}')
	default: // json
		_, ex := o.pattern.MatchExtract(ev)
		dst = append(dst, `,"source":`...)
		dst = appendPyJSONString(dst, []byte(name))
		if rec != nil {
			dst = append(dst, `,"record":`...)
			dst = strconv.AppendInt(dst, int64(pos), 10)
			dst = append(dst, `,"event":`...)
			dst = append(dst, ev.Message...)
		} else {
			dst = append(dst, `,"line":`...)
			dst = strconv.AppendInt(dst, int64(pos), 10)
			dst = append(dst, `,"event":`...)
			dst = appendPyJSONString(dst, ev.Message)
		}
		dst = append(dst, `,"extractedValues":{`...)
		for i, k := range sortedExtracted(ex) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendPyJSONString(dst, []byte(k))
			dst = append(dst, ':')
			dst = appendPyJSONString(dst, []byte(ex[k]))
		}
		return append(dst, '}')
	}
}
