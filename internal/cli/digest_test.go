package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// trailBucket writes a local copy of a trail bucket "trail-bucket" with n
// hourly digests (two log files each), signed as CloudTrail signs them
// (the data signing string of the "CloudTrail log file integrity
// validation" custom implementation guide), with metadata sidecars, and the
// list-public-keys output that verifies them. It returns the bucket
// directory, the keys file and the digest and log keys.
func trailBucket(t *testing.T, n int) (dir, keysFile string, digests, logs []string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "trail-bucket")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	fp := md5.Sum(der)
	keysFile = filepath.Join(root, "keys.json")
	keysJSON := fmt.Sprintf(`{"PublicKeyList":[{"Value":%q,"ValidityStartTime":"2024-01-01T00:00:00Z","ValidityEndTime":"2025-01-01T00:00:00Z","Fingerprint":%q}]}`,
		base64.StdEncoding.EncodeToString(der), hex.EncodeToString(fp[:]))
	if err := os.WriteFile(keysFile, []byte(keysJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(k string, content []byte, meta string) {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(content)
		zw.Close()
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if meta != "" {
			if err := os.WriteFile(p+".metadata.json", []byte(meta), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	const acct, region, bucket = "111122223333", "us-east-1", "trail-bucket"
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var prevKey, prevSig string
	var prevRaw []byte
	for i := range n {
		end := start.Add(time.Hour)
		var files []map[string]any
		for j := range 2 {
			at := start.Add(time.Duration(10+20*j) * time.Minute)
			lk := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%d%dabcd.json.gz", acct, region, at.Format("2006/01/02"), acct, region, at.Format("20060102T1504Z"), i, j)
			content := fmt.Appendf(nil, `{"Records":[{"eventVersion":"1.08","eventTime":%q,"eventName":"ListBuckets","eventID":"e%d%d"}]}`, at.Format(time.RFC3339), i, j)
			write(lk, content, "")
			sum := sha256.Sum256(content)
			files = append(files, map[string]any{"s3Bucket": bucket, "s3Object": lk, "hashValue": hex.EncodeToString(sum[:]), "hashAlgorithm": "SHA-256",
				"newestEventTime": at.Format(time.RFC3339), "oldestEventTime": at.Format(time.RFC3339)})
			logs = append(logs, lk)
		}
		dk := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_main_%s_%s.json.gz", acct, region, end.Format("2006/01/02"), acct, region, region, end.Format("20060102T150405Z"))
		doc := map[string]any{"awsAccountId": acct, "digestStartTime": start.Format(time.RFC3339), "digestEndTime": end.Format(time.RFC3339),
			"digestS3Bucket": bucket, "digestS3Object": dk, "digestPublicKeyFingerprint": hex.EncodeToString(fp[:]), "digestSignatureAlgorithm": "SHA256withRSA",
			"newestEventTime": nil, "oldestEventTime": nil, "previousDigestS3Bucket": nil, "previousDigestS3Object": nil,
			"previousDigestHashValue": nil, "previousDigestHashAlgorithm": nil, "previousDigestSignature": nil, "logFiles": files}
		signPrev := "null"
		if prevKey != "" {
			sum := sha256.Sum256(prevRaw)
			doc["previousDigestS3Bucket"], doc["previousDigestS3Object"], doc["previousDigestHashValue"] = bucket, prevKey, hex.EncodeToString(sum[:])
			doc["previousDigestHashAlgorithm"], doc["previousDigestSignature"] = "SHA-256", prevSig
			signPrev = prevSig
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		h := sha256.Sum256([]byte(end.Format(time.RFC3339) + "\n" + bucket + "/" + dk + "\n" + hex.EncodeToString(sum[:]) + "\n" + signPrev))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
		if err != nil {
			t.Fatal(err)
		}
		write(dk, raw, fmt.Sprintf(`{"Metadata":{"signature":%q,"signature-algorithm":"SHA256withRSA"}}`, hex.EncodeToString(sig)))
		digests = append(digests, dk)
		prevKey, prevSig, prevRaw, start = dk, hex.EncodeToString(sig), raw, end
	}
	return dir, keysFile, digests, logs
}

func TestDigestValidate(t *testing.T) {
	valid, keys, _, _ := trailBucket(t, 3)
	tampered, keys2, _, logs := trailBucket(t, 3)
	os.WriteFile(filepath.Join(tampered, filepath.FromSlash(logs[2])), []byte("not the original"), 0o644)
	gapped, keys3, digests, _ := trailBucket(t, 4)
	os.Remove(filepath.Join(gapped, filepath.FromSlash(digests[1])))
	empty := t.TempDir()
	fingerprint := regexp.MustCompile(`fingerprint [0-9a-f]{32}`)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"valid", []string{"digest", "validate", "--public-keys", keys, valid}, 0},
		{"valid_window", []string{"digest", "validate", "--public-keys", keys, "--from", "2024-03-01T12:00:00Z", "--to", "2024-03-01T13:00:00Z", valid}, 0},
		{"tampered_log", []string{"digest", "validate", "--public-keys", keys2, tampered}, 1},
		{"tampered_log_json", []string{"digest", "validate", "--public-keys", keys2, "--format", "json", tampered}, 1},
		{"missing_digest", []string{"digest", "validate", "--public-keys", keys3, gapped}, 1},
		{"wrong_keys", []string{"digest", "validate", "--public-keys", keys2, valid}, 1},
		{"no_keys", []string{"digest", "validate", valid}, 1},
		{"not_a_directory", []string{"digest", "validate", "--public-keys", keys, filepath.Join(valid, "nothing")}, 2},
		{"no_digests", []string{"digest", "validate", "--public-keys", keys, empty}, 2},
		{"bad_keys_file", []string{"digest", "validate", "--public-keys", filepath.Join(tampered, filepath.FromSlash(logs[2])), valid}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a crash:\n%s", stderr)
			}
			out := stdout + "--- stderr ---\n" + stderr
			for _, d := range []string{valid, tampered, gapped, filepath.Dir(keys), filepath.Dir(keys2), filepath.Dir(keys3), empty} {
				out = strings.ReplaceAll(out, d, "DIR")
			}
			out = fingerprint.ReplaceAllString(out, "fingerprint FP") // each run makes a new key
			golden(t, "digest/"+tt.name, fmt.Sprintf("%s--- exit %d ---\n", out, code))
		})
	}
}

// TestDigestValidateS3 uploads the bucket copy to an S3 API server in the
// test process (gofakes3), with each digest's signature as the object's
// x-amz-meta-signature as CloudTrail writes it, and validates s3://.
func TestDigestValidateS3(t *testing.T) {
	dir, keys, _, logs := trailBucket(t, 3)
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".metadata.json") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		in := &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(filepath.ToSlash(rel)), Body: bytes.NewReader(body)}
		if side, err := os.ReadFile(p + ".metadata.json"); err == nil {
			var head struct{ Metadata map[string]string }
			if err := json.Unmarshal(side, &head); err != nil {
				return err
			}
			in.Metadata = head.Metadata
		}
		_, err = c.PutObject(ctx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"digest", "validate", "--public-keys", keys, "--endpoint-url", srv.URL, "--aws-region", "us-east-1", "s3://trail-bucket/"}
	if stdout, stderr, code := run(t, "", args...); code != 0 || !strings.Contains(stderr, "3 digest file(s), 0 problem(s)") {
		t.Fatalf("valid bucket: exit %d\n%s%s", code, stdout, stderr)
	}
	// A log file deleted from the bucket is missing-log.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(logs[3])}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "", args...)
	if code != 1 || !strings.Contains(stdout, "missing-log") || !strings.Contains(stdout, logs[3]) {
		t.Fatalf("deleted log: exit %d\n%s%s", code, stdout, stderr)
	}
}
