package store

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

// recordBatch is how many records a partition's column values hold before
// they go to the Parquet column writers.
const recordBatch = 256

// CloudTrailWriter writes parsed CloudTrail records to the cloudtrail table,
// one Parquet file per partition (see PartitionWriter), straight into the
// columns: the rows are those RowFromJSON makes, without building them.
// One goroutine uses it.
type CloudTrailWriter struct {
	pw   *PartitionWriter[CloudTrailRow]
	plan *node
	pc   partitionCache
	// top resolves a record's top-level keys once, for its partition and
	// its row; key* are the indexes of the partition's keys there.
	top                                         *shredder
	keyAccount, keyIdentity, keyRegion, keyTime int
	// raw shreds records from their text into a one-row shredder; col*
	// are the columns WriteRaw reads back from it.
	raw                                                                       rawShredder
	colEventSource, colRecipient, colIdentityAccount, colRegion, colEventTime int
	// staging holds a record on its way to its file; last is the file
	// (of partition lastP) the previous record went to.
	staging *shredder
	last    *partFile[CloudTrailRow]
	lastP   Partition
	colKey  int // the actorkey column
	// ActorKey, when set, gives each record's actorkey column (false:
	// NULL). It is called once for each record the writer takes, before
	// the record can be flushed: for WriteRaw with v nil, when MemberAt
	// gives the record's members; for Write with the record.
	ActorKey func(v *fastjson.Value) (int64, bool)
}

// actorKeyColumn is the column of CloudTrailRow.ActorKey.
const actorKeyColumn = "actorkey"

// addKey appends the record's actorkey to sh, the shredder its other
// values went to.
func (w *CloudTrailWriter) addKey(sh *shredder, v *fastjson.Value) {
	var kv parquet.Value
	if w.ActorKey != nil {
		if k, ok := w.ActorKey(v); ok {
			kv = parquet.Int64Value(k).Level(0, 1, w.colKey)
		}
	}
	kv.SetColumnIndex(w.colKey)
	sh.cols[w.colKey] = append(sh.cols[w.colKey], kv)
}

// NewCloudTrailWriter returns a writer whose files are named after the run
// and name (e.g. the worker number).
func NewCloudTrailWriter(s *Store, run *Run, name string) (*CloudTrailWriter, error) {
	plan := cloudTrailPlan()
	schema := parquet.SchemaOf(CloudTrailRow{})
	if err := compilePlan(plan, schema); err != nil {
		return nil, err
	}
	pw := NewPartitionWriter[CloudTrailRow](s, run, TableCloudTrail, name)
	pw.columnar = true
	// Min/max bounds prune row groups and pages only on a column whose
	// values are clustered in the file: eventtime, as records come in time
	// order. On any other column every row group spans nearly all values,
	// so their bounds would only cost time (docs/store.md).
	for _, path := range schema.Columns() {
		if len(path) != 1 || path[0] != "eventtime" {
			pw.options = append(pw.options, parquet.SkipPageBounds(path...))
		}
	}
	col := func(path ...string) int { l, _ := schema.Lookup(path...); return l.ColumnIndex }
	return &CloudTrailWriter{pw: pw, plan: plan, top: newShredder(0), keyAccount: plan.index["recipientAccountId"],
		keyIdentity: plan.index["userIdentity"], keyRegion: plan.index["awsRegion"], keyTime: plan.index["eventTime"],
		staging:        newShredder(len(schema.Columns())),
		colEventSource: col("eventsource"), colRecipient: col("recipientaccountid"), colIdentityAccount: col("useridentity", "accountid"),
		colRegion: col("awsregion"), colEventTime: col("eventtime"), colKey: col(actorKeyColumn)}, nil
}

// Write adds one record, a JSON object, to its partition (the one
// RowFromJSON returns). The writer keeps no reference to v.
func (w *CloudTrailWriter) Write(v *fastjson.Value) error {
	var vals []*fastjson.Value
	var p Partition
	if o, err := v.Object(); err == nil {
		vals = w.top.children(w.plan, o)
		p = w.pc.partition(vals[w.keyAccount], vals[w.keyIdentity], vals[w.keyRegion], vals[w.keyTime])
	} else {
		p = w.pc.partition(nil, nil, nil, nil) // not an object: a row of NULLs
	}
	pf, err := w.pw.file(p)
	if err != nil {
		return err
	}
	if vals != nil {
		pf.sh.addChildren(w.plan, vals)
	} else {
		pf.sh.add(w.plan, v)
	}
	w.addKey(pf.sh, v)
	if pf.sh.rows < recordBatch {
		return nil
	}
	return w.pw.batched(pf, pf.sh.rows)
}

