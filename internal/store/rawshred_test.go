package store

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

const rawBefore = `{"eventName":"Before","eventVersion":"1","resources":[{"ARN":"a"}]}`

// shredBoth shreds text twice with the raw scanner and, when it takes it,
// with the tree walk, and returns the first difference. taken reports whether
// the raw scanner took the text.
func shredBoth(t testing.TB, text []byte) (taken bool, err error) {
	plan := cloudTrailPlan()
	schema := parquet.SchemaOf(CloudTrailRow{})
	if err := compilePlan(plan, schema); err != nil {
		t.Fatal(err)
	}
	n := len(schema.Columns())
	var raw rawShredder
	sh := newShredder(n)
	// a row already there must stay as it is when a record is refused
	if raw.add(sh, plan, []byte(rawBefore)) != len(rawBefore) {
		t.Fatal("raw scanner refused the first record")
	}
	before := make([]int, n)
	for c := range n {
		before[c] = len(raw.s.cols[c])
	}
	size := raw.add(sh, plan, text)
	taken = size > 0
	text = text[:size]
	if !taken {
		for c := range n {
			if len(raw.s.cols[c]) != before[c] {
				return false, fmt.Errorf("refused record left values in column %d", c)
			}
		}
		return false, nil
	}
	// Again: the groups' values now come from the memo (rawmemo.go).
	if again := raw.add(sh, plan, text); again != size {
		return true, fmt.Errorf("raw scanner took %d bytes, then %d", size, again)
	}
	var p fastjson.Parser
	v, perr := p.ParseBytes(text)
	if perr != nil {
		return true, fmt.Errorf("raw scanner took text fastjson refuses: %v", perr)
	}
	if v.Type() != fastjson.TypeObject {
		return true, fmt.Errorf("raw scanner took a %s", v.Type())
	}
	dom := newShredder(n)
	dom.add(plan, fastjson.MustParse(rawBefore))
	dom.add(plan, v)
	dom.add(plan, v)
	return true, sameColumns(raw.s, dom)
}

// sameColumns returns the first difference between the column values of
// a text scan and of a tree walk.
func sameColumns(raw, dom *shredder) error {
	for c := range raw.cols {
		a, b := raw.cols[c], dom.cols[c]
		if len(a) != len(b) {
			return fmt.Errorf("column %d: %d values, tree walk %d", c, len(a), len(b))
		}
		for i := range a {
			x, y := a[i], b[i]
			if x.IsNull() != y.IsNull() || x.RepetitionLevel() != y.RepetitionLevel() || x.DefinitionLevel() != y.DefinitionLevel() ||
				x.Column() != y.Column() || !bytes.Equal(x.ByteArray(), y.ByteArray()) {
				return fmt.Errorf("column %d value %d: %v (r%d d%d) vs tree walk %v (r%d d%d)", c, i,
					x, x.RepetitionLevel(), x.DefinitionLevel(), y, y.RepetitionLevel(), y.DefinitionLevel())
			}
		}
	}
	if raw.rows != dom.rows {
		return fmt.Errorf("%d rows, tree walk %d", raw.rows, dom.rows)
	}
	return nil
}

// rawRecords are the compact texts of the edge records and of every record
// of the repository's test data.
func rawRecords(t testing.TB) [][]byte {
	var out [][]byte
	for _, r := range edgeRecords {
		out = append(out, fastjson.MustParse(r).MarshalTo(nil))
	}
	root := filepath.Join("..", "..", "testdata")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".json.gz")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil
			}
			if b, err = io.ReadAll(zr); err != nil {
				return nil
			}
		}
		v, err := fastjson.ParseBytes(b)
		if err != nil {
			return nil
		}
		for _, r := range v.GetArray("Records") {
			out = append(out, r.MarshalTo(nil))
		}
		return nil
	})
	return out
}

