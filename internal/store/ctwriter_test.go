package store

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/valyala/fastjson"
)

// edgeRecords exercise the value rules: nulls, empty strings, non-string
// scalars and objects in STRING columns, groups that are not objects,
// resources elements that are not objects, empty arrays and maps.
var edgeRecords = []string{
	`{"eventVersion":"1.08","eventTime":"2024-07-30T23:59:59Z","eventName":"A","awsRegion":"eu-west-1","recipientAccountId":"111122223333"}`,
	`{"eventVersion":1.08,"eventTime":"2024-07-31T01:00:00+03:00","eventName":"B","awsRegion":"","userIdentity":{"type":"IAMUser","accountId":"222233334444","userName":"","onBehalfOf":{"userId":"u"}},
	  "readOnly":true,"errorCode":null,"requestParameters":{"a":[1,"x\"y",{"b":null}],"c":"\u00e9\n"},"responseElements":"","resources":[],"addendum":{"reason":"r"},"tlsDetails":"x"}`,
	`{"eventTime":"not a time","eventName":"C","userIdentity":"root","resources":[1,{"ARN":"arn:aws:s3:::b"},null,{"type":"T","accountId":42}],
	  "serviceEventDetails":[1,2],"additionalEventData":12.50,"sessionCredentialFromConsole":"true","edgeDeviceDetails":{"x":{}}}`,
	`{"eventTime":"2024-08-01T00:00:00.123456Z","eventName":"D","recipientAccountId":"../evil","awsRegion":"us east 1",
	  "userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":null,"attributes":{"mfaAuthenticated":"true"},
	  "webIdFederationData":{"federatedProvider":"p","attributes":{"aud":"a","sub":null,"n":3}}}},"recipientAccountId":"dup"}`,
	`{"eventTime":"2024-08-01T00:00:00Z","eventName":"E","userIdentity":{"sessionContext":{"webIdFederationData":{"attributes":{}}}},"vpcEndpointId":"vpce-1","eventName":"E2"}`,
	`{"eventTime":"2024-08-01T00:00:00Z","eventName":"F","userIdentity":{"sessionContext":{"webIdFederationData":{"attributes":"x"},"ec2RoleDelivery":"2.0"}}}`,
	`[1,2]`, // not an object (the Decoder never hands these on): NULLs, partition unknown
}

