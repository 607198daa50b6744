package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/s3log"
	"github.com/trailwatch/trailwatch/internal/source"
	"github.com/trailwatch/trailwatch/internal/store"
)

type ingestOptions struct {
	store   string
	actors  bool
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

Every event's actor (who is behind it, through role sessions and issued keys,
as 'trailwatch actors' resolves it) is in the view cloudtrail_actors, joined
on eventid. Actors are resolved once per principal, with every credential the
input issued, whatever order the files come in; --actors=false skips them.

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
	f.BoolVar(&o.actors, "actors", true, "resolve who is behind every event, for the cloudtrail_actors view")
	cmd.MarkFlagRequired("store")
	return cmd
}

// ingestResult is what one worker did with one input.
type ingestResult struct {
	info    store.InputInfo
	skipped bool // already in the store
	errs    []error
	notices []string
	events  []keyedEvent // for the actor stage
	partial bool         // only events; more results of the input follow
}

// freeList recycles slices handed from one goroutine to another, so that
// a stream of batches does not allocate (and zero) a new slice for each.
// get makes a slice of capacity size when none is free; put drops the
// slice when the list is full.
type freeList[T any] struct {
	free chan []T
	size int
}

func newFreeList[T any](n, size int) freeList[T] {
	return freeList[T]{free: make(chan []T, n), size: size}
}

func (f freeList[T]) get() []T {
	select {
	case s := <-f.free:
		return s
	default:
		return make([]T, 0, f.size)
	}
}

func (f freeList[T]) put(s []T) {
	if cap(s) == 0 {
		return
	}
	select {
	case f.free <- s[:0]:
	default:
	}
}

// ingestMemoryLimit is the Go heap ingest aims to stay under.
const ingestMemoryLimit = 640 << 20

// ingestEventBatch bounds the identity events an input hands on at once, so
// that a huge delivery file does not hold all of its events.
const ingestEventBatch = 4096

func runIngest(ctx context.Context, o *ingestOptions, s Streams) error {
	if o.workers < 1 {
		return &usageError{fmt.Errorf("ingest: --workers must be at least 1")}
	}
	// A soft memory limit keeps the peak under 1 GB (the target in
	// docs/PERFORMANCE.md) when the Parquet buffers of many open
	// partitions and the identity state add up; GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(ingestMemoryLimit))
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
	inputErrs, skippedInputs, records := 0, 0, 0
	var reportMu sync.Mutex
	report := func(err error) {
		reportMu.Lock()
		inputErrs++
		reportMu.Unlock()
		fmt.Fprintf(errw, "trailwatch: %v\n", err)
	}
	notice := func(msg string) { fmt.Fprintf(errw, "trailwatch: %s\n", msg) }

	// Inputs go in walk order, which keeps each partition's files
	// together; actors do not need time order (see ingest_actors.go).
	inputs := make(chan source.Input)
	go source.Walk(ctx, o.inputs, s.In, inputs, report, notice)

	// One pair of writers per worker, handed out through a free list so
	// that no two inputs write through one writer at once.
	free := make(chan *ingestWriters, o.workers)
	writers := make([]*ingestWriters, o.workers)
	seed := maphash.MakeSeed() // actor keys differ between runs
	for w := range o.workers {
		ct, err := store.NewCloudTrailWriter(st, run, strconv.Itoa(w))
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("ingest: %w", err)}
		}
		writers[w] = newIngestWriters(ct, store.NewPartitionWriter[s3log.Row](st, run, store.TableS3Access, strconv.Itoa(w)))
		if o.actors {
			writers[w].keys = newActorKeyer(seed, writers[w].member, ct.Last)
			ct.ActorKey = writers[w].keys.key
		}
		free <- writers[w]
	}
	// Actors are resolved in one serial stage (see ingest_actors.go).
	var actors *actorStage
	if o.actors {
		aw, err := store.NewActorWriter(st, run)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("ingest: %w", err)}
		}
		actors = newActorStage(aw)
	}
	// The slices that carry keyed events to the actor stage: an Event is
	// large, and a new slice per input was most of what ingest allocated.
	// They are not cleared when recycled; the strings they still hold are
	// bounded by the list.
	eventBufs := newFreeList[keyedEvent](4*o.workers, 64)
	counter := newProgress(s)
	source.Ordered(ctx, inputs, o.workers,
		func(ctx context.Context, in source.Input, send func(ingestResult)) {
			pw := <-free
			defer func() { free <- pw }()
			res := ingestInput(ctx, st, &pw.rd, in, pw, eventBufs, send)
			if k := pw.keys; k != nil && len(k.events) > 0 {
				res.events, k.events = k.events, eventBufs.get()
			}
			send(res)
		},
		func(in source.Input, res ingestResult) {
			for i := range res.events {
				actors.add(&res.events[i])
			}
			eventBufs.put(res.events)
			if res.partial {
				return
			}
			for _, e := range res.errs {
				report(e)
			}
			for _, n := range res.notices {
				notice(n)
			}
			switch {
			case res.skipped:
				skippedInputs++
			case res.info.Records > 0:
				run.Inputs = append(run.Inputs, res.info)
				records += res.info.Records
			}
			counter.update(1, records, 0)
		},
		func(source.Input) {})
	counter.done()

	// Finishing the files (last row groups, footers, fsync) runs in
	// parallel, one goroutine per writer, beside the held actors.
	closers := []interface {
		Close() error
		AddTo(*store.Run)
	}{}
	for _, w := range writers {
		closers = append(closers, w.ct, w.s3)
	}
	closeErrs := make([]error, len(closers)+1)
	var closing sync.WaitGroup
	for i, c := range closers {
		closing.Go(func() { closeErrs[i] = c.Close() })
	}
	if actors != nil {
		closeErrs[len(closers)] = actors.finish()
	}
	closing.Wait()
	for _, c := range closers {
		c.AddTo(run)
	}
	if actors != nil {
		actors.w.AddTo(run)
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
		records, len(run.Inputs), len(run.Files[store.TableCloudTrail])+len(run.Files[store.TableS3Access]), o.store, skippedInputs, inputErrs)
	if n := run.Rows[store.TableS3Access]; n > 0 {
		fmt.Fprintf(s.Out, "  of which %d S3 server access log records (table s3_access_logs)\n", n)
	}
	if actors != nil && actors.forced > 0 {
		fmt.Fprintf(errw, "trailwatch: ingest: %d actors were resolved before the whole input was read (more than %d principals with access keys waited); their chains may be incomplete\n", actors.forced, maxHeldActors)
	}
	if inputErrs > 0 {
		return &exitError{code: exitError2, err: fmt.Errorf("ingest: %d input error(s); the errors above name what was skipped", inputErrs)}
	}
	return nil
}

