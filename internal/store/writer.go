package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

const (
	// rowBatch is how many rows a partition buffers before handing them
	// to the Parquet writer (which encodes column by column).
	rowBatch = 1024
	// rowGroupRows bounds a row group, which the Parquet writer keeps in
	// memory until it is full.
	rowGroupRows = 32 * 1024
	// pendingRows bounds the rows a writer holds in unfinished row groups
	// across its open files; past it the largest row group is finished
	// early. With inputs in time order every partition is open at once.
	// A pending row costs about its compressed size (~200 bytes), far
	// less than an open file's column buffers; a low bound only made row
	// groups small (2K rows over 27 partitions at 64K).
	pendingRows = 256 * 1024
	// openPartitions bounds the files a writer keeps open; the least
	// recently written is finished when another is needed. Inputs walked
	// in the delivery layout come partition by partition, so files are
	// rarely split; in time order, an ingest of many accounts and regions
	// keeps them all open and pendingRows bounds the memory.
	openPartitions = 64
	// idleRows: a partition's first file that got none of the last
	// idleRows rows of its writer is finished then, freeing its buffers:
	// inputs walked in the delivery layout finish a partition and do not
	// come back to it, and in time order a day's partitions go idle when
	// the next day starts. A partition that comes back after all keeps
	// its second file open, so that a sparse one is not split into many
	// small files.
	idleRows = 32 * 1024
)

// PartitionWriter writes rows of one table to one Parquet file per
// partition, under a run's temporary area. One goroutine uses it; an ingest
// has one per worker, each with its own file names.
type PartitionWriter[T any] struct {
	store *Store
	run   *Run
	table string
	name  string // distinguishes this writer's files within the run
	parts map[Partition]*partFile[T]
	seq   int               // rows written, for recency
	swept int               // seq when idle files were last looked for
	files map[Partition]int // files started per partition
	errs  []error           // from files finished early
	// finished files, added to the run by AddTo
	finished []finishedFile
	pending  int // rows in unfinished row groups of all open files
	// columnar writers (CloudTrailWriter, ActorWriter) put values
	// straight into each file's shredder; rows are not used then.
	columnar bool
	options  []parquet.WriterOption // more options for the files
}

type partFile[T any] struct {
	storeFile
	used    int // writer's seq when last written
	pending int // rows in the unfinished row group
	w       *parquet.GenericWriter[T]
	rows    []T
	sh      *shredder // instead of rows, for a writer of records (CloudTrailWriter)
	n       int
	done    bool // finished
}

// NewPartitionWriter returns a writer whose files are named after the run
// and name (e.g. the worker number).
func NewPartitionWriter[T any](s *Store, run *Run, table, name string) *PartitionWriter[T] {
	return &PartitionWriter[T]{store: s, run: run, table: table, name: name, parts: map[Partition]*partFile[T]{}, files: map[Partition]int{}}
}

// Write adds a row to partition p.
func (pw *PartitionWriter[T]) Write(p Partition, row T) error {
	pf, err := pw.file(p)
	if err != nil {
		return err
	}
	pf.rows = append(pf.rows, row)
	if len(pf.rows) < rowBatch {
		return nil
	}
	return pw.batched(pf, len(pf.rows))
}

// file returns the open file of partition p, starting one if needed, and
// marks it as the most recently written.
func (pw *PartitionWriter[T]) file(p Partition) (*partFile[T], error) {
	pf := pw.parts[p]
	if pf == nil {
		if len(pw.parts) == openPartitions {
			pw.finishOldest()
		}
		n := pw.files[p]
		pw.files[p] = n + 1
		sf, err := createFile(pw.store, filepath.Join(pw.table, filepath.FromSlash(p.Path()), fmt.Sprintf("%s-%s-%d.parquet", pw.run.ID, pw.name, n)))
		if err != nil {
			return nil, err
		}
		pf = &partFile[T]{storeFile: sf,
			w: parquet.NewGenericWriter[T](sf.buf, append([]parquet.WriterOption{parquet.Compression(fastSnappy{}), parquet.PageBufferSize(64 << 10),
				// Page headers without min/max: engines prune on the column
				// chunk statistics and the page index, which are kept.
				parquet.DataPageStatistics(false)}, pw.options...)...)}
		if pw.columnar {
			pf.sh = newShredder(len(pf.w.Schema().Columns()))
		} else {
			pf.rows = make([]T, 0, rowBatch)
		}
		pw.parts[p] = pf
	}
	pw.touch(pf)
	if pw.seq-pw.swept >= idleRows/4 {
		pw.finishIdle()
	}
	return pf, nil
}

