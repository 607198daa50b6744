package digest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestParseAWSSample parses the sample digest of the "CloudTrail digest file
// structure" page, compressed and not.
func TestParseAWSSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/aws-sample-digest.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"sample.json": raw, "sample.json.gz": gz(t, raw)} {
		t.Run(name, func(t *testing.T) {
			d, err := Parse(bytes.NewReader(in), name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Raw, raw) {
				t.Error("Raw is not the uncompressed file")
			}
			checks := []struct{ got, want string }{
				{d.AWSAccountID, "111122223333"},
				{d.DigestEndTimeRaw, "2015-08-17T15:01:31Z"},
				{d.DigestS3Bucket, "S3-bucket-name"},
				{d.DigestS3Object, "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz"},
				{d.DigestPublicKeyFingerprint, "31e8b5433410dfb61a9dc45cc65b22ff"},
				{d.DigestSignatureAlgorithm, "SHA256withRSA"},
				{d.PreviousDigestS3Bucket, "S3-bucket-name"},
				{d.PreviousDigestS3Object, "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz"},
				{d.PreviousDigestHashValue, "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d"},
				{d.PreviousDigestHashAlgorithm, "SHA-256"},
				{d.PreviousDigestSignature[:16], "50887ccffad4c002"},
			}
			for i, c := range checks {
				if c.got != c.want {
					t.Errorf("check %d: got %q, want %q", i, c.got, c.want)
				}
			}
			if !d.DigestStartTime.Equal(mustTime("2015-08-17T14:01:31Z")) || !d.DigestEndTime.Equal(mustTime("2015-08-17T15:01:31Z")) {
				t.Errorf("digest times %v %v", d.DigestStartTime, d.DigestEndTime)
			}
			if !d.NewestEventTime.Equal(mustTime("2015-08-17T14:52:27Z")) || !d.OldestEventTime.Equal(mustTime("2015-08-17T14:42:27Z")) {
				t.Errorf("event times %v %v", d.NewestEventTime, d.OldestEventTime)
			}
			if d.IsStarting() {
				t.Error("IsStarting")
			}
			if len(d.LogFiles) != 1 {
				t.Fatalf("%d log files", len(d.LogFiles))
			}
			lf := d.LogFiles[0]
			if lf.S3Bucket != "S3-bucket-name" || lf.HashAlgorithm != "SHA-256" ||
				lf.HashValue != "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6" ||
				!strings.HasSuffix(lf.S3Object, "_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz") ||
				!lf.NewestEventTime.Equal(mustTime("2015-08-17T14:52:27Z")) {
				t.Errorf("log file %+v", lf)
			}
			sum := sha256.Sum256(raw)
			want := "2015-08-17T15:01:31Z\nS3-bucket-name/" + d.DigestS3Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + d.PreviousDigestSignature
			if got := string(d.StringToSign()); got != want {
				t.Errorf("StringToSign:\n%s\nwant\n%s", got, want)
			}
			info, err := ParseKey(d.DigestS3Object)
			if err != nil {
				t.Fatal(err)
			}
			if info.Account != "111122223333" || info.Region != "us-east-2" || info.Trail != "your-trail-name" || info.HomeRegion != "us-east-2" || !info.End.Equal(d.DigestEndTime) {
				t.Errorf("ParseKey: %+v", info)
			}
		})
	}
}

func TestParseAWSEmptySample(t *testing.T) {
	f, err := os.Open("testdata/aws-sample-empty-digest.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f, "empty.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.LogFiles) != 0 || !d.NewestEventTime.IsZero() || !d.OldestEventTime.IsZero() {
		t.Errorf("empty digest: %+v", d)
	}
}