// ingestInput converts one input. An input whose size and hash the store
// holds is skipped; otherwise its records go to pw and its hash is
// computed while it is read.
// ingestS3Log converts an S3 server access log; bad lines are reported
// and skipped.
func ingestS3Log(ctx context.Context, r io.Reader, in source.Input, w *store.PartitionWriter[s3log.Row], res *ingestResult) {
	lr := s3log.NewReader(r, in.Name)
	var row s3log.Row
	for ctx.Err() == nil {
		err := lr.Next(&row)
		if err == io.EOF {
			return
		}
		var le *s3log.LineError
		if errors.As(err, &le) {
			res.errs = append(res.errs, err)
			if strings.Contains(le.Err.Error(), "longer than") {
				return
			}
			continue
		}
		if err != nil {
			res.errs = append(res.errs, err)
			return
		}
		p := store.Partition{Bucket: row.BucketName, Date: "unknown"}
		if t, err := row.Time(); err == nil {
			p.Date = t.UTC().Format(time.DateOnly)
		}
		p.Bucket = store.Partition{Account: p.Bucket}.Clean().Account
		if err := w.Write(p, row); err != nil {
			res.errs = append(res.errs, err)
			return
		}
		res.info.Records++
	}
}

// ingestWriters are one worker's writers, one per table.
type ingestWriters struct {
	ct *store.CloudTrailWriter
	s3 *store.PartitionWriter[s3log.Row]
	br *bufio.Reader // reused to look at each input's first bytes
	rd cloudtrail.Reader
	// member gives the members of the record ct took last, by index into
	// identity.MemberKeys.
	member func(i int) []byte
	keys   *actorKeyer // nil without actors
}

// newIngestWriters returns a worker's writers.
func newIngestWriters(ct *store.CloudTrailWriter, s3 *store.PartitionWriter[s3log.Row]) *ingestWriters {
	var at [len(identity.MemberKeys)]int
	for i, k := range identity.MemberKeys {
		at[i] = ct.MemberIndex(k)
	}
	return &ingestWriters{ct: ct, s3: s3, member: func(i int) []byte { return ct.MemberAt(at[i]) }}
}