// finishIdle finishes the first files of partitions that got none of
// the last idleRows rows.
func (pw *PartitionWriter[T]) finishIdle() {
	pw.swept = pw.seq
	for p, pf := range pw.parts {
		if pw.seq-pf.used > idleRows && pw.files[p] == 1 {
			pw.pending -= pf.pending
			if err := pw.finish(pf); err != nil {
				pw.errs = append(pw.errs, err)
			}
			delete(pw.parts, p)
		}
	}
}

// touch marks pf as the most recently written file.
func (pw *PartitionWriter[T]) touch(pf *partFile[T]) {
	pw.seq++
	pf.used = pw.seq
}

// batched hands pf's buffered rows (n of them) to the Parquet writer and
// ends row groups that are full or, across files, take too much memory.
func (pw *PartitionWriter[T]) batched(pf *partFile[T], n int) error {
	pw.pending += n
	if err := pf.flush(); err != nil {
		return err
	}
	if pf.pending >= rowGroupRows {
		return pw.endRowGroup(pf)
	}
	if pw.pending > pendingRows {
		var big *partFile[T]
		for _, x := range pw.parts {
			if big == nil || x.pending > big.pending {
				big = x
			}
		}
		return pw.endRowGroup(big)
	}
	return nil
}

// endRowGroup writes the unfinished row group of pf to its file.
func (pw *PartitionWriter[T]) endRowGroup(pf *partFile[T]) error {
	pw.pending -= pf.pending
	pf.pending = 0
	if err := pf.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", pf.rel, err)
	}
	startWriteback(pf.f)
	return nil
}

func (pf *partFile[T]) flush() error {
	if pf.sh != nil {
		return pf.flushColumns()
	}
	if len(pf.rows) == 0 {
		return nil
	}
	if _, err := pf.w.Write(pf.rows); err != nil {
		return fmt.Errorf("write %s: %w", pf.rel, err)
	}
	pf.n += len(pf.rows)
	pf.pending += len(pf.rows)
	clear(pf.rows)
	pf.rows = pf.rows[:0]
	return nil
}

// finishOldest finishes the least recently written file.
func (pw *PartitionWriter[T]) finishOldest() {
	var oldest Partition
	min := -1
	for p, pf := range pw.parts {
		if min < 0 || pf.used < min {
			oldest, min = p, pf.used
		}
	}
	pw.pending -= pw.parts[oldest].pending
	if err := pw.finish(pw.parts[oldest]); err != nil {
		pw.errs = append(pw.errs, err)
	}
	delete(pw.parts, oldest)
}

// Close finishes every file; AddTo then lists in the run the ones written
// completely.
// Writers of one run may be closed concurrently.
func (pw *PartitionWriter[T]) Close() error {
	errs := pw.errs
	for _, pf := range pw.parts {
		if err := pw.finish(pf); err != nil {
			errs = append(errs, err)
		}
	}
	pw.parts = nil
	return errors.Join(errs...)
}

// finish completes a file and adds it to the run's pending files.
func (pw *PartitionWriter[T]) finish(pf *partFile[T]) error {
	pf.done = true
	if err := pf.flush(); err != nil {
		pf.f.Close()
		return fmt.Errorf("write %s: %w", pf.rel, err)
	}
	if err := pf.finish(pf.w); err != nil {
		return err
	}
	pw.finished = append(pw.finished, finishedFile{pf.rel, pf.n})
	return nil
}

// storeFile is a file of a run being written: its path relative to the
// store, and the buffer in front of it.
type storeFile struct {
	rel string
	f   *os.File
	buf *bufio.Writer
}

// createFile creates the run's file rel in the store's temporary area.
func createFile(s *Store, rel string) (storeFile, error) {
	path := s.TempPath(rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return storeFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return storeFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	return storeFile{rel: rel, f: f, buf: bufio.NewWriterSize(f, 64<<10)}, nil
}

// finish closes w, the Parquet writer on the buffer (writing the footer),
// then flushes, syncs and closes the file.
func (sf storeFile) finish(w io.Closer) error {
	err := w.Close()
	if err == nil {
		err = sf.buf.Flush()
	}
	if err == nil {
		err = sf.f.Sync()
	}
	if cerr := sf.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", sf.rel, err)
	}
	return nil
}

type finishedFile struct {
	rel  string
	rows int
}

// AddTo records the finished files in the run. Call it after Close, from
// one goroutine at a time.
func (pw *PartitionWriter[T]) AddTo(run *Run) {
	for _, f := range pw.finished {
		run.AddFile(pw.table, f.rel, f.rows)
	}
}