// WriteRaw adds the record whose compact JSON text starts b (as the
// Decoder offers it, see cloudtrail.Decoder.Accept), shredding it without a
// parse tree, and returns its length. It returns 0, having written nothing,
// when the text is not one it takes (not strictly valid compact JSON, or
// not a CloudTrail record); the caller then parses the record and uses
// Write, and the parser names any error. The writer keeps no reference to
// b.
func (w *CloudTrailWriter) WriteRaw(b []byte) (int, error) {
	// The records of a file mostly share a partition: a record goes
	// straight into the file of the one before, and moves if its own
	// partition differs.
	sh := w.staging
	if w.last != nil && !w.last.done {
		sh = w.last.sh
	}
	n := w.raw.add(sh, w.plan, b)
	if n == 0 {
		return 0, nil
	}
	text := func(col int) []byte {
		if v := sh.cols[col][w.raw.lens[col]]; !v.IsNull() {
			return v.ByteArray()
		}
		return nil
	}
	top := w.raw.top
	has := func(key string) bool { i, ok := w.plan.index[key]; return ok && top&(1<<i) != 0 }
	if !cloudtrail.LooksLikeRecord(has, text(w.colEventSource)) {
		w.raw.undo()
		sh.rows--
		return 0, nil
	}
	account := text(w.colRecipient)
	if len(account) == 0 {
		account = text(w.colIdentityAccount)
	}
	p := w.pc.partitionText(account, text(w.colRegion), text(w.colEventTime))
	pf := w.last
	if sh == w.staging || p != w.lastP {
		if sh != w.staging {
			// Out of the previous file first: file(p) may finish it.
			w.raw.moveTo(w.staging)
			w.raw.s, w.raw.lens = w.staging, [64]int{}
		}
		var err error
		if pf, err = w.pw.file(p); err != nil {
			w.raw.undo()
			w.staging.rows = 0
			return n, err
		}
		w.raw.moveTo(pf.sh)
		w.last, w.lastP = pf, p
	} else {
		w.pw.touch(pf)
	}
	// After the moves: they copy byte values only.
	w.addKey(pf.sh, nil)
	if pf.sh.rows < recordBatch {
		return n, nil
	}
	return n, w.pw.batched(pf, pf.sh.rows)
}

// Member returns the JSON text of the top-level member key of the record
// WriteRaw took last, or nil when it has none or key is not a column's.
// It is valid as long as that record's text is.
func (w *CloudTrailWriter) Member(key string) []byte { return w.MemberAt(w.MemberIndex(key)) }

// MemberIndex is the index MemberAt knows the top-level member key by, or
// -1 when key is not a column's.
func (w *CloudTrailWriter) MemberIndex(key string) int {
	if i, ok := w.plan.index[key]; ok {
		return i
	}
	return -1
}

// MemberAt is Member of the key whose MemberIndex is i, without looking
// the key up.
func (w *CloudTrailWriter) MemberAt(i int) []byte {
	if i < 0 || w.raw.top&(1<<i) == 0 || w.raw.last == nil {
		return nil
	}
	sp := w.raw.spans[i]
	return w.raw.last[sp[0]:sp[1]]
}

// Last is the text of the record WriteRaw took last; valid as long as
// that record's text is.
func (w *CloudTrailWriter) Last() []byte { return w.raw.last }

// Close finishes every file (see PartitionWriter.Close).
func (w *CloudTrailWriter) Close() error { return w.pw.Close() }

// AddTo records the finished files in the run (see PartitionWriter.AddTo).
func (w *CloudTrailWriter) AddTo(run *Run) { w.pw.AddTo(run) }

// ActorWriter writes the actors table of a run: one file, rows in the
// order given. One goroutine uses it.
type ActorWriter struct {
	storeFile
	w    *parquet.GenericWriter[ActorRow]
	rows int
}

// NewActorWriter starts the run's actors file.
func NewActorWriter(s *Store, run *Run) (*ActorWriter, error) {
	sf, err := createFile(s, filepath.Join(TableActors, run.ID+".parquet"))
	if err != nil {
		return nil, err
	}
	w := parquet.NewGenericWriter[ActorRow](sf.buf, parquet.Compression(fastSnappy{}), parquet.DataPageStatistics(false))
	return &ActorWriter{storeFile: sf, w: w}, nil
}

// Write adds rows.
func (w *ActorWriter) Write(rows []ActorRow) error {
	if _, err := w.w.Write(rows); err != nil {
		return fmt.Errorf("write %s: %w", w.rel, err)
	}
	w.rows += len(rows)
	return nil
}

// Close finishes the file and syncs it.
func (w *ActorWriter) Close() error { return w.finish(w.w) }

// AddTo records the file in the run.
func (w *ActorWriter) AddTo(run *Run) { run.AddFile(TableActors, w.rel, w.rows) }

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

// partition is the partition RowFromJSON gives a record whose
// recipientAccountId, userIdentity, awsRegion and eventTime are those.
func (c *partitionCache) partition(recipient, identity, region, eventTime *fastjson.Value) Partition {
	c.scratch = c.scratch[:0]
	account := c.text(recipient)
	if len(account) == 0 && identity != nil && identity.Type() == fastjson.TypeObject {
		account = c.text(identity.Get("accountId"))
	}
	return c.partitionText(account, c.text(region), c.text(eventTime))
}

// partitionText is the partition of a record whose account (its
// recipientAccountId, else userIdentity.accountId), awsRegion and eventTime
// have these texts.
func (c *partitionCache) partitionText(account, region, eventTime []byte) Partition {
	if !bytes.Equal(account, c.account) || c.p.Account == "" {
		c.account = append(c.account[:0], account...)
		c.p.Account = partitionValue(string(account))
	}
	if !bytes.Equal(region, c.region) || c.p.Region == "" {
		c.region = append(c.region[:0], region...)
		c.p.Region = partitionValue(string(region))
	}
	t, err := time.Parse(time.RFC3339Nano, string(eventTime))
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