// TestRawShredderMatchesTreeWalk: shredding a record from its text gives
// the column values of the tree walk, on edge cases and on every record of
// the test data; text it refuses leaves the columns as they were.
func TestRawShredderMatchesTreeWalk(t *testing.T) {
	recs := rawRecords(t)
	recs = append(recs,
		[]byte(`{"eventName":"Esc","userAgent":"a\"b\\c\u00e9","errorMessage":"","eventTime":"\u0032024-01-01T00:00:00Z"}`),
		[]byte(`{"eventName":"Dup","userIdentity":{"type":"A","type":"B","sessionContext":{"webIdFederationData":{"attributes":{"k":"1","j":2,"k":"3","n":null,"e":"\n"}}}}}`),
		[]byte(`{"eventName":"Nums","requestParameters":-0.5e+10,"responseElements":[true,false,null,{}],"readOnly":false,"eventVersion":null}`),
		[]byte(`{"eventName":"List","resources":[{"ARN":"x","ARN":"y"},[],"s",{"type":{"a":[1]}}],"tlsDetails":null,"addendum":[]}`),
	)
	taken := 0
	for _, r := range recs {
		ok, err := shredBoth(t, r)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if ok || r[0] != '{' { // edgeRecords ends with an array
			taken++
		}
	}
	// Every test record is valid compact JSON the scanner must take.
	if taken != len(recs) {
		t.Errorf("raw scanner took %d of %d records", taken, len(recs))
	}
	for _, r := range []string{
		`{"eventName":"x"`, `{"eventName":"x",}`, `{"eventName":tru}`, `{"eventName":01}`, `{"eventName":1.}`, `{"a":"b" }`,
		`{"\u0065ventName":"x"}`, `{"eventName":"a
b"}`, `{"resources":[{"ARN":"x"},]}`, `{"eventName":"x","requestParameters":{"a":[1,2}}`,
		`{"userIdentity":{"sessionContext":{"webIdFederationData":{"attributes":{"a":}}}}}`, strings.Repeat(`{"a":`, 300),
	} {
		ok, err := shredBoth(t, []byte(r))
		if err != nil || ok {
			t.Errorf("%.60s: taken %v, %v; want refused", r, ok, err)
		}
	}
	// The Decoder offers a record followed by the rest of its input.
	plan := cloudTrailPlan()
	if err := compilePlan(plan, parquet.SchemaOf(CloudTrailRow{})); err != nil {
		t.Fatal(err)
	}
	var raw rawShredder
	sh := newShredder(len(parquet.SchemaOf(CloudTrailRow{}).Columns()))
	if n := raw.add(sh, plan, []byte(`{"eventName":"x","a":"}"},{"eventName":"y"}]}`)); n != len(`{"eventName":"x","a":"}"}`) {
		t.Errorf("record length %d", n)
	}
}

// TestRawShredderKeyOrders: records whose keys come in changing orders,
// with keys not in the plan, an empty key and keys of other objects, read
// one after another through one shredder (so through its key-order
// guesses), give the values of the tree walk.
func TestRawShredderKeyOrders(t *testing.T) {
	recs := []string{
		`{"":"first","eventVersion":"0","userIdentity":{"":"first"}}`,
		`{"eventVersion":"1","eventName":"A","userIdentity":{"type":"IAMUser","arn":"a1"},"awsRegion":"r1"}`,
		`{"eventName":"B","eventVersion":"2","userIdentity":{"arn":"a2","type":"AssumedRole"},"awsRegion":"r2"}`,
		`{"eventVersion":"3","managementEvent":true,"eventName":"C","userIdentity":{"type":"Root"},"awsRegion":"r3"}`,
		`{"eventVersion":"4","eventName":"D","userIdentity":{"type":"IAMUser","arn":"a4"},"awsRegion":"r4"}`,
		`{"eventVersion":"5","":"empty","eventName":"E","userIdentity":{"":"x","type":"T5"},"awsRegion":"r5"}`,
		`{"":"empty","eventVersion":"6","eventName":"F","arn":"top","userIdentity":{"eventName":"inner","arn":"a6"}}`,
		`{"eventVersion":"7","eventName":"G","userIdentity":{"type":"IAMUser","arn":"a7"},"awsRegion":"r7"}`,
		`{"awsRegion":"r8","userIdentity":{"arn":"a8","type":"IAMUser"},"eventName":"H","eventVersion":"8"}`,
		`{"eventVersion":"9","eventName":"I","eventName":"dup","userIdentity":{"type":"IAMUser","arn":"a9"},"awsRegion":"r9"}`,
		`{"eventVersion":"10","eventName":"J","userIdentity":{"type":"IAMUser","arn":"a10"},"awsRegion":"r10"}`,
	}
	plan := cloudTrailPlan()
	schema := parquet.SchemaOf(CloudTrailRow{})
	if err := compilePlan(plan, schema); err != nil {
		t.Fatal(err)
	}
	var raw rawShredder
	sh, dom := newShredder(len(schema.Columns())), newShredder(len(schema.Columns()))
	for round := range 3 { // the guesses differ on each round
		for i, r := range recs {
			if raw.add(sh, plan, []byte(r)) != len(r) {
				t.Fatalf("round %d: raw scanner refused %s", round, r)
			}
			dom.add(plan, fastjson.MustParse(r))
			if err := sameColumns(sh, dom); err != nil {
				t.Fatalf("round %d, after record %d: %v", round, i, err)
			}
		}
		slices.Reverse(recs)
	}
}