func TestParseStartingDigestAndErrors(t *testing.T) {
	starting := `{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z",
	"digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"ff","digestSignatureAlgorithm":"SHA256withRSA",
	"newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,
	"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}`
	d, err := Parse(strings.NewReader(starting), "s")
	if err != nil {
		t.Fatal(err)
	}
	if !d.IsStarting() {
		t.Error("not starting")
	}
	if got := string(d.StringToSign()); !strings.HasSuffix(got, "\nnull") || !strings.HasPrefix(got, "2015-08-17T15:01:31Z\nb/k\n") {
		t.Errorf("StringToSign %q", got)
	}
	for name, in := range map[string]string{
		"empty":       ``,
		"not json":    `hello`,
		"array":       `[]`,
		"no end":      strings.Replace(starting, `"digestEndTime":"2015-08-17T15:01:31Z",`, ``, 1),
		"bad time":    strings.Replace(starting, `"2015-08-17T15:01:31Z"`, `"yesterday"`, 1),
		"trailing":    starting + `{}`,
		"bad log":     strings.Replace(starting, `"logFiles":[]`, `"logFiles":[{"s3Object":"x"}]`, 1),
		"bad gzip":    "\x1f\x8bnot really",
		"wrong types": `{"digestEndTime":5}`,
	} {
		if _, err := Parse(strings.NewReader(in), name); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParsePublicKeysAWSSample(t *testing.T) {
	f, err := os.Open("testdata/aws-sample-public-keys.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys, err := ParsePublicKeys(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"8eba5db5bea9b640d1c96a77256fe7f2", "8933b39ddc64d26d8e14ffbf6566fee4", "31e8b5433410dfb61a9dc45cc65b22ff"}
	if len(keys) != len(want) {
		t.Fatalf("%d keys", len(keys))
	}
	for i, k := range keys {
		if k.Fingerprint != want[i] || k.Key == nil || k.Key.N.BitLen() != 2048 {
			t.Errorf("key %d: %s %v", i, k.Fingerprint, k.Key)
		}
	}
	if !keys[0].ValidFrom.Equal(time.Unix(1436317441, 0)) || !keys[0].ValidTo.Equal(time.Unix(1438909441, 0)) {
		t.Errorf("validity %v %v", keys[0].ValidFrom, keys[0].ValidTo)
	}
	// The sample digest names the third key.
	raw, _ := os.ReadFile("testdata/aws-sample-digest.json")
	d, err := Parse(bytes.NewReader(raw), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.FindKey(keys); len(got) != 1 || got[0].Fingerprint != want[2] {
		t.Errorf("FindKey: %v", got)
	}
}

func TestParsePublicKeysCLIShapes(t *testing.T) {
	priv := testKey(t)
	der := x509.MarshalPKCS1PublicKey(&priv.PublicKey)
	b64 := base64.StdEncoding.EncodeToString(der)
	fp := Fingerprint(der)
	cli := fmt.Sprintf(`{"PublicKeyList":[{"Value":%q,"ValidityStartTime":"2024-01-01T00:00:00+00:00","ValidityEndTime":1735689600,"Fingerprint":%q}]}`, b64, fp)
	keys, err := ParsePublicKeys(strings.NewReader(cli))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Fingerprint != fp || !keys[0].ValidFrom.Equal(mustTime("2024-01-01T00:00:00Z")) || !keys[0].ValidTo.Equal(mustTime("2025-01-01T00:00:00Z")) {
		t.Errorf("%+v", keys)
	}
	arr := fmt.Sprintf(`[{"Value":%q}]`, b64)
	if keys, err := ParsePublicKeys(strings.NewReader(arr)); err != nil || keys[0].Fingerprint != fp {
		t.Errorf("bare array: %v %v", keys, err)
	}
	for name, in := range map[string]string{
		"bad fingerprint": fmt.Sprintf(`{"PublicKeyList":[{"Value":%q,"Fingerprint":"00"}]}`, b64),
		"bad base64":      `{"PublicKeyList":[{"Value":"!!"}]}`,
		"not a key":       `{"PublicKeyList":[{"Value":"AAAA"}]}`,
		"bad time":        fmt.Sprintf(`{"PublicKeyList":[{"Value":%q,"ValidityEndTime":"soon"}]}`, b64),
		"not json":        `nope`,
	} {
		if _, err := ParsePublicKeys(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseKey(t *testing.T) {
	good := map[string]KeyInfo{
		"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/03/01/111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1_20240301T010203Z.json.gz": {
			Account: "111122223333", Region: "eu-west-1", Trail: "my_trail", HomeRegion: "us-east-1", End: mustTime("2024-03-01T01:02:03Z"),
		},
		"pre/fix/AWSLogs/o-abc123def4/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240301T010203Z_backfill.json.gz": {
			Prefix: "pre/fix", OrgID: "o-abc123def4", Account: "111122223333", Region: "us-east-1", Trail: "org-trail", HomeRegion: "us-east-1", End: mustTime("2024-03-01T01:02:03Z"), Backfill: true,
		},
	}
	for key, want := range good {
		got, err := ParseKey(key)
		if err != nil || got != want {
			t.Errorf("ParseKey(%s) = %+v, %v; want %+v", key, got, err, want)
		}
	}
	for _, key := range []string{
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T0100Z_abc.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240301T010203Z.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/999922223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240301T010203Z.json.gz",
	} {
		if _, err := ParseKey(key); err == nil {
			t.Errorf("ParseKey(%s): no error", key)
		}
	}
}

func TestVerifySignatureAndLogFile(t *testing.T) {
	priv := testKey(t)
	keys := []PublicKey{publicKeyOf(&priv.PublicKey)}
	logContent := []byte(`{"Records":[{"eventName":"ListBuckets"}]}`)
	sum := sha256.Sum256(logContent)
	body := fmt.Sprintf(`{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z","digestEndTime":"2024-01-01T01:00:00Z",
"digestS3Bucket":"bkt","digestS3Object":"k.json.gz","digestPublicKeyFingerprint":%q,"digestSignatureAlgorithm":"SHA256withRSA",
"previousDigestSignature":null,"logFiles":[{"s3Bucket":"bkt","s3Object":"log.json.gz","hashValue":%q,"hashAlgorithm":"SHA-256"}]}`,
		keys[0].Fingerprint, hex.EncodeToString(sum[:]))
	d, err := Parse(bytes.NewReader(gz(t, []byte(body))), "k")
	if err != nil {
		t.Fatal(err)
	}
	// Independent construction of the documented string to sign.
	bsum := sha256.Sum256([]byte(body))
	toSign := "2024-01-01T01:00:00Z\nbkt/k.json.gz\n" + hex.EncodeToString(bsum[:]) + "\nnull"
	h := sha256.Sum256([]byte(toSign))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := d.VerifySignature(hex.EncodeToString(sig), keys); err != nil {
		t.Errorf("valid signature: %v", err)
	}
	sig[10] ^= 1
	if err := d.VerifySignature(hex.EncodeToString(sig), keys); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered signature: %v", err)
	}
	if err := d.VerifySignature("zz", keys); !errors.Is(err, ErrBadSignature) {
		t.Errorf("non-hex signature: %v", err)
	}
	other := testKey2(t)
	if err := d.VerifySignature(hex.EncodeToString(sig), []PublicKey{publicKeyOf(&other.PublicKey)}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}

	if err := d.VerifyLogFile("log.json.gz", bytes.NewReader(gz(t, logContent))); err != nil {
		t.Errorf("gzipped log: %v", err)
	}
	if err := d.VerifyLogFile("log.json.gz", bytes.NewReader(logContent)); err != nil {
		t.Errorf("uncompressed log: %v", err)
	}
	if err := d.VerifyLogFile("log.json.gz", bytes.NewReader(gz(t, append(logContent, ' ')))); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("modified log: %v", err)
	}
	if err := d.VerifyLogFile("other.json.gz", bytes.NewReader(logContent)); !errors.Is(err, ErrNotListed) {
		t.Errorf("unlisted log: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/aws-sample-digest.json", "testdata/aws-sample-empty-digest.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(gz(f, b))
	}
	f.Add([]byte(`{"digestEndTime":null,"logFiles":[null,{}]}`))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Parse(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		_ = d.StringToSign()
		_ = d.VerifySignature("00", nil)
		for _, lf := range d.LogFiles {
			_ = d.VerifyLogFile(lf.S3Object, bytes.NewReader(nil))
		}
		_, _ = ParseKey(d.DigestS3Object)
	})
}
