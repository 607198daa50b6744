package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestRowFromJSON: values land in the Athena columns as the Hive JsonSerDe
// would put them (docs/athena.md): scalars in STRING columns as their JSON
// text, objects as compact JSON text, null and missing as NULL ("").
func TestRowFromJSON(t *testing.T) {
	ev := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:s","arn":"arn:aws:sts::111122223333:assumed-role/R/s",
"accountId":"111122223333","accessKeyId":"ASIA1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111122223333:role/R",
"accountId":"111122223333","userName":"R"},"webIdFederationData":{"federatedProvider":"arn:aws:iam::111122223333:oidc-provider/x","attributes":{"aud":"a"}},
"attributes":{"creationDate":"2024-07-30T21:31:10Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"2024-07-30T23:59:59Z",
"eventSource":"s3.amazonaws.com","eventName":"DeleteObjects","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.1","userAgent":"ua",
"requestParameters":{"bucketName":"b","delete":{"quiet":true}},"responseElements":null,"additionalEventData":{"bytesTransferredIn":10},
"requestID":"R1","eventID":"E1","readOnly":false,"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b","accountId":"111122223333"},{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}],
"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"b.s3.amazonaws.com"}}`
	v, err := fastjson.Parse(ev)
	if err != nil {
		t.Fatal(err)
	}
	var row CloudTrailRow
	p := RowFromJSON(v, &row)
	if p != (Partition{Account: "111122223333", Region: "eu-west-1", Date: "2024-07-30"}) {
		t.Errorf("partition %+v", p)
	}
	for _, c := range []struct{ name, got, want string }{
		{"readonly", row.ReadOnly, "false"},
		{"requestparameters", row.RequestParameters, `{"bucketName":"b","delete":{"quiet":true}}`},
		{"responseelements", row.ResponseElements, ""},
		{"additionaleventdata", row.AdditionalEventData, `{"bytesTransferredIn":10}`},
		{"errorcode", row.ErrorCode, ""},
		{"useridentity.sessioncontext.sessionissuer.username", row.UserIdentity.SessionContext.SessionIssuer.UserName, "R"},
		{"useridentity.sessioncontext.attributes.creationdate", row.UserIdentity.SessionContext.Attributes.CreationDate, "2024-07-30T21:31:10Z"},
		{"useridentity.sessioncontext.ec2roledelivery", row.UserIdentity.SessionContext.EC2RoleDelivery, "2.0"},
		{"webidfederationdata.attributes.aud", row.UserIdentity.SessionContext.WebIDFederationData.Attributes["aud"], "a"},
		{"resources[1].arn", row.Resources[1].ARN, "arn:aws:s3:::b/k"},
		{"resources[1].accountid", row.Resources[1].AccountID, ""},
		{"tlsdetails.tlsversion", row.TLSDetails.TLSVersion, "TLSv1.3"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if row.Addendum != nil || row.UserIdentity.OnBehalfOf != nil {
		t.Error("absent structs are not NULL")
	}

	// No recipient account, no time: the caller's account, "unknown" date.
	v, _ = fastjson.Parse(`{"eventVersion":"1","eventID":"x","userIdentity":{"accountId":"123"},"awsRegion":"us-east-1/../x"}`)
	if p := RowFromJSON(v, &row); p != (Partition{Account: "123", Region: "us-east-1____x", Date: "unknown"}) {
		t.Errorf("partition %+v", p)
	}
}

// TestCommitAndLeftovers: files of an uncommitted run are not listed, a
// new run removes them, and Has finds committed inputs.
func TestCommitAndLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	crashed, _ := s.Begin()
	w := NewPartitionWriter[CloudTrailRow](s, crashed, TableCloudTrail, "0")
	p := Partition{Account: "1", Region: "r", Date: "2024-01-01"}
	if err := w.Write(p, CloudTrailRow{EventID: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.AddTo(crashed)
	// (no Commit: the process died)
	if got := len(s.Files(TableCloudTrail)); got != 0 {
		t.Fatalf("%d files visible before commit", got)
	}
	run, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp", TableCloudTrail)); !os.IsNotExist(err) {
		t.Errorf("leftovers of the crashed run remain: %v", err)
	}
	w = NewPartitionWriter[CloudTrailRow](s, run, TableCloudTrail, "0")
	for i := range 3 {
		// More partitions than a writer keeps open: files are finished early.
		for _, q := range []Partition{p, {Account: "1", Region: "r", Date: "2024-01-02"}, {Account: "1", Region: "r", Date: "2024-01-03"}, {Account: "1", Region: "r", Date: "2024-01-04"}, {Account: "1", Region: "r", Date: "2024-01-05"}} {
			if err := w.Write(q, CloudTrailRow{EventID: string(rune('a' + i))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.AddTo(run)
	run.Inputs = append(run.Inputs, InputInfo{Name: "x", Size: 10, SHA256: "abc", Records: 15})
	if err := s.Commit(run); err != nil {
		t.Fatal(err)
	}
	if run.Rows[TableCloudTrail] != 15 {
		t.Errorf("rows %v", run.Rows)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := s2.Files(TableCloudTrail)
	if len(files) < 5 {
		t.Errorf("files %v", files)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if !s2.Has(10, "abc") || s2.Has(10, "abd") || !s2.HasSize(10) || s2.HasSize(11) {
		t.Error("Has/HasSize")
	}
}

// TestIdlePartitionsFinished: a partition's first file is finished once
// the writer has written idleRows rows elsewhere, and a partition that
// comes back after that keeps its second file open however long it is
// idle, so that a sparse partition is split at most once.
func TestIdlePartitionsFinished(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run, _ := s.Begin()
	w := NewPartitionWriter[CloudTrailRow](s, run, TableCloudTrail, "0")
	sparse := Partition{Account: "1", Region: "rare-1", Date: "2024-01-01"}
	busy := Partition{Account: "1", Region: "busy-1", Date: "2024-01-01"}
	write := func(p Partition, n int) {
		t.Helper()
		for range n {
			if err := w.Write(p, CloudTrailRow{EventID: "x"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	open := func(p Partition) bool { _, ok := w.parts[p]; return ok }
	write(sparse, 1)
	write(busy, idleRows+idleRows/2)
	if open(sparse) || !open(busy) {
		t.Fatalf("after %d rows elsewhere: sparse open %v, busy open %v; want only busy open", idleRows+idleRows/2, open(sparse), open(busy))
	}
	for range 3 {
		write(sparse, 1)
		write(busy, 2*idleRows)
		if !open(sparse) {
			t.Fatal("the sparse partition's second file was finished")
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.AddTo(run)
	if got := run.Rows[TableCloudTrail]; got != 4+idleRows+idleRows/2+6*idleRows {
		t.Errorf("rows %d", got)
	}
	var sparseFiles int
	for _, f := range run.Files[TableCloudTrail] {
		if strings.Contains(f, "rare-1") {
			sparseFiles++
		}
	}
	if sparseFiles != 2 {
		t.Errorf("sparse partition in %d files, want 2: %v", sparseFiles, run.Files[TableCloudTrail])
	}
}

// TestPartitionClean: partition values are safe directory names of at
// most maxPartitionValue bytes, and long values that differ stay apart
// (a fuzzed record's 1,500-character account failed with "file name too
// long").
func TestPartitionClean(t *testing.T) {
	long := strings.Repeat("1", 300)
	for _, c := range []struct{ in, want string }{
		{"", "unknown"},
		{"123456789012", "123456789012"},
		{"eu-west-1", "eu-west-1"},
		{"a/b c..", "a_b_c__"},
		{"東京", "__"},
		{long, strings.Repeat("1", maxPartitionValue-17) + "_" + "6f631ea1d7c68b37"},
	} {
		got := Partition{Account: c.in, Region: c.in}.Clean()
		if got.Account != c.want || got.Region != c.want || got.Date != "unknown" {
			t.Errorf("Clean(%.20q) = %+v, want %q", c.in, got, c.want)
		}
		if len(got.Account) > maxPartitionValue {
			t.Errorf("Clean(%.20q): %d bytes", c.in, len(got.Account))
		}
	}
	a, b := Partition{Account: long + "a"}.Clean(), Partition{Account: long + "b"}.Clean()
	if a.Account == b.Account {
		t.Errorf("two long accounts share the partition %s", a.Account)
	}
}
