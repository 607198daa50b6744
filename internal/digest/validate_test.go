package digest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// Keys are generated once per test binary: RSA generation is slow.
var testRSAKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return a, b
})

func testKey(t testing.TB) *rsa.PrivateKey  { t.Helper(); a, _ := testRSAKeys(); return a }
func testKey2(t testing.TB) *rsa.PrivateKey { t.Helper(); _, b := testRSAKeys(); return b }

func publicKeyOf(k *rsa.PublicKey) PublicKey {
	return PublicKey{Fingerprint: Fingerprint(x509.MarshalPKCS1PublicKey(k)), Key: k}
}

const (
	tBucket  = "trail-bucket"
	tAccount = "111122223333"
	tRegion  = "us-east-1"
	tTrail   = "main_trail"
)

// builder writes log and digest files into dir exactly as CloudTrail lays
// them out in S3, with x-amz-meta-* metadata in sidecars. It builds the
// data signing string on its own, from the AWS documentation, so that the
// package's implementation is checked against it.
type builder struct {
	t    *testing.T
	dir  string
	key  *rsa.PrivateKey
	fp   string // fingerprint written into digests
	n    int
	logs map[string][]byte // log key -> uncompressed content
}

type built struct {
	key, sig string
	raw      []byte
	start    time.Time
	end      time.Time
	logKeys  []string
}

func newBuilder(t *testing.T) *builder {
	k := testKey(t)
	return &builder{t: t, dir: t.TempDir(), key: k, fp: publicKeyOf(&k.PublicKey).Fingerprint, logs: map[string][]byte{}}
}

func (b *builder) write(key string, content []byte, meta map[string]string) {
	b.t.Helper()
	p := filepath.Join(b.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if meta != nil {
		if err := WriteSidecar(p, meta); err != nil {
			b.t.Fatal(err)
		}
	}
}

func (b *builder) logFile(at time.Time) (key string, entry map[string]any) {
	b.n++
	key = fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%08dabcdEFGH.json.gz",
		tAccount, tRegion, at.Format("2006/01/02"), tAccount, tRegion, at.Format("20060102T1504Z"), b.n)
	content := fmt.Appendf(nil, `{"Records":[{"eventVersion":"1.08","eventTime":%q,"eventName":"ListBuckets","n":%d}]}`, at.Format(time.RFC3339), b.n)
	b.logs[key] = content
	b.write(key, gz(b.t, content), nil)
	sum := sha256.Sum256(content)
	return key, map[string]any{
		"s3Bucket": tBucket, "s3Object": key, "hashValue": hex.EncodeToString(sum[:]), "hashAlgorithm": "SHA-256",
		"newestEventTime": at.Format(time.RFC3339), "oldestEventTime": at.Add(-time.Minute).Format(time.RFC3339),
	}
}

// digest writes a digest covering [start, start+1h) with nLogs new log
// files, linked to prev (nil: a starting digest).
func (b *builder) digest(start time.Time, prev *built, nLogs int) *built {
	b.t.Helper()
	end := start.Add(time.Hour)
	key := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
		tAccount, tRegion, end.Format("2006/01/02"), tAccount, tRegion, tTrail, tRegion, end.Format("20060102T150405Z"))
	out := &built{key: key, start: start, end: end}
	var logs []map[string]any
	for i := range nLogs {
		k, e := b.logFile(start.Add(time.Duration(i+1) * 10 * time.Minute))
		logs = append(logs, e)
		out.logKeys = append(out.logKeys, k)
	}
	if logs == nil {
		logs = []map[string]any{}
	}
	var pb, po, ph, pa, ps any // JSON null unless chained
	if prev != nil {
		sum := sha256.Sum256(prev.raw)
		pb, po, ph, pa, ps = tBucket, prev.key, hex.EncodeToString(sum[:]), "SHA-256", prev.sig
	}
	doc := map[string]any{
		"awsAccountId": tAccount, "digestStartTime": start.Format(time.RFC3339), "digestEndTime": end.Format(time.RFC3339),
		"digestS3Bucket": tBucket, "digestS3Object": key, "digestPublicKeyFingerprint": b.fp, "digestSignatureAlgorithm": "SHA256withRSA",
		"newestEventTime": nil, "oldestEventTime": nil,
		"previousDigestS3Bucket": pb, "previousDigestS3Object": po, "previousDigestHashValue": ph,
		"previousDigestHashAlgorithm": pa, "previousDigestSignature": ps, "logFiles": logs,
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		b.t.Fatal(err)
	}
	out.raw = raw
	prevSig := "null"
	if prev != nil {
		prevSig = prev.sig
	}
	sum := sha256.Sum256(raw)
	toSign := end.Format(time.RFC3339) + "\n" + tBucket + "/" + key + "\n" + hex.EncodeToString(sum[:]) + "\n" + prevSig
	h := sha256.Sum256([]byte(toSign))
	sig, err := rsa.SignPKCS1v15(rand.Reader, b.key, crypto.SHA256, h[:])
	if err != nil {
		b.t.Fatal(err)
	}
	out.sig = hex.EncodeToString(sig)
	b.write(key, gz(b.t, raw), map[string]string{"signature": out.sig, "signature-algorithm": "SHA256withRSA"})
	return out
}