// maxFetchedObject bounds an S3 object ingest reads into memory
// (CloudTrail delivery files are a few MiB at most).
const maxFetchedObject = 256 << 20

func ingestInput(ctx context.Context, st *store.Store, rd *cloudtrail.Reader, in source.Input, w *ingestWriters,
	bufs freeList[keyedEvent], send func(ingestResult)) ingestResult {
	res := ingestResult{info: store.InputInfo{Name: in.Name}}
	var fetched []byte // a remote object read whole, to know its hash before ingesting it
	switch {
	case in.Local():
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
	case in.Name != "-":
		// An S3 object: read it whole (delivery files are small) so that
		// one already in the store is skipped before anything is written.
		rc, err := in.Open()
		if err != nil {
			res.errs = append(res.errs, err)
			return res
		}
		fetched, err = io.ReadAll(io.LimitReader(rc, maxFetchedObject+1))
		rc.Close()
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("read %s: %w", in.Name, err))
			return res
		}
		if len(fetched) > maxFetchedObject {
			res.errs = append(res.errs, fmt.Errorf("read %s: larger than %d MiB; copy it locally to ingest it", in.Name, maxFetchedObject>>20))
			return res
		}
		sum := sha256.Sum256(fetched)
		if st.Has(int64(len(fetched)), hex.EncodeToString(sum[:])) {
			res.skipped = true
			return res
		}
	}
	var rc io.ReadCloser
	if fetched != nil {
		rc = io.NopCloser(bytes.NewReader(fetched))
	} else {
		var err error
		if rc, err = in.Open(); err != nil {
			res.errs = append(res.errs, err)
			return res
		}
	}
	defer rc.Close()
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(rc, h)}
	// S3 server access logs are recognised by content, whatever the name.
	rd.WholeGzip = in.Name != "-" // files: decompressed at once, read in place
	plain, err := rd.Open(counted)
	if err != nil {
		res.errs = append(res.errs, fmt.Errorf("read %s: %w", in.Name, err))
		return res
	}
	var dec *cloudtrail.Decoder
	if whole, ok := rd.Whole(); ok {
		if s3log.Detect(whole[:min(len(whole), 4096)]) {
			ingestS3Log(ctx, plain, in, w.s3, &res)
			io.Copy(io.Discard, counted)
			res.info.SHA256 = hex.EncodeToString(h.Sum(nil))
			if !in.Local() {
				res.info.Size = counted.n
			}
			return res
		}
		dec = rd.DecoderBytes(whole, in.Name)
	} else {
		if w.br == nil {
			// Not NewReaderSize(plain): for a plain input that returns rd's
			// own reader, which the next gzipped input would then read from
			// itself.
			w.br = bufio.NewReaderSize(nil, 64<<10)
		}
		w.br.Reset(plain)
		br := w.br
		head, _ := br.Peek(4096)
		if s3log.Detect(head) {
			ingestS3Log(ctx, br, in, w.s3, &res)
			io.Copy(io.Discard, counted)
			io.Copy(io.Discard, counted)
			res.info.SHA256 = hex.EncodeToString(h.Sum(nil))
			if !in.Local() {
				res.info.Size = counted.n
			}
			return res
		}
		dec = rd.DecoderPlain(br, in.Name)
	}
	var writeErr error
	// Records of delivery files are written from their text as the decoder
	// finds them (no parse tree); what the writer does not take is parsed
	// and written from the tree.
	dec.Accept = func(b []byte) int {
		n, err := w.ct.WriteRaw(b)
		if err != nil {
			writeErr = err
		}
		return n
	}
	pipeline.EachDecoded(ctx, dec, in, func() (*[]string, *[]error) { return &res.notices, &res.errs }, func(rec *cloudtrail.Record) bool {
		if writeErr != nil {
			return false
		}
		if rec.JSON != nil {
			if writeErr = w.ct.Write(rec.JSON); writeErr != nil {
				return false
			}
		}
		res.info.Records++
		if k := w.keys; k != nil && len(k.events) >= ingestEventBatch {
			send(ingestResult{events: k.events, partial: true})
			k.events = bufs.get()
		}
		return true
	})
	if writeErr != nil {
		res.errs = append(res.errs, writeErr)
		return res
	}
	io.Copy(io.Discard, counted) // hash what the decoder left unread
	res.info.SHA256 = hex.EncodeToString(h.Sum(nil))
	if !in.Local() {
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