// TestCloudTrailWriterMatchesRows: the column writer stores, for every
// record, exactly the row and partition that RowFromJSON gives, read back
// through the CloudTrailRow schema: on edge cases and on every record of
// the repository's test data.
func TestCloudTrailWriterMatchesRows(t *testing.T) {
	// the edge records and every record of the test data (rawRecords)
	var records []string
	for _, r := range rawRecords(t) {
		records = append(records, string(r))
	}
	if len(records) < 100 {
		t.Fatalf("only %d records found under testdata", len(records))
	}

	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewCloudTrailWriter(st, run, "0")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Partition][]CloudTrailRow{}
	var p fastjson.Parser
	for i := range 3 { // enough to fill several batches
		for _, r := range records {
			v, err := p.Parse(r)
			if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			// Round 0 writes from the tree, round 1 from the text, round 2
			// alternates, so that both paths share files.
			if i == 0 || (i == 2 && len(want)%2 == 0) {
				if err := w.Write(v); err != nil {
					t.Fatal(err)
				}
			} else if n, err := w.WriteRaw(v.MarshalTo(nil)); err != nil {
				t.Fatal(err)
			} else if n == 0 && r[0] == '{' {
				t.Fatalf("WriteRaw refused %s", r)
			} else if n == 0 {
				if err := w.Write(v); err != nil {
					t.Fatal(err)
				}
			}
			v, _ = p.Parse(r) // RowFromJSON on a fresh parse: Write may unescape in place
			var row CloudTrailRow
			part := RowFromJSON(v, &row)
			if i == 0 && row.UserIdentity != nil && row.UserIdentity.SessionContext != nil &&
				row.UserIdentity.SessionContext.WebIDFederationData != nil && len(row.UserIdentity.SessionContext.WebIDFederationData.Attributes) > 1 {
				t.Logf("map with %d entries", len(row.UserIdentity.SessionContext.WebIDFederationData.Attributes))
			}
			want[part] = append(want[part], row)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[Partition][]CloudTrailRow{}
	// NULLs, which read back as "": empty values must be NULL (docs/store.md).
	nullCols := []string{"errorcode", "readonly", "errormessage", "requestparameters", "responseelements", "useragent", "recipientaccountid", "vpcendpointid"}
	nulls := map[string]int64{}
	for _, f := range w.pw.finished {
		file, err := os.Open(st.TempPath(f.rel))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := file.Stat()
		pf, err := parquet.OpenFile(file, fi.Size())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range nullCols {
			col, _ := pf.Schema().Lookup(c)
			for _, rg := range pf.RowGroups() {
				nulls[c] += rg.ColumnChunks()[col.ColumnIndex].(*parquet.FileColumnChunk).NullCount()
			}
		}
		file.Close()
	}
	for _, f := range w.pw.finished {
		rows, err := parquet.ReadFile[CloudTrailRow](st.TempPath(f.rel))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != f.rows {
			t.Errorf("%s: %d rows, recorded %d", f.rel, len(rows), f.rows)
		}
		dir := filepath.ToSlash(filepath.Dir(f.rel))
		var part Partition
		for _, kv := range strings.Split(strings.TrimPrefix(dir, TableCloudTrail+"/"), "/") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "account":
				part.Account = v
			case "region":
				part.Region = v
			case "date":
				part.Date = v
			}
		}
		got[part] = append(got[part], rows...)
	}
	if len(got) != len(want) {
		t.Errorf("%d partitions, want %d", len(got), len(want))
	}
	n := 0
	for part, rows := range want {
		g := got[part]
		if len(g) != len(rows) {
			t.Errorf("%+v: %d rows, want %d", part, len(g), len(rows))
			continue
		}
		for i := range rows {
			n++
			if !reflect.DeepEqual(normalize(g[i]), normalize(rows[i])) {
				t.Errorf("%+v row %d:\n got %+v\nwant %+v", part, i, show(g[i]), show(rows[i]))
			}
		}
	}
	t.Logf("%d records compared", n)
	for _, c := range nullCols {
		var empty int64
		for _, rows := range want {
			for _, r := range rows {
				if fieldByTag(r, c) == "" {
					empty++
				}
			}
		}
		if nulls[c] != empty {
			t.Errorf("%s: %d NULLs, want %d (one per empty value)", c, nulls[c], empty)
		}
	}
}

// fieldByTag returns the top-level string field of r with that Parquet
// column name.
func fieldByTag(r CloudTrailRow, name string) string {
	v := reflect.ValueOf(r)
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("parquet"), ","); tag == name {
			return v.Field(i).String()
		}
	}
	panic("no column " + name)
}

// normalize makes rows read back comparable with RowFromJSON's: empty maps
// and lists read back as nil.
func normalize(r CloudTrailRow) CloudTrailRow {
	if len(r.Resources) == 0 {
		r.Resources = nil
	}
	if u := r.UserIdentity; u != nil && u.SessionContext != nil && u.SessionContext.WebIDFederationData != nil &&
		len(u.SessionContext.WebIDFederationData.Attributes) == 0 {
		u.SessionContext.WebIDFederationData.Attributes = nil
	}
	return r
}

func show(r CloudTrailRow) string {
	var b strings.Builder
	v := reflect.ValueOf(r)
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				b.WriteString(prefix + "=nil ")
				return
			}
			walk(prefix, v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				walk(prefix+"."+v.Type().Field(i).Name, v.Field(i))
			}
		default:
			if !v.IsZero() {
				b.WriteString(prefix + "=" + strings.TrimSpace(strings.ReplaceAll(reflect.ValueOf(v.Interface()).String(), "\n", " ")) + " ")
			}
		}
	}
	walk("", v)
	return b.String()
}