// chain builds n consecutive digests with 2 log files each (the second one
// empty, as on an idle hour).
func (b *builder) chain(n int) []*built {
	start := time.Date(2024, 3, 1, 22, 1, 31, 0, time.UTC) // crosses midnight
	var out []*built
	var prev *built
	for i := range n {
		nLogs := 2
		if i == 1 {
			nLogs = 0
		}
		d := b.digest(start, prev, nLogs)
		out = append(out, d)
		prev, start = d, d.end
	}
	return out
}

func (b *builder) validate(keys ...PublicKey) []Problem {
	b.t.Helper()
	if keys == nil {
		keys = []PublicKey{publicKeyOf(&testKey(b.t).PublicKey)}
	}
	refs, err := DirDigests(context.Background(), b.dir, tBucket)
	if err != nil {
		b.t.Fatal(err)
	}
	v := &Validator{Keys: keys, Open: DirOpener(b.dir), Workers: 3}
	ps, err := v.Validate(context.Background(), refs)
	if err != nil {
		b.t.Fatal(err)
	}
	return ps
}

func kinds(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind)
	}
	return out
}

func expectKinds(t *testing.T, ps []Problem, want ...string) {
	t.Helper()
	got := kinds(ps)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		var lines []string
		for _, p := range ps {
			lines = append(lines, p.String())
		}
		t.Errorf("problem kinds %v, want %v:\n%s", got, want, strings.Join(lines, "\n"))
	}
	for _, p := range ps {
		if p.Trail != tTrail || p.Account != tAccount || p.Region != tRegion || p.Object == "" || p.At.IsZero() {
			t.Errorf("incomplete problem %+v", p)
		}
	}
}

func TestValidateClean(t *testing.T) {
	b := newBuilder(t)
	b.chain(4)
	expectKinds(t, b.validate())
	refs, _ := DirDigests(context.Background(), b.dir, tBucket)
	if len(refs) != 4 {
		t.Errorf("DirDigests found %d digests", len(refs))
	}
}

func TestValidateModifiedLog(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(4)
	k := ds[2].logKeys[1]
	b.write(k, gz(t, append(b.logs[k], '\n')), nil)
	ps := b.validate()
	expectKinds(t, ps, KindHashMismatch)
	if len(ps) == 1 && (ps[0].Object != "s3://"+tBucket+"/"+k || !ps[0].At.Equal(ds[2].end)) {
		t.Errorf("problem %+v", ps[0])
	}
}

func TestValidateDeletedLog(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(4)
	if err := os.Remove(filepath.Join(b.dir, filepath.FromSlash(ds[0].logKeys[0]))); err != nil {
		t.Fatal(err)
	}
	expectKinds(t, b.validate(), KindMissingLog)
}

func TestValidateReplacedMiddleDigest(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(4)
	// Re-issue digest 2 (same key, same predecessor, validly signed) with
	// different log files: digest 3 no longer links to it.
	b.digest(ds[1].start, ds[0], 1)
	expectKinds(t, b.validate(), KindChainBreak)
}

func TestValidateModifiedDigest(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(4)
	// Edit digest 2's content without re-signing it (keep its metadata).
	edited := []byte(strings.Replace(string(ds[1].raw), `"logFiles":[]`, `"logFiles": []`, 1))
	b.write(ds[1].key, gz(t, edited), nil)
	expectKinds(t, b.validate(), KindBadSignature, KindChainBreak)
}

func TestValidateDroppedDigest(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(4)
	p := filepath.Join(b.dir, filepath.FromSlash(ds[1].key))
	for _, f := range []string{p, p + MetadataSuffix} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	ps := b.validate()
	expectKinds(t, ps, KindGap, KindMissingDigest)
	for _, p := range ps {
		if p.Kind == KindGap && !p.At.Equal(ds[0].end) {
			t.Errorf("gap at %v, want %v", p.At, ds[0].end)
		}
		if p.Kind == KindMissingDigest && p.Object != "s3://"+tBucket+"/"+ds[1].key {
			t.Errorf("missing digest %s", p.Object)
		}
	}
}

