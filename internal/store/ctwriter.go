package store

import (
	"bytes"
	"fmt"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/valyala/fastjson"
)

// recordBatch is how many records a partition's column values hold before
// they go to the Parquet column writers.
const recordBatch = 256

// CloudTrailWriter writes parsed CloudTrail records to the cloudtrail table,
// one Parquet file per partition (see PartitionWriter), straight into the
// columns: the rows are those RowFromJSON makes, without building them.
// One goroutine uses it.
type CloudTrailWriter struct {
	pw *PartitionWriter[CloudTrailRow]
	pc partitionCache
}

// NewCloudTrailWriter returns a writer whose files are named after the run
// and name (e.g. the worker number).
func NewCloudTrailWriter(s *Store, run *Run, name string) (*CloudTrailWriter, error) {
	plan := cloudTrailPlan()
	if err := compilePlan(plan, parquet.SchemaOf(CloudTrailRow{})); err != nil {
		return nil, err
	}
	pw := NewPartitionWriter[CloudTrailRow](s, run, TableCloudTrail, name)
	pw.columns = plan
	return &CloudTrailWriter{pw: pw}, nil
}

// Write adds one record, a JSON object, to its partition (the one
// RowFromJSON returns). The writer keeps no reference to v.
func (w *CloudTrailWriter) Write(v *fastjson.Value) error {
	pf, err := w.pw.file(w.pc.partition(v))
	if err != nil {
		return err
	}
	pf.sh.add(v)
	if pf.sh.rows < recordBatch {
		return nil
	}
	return w.pw.batched(pf, pf.sh.rows)
}

// Close finishes every file (see PartitionWriter.Close).
func (w *CloudTrailWriter) Close() error { return w.pw.Close() }

// AddTo records the finished files in the run (see PartitionWriter.AddTo).
func (w *CloudTrailWriter) AddTo(run *Run) { w.pw.AddTo(run) }

// flushColumns writes the batched column values of a record writer.
func (pf *partFile[T]) flushColumns() error {
	sh := pf.sh
	if sh.rows == 0 {
		return nil
	}
	for i, cw := range pf.w.ColumnWriters() {
		if _, err := cw.WriteRowValues(sh.cols[i]); err != nil {
			return fmt.Errorf("write %s: %w", pf.rel, err)
		}
	}
	pf.n += sh.rows
	pf.pending += sh.rows
	sh.reset()
	return nil
}

// partitionCache computes record partitions, reusing the cleaned strings
// of the previous record when its values are the same.
type partitionCache struct {
	account, region []byte // raw values of p
	y, m, d         int
	p               Partition
	scratch         []byte
}

// partition is the partition RowFromJSON gives v.
func (c *partitionCache) partition(v *fastjson.Value) Partition {
	c.scratch = c.scratch[:0]
	account := c.text(v.Get("recipientAccountId"))
	if len(account) == 0 {
		if u := v.Get("userIdentity"); u != nil && u.Type() == fastjson.TypeObject {
			account = c.text(u.Get("accountId"))
		}
	}
	if !bytes.Equal(account, c.account) || c.p.Account == "" {
		c.account = append(c.account[:0], account...)
		c.p.Account = partitionValue(string(account))
	}
	region := c.text(v.Get("awsRegion"))
	if !bytes.Equal(region, c.region) || c.p.Region == "" {
		c.region = append(c.region[:0], region...)
		c.p.Region = partitionValue(string(region))
	}
	t, err := time.Parse(time.RFC3339Nano, string(c.text(v.Get("eventTime"))))
	switch {
	case err != nil:
		c.p.Date, c.y = "unknown", 0
	default:
		t = t.UTC()
		if y, m, d := t.Date(); y != c.y || int(m) != c.m || d != c.d || c.p.Date == "unknown" || c.p.Date == "" {
			c.y, c.m, c.d = y, int(m), d
			c.p.Date = t.Format(time.DateOnly)
		}
	}
	return c.p
}

// text is the bytes of text(v); valid until the next partition call.
func (c *partitionCache) text(v *fastjson.Value) []byte {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return b
	}
	start := len(c.scratch)
	c.scratch = v.MarshalTo(c.scratch)
	return c.scratch[start:]
}

// fastSnappy is Parquet's SNAPPY codec with the faster of the Snappy
// encoders of klauspost/compress (s2.EncodeSnappy; parquet-go's codec uses
// the slower, slightly denser EncodeSnappyBetter). Any Snappy decoder
// reads its output.
type fastSnappy struct{}

func (fastSnappy) String() string                            { return "SNAPPY" }
func (fastSnappy) CompressionCodec() format.CompressionCodec { return format.Snappy }
func (fastSnappy) Encode(dst, src []byte) ([]byte, error)    { return s2.EncodeSnappy(dst, src), nil }
func (fastSnappy) Decode(dst, src []byte) ([]byte, error)    { return s2.Decode(dst, src) }
