package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/source"
	"github.com/trailwatch/trailwatch/internal/store"
)

type ingestOptions struct {
	store   string
	workers int
	inputs  []string
}

func newIngestCmd(s Streams) *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest --store DIR INPUT...",
		Short: "Convert CloudTrail logs to Parquet with the Athena table's columns, for 'trailwatch query'",
		Long: `Convert CloudTrail records to Parquet files in DIR, partitioned by account,
region and date (DIR/cloudtrail/account=A/region=R/date=YYYY-MM-DD/), with
exactly the columns and types of AWS's Athena CloudTrail table
(cloudtrail_logs_pp), so that 'trailwatch query' and any engine that reads
Parquet run Athena's queries on them.

Re-ingesting the same files adds nothing: an input whose size and SHA-256 the
store already holds is skipped. An ingest becomes visible all at once when it
finishes (DIR/manifest.json lists the committed files); an interrupted ingest
leaves nothing visible and its leftovers are removed by the next one.

INPUT is as for 'trailwatch match'.`,
		Example: `  # A month of an organization trail, then the queries you ran on Athena
  trailwatch ingest --store ./ct AWSLogs/o-abc123/
  trailwatch query --store ./ct "SELECT eventname, count(*) FROM cloudtrail_logs GROUP BY 1 ORDER BY 2 DESC"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.inputs = args
			return runIngest(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", "", "store directory (created if missing)")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "inputs converted in parallel")
	cmd.MarkFlagRequired("store")
	return cmd
}

// ingestResult is what one worker did with one input.
type ingestResult struct {
	info    store.InputInfo
	skipped bool // already in the store
	errs    []error
	notices []string
}

func runIngest(ctx context.Context, o *ingestOptions, s Streams) error {
	if o.workers < 1 {
		return &usageError{fmt.Errorf("ingest: --workers must be at least 1")}
	}
	st, err := store.Open(o.store)
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("ingest: %w", err)}
	}
	run, err := st.Begin()
	if err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("ingest: %w", err)}
	}
	errw := &lockedWriter{w: s.Err}
	var mu sync.Mutex
	inputErrs, skippedInputs, records := 0, 0, 0
	report := func(err error) {
		mu.Lock()
		inputErrs++
		mu.Unlock()
		fmt.Fprintf(errw, "trailwatch: %v\n", err)
	}
	notice := func(msg string) { fmt.Fprintf(errw, "trailwatch: %s\n", msg) }

	inputs := make(chan source.Input)
	go source.Walk(ctx, o.inputs, s.In, inputs, report, notice)

	writers := make([]*store.PartitionWriter[store.CloudTrailRow], o.workers)
	var wg sync.WaitGroup
	counter := newProgress(s)
	for w := range o.workers {
		pw := store.NewPartitionWriter[store.CloudTrailRow](st, run, store.TableCloudTrail, strconv.Itoa(w))
		writers[w] = pw
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rd cloudtrail.Reader
			var row store.CloudTrailRow
			for in := range inputs {
				res := ingestInput(ctx, st, &rd, in, pw, &row)
				mu.Lock()
				for _, e := range res.errs {
					inputErrs++
					fmt.Fprintf(errw, "trailwatch: %v\n", e)
				}
				for _, n := range res.notices {
					fmt.Fprintf(errw, "trailwatch: %s\n", n)
				}
				switch {
				case res.skipped:
					skippedInputs++
				case res.info.Records > 0:
					run.Inputs = append(run.Inputs, res.info)
					records += res.info.Records
				}
				counter.update(1, records, 0)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	counter.done()
	var closeErrs []error
	for _, pw := range writers {
		if err := pw.Close(); err != nil {
			closeErrs = append(closeErrs, err)
		}
		pw.AddTo(run)
	}
	if err := errors.Join(closeErrs...); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("ingest: nothing committed: %w", err)}
	}
	if ctx.Err() != nil {
		return &exitError{code: exitError2, err: errors.New("ingest: interrupted; nothing committed")}
	}
	if err := st.Commit(run); err != nil {
		return &exitError{code: exitError2, err: fmt.Errorf("ingest: %w", err)}
	}
	fmt.Fprintf(s.Out, "ingested %d records from %d inputs into %d files (%s); %d inputs already in the store; %d input errors\n",
		records, len(run.Inputs), len(run.Files[store.TableCloudTrail]), o.store, skippedInputs, inputErrs)
	if inputErrs > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("ingest: %d input error(s); the errors above name what was skipped", inputErrs)}
	}
	return nil
}

// ingestInput converts one input. An input whose size and hash the store
// holds is skipped; otherwise its records go to pw and its hash is
// computed while it is read.
func ingestInput(ctx context.Context, st *store.Store, rd *cloudtrail.Reader, in source.Input, pw *store.PartitionWriter[store.CloudTrailRow], row *store.CloudTrailRow) ingestResult {
	res := ingestResult{info: store.InputInfo{Name: in.Name}}
	if in.Name != "-" {
		fi, err := os.Stat(in.Name)
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("read %s: %w", in.Name, err))
			return res
		}
		res.info.Size = fi.Size()
		if st.HasSize(fi.Size()) {
			sum, err := store.HashFile(in.Name)
			if err != nil {
				res.errs = append(res.errs, fmt.Errorf("read %s: %w", in.Name, err))
				return res
			}
			if st.Has(fi.Size(), sum) {
				res.skipped = true
				return res
			}
		}
	}
	rc, err := in.Open()
	if err != nil {
		res.errs = append(res.errs, err)
		return res
	}
	defer rc.Close()
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(rc, h)}
	dec, err := rd.Decoder(counted, in.Name)
	if err != nil {
		res.errs = append(res.errs, fmt.Errorf("read %s: %w", in.Name, err))
		return res
	}
	for ctx.Err() == nil {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var n *cloudtrail.Notice
			var de *cloudtrail.DecodeError
			switch {
			case errors.As(err, &n):
				res.notices = append(res.notices, n.Error())
				continue
			case !in.Explicit && dec.Records() == 0 && errors.Is(err, cloudtrail.ErrNotCloudTrail):
				res.notices = append(res.notices, fmt.Sprintf("%s: skipped: not a CloudTrail log file", in.Name))
				return res
			}
			res.errs = append(res.errs, err)
			if errors.As(err, &de) && de.Fatal {
				break
			}
			continue
		}
		p := store.RowFromJSON(rec.JSON, row)
		if err := pw.Write(p, *row); err != nil {
			res.errs = append(res.errs, err)
			return res
		}
		res.info.Records++
	}
	io.Copy(io.Discard, counted) // hash what the decoder left unread
	res.info.SHA256 = hex.EncodeToString(h.Sum(nil))
	if in.Name == "-" {
		res.info.Size = counted.n
	}
	return res
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