func TestValidateRestartIsGap(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(2)
	b.digest(ds[1].end.Add(5*time.Hour), nil, 1) // starting digest after logging was off
	expectKinds(t, b.validate(), KindGap)
}

func TestValidateWrongKey(t *testing.T) {
	t.Run("unknown fingerprint", func(t *testing.T) {
		b := newBuilder(t)
		b.chain(3)
		ps := b.validate(publicKeyOf(&testKey2(t).PublicKey))
		expectKinds(t, ps, KindUnknownKey, KindUnknownKey, KindUnknownKey)
	})
	t.Run("signed with another key", func(t *testing.T) {
		b := newBuilder(t)
		b.key = testKey2(t) // fingerprint still names key 1
		b.chain(3)
		expectKinds(t, b.validate(), KindBadSignature, KindBadSignature, KindBadSignature)
	})
}

func TestValidateSignatureFromNextDigest(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(3)
	// Offline copy without metadata: only the last digest's signature is
	// unavailable; the others come from the next digest.
	for _, d := range ds {
		if err := os.Remove(filepath.Join(b.dir, filepath.FromSlash(d.key)) + MetadataSuffix); err != nil {
			t.Fatal(err)
		}
	}
	ps := b.validate()
	expectKinds(t, ps, KindBadSignature)
	if len(ps) == 1 && ps[0].Object != "s3://"+tBucket+"/"+ds[2].key {
		t.Errorf("problem on %s", ps[0].Object)
	}
	// Metadata supplied on the ref overrides the sidecar.
	refs, _ := DirDigests(context.Background(), b.dir, tBucket)
	refs[len(refs)-1].Metadata = map[string]string{"x-amz-meta-signature": ds[2].sig, "x-amz-meta-signature-algorithm": "SHA256withRSA"}
	v := &Validator{Keys: []PublicKey{publicKeyOf(&testKey(t).PublicKey)}, Open: DirOpener(b.dir)}
	ps, err := v.Validate(context.Background(), refs)
	if err != nil || len(ps) != 0 {
		t.Errorf("with ref metadata: %v %v", ps, err)
	}
}

func TestValidateMovedAndGarbage(t *testing.T) {
	b := newBuilder(t)
	ds := b.chain(2)
	v := &Validator{Keys: []PublicKey{publicKeyOf(&testKey(t).PublicKey)}, Open: DirOpener(b.dir)}
	// A digest copied to another key (another trail name) is not where it
	// says it was delivered.
	moved := strings.Replace(ds[0].key, tTrail, "other", 1)
	b.write(moved, gz(t, ds[0].raw), map[string]string{"signature": ds[0].sig})
	garbage := strings.Replace(ds[0].key, tTrail, "junk", 1)
	b.write(garbage, []byte("not a digest"), nil)
	ps, err := v.Validate(context.Background(), []DigestRef{{Bucket: tBucket, Key: moved}, {Bucket: tBucket, Key: garbage}, {Bucket: tBucket, Key: "random/key"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(ps); len(got) != 3 || got[0] != KindInvalidDigest || got[1] != KindInvalidDigest || got[2] != KindInvalidDigest {
		t.Errorf("kinds %v", got)
	}
}

func TestValidateContext(t *testing.T) {
	b := newBuilder(t)
	b.chain(3)
	refs, _ := DirDigests(context.Background(), b.dir, tBucket)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := &Validator{Keys: []PublicKey{publicKeyOf(&testKey(t).PublicKey)}, Open: DirOpener(b.dir)}
	if _, err := v.Validate(ctx, refs); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// An I/O error that is not "not found" aborts with an error.
	boom := errors.New("boom")
	v.Open = func(context.Context, string, string) (io.ReadCloser, map[string]string, error) { return nil, nil, boom }
	if _, err := v.Validate(context.Background(), refs); !errors.Is(err, boom) {
		t.Errorf("I/O error: %v", err)
	}
	// A read failing half-way through a log file is an error, not a
	// hash-mismatch.
	dir := DirOpener(b.dir)
	v.Open = func(ctx context.Context, bucket, key string) (io.ReadCloser, map[string]string, error) {
		rc, meta, err := dir(ctx, bucket, key)
		if err != nil || !strings.Contains(key, "/CloudTrail/") {
			return rc, meta, err
		}
		return struct {
			io.Reader
			io.Closer
		}{io.MultiReader(io.LimitReader(rc, 5), iotest.ErrReader(boom)), rc}, meta, nil
	}
	if ps, err := v.Validate(context.Background(), refs); !errors.Is(err, boom) {
		t.Errorf("log read error: %v %v", ps, err)
	}
}