// TestActorWriter: rows read back as written, "" as NULL.
func TestActorWriter(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewActorWriter(st, run)
	if err != nil {
		t.Fatal(err)
	}
	var want []ActorRow
	for i := range 1000 {
		r := ActorRow{ActorKey: int64(i) - 500, PrincipalType: "AssumedRole",
			PrincipalARN: "arn:aws:sts::1:assumed-role/R/s", Who: "alice", OriginType: "IAMUser", OriginName: "alice",
			Method: "AssumeRole", ChainLength: int32(i % 3), SourceIdentity: strings.Repeat("x", i%2)}
		if i%3 > 0 {
			r.Chain = `[{"eventName":"AssumeRole"}]`
			r.AccessKeyID = "ASIA" + strconv.Itoa(i)
			r.OriginARN, r.OriginAccountID, r.OriginID, r.PermissionSet = "arn:aws:iam::1:user/alice", "1", "AIDA", "ps"
		}
		want = append(want, r)
	}
	if err := w.Write(want[:10]); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(want[10:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.AddTo(run)
	if len(run.Files[TableActors]) != 1 || run.Rows[TableActors] != 1000 {
		t.Fatalf("run lists %v, %d rows", run.Files[TableActors], run.Rows[TableActors])
	}
	path := st.TempPath(run.Files[TableActors][0])
	got, err := parquet.ReadFile[ActorRow](path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows differ: got %d rows, first %+v, want first %+v", len(got), got[0], want[0])
	}
	// NULLs: optional columns hold NULL, not "", for empty values.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	col, _ := pf.Schema().Lookup("accesskeyid")
	if nulls := pf.RowGroups()[0].ColumnChunks()[col.ColumnIndex].(*parquet.FileColumnChunk).NullCount(); nulls != 334 {
		t.Errorf("accesskeyid: %d NULLs, want 334", nulls)
	}
}

// TestCompilePlan: a plan that misses, repeats or misplaces a column of the
// schema is refused, so a change to CloudTrailRow cannot silently shift
// values into the wrong columns.
func TestCompilePlan(t *testing.T) {
	schema := parquet.SchemaOf(CloudTrailRow{})
	if err := compilePlan(cloudTrailPlan(), schema); err != nil {
		t.Fatal(err)
	}
	missing := cloudTrailPlan()
	missing.kids = missing.kids[1:]
	twice := cloudTrailPlan()
	twice.kids = append(twice.kids, leafNode("eventname", "eventName"))
	unknown := cloudTrailPlan()
	unknown.kids[0] = leafNode("eventversions", "eventVersion")
	nested := cloudTrailPlan()
	nested.kids[0] = group("eventversion", "eventVersion", leafNode("x", "x"))
	for name, plan := range map[string]*node{"missing": missing, "twice": twice, "unknown": unknown, "nested": nested} {
		if err := compilePlan(plan, schema); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestWriteRawMember: Member gives the text of each top-level member of the
// record WriteRaw took last, as the parser sees it.
func TestWriteRawMember(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewCloudTrailWriter(st, run, "0")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, r := range rawRecords(t) {
		if r[0] != '{' {
			continue
		}
		n, err := w.WriteRaw(append(slices.Clip(r), `,{"more":1}]}`...))
		if err != nil || n != len(r) {
			t.Fatalf("%s: took %d bytes, %v", r, n, err)
		}
		v := fastjson.MustParseBytes(r)
		for _, k := range append(slices.Collect(maps.Keys(w.plan.index)), "@timestamp", "managementEvent") {
			var want []byte // nil for keys that are not columns': Member does not know them
			if _, ok := w.plan.index[k]; ok && v.Get(k) != nil {
				want = v.Get(k).MarshalTo(nil)
			}
			if got := w.Member(k); !bytes.Equal(got, want) {
				t.Fatalf("%s: Member(%s) = %s, want %s", r, k, got, want)
			}
		}
	}
}