// FuzzRawShredder: whatever text the raw scanner takes, fastjson parses,
// and the tree walk gives the same column values.
func FuzzRawShredder(f *testing.F) {
	for _, r := range rawRecords(f) {
		f.Add(r)
	}
	f.Add([]byte(`{"eventName":"Esc","userAgent":"a\"b\\c\u00e9\ud83d\ude00","resources":[{"ARN":"x"},1]}`))
	f.Fuzz(func(t *testing.T, text []byte) {
		if _, err := shredBoth(t, text); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
	})
}

// BenchmarkShred compares shredding the test data's records from their
// text with parsing them and walking the tree (values only, no Parquet).
func BenchmarkShred(b *testing.B) {
	recs := rawRecords(b)[len(edgeRecords):]
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	plan := cloudTrailPlan()
	schema := parquet.SchemaOf(CloudTrailRow{})
	if err := compilePlan(plan, schema); err != nil {
		b.Fatal(err)
	}
	b.Run("text", func(b *testing.B) {
		sh := newShredder(len(schema.Columns()))
		var raw rawShredder
		b.SetBytes(int64(size))
		for b.Loop() {
			for _, r := range recs {
				if raw.add(sh, plan, r) == 0 {
					b.Fatal("refused")
				}
			}
			sh.reset()
		}
	})
	b.Run("tree", func(b *testing.B) {
		sh := newShredder(len(schema.Columns()))
		var p fastjson.Parser
		b.SetBytes(int64(size))
		for b.Loop() {
			for _, r := range recs {
				v, err := p.ParseBytes(r)
				if err != nil {
					b.Fatal(err)
				}
				sh.add(plan, v)
			}
			sh.reset()
		}
	})
}

// decodeAll decodes a delivery file, with the writer's Accept hook when
// raw is set, and returns what came out: per record its index and whether
// it was taken from its text, then each error.
func decodeAll(t testing.TB, w *CloudTrailWriter, doc []byte, raw bool) []string {
	var out []string
	dec := cloudtrail.NewDecoder(bytes.NewReader(nil), "f")
	dec.ResetBytes(doc, "f")
	if raw {
		dec.Accept = func(b []byte) int {
			n, err := w.WriteRaw(b)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	for range 10000 {
		rec, err := dec.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			out = append(out, err.Error())
			var de *cloudtrail.DecodeError
			if errors.As(err, &de) && de.Fatal {
				return out
			}
			continue
		}
		if rec.JSON != nil {
			if err := w.Write(rec.JSON); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, fmt.Sprintf("record %d at %d: %s", rec.Index, rec.Offset, rec.Raw))
	}
	return out
}

// FuzzDecoderAccept: a delivery file decodes to the same records, with the
// same text, and the same errors, whether or not the writer takes records
// from their text.
func FuzzDecoderAccept(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventVersion":"1","eventName":"A"},{"eventName":"B","x":tru},{"eventName":"C", "d":1},{"eventSource":"aws:s3","eventName":"D","eventVersion":"2"}]}`))
	f.Add([]byte(`{"Records":[{"eventName":"A","eventVersion":"1","u":"a\nb"},{"eventName":"E"}`))
	f.Add([]byte(`{"Records":[{"eventName":"A","eventVersion":"1"}],"x":1}`))
	for _, r := range rawRecords(f)[:20] {
		f.Add(append(append([]byte(`{"Records":[`), r...), "]}"...))
	}
	st, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	run, err := st.Begin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		w, err := NewCloudTrailWriter(st, run, "0")
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		parsed := decodeAll(t, w, doc, false)
		taken := decodeAll(t, w, doc, true)
		if !slices.Equal(parsed, taken) {
			t.Fatalf("%q:\nparsed %q\ntaken  %q", doc, parsed, taken)
		}
	})
}
